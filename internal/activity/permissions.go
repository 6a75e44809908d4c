package activity

import (
	"sort"

	"github.com/e5renew/e5renew/internal/graphdata"
)

// MinimalPermissions returns the smallest set of permissions with which every activity in
// acts can run, for delegated or application sign-in: it starts from the declared
// permissions and drops each one the others make redundant (per the official table),
// trying the most privileged first, so what remains is both small and least privileged. Activities not available app-only are ignored for application sign-in.
func MinimalPermissions(acts []*Activity, delegated bool) []string {
	tab := graphdata.MustLoad()
	scheme := graphdata.DelegatedWork
	if !delegated {
		scheme = graphdata.Application
	}
	set := DeclaredPermissions(acts, delegated)
	var relevant []*Activity
	for _, a := range acts {
		if delegated || a.AppOnly() {
			relevant = append(relevant, a)
		}
	}
	level := func(p string) int {
		if pi, ok := tab.Info(p, scheme); ok {
			return pi.PrivilegeLevel
		}
		return 0
	}
	order := append([]string(nil), set...)
	sort.SliceStable(order, func(i, j int) bool {
		if level(order[i]) != level(order[j]) {
			return level(order[i]) > level(order[j])
		}
		return order[i] < order[j]
	})
	runnable := func(perms []string) bool {
		for _, a := range relevant {
			if ok, _ := a.Runnable(tab, delegated, perms); !ok {
				return false
			}
		}
		return true
	}
	for _, p := range order {
		trial := without(set, p)
		if runnable(trial) {
			set = trial
		}
	}
	sort.Strings(set)
	return set
}

// DeclaredPermissions is the union of the permissions acts declare for the scheme.
func DeclaredPermissions(acts []*Activity, delegated bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range acts {
		for _, p := range a.Permissions(delegated) {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

func without(list []string, drop string) []string {
	out := make([]string, 0, len(list))
	for _, x := range list {
		if x != drop {
			out = append(out, x)
		}
	}
	return out
}
