package daemon

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/e5renew/e5renew/internal/round"
	"github.com/e5renew/e5renew/internal/store"
)

// Policy decides what follows a round: the next run, a pause, a backoff, demoted
// activities, and which events the owner hears about. It is pure: the daemon stores and
// sends what it returns.
type Policy struct {
	// NeedsOwnerRetry is how long a needs-owner pause lasts before one more try (0: until
	// the owner acts).
	NeedsOwnerRetry time.Duration
	// BackoffMin and BackoffMax bound the wait after transient failures in a row.
	BackoffMin, BackoffMax time.Duration
	// DemoteAfter 403/404 failures in a row demote an activity for DemoteFor (doubling
	// while the retries keep failing, at most MaxDemotion).
	DemoteAfter int
	DemoteFor   time.Duration
	// DegradedAfter rounds in a row with failures make a "degrading" event (0: never).
	DegradedAfter int
}

// MaxDemotion bounds how long an activity stays demoted.
const MaxDemotion = 60 * 24 * time.Hour

// Event is something the owner is told about.
type Event struct {
	Kind    string // "needs_owner", "recovered", "degrading"
	Account string
	Code    string
	Message string
	// RetryAt is the next automatic try of a needs-owner pause (zero: none).
	RetryAt time.Time
	// Lasted is how long the problem lasted (recovered), when known.
	Lasted  time.Duration
	Failing []Failing
}

// Failing is an activity that failed in the round (degrading events).
type Failing struct {
	Activity string
	Problem  string
}

// Decision is what the policy decided after a round.
type Decision struct {
	State   store.AccountState
	Health  []store.ActivityHealth // changed entries only
	Changes []store.StateChange
	Events  []Event
}

// Change kinds recorded in the store.
const (
	ChangePaused          = "paused"
	ChangeResumed         = "resumed"
	ChangeRetry           = "retry"
	ChangeBackoff         = "backoff"
	ChangeRecovered       = "recovered"
	ChangeDegrading       = "degrading"
	ChangeDemoted         = "demoted"
	ChangeRestored        = "restored"
	ChangePauseRequested  = "pause_requested"
	ChangeResumeRequested = "resume_requested"
)

// Who changed a state.
const (
	ByDaemon = "daemon"
	ByOwner  = "owner"
	ByConfig = "config"
)

// signInFailed reports whether the round stopped at sign-in.
func signInFailed(r *round.Result) bool {
	return len(r.Activities) > 0 && r.Activities[0].Name == round.SignIn && r.Activities[0].Outcome == round.Failed
}

// graphDown reports whether no call worked after sign-in, for passing reasons
// (throttling, 5xx, network): Microsoft Graph is unavailable for this account.
func graphDown(r *round.Result) bool {
	failed := 0
	for _, a := range r.Activities {
		switch {
		case a.Name == round.SignIn:
		case a.Outcome == round.Ok:
			return false
		case a.Outcome == round.Failed && !demotable(a):
			failed++
		}
	}
	return failed > 0
}

func failures(r *round.Result) []Failing {
	var out []Failing
	for _, a := range r.Activities {
		if a.Outcome == round.Failed {
			out = append(out, Failing{Activity: a.Name, Problem: problem(a)})
		}
	}
	return out
}

// demotable reports whether a failure says the activity cannot work for this account
// (not provisioned, not licensed, not allowed) rather than a passing problem.
func demotable(a round.ActivityResult) bool {
	return a.Outcome == round.Failed && (a.Status == 403 || a.Status == 404)
}

// After decides what follows a finished round. st is the account's state before it,
// health what is known of its activities, next the regular next run already planned,
// fingerprint the account's current credentials.
func (p Policy) After(st store.AccountState, health map[string]store.ActivityHealth, res *round.Result, now, next time.Time, fingerprint string, r *rand.Rand) Decision {
	d := Decision{State: st}
	s := &d.State
	s.Updated = now
	change := func(kind, reason, msg string) {
		d.Changes = append(d.Changes, store.StateChange{Account: st.Account, At: now, Kind: kind, Reason: reason, Message: msg, By: ByDaemon})
	}
	wasProblem := st.Notified != "" || st.Paused || st.Failures > 0

	if res.Verdict == round.NeedsOwner {
		key := "needs_owner:" + res.Reason
		if !st.Paused || st.PauseReason != store.PauseNeedsOwner {
			s.PausedAt = now
		}
		s.Paused, s.PauseReason, s.PauseCode, s.PauseMessage = true, store.PauseNeedsOwner, res.Code, res.Message
		s.PauseUntil = time.Time{}
		if p.NeedsOwnerRetry > 0 {
			s.PauseUntil = now.Add(p.NeedsOwnerRetry)
		}
		s.NextRun = s.PauseUntil
		s.Failures, s.Degraded, s.Fingerprint = 0, 0, fingerprint
		change(ChangePaused, res.Reason, fmt.Sprintf("%s: %s", res.Code, res.Message))
		if st.Notified != key {
			s.Notified = key
			d.Events = append(d.Events, Event{Kind: "needs_owner", Account: st.Account, Code: res.Code, Message: res.Message, RetryAt: s.PauseUntil})
		}
		return d
	}

	// The account signs in (or fails for a passing reason): any pause is over.
	if st.Paused && st.PauseReason == store.PauseNeedsOwner {
		s.Paused, s.PauseReason, s.PauseCode, s.PauseMessage, s.PauseUntil = false, "", "", "", time.Time{}
		change(ChangeResumed, "sign_in_works", "")
	}
	s.NextRun = next

	if signInFailed(res) || graphDown(res) {
		// An outage (sign-in or every call failing for a passing reason): retry sooner
		// than planned, backing off exponentially.
		s.Failures++
		s.Degraded++
		wait := p.backoff(s.Failures, r)
		if at := now.Add(wait); at.Before(next) {
			s.NextRun = at
		}
		reason, failing := res.Reason, []Failing{{Activity: round.SignIn, Problem: firstNonEmpty(res.Code, res.Reason) + " " + res.Message}}
		if !signInFailed(res) {
			reason, failing = "graph_unavailable", failures(res)
		}
		if s.Failures == 1 {
			change(ChangeBackoff, reason, res.Message)
		}
		p.maybeDegrading(&d, st, now, failing)
		return d
	}

	// Activity health: demote what keeps failing with 403/404, restore what works again.
	var failing []Failing
	for _, a := range res.Activities {
		h, known := health[a.Name]
		switch {
		case demotable(a):
			h.Account, h.Activity = st.Account, a.Name
			h.Failures++
			h.LastStatus, h.LastCode, h.Updated = a.Status, a.Code, now
			if p.DemoteAfter > 0 && h.Failures >= p.DemoteAfter {
				period := p.DemoteFor
				for i := p.DemoteAfter; i < h.Failures && period < MaxDemotion; i++ {
					period *= 2
				}
				h.DemotedUntil = now.Add(min(period, MaxDemotion))
				change(ChangeDemoted, a.Name, fmt.Sprintf("%d %s: left out until %s", a.Status, a.Code, h.DemotedUntil.UTC().Format(time.RFC3339)))
			}
			d.Health = append(d.Health, h)
		case a.Outcome == round.Ok && known && (h.Failures > 0 || !h.DemotedUntil.IsZero()):
			if !h.DemotedUntil.IsZero() {
				change(ChangeRestored, a.Name, "")
			}
			h.Failures, h.DemotedUntil, h.Updated = 0, time.Time{}, now
			d.Health = append(d.Health, h)
		case a.Outcome == round.Failed:
			failing = append(failing, Failing{Activity: a.Name, Problem: problem(a)})
		}
	}

	if len(failing) > 0 {
		s.Failures = 0
		s.Degraded++
		p.maybeDegrading(&d, st, now, failing)
		return d
	}

	// Everything that could work worked.
	if wasProblem {
		change(ChangeRecovered, "", "")
	}
	if st.Notified != "" {
		var lasted time.Duration
		if !st.PausedAt.IsZero() {
			lasted = now.Sub(st.PausedAt)
		}
		d.Events = append(d.Events, Event{Kind: "recovered", Account: st.Account, Lasted: lasted})
	}
	s.Failures, s.Degraded, s.Notified, s.PausedAt = 0, 0, "", time.Time{}
	return d
}

func (p Policy) maybeDegrading(d *Decision, st store.AccountState, now time.Time, failing []Failing) {
	if p.DegradedAfter <= 0 || d.State.Degraded < p.DegradedAfter || st.Notified != "" {
		return
	}
	d.State.Notified = "degrading"
	d.Changes = append(d.Changes, store.StateChange{Account: st.Account, At: now, Kind: ChangeDegrading,
		Reason: fmt.Sprintf("%d rounds", d.State.Degraded), By: ByDaemon})
	sort.Slice(failing, func(i, j int) bool { return failing[i].Activity < failing[j].Activity })
	d.Events = append(d.Events, Event{Kind: "degrading", Account: st.Account, Failing: failing})
}

// backoff is the wait after n transient failures in a row: BackoffMin doubled n-1 times,
// at most BackoffMax, then a random half to whole of it (jitter: accounts that failed
// together do not retry together).
func (p Policy) backoff(n int, r *rand.Rand) time.Duration {
	w := p.BackoffMin
	for i := 1; i < n && w < p.BackoffMax; i++ {
		w *= 2
	}
	w = min(w, p.BackoffMax)
	half := w / 2
	return half + time.Duration(r.Int64N(int64(w-half)+1))
}

func problem(a round.ActivityResult) string {
	switch {
	case a.Status != 0 && a.Code != "":
		return fmt.Sprintf("%d %s", a.Status, a.Code)
	case a.Status != 0:
		return fmt.Sprintf("HTTP %d", a.Status)
	case a.Code != "":
		return a.Code
	}
	return truncate(a.Message, 80)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Demoted returns the activities of health demoted at now.
func Demoted(health map[string]store.ActivityHealth, now time.Time) []string {
	var out []string
	for name, h := range health {
		if h.DemotedUntil.After(now) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
