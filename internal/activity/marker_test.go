package activity_test

import (
	"math/rand/v2"
	"regexp"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/activity"
)

// A marker carries the minute it was made and eight random hex digits, and reads back.
func TestMarkerCarriesItsTime(t *testing.T) {
	at := time.Date(2026, 3, 14, 15, 9, 26, 535, time.FixedZone("CST", 8*3600))
	x := &activity.Exec{Rand: rand.New(rand.NewPCG(1, 2)), Now: func() time.Time { return at }}
	re := regexp.MustCompile(`^e5renew-[0-9a-f]{1,12}-[0-9a-f]{8}$`)
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		m := x.Marker()
		if !re.MatchString(m) || !activity.IsMarker(m) {
			t.Fatalf("marker %q is not of the form e5renew-<minutes>-<random>", m)
		}
		got, ok := activity.MarkerTime(m)
		if !ok || !got.Equal(at.Truncate(time.Minute)) {
			t.Fatalf("MarkerTime(%q) = %v, %v; want %v", m, got, ok, at.Truncate(time.Minute))
		}
		if seen[m] {
			t.Fatalf("marker %q made twice", m)
		}
		seen[m] = true
	}
	later := at.Add(90 * time.Minute)
	x.Now = func() time.Time { return later }
	if got, _ := activity.MarkerTime(x.Marker()); !got.Equal(later.Truncate(time.Minute)) {
		t.Fatalf("a marker made later reads %v, want %v", got, later.Truncate(time.Minute))
	}
}

func TestIsMarkerAndMarkerTime(t *testing.T) {
	for _, c := range []struct {
		s      string
		marker bool
		when   string // RFC 3339, "" when MarkerTime reports false
	}{
		{"e5renew-1c2a3b4-9f1e2d3c", true, time.Unix(0x1c2a3b4*60, 0).UTC().Format(time.RFC3339)},
		{"e5renew-0-00000000", true, "1970-01-01T00:00:00Z"},
		{"e5renew-1c2a3b4d-9f1e2d3c", true, time.Unix(0x1c2a3b4d*60, 0).UTC().Format(time.RFC3339)},
		{"e5renew-0badf00d", true, ""}, // the old form: a marker without a time
		{"e5renew-deadbeef", true, ""},
		{"", false, ""},
		{"e5renew", false, ""},
		{"e5renew-", false, ""},
		{"e5renew-0badf00", false, ""},
		{"e5renew-0badf00d0", false, ""},
		{"e5renew-0BADF00D", false, ""},
		{"E5RENEW-0badf00d", false, ""},
		{"e5renew-1c2a3b4-9f1e2d3", false, ""},
		{"e5renew-1c2a3b4-9f1e2d3c0", false, ""},
		{"e5renew-1c2a3b4-9F1E2D3C", false, ""},
		{"e5renew-1c2a3b4-", false, ""},
		{"e5renew--9f1e2d3c", false, ""},
		{"e5renew-1234567890abc-9f1e2d3c", false, ""}, // thirteen minute digits
		{"e5renew-1c2a3b4-9f1e2d3c.txt", false, ""},
		{"notes-e5renew-1c2a3b4-9f1e2d3c", false, ""},
		{" e5renew-0badf00d", false, ""},
		{"e5renew-data", false, ""},
		{"e5renew-id", false, ""},
		{"e5renew-managed", false, ""},
		{"e5renew-xyz-9f1e2d3c", false, ""},
	} {
		if got := activity.IsMarker(c.s); got != c.marker {
			t.Errorf("IsMarker(%q) = %v, want %v", c.s, got, c.marker)
		}
		when, ok := activity.MarkerTime(c.s)
		if ok != (c.when != "") || (ok && when.Format(time.RFC3339) != c.when) {
			t.Errorf("MarkerTime(%q) = %v, %v; want %q", c.s, when, ok, c.when)
		}
	}
}

// Names that carry a marker among other text give it back.
func TestFindMarker(t *testing.T) {
	for s, want := range map[string]string{
		"Quarterly notes-e5renew-1c2a3b4-9f1e2d3c.txt":          "e5renew-1c2a3b4-9f1e2d3c",
		"Review the API design · e5renew-1c2a3b4-9f1e2d3c":      "e5renew-1c2a3b4-9f1e2d3c",
		"整理会议纪要 (e5renew-1c2a3b4-9f1e2d3c)":                     "e5renew-1c2a3b4-9f1e2d3c",
		"Old task (e5renew-0badf00d)":                           "e5renew-0badf00d",
		"e5renew-1c2a3b4-9f1e2d3c":                              "e5renew-1c2a3b4-9f1e2d3c",
		"e5renew-zz then e5renew-1c2a3b4-9f1e2d3c":              "e5renew-1c2a3b4-9f1e2d3c",
		"e5renew-1c2a3b4-9f1e2d3cx":                             "",
		"e5renew-0badf00d-12":                                   "",
		"e5renew-0badf00d_copy":                                 "",
		"x-e5renew-id":                                          "",
		"e5renew-data":                                          "",
		"Budget 2026.xlsx":                                      "",
		"":                                                      "",
		"e5renew-1c2a3b4-9f1e2d3c e5renew-1c2a3b5-00000000 end": "e5renew-1c2a3b4-9f1e2d3c",
	} {
		if got := activity.FindMarker(s); got != want {
			t.Errorf("FindMarker(%q) = %q, want %q", s, got, want)
		}
	}
}
