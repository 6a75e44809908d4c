package schedule_test

import (
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/schedule"
)

// 2025 changes: Europe/Berlin springs forward on 30 March (02:00 CET -> 03:00 CEST, at
// 01:00 UTC) and falls back on 26 October (03:00 CEST -> 02:00 CET, at 01:00 UTC);
// America/New_York springs forward on 9 March (02:00 EST -> 03:00 EDT, at 07:00 UTC) and
// falls back on 2 November (02:00 EDT -> 01:00 EST, at 06:00 UTC).

func TestDSTWindows(t *testing.T) {
	type check struct {
		at   time.Time
		want bool
	}
	tests := []struct {
		name   string
		config schedule.Config
		checks []check
		from   time.Time // NextWindowStart(from) == start
		start  time.Time
	}{
		{
			name:   "Berlin spring: 02:00-03:00 does not exist",
			config: schedule.Config{Hours: "02:00-03:00", TimeZone: "Europe/Berlin"},
			checks: []check{
				{utc(t, "2025-03-29 01:30"), true},  // 02:30 CET the day before
				{utc(t, "2025-03-30 00:59"), false}, // 01:59 CET
				{utc(t, "2025-03-30 01:00"), false}, // 03:00 CEST
				{utc(t, "2025-03-31 00:30"), true},  // 02:30 CEST the day after
			},
			from:  utc(t, "2025-03-29 12:00"),
			start: utc(t, "2025-03-31 00:00"), // 31 March 02:00 CEST; the 30th has none
		},
		{
			name:   "Berlin spring: 01:30-02:30 is half an hour",
			config: schedule.Config{Hours: "01:30-02:30", TimeZone: "Europe/Berlin"},
			checks: []check{
				{utc(t, "2025-03-30 00:29"), false},
				{utc(t, "2025-03-30 00:30"), true},  // 01:30 CET
				{utc(t, "2025-03-30 00:59"), true},  // 01:59 CET
				{utc(t, "2025-03-30 01:00"), false}, // 03:00 CEST
			},
			from:  utc(t, "2025-03-29 12:00"),
			start: utc(t, "2025-03-30 00:30"),
		},
		{
			name:   "Berlin spring: 02:30-04:00 starts when the gap ends",
			config: schedule.Config{Hours: "02:30-04:00", TimeZone: "Europe/Berlin"},
			checks: []check{
				{utc(t, "2025-03-30 00:59"), false},
				{utc(t, "2025-03-30 01:00"), true}, // 03:00 CEST
				{utc(t, "2025-03-30 01:59"), true},
				{utc(t, "2025-03-30 02:00"), false}, // 04:00 CEST
			},
			from:  utc(t, "2025-03-29 12:00"),
			start: utc(t, "2025-03-30 01:00"),
		},
		{
			name:   "Berlin fall: 02:00-03:00 lasts two hours",
			config: schedule.Config{Hours: "02:00-03:00", TimeZone: "Europe/Berlin"},
			checks: []check{
				{utc(t, "2025-10-25 23:59"), false}, // 01:59 CEST
				{utc(t, "2025-10-26 00:00"), true},  // 02:00 CEST
				{utc(t, "2025-10-26 00:59"), true},  // 02:59 CEST
				{utc(t, "2025-10-26 01:30"), true},  // 02:30 CET, the repeated hour
				{utc(t, "2025-10-26 02:00"), false}, // 03:00 CET
			},
			from:  utc(t, "2025-10-25 12:00"),
			start: utc(t, "2025-10-26 00:00"),
		},
		{
			name:   "Berlin fall: a window ending in the repeated hour ends at its first pass",
			config: schedule.Config{Hours: "01:00-02:30", TimeZone: "Europe/Berlin"},
			checks: []check{
				{utc(t, "2025-10-26 00:29"), true},  // 02:29 CEST
				{utc(t, "2025-10-26 00:30"), false}, // 02:30 CEST
				{utc(t, "2025-10-26 01:15"), false}, // 02:15 CET
			},
			from:  utc(t, "2025-10-25 12:00"),
			start: utc(t, "2025-10-25 23:00"),
		},
		{
			name:   "Berlin: a window across midnight over both changes",
			config: schedule.Config{Hours: "22:00-06:00", Days: "sat", TimeZone: "Europe/Berlin"},
			checks: []check{
				{utc(t, "2025-03-29 21:00"), true},  // Sat 22:00 CET
				{utc(t, "2025-03-30 03:59"), true},  // Sun 05:59 CEST
				{utc(t, "2025-03-30 04:00"), false}, // Sun 06:00 CEST: 7 hours that night
				{utc(t, "2025-10-26 04:59"), true},  // Sun 05:59 CET: 9 hours that night
				{utc(t, "2025-10-26 05:00"), false},
			},
			from:  utc(t, "2025-03-29 12:00"),
			start: utc(t, "2025-03-29 21:00"),
		},
		{
			name:   "New York spring: 02:00-03:00 does not exist",
			config: schedule.Config{Hours: "02:00-03:00", TimeZone: "America/New_York"},
			checks: []check{
				{utc(t, "2025-03-09 06:59"), false}, // 01:59 EST
				{utc(t, "2025-03-09 07:00"), false}, // 03:00 EDT
				{utc(t, "2025-03-10 06:30"), true},  // 02:30 EDT
			},
			from:  utc(t, "2025-03-08 12:00"),
			start: utc(t, "2025-03-10 06:00"),
		},
		{
			name:   "New York fall: 01:00-02:00 lasts two hours",
			config: schedule.Config{Hours: "01:00-02:00", TimeZone: "America/New_York"},
			checks: []check{
				{utc(t, "2025-11-02 05:00"), true},  // 01:00 EDT
				{utc(t, "2025-11-02 06:30"), true},  // 01:30 EST
				{utc(t, "2025-11-02 07:00"), false}, // 02:00 EST
			},
			from:  utc(t, "2025-11-01 12:00"),
			start: utc(t, "2025-11-02 05:00"),
		},
	}
	for _, tt := range tests {
		s := mustSpec(t, tt.config)
		for _, c := range tt.checks {
			if got := s.Allowed(c.at); got != c.want {
				t.Errorf("%s: Allowed(%s) = %v, want %v", tt.name, fmtT(c.at.In(s.Location())), got, c.want)
			}
		}
		if got := s.NextWindowStart(tt.from); !got.Equal(tt.start) {
			t.Errorf("%s: NextWindowStart(%s) = %s, want %s", tt.name, fmtT(tt.from), fmtT(got.In(s.Location())), fmtT(tt.start.In(s.Location())))
		}
	}
}

// Intervals are elapsed time, so across a change the wall clock moves an hour more or less.
func TestDSTIntervals(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	hourly := mustSpec(t, schedule.Config{Interval: "1h", TimeZone: "Europe/Berlin"})
	daily := mustSpec(t, schedule.Config{Interval: "24h", TimeZone: "Europe/Berlin"})
	tests := []struct {
		name      string
		s         schedule.Spec
		after     time.Time
		wantWall  string
		wantDelay time.Duration
	}{
		{"spring, 1h", hourly, utc(t, "2025-03-30 00:30"), "03:30 CEST", time.Hour},
		{"fall, 1h", hourly, utc(t, "2025-10-26 00:30"), "02:30 CET", time.Hour},
		{"spring, 24h", daily, utc(t, "2025-03-29 11:00"), "13:00 CEST", 24 * time.Hour},
		{"fall, 24h", daily, utc(t, "2025-10-25 10:00"), "11:00 CET", 24 * time.Hour},
	}
	for _, tt := range tests {
		got := tt.s.Next(tt.after, rng(1))
		if got.Sub(tt.after) != tt.wantDelay || got.In(berlin).Format("15:04 MST") != tt.wantWall {
			t.Errorf("%s: Next(%s) = %s, want %s after %v", tt.name, fmtT(tt.after.In(berlin)), fmtT(got.In(berlin)), tt.wantWall, tt.wantDelay)
		}
	}

	// A window inside the skipped hour: a run due then goes to the next day's window.
	night := mustSpec(t, schedule.Config{Interval: "1h", Hours: "02:00-03:00", TimeZone: "Europe/Berlin"})
	after := utc(t, "2025-03-30 00:30") // 01:30 CET; 1h later is 03:30 CEST
	for i := range 200 {
		got := night.Next(after, rng(uint64(i)))
		if !got.After(utc(t, "2025-03-31 00:00")) || !got.Before(utc(t, "2025-03-31 01:00")) {
			t.Fatalf("Next(%s) = %s, want inside 31 March 02:00-03:00 CEST", fmtT(after.In(berlin)), fmtT(got.In(berlin)))
		}
	}
	// New York: 09:00-17:00 stays 09:00-17:00 local across the change.
	ny := mustSpec(t, schedule.Config{Interval: "24h", Hours: "09:00-17:00", TimeZone: "America/New_York"})
	nyc := mustLoc(t, "America/New_York")
	tm := at(t, "America/New_York", "2025-03-07 10:00")
	for range 5 {
		tm = ny.Next(tm, rng(1))
		if h := tm.In(nyc).Hour(); h < 9 || h >= 17 {
			t.Errorf("New York run at %s", fmtT(tm.In(nyc)))
		}
	}
}

func TestDSTCron(t *testing.T) {
	tests := []struct {
		name  string
		cron  string
		zone  string
		after time.Time
		want  []time.Time
	}{
		{"Berlin spring: 02:00 is skipped that day", "0 2 * * *", "Europe/Berlin", utc(t, "2025-03-28 12:00"),
			[]time.Time{utc(t, "2025-03-29 01:00"), utc(t, "2025-03-31 00:00")}},
		{"Berlin fall: 02:00 runs once", "0 2 * * *", "Europe/Berlin", utc(t, "2025-10-25 12:00"),
			[]time.Time{utc(t, "2025-10-26 00:00"), utc(t, "2025-10-27 01:00")}},
		{"Berlin fall: hourly skips the repeated hour", "30 * * * *", "Europe/Berlin", utc(t, "2025-10-25 23:45"),
			[]time.Time{utc(t, "2025-10-26 00:30"), utc(t, "2025-10-26 02:30")}}, // 02:30 CEST, 03:30 CET
		{"New York spring: 02:30 is skipped", "30 2 * * *", "America/New_York", utc(t, "2025-03-08 12:00"),
			[]time.Time{utc(t, "2025-03-10 06:30"), utc(t, "2025-03-11 06:30")}},
		{"New York fall: hourly", "0 * * * *", "America/New_York", utc(t, "2025-11-02 04:30"),
			[]time.Time{utc(t, "2025-11-02 05:00"), utc(t, "2025-11-02 07:00"), utc(t, "2025-11-02 08:00")}},
	}
	for _, tt := range tests {
		s := mustSpec(t, schedule.Config{Cron: tt.cron, Spread: "0", TimeZone: tt.zone})
		got := s.Plan(tt.after, len(tt.want), rng(1))
		for i := range tt.want {
			if !got[i].Equal(tt.want[i]) {
				t.Errorf("%s: run %d at %s, want %s", tt.name, i, fmtT(got[i].In(s.Location())), fmtT(tt.want[i].In(s.Location())))
			}
		}
	}
}
