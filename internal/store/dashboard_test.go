package store

import (
	"testing"
	"time"
	_ "time/tzdata"
)

func load(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// In Havana, clocks went from 00:00 to 01:00 on 2018-03-11: that day begins at 01:00,
// although time.Date gives 23:00 the day before.
func TestStartOfDaySkippedMidnight(t *testing.T) {
	for _, tc := range []struct {
		zone       string
		y          int
		m          time.Month
		d          int
		wantH      int
		wantLength time.Duration
	}{
		{"America/Havana", 2018, time.March, 11, 1, 23 * time.Hour},
		{"America/Santiago", 2018, time.August, 12, 1, 23 * time.Hour},
		{"America/Sao_Paulo", 2018, time.November, 4, 1, 23 * time.Hour},
		{"Europe/Paris", 2025, time.March, 30, 0, 23 * time.Hour},
		{"Europe/Paris", 2025, time.October, 26, 0, 25 * time.Hour},
	} {
		loc := load(t, tc.zone)
		got := StartOfDay(tc.y, tc.m, tc.d, loc)
		if y, m, d := got.Date(); y != tc.y || m != tc.m || d != tc.d || got.Hour() != tc.wantH || got.Minute() != 0 {
			t.Errorf("%s: StartOfDay(%d-%02d-%02d) = %v, want that day at %02d:00", tc.zone, tc.y, tc.m, tc.d, got, tc.wantH)
		}
		if before := got.Add(-time.Nanosecond); before.Day() == tc.d {
			t.Errorf("%s: %v is still the same day", tc.zone, before)
		}
		if length := StartOfDay(tc.y, tc.m, tc.d+1, loc).Sub(got); length != tc.wantLength {
			t.Errorf("%s: %d-%02d-%02d is %v long, want %v", tc.zone, tc.y, tc.m, tc.d, length, tc.wantLength)
		}
	}
	// Normalized dates.
	if got := StartOfDay(2025, time.January, 32, time.UTC); !got.Equal(time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("StartOfDay(January 32) = %v", got)
	}
}

func TestBucketStart(t *testing.T) {
	paris := load(t, "Europe/Paris")
	since := time.Date(2025, 3, 28, 15, 0, 0, 0, paris)
	for _, tc := range []struct {
		at     time.Time
		bucket time.Duration
		want   time.Time
	}{
		// Days at local midnight, whatever the zone of t.
		{time.Date(2025, 3, 30, 22, 30, 0, 0, time.UTC), Day, time.Date(2025, 3, 31, 0, 0, 0, 0, paris)},
		{time.Date(2025, 3, 30, 21, 30, 0, 0, time.UTC), Day, time.Date(2025, 3, 30, 0, 0, 0, 0, paris)},
		// Three days from since's date, before it too.
		{time.Date(2025, 3, 31, 12, 0, 0, 0, paris), 3 * Day, time.Date(2025, 3, 31, 0, 0, 0, 0, paris)},
		{time.Date(2025, 3, 30, 23, 0, 0, 0, paris), 3 * Day, time.Date(2025, 3, 28, 0, 0, 0, 0, paris)},
		{time.Date(2025, 3, 27, 23, 0, 0, 0, paris), 3 * Day, time.Date(2025, 3, 25, 0, 0, 0, 0, paris)},
		// Hours in elapsed time from the day's start: 03:00 follows 01:00 on March 30.
		{time.Date(2025, 3, 30, 3, 30, 0, 0, paris), time.Hour, time.Date(2025, 3, 30, 3, 0, 0, 0, paris)},
		{time.Date(2025, 3, 30, 3, 30, 0, 0, paris), 2 * time.Hour, time.Date(2025, 3, 30, 3, 0, 0, 0, paris)}, // 2h elapsed
		{time.Date(2025, 3, 30, 5, 30, 0, 0, paris), 6 * time.Hour, time.Date(2025, 3, 30, 0, 0, 0, 0, paris)},
		{time.Date(2025, 3, 30, 7, 30, 0, 0, paris), 6 * time.Hour, time.Date(2025, 3, 30, 7, 0, 0, 0, paris)}, // 6h elapsed
		// Kolkata is 5:30 from UTC: 15-minute buckets from its midnight.
		{time.Date(2025, 3, 30, 0, 50, 0, 0, time.UTC), 15 * time.Minute, time.Date(2025, 3, 30, 6, 15, 0, 0, load(t, "Asia/Kolkata"))},
	} {
		loc := tc.want.Location()
		got := BucketStart(tc.at, since, tc.bucket, loc)
		if !got.Equal(tc.want) || got.Location() != loc {
			t.Errorf("BucketStart(%v, %v) = %v, want %v", tc.at, tc.bucket, got, tc.want)
		}
	}
}

func TestFillBuckets(t *testing.T) {
	paris := load(t, "Europe/Paris")
	since := time.Date(2025, 10, 25, 12, 0, 0, 0, paris)
	until := time.Date(2025, 10, 27, 1, 0, 0, 0, paris)
	given := []RoundBucket{{Start: time.Date(2025, 10, 26, 0, 0, 0, 0, paris), Rounds: 3}}
	got, err := FillBuckets(given, since, until, Day, paris)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[1].Rounds != 3 || got[0].Rounds+got[2].Rounds != 0 ||
		!got[0].Start.Equal(time.Date(2025, 10, 25, 0, 0, 0, 0, paris)) || got[2].Start.Sub(got[1].Start) != 25*time.Hour {
		t.Errorf("FillBuckets = %+v", got)
	}
	// Hours on the 25-hour day: 02:00 twice.
	got, err = FillBuckets(nil, time.Date(2025, 10, 26, 0, 0, 0, 0, paris), time.Date(2025, 10, 26, 23, 59, 0, 0, paris), time.Hour, paris)
	if err != nil || len(got) != 25 || got[2].Start.Hour() != 2 || got[3].Start.Hour() != 2 {
		t.Errorf("hours of 2025-10-26 = %d buckets, %v", len(got), err)
	}
	// A bucket after until extends the range; one off the sequence is an error.
	got, err = FillBuckets([]RoundBucket{{Start: time.Date(2025, 10, 29, 0, 0, 0, 0, paris), Rounds: 1}}, since, until, Day, paris)
	if err != nil || len(got) != 5 || got[4].Rounds != 1 {
		t.Errorf("FillBuckets with a later bucket = %+v, %v", got, err)
	}
	if _, err := FillBuckets([]RoundBucket{{Start: since}}, since, until, Day, paris); err == nil {
		t.Error("FillBuckets accepted a bucket that starts at noon")
	}
	for _, tc := range []struct {
		since  time.Time
		bucket time.Duration
	}{{time.Time{}, Day}, {since, 0}, {since, 100 * time.Minute}, {since, 36 * time.Hour}, {since.AddDate(-2, 0, 0), time.Hour}} {
		if _, err := FillBuckets(nil, tc.since, until, tc.bucket, paris); err == nil {
			t.Errorf("FillBuckets(since %v, bucket %v) accepted", tc.since, tc.bucket)
		}
	}
}

func TestPercentile(t *testing.T) {
	seq := func(n int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(i + 1)
		}
		return out
	}
	for _, tc := range []struct {
		values []int64
		p      int
		want   int64
	}{
		{nil, 95, 0},
		{[]int64{7}, 95, 7},
		{[]int64{1, 2}, 95, 2},
		{[]int64{1, 2}, 50, 1},
		{seq(20), 95, 19},
		{seq(100), 95, 95},
		{seq(101), 95, 96},
		{seq(1000), 95, 950},
		{seq(10), 100, 10},
	} {
		if got := Percentile(tc.values, tc.p); got != tc.want {
			t.Errorf("Percentile(%d values, %d) = %d, want %d", len(tc.values), tc.p, got, tc.want)
		}
	}
}
