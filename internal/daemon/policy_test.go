package daemon

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/round"
	"github.com/e5renew/e5renew/internal/store"
)

var (
	t0   = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	next = t0.Add(3 * time.Hour)
	pol  = Policy{NeedsOwnerRetry: 24 * time.Hour, BackoffMin: 2 * time.Minute, BackoffMax: 6 * time.Hour,
		DemoteAfter: 3, DemoteFor: 7 * 24 * time.Hour, DegradedAfter: 3}
)

func rng() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

func signIn(ok bool) round.ActivityResult {
	if ok {
		return round.ActivityResult{Name: round.SignIn, Workload: "auth", Outcome: round.Ok}
	}
	return round.ActivityResult{Name: round.SignIn, Workload: "auth", Outcome: round.Failed}
}

func okRound() *round.Result {
	return &round.Result{Verdict: round.OK, Activities: []round.ActivityResult{signIn(true),
		{Name: "mail.list_messages", Workload: "mail", Outcome: round.Ok}}}
}

func needsOwner(reason string) *round.Result {
	return &round.Result{Verdict: round.NeedsOwner, Reason: reason, Code: "AADSTS700082", Message: "sign in again",
		Activities: []round.ActivityResult{signIn(false)}}
}

func transient() *round.Result {
	return &round.Result{Verdict: round.Degraded, Reason: "service_unavailable", Message: "try later",
		Activities: []round.ActivityResult{signIn(false)}}
}

func failing(name string, status int, code string) *round.Result {
	return &round.Result{Verdict: round.Degraded, Activities: []round.ActivityResult{signIn(true),
		{Name: "mail.list_messages", Workload: "mail", Outcome: round.Ok},
		{Name: name, Workload: "x", Outcome: round.Failed, Status: status, Code: code}}}
}

func kinds(cs []store.StateChange) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Kind)
	}
	return out
}

func TestNeedsOwnerPausesAndTellsOnce(t *testing.T) {
	st := store.AccountState{Account: "a", NextRun: t0}
	d := pol.After(st, nil, needsOwner("refresh_token_expired"), t0, next, "fp1", rng())
	s := d.State
	if !s.Paused || s.PauseReason != store.PauseNeedsOwner || s.PauseCode != "AADSTS700082" || s.Fingerprint != "fp1" {
		t.Fatalf("state = %+v, want paused for the owner with the code and fingerprint", s)
	}
	if !s.PauseUntil.Equal(t0.Add(24*time.Hour)) || !s.NextRun.Equal(s.PauseUntil) || !s.PausedAt.Equal(t0) {
		t.Errorf("pause until %v, next %v, at %v; want the long backoff", s.PauseUntil, s.NextRun, s.PausedAt)
	}
	if len(d.Events) != 1 || d.Events[0].Kind != "needs_owner" || d.Events[0].Code != "AADSTS700082" || !d.Events[0].RetryAt.Equal(s.PauseUntil) {
		t.Fatalf("events = %+v, want one needs_owner", d.Events)
	}
	if got := kinds(d.Changes); len(got) != 1 || got[0] != ChangePaused {
		t.Errorf("changes = %v", got)
	}
	// The retry a day later fails the same way: paused again, no second message, and
	// PausedAt still says when the problem began.
	d2 := pol.After(s, nil, needsOwner("refresh_token_expired"), t0.Add(24*time.Hour), next, "fp1", rng())
	if len(d2.Events) != 0 {
		t.Errorf("second failure sent %+v; one message per problem", d2.Events)
	}
	if !d2.State.PausedAt.Equal(t0) || !d2.State.Paused {
		t.Errorf("state after the retry = %+v", d2.State)
	}
	// A different problem is a new message.
	d3 := pol.After(d2.State, nil, needsOwner("refresh_token_revoked"), t0.Add(48*time.Hour), next, "fp1", rng())
	if len(d3.Events) != 1 {
		t.Errorf("a new reason sent %d messages, want 1", len(d3.Events))
	}
	// Then it works: resumed, recovered once, and the problem's duration told.
	d4 := pol.After(d3.State, nil, okRound(), t0.Add(72*time.Hour), next, "fp2", rng())
	if d4.State.Paused || d4.State.Notified != "" || !d4.State.NextRun.Equal(next) {
		t.Errorf("state after recovering = %+v", d4.State)
	}
	if len(d4.Events) != 1 || d4.Events[0].Kind != "recovered" || d4.Events[0].Lasted != 72*time.Hour {
		t.Errorf("events = %+v, want recovered after 72h", d4.Events)
	}
	if got := kinds(d4.Changes); len(got) != 2 || got[0] != ChangeResumed || got[1] != ChangeRecovered {
		t.Errorf("changes = %v, want resumed, recovered", got)
	}
}

func TestNeedsOwnerWithoutRetry(t *testing.T) {
	p := pol
	p.NeedsOwnerRetry = 0
	d := p.After(store.AccountState{Account: "a"}, nil, needsOwner("bad_password"), t0, next, "", rng())
	if !d.State.Paused || !d.State.PauseUntil.IsZero() || !d.State.NextRun.IsZero() {
		t.Errorf("state = %+v, want paused with no next run", d.State)
	}
}

func TestTransientFailuresBackOffExponentially(t *testing.T) {
	p := pol
	st := store.AccountState{Account: "a"}
	far := t0.Add(30 * 24 * time.Hour)
	r := rng()
	var waits []time.Duration
	for i := range 10 {
		now := t0.Add(time.Duration(i) * time.Hour)
		d := p.After(st, nil, transient(), now, far, "", r)
		st = d.State
		if st.Paused {
			t.Fatal("a transient failure paused the account")
		}
		if st.Failures != i+1 {
			t.Fatalf("failures = %d, want %d", st.Failures, i+1)
		}
		w := st.NextRun.Sub(now)
		base := min(p.BackoffMin<<i, p.BackoffMax)
		if w < base/2 || w > base {
			t.Errorf("failure %d: wait %v, want in [%v, %v]", i+1, w, base/2, base)
		}
		waits = append(waits, w)
		if i == 0 && (len(d.Changes) != 1 || d.Changes[0].Kind != ChangeBackoff) {
			t.Errorf("first failure changes = %v, want backoff", kinds(d.Changes))
		}
		if i > 0 && len(d.Changes) > 0 && d.Changes[0].Kind == ChangeBackoff {
			t.Errorf("failure %d recorded another backoff change", i+1)
		}
		if (i+1 == p.DegradedAfter) != (len(d.Events) == 1) {
			t.Errorf("failure %d: events %+v; a degrading message exactly at the %dth", i+1, d.Events, p.DegradedAfter)
		}
	}
	if waits[9] > p.BackoffMax || waits[9] < p.BackoffMax/2 {
		t.Errorf("wait after 10 failures %v, want capped near %v", waits[9], p.BackoffMax)
	}
	// Never later than the regular plan.
	d := p.After(st, nil, transient(), t0, t0.Add(time.Minute), "", r)
	if !d.State.NextRun.Equal(t0.Add(time.Minute)) {
		t.Errorf("next = %v, want the regular plan when it is sooner", d.State.NextRun)
	}
	// Recovery clears it and says so once.
	d = p.After(st, nil, okRound(), t0, next, "", r)
	if d.State.Failures != 0 || d.State.Degraded != 0 || len(d.Events) != 1 || d.Events[0].Kind != "recovered" {
		t.Errorf("after recovery: state %+v events %+v", d.State, d.Events)
	}
}

func TestDemotesActivitiesThatKeepFailing404(t *testing.T) {
	st := store.AccountState{Account: "a"}
	health := map[string]store.ActivityHealth{}
	r := rng()
	for i := range 3 {
		now := t0.Add(time.Duration(i) * time.Hour)
		d := pol.After(st, health, failing("onedrive.list_root", 404, "ResourceNotFound"), now, next, "", r)
		st = d.State
		for _, h := range d.Health {
			health[h.Activity] = h
		}
		h := health["onedrive.list_root"]
		if h.Failures != i+1 {
			t.Fatalf("failures = %d", h.Failures)
		}
		if demoted := !h.DemotedUntil.IsZero(); demoted != (i == 2) {
			t.Errorf("round %d: demoted %v", i+1, demoted)
		}
		// A 404 alone does not make the account degraded: no message about it.
		if st.Degraded != 0 || len(d.Events) != 0 {
			t.Errorf("round %d: degraded %d, events %+v", i+1, st.Degraded, d.Events)
		}
	}
	if got := Demoted(health, t0.Add(3*time.Hour)); len(got) != 1 || got[0] != "onedrive.list_root" {
		t.Fatalf("Demoted = %v", got)
	}
	until := health["onedrive.list_root"].DemotedUntil
	if !until.Equal(t0.Add(2*time.Hour + 7*24*time.Hour)) {
		t.Errorf("demoted until %v, want 7 days", until)
	}
	if got := Demoted(health, until.Add(time.Second)); len(got) != 0 {
		t.Errorf("still demoted after the period: %v", got)
	}
	// The retry after the period fails again: demoted twice as long.
	d := pol.After(st, health, failing("onedrive.list_root", 404, "ResourceNotFound"), until, next, "", r)
	h := d.Health[0]
	if !h.DemotedUntil.Equal(until.Add(14 * 24 * time.Hour)) {
		t.Errorf("second demotion until %v, want 14 days", h.DemotedUntil)
	}
	health[h.Activity] = h
	// It works at last: restored.
	ok := okRound()
	ok.Activities = append(ok.Activities, round.ActivityResult{Name: "onedrive.list_root", Outcome: round.Ok})
	d = pol.After(st, health, ok, until.Add(30*24*time.Hour), next, "", r)
	if len(d.Health) != 1 || d.Health[0].Failures != 0 || !d.Health[0].DemotedUntil.IsZero() {
		t.Errorf("health after success = %+v", d.Health)
	}
	if got := kinds(d.Changes); len(got) != 1 || got[0] != ChangeRestored {
		t.Errorf("changes = %v, want restored", got)
	}
}

func TestDegradingToldOnceAfterN(t *testing.T) {
	st := store.AccountState{Account: "a"}
	var told int
	for i := range 6 {
		d := pol.After(st, nil, failing("mail.send", 500, "generalException"), t0.Add(time.Duration(i)*time.Hour), next, "", rng())
		st = d.State
		told += len(d.Events)
		if i == 2 && (len(d.Events) != 1 || d.Events[0].Kind != "degrading" || d.Events[0].Failing[0].Problem != "500 generalException") {
			t.Errorf("third round events = %+v", d.Events)
		}
		if !st.NextRun.Equal(next) {
			t.Errorf("a degraded round changed the plan: %v", st.NextRun)
		}
	}
	if told != 1 {
		t.Errorf("told %d times over 6 degraded rounds, want once", told)
	}
	p := pol
	p.DegradedAfter = 0
	st = store.AccountState{Account: "a"}
	for range 5 {
		d := p.After(st, nil, failing("mail.send", 500, "x"), t0, next, "", rng())
		st = d.State
		if len(d.Events) != 0 {
			t.Fatal("degraded_after 0 still sent a message")
		}
	}
}
