package activity

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/e5renew/e5renew/internal/graph"
)

// Entry is one object a round creates, journaled before the creating call is sent and
// removed once the object is deleted. Leftovers (a crash, a failed delete, a dropped
// connection) are retried by later rounds until gone.
type Entry struct {
	ID       int64
	Account  string
	Activity string
	Kind     string // a registered cleanup kind
	// Marker finds the object again when its id is unknown (the create call's answer was
	// lost): a name, an x- header, a transactionId or an externalId chosen before the call.
	Marker string
	// Ref is what the finder needs besides the marker (a container id, a parent id...).
	Ref string
	// ObjectID is the created object's id, once known.
	ObjectID string
	Created  time.Time
	Attempts int
	LastErr  string
}

// Journal stores entries durably.
type Journal interface {
	// Record inserts the entry (setting its ID) or updates it; it must be durable on return.
	Record(ctx context.Context, e *Entry) error
	// Done removes the entry: the object is gone or was never created.
	Done(ctx context.Context, e *Entry) error
	// Pending lists an account's entries, oldest first.
	Pending(ctx context.Context, account string) ([]*Entry, error)
}

// Kind knows how to remove one sort of object.
type Kind struct {
	Name string
	// Order sorts cleanup: lower first, so contents go before their containers.
	Order int
	// Delete removes the object whose id is known. A 404 counts as deleted.
	Delete func(ctx context.Context, x *Exec, e *Entry) error
	// Find locates the object by marker when its id is unknown; "" when not found.
	Find func(ctx context.Context, x *Exec, e *Entry) (string, error)
	// GiveUpAfter is how long an entry whose object cannot be found is kept before the
	// round concludes it was never created (mail delivery can lag). Default 1 hour.
	GiveUpAfter time.Duration
	// Sweep, when set, lists the objects of this kind that carry an e5renew marker, by
	// listing e5renew's own containers or marker-named objects: it needs no journal, so it
	// finds what a run whose journal was lost left behind (see the package function Sweep).
	// Kinds whose objects go with a swept container (files in a round folder, contacts in a
	// contact folder, tasks in a To Do list) have none.
	Sweep func(ctx context.Context, x *Exec) ([]Swept, error)
	// SweepCalls are the Graph calls Sweep makes, in their delegated form (/me/...), checked
	// against Microsoft's permission data like an activity's calls.
	SweepCalls []Call
	// SweepDelegatedOnly says the listing refuses application tokens whatever their
	// permissions (OneNote), so app-only rounds do not sweep the kind.
	SweepDelegatedOnly bool
}

var kinds = map[string]*Kind{}

func registerKind(ks ...*Kind) {
	regMu.Lock()
	defer regMu.Unlock()
	for _, k := range ks {
		if _, dup := kinds[k.Name]; dup {
			panic("activity: duplicate kind " + k.Name)
		}
		if k.Sweep != nil && len(k.SweepCalls) == 0 {
			panic("activity: kind " + k.Name + " sweeps without declaring its calls")
		}
		kinds[k.Name] = k
	}
}

// LookupKind returns a registered kind.
func LookupKind(name string) (*Kind, bool) {
	regMu.Lock()
	defer regMu.Unlock()
	k, ok := kinds[name]
	return k, ok
}

// Create journals an object, then creates it. create returns the new object's id. When
// create fails for certain (the service answered), the entry is dropped; when the answer
// was lost (the request may have taken effect), the entry stays, without an id, for the
// cleanup to find by marker.
func (x *Exec) Create(ctx context.Context, activity, kind, marker, ref string, create func() (string, error)) (string, error) {
	if _, ok := LookupKind(kind); !ok {
		return "", fmt.Errorf("activity %s: unknown cleanup kind %q", activity, kind)
	}
	e := &Entry{Account: x.Account, Activity: activity, Kind: kind, Marker: marker, Ref: ref, Created: x.Now()}
	if err := x.Journal.Record(ctx, e); err != nil {
		return "", fmt.Errorf("journal before creating %s: %w", kind, err)
	}
	id, err := create()
	if err != nil {
		if ge, ok := graph.AsError(err); ok && ge.Status != 0 && !ge.Uncertain {
			_ = x.Journal.Done(ctx, e) // the service refused: nothing was created
		}
		return "", err
	}
	e.ObjectID = id
	if rerr := x.Journal.Record(ctx, e); rerr != nil {
		return id, fmt.Errorf("journal %s %s: %w", kind, id, rerr)
	}
	return id, nil
}

// CleanupResult reports what a cleanup pass did.
type CleanupResult struct {
	Deleted  int
	Pending  int // still journaled (delete failed or object not found yet)
	Dropped  int // given up: never created
	Failures []error
}

// Cleanup deletes every journaled object of the account: this round's and leftovers of
// earlier rounds. Objects are deleted in kind order (contents before containers); within one
// order, up to four deletes run at once (the per-mailbox limit holds anyway).
func Cleanup(ctx context.Context, x *Exec) CleanupResult {
	var res CleanupResult
	entries, err := x.Journal.Pending(ctx, x.Account)
	if err != nil {
		res.Failures = append(res.Failures, err)
		return res
	}
	sort.SliceStable(entries, func(i, j int) bool { return kindOrder(entries[i].Kind) < kindOrder(entries[j].Kind) })
	var mu sync.Mutex
	for len(entries) > 0 {
		n := 1
		for n < len(entries) && kindOrder(entries[n].Kind) == kindOrder(entries[0].Kind) {
			n++
		}
		group := entries[:n]
		entries = entries[n:]
		sem := make(chan struct{}, 4)
		var wg sync.WaitGroup
		for _, e := range group {
			sem <- struct{}{}
			wg.Add(1)
			go func(e *Entry) {
				defer wg.Done()
				defer func() { <-sem }()
				var r CleanupResult
				cleanOne(ctx, x, e, &r)
				mu.Lock()
				res.Deleted += r.Deleted
				res.Pending += r.Pending
				res.Dropped += r.Dropped
				res.Failures = append(res.Failures, r.Failures...)
				mu.Unlock()
			}(e)
		}
		wg.Wait()
	}
	return res
}

func cleanOne(ctx context.Context, x *Exec, e *Entry, res *CleanupResult) {
	if ctx.Err() != nil {
		res.Pending++
		return
	}
	k, ok := LookupKind(e.Kind)
	if !ok {
		res.Failures = append(res.Failures, fmt.Errorf("journal entry %d: unknown kind %q (left in place)", e.ID, e.Kind))
		res.Pending++
		return
	}
	if e.ObjectID == "" && k.Find != nil {
		id, ferr := k.Find(ctx, x, e)
		if ferr != nil && !notFound(ferr) {
			fail(ctx, x, e, ferr, res)
			return
		}
		if id == "" {
			giveUp := k.GiveUpAfter
			if giveUp == 0 {
				giveUp = time.Hour
			}
			if x.Now().Sub(e.Created) > giveUp {
				_ = x.Journal.Done(ctx, e)
				res.Dropped++
			} else {
				res.Pending++
			}
			return
		}
		e.ObjectID = id
	}
	if e.ObjectID == "" {
		_ = x.Journal.Done(ctx, e)
		res.Dropped++
		return
	}
	if derr := k.Delete(ctx, x, e); derr != nil && !notFound(derr) {
		fail(ctx, x, e, derr, res)
		return
	}
	if err := x.Journal.Done(ctx, e); err != nil {
		res.Failures = append(res.Failures, err)
	}
	res.Deleted++
}

func fail(ctx context.Context, x *Exec, e *Entry, err error, res *CleanupResult) {
	e.Attempts++
	e.LastErr = err.Error()
	_ = x.Journal.Record(ctx, e)
	res.Pending++
	res.Failures = append(res.Failures, fmt.Errorf("clean up %s %s: %w", e.Kind, firstNonEmpty(e.ObjectID, e.Marker), err))
}

func kindOrder(name string) int {
	if k, ok := LookupKind(name); ok {
		return k.Order
	}
	return 1 << 20
}

func notFound(err error) bool {
	ge, ok := graph.AsError(err)
	return ok && (ge.Status == http.StatusNotFound || ge.Status == http.StatusGone)
}

// deleteAt returns a Delete function that sends DELETE to a path built from the entry.
func deleteAt(path func(x *Exec, e *Entry) string) func(context.Context, *Exec, *Entry) error {
	return func(ctx context.Context, x *Exec, e *Entry) error {
		return x.Send(ctx, "DELETE", path(x, e), nil, nil)
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// MemoryJournal is a Journal in memory (tests, and runs without a database).
type MemoryJournal struct {
	mu   sync.Mutex
	next int64
	m    map[int64]*Entry
}

// NewMemoryJournal returns an empty journal.
func NewMemoryJournal() *MemoryJournal { return &MemoryJournal{m: map[int64]*Entry{}} }

// Record implements Journal.
func (j *MemoryJournal) Record(_ context.Context, e *Entry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if e.ID == 0 {
		j.next++
		e.ID = j.next
	}
	c := *e
	j.m[e.ID] = &c
	return nil
}

// Done implements Journal.
func (j *MemoryJournal) Done(_ context.Context, e *Entry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.m, e.ID)
	return nil
}

// Pending implements Journal.
func (j *MemoryJournal) Pending(_ context.Context, account string) ([]*Entry, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*Entry
	for _, e := range j.m {
		if e.Account == account {
			c := *e
			out = append(out, &c)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out, nil
}

// Len is the number of entries.
func (j *MemoryJournal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.m)
}
