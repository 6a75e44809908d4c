package activity_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/graphdata"
	"github.com/e5renew/e5renew/internal/secret"
)

// unsweepable are the kinds that have no sweep of their own, and why.
var unsweepable = map[string]string{
	"onedrive.item":    "goes with its round folder",
	"contacts.contact": "goes with its contact folder",
	"todo.task":        "goes with its list",
	"teams.meeting":    "Graph cannot list a user's online meetings",
}

// Every kind either sweeps, with declared calls, or is listed above with the reason.
func TestEveryKindSweepsOrSaysWhyNot(t *testing.T) {
	for _, k := range activity.Kinds() {
		why, listed := unsweepable[k.Name]
		switch {
		case k.Sweep == nil && !listed:
			t.Errorf("%s has no sweep: give it one, or say why in unsweepable", k.Name)
		case k.Sweep != nil && listed:
			t.Errorf("%s sweeps although unsweepable says %q", k.Name, why)
		case k.Sweep != nil && len(k.SweepCalls) == 0:
			t.Errorf("%s sweeps without declaring its calls", k.Name)
		}
		if !slices.Contains(activity.Workloads(), k.Workload()) {
			t.Errorf("%s: %q is not a workload with activities", k.Name, k.Workload())
		}
	}
}

// sweepCallKeys are the declared sweep calls, as "METHOD normalized-path", in the form
// for the token.
func sweepCallKeys(delegated bool) map[string]bool {
	out := map[string]bool{}
	for _, k := range activity.Kinds() {
		for _, c := range k.SweepCalls {
			p := c.Path
			if !delegated {
				p = activity.AppPath(p)
			}
			out[c.Method+" "+graphdata.Normalize(p)] = true
		}
	}
	return out
}

// requestsSince returns the "METHOD template" of the Graph requests made since before.
func requestsSince(before, after map[string]int64) []string {
	var out []string
	for k, n := range after {
		if n > before[k] {
			method, rest, _ := strings.Cut(k, " ")
			tmpl := rest[:strings.LastIndexByte(rest, ' ')]
			out = append(out, method+" "+graphdata.Normalize(tmpl))
		}
	}
	return out
}

// A run whose journal is lost leaves objects behind. A later round with a fresh journal
// sweeps them, once they are older than SweepAge, and its cleanup deletes them all; while
// they are young (a concurrent round's) it leaves them alone. Every call the sweep makes is
// a declared sweep call, and the permissions of the activity that made an object let its
// kind be swept.
func TestSweepCleansWhatALostJournalLeft(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	tab := graphdata.MustLoad()
	ctx := context.Background()
	swept := map[string]map[bool]bool{} // kind -> mode -> swept in a test
	for _, delegated := range []bool{true, false} {
		declared := sweepCallKeys(delegated)
		for _, a := range activity.All() {
			if !a.Write || (!delegated && !a.AppOnly()) {
				continue
			}
			t.Run(a.Name+"/"+catalogBModeName(delegated), func(t *testing.T) {
				lost := activity.NewMemoryJournal()
				err := a.Run(ctx, w.exec(delegated, lost, 51))
				if reason, skip := activity.IsSkip(err); skip {
					t.Skipf("skipped: %s", reason)
				}
				if err != nil {
					t.Fatal(err)
				}
				entries, _ := lost.Pending(ctx, map[bool]string{true: "delegated", false: "app"}[delegated])
				sweepable := false
				for _, e := range entries {
					k, _ := activity.LookupKind(e.Kind)
					if k.Sweep == nil {
						continue
					}
					sweepable = true
					if !k.Sweepable(tab, delegated, a.Permissions(delegated)) {
						t.Errorf("%s's permissions %v do not let kind %s be swept", a.Name, a.Permissions(delegated), k.Name)
					}
					if swept[k.Name] == nil {
						swept[k.Name] = map[bool]bool{}
					}
					swept[k.Name][delegated] = true
				}
				left := w.em.Stats().LiveArtifactsTotal
				if !sweepable {
					// Nothing to find without a journal (a meeting): the lost journal
					// cleans up after itself here.
					if res := activity.Cleanup(ctx, w.exec(delegated, lost, 52)); len(res.Failures) > 0 || w.em.Stats().LiveArtifactsTotal != 0 {
						t.Fatalf("cleanup with the journal: %+v", res)
					}
					var ks []string
					for _, e := range entries {
						ks = append(ks, e.Kind)
					}
					t.Skipf("%s makes nothing a sweep can find (kinds %v)", a.Name, ks)
				}
				if left == 0 {
					t.Fatal("the activity left nothing to sweep")
				}

				// A concurrent round (same clock): the objects are young and stay.
				j := activity.NewMemoryJournal()
				x := w.exec(delegated, j, 53)
				res := activity.Sweep(ctx, x, activity.SweepAge)
				if len(res.Failures) > 0 || len(res.Denied) > 0 || res.Journaled != 0 || res.Young == 0 || res.Found != res.Young {
					t.Fatalf("sweep of young objects: %+v %v", res, res.Failures)
				}
				if cr := activity.Cleanup(ctx, x); cr.Deleted != 0 || w.em.Stats().LiveArtifactsTotal != left {
					t.Fatalf("a young object was touched: %+v, artifacts %v", cr, w.em.Stats().LiveArtifacts)
				}

				// Hours later: leftovers, swept and deleted.
				later := time.Now().Add(activity.SweepAge + time.Minute)
				x = w.exec(delegated, j, 54)
				x.Now = func() time.Time { return later }
				before := w.em.Stats().Requests
				res = activity.Sweep(ctx, x, activity.SweepAge)
				if len(res.Failures) > 0 || len(res.Denied) > 0 || res.Journaled == 0 || res.Young != 0 || res.Journaled != res.Found {
					t.Fatalf("sweep of leftovers: %+v %v", res, res.Failures)
				}
				for _, call := range requestsSince(before, w.em.Stats().Requests) {
					if !declared[call] {
						t.Errorf("the sweep made %s, which no kind declares in SweepCalls", call)
					}
				}
				if cr := activity.Cleanup(ctx, x); len(cr.Failures) > 0 || cr.Deleted != res.Journaled || j.Len() != 0 {
					t.Fatalf("cleanup of the swept: %+v, %d entries left", cr, j.Len())
				}
				if st := w.em.Stats(); st.LiveArtifactsTotal != 0 {
					t.Fatalf("left behind: %v", st.LiveArtifacts)
				}
				// The lost journal, were it to come back, finds its objects gone (an entry
				// without an id waits for its object until it gives up).
				if cr := activity.Cleanup(ctx, w.exec(delegated, lost, 55)); len(cr.Failures) > 0 || w.em.Stats().LiveArtifactsTotal != 0 {
					t.Fatalf("stale entries: %+v, %d left", cr, lost.Len())
				}
			})
		}
	}
	// Every kind with a sweep was exercised, app-only too unless it refuses app tokens.
	for _, k := range activity.Kinds() {
		if k.Sweep == nil {
			continue
		}
		if !swept[k.Name][true] {
			t.Errorf("kind %s: no delegated test swept it", k.Name)
		}
		if !k.SweepDelegatedOnly && !swept[k.Name][false] {
			t.Errorf("kind %s: no app-only test swept it", k.Name)
		}
	}
}

// limitedExec is a delegated Exec of another app of the tenant, granted only the scopes.
func (w *world) limitedExec(t *testing.T, scopes []string, j activity.Journal, seed uint64) *activity.Exec {
	t.Helper()
	app, err := w.em.AddApp(w.ten.ID, emulator.AppSpec{DisplayName: "limited", PublicClient: true, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := w.em.IssueRefreshToken(w.ten.ID, app.ClientID, w.user.UPN, nil)
	if err != nil {
		t.Fatal(err)
	}
	src, err := auth.NewRefreshSource(auth.RefreshOptions{Common: auth.Common{Account: "limited", Endpoints: auth.Endpoints{Authority: w.srv.URL, Graph: w.srv.URL}},
		ClientID: app.ClientID, RefreshToken: secret.String(rt), Store: auth.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	x := w.exec(true, j, seed)
	x.Graph = graph.New(src, graph.Options{BaseURL: w.srv.URL, MaxAttempts: 2, BaseDelay: time.Millisecond,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	return x
}

// A token that may not list some kinds gets 403 for them: they are reported as denied, not
// as failures, and the kinds it may list are still swept.
func TestSweepGoesOnAfterADenial(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	ctx := context.Background()
	for _, name := range []string{"mail.create_folder", "todo.create"} {
		a, _ := activity.Lookup(name)
		if err := a.Run(ctx, w.exec(true, activity.NewMemoryJournal(), 61)); err != nil {
			t.Fatal(err)
		}
	}
	j := activity.NewMemoryJournal()
	x := w.limitedExec(t, []string{"Mail.ReadWrite"}, j, 62)
	later := time.Now().Add(activity.SweepAge + time.Minute)
	x.Now = func() time.Time { return later }
	res := activity.Sweep(ctx, x, activity.SweepAge)
	if len(res.Failures) > 0 || res.Journaled != 1 || !slices.Contains(res.Denied, "todo.list") || slices.Contains(res.Denied, "mail.folder") {
		t.Fatalf("sweep with Mail.ReadWrite only: %+v %v", res, res.Failures)
	}
	if st := w.em.Stats(); st.PermissionDenials["GET /me/todo/lists"] == 0 {
		t.Fatalf("the To Do list was not asked for: denials %v", st.PermissionDenials)
	}
	if cr := activity.Cleanup(ctx, x); len(cr.Failures) > 0 || cr.Deleted != 1 {
		t.Fatalf("cleanup: %+v", cr)
	}
	if st := w.em.Stats(); st.LiveArtifacts[w.user.UPN]["mailFolder"] != 0 || st.LiveArtifacts[w.user.UPN]["todoTaskList"] != 1 {
		t.Fatalf("want the mail folder gone and the To Do list kept: %v", st.LiveArtifacts)
	}
}

// An object already in the journal (this round's, or one whose create answer was lost) is
// not journaled a second time.
func TestSweepSkipsJournaledObjects(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	ctx := context.Background()
	j := activity.NewMemoryJournal()
	x := w.exec(true, j, 71)
	a, _ := activity.Lookup("contacts.create")
	if err := a.Run(ctx, x); err != nil {
		t.Fatal(err)
	}
	n := j.Len()
	later := time.Now().Add(activity.SweepAge + time.Minute)
	x.Now = func() time.Time { return later }
	res := activity.Sweep(ctx, x, activity.SweepAge)
	if len(res.Failures) > 0 || res.Journaled != 0 || res.Known != 1 || j.Len() != n {
		t.Fatalf("sweep: %+v, %d entries (had %d)", res, j.Len(), n)
	}
	if cr := activity.Cleanup(ctx, x); len(cr.Failures) > 0 || cr.Deleted != n || w.em.Stats().LiveArtifactsTotal != 0 {
		t.Fatalf("cleanup: %+v, artifacts %v", cr, w.em.Stats().LiveArtifacts)
	}
}

// Markers of the old form carry no time: an object with a creation time in Graph is aged by
// it, one without (a mail folder) counts as old. The plain "e5renew" OneDrive folder of older
// versions is a round folder too.
func TestSweepOldFormMarkers(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	ctx := context.Background()
	x := w.exec(true, activity.NewMemoryJournal(), 81)
	for _, name := range []string{"e5renew", "e5renew-0badf00d"} {
		if err := x.Send(ctx, "POST", "/me/drive/root/children", map[string]any{"name": name, "folder": map[string]any{}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Send(ctx, "POST", "/me/mailFolders", map[string]any{"displayName": "e5renew-deadbeef"}, nil); err != nil {
		t.Fatal(err)
	}
	// Not e5renew's: names that only look alike.
	for _, name := range []string{"e5renew-data", "e5renew notes", "e5renew-0badf00d-copy"} {
		if err := x.Send(ctx, "POST", "/me/drive/root/children", map[string]any{"name": name, "folder": map[string]any{}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Send(ctx, "POST", "/me/mailFolders", map[string]any{"displayName": "e5renew-archive"}, nil); err != nil {
		t.Fatal(err)
	}

	j := activity.NewMemoryJournal()
	now := w.exec(true, j, 82)
	res := activity.Sweep(ctx, now, activity.SweepAge)
	if len(res.Failures) > 0 || res.Found != 3 || res.Young != 2 || res.Journaled != 1 {
		t.Fatalf("sweep now: %+v %v", res, res.Failures)
	}
	if cr := activity.Cleanup(ctx, now); cr.Deleted != 1 || w.em.Stats().LiveArtifacts[w.user.UPN]["mailFolder"] != 1 {
		t.Fatalf("want the old-form mail folder deleted at once: %+v, %v", cr, w.em.Stats().LiveArtifacts)
	}
	later := w.exec(true, j, 83)
	at := time.Now().Add(activity.SweepAge + time.Minute)
	later.Now = func() time.Time { return at }
	res = activity.Sweep(ctx, later, activity.SweepAge)
	if len(res.Failures) > 0 || res.Found != 2 || res.Journaled != 2 {
		t.Fatalf("sweep later: %+v %v", res, res.Failures)
	}
	if cr := activity.Cleanup(ctx, later); cr.Deleted != 2 || len(cr.Failures) > 0 {
		t.Fatalf("cleanup later: %+v", cr)
	}
	if st := w.em.Stats(); st.LiveArtifacts[w.user.UPN]["driveItem"] != 3 || st.LiveArtifacts[w.user.UPN]["mailFolder"] != 1 {
		t.Fatalf("want only the look-alikes left: %v", st.LiveArtifacts)
	}
}
