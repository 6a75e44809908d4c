package schedule_test

import (
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/schedule"
)

func TestResume(t *testing.T) {
	hourly := mustSpec(t, schedule.Config{Interval: "1h", TimeZone: "UTC"})
	office := mustSpec(t, schedule.Config{Interval: "30m-2h", Hours: "09:00-18:00", Days: "mon-sat", TimeZone: "Asia/Shanghai"})
	o365 := mustSpec(t, schedule.Config{Cron: "0 8-18 * * 1-6", TimeZone: "UTC"})
	soon := func(now time.Time) func(time.Time) bool {
		return func(got time.Time) bool {
			return !got.Before(now.Add(schedule.ResumeDelayMin)) && !got.After(now.Add(schedule.ResumeDelayMax))
		}
	}
	inside := func(s schedule.Spec, from, to time.Time) func(time.Time) bool {
		return func(got time.Time) bool { return got.After(from) && got.Before(to) && s.Allowed(got) }
	}
	now := utc(t, "2025-01-08 10:00") // Wednesday
	demo := mustSpec(t, schedule.Config{Interval: "5s-20s", TimeZone: "UTC"})
	tests := []struct {
		name   string
		s      schedule.Spec
		stored time.Time
		now    time.Time
		ok     func(time.Time) bool
	}{
		{"future plan kept", hourly, now.Add(40 * time.Minute), now,
			func(got time.Time) bool { return got.Equal(now.Add(40 * time.Minute)) }},
		{"missed three days ago: once, soon", hourly, now.Add(-72 * time.Hour), now, soon(now)},
		{"missed a second ago: soon", hourly, now.Add(-time.Second), now, soon(now)},
		{"due right now: soon", hourly, now, now, soon(now)},
		{"never planned (new account): soon", hourly, time.Time{}, now, soon(now)},
		{"an interval shorter than the delay: within the interval", demo, now.Add(-time.Hour), now,
			func(got time.Time) bool {
				return !got.Before(now.Add(5*time.Second)) && !got.After(now.Add(20*time.Second))
			}},
		{"absurdly far (config changed): replanned", hourly, now.Add(90 * 24 * time.Hour), now,
			func(got time.Time) bool { return got.Equal(now.Add(time.Hour)) }},
		{"missed, inside the window: soon", office, at(t, "Asia/Shanghai", "2025-01-06 10:00"), at(t, "Asia/Shanghai", "2025-01-08 11:00"),
			soon(at(t, "Asia/Shanghai", "2025-01-08 11:00"))},
		{"missed, on Sunday: inside Monday's window", office, at(t, "Asia/Shanghai", "2025-01-04 17:00"), at(t, "Asia/Shanghai", "2025-01-05 12:00"),
			inside(office, at(t, "Asia/Shanghai", "2025-01-06 09:00"), at(t, "Asia/Shanghai", "2025-01-06 18:00"))},
		{"missed, window closing: the next one", office, at(t, "Asia/Shanghai", "2025-01-08 12:00"), at(t, "Asia/Shanghai", "2025-01-08 17:59:40"),
			inside(office, at(t, "Asia/Shanghai", "2025-01-09 09:00"), at(t, "Asia/Shanghai", "2025-01-09 18:00"))},
		{"cron missed in a running hour: soon", o365, utc(t, "2025-01-08 09:05"), utc(t, "2025-01-08 10:30"), soon(utc(t, "2025-01-08 10:30"))},
		{"cron missed, a cron time in 2 minutes: that one", o365, utc(t, "2025-01-08 09:05"), utc(t, "2025-01-08 10:58"),
			func(got time.Time) bool {
				return !got.Before(utc(t, "2025-01-08 11:00")) && got.Before(utc(t, "2025-01-08 11:10"))
			}},
		{"cron missed, now Sunday: Monday 08:00 + spread", o365, utc(t, "2025-01-04 18:05"), utc(t, "2025-01-05 03:00"),
			func(got time.Time) bool {
				return !got.Before(utc(t, "2025-01-06 08:00")) && got.Before(utc(t, "2025-01-06 08:10"))
			}},
		{"cron missed, now 19:30: tomorrow 08:00 + spread", o365, utc(t, "2025-01-08 18:00"), utc(t, "2025-01-08 19:30"),
			func(got time.Time) bool {
				return !got.Before(utc(t, "2025-01-09 08:00")) && got.Before(utc(t, "2025-01-09 08:10"))
			}},
	}
	for _, tt := range tests {
		for seed := range uint64(50) {
			got := schedule.Resume(tt.stored, tt.now, tt.s, rng(seed))
			if !tt.ok(got) || !got.After(tt.now) {
				t.Errorf("%s: Resume(%s, now %s) = %s", tt.name, fmtT(tt.stored), fmtT(tt.now), fmtT(got))
				break
			}
		}
	}
}

// A daemon down for a week makes up exactly one round, then carries on at its interval.
func TestResumeNoBurst(t *testing.T) {
	for _, c := range []schedule.Config{
		{Interval: "500s-900s", TimeZone: "UTC"},
		{Interval: "1h", Hours: "09:00-18:00", Days: "mon-sat", TimeZone: "Asia/Shanghai"},
		{Cron: "*/10 * * * *", TimeZone: "UTC"},
	} {
		s := mustSpec(t, c)
		r := rng(1)
		lastRun := utc(t, "2025-01-01 09:30")
		stored := s.Next(lastRun, r) // then the daemon stopped for a week
		now := utc(t, "2025-01-08 09:30")
		next := schedule.Resume(stored, now, s, r)
		var runs []time.Time
		for next.Before(now.Add(time.Hour)) {
			runs = append(runs, next)
			next = s.Next(next, r)
		}
		if s.Cron().IsZero() {
			// At most one run per Min in the first hour, at least Min apart.
			min := s.Interval().Min
			if limit := int(time.Hour/min) + 1; len(runs) > limit {
				t.Errorf("%s: %d runs in the first hour after a week down, want at most %d", s, len(runs), limit)
			}
			for i := 1; i < len(runs); i++ {
				if gap := runs[i].Sub(runs[i-1]); gap < min {
					t.Errorf("%s: runs %s and %s only %v apart", s, fmtT(runs[i-1]), fmtT(runs[i]), gap)
				}
			}
		} else if len(runs) > 7 { // the made-up run and six cron times
			t.Errorf("%s: %d runs in the first hour after a week down", s, len(runs))
		}
	}
}
