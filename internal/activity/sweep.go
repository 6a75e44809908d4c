package activity

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/graphdata"
)

// Sweeping finds what e5renew created without a journal: every object it makes carries a
// marker, in its name, a header or a transactionId, and a kind's sweep lists e5renew's own
// containers and marker-named objects to find them. Sweep journals those old enough to be
// leftovers, so the round's Cleanup deletes them. A run that keeps no journal between runs (a
// GitHub Actions job starts with an empty state store) depends on it; the daemon keeps a
// durable journal and does not.

// SweepAge is how old an object must be before a sweep takes it for a leftover. Rounds last
// minutes; an object hours old belongs to a run that crashed, was cancelled or lost its
// journal, never to a concurrent round (another account on the same mailbox) still using it.
const SweepAge = 3 * time.Hour

// Swept is an object a kind's sweep found.
type Swept struct {
	ID     string // the object's id, for the kind's Delete
	Marker string // the e5renew marker it carries (for a round folder: its name)
	Ref    string // what the kind's Delete and Find need besides the id, as Entry.Ref
	// Created is the object's own creation time when Graph gives one; zero otherwise.
	Created time.Time
}

// SweepResult reports what a sweep did.
type SweepResult struct {
	Found     int `json:"found"`     // objects carrying an e5renew marker
	Journaled int `json:"journaled"` // old enough: journaled for this round's cleanup
	Young     int `json:"young"`     // too recent (a concurrent round's): left alone
	Known     int `json:"known"`     // already in the journal
	// Denied lists the kinds whose listing the token was refused (403: the permission is
	// not granted). That is no failure: whoever can see those objects sweeps them.
	Denied   []string `json:"denied,omitempty"`
	Failures []error  `json:"-"`
}

// Kinds returns the registered kinds sorted by name.
func Kinds() []*Kind {
	regMu.Lock()
	defer regMu.Unlock()
	out := make([]*Kind, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Workload is the workload the kind belongs to: the part of its name before the dot.
func (k *Kind) Workload() Workload {
	w, _, _ := strings.Cut(k.Name, ".")
	return Workload(w)
}

// Sweepable reports whether a token holding perms (scp or roles) may make every call of the
// kind's sweep. As for activities, the official table decides.
func (k *Kind) Sweepable(tab *graphdata.Table, delegated bool, perms []string) bool {
	if k.Sweep == nil || (!delegated && k.SweepDelegatedOnly) {
		return false
	}
	return callsAccepted(tab, k.SweepCalls, delegated, perms)
}

// Sweep runs the sweep of every kind that has one; see SweepKinds.
func Sweep(ctx context.Context, x *Exec, minAge time.Duration) SweepResult {
	var ks []*Kind
	for _, k := range Kinds() {
		if k.Sweep != nil {
			ks = append(ks, k)
		}
	}
	return SweepKinds(ctx, x, minAge, ks)
}

// SweepKinds runs the sweeps of the given kinds and journals each object found that is at
// least minAge old and not journaled already, so that Cleanup deletes it. An object's age
// comes from its marker; for a marker of the old form without a time, from the object's
// creation time in Graph; when neither is known the object counts as old. A kind whose
// listing is refused (403) is reported in Denied and the others go on; a kind's container
// that does not exist (404) holds nothing to sweep.
func SweepKinds(ctx context.Context, x *Exec, minAge time.Duration, ks []*Kind) SweepResult {
	var res SweepResult
	pending, err := x.Journal.Pending(ctx, x.Account)
	if err != nil {
		res.Failures = append(res.Failures, fmt.Errorf("read the journal before sweeping: %w", err))
		return res
	}
	known := map[string]bool{}
	for _, e := range pending {
		known[e.Kind+"\x00"+e.Marker] = true
	}
	now := x.Now()
	for _, k := range ks {
		if k.Sweep == nil || (x.AppOnly && k.SweepDelegatedOnly) {
			continue
		}
		if err := ctx.Err(); err != nil {
			res.Failures = append(res.Failures, fmt.Errorf("sweep stopped before %s: %w", k.Name, err))
			break
		}
		found, err := k.Sweep(ctx, x)
		if err != nil {
			ge, _ := graph.AsError(err)
			switch {
			case ge != nil && ge.Status == http.StatusForbidden:
				res.Denied = append(res.Denied, k.Name)
			case notFound(err):
			default:
				res.Failures = append(res.Failures, fmt.Errorf("look for leftovers of %s: %w", k.Name, err))
			}
		}
		for _, s := range found {
			res.Found++
			if known[k.Name+"\x00"+s.Marker] {
				res.Known++
				continue
			}
			if !sweptOld(s, now, minAge) {
				res.Young++
				continue
			}
			if _, err := x.Create(ctx, "sweep", k.Name, s.Marker, s.Ref, func() (string, error) { return s.ID, nil }); err != nil {
				res.Failures = append(res.Failures, fmt.Errorf("journal the leftover %s %s: %w", k.Name, s.Marker, err))
				continue
			}
			res.Journaled++
		}
	}
	return res
}

// sweptOld reports whether a found object is at least minAge old.
func sweptOld(s Swept, now time.Time, minAge time.Duration) bool {
	t, ok := MarkerTime(s.Marker)
	if !ok {
		t = s.Created
	}
	return t.IsZero() || now.Sub(t) >= minAge
}
