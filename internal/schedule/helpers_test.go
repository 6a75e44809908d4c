package schedule_test

import (
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata" // the tests do not depend on the machine's zone database

	"github.com/e5renew/e5renew/internal/schedule"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at reads "2006-01-02 15:04" (or with :05) as wall-clock time in the zone. It fails the
// test on a time that does not exist there.
func at(t testing.TB, zone, s string) time.Time {
	t.Helper()
	loc := mustLoc(t, zone)
	layout := "2006-01-02 15:04"
	if len(s) > len(layout) {
		layout = "2006-01-02 15:04:05"
	}
	tm, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func utc(t testing.TB, s string) time.Time { return at(t, "UTC", s) }

func mustSpec(t testing.TB, c schedule.Config) schedule.Spec {
	t.Helper()
	s, err := c.Spec()
	if err != nil {
		t.Fatalf("%+v: %v", c, err)
	}
	return s
}

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

func fmtT(t time.Time) string { return t.Format("Mon 2006-01-02 15:04:05 MST") }
