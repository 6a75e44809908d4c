package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
	_ "time/tzdata" // the DST tests need Europe/Paris wherever they run

	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
)

var dashboardTests = []struct {
	name string
	fn   func(t *testing.T, h *harness)
}{
	{"Settings/GetSet", testSettings},
	{"AccountSettings/SaveListDelete", testAccountSettings},
	{"RoundStats/Empty", testRoundStatsEmpty},
	{"RoundStats/Counts", testRoundStatsCounts},
	{"RoundStats/DaylightSaving", testRoundStatsDST},
	{"RoundStats/Invalid", testRoundStatsInvalid},
	{"ActivityStats/Empty", testActivityStatsEmpty},
	{"ActivityStats/Aggregates", testActivityStats},
	{"LastRoundSummaries", testLastRoundSummaries},
	{"RecentVerdicts", testRecentVerdicts},
	{"Purge/Everything", testPurge},
	{"Purge/Refused", testPurgeRefused},
	{"Dashboard/Reopen", testDashboardReopen},
}

func testSettings(t *testing.T, h *harness) {
	s := h.store(t)
	if v, ok, err := s.GetSetting(ctx(t), "web.password"); err != nil || ok || v != "" {
		t.Fatalf("GetSetting on an empty store = %q, %v, %v", v, ok, err)
	}
	must(t, s.SetSetting(ctx(t), "web.password", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"))
	must(t, s.SetSetting(ctx(t), "web.theme", "dark"))
	must(t, s.SetSetting(ctx(t), "web.password", "replaced"))
	must(t, s.SetSetting(ctx(t), "empty", ""))
	for key, want := range map[string]string{"web.password": "replaced", "web.theme": "dark", "empty": ""} {
		if v, ok, err := s.GetSetting(ctx(t), key); err != nil || !ok || v != want {
			t.Errorf("GetSetting(%s) = %q, %v, %v; want %q", key, v, ok, err, want)
		}
	}
	// Keys are exact.
	if _, ok, _ := s.GetSetting(ctx(t), "WEB.THEME"); ok {
		t.Error("setting keys are not case-sensitive")
	}
	if err := s.SetSetting(ctx(t), "", "x"); err == nil {
		t.Error("SetSetting accepted an empty key")
	}
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	if err := s.SetSetting(c, "web.session_key", "k"); err != nil {
		t.Errorf("SetSetting with a cancelled context: %v", err)
	}
	if v, ok, err := s.GetSetting(ctx(t), "web.session_key"); err != nil || !ok || v != "k" {
		t.Errorf("setting written with a cancelled context = %q, %v, %v", v, ok, err)
	}
}

func testAccountSettings(t *testing.T, h *harness) {
	s := h.store(t)
	all, err := s.AccountSettings(ctx(t))
	must(t, err)
	if len(all) != 0 {
		t.Fatalf("AccountSettings of an empty store = %+v", all)
	}
	sync_(t, s, store.Account{Name: "Alice"})
	alice := store.AccountSettings{
		Schedule: store.ScheduleSettings{Interval: "6h", Hours: "8-22", Days: "mon-fri", TimeZone: "Asia/Shanghai",
			Cron: "", Spread: "30m"},
		Activities: store.ActivitySettings{Always: []string{"mail.list", "files.list"}, Include: []string{},
			Exclude: nil, Random: "4-8"},
		Updated: base,
	}
	must(t, s.SaveAccountSettings(ctx(t), "ALICE", alice))
	// An account the store does not know yet.
	bob := store.AccountSettings{Schedule: store.ScheduleSettings{Cron: "0 */4 * * *"}, Activities: store.ActivitySettings{Exclude: []string{"teams.*"}}}
	before := time.Now().Add(-time.Second)
	must(t, s.SaveAccountSettings(ctx(t), "Bob", bob))

	all, err = s.AccountSettings(ctx(t))
	must(t, err)
	if !reflect.DeepEqual(keys(all), []string{store.FoldName("alice"), store.FoldName("bob")}) {
		t.Fatalf("AccountSettings keys = %v, want those of alice and bob (FoldName)", keys(all))
	}
	checkSettings(t, all[store.FoldName("alice")], "Alice", alice)
	b := all[store.FoldName("Bob")]
	if b.Updated.Before(before) || b.Updated.After(time.Now().Add(time.Second)) {
		t.Errorf("bob's settings Updated = %v, want now", b.Updated)
	}
	bob.Updated = b.Updated
	checkSettings(t, b, "Bob", bob)
	if a, ok := accounts(t, s)["Bob"]; !ok || a.InConfig {
		t.Errorf("account created by SaveAccountSettings = %+v (listed %v), want listed, not in the configuration", a, ok)
	}

	// Saving replaces every field, zero ones included; a nil list is not an empty one.
	alice2 := store.AccountSettings{Activities: store.ActivitySettings{Exclude: []string{}}, Updated: base.Add(time.Hour)}
	must(t, s.SaveAccountSettings(ctx(t), "alice", alice2))
	all, err = s.AccountSettings(ctx(t))
	must(t, err)
	checkSettings(t, all[store.FoldName("alice")], "Alice", alice2)

	must(t, s.DeleteAccountSettings(ctx(t), "ALICE"))
	must(t, s.DeleteAccountSettings(ctx(t), "alice"))  // none left: not an error
	must(t, s.DeleteAccountSettings(ctx(t), "nobody")) // unknown account: not an error
	all, err = s.AccountSettings(ctx(t))
	must(t, err)
	if !reflect.DeepEqual(keys(all), []string{store.FoldName("bob")}) {
		t.Errorf("AccountSettings keys after deleting alice's = %v, want [bob]", keys(all))
	}

	c, cancel := context.WithCancel(ctx(t))
	cancel()
	if err := s.SaveAccountSettings(c, "carol", store.AccountSettings{Schedule: store.ScheduleSettings{Interval: "1h"}}); err != nil {
		t.Errorf("SaveAccountSettings with a cancelled context: %v", err)
	}
	all, err = s.AccountSettings(ctx(t))
	must(t, err)
	if c := all[store.FoldName("carol")]; c.Schedule.Interval != "1h" {
		t.Errorf("settings written with a cancelled context: %+v", c)
	}
}

func checkSettings(t *testing.T, got store.AccountSettings, account string, want store.AccountSettings) {
	t.Helper()
	if got.Account != account {
		t.Errorf("settings of %q, want %q (the stored spelling)", got.Account, account)
	}
	checkTime(t, "settings Updated", got.Updated, want.Updated)
	if got.Schedule != want.Schedule {
		t.Errorf("%s: schedule = %+v, want %+v", account, got.Schedule, want.Schedule)
	}
	// DeepEqual tells nil from empty lists.
	if !reflect.DeepEqual(got.Activities, want.Activities) {
		t.Errorf("%s: activities = %#v, want %#v", account, got.Activities, want.Activities)
	}
}

// paris has daylight saving time; its midnights all exist.
func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// daysAgo is the start of the local day n days before today in loc.
func daysAgo(n int, loc *time.Location) time.Time {
	y, m, d := time.Now().In(loc).Date()
	return time.Date(y, m, d-n, 0, 0, 0, 0, loc)
}

// checkDayBuckets checks that buckets are contiguous day buckets in loc up to today.
func checkDayBuckets(t *testing.T, got []store.RoundBucket, since time.Time, loc *time.Location) {
	t.Helper()
	y, m, d := since.In(loc).Date()
	want := time.Date(y, m, d, 0, 0, 0, 0, loc)
	for i, b := range got {
		if !b.Start.Equal(want) || b.Start.Location() != loc {
			t.Fatalf("bucket %d starts at %v, want %v (local midnight, in %v)", i, b.Start, want, loc)
		}
		want = time.Date(y, m, d+i+1, 0, 0, 0, 0, loc)
	}
	if today := daysAgo(0, loc); len(got) == 0 || !got[len(got)-1].Start.Equal(today) {
		t.Fatalf("the last bucket is not today's (%v): %d buckets", today, len(got))
	}
}

func roundStats(t *testing.T, s store.Store, account string, since time.Time, bucket time.Duration, loc *time.Location) []store.RoundBucket {
	t.Helper()
	got, err := s.RoundStats(ctx(t), account, since, bucket, loc)
	if err != nil {
		t.Fatalf("RoundStats(%s, %v, %v, %v): %v", account, since, bucket, loc, err)
	}
	return got
}

func testRoundStatsEmpty(t *testing.T, h *harness) {
	s := h.store(t)
	loc := paris(t)
	since := daysAgo(3, loc)
	got := roundStats(t, s, "nobody", since, store.Day, loc)
	if len(got) != 4 {
		t.Fatalf("RoundStats on an empty store: %d buckets, want 4 (3 days ago to today)", len(got))
	}
	checkDayBuckets(t, got, since, loc)
	for _, b := range got {
		if b != (store.RoundBucket{Start: b.Start}) {
			t.Errorf("bucket of an empty store %+v, want zeros", b)
		}
	}
	// Hours: from since's hour to now's.
	hour := time.Now().Add(-5 * time.Hour)
	got = roundStats(t, s, "nobody", hour, time.Hour, time.UTC)
	if len(got) < 6 || len(got) > 7 || !got[0].Start.Equal(hour.UTC().Truncate(time.Hour)) { // 7 if an hour began meanwhile
		t.Errorf("RoundStats by the hour over 5 hours: %d buckets from %v, want 6 from %v", len(got), got[0].Start, hour.UTC().Truncate(time.Hour))
	}
}

// statsRound is a round of known results: ok, failed and skipped ones with the given calls.
func statsRound(account string, started time.Time, verdict string, ok, failed, skipped int) *store.Round {
	r := &store.Round{Account: account, Started: started, Finished: started.Add(time.Minute), Verdict: verdict}
	for i := range ok + failed + skipped {
		outcome := store.OutcomeOK
		switch {
		case i >= ok+failed:
			outcome = store.OutcomeSkipped
		case i >= ok:
			outcome = store.OutcomeFailed
		}
		r.Results = append(r.Results, store.ActivityResult{Activity: fmt.Sprint("act", i), Workload: "mail",
			Outcome: outcome, Calls: 2, DurationMs: 100})
	}
	return r
}

func testRoundStatsCounts(t *testing.T, h *harness) {
	s := h.store(t)
	loc := time.FixedZone("UTC+8", 8*3600)
	sync_(t, s, store.Account{Name: "Alice"}, store.Account{Name: "bob"})
	day := func(n int, hour int) time.Time { return daysAgo(n, loc).Add(time.Duration(hour) * time.Hour) }
	since := daysAgo(3, loc)
	for _, r := range []*store.Round{
		statsRound("alice", since.Add(-time.Microsecond), store.VerdictOK, 5, 0, 0), // before since
		statsRound("alice", day(3, 0), store.VerdictOK, 3, 0, 1),                    // at since: in
		statsRound("alice", day(3, 23), store.VerdictDegraded, 2, 2, 0),
		statsRound("ALICE", day(1, 1), store.VerdictNeedsOwner, 0, 0, 0),
		statsRound("alice", day(1, 2), store.VerdictOK, 1, 0, 0),
		statsRound("alice", day(1, 3), store.VerdictDegraded, 0, 1, 2),
		statsRound("bob", day(2, 5), store.VerdictOK, 9, 0, 0), // another account
	} {
		saveRound(t, s, r)
	}
	got := roundStats(t, s, "aLiCe", since, store.Day, loc)
	if len(got) != 4 {
		t.Fatalf("RoundStats: %d buckets, want 4", len(got))
	}
	checkDayBuckets(t, got, since, loc)
	want := []store.RoundBucket{
		{Rounds: 2, OK: 1, Degraded: 1, Activities: 8, ActivityOK: 5, ActivityFailed: 2, ActivitySkipped: 1, Calls: 16},
		{},
		{Rounds: 3, OK: 1, Degraded: 1, NeedsOwner: 1, Activities: 4, ActivityOK: 1, ActivityFailed: 1, ActivitySkipped: 2, Calls: 8},
		{},
	}
	for i := range want {
		want[i].Start = got[i].Start
		if got[i] != want[i] {
			t.Errorf("bucket %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	// Six-hour buckets start at local midnight, 06:00, 12:00 and 18:00.
	got = roundStats(t, s, "alice", day(1, 0), 6*time.Hour, loc)
	if len(got) < 5 || len(got) > 8 {
		t.Fatalf("RoundStats in 6-hour buckets since yesterday: %d buckets, want 5 to 8", len(got))
	}
	for i, b := range got {
		if h, m, _ := b.Start.Clock(); h != 6*i%24 || m != 0 || b.Start.Location() != loc {
			t.Errorf("bucket %d starts at %v, want %02d:00 in %v", i, b.Start, 6*i%24, loc)
		}
	}
	if got[0].Rounds != 3 || got[0].Activities != 4 || got[1].Rounds != 0 {
		t.Errorf("6-hour buckets %+v, want the three rounds of yesterday morning in the first", got[:2])
	}

	// Nothing for bob's day in alice's, and bob's own.
	got = roundStats(t, s, "bob", since, store.Day, loc)
	if got[1].Rounds != 1 || got[1].ActivityOK != 9 || got[0].Rounds+got[2].Rounds+got[3].Rounds != 0 {
		t.Errorf("bob's buckets = %+v", got)
	}
}

// lastDSTChange finds the most recent local day in loc, at least two days ago, that is
// hours long (23 or 25).
func lastDSTChange(t *testing.T, loc *time.Location, hours int) time.Time {
	t.Helper()
	for n := 2; n < 400; n++ {
		d := daysAgo(n, loc)
		y, m, dd := d.Date()
		if next := time.Date(y, m, dd+1, 0, 0, 0, 0, loc); next.Sub(d) == time.Duration(hours)*time.Hour {
			return d
		}
	}
	t.Fatalf("no %d-hour day in %v in 400 days", hours, loc)
	return time.Time{}
}

// testRoundStatsDST checks the buckets around the last change to summer time, and the
// last change back.
func testRoundStatsDST(t *testing.T, h *harness) {
	for _, hours := range []int{23, 25} {
		t.Run(fmt.Sprintf("%dh", hours), func(t *testing.T) { testRoundStatsDSTDay(t, h, hours) })
	}
}

func testRoundStatsDSTDay(t *testing.T, h *harness, length int) {
	s := h.store(t)
	loc := paris(t)
	change := lastDSTChange(t, loc, length) // local midnight of a 23- or 25-hour day
	y, m, d := change.Date()
	dayBefore := time.Date(y, m, d-1, 0, 0, 0, 0, loc)
	dayAfter := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	end := time.Date(y, m, d+2, 0, 0, 0, 0, loc)
	t.Logf("daylight saving change on %s: %d hours", change.Format("2006-01-02"), length)
	// One round every elapsed hour, ten minutes past, from the day before to the day after.
	var r *store.Round
	n := 0
	for at := dayBefore.Add(10 * time.Minute); at.Before(end); at = at.Add(time.Hour) {
		r = statsRound("alice", at, store.VerdictOK, 1, 0, 0)
		saveRound(t, s, r)
		n++
	}

	since := time.Date(y, m, d-2, 0, 0, 0, 0, loc)
	got := roundStats(t, s, "alice", since, store.Day, loc)
	checkDayBuckets(t, got, since, loc)
	if got[0].Rounds != 0 || got[1].Rounds != 24 || got[2].Rounds != length || got[3].Rounds != 24 {
		t.Errorf("day buckets around the change: %d, %d, %d, %d rounds; want 0, 24, %d, 24",
			got[0].Rounds, got[1].Rounds, got[2].Rounds, got[3].Rounds, length)
	}
	for _, b := range got[4:] {
		if b.Rounds != 0 {
			t.Errorf("bucket %v has %d rounds, want none", b.Start, b.Rounds)
		}
	}

	// Two-day buckets count days from since's date.
	got = roundStats(t, s, "alice", since, 2*store.Day, loc)
	if got[0].Rounds != 24 || got[1].Rounds != length+24 || !got[1].Start.Equal(change) {
		t.Errorf("two-day buckets: %d rounds from %v, then %d from %v; want 24, then %d from %v",
			got[0].Rounds, got[0].Start, got[1].Rounds, got[1].Start, length+24, change)
	}

	// Hour buckets follow elapsed time: the change's day has 23 or 25 of them, one round
	// in each.
	got = roundStats(t, s, "alice", change, time.Hour, loc)
	onDay := 0
	for i, b := range got {
		if b.Start.Location() != loc {
			t.Fatalf("bucket %d is in %v, want %v", i, b.Start.Location(), loc)
		}
		if i > 0 && b.Start.Sub(got[i-1].Start) != time.Hour {
			t.Fatalf("bucket %d starts %v after the one before, want an hour", i, b.Start.Sub(got[i-1].Start))
		}
		if b.Start.Before(dayAfter) {
			onDay++
		}
		want := 0
		if b.Start.Before(end) {
			want = 1
		}
		if b.Rounds != want {
			t.Errorf("hour bucket %v has %d rounds, want %d", b.Start, b.Rounds, want)
		}
	}
	if onDay != length {
		t.Errorf("the change's day has %d hour buckets, want %d", onDay, length)
	}
	total := 0
	for _, b := range roundStats(t, s, "alice", dayBefore, 3*time.Hour, loc) {
		total += b.Rounds
	}
	if total != n {
		t.Errorf("3-hour buckets hold %d rounds, want %d", total, n)
	}
}

func testRoundStatsInvalid(t *testing.T, h *harness) {
	s := h.store(t)
	since := time.Now().Add(-time.Hour)
	for _, tc := range []struct {
		name   string
		since  time.Time
		bucket time.Duration
	}{
		{"zero bucket", since, 0},
		{"negative bucket", since, -time.Hour},
		{"second bucket", since, time.Second},
		{"7-minute bucket", since, 7 * time.Minute},
		{"25-hour bucket", since, 25 * time.Hour},
		{"no start", time.Time{}, time.Hour},
		{"too many buckets", time.Now().AddDate(-20, 0, 0), time.Hour},
	} {
		if got, err := s.RoundStats(ctx(t), "alice", tc.since, tc.bucket, time.UTC); err == nil {
			t.Errorf("%s: RoundStats returned %d buckets, want an error", tc.name, len(got))
		}
	}
	// A nil location is UTC.
	got := roundStats(t, s, "alice", daysAgo(1, time.UTC), store.Day, nil)
	if len(got) != 2 || got[0].Start.Location() != time.UTC {
		t.Errorf("RoundStats with a nil location: %+v", got)
	}
}

func testActivityStatsEmpty(t *testing.T, h *harness) {
	s := h.store(t)
	got, err := s.ActivityStats(ctx(t), "nobody", time.Time{})
	if err != nil || len(got) != 0 {
		t.Errorf("ActivityStats of an unknown account = %+v, %v", got, err)
	}
}

func testActivityStats(t *testing.T, h *harness) {
	s := h.store(t)
	sync_(t, s, store.Account{Name: "Alice"}, store.Account{Name: "bob"})
	since := base
	res := func(activity, workload, outcome string, ms int64) store.ActivityResult {
		x := store.ActivityResult{Activity: activity, Workload: workload, Outcome: outcome, DurationMs: ms, Calls: 1}
		if outcome == store.OutcomeFailed {
			x.Status, x.Code, x.RequestID, x.Message = 500+int(ms), fmt.Sprint("E", ms), fmt.Sprint("req-", ms), fmt.Sprint("failure ", ms)
		}
		return x
	}
	save := func(account string, started time.Time, results ...store.ActivityResult) *store.Round {
		r := &store.Round{Account: account, Started: started, Verdict: store.VerdictDegraded, Results: results}
		saveRound(t, s, r)
		return r
	}
	// mail.send succeeds in 20 rounds in 10, 20 ... 200 ms (saved in a shuffled order): a
	// mean of 105 and a 95th percentile of 190.
	for i, k := range []int{7, 3, 19, 0, 12, 5, 16, 1, 9, 14, 18, 2, 11, 6, 17, 4, 13, 8, 15, 10} {
		save("alice", since.Add(time.Duration(i+1)*time.Hour), res("mail.send", "mail", store.OutcomeOK, int64(10*(k+1))),
			res("files.upload", "files", store.OutcomeSkipped, 0))
	}
	// Two failures; the newest by start time is saved first, and ties with another round
	// saved later, which is newer.
	save("alice", since.Add(30*time.Hour), res("mail.send", "mail", store.OutcomeFailed, 2))
	save("alice", since.Add(25*time.Hour), res("mail.send", "mail", store.OutcomeFailed, 1))
	last := save("alice", since.Add(30*time.Hour), res("mail.send", "mail", store.OutcomeFailed, 3),
		res("files.upload", "files", store.OutcomeOK, 1), res("files.upload", "files", store.OutcomeOK, 2),
		res("calendar.list", "calendar", store.OutcomeOK, 7000), res("list", "mail", store.OutcomeFailed, 4))
	// Outside: before since, and another account.
	save("alice", since.Add(-time.Microsecond), res("mail.send", "mail", store.OutcomeFailed, 9), res("old", "mail", store.OutcomeOK, 1))
	save("bob", since.Add(time.Hour), res("mail.send", "mail", store.OutcomeOK, 99999))

	got, err := s.ActivityStats(ctx(t), "ALICE", since)
	must(t, err)
	failure := func(ms int64, r *store.Round) store.ActivityFailure {
		return store.ActivityFailure{At: norm(r.Started), RoundID: r.ID, Status: 500 + int(ms), Code: fmt.Sprint("E", ms),
			RequestID: fmt.Sprint("req-", ms), Message: fmt.Sprint("failure ", ms)}
	}
	want := []store.ActivityStat{
		{Activity: "calendar.list", Workload: "calendar", Runs: 1, OK: 1, Calls: 1, AvgMs: 7000, P95Ms: 7000},
		{Activity: "files.upload", Workload: "files", Runs: 22, OK: 2, Skipped: 20, Calls: 22, AvgMs: 2, P95Ms: 2}, // 1.5 rounds to 2
		{Activity: "list", Workload: "mail", Runs: 1, Failed: 1, Calls: 1, LastFailure: failure(4, last)},
		{Activity: "mail.send", Workload: "mail", Runs: 23, OK: 20, Failed: 3, Calls: 23, AvgMs: 105, P95Ms: 190, LastFailure: failure(3, last)},
	}
	if len(got) != len(want) {
		t.Fatalf("ActivityStats = %+v, want %d activities", got, len(want))
	}
	for i := range want {
		if !got[i].LastFailure.At.IsZero() {
			checkTime(t, "LastFailure.At", got[i].LastFailure.At, want[i].LastFailure.At)
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("activity %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	// Since zero: everything, the older round included.
	got, err = s.ActivityStats(ctx(t), "alice", time.Time{})
	must(t, err)
	if len(got) != 5 || got[4].Activity != "old" || got[3].Runs != 24 || got[3].Failed != 4 {
		t.Errorf("ActivityStats since the beginning = %+v", got)
	}
	// 100 known durations: 1..100 ms give a 95th percentile of 95, a mean of 50.5 → 51.
	for i := range 100 {
		save("bob", since.Add(time.Duration(i+2)*time.Hour), res("p", "w", store.OutcomeOK, int64(100-i)))
	}
	got, err = s.ActivityStats(ctx(t), "bob", since)
	must(t, err)
	if len(got) != 2 || got[1].Activity != "p" || got[1].P95Ms != 95 || got[1].AvgMs != 51 || got[1].OK != 100 {
		t.Errorf("ActivityStats of 1..100 ms = %+v, want P95Ms 95, AvgMs 51", got)
	}
}

func testLastRoundSummaries(t *testing.T, h *harness) {
	s := h.store(t)
	got, err := s.LastRoundSummaries(ctx(t))
	if err != nil || len(got) != 0 {
		t.Fatalf("LastRoundSummaries of an empty store = %+v, %v", got, err)
	}
	sync_(t, s, store.Account{Name: "A"}, store.Account{Name: "b"}, store.Account{Name: "c"}, store.Account{Name: "idle"})
	for i, name := range []string{"a", "b", "c"} {
		saveRound(t, s, round(name, base.Add(time.Duration(i)*time.Minute), 12))
		newest := round(name, base.Add(time.Duration(i)*time.Minute+2*time.Hour), 3*i+1) // saved in the middle
		newest.Verdict = []string{store.VerdictOK, store.VerdictDegraded, store.VerdictNeedsOwner}[i]
		saveRound(t, s, newest)
		saveRound(t, s, round(name, base.Add(-time.Hour), 5))
	}
	// A round without results nor end.
	bare := &store.Round{Account: "c", Started: base.Add(3 * time.Hour), Verdict: store.VerdictNeedsOwner, Reason: "consent"}
	saveRound(t, s, bare)

	last, err := s.LastRounds(ctx(t))
	must(t, err)
	got, err = s.LastRoundSummaries(ctx(t))
	must(t, err)
	if !reflect.DeepEqual(keys(got), []string{"A", "b", "c"}) {
		t.Fatalf("LastRoundSummaries keys = %v, want [A b c]", keys(got))
	}
	for name, r := range last {
		sum := got[name]
		want := store.RoundSummary{ID: r.ID, Account: r.Account, Started: r.Started, Finished: r.Finished, Verdict: r.Verdict,
			Reason: r.Reason, Code: r.Code, Message: r.Message}
		for _, x := range r.Results {
			switch x.Outcome {
			case store.OutcomeOK:
				want.OK++
			case store.OutcomeFailed:
				want.Failed++
			case store.OutcomeSkipped:
				want.Skipped++
			}
		}
		checkTime(t, "Started", sum.Started, want.Started)
		checkTime(t, "Finished", sum.Finished, want.Finished)
		if !reflect.DeepEqual(sum, want) {
			t.Errorf("summary of %s = %+v, want %+v", name, sum, want)
		}
	}
	if b := got["b"]; b.OK != 2 || b.Failed != 1 || b.Skipped != 1 {
		t.Errorf("b's counts = %d ok, %d failed, %d skipped; want 2, 1, 1", b.OK, b.Failed, b.Skipped)
	}
	if c := got["c"]; c.ID != bare.ID || c.OK+c.Failed+c.Skipped != 0 || !c.Finished.IsZero() {
		t.Errorf("c's summary = %+v, want the bare round", c)
	}
}

func testRecentVerdicts(t *testing.T, h *harness) {
	s := h.store(t)
	got, err := s.RecentVerdicts(ctx(t), 10)
	if err != nil || len(got) != 0 {
		t.Fatalf("RecentVerdicts of an empty store = %v, %v", got, err)
	}
	for _, n := range []int{0, -1} {
		if _, err := s.RecentVerdicts(ctx(t), n); err == nil {
			t.Errorf("RecentVerdicts(%d) accepted", n)
		}
	}
	sync_(t, s, store.Account{Name: "Alice"}, store.Account{Name: "bob"}, store.Account{Name: "idle"})
	ok, deg, own := store.VerdictOK, store.VerdictDegraded, store.VerdictNeedsOwner
	// Saved out of order; two rounds start at the same time (the later saved is newer).
	for _, x := range []struct {
		hour    int
		verdict string
	}{{3, deg}, {1, ok}, {5, own}, {0, ok}, {4, ok}, {2, own}, {5, deg}} {
		r := &store.Round{Account: "alice", Started: base.Add(time.Duration(x.hour) * time.Hour), Verdict: x.verdict}
		saveRound(t, s, r)
	}
	saveRound(t, s, &store.Round{Account: "BOB", Started: base, Verdict: deg})

	got, err = s.RecentVerdicts(ctx(t), 4)
	must(t, err)
	want := map[string][]string{"Alice": {deg, ok, own, deg}, "bob": {deg}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RecentVerdicts(4) = %v, want %v", got, want)
	}
	got, err = s.RecentVerdicts(ctx(t), 100)
	must(t, err)
	if a := got["Alice"]; !reflect.DeepEqual(a, []string{ok, ok, own, deg, ok, own, deg}) {
		t.Errorf("RecentVerdicts(100) of Alice = %v, want all seven oldest first", a)
	}
	got, err = s.RecentVerdicts(ctx(t), 1)
	must(t, err)
	if !reflect.DeepEqual(got, map[string][]string{"Alice": {deg}, "bob": {deg}}) {
		t.Errorf("RecentVerdicts(1) = %v", got)
	}
}

// purgeFixture gives an account everything PurgeAccount deletes (and a journal entry
// done).
func purgeFixture(t *testing.T, s store.Store, name string) {
	t.Helper()
	saveRound(t, s, round(name, base, 12))
	saveRound(t, s, round(name, base.Add(time.Hour), 3))
	must(t, s.SaveToken(ctx(t), name, store.Token{RefreshToken: secret.String("rt-" + name)}))
	must(t, s.SaveState(ctx(t), store.AccountState{Account: name, NextRun: base}))
	must(t, s.RecordChange(ctx(t), &store.StateChange{Account: name, Kind: "paused", By: "owner"}))
	must(t, s.SaveActivityHealth(ctx(t), store.ActivityHealth{Account: name, Activity: "x", Failures: 2}))
	must(t, s.SaveAccountSettings(ctx(t), name, store.AccountSettings{Schedule: store.ScheduleSettings{Interval: "2h"}}))
	e := &store.JournalEntry{Account: name, Kind: "message", Marker: "m"}
	must(t, s.JournalRecord(ctx(t), e))
	must(t, s.JournalDone(ctx(t), e.ID))
}

func testPurge(t *testing.T, h *harness) {
	s := h.store(t)
	// keep is configured; Gone was added by e5renew and is still in the configuration.
	must(t, s.SaveManaged(ctx(t), store.ManagedAccount{Name: "Gone", Type: "refresh_token", RefreshToken: "seed"}))
	must(t, s.SaveManaged(ctx(t), store.ManagedAccount{Name: "other", Type: "refresh_token"}))
	sync_(t, s, store.Account{Name: "keep"}, store.Account{Name: "Gone"}, store.Account{Name: "other"})
	purgeFixture(t, s, "keep")
	purgeFixture(t, s, "gone")
	keepRounds := rounds(t, s, "keep", 0)
	keepChanges, err := s.Changes(ctx(t), "keep", 0)
	must(t, err)

	must(t, s.PurgeAccount(ctx(t), "GONE"))

	if got := rounds(t, s, "gone", 0); len(got) != 0 {
		t.Errorf("rounds after the purge: %d", len(got))
	}
	if _, ok, err := s.LoadToken(ctx(t), "gone"); ok || err != nil {
		t.Errorf("token after the purge: %v, %v", ok, err)
	}
	if _, ok, err := s.LoadState(ctx(t), "gone"); ok || err != nil {
		t.Errorf("state after the purge: %v, %v", ok, err)
	}
	if hs, err := s.ActivityHealth(ctx(t), "gone"); len(hs) != 0 || err != nil {
		t.Errorf("activity health after the purge: %+v, %v", hs, err)
	}
	settings, err := s.AccountSettings(ctx(t))
	must(t, err)
	if !reflect.DeepEqual(keys(settings), []string{store.FoldName("keep")}) {
		t.Errorf("settings after the purge: %v, want keep's only", keys(settings))
	}
	managed, err := s.ManagedAccounts(ctx(t))
	must(t, err)
	if len(managed) != 1 || managed[0].Name != "other" {
		t.Errorf("managed accounts after the purge: %+v, want other only", managed)
	}
	last, err := s.LastRounds(ctx(t))
	must(t, err)
	if !reflect.DeepEqual(keys(last), []string{"keep"}) {
		t.Errorf("LastRounds after the purge: %v", keys(last))
	}
	sums, err := s.LastRoundSummaries(ctx(t))
	must(t, err)
	verdicts, err := s.RecentVerdicts(ctx(t), 5)
	must(t, err)
	if len(sums) != 1 || len(verdicts) != 1 {
		t.Errorf("summaries %v and verdicts %v after the purge, want keep's only", keys(sums), keys(verdicts))
	}
	// One change is left: the purge itself, for a running daemon to reload its accounts.
	changes, err := s.Changes(ctx(t), "gone", 0)
	must(t, err)
	if len(changes) != 1 || changes[0].Kind != store.ChangeAccounts || changes[0].Reason != "purged" || changes[0].By != "owner" || changes[0].At.IsZero() {
		t.Errorf("changes after the purge = %+v, want the purge recorded", changes)
	}
	after, err := s.ChangesAfter(ctx(t), keepChanges[0].ID)
	must(t, err)
	if len(after) != 1 || after[0].ID != changes[0].ID {
		t.Errorf("ChangesAfter the last change before the purge = %+v, want the purge", after)
	}

	// Nothing of the other accounts is touched.
	if got := rounds(t, s, "keep", 0); !reflect.DeepEqual(got, keepRounds) {
		t.Errorf("keep's rounds changed by the purge")
	}
	if got, err := s.Changes(ctx(t), "keep", 0); err != nil || !reflect.DeepEqual(got, keepChanges) {
		t.Errorf("keep's changes changed by the purge: %v", err)
	}
	if tok, ok, err := s.LoadToken(ctx(t), "keep"); !ok || err != nil || tok.RefreshToken.Reveal() != "rt-keep" {
		t.Errorf("keep's token after the purge: %v, %v", ok, err)
	}
	for _, check := range []func() (bool, error){
		func() (bool, error) { _, ok, err := s.LoadState(ctx(t), "keep"); return ok, err },
		func() (bool, error) { hs, err := s.ActivityHealth(ctx(t), "keep"); return len(hs) == 1, err },
	} {
		if ok, err := check(); !ok || err != nil {
			t.Errorf("keep's state or health lost in the purge: %v", err)
		}
	}

	// Until the next SyncAccounts, gone is in the configuration, and no longer managed.
	if err := s.PurgeAccount(ctx(t), "gone"); !errors.Is(err, store.ErrInConfig) {
		t.Errorf("purging again before a sync: %v, want ErrInConfig", err)
	}
	// Accounts removed from the configuration can be purged, again too.
	sync_(t, s, store.Account{Name: "other"})
	must(t, s.PurgeAccount(ctx(t), "gone"))
	must(t, s.PurgeAccount(ctx(t), "keep"))
	if got := rounds(t, s, "keep", 0); len(got) != 0 {
		t.Errorf("rounds of keep after its purge: %d", len(got))
	}
}

func testPurgeRefused(t *testing.T, h *harness) {
	s := h.store(t)
	if err := s.PurgeAccount(ctx(t), "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("purging an unknown account: %v, want ErrNotFound", err)
	}
	// Objects still to delete in the tenant: refused, nothing deleted.
	sync_(t, s, store.Account{Name: "busy"})
	sync_(t, s) // out of the configuration
	purgeFixture(t, s, "busy")
	e := &store.JournalEntry{Account: "busy", Kind: "driveItem", Marker: "e5renew-x.txt", ObjectID: "01AB"}
	must(t, s.JournalRecord(ctx(t), e))
	if err := s.PurgeAccount(ctx(t), "Busy"); !errors.Is(err, store.ErrJournalPending) {
		t.Errorf("purging an account with a pending journal: %v, want ErrJournalPending", err)
	}
	if got := rounds(t, s, "busy", 0); len(got) != 2 {
		t.Errorf("refused purge deleted rounds: %d left, want 2", len(got))
	}
	if _, ok, _ := s.LoadToken(ctx(t), "busy"); !ok {
		t.Error("refused purge deleted the token")
	}
	if got := pending(t, s, "busy"); len(got) != 1 {
		t.Errorf("refused purge touched the journal: %+v", got)
	}
	must(t, s.JournalDone(ctx(t), e.ID))
	must(t, s.PurgeAccount(ctx(t), "busy"))

	// In the configuration file (not added by e5renew): refused.
	sync_(t, s, store.Account{Name: "file"})
	purgeFixture(t, s, "file")
	if err := s.PurgeAccount(ctx(t), "file"); !errors.Is(err, store.ErrInConfig) {
		t.Errorf("purging an account of the configuration file: %v, want ErrInConfig", err)
	}
	if _, ok, _ := s.LoadToken(ctx(t), "file"); !ok {
		t.Error("refused purge deleted the token of a configured account")
	}
	sync_(t, s)
	must(t, s.PurgeAccount(ctx(t), "file"))
}

func testDashboardReopen(t *testing.T, h *harness) {
	s := h.open(t)
	must(t, s.SetSetting(ctx(t), "web.password", "hash"))
	want := store.AccountSettings{Schedule: store.ScheduleSettings{TimeZone: "Europe/Paris"},
		Activities: store.ActivitySettings{Always: []string{}}, Updated: base}
	must(t, s.SaveAccountSettings(ctx(t), "a", want))
	must(t, s.Close())

	s = h.store(t)
	if v, ok, err := s.GetSetting(ctx(t), "web.password"); v != "hash" || !ok || err != nil {
		t.Errorf("setting after reopening = %q, %v, %v", v, ok, err)
	}
	all, err := s.AccountSettings(ctx(t))
	must(t, err)
	checkSettings(t, all[store.FoldName("a")], "a", want)
}
