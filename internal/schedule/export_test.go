package schedule

import "time"

// Test-only views of the internals, for the property tests in package schedule_test.

// OccurrenceAt returns the window occurrence containing t, computed by the rules, without
// the wall-clock shortcut that Allowed takes away from clock changes.
func (s Spec) OccurrenceAt(t time.Time) (start, end time.Time, ok bool) {
	return s.occurrenceAtSlow(t)
}

// OccurrenceAtFast is occurrenceAt as Allowed uses it.
func (s Spec) OccurrenceAtFast(t time.Time) (start, end time.Time, ok bool) {
	return s.occurrenceAt(t)
}

// NextCronTime returns the cron's next time after t, ignoring windows and days.
func (s Spec) NextCronTime(t time.Time) time.Time { return s.cron.next(t, s.location()) }

// NextAllowedCronTime returns the cron's next time after t inside the windows and days.
func (s Spec) NextAllowedCronTime(t time.Time) time.Time { return s.nextCronAllowed(t) }

// WallClockAt is the rule that places wall-clock times on instants across clock changes.
func WallClockAt(y int, mo time.Month, d, minute int, loc *time.Location) time.Time {
	return at(y, mo, d, minute, loc)
}
