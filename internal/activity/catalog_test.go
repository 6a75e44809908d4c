package activity_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/graphdata"
)

func officialTable(t *testing.T) *graphdata.Table {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		dir = filepath.Dir(dir)
	}
	p := filepath.Join(dir, "..", "shared", "graph-data", "permissions.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("skipping: official data not beside the repository: %v", err)
	}
	tab, err := graphdata.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

var reName = regexp.MustCompile(`^[a-z]+\.[a-z_]+$`)

// Every call of every activity is listed, in Microsoft's official permission data, under a
// permission the activity declares, for the scheme it uses: the delegated form with the
// declared delegated permissions, the /users/{id} form with the declared application ones.
func TestCatalogAgreesWithOfficialPermissions(t *testing.T) {
	tab := officialTable(t)
	em := emulator.New(emulator.Options{})
	for _, a := range activity.All() {
		if !reName.MatchString(a.Name) || !strings.HasPrefix(a.Name, string(a.Workload)+".") {
			t.Errorf("%s: names are <workload>.<verb> in lower case", a.Name)
		}
		if a.Title.EN == "" || a.Title.ZH == "" {
			t.Errorf("%s: title needs English and Chinese", a.Name)
		}
		if !a.AppOnly() && a.AppNote == "" && strings.HasPrefix(a.Calls[0].Path, "/me") {
			// Delegated-only activities on /me paths must say why there is no app form.
			for _, c := range a.Calls {
				if tab.Known(c.Method, activity.AppPath(c.Path)) && len(tab.AcceptedBy(c.Method, activity.AppPath(c.Path), graphdata.Application)) > 0 {
					t.Errorf("%s: not available app-only although %s %s has application permissions; declare them or explain in AppNote", a.Name, c.Method, activity.AppPath(c.Path))
					break
				}
			}
		}
		for _, c := range a.Calls {
			check := func(path string, scheme graphdata.Scheme, declared []string) {
				key := c.Method + " " + graphdata.Normalize(path)
				if s, ok := activity.Supplements[key]; ok {
					if tab.Known(c.Method, path) {
						t.Errorf("%s: %s is now in the official data; drop the supplement", a.Name, key)
					}
					emu := em.AcceptedPermissions(c.Method, path, string(scheme))
					list := s.Delegated
					if scheme == graphdata.Application {
						list = s.Application
					}
					if strings.Join(emu, ",") != strings.Join(list, ",") {
						t.Errorf("%s: supplement for %s (%s) is %v, the emulator's is %v", a.Name, key, scheme, list, emu)
					}
					if !anyIn(declared, list) {
						t.Errorf("%s: %s (%s) accepts %v, none declared (%v)", a.Name, key, scheme, list, declared)
					}
					return
				}
				if !tab.Known(c.Method, path) {
					t.Errorf("%s: %s %s is not in the official permission data", a.Name, c.Method, path)
					return
				}
				ok := false
				for _, p := range declared {
					if tab.Accepts(c.Method, path, scheme, append([]string{p}, declared...)) && contains(tab.AcceptedBy(c.Method, path, scheme), p) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("%s: %s %s (%s) is listed under %v, none of the declared %v", a.Name, c.Method, path, scheme, tab.AcceptedBy(c.Method, path, scheme), declared)
				}
			}
			check(c.Path, graphdata.DelegatedWork, a.Delegated)
			if a.AppOnly() {
				check(activity.AppPath(c.Path), graphdata.Application, a.Application)
			}
		}
	}
}

// Every call a kind's sweep makes is in Microsoft's official permission data, in its
// delegated form and, unless the kind sweeps with delegated tokens only, its application
// form; and the minimal permission set e5renew asks for lets the sweep run.
func TestSweepCallsAgreeWithOfficialPermissions(t *testing.T) {
	tab := officialTable(t)
	for _, delegated := range []bool{true, false} {
		minimal := activity.MinimalPermissions(activity.All(), delegated)
		scheme := map[bool]graphdata.Scheme{true: graphdata.DelegatedWork, false: graphdata.Application}[delegated]
		for _, k := range activity.Kinds() {
			if k.Sweep == nil || (!delegated && k.SweepDelegatedOnly) {
				continue
			}
			for _, c := range k.SweepCalls {
				if c.Method != "GET" {
					t.Errorf("%s: a sweep only lists; %s %s is not a GET", k.Name, c.Method, c.Path)
				}
				p := c.Path
				if !delegated {
					p = activity.AppPath(p)
				}
				if !tab.Known(c.Method, p) {
					t.Errorf("%s: sweep call %s %s is not in the official permission data", k.Name, c.Method, p)
				} else if len(tab.AcceptedBy(c.Method, p, scheme)) == 0 {
					t.Errorf("%s: sweep call %s %s has no %s permission in the official data", k.Name, c.Method, p, scheme)
				}
			}
			if !k.Sweepable(tab, delegated, minimal) {
				t.Errorf("%s: the minimal %s permissions %v do not let it sweep %v", k.Name, scheme, minimal, k.SweepCalls)
			}
		}
	}
}

func TestCatalogCoverage(t *testing.T) {
	all := activity.All()
	workloads := activity.Workloads()
	writes := 0
	for _, a := range all {
		if a.Write {
			writes++
		}
	}
	t.Logf("%d activities (%d writes) over %d workloads", len(all), writes, len(workloads))
	if len(all) < 45 || len(workloads) < 12 {
		t.Fatalf("catalog has %d activities over %d workloads; the issue asks for at least 45 over 12", len(all), len(workloads))
	}
}

func anyIn(a, b []string) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// The minimal set lets every activity run and has no redundant permission.
func TestMinimalPermissions(t *testing.T) {
	tab := graphdata.MustLoad()
	for _, delegated := range []bool{true, false} {
		acts := activity.All()
		set := activity.MinimalPermissions(acts, delegated)
		for _, a := range acts {
			if !delegated && !a.AppOnly() {
				continue
			}
			if ok, missing := a.Runnable(tab, delegated, set); !ok {
				t.Errorf("%s cannot run with the minimal set %v (missing %v)", a.Name, set, missing)
			}
		}
		for _, p := range set {
			var trial []string
			for _, q := range set {
				if q != p {
					trial = append(trial, q)
				}
			}
			all := true
			for _, a := range acts {
				if !delegated && !a.AppOnly() {
					continue
				}
				if ok, _ := a.Runnable(tab, delegated, trial); !ok {
					all = false
					break
				}
			}
			if all {
				t.Errorf("%s is redundant in the minimal set %v", p, set)
			}
		}
	}
}
