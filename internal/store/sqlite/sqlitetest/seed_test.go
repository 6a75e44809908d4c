package sqlitetest

import (
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/store"
)

// The seeded rows read back through the store as its own do.
func TestSeedDashboardReadsBack(t *testing.T) {
	end := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	st, names := Seeded(t, Options{Accounts: 3, Rounds: 13, Results: 4, Every: 6 * time.Hour, End: end, Seed: 7})
	if len(names) != 3 || names[2] != Name(2) {
		t.Fatalf("names %v", names)
	}
	states, err := st.States(t.Context())
	if err != nil || len(states) != 3 {
		t.Fatalf("states: %d, %v", len(states), err)
	}
	for _, name := range names {
		rounds, err := st.Rounds(t.Context(), name, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(rounds) != 13 {
			t.Fatalf("%s: %d rounds, want 13", name, len(rounds))
		}
		newest := rounds[0].Started
		if newest.Before(end.Add(-90*time.Minute)) || !newest.Before(end.Add(-time.Hour)) {
			t.Errorf("%s: newest round at %v, want within the half hour before an hour before %v", name, newest, end)
		}
		for _, r := range rounds {
			if len(r.Results) != 4 || r.Finished.Before(r.Started) {
				t.Fatalf("%s: round %+v", name, r)
			}
			for _, x := range r.Results {
				if x.Activity == "" || x.Workload == "" || (x.Outcome == store.OutcomeFailed && (x.Status != 429 || x.RequestID == "")) {
					t.Fatalf("%s: result %+v", name, x)
				}
			}
		}
		stats, err := st.ActivityStats(t.Context(), name, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		runs := 0
		for _, s := range stats {
			runs += s.Runs
		}
		if runs != 13*4 {
			t.Errorf("%s: %d results counted, want %d", name, runs, 13*4)
		}
		changes, err := st.Changes(t.Context(), name, 0)
		if err != nil || len(changes) != 3 { // rounds 0, 5, 10
			t.Errorf("%s: %d changes, %v", name, len(changes), err)
		}
	}
	verdicts, err := st.RecentVerdicts(t.Context(), 10)
	if err != nil || len(verdicts) != 3 || len(verdicts[names[0]]) != 10 {
		t.Errorf("recent verdicts: %v, %v", verdicts, err)
	}
}
