package schedule_test

import (
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/schedule"
)

// Office365Auto: "0 8-18 * * 1-6" in UTC. Never on Sunday, only 08:00-18:10, and each run
// within the spread after its hour.
func TestCronOffice365Auto(t *testing.T) {
	s := mustSpec(t, schedule.Config{Cron: "0 8-18 * * 1-6", TimeZone: "UTC"})
	plan := s.Plan(utc(t, "2025-01-01 00:00"), 11*6*4, rng(1)) // four weeks
	perHour := map[int]int{}
	for i, p := range plan {
		p = p.UTC()
		if p.Weekday() == time.Sunday || p.Hour() < 8 || p.Hour() > 18 || p.Minute() >= 10 {
			t.Fatalf("run %d at %s", i, fmtT(p))
		}
		perHour[p.Hour()]++
		if i > 0 && p.Truncate(time.Hour).Equal(plan[i-1].Truncate(time.Hour)) {
			t.Fatalf("two runs in the hour of %s", fmtT(p))
		}
	}
	for h := 8; h <= 18; h++ {
		if perHour[h] != 24 { // 6 days x 4 weeks
			t.Errorf("hour %d ran %d times, want 24", h, perHour[h])
		}
	}
	// Four weeks from Wednesday 1 January end on Tuesday 28 January at 18:00 + spread.
	if last := plan[len(plan)-1]; last.Before(utc(t, "2025-01-28 18:00")) || !last.Before(utc(t, "2025-01-28 18:10")) {
		t.Errorf("the 264th run is at %s", fmtT(last))
	}
	// Seen from Shanghai the same runs are 16:00-02:10, and none from Monday 00:00 to 16:00.
	shanghai := mustLoc(t, "Asia/Shanghai")
	for _, p := range plan {
		l := p.In(shanghai)
		if l.Weekday() == time.Monday && l.Hour() < 16 {
			t.Fatalf("ran on Shanghai's Monday morning (a UTC Sunday): %s", fmtT(l))
		}
	}
}

// Cron times are read in the spec's zone.
func TestCronTimeZones(t *testing.T) {
	for _, zone := range []string{"UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York"} {
		s := mustSpec(t, schedule.Config{Cron: "30 9 * * 1-5", Spread: "0", TimeZone: zone})
		loc := mustLoc(t, zone)
		for _, p := range s.Plan(utc(t, "2025-03-01 00:00"), 40, rng(1)) { // across Berlin's and New York's changes
			l := p.In(loc)
			if l.Hour() != 9 || l.Minute() != 30 || l.Second() != 0 || l.Weekday() == time.Saturday || l.Weekday() == time.Sunday {
				t.Errorf("%s: run at %s", zone, fmtT(l))
			}
		}
	}
}

// Windows and days restrict cron times; the spread stays inside the window and before the
// next cron time.
func TestCronRestricted(t *testing.T) {
	s := mustSpec(t, schedule.Config{Cron: "*/20 * * * *", Spread: "1h", Hours: "09:00-10:00,14:00-14:30", Days: "mon,wed", TimeZone: "Europe/Berlin"})
	berlin := s.Location()
	prev := at(t, "Europe/Berlin", "2025-01-06 00:00")
	r := rng(5)
	for range 200 {
		p := s.Next(prev, r)
		l := p.In(berlin)
		if !p.After(prev) || !s.Allowed(p) {
			t.Fatalf("run at %s after %s", fmtT(l), fmtT(prev))
		}
		// The cron time before it: Monday and Wednesday 09:00, 09:20, 09:40, 14:00, 14:20;
		// never 10:00 or 14:40, which lie outside the windows.
		base := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute()/20*20, 0, 0, berlin)
		switch base.Format("15:04") {
		case "09:00", "09:20", "09:40", "14:00", "14:20":
		default:
			t.Errorf("run at %s belongs to cron time %s", fmtT(l), base.Format("15:04"))
		}
		if wd := l.Weekday(); wd != time.Monday && wd != time.Wednesday {
			t.Errorf("run on %s", fmtT(l))
		}
		prev = p
	}
	// From a Thursday, the next is Monday 09:00 + spread.
	if p := s.Next(at(t, "Europe/Berlin", "2025-01-09 09:05"), r); p.Before(at(t, "Europe/Berlin", "2025-01-13 09:00")) || !p.Before(at(t, "Europe/Berlin", "2025-01-13 09:20")) {
		t.Errorf("from Thursday: %s", fmtT(p.In(berlin)))
	}
	// A spread that would leave the window is cut at its end: 14:20 + up to 10 minutes.
	for i := range 500 {
		p := s.Next(at(t, "Europe/Berlin", "2025-01-06 14:10"), rng(uint64(i)))
		if p.Before(at(t, "Europe/Berlin", "2025-01-06 14:20")) || !p.Before(at(t, "Europe/Berlin", "2025-01-06 14:30")) {
			t.Fatalf("14:20 run at %s", fmtT(p.In(berlin)))
		}
	}
}

// Many accounts with the same cron do not fire together: the spread scatters them over
// the ten minutes after each cron time.
func TestCronSpreadDistribution(t *testing.T) {
	s := mustSpec(t, schedule.Config{Cron: "0 8-18 * * 1-6", TimeZone: "UTC"})
	after := utc(t, "2025-01-06 07:59")
	eight := utc(t, "2025-01-06 08:00")
	const accounts = 3000
	perMinute := make([]int, 10)
	perSecond := map[time.Duration]int{}
	for i := range accounts {
		p := s.Next(after, rng(uint64(i)))
		d := p.Sub(eight)
		if d < 0 || d >= 10*time.Minute {
			t.Fatalf("account %d at %s", i, fmtT(p))
		}
		perMinute[d/time.Minute]++
		perSecond[d]++
	}
	for m, c := range perMinute { // 300 expected
		if c < 240 || c > 360 {
			t.Errorf("minute %d: %d accounts (want about 300): %v", m, c, perMinute)
		}
	}
	busiest := 0
	for _, c := range perSecond {
		busiest = max(busiest, c)
	}
	// 5 per second on average over 600 seconds; 16 at once would be a herd.
	if len(perSecond) < 550 || busiest > 16 {
		t.Errorf("%d distinct seconds, busiest second %d accounts", len(perSecond), busiest)
	}
	t.Logf("3000 accounts on 0 8-18 * * 1-6: per minute %v, %d distinct seconds, busiest %d", perMinute, len(perSecond), busiest)

	// Without spread they all fire at 08:00:00.
	exact := mustSpec(t, schedule.Config{Cron: "0 8-18 * * 1-6", Spread: "0", TimeZone: "UTC"})
	if p := exact.Next(after, rng(1)); !p.Equal(eight) {
		t.Errorf("spread 0: %s", fmtT(p))
	}
	// A spread longer than the gap between cron times is cut before the next one.
	dense := mustSpec(t, schedule.Config{Cron: "*/5 * * * *", Spread: "1h", TimeZone: "UTC"})
	for i := range 1000 {
		p := dense.Next(after, rng(uint64(i)))
		if p.Before(utc(t, "2025-01-06 08:00")) || !p.Before(utc(t, "2025-01-06 08:05")) {
			t.Fatalf("*/5 with 1h spread: %s", fmtT(p))
		}
	}
}
