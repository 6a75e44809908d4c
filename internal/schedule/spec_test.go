package schedule_test

import (
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/schedule"
)

func TestAllowed(t *testing.T) {
	type check struct {
		at   time.Time
		want bool
	}
	sundayOffUTC := schedule.Config{Days: "mon-sat", TimeZone: "UTC"}
	tests := []struct {
		name   string
		config schedule.Config
		checks []check
	}{
		{"Sunday UTC off", sundayOffUTC, []check{
			{utc(t, "2025-01-04 23:59:59"), true}, // Saturday
			{utc(t, "2025-01-05 00:00"), false},   // Sunday
			{utc(t, "2025-01-05 23:59:59"), false},
			{utc(t, "2025-01-06 00:00"), true}, // Monday
		}},
		// Office365Auto's Sunday is a UTC Sunday: in Shanghai it runs from Sunday 08:00 to
		// Monday 08:00.
		{"Sunday UTC off, seen from Shanghai", sundayOffUTC, []check{
			{at(t, "Asia/Shanghai", "2025-01-05 07:59:59"), true},  // Sat 23:59 UTC
			{at(t, "Asia/Shanghai", "2025-01-05 08:00"), false},    // Sun 00:00 UTC
			{at(t, "Asia/Shanghai", "2025-01-06 07:59:59"), false}, // Sun 23:59 UTC
			{at(t, "Asia/Shanghai", "2025-01-06 08:00"), true},     // Mon 00:00 UTC
		}},
		{"Shanghai office hours", schedule.Config{Hours: "09:00-12:00,13:30-18:00", Days: "mon-fri", TimeZone: "Asia/Shanghai"}, []check{
			{at(t, "Asia/Shanghai", "2025-01-06 08:59:59"), false},
			{at(t, "Asia/Shanghai", "2025-01-06 09:00"), true},
			{utc(t, "2025-01-06 01:00"), true}, // the same instant in UTC
			{at(t, "Asia/Shanghai", "2025-01-06 11:59:59"), true},
			{at(t, "Asia/Shanghai", "2025-01-06 12:00"), false}, // the end is not inside
			{at(t, "Asia/Shanghai", "2025-01-06 13:29"), false},
			{at(t, "Asia/Shanghai", "2025-01-06 13:30"), true},
			{at(t, "Asia/Shanghai", "2025-01-06 18:00"), false},
			{at(t, "Asia/Shanghai", "2025-01-04 10:00"), false}, // Saturday
		}},
		{"window across midnight belongs to its first day", schedule.Config{Hours: "22:00-02:00", Days: "fri", TimeZone: "UTC"}, []check{
			{utc(t, "2025-01-10 21:59"), false}, // Friday
			{utc(t, "2025-01-10 22:00"), true},
			{utc(t, "2025-01-11 01:59:59"), true}, // Saturday, in Friday's window
			{utc(t, "2025-01-11 02:00"), false},
			{utc(t, "2025-01-11 23:00"), false}, // Saturday's window: Saturday is off
			{utc(t, "2025-01-10 01:00"), false}, // Friday early: Thursday's window
		}},
		{"New York, winter and summer", schedule.Config{Hours: "09:00-17:00", Days: "mon-fri", TimeZone: "America/New_York"}, []check{
			{utc(t, "2025-01-06 13:59"), false}, // 08:59 EST
			{utc(t, "2025-01-06 14:00"), true},  // 09:00 EST
			{utc(t, "2025-07-07 12:59"), false}, // 08:59 EDT
			{utc(t, "2025-07-07 13:00"), true},  // 09:00 EDT
			{utc(t, "2025-07-07 21:00"), false}, // 17:00 EDT
		}},
		{"Berlin", schedule.Config{Hours: "08:00-20:00", TimeZone: "Europe/Berlin"}, []check{
			{utc(t, "2025-06-01 05:59"), false},
			{utc(t, "2025-06-01 06:00"), true}, // 08:00 CEST
			{utc(t, "2025-12-01 06:59"), false},
			{utc(t, "2025-12-01 07:00"), true}, // 08:00 CET
		}},
		{"all day, every day", schedule.Config{TimeZone: "UTC"}, []check{
			{utc(t, "2025-01-05 03:00"), true},
		}},
	}
	for _, tt := range tests {
		s := mustSpec(t, tt.config)
		for _, c := range tt.checks {
			if got := s.Allowed(c.at); got != c.want {
				t.Errorf("%s: Allowed(%s) = %v, want %v", tt.name, fmtT(c.at), got, c.want)
			}
		}
	}
}

func TestNextWindowStart(t *testing.T) {
	tests := []struct {
		name   string
		config schedule.Config
		from   time.Time
		want   time.Time
	}{
		{"over the weekend", schedule.Config{Hours: "09:00-17:00", Days: "mon-fri", TimeZone: "UTC"},
			utc(t, "2025-01-10 18:00"), utc(t, "2025-01-13 09:00")},
		{"strictly after", schedule.Config{Hours: "09:00-17:00", Days: "mon-fri", TimeZone: "UTC"},
			utc(t, "2025-01-06 09:00"), utc(t, "2025-01-07 09:00")},
		{"later the same day", schedule.Config{Hours: "09:00-12:00,13:30-18:00", TimeZone: "UTC"},
			utc(t, "2025-01-06 12:30"), utc(t, "2025-01-06 13:30")},
		{"across midnight, one day a week", schedule.Config{Hours: "22:00-02:00", Days: "mon", TimeZone: "UTC"},
			utc(t, "2025-01-06 23:00"), utc(t, "2025-01-13 22:00")},
		{"whole days skip Sunday", schedule.Config{Days: "mon-sat", TimeZone: "UTC"},
			utc(t, "2025-01-04 12:00"), utc(t, "2025-01-06 00:00")},
		{"Shanghai", schedule.Config{Hours: "09:00-18:00", TimeZone: "Asia/Shanghai"},
			utc(t, "2025-01-06 00:00"), utc(t, "2025-01-06 01:00")},
		{"New York", schedule.Config{Hours: "09:00-17:00", TimeZone: "America/New_York"},
			utc(t, "2025-07-07 20:00"), utc(t, "2025-07-08 13:00")},
	}
	for _, tt := range tests {
		s := mustSpec(t, tt.config)
		if got := s.NextWindowStart(tt.from); !got.Equal(tt.want) {
			t.Errorf("%s: NextWindowStart(%s) = %s, want %s", tt.name, fmtT(tt.from), fmtT(got), fmtT(tt.want))
		}
	}
}

func TestNextRandom(t *testing.T) {
	// Unrestricted: after plus a delay in [Min, Max], whole seconds, both ends reachable.
	s := mustSpec(t, schedule.Config{Interval: "500s-900s", TimeZone: "UTC"})
	after := utc(t, "2025-01-06 10:00:00.25")
	r := rng(1)
	seen := map[time.Duration]bool{}
	for range 20000 {
		d := s.Next(after, r).Sub(after)
		if d < 500*time.Second || d > 900*time.Second || d%time.Second != 0 {
			t.Fatalf("delay %v outside 500s-900s or not whole seconds", d)
		}
		seen[d] = true
	}
	if !seen[500*time.Second] || !seen[900*time.Second] || len(seen) != 401 {
		t.Errorf("saw %d distinct delays (want all 401, both ends)", len(seen))
	}

	// Inside a window, the delay stands.
	office := mustSpec(t, schedule.Config{Interval: "1h", Hours: "09:00-17:00", Days: "mon-fri", TimeZone: "Asia/Shanghai"})
	if got, want := office.Next(at(t, "Asia/Shanghai", "2025-01-06 10:00"), r), at(t, "Asia/Shanghai", "2025-01-06 11:00"); !got.Equal(want) {
		t.Errorf("inside the window: %s, want %s", fmtT(got), fmtT(want))
	}
	// Outside, it moves to a random instant inside the next window, never its first second.
	friday := at(t, "Asia/Shanghai", "2025-01-10 16:30")
	monday := at(t, "Asia/Shanghai", "2025-01-13 09:00")
	var sum time.Duration
	const n = 5000
	for range n {
		got := office.Next(friday, r)
		if !got.After(monday) || !got.Before(monday.Add(8*time.Hour)) || !office.Allowed(got) {
			t.Fatalf("moved to %s, want inside Monday 09:00-17:00 and after its first second", fmtT(got))
		}
		sum += got.Sub(monday)
	}
	if mean := sum / n; mean < 3*time.Hour+45*time.Minute || mean > 4*time.Hour+15*time.Minute {
		t.Errorf("mean position in the window %v, want about 4h (uniform)", mean)
	}
}

func TestPlan(t *testing.T) {
	s := mustSpec(t, schedule.Config{Interval: "500s-86400s", Hours: "09:00-12:00,13:30-18:00", Days: "mon-sat", TimeZone: "Asia/Shanghai"})
	after := at(t, "Asia/Shanghai", "2025-01-01 00:00")
	plan := s.Plan(after, 20, rng(7))
	if len(plan) != 20 {
		t.Fatalf("len %d", len(plan))
	}
	if first := s.Next(after, rng(7)); !plan[0].Equal(first) {
		t.Errorf("plan[0] = %s, Next = %s", fmtT(plan[0]), fmtT(first))
	}
	prev := after
	for i, p := range plan {
		if !p.After(prev) || !s.Allowed(p) || p.Sub(prev) > 24*time.Hour+7*24*time.Hour {
			t.Errorf("plan[%d] = %s after %s", i, fmtT(p), fmtT(prev))
		}
		if p.In(s.Location()).Weekday() == time.Sunday {
			t.Errorf("plan[%d] on a Sunday: %s", i, fmtT(p))
		}
		prev = p
	}
	if s.Plan(after, 0, rng(1)) != nil || s.Plan(after, -1, rng(1)) != nil {
		t.Error("Plan(0) not nil")
	}
}

// Office365Auto never runs on a UTC Sunday. Seen from Shanghai, that is Sunday 08:00 to
// Monday 08:00, and random runs still happen on Shanghai Sundays before 08:00.
func TestSundayUTCFromShanghai(t *testing.T) {
	s := mustSpec(t, schedule.Config{Interval: "500s-4h", Days: "mon-sat", TimeZone: "UTC"})
	shanghai := mustLoc(t, "Asia/Shanghai")
	r := rng(3)
	shanghaiSundayEarly := 0
	for _, p := range s.Plan(utc(t, "2025-01-01 00:00"), 2000, r) {
		if p.UTC().Weekday() == time.Sunday {
			t.Fatalf("ran on a UTC Sunday: %s", fmtT(p))
		}
		local := p.In(shanghai)
		if local.Weekday() == time.Monday && local.Hour() < 8 || local.Weekday() == time.Sunday && local.Hour() >= 8 {
			t.Fatalf("ran in Shanghai's view of Sunday UTC: %s", fmtT(local))
		}
		if local.Weekday() == time.Sunday {
			shanghaiSundayEarly++
		}
	}
	if shanghaiSundayEarly == 0 {
		t.Error("never ran on a Shanghai Sunday morning (a UTC Saturday)")
	}
}

// Many accounts with the same schedule that all wait for the same window must not fire
// together when it opens.
func TestSpreadRandomMode(t *testing.T) {
	s := mustSpec(t, schedule.Config{Interval: "30m-2h", Hours: "09:00-18:00", Days: "mon-fri", TimeZone: "Asia/Shanghai"})
	friday := at(t, "Asia/Shanghai", "2025-01-10 17:45") // every target lands after 18:00
	monday := at(t, "Asia/Shanghai", "2025-01-13 09:00")
	const accounts = 2000
	perMinute := map[int]int{}
	perHour := make([]int, 9)
	for i := range accounts {
		got := s.Next(friday, rng(uint64(i)))
		m := int(got.Sub(monday) / time.Minute)
		if got.Equal(monday) || m < 0 || m >= 540 {
			t.Fatalf("account %d at %s", i, fmtT(got))
		}
		perMinute[m]++
		perHour[m/60]++
	}
	busiest := 0
	for _, c := range perMinute {
		busiest = max(busiest, c)
	}
	// Uniform over 540 minutes: 3.7 per minute on average; 15 in one minute would be a herd.
	if busiest > 15 {
		t.Errorf("%d accounts in the busiest minute", busiest)
	}
	if perMinute[0] > 15 {
		t.Errorf("%d accounts in the window's first minute", perMinute[0])
	}
	for h, c := range perHour { // 222 expected per hour
		if c < 170 || c > 280 {
			t.Errorf("hour %d of the window: %d accounts (want about 222): %v", h, c, perHour)
		}
	}
	t.Logf("2000 accounts over Monday 09:00-18:00: per hour %v, busiest minute %d", perHour, busiest)
}
