package schedule

import (
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// robfigNext is robfig/cron's own Next, minus the second run of a wall-clock time that a
// fall-back change repeats: what Cron.next must return.
func robfigNext(c Cron, t time.Time, loc *time.Location) time.Time {
	for {
		n := c.sched.Next(t.In(loc))
		if n.IsZero() {
			return n
		}
		start, _ := n.ZoneBounds()
		_, off := n.Zone()
		_, offBefore := start.Add(-time.Second).Zone()
		if back := time.Duration(offBefore-off) * time.Second; start.IsZero() || back <= 0 || n.Sub(start) >= back {
			return n
		}
		t = n // a repeat: its first run was an hour (or so) ago
	}
}

// Cron.next agrees with robfig/cron's Next on random expressions, zones and times,
// including around clock changes.
func TestCronNextMatchesRobfig(t *testing.T) {
	field := func(t *rapid.T, name string, opts ...string) string { return rapid.SampledFrom(opts).Draw(t, name) }
	rapid.Check(t, func(t *rapid.T) {
		expr := strings.Join([]string{
			field(t, "minute", "0", "30", "*/15", "5,35", "59", "*", "0-10"),
			field(t, "hour", "*", "8-18", "2", "1-3", "0", "23", "*/5", "9,13,17"),
			field(t, "dom", "*", "*", "1", "1-7", "29", "31", "15-20"),
			field(t, "month", "*", "*", "*", "2", "3,10,11", "1-6"),
			field(t, "dow", "*", "*", "1-6", "0", "1", "5-6", "1-5"),
		}, " ")
		c, err := ParseCron(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		loc, _ := time.LoadLocation(field(t, "zone", "UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York"))
		var after time.Time
		if rapid.Bool().Draw(t, "near a change") {
			ch, _ := time.Parse(time.DateTime, field(t, "change", "2025-03-09 07:00:00", "2025-03-30 01:00:00", "2025-10-26 01:00:00", "2025-11-02 06:00:00"))
			after = ch.Add(time.Duration(rapid.Int64Range(-4*3600, 4*3600).Draw(t, "offset")) * time.Second)
		} else {
			after = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rapid.Int64Range(0, 3*365*86400).Draw(t, "after")) * time.Second)
		}
		after = after.Add(time.Duration(rapid.Int64Range(0, 999).Draw(t, "ms")) * time.Millisecond)
		got, want := c.next(after, loc), robfigNext(c, after, loc)
		if !got.Equal(want) {
			t.Fatalf("%q in %s after %s: next %s, robfig/cron %s", expr, loc, after.In(loc), got.In(loc), want.In(loc))
		}
	})
}
