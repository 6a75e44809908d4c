package schedule

import "time"

// Working windows are wall-clock times in the spec's zone, and daylight saving makes wall
// clocks skip and repeat. The rules here:
//
//   - A window occurrence on a date runs from the first instant whose wall clock reads its
//     start (or later) to the first instant whose wall clock reads its end (or later).
//   - So a window inside the hour a spring-forward change skips (02:00-03:00 in Berlin on
//     the last Sunday of March) does not happen that day, and one that straddles the
//     change is shorter (01:30-02:30 is 30 minutes long); a window that contains the hour a
//     fall-back change repeats is longer (02:00-03:00 lasts two hours), and one that ends
//     inside it ends at the first occurrence of its end.
//   - Intervals are elapsed time: 1h after 01:30 CET on the spring-forward night is
//     03:30 CEST.

// minOccurrence is the shortest window occurrence used: shorter ones (only possible when a
// clock change eats a window) are treated as not happening.
const minOccurrence = 2 * time.Second

// searchDays bounds every search for the next window, in days. Windows recur weekly, so a
// week suffices unless a clock change removes one week's only window; three weeks is room
// to spare, and it keeps a search on an invalid (zero) Spec from running forever.
const searchDays = 22

// at returns the first instant at which the wall clock in loc reads the given date and
// minute of the day or later: the time itself if it exists, its first occurrence if a
// fall-back change repeats it, and the end of the gap if a spring-forward change skips it.
// minute may be 1440 or more (the next day).
func at(y int, mo time.Month, d, minute int, loc *time.Location) time.Time {
	t, _ := wallClock(y, mo, d, minute, loc)
	return t
}

// wallClock is at, and also reports whether the wall-clock time exists (false in a
// spring-forward gap).
func wallClock(y int, mo time.Month, d, minute int, loc *time.Location) (time.Time, bool) {
	t := time.Date(y, mo, d, 0, minute, 0, 0, loc)
	want := time.Date(y, mo, d, 0, minute, 0, 0, time.UTC).Unix()
	_, off := t.Zone()
	got := t.Unix() + int64(off)
	switch {
	case got == want:
		// It exists. If a fall-back change just before t repeated it, take the first one.
		start, _ := t.ZoneBounds()
		if start.IsZero() {
			return t, true
		}
		_, offBefore := start.Add(-time.Second).Zone()
		if back := time.Duration(offBefore-off) * time.Second; back > 0 {
			if first := t.Add(-back); first.Before(start) {
				return first, true
			}
		}
		return t, true
	case got > want:
		// Skipped; Date placed t after the change, which is where t's zone starts.
		start, _ := t.ZoneBounds()
		return start, false
	default:
		// Skipped; Date placed t before the change, which is where t's zone ends.
		_, end := t.ZoneBounds()
		return end, false
	}
}

func (s Spec) location() *time.Location {
	if s.loc == nil {
		return time.UTC
	}
	return s.loc
}

// occurrence returns window w's occurrence that starts on the given date.
func (s Spec) occurrence(y int, mo time.Month, d int, w Window) (start, end time.Time) {
	loc := s.location()
	return at(y, mo, d, w.Start, loc), at(y, mo, d, w.end(), loc)
}

func weekdayOf(y int, mo time.Month, d int) time.Weekday {
	return time.Date(y, mo, d, 12, 0, 0, 0, time.UTC).Weekday()
}

// windows returns the spec's windows; none means the whole day.
func (s Spec) dayWindows() []Window {
	if len(s.windows) == 0 {
		return []Window{wholeDay()}
	}
	return s.windows
}

// restricted reports whether some time is not allowed.
func (s Spec) restricted() bool { return s.days&AllDays != AllDays || !isAllDay(s.windows) }

// stable reports whether t's zone offset holds for 50 hours either side, so that plain
// wall-clock arithmetic gives the same answers as the occurrence rules above.
func stable(tl time.Time) bool {
	start, end := tl.ZoneBounds()
	const margin = 50 * time.Hour
	return (start.IsZero() || tl.Sub(start) > margin) && (end.IsZero() || end.Sub(tl) > margin)
}

// Allowed reports whether t lies inside a working window on a working day (a window that
// crosses midnight counts for the day it starts on). In cron mode the cron is not looked
// at: Allowed is about windows and days only.
func (s Spec) Allowed(t time.Time) bool {
	if !s.restricted() {
		return true
	}
	_, _, ok := s.occurrenceAt(t)
	return ok
}

// occurrenceAt returns the window occurrence that contains t, if any.
func (s Spec) occurrenceAt(t time.Time) (start, end time.Time, ok bool) {
	tl := t.In(s.location())
	if stable(tl) {
		// No clock change nearby: wall-clock differences are elapsed time.
		wd := tl.Weekday()
		h, m, sec := tl.Clock()
		now := time.Duration(h*3600+m*60+sec)*time.Second + time.Duration(tl.Nanosecond())
		minute := h*60 + m
		for _, w := range s.dayWindows() {
			var from, to int // minutes relative to t's midnight
			switch {
			case w.End > w.Start && minute >= w.Start && minute < w.End && s.days.Has(wd):
				from, to = w.Start, w.End
			case w.End <= w.Start && minute >= w.Start && s.days.Has(wd):
				from, to = w.Start, w.End+1440
			case w.End <= w.Start && minute < w.End && s.days.Has((wd+6)%7):
				from, to = w.Start-1440, w.End
			default:
				continue
			}
			return t.Add(time.Duration(from)*time.Minute - now), t.Add(time.Duration(to)*time.Minute - now), true
		}
		return time.Time{}, time.Time{}, false
	}
	return s.occurrenceAtSlow(t)
}

// occurrenceAtSlow is occurrenceAt by the rules, for times near a clock change.
func (s Spec) occurrenceAtSlow(t time.Time) (start, end time.Time, ok bool) {
	y, mo, d := t.In(s.location()).Date()
	for k := -1; k <= 1; k++ {
		if !s.days.Has(weekdayOf(y, mo, d+k)) {
			continue
		}
		for _, w := range s.dayWindows() {
			st, en := s.occurrence(y, mo, d+k, w)
			if en.Sub(st) >= minOccurrence && !t.Before(st) && t.Before(en) {
				return st, en, true
			}
		}
	}
	return time.Time{}, time.Time{}, false
}

// nextOccurrence returns the first window occurrence on a working day that starts strictly
// after t, or zero times if there is none within searchDays (only for an invalid Spec).
func (s Spec) nextOccurrence(t time.Time) (start, end time.Time) {
	y, mo, d := t.In(s.location()).Date()
	for k := -1; k <= searchDays; k++ {
		if !s.days.Has(weekdayOf(y, mo, d+k)) {
			continue
		}
		for _, w := range s.dayWindows() {
			st, en := s.occurrence(y, mo, d+k, w)
			if st.After(t) && en.Sub(st) >= minOccurrence {
				return st, en
			}
		}
	}
	return time.Time{}, time.Time{}
}

// NextWindowStart returns the start of the first working window (on a working day) that
// begins strictly after t. With no windows each working day is one window from midnight
// to midnight. It returns the zero time only for a Spec that allows no time at all, which
// New and NewCron refuse.
func (s Spec) NextWindowStart(t time.Time) time.Time {
	st, _ := s.nextOccurrence(t)
	return st
}
