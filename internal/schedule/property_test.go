package schedule_test

import (
	"sort"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/e5renew/e5renew/internal/schedule"
)

var (
	propZones = []string{"UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York"}
	propCrons = []string{
		"0 8-18 * * 1-6", "*/15 * * * *", "0 * * * *", "30 9 * * 1-5", "0 2 * * *", "@hourly",
		"@daily", "17 */3 * * *", "0 9 * * 1", "45 23 * * 0,3", "5,35 1-3 * * *", "0 9 1-7 * 1",
	}
	// Clock changes in the four zones, 2025 and 2026.
	propChanges = []string{
		"2025-03-09 07:00", "2025-03-30 01:00", "2025-10-26 01:00", "2025-11-02 06:00",
		"2026-03-08 07:00", "2026-03-29 01:00", "2026-10-25 01:00", "2026-11-01 06:00",
	}
)

// genWindows draws 0 to 3 non-overlapping windows, sometimes one crossing midnight.
func genWindows(t *rapid.T) []schedule.Window {
	n := rapid.IntRange(0, 3).Draw(t, "windows")
	if n == 0 {
		return nil
	}
	pts := rapid.SliceOfNDistinct(rapid.IntRange(0, 1439), 2*n, 2*n, rapid.ID[int]).Draw(t, "bounds")
	sort.Ints(pts)
	cross := rapid.Bool().Draw(t, "cross midnight")
	ws := make([]schedule.Window, n)
	for i := range ws {
		if cross { // (p1,p2), (p3,p4), ..., (p2n-1, p0)
			ws[i] = schedule.Window{Start: pts[2*i+1], End: pts[(2*i+2)%(2*n)]}
		} else {
			ws[i] = schedule.Window{Start: pts[2*i], End: pts[2*i+1]}
		}
	}
	if !cross && rapid.IntRange(0, 4).Draw(t, "to midnight") == 0 {
		ws[n-1].End = 1440
	}
	return ws
}

type propSpec struct {
	s schedule.Spec
	// slack is how far Next may go beyond Max + 7 days (random) or 8 days + spread (cron).
	slack time.Duration
}

func genSpec(t *rapid.T) propSpec {
	loc, err := time.LoadLocation(rapid.SampledFrom(propZones).Draw(t, "zone"))
	if err != nil {
		t.Fatal(err)
	}
	ws := genWindows(t)
	days := schedule.Weekdays(rapid.Uint8Range(1, 127).Draw(t, "days"))
	slack := 2 * time.Hour // a clock change moves a week's windows by an hour
	for _, w := range ws {
		if end := w.Start + int(w.Length()/time.Minute); w.Start >= 120 && end <= 180 {
			slack += 7 * 24 * time.Hour // the change skips this window once a year
		}
	}
	if rapid.Bool().Draw(t, "cron mode") {
		expr := rapid.SampledFrom(propCrons).Draw(t, "cron")
		c, err := schedule.ParseCron(expr)
		if err != nil {
			t.Fatal(err)
		}
		spread := rapid.SampledFrom([]time.Duration{0, time.Second, time.Minute, 10 * time.Minute, time.Hour}).Draw(t, "spread")
		s, err := schedule.NewCron(c, spread, ws, days, loc)
		if err != nil { // this cron never or too rarely runs inside these windows and days
			s, err = schedule.NewCron(c, spread, nil, schedule.AllDays, loc)
			if err != nil {
				t.Fatal(err)
			}
		}
		if expr == "0 2 * * *" || expr == "5,35 1-3 * * *" {
			slack += 7 * 24 * time.Hour
		}
		return propSpec{s, slack + s.Spread() + 8*24*time.Hour}
	}
	lo := rapid.Int64Range(60, 86400).Draw(t, "min seconds")
	hi := rapid.Int64Range(lo, 86400).Draw(t, "max seconds")
	s, err := schedule.New(schedule.Interval{Min: time.Duration(lo) * time.Second, Max: time.Duration(hi) * time.Second}, ws, days, loc)
	if err != nil {
		t.Fatalf("%v %s: %v", ws, days, err)
	}
	return propSpec{s, slack + s.Interval().Max + 7*24*time.Hour}
}

// genTime draws an instant in 2024-2026, a third of them within three days of a clock change.
func genTime(t *rapid.T, label string) time.Time {
	if rapid.IntRange(0, 2).Draw(t, label+" near a change") == 0 {
		c, _ := time.Parse("2006-01-02 15:04", rapid.SampledFrom(propChanges).Draw(t, label+" change"))
		return c.Add(time.Duration(rapid.Int64Range(-3*86400, 3*86400).Draw(t, label+" offset")) * time.Second)
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(rapid.Int64Range(0, 3*365*86400).Draw(t, label)) * time.Second).
		Add(time.Duration(rapid.Int64Range(0, 999).Draw(t, label+" ms")) * time.Millisecond)
}

// Next is always strictly after `after`, always Allowed, and within bounds.
func TestNextProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genSpec(t)
		s := p.s
		after := genTime(t, "after")
		r := rng(rapid.Uint64().Draw(t, "seed"))
		next := s.Next(after, r)
		if !next.After(after) {
			t.Fatalf("%s: Next(%s) = %s, not after", s, fmtT(after), fmtT(next))
		}
		if !s.Allowed(next) {
			t.Fatalf("%s: Next(%s) = %s, not allowed", s, fmtT(after), fmtT(next.In(s.Location())))
		}
		if d := next.Sub(after); d > p.slack {
			t.Fatalf("%s: Next(%s) = %s, %v later (limit %v)", s, fmtT(after), fmtT(next.In(s.Location())), d, p.slack)
		}
		if s.Cron().IsZero() {
			if d := next.Sub(after); d < s.Interval().Min {
				t.Fatalf("%s: Next %v after, less than Min", s, d)
			}
			if s.Windows() == nil && s.Days() == schedule.AllDays && next.Sub(after) > s.Interval().Max {
				t.Fatalf("%s: unrestricted, Next %v after, more than Max", s, next.Sub(after))
			}
		} else {
			// The cron time it belongs to, and the spread after it.
			c := s.NextAllowedCronTime(after)
			if next.Before(c) || next.Sub(c) >= max(s.Spread(), time.Second) {
				t.Fatalf("%s: Next(%s) = %s, cron time %s", s, fmtT(after), fmtT(next), fmtT(c))
			}
			if n := s.NextCronTime(c); !n.IsZero() && !next.Before(n) {
				t.Fatalf("%s: Next(%s) = %s reaches the next cron time %s", s, fmtT(after), fmtT(next), fmtT(n))
			}
		}
		// The fast wall-clock path and the occurrence rules agree.
		for _, u := range []time.Time{after, next, genTime(t, "probe")} {
			st, en, ok := s.OccurrenceAt(u)
			fst, fen, fok := s.OccurrenceAtFast(u)
			if ok != fok || !st.Equal(fst) || !en.Equal(fen) {
				t.Fatalf("%s at %s: the rules say %v %s-%s, the shortcut %v %s-%s", s, fmtT(u.In(s.Location())), ok, fmtT(st), fmtT(en), fok, fmtT(fst), fmtT(fen))
			}
			if s.Allowed(u) != ok && !(s.Windows() == nil && s.Days() == schedule.AllDays) {
				t.Fatalf("%s: Allowed(%s) = %v, the rules say %v", s, fmtT(u.In(s.Location())), !ok, ok)
			}
		}
		// NextWindowStart is a start: inside, after t, and nothing between t and it begins.
		ws := s.NextWindowStart(after)
		if !ws.After(after) || !s.Allowed(ws) {
			t.Fatalf("%s: NextWindowStart(%s) = %s", s, fmtT(after), fmtT(ws))
		}
		if st, _, ok := s.OccurrenceAt(ws); !ok || !st.Equal(ws) {
			t.Fatalf("%s: NextWindowStart(%s) = %s is not a window's start (%s)", s, fmtT(after), fmtT(ws), fmtT(st))
		}
		probe := after.Add(time.Duration(rapid.Int64Range(0, int64(ws.Sub(after))).Draw(t, "probe between")))
		if st, _, ok := s.OccurrenceAt(probe); ok && probe.Before(ws) && st.After(after) {
			t.Fatalf("%s: a window starts at %s, between %s and NextWindowStart %s", s, fmtT(st), fmtT(after), fmtT(ws))
		}
	})
}

// Plan is strictly increasing and every time in it is allowed.
func TestPlanProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genSpec(t)
		after := genTime(t, "after")
		plan := p.s.Plan(after, 12, rng(rapid.Uint64().Draw(t, "seed")))
		prev := after
		for i, tm := range plan {
			if !tm.After(prev) || !p.s.Allowed(tm) || tm.Sub(prev) > p.slack {
				t.Fatalf("%s: plan[%d] = %s after %s", p.s, i, fmtT(tm), fmtT(prev))
			}
			prev = tm
		}
	})
}

// Resume keeps a future plan, and turns a missed one into a single allowed run after now.
func TestResumeProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genSpec(t)
		now := genTime(t, "now")
		stored := now.Add(time.Duration(rapid.Int64Range(-30*86400, 2*86400).Draw(t, "stored offset")) * time.Second)
		got := schedule.Resume(stored, now, p.s, rng(rapid.Uint64().Draw(t, "seed")))
		switch {
		case stored.After(now):
			if !got.Equal(stored) {
				t.Fatalf("%s: future plan %s replaced by %s", p.s, fmtT(stored), fmtT(got))
			}
		case !got.After(now) || !p.s.Allowed(got) || got.Sub(now) > p.slack:
			t.Fatalf("%s: Resume(%s, now %s) = %s", p.s, fmtT(stored), fmtT(now), fmtT(got))
		}
	})
}

// The wall-clock rule: the first instant whose wall clock reads the time or later.
func TestWallClockAtProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		loc, _ := time.LoadLocation(rapid.SampledFrom(propZones).Draw(t, "zone"))
		day := genTime(t, "day").In(loc)
		minute := rapid.IntRange(0, 1440).Draw(t, "minute")
		got := schedule.WallClockAt(day.Year(), day.Month(), day.Day(), minute, loc)
		want := time.Date(day.Year(), day.Month(), day.Day(), 0, minute, 0, 0, time.UTC)
		wall := func(tm time.Time) time.Time {
			l := tm.In(loc)
			return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
		}
		if wall(got).Before(want) {
			t.Fatalf("%s %s %d: got %s, wall clock earlier than wanted", loc, day.Format(time.DateOnly), minute, fmtT(got))
		}
		// No earlier instant (within the last three hours, second by second at the edges)
		// reads the wanted time or later.
		for _, back := range []time.Duration{time.Second, time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour} {
			if e := got.Add(-back); !wall(e).Before(want) {
				t.Fatalf("%s %s %d: got %s, but %s already reads %s", loc, day.Format(time.DateOnly), minute, fmtT(got), fmtT(e), wall(e))
			}
		}
	})
}
