package activity

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Markers tag what a round creates: "e5renew-<minutes>-<random>", the minutes since the Unix
// epoch in lowercase hex and eight random hex digits ("e5renew-1c2a3b4-9f1e2d3c"). The time
// lets a sweep without a journal tell a leftover of a crashed run from an object a concurrent
// round is still using, for every kind, even those Graph gives no createdDateTime (mail
// folders, categories, rules, To Do lists). Versions before that wrote "e5renew-" and eight
// hex digits, without a time; those are still recognized.

const markerPrefix = "e5renew-"

// maxMarkerMinuteDigits bounds the minutes part (nine digits last until the year 2480).
const maxMarkerMinuteDigits = 12

// Marker returns a new marker: a short unique tag, made at x.Now(), that finds a created
// object again.
func (x *Exec) Marker() string {
	return fmt.Sprintf("%s%x-%08x", markerPrefix, max(x.Now().Unix(), 0)/60, x.Rand.Uint32())
}

// IsMarker reports whether s is an e5renew marker, in the current form or the old one
// without a time.
func IsMarker(s string) bool {
	n, _, ok := parseMarker(s)
	return ok && n == len(s)
}

// MarkerTime returns when a marker was made, to the minute. It reports false for a marker
// of the old form (it carries no time) and for anything that is not a marker.
func MarkerTime(marker string) (time.Time, bool) {
	n, t, ok := parseMarker(marker)
	if !ok || n != len(marker) || t.IsZero() {
		return time.Time{}, false
	}
	return t, true
}

// FindMarker returns the first marker within s, for names that carry one among other text
// ("notes-e5renew-1c2a3b4-9f1e2d3c.txt", "Plan the demo · e5renew-1c2a3b4-9f1e2d3c"); "" when
// there is none. A marker must not run on into letters, digits, '-' or '_'.
func FindMarker(s string) string {
	for i := 0; ; {
		j := strings.Index(s[i:], markerPrefix)
		if j < 0 {
			return ""
		}
		i += j
		if n, _, ok := parseMarker(s[i:]); ok && (i+n == len(s) || !markerChar(s[i+n])) {
			return s[i : i+n]
		}
		i += len(markerPrefix)
	}
}

// parseMarker reads a marker at the start of s: its length, its time (zero for the old form)
// and whether there is one.
func parseMarker(s string) (int, time.Time, bool) {
	rest, ok := strings.CutPrefix(s, markerPrefix)
	if !ok {
		return 0, time.Time{}, false
	}
	a := hexRun(rest)
	if a >= 1 && a <= maxMarkerMinuteDigits && a < len(rest) && rest[a] == '-' && hexRun(rest[a+1:]) == 8 {
		if mins, err := strconv.ParseInt(rest[:a], 16, 64); err == nil {
			return len(markerPrefix) + a + 1 + 8, time.Unix(mins*60, 0).UTC(), true
		}
	}
	if a == 8 {
		return len(markerPrefix) + 8, time.Time{}, true
	}
	return 0, time.Time{}, false
}

// hexRun counts the lowercase hex digits s starts with.
func hexRun(s string) int {
	n := 0
	for n < len(s) && (s[n] >= '0' && s[n] <= '9' || s[n] >= 'a' && s[n] <= 'f') {
		n++
	}
	return n
}

func markerChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}
