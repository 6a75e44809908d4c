// Package schedule computes when each account runs next: a random interval (Renew Plus's
// 500 s to 86,400 s style) or a cron expression (Office365Auto's "0 8-18 * * 1-6"),
// limited to daily working windows and working weekdays in the account's time zone. It is
// pure logic: the time and the random source are always passed in, nothing sleeps, and
// nothing is shared between calls.
package schedule

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Spec is one account's schedule. Make it with New, NewCron or Config.Spec, which refuse
// a schedule that allows no time at all; the zero Spec allows nothing, and its Next
// returns after+1h. A Spec is immutable and safe for concurrent use (each caller brings
// its own *rand.Rand).
type Spec struct {
	interval Interval
	windows  []Window // sorted by start; nil for the whole day
	days     Weekdays
	loc      *time.Location
	cron     Cron
	spread   time.Duration
}

// New returns a random-interval schedule: each run follows the previous one after a
// uniformly random delay in [iv.Min, iv.Max], moved into the next working window when it
// falls outside. No windows means the whole day; a nil loc means UTC.
func New(iv Interval, windows []Window, days Weekdays, loc *time.Location) (Spec, error) {
	if err := iv.validate(""); err != nil {
		return Spec{}, err
	}
	s, err := newSpec(windows, days, loc)
	if err != nil {
		return Spec{}, err
	}
	s.interval = iv
	return s, nil
}

// NewCron returns a cron schedule: each run is at the next cron time (in loc) that lies in
// a working window on a working day, plus a random spread in [0, spread), cut short so that
// it stays before the next cron time and inside the window. The cron must run at least
// once a week within the windows and days.
func NewCron(c Cron, spread time.Duration, windows []Window, days Weekdays, loc *time.Location) (Spec, error) {
	if c.IsZero() {
		return Spec{}, fmt.Errorf("cron is empty: %s", cronHint)
	}
	if spread < 0 || spread > MaxSpread {
		return Spec{}, fmt.Errorf("spread %s must be between 0 and 24h", spread)
	}
	s, err := newSpec(windows, days, loc)
	if err != nil {
		return Spec{}, err
	}
	s.cron, s.spread = c, spread
	if err := s.checkCron(); err != nil {
		return Spec{}, err
	}
	return s, nil
}

func newSpec(windows []Window, days Weekdays, loc *time.Location) (Spec, error) {
	if loc == nil {
		loc = time.UTC
	}
	if days&^AllDays != 0 {
		return Spec{}, fmt.Errorf("days %08b has bits beyond the seven weekdays", uint8(days))
	}
	if days == 0 {
		return Spec{}, fmt.Errorf("no working days: the schedule would never run; write days: all, or e.g. days: mon-sat")
	}
	var ws []Window
	if !isAllDay(windows) {
		if err := checkWindows(windows); err != nil {
			return Spec{}, err
		}
		ws = make([]Window, len(windows))
		copy(ws, windows)
		slices.SortFunc(ws, func(a, b Window) int { return a.Start - b.Start })
	}
	return Spec{windows: ws, days: days, loc: loc}, nil
}

// checkCron refuses a cron that, within the windows and days, can leave more than a week
// without a run (or never runs). From every midnight of a reference period the next run
// must come within 7 days (and 3 hours, for clock changes), so from any instant it comes
// within 8. A cron whose day of
// month and month are "*" repeats weekly and one week tells; others are walked for 400
// days.
func (s Spec) checkCron() error {
	loc := s.location()
	ref := time.Date(2025, time.January, 6, 0, 0, 0, 0, loc) // a Monday
	span := 8 * 24 * time.Hour
	if !s.cron.weekly() {
		span = 400 * 24 * time.Hour
	}
	const week = 7*24*time.Hour + 3*time.Hour // a clock change makes a week an hour (or two) longer
	for t := ref; t.Before(ref.Add(span)); {
		n := s.nextCronAllowed(t)
		if n.IsZero() || n.Sub(t) > week {
			return s.cronGapError(t, n.IsZero() && t.Equal(ref))
		}
		next := t.AddDate(0, 0, 1)
		if n.After(next) {
			next = n
		}
		t = next
	}
	return nil
}

// cronGapError explains why the cron runs too rarely from t: on its own, or because of the
// windows and days.
func (s Spec) cronGapError(t time.Time, never bool) error {
	loc := s.location()
	raw := s.cron.next(t, loc)
	if s.restricted() && !raw.IsZero() && raw.Sub(t) <= 7*24*time.Hour {
		where := fmt.Sprintf("inside hours %s on days %s (time zone %s)", orAllDay(FormatWindows(s.windows)), s.days, loc)
		if never {
			return fmt.Errorf("cron %q never runs %s: widen the hours or days, or change the cron", s.cron, where)
		}
		return fmt.Errorf("cron %q can go more than a week without a run %s, e.g. after %s: widen the hours or days, or change the cron",
			s.cron, where, t.Format("Mon 2006-01-02"))
	}
	return fmt.Errorf("cron %q can go more than a week without a run (e.g. after %s): e5renew needs at least one run a week; use a more frequent expression such as \"0 9 * * 1-5\"",
		s.cron, t.Format("Mon 2006-01-02"))
}

func orAllDay(s string) string {
	if s == "" {
		return "all day"
	}
	return s
}

// Interval returns the random interval (zero in cron mode).
func (s Spec) Interval() Interval { return s.interval }

// Windows returns a copy of the working windows; nil means the whole day.
func (s Spec) Windows() []Window {
	if len(s.windows) == 0 {
		return nil
	}
	return append([]Window(nil), s.windows...)
}

// Days returns the working weekdays.
func (s Spec) Days() Weekdays { return s.days }

// Location returns the time zone that windows, days and cron fields are read in.
func (s Spec) Location() *time.Location { return s.location() }

// Cron returns the cron expression; its IsZero is true in random-interval mode.
func (s Spec) Cron() Cron { return s.cron }

// Spread returns the cron spread (zero in random-interval mode).
func (s Spec) Spread() time.Duration { return s.spread }

// String describes the schedule for `e5renew plan` and logs:
// "every 30m-2h, 09:00-18:00, mon-sat, Asia/Shanghai" or
// "cron 0 8-18 * * 1-6 (+0-10m), all day, all days, UTC".
func (s Spec) String() string {
	var b strings.Builder
	if !s.cron.IsZero() {
		fmt.Fprintf(&b, "cron %s", s.cron)
		if s.spread > 0 {
			fmt.Fprintf(&b, " (+0-%s)", formatDuration(s.spread))
		}
	} else {
		fmt.Fprintf(&b, "every %s", s.interval)
	}
	days := s.days.String()
	if s.days == AllDays {
		days = "all days"
	}
	fmt.Fprintf(&b, ", %s, %s, %s", orAllDay(FormatWindows(s.windows)), days, s.location())
	return b.String()
}

// Next returns when to run after a run (or a plan) at `after`; it is always strictly after
// `after`.
//
// Random mode: after plus a uniformly random delay in [Min, Max] (whole seconds); if that
// instant is outside the working windows and days, a uniformly random instant inside the
// next window instead, never its first second, so that accounts with the same schedule do
// not all fire when a window opens. The result is at most Max + 7 days after `after` (an
// hour more across a clock change; two weeks if a clock change removes a week's only
// window).
//
// Cron mode: the next cron time after `after` that lies inside a window on a working day,
// plus a random spread in [0, Spread) that never reaches the next cron time or leaves the
// window. Within 8 days plus the spread (NewCron checks this).
func (s Spec) Next(after time.Time, r *rand.Rand) time.Time {
	if !s.cron.IsZero() {
		return s.nextCron(after, r)
	}
	target := after.Add(randBetween(r, s.interval.Min, s.interval.Max))
	if target.After(after) && s.Allowed(target) {
		return target
	}
	st, en := s.nextOccurrence(target)
	if st.IsZero() {
		return s.fallback(after)
	}
	return pickInside(r, st, en)
}

func (s Spec) nextCron(after time.Time, r *rand.Rand) time.Time {
	c := s.nextCronAllowed(after)
	if c.IsZero() {
		if st, en := s.nextOccurrence(after); !st.IsZero() {
			return pickInside(r, st, en)
		}
		return s.fallback(after)
	}
	room := s.spread
	if n := s.cron.next(c, s.location()); !n.IsZero() && n.Sub(c) < room {
		room = n.Sub(c)
	}
	if s.restricted() {
		if _, en, ok := s.occurrenceAt(c); ok && en.Sub(c) < room {
			room = en.Sub(c)
		}
	}
	return c.Add(randBelow(r, room))
}

// nextCronAllowed returns the first cron time after t inside a working window, or zero if
// there is none within searchDays.
func (s Spec) nextCronAllowed(t time.Time) time.Time {
	loc := s.location()
	limit := t.AddDate(0, 0, searchDays)
	for range 10000 {
		c := s.cron.next(t, loc)
		if c.IsZero() || c.After(limit) {
			return time.Time{}
		}
		if s.Allowed(c) {
			return c
		}
		st, _ := s.nextOccurrence(c)
		if st.IsZero() {
			return time.Time{}
		}
		t = st.Add(-time.Nanosecond) // the cron's next time at or after the window's start
	}
	return time.Time{}
}

// fallback is Next for a Spec that allows no time (only the zero Spec): an hour or Max on.
func (s Spec) fallback(after time.Time) time.Time {
	return after.Add(max(s.interval.Max, time.Hour))
}

// Plan returns the next n planned run times after `after`, each computed by Next from the
// one before: what `e5renew plan --account X --next 20` shows.
func (s Spec) Plan(after time.Time, n int, r *rand.Rand) []time.Time {
	if n <= 0 {
		return nil
	}
	out := make([]time.Time, n)
	t := after
	for i := range out {
		t = s.Next(t, r)
		out[i] = t
	}
	return out
}

// How soon a run missed while the daemon was down is made up.
const (
	ResumeDelayMin = 30 * time.Second
	ResumeDelayMax = 5 * time.Minute
)

// Resume decides the next run after a restart from the stored plan. A plan still in the
// future is kept (unless it is further away than this schedule could ever plan, after a
// configuration change or a clock moved back: then Next(now)). A plan in the past (missed
// while the daemon was down, however many rounds) or none (the zero time: a new account)
// runs once, soon: at a random instant 30 s to 5 min from now (no later than the interval
// allows, for intervals shorter than that) if that is allowed (in cron
// mode: also in an hour the cron runs in, and no cron time comes within those 5 minutes,
// else that cron time is the run), otherwise at a random instant inside the next window
// (in cron mode: the next cron time). Never a burst of every missed round.
func Resume(stored, now time.Time, s Spec, r *rand.Rand) time.Time {
	if stored.After(now) {
		if stored.Sub(now) <= s.horizon() {
			return stored
		}
		return s.Next(now, r)
	}
	if !s.cron.IsZero() {
		// A cron time within the next few minutes is the made-up run.
		if c := s.nextCronAllowed(now); !c.IsZero() && c.Sub(now) <= ResumeDelayMax {
			return s.Next(now, r)
		}
	}
	lo, hi := ResumeDelayMin, ResumeDelayMax
	if s.cron.IsZero() && s.interval.Max > 0 {
		// A schedule shorter than the delay (seconds, against the emulator) catches up
		// within its own interval.
		lo, hi = min(lo, s.interval.Min), min(hi, s.interval.Max)
	}
	soon := now.Add(randBetween(r, lo, hi))
	if s.Allowed(soon) && (s.cron.IsZero() || s.cron.active(soon, s.location())) {
		return soon
	}
	if !s.cron.IsZero() {
		return s.Next(now, r)
	}
	st, en := s.nextOccurrence(now)
	if st.IsZero() {
		return s.fallback(now)
	}
	return pickInside(r, st, en)
}

// horizon is further than any Next of this spec reaches.
func (s Spec) horizon() time.Duration {
	return s.interval.Max + s.spread + (searchDays+2)*24*time.Hour
}

// randBetween returns a uniformly random duration in [lo, hi] in whole seconds from lo.
func randBetween(r *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	n := int64((hi - lo) / time.Second)
	return lo + time.Duration(r.Int64N(n+1))*time.Second
}

// randBelow returns a uniformly random duration in [0, d) in whole seconds (0 if d <= 0).
func randBelow(r *rand.Rand, d time.Duration) time.Duration {
	n := int64((d + time.Second - 1) / time.Second)
	if n <= 1 {
		return 0
	}
	return time.Duration(r.Int64N(n)) * time.Second
}

// pickInside returns a uniformly random instant in [start+1s, end): inside the window,
// never its first second.
func pickInside(r *rand.Rand, start, end time.Time) time.Time {
	lo := start.Add(time.Second)
	return lo.Add(randBelow(r, end.Sub(lo)))
}
