package schedule

import (
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Cron is a parsed five-field cron expression ("0 8-18 * * 1-6"). Only robfig/cron's
// parser is used; finding the next time, and the loop that waits and runs, are e5renew's. A Cron is
// immutable and safe for concurrent use; its zero value is "no cron".
type Cron struct {
	expr  string
	sched *cron.SpecSchedule
}

// IsZero reports whether c is the zero Cron (no expression).
func (c Cron) IsZero() bool { return c.sched == nil }

// String returns the expression as written (spaces normalized).
func (c Cron) String() string { return c.expr }

const cronHint = `write five fields "minute hour day-of-month month day-of-week", e.g. "0 8-18 * * 1-6" (Office365Auto: on the hour from 08 to 18, Monday to Saturday)`

// ParseCron reads a standard five-field cron expression (minute hour day-of-month month
// day-of-week), names allowed (JAN, MON), day-of-week 0 or 7 for Sunday, or one of
// @hourly, @daily (@midnight), @weekly, @monthly, @yearly. Six-field expressions with
// seconds (Azure Functions' NCRONTAB), @every and CRON_TZ= prefixes are refused with a
// hint: the times are always in the schedule's time zone.
func ParseCron(expr string) (c Cron, err error) {
	src := strings.Join(strings.Fields(expr), " ")
	if src == "" {
		return Cron{}, fmt.Errorf("cron is empty: %s", cronHint)
	}
	if strings.HasPrefix(src, "TZ=") || strings.HasPrefix(src, "CRON_TZ=") {
		return Cron{}, fmt.Errorf("cron %q: write the time zone in timezone: (e.g. timezone: Asia/Shanghai) instead of a TZ= prefix", src)
	}
	if strings.HasPrefix(src, "@every") {
		d := strings.TrimSpace(strings.TrimPrefix(src, "@every"))
		return Cron{}, fmt.Errorf("cron %q: for a fixed delay use interval: %s instead (and leave cron empty)", src, d)
	}
	toParse := src
	if !strings.HasPrefix(src, "@") {
		fields := strings.Fields(src)
		switch {
		case len(fields) == 6:
			return Cron{}, fmt.Errorf("cron %q has six fields: e5renew does not take seconds (as Azure Functions' NCRONTAB does); drop the first field: %q", src, strings.Join(fields[1:], " "))
		case len(fields) != 5:
			return Cron{}, fmt.Errorf("cron %q has %d fields: %s", src, len(fields), cronHint)
		}
		fields[4] = dowSevenToZero(fields[4])
		toParse = strings.Join(fields, " ")
	}
	defer func() {
		// robfig/cron's parser has panicked on odd input before; never let a config line
		// crash the daemon.
		if p := recover(); p != nil {
			c, err = Cron{}, fmt.Errorf("cron %q cannot be read: %s", src, cronHint)
		}
	}()
	s, perr := cron.ParseStandard(toParse)
	if perr != nil {
		return Cron{}, fmt.Errorf("cron %q: %v; %s", src, perr, cronHint)
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return Cron{}, fmt.Errorf("cron %q: %s", src, cronHint)
	}
	return Cron{expr: src, sched: spec}, nil
}

// dowSevenToZero lets day-of-week use 7 for Sunday, as many crons do and robfig/cron does
// not: "7" becomes "0", and "1-7" becomes "1-6,0".
func dowSevenToZero(field string) string {
	parts := strings.Split(field, ",")
	for i, p := range parts {
		if p == "7" {
			parts[i] = "0"
		} else if len(p) == 3 && p[0] >= '0' && p[0] <= '6' && p[1:] == "-7" {
			if p[0] == '0' {
				parts[i] = "0-6"
			} else {
				parts[i] = p[:1] + "-6,0"
			}
		}
	}
	return strings.Join(parts, ",")
}

// next returns the first cron time strictly after t, reading the fields as wall-clock time
// in loc, or the zero time if there is none within five years. robfig/cron parses; this
// search is e5renew's own (robfig's Next steps minute by minute and second by second, ten
// times slower). Daylight saving, as robfig/cron does it: a wall-clock time that a
// spring-forward change skips does not run that day; one that a fall-back change repeats
// runs once, the first time.
// Next returns the first time after t that c matches, in loc (GitHub's schedule: UTC).
func (c Cron) Next(t time.Time, loc *time.Location) time.Time { return c.next(t, loc) }

func (c Cron) next(t time.Time, loc *time.Location) time.Time {
	s := c.sched
	tl := t.In(loc)
	y, mo, d := tl.Date()
	h, m, sec := tl.Clock()
	from := h*60 + m + 1 // the first wall-clock minute to try on the first day
	// Away from clock changes, wall-clock differences are elapsed time.
	stableT := stable(tl)
	wallT := time.Date(y, mo, d, h, m, sec, tl.Nanosecond(), time.UTC)
	for day := 0; day <= 5*366; day, from = day+1, 0 {
		date := time.Date(y, mo, d+day, 12, 0, 0, 0, time.UTC)
		if s.Month&(1<<uint(date.Month())) == 0 || !c.dayMatches(date) {
			continue
		}
		for minute := from; minute < 1440; minute++ {
			minute = c.nextMinute(minute)
			if minute >= 1440 {
				break
			}
			if stableT && day <= 1 {
				wall := time.Date(date.Year(), date.Month(), date.Day(), 0, minute, 0, 0, time.UTC)
				return t.Add(wall.Sub(wallT))
			}
			at, exists := wallClock(date.Year(), date.Month(), date.Day(), minute, loc)
			if exists && at.After(t) {
				return at
			}
		}
	}
	return time.Time{}
}

// nextMinute returns the first minute of the day at or after minute whose hour and minute
// match, or 1440.
func (c Cron) nextMinute(minute int) int {
	for hour := minute / 60; hour < 24; hour, minute = hour+1, (hour+1)*60 {
		if c.sched.Hour&(1<<uint(hour)) == 0 {
			continue
		}
		if rest := c.sched.Minute >> uint(minute%60); rest != 0 {
			if mm := minute%60 + bits.TrailingZeros64(rest); mm < 60 {
				return hour*60 + mm
			}
		}
	}
	return 1440
}

// dayMatches is cron's day rule: when day-of-month or day-of-week is "*", both must match;
// when both are restricted, either may ("0 9 1 * 1": the 1st and every Monday).
func (c Cron) dayMatches(date time.Time) bool {
	s := c.sched
	const star = 1 << 63
	dom := s.Dom&(1<<uint(date.Day())) != 0
	dow := s.Dow&(1<<uint(date.Weekday())) != 0
	if s.Dom&star != 0 || s.Dow&star != 0 {
		return dom && dow
	}
	return dom || dow
}

// active reports whether the cron's month, day and hour fields match t's wall clock (the
// minute is not looked at): whether t lies in an hour in which the cron runs.
func (c Cron) active(t time.Time, loc *time.Location) bool {
	s := c.sched
	t = t.In(loc)
	const star = 1 << 63
	if s.Month&(1<<uint(t.Month())) == 0 || s.Hour&(1<<uint(t.Hour())) == 0 {
		return false
	}
	return c.dayMatches(t)
}

// weekly reports whether the cron repeats every week (day of month and month are "*"),
// so that one week tells all.
func (c Cron) weekly() bool {
	const star = 1 << 63
	return c.sched.Dom&star != 0 && c.sched.Month&star != 0
}
