package store

import (
	"errors"
	"fmt"
	"time"
)

// AccountSettings are the settings of one account edited in the dashboard: they override
// the configuration file's, field by field. Empty strings and nil lists are not set (the
// file's apply); an empty, non-nil list is set (to nothing), as "always: []" in the file.
type AccountSettings struct {
	// Account is the stored spelling of the name, set when read.
	Account    string
	Schedule   ScheduleSettings
	Activities ActivitySettings
	Updated    time.Time
}

// ScheduleSettings mirror schedule.Config (the store does not import schedule): the same
// fields, unparsed.
type ScheduleSettings struct {
	Interval string
	Hours    string
	Days     string
	TimeZone string
	Cron     string
	Spread   string
}

// ActivitySettings mirror config.Activities.
type ActivitySettings struct {
	Always  []string
	Include []string
	Exclude []string
	Random  string
}

// RoundSummary is a round without its results, counted.
type RoundSummary struct {
	ID       int64
	Account  string
	Started  time.Time
	Finished time.Time // zero when the round did not finish
	Verdict  string
	Reason   string
	Code     string
	Message  string
	// OK, Failed and Skipped count the round's results by outcome.
	OK, Failed, Skipped int
}

// RoundBucket aggregates the rounds of one account started in one bucket of time.
type RoundBucket struct {
	// Start is the start of the bucket, in the location asked for.
	Start time.Time
	// Rounds counts the rounds, OK, Degraded and NeedsOwner them by verdict.
	Rounds, OK, Degraded, NeedsOwner int
	// Activities counts the results of these rounds, ActivityOK, ActivityFailed and
	// ActivitySkipped them by outcome.
	Activities, ActivityOK, ActivityFailed, ActivitySkipped int
	// Calls sums the results' calls.
	Calls int
}

// ActivityStat aggregates the results of one activity (of one workload) of one account.
type ActivityStat struct {
	Activity string
	Workload string
	// Runs counts the results, OK, Failed and Skipped them by outcome.
	Runs, OK, Failed, Skipped int
	// Calls sums the results' calls.
	Calls int
	// AvgMs is the mean duration of the OK runs, rounded to the millisecond; P95Ms their
	// 95th percentile (nearest rank: the smallest duration at least 95% of them do not
	// exceed). Both are 0 when no run was OK.
	AvgMs, P95Ms int64
	// LastFailure is the newest failed run; its At is zero when none failed.
	LastFailure ActivityFailure
}

// ActivityFailure is one failed run of an activity.
type ActivityFailure struct {
	// At is when its round started (results carry no time of their own).
	At        time.Time
	RoundID   int64
	Status    int
	Code      string
	RequestID string
	Message   string
}

// Day is the length of a day bucket: buckets of whole days begin at local midnight.
const Day = 24 * time.Hour

// MaxBuckets bounds the buckets RoundStats returns.
const MaxBuckets = 10000

// ValidateBucket checks the size of a bucket: a whole number of days, or a divisor of a
// day (5m, 15m, 1h, 6h...), at least a minute.
func ValidateBucket(bucket time.Duration) error {
	switch {
	case bucket < time.Minute:
		return fmt.Errorf("store: bucket of %v: less than a minute", bucket)
	case bucket%Day != 0 && Day%bucket != 0:
		return fmt.Errorf("store: bucket of %v: neither whole days nor a divisor of a day", bucket)
	}
	return nil
}

// CheckBuckets validates the bucket and the start time, and bounds the number of buckets
// from since to until by MaxBuckets.
func CheckBuckets(since, until time.Time, bucket time.Duration) error {
	if err := ValidateBucket(bucket); err != nil {
		return err
	}
	if since.IsZero() {
		return errors.New("store: buckets need a start time")
	}
	// Days are 23 to 25 hours long: this bounds the count within a few percent.
	if n := until.Sub(since) / bucket; n > MaxBuckets {
		return fmt.Errorf("store: %v to %v in buckets of %v: more than %d buckets", since, until, bucket, MaxBuckets)
	}
	return nil
}

// StartOfDay returns the first instant of a date in loc: its midnight, or, in a zone whose
// clocks skip midnight for daylight saving time, the instant the day begins. The date is
// normalized (day 32 of January is February 1).
func StartOfDay(year int, month time.Month, day int, loc *time.Location) time.Time {
	year, month, day = time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Date()
	t := time.Date(year, month, day, 0, 0, 0, 0, loc)
	if y, m, d := t.Date(); y != year || m != month || d != day {
		// time.Date chose the offset before the change: t is on the day before (23:00 when
		// an hour is skipped); the day begins when that day's clock would reach midnight.
		h, mi, s := t.Clock()
		t = t.Add(Day - time.Duration(h)*time.Hour - time.Duration(mi)*time.Minute -
			time.Duration(s)*time.Second - time.Duration(t.Nanosecond()))
	}
	return t
}

// civilDays is the number of calendar days from the date of a to the date of b, in their
// locations.
func civilDays(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return int(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Sub(time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)) / Day)
}

// BucketStart returns the start of the bucket t falls in, in loc (UTC when nil). Buckets of
// whole days begin at local midnight (StartOfDay), every n days counted from since's
// date; shorter buckets divide each local day from its start, so a bucket never spans
// midnight (around a daylight saving change, hour buckets follow elapsed time: 00:00,
// 01:00, 03:00... or 01:00, 02:00, 02:00, 03:00...).
func BucketStart(t, since time.Time, bucket time.Duration, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if bucket%Day == 0 {
		n := int(bucket / Day)
		s := since.In(loc)
		k := civilDays(s, t)
		k -= ((k % n) + n) % n // floor to a multiple of n, before since too
		y, m, d := s.Date()
		return StartOfDay(y, m, d+k, loc)
	}
	y, m, d := t.Date()
	day := StartOfDay(y, m, d, loc)
	return day.Add(t.Sub(day) / bucket * bucket)
}

// nextBucket returns the start of the bucket after the one starting at start.
func nextBucket(start time.Time, bucket time.Duration, loc *time.Location) time.Time {
	y, m, d := start.Date()
	if bucket%Day == 0 {
		return StartOfDay(y, m, d+int(bucket/Day), loc)
	}
	next := start.Add(bucket)
	if midnight := StartOfDay(y, m, d+1, loc); !next.Before(midnight) {
		return midnight
	}
	return next
}

// FillBuckets returns buckets (each starting at the BucketStart of its rounds, for the
// same since, bucket and loc) contiguous from since's bucket to until's, or to the last
// given bucket when that is later, oldest first: a zero bucket where none is given. A
// given bucket that does not start on that sequence is an error.
func FillBuckets(buckets []RoundBucket, since, until time.Time, bucket time.Duration, loc *time.Location) ([]RoundBucket, error) {
	if loc == nil {
		loc = time.UTC
	}
	if err := CheckBuckets(since, until, bucket); err != nil {
		return nil, err
	}
	given := make(map[int64]RoundBucket, len(buckets))
	end := BucketStart(until, since, bucket, loc)
	for _, b := range buckets {
		given[b.Start.UnixNano()] = b
		if b.Start.After(end) {
			end = b.Start
		}
	}
	var out []RoundBucket
	for t := BucketStart(since, since, bucket, loc); !t.After(end); t = nextBucket(t, bucket, loc) {
		if len(out) == MaxBuckets {
			return nil, fmt.Errorf("store: %v to %v in buckets of %v: more than %d buckets", since, end, bucket, MaxBuckets)
		}
		b, ok := given[t.UnixNano()]
		if ok {
			delete(given, t.UnixNano())
		}
		b.Start = t
		out = append(out, b)
	}
	for _, b := range buckets {
		if _, left := given[b.Start.UnixNano()]; left {
			return nil, fmt.Errorf("store: bucket %v is not a bucket of %v from %v", b.Start, bucket, since)
		}
	}
	return out, nil
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted values by nearest rank:
// the smallest value that at least p% of the values do not exceed; 0 when there is none.
func Percentile(sorted []int64, p int) int64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := min(max((p*n+99)/100, 1), n) // ceil(p% of n), in integers
	return sorted[rank-1]
}
