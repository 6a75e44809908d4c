package schedule

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Limits of the random interval. Renew Plus offers 500 s to 86,400 s; e5renew allows down
// to a minute against Microsoft (MinRealInterval: Graph throttles bursts; the config
// package enforces it) and down to a second against the emulated tenant (tests and demos),
// and never longer than a day (a subscription is judged on regular activity; to skip whole
// days, restrict the days instead).
const (
	MinInterval     = time.Second
	MinRealInterval = time.Minute
	MaxInterval     = 24 * time.Hour
	// MaxSpread is the longest spread a cron schedule may add to its times.
	MaxSpread = 24 * time.Hour
)

// Interval is the random delay between two runs, uniform in [Min, Max].
type Interval struct {
	Min, Max time.Duration
}

// String writes the interval the way ParseInterval reads it: "30m-2h" or "1h".
func (i Interval) String() string {
	if i.Min == i.Max {
		return formatDuration(i.Min)
	}
	return formatDuration(i.Min) + "-" + formatDuration(i.Max)
}

func (i Interval) validate(src string) error {
	if src == "" {
		src = i.String()
	}
	switch {
	case i.Min > i.Max:
		return fmt.Errorf("interval %q runs backwards: write the shorter duration first, e.g. 30m-2h", src)
	case i.Min < MinInterval:
		return fmt.Errorf("interval %q is too short: the shortest allowed is 1s (and 1m against Microsoft)", src)
	case i.Max > MaxInterval:
		return fmt.Errorf("interval %q is too long: the longest allowed is 24h (86400s), since an account should be active at least daily; to skip whole days, set days (e.g. days: mon-fri)", src)
	}
	return nil
}

// ParseInterval reads the random interval between two runs: a range "500s-86400s",
// "30m-2h", or one fixed duration "1h". Durations are Go durations (90s, 15m, 1h30m) or
// days (1d); a bare number is seconds, as in Renew Plus ("500-86400"). The range must lie
// within 1s..24h.
func ParseInterval(s string) (Interval, error) {
	src := strings.TrimSpace(s)
	if src == "" {
		return Interval{}, fmt.Errorf("interval is empty: write a range such as 30m-2h or 500s-86400s, or one duration such as 1h")
	}
	a, b, found := strings.Cut(normalizeDashes(src), "-")
	lo, err := parseDuration(a)
	if err != nil {
		return Interval{}, fmt.Errorf("interval %q: %v", src, err)
	}
	hi := lo
	if found {
		if hi, err = parseDuration(b); err != nil {
			return Interval{}, fmt.Errorf("interval %q: %v", src, err)
		}
	}
	iv := Interval{Min: lo, Max: hi}
	if err := iv.validate(src); err != nil {
		return Interval{}, err
	}
	return iv, nil
}

// parseSpread reads a cron spread: a duration, or "0"/"none" for none.
func parseSpread(s string) (time.Duration, error) {
	src := strings.TrimSpace(s)
	switch strings.ToLower(src) {
	case "0", "none", "off":
		return 0, nil
	}
	d, err := parseDuration(src)
	if err != nil {
		return 0, fmt.Errorf("spread %q: %v; or 0 for none", src, err)
	}
	if d > MaxSpread {
		return 0, fmt.Errorf("spread %q is too long: at most 24h (it is also cut short before the next cron time)", src)
	}
	return d, nil
}

// parseDuration reads Go durations ("90s", "1h30m"), days ("1d") and bare seconds ("500").
// It matches config.ParseDuration, plus bare seconds; it does not import config, so that
// config may validate schedules without an import cycle.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not a duration: write 90s, 30m, 2h or 1d (a bare number is seconds)", s)
	if s == "" {
		return 0, bad
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	if strings.HasSuffix(s, "d") {
		n, err := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64)
		if err == nil && n >= 0 && n <= 365 {
			return time.Duration(n * 24 * float64(time.Hour)), nil
		}
		return 0, bad
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, bad
	}
	return d, nil
}

// formatDuration writes d the way parseDuration reads it, in its largest exact units:
// "24h", "30m", "500s", "1h30m", "1h0m30s" becomes "1h30s".
func formatDuration(d time.Duration) string {
	if d <= 0 || d%time.Second != 0 {
		return d.String()
	}
	if d < time.Hour && d%time.Minute != 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.name)
			d -= n * u.unit
		}
	}
	return b.String()
}

// normalizeDashes turns the range separators people write (~, ～, –, —, 至, 到, " to ")
// into "-", and full-width punctuation into ASCII.
func normalizeDashes(s string) string {
	return strings.NewReplacer(
		"~", "-", "～", "-", "–", "-", "—", "-", "至", "-", "到", "-", " to ", "-",
		"：", ":", "，", ",", "、", ",", "；", ",", ";", ",",
	).Replace(s)
}

// Window is a daily working window in wall-clock time, from Start (inclusive) to End
// (exclusive), in minutes after midnight. End <= Start means the window crosses midnight
// (22:00-02:00); such a window belongs to the weekday it starts on. End may be 1440
// (24:00). The whole day is {0, 1440}.
type Window struct {
	Start, End int
}

// wholeDay is the window that covers the whole day.
func wholeDay() Window { return Window{Start: 0, End: 1440} }

// CrossesMidnight reports whether the window ends on the next day.
func (w Window) CrossesMidnight() bool { return w.End <= w.Start }

// Length is the window's nominal length (it is an hour shorter or longer when a daylight
// saving change falls inside it).
func (w Window) Length() time.Duration {
	return time.Duration(w.end()-w.Start) * time.Minute
}

// end is End counted from the start day's midnight (so > Start).
func (w Window) end() int {
	if w.End <= w.Start {
		return w.End + 1440
	}
	return w.End
}

// String writes "22:00-02:00".
func (w Window) String() string { return clockString(w.Start) + "-" + clockString(w.End) }

func clockString(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func (w Window) valid() bool {
	return w.Start >= 0 && w.Start < 1440 && w.End >= 0 && w.End <= 1440 && w.Start != w.End
}

// FormatWindows writes windows the way ParseWindows reads them ("" for all day).
func FormatWindows(ws []Window) string {
	if isAllDay(ws) {
		return ""
	}
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.String()
	}
	return strings.Join(parts, ",")
}

func isAllDay(ws []Window) bool { return len(ws) == 0 || len(ws) == 1 && ws[0] == wholeDay() }

// ParseWindows reads daily working windows: "09:00-12:00,13:30-18:00", one window that
// crosses midnight "22:00-06:00", or "" (also "all", "*", "全天") for the whole day, which
// returns nil. Times are HH:MM in 24-hour time, 00:00 to 24:00; windows may not overlap.
// The windows come back sorted by start.
func ParseWindows(s string) ([]Window, error) {
	src := strings.TrimSpace(s)
	switch strings.ToLower(src) {
	case "", "all", "all day", "allday", "any", "*", "always", "全天", "全部":
		return nil, nil
	}
	var ws []Window
	for _, part := range strings.Split(normalizeDashes(src), ",") {
		part = strings.ReplaceAll(strings.TrimSpace(part), " ", "")
		if part == "" {
			continue
		}
		a, b, found := strings.Cut(part, "-")
		if !found {
			return nil, fmt.Errorf("window %q: write start-end in 24-hour time, e.g. 09:00-18:00 (or 22:00-06:00 to cross midnight)", part)
		}
		start, err := parseClock(a, false)
		if err != nil {
			return nil, fmt.Errorf("window %q: %v", part, err)
		}
		end, err := parseClock(b, true)
		if err != nil {
			return nil, fmt.Errorf("window %q: %v", part, err)
		}
		if start == end {
			return nil, fmt.Errorf("window %q is empty (it starts where it ends): write 00:00-24:00 for the whole day, or leave hours empty", part)
		}
		ws = append(ws, Window{Start: start, End: end})
	}
	if len(ws) == 0 {
		return nil, nil
	}
	if err := checkWindows(ws); err != nil {
		return nil, err
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].Start < ws[j].Start })
	return ws, nil
}

// checkWindows rejects invalid or overlapping windows (including a window crossing
// midnight that runs into the next day's first window).
func checkWindows(ws []Window) error {
	if len(ws) > 48 {
		return fmt.Errorf("%d windows is too many: at most 48", len(ws))
	}
	sorted := make([]Window, len(ws))
	copy(sorted, ws)
	for _, w := range sorted {
		if !w.valid() {
			return fmt.Errorf("window %d-%d is not a window: start and end are minutes after midnight, 0..1439 and 0..1440, and differ", w.Start, w.End)
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Start < sorted[j].Start })
	overlap := func(a, b Window, bShift int) error {
		return fmt.Errorf("windows %s and %s overlap: merge them into one window, %s", a, b, mergedString(a, b, bShift))
	}
	for i := 0; i+1 < len(sorted); i++ {
		if sorted[i].end() > sorted[i+1].Start {
			return overlap(sorted[i], sorted[i+1], 0)
		}
	}
	if n := len(sorted); n > 0 {
		last, first := sorted[n-1], sorted[0]
		if n > 1 && last.end() > first.Start+1440 {
			return overlap(last, first, 1440)
		}
	}
	return nil
}

// mergedString writes the union of two overlapping windows a and b (b shifted by bShift
// minutes), or a hint when the union is the whole day or longer.
func mergedString(a, b Window, bShift int) string {
	start := min(a.Start, b.Start+bShift)
	end := max(a.end(), b.end()+bShift)
	if end-start >= 1440 {
		return "00:00-24:00"
	}
	return Window{Start: start % 1440, End: end % 1440}.String()
}

// parseClock reads "9:00", "09:30" or "24:00" (end only) as minutes after midnight.
func parseClock(s string, isEnd bool) (int, error) {
	bad := fmt.Errorf("%q is not a time of day: write HH:MM between 00:00 and 24:00, e.g. 09:30", s)
	h, m, found := strings.Cut(s, ":")
	if !found || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		if n, err := strconv.Atoi(s); !found && err == nil && n >= 0 && n <= 24 {
			return 0, fmt.Errorf("%q needs minutes: write %02d:00", s, n)
		}
		return 0, bad
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh == 24 && mm != 0 {
		return 0, bad
	}
	if hh == 24 && !isEnd {
		return 0, fmt.Errorf("a window cannot start at 24:00: write 00:00")
	}
	return hh*60 + mm, nil
}

// Weekdays is a set of weekdays: bit i is time.Weekday(i) (bit 0 Sunday).
type Weekdays uint8

// AllDays is every day of the week.
const AllDays Weekdays = 0x7f

// MonToSat is Monday to Saturday: Office365Auto's "never on Sunday".
const MonToSat Weekdays = AllDays &^ (1 << time.Sunday)

// WeekdaysOf returns the set of the given days.
func WeekdaysOf(days ...time.Weekday) Weekdays {
	var d Weekdays
	for _, w := range days {
		d |= 1 << (w % 7)
	}
	return d
}

// Has reports whether day is in the set.
func (d Weekdays) Has(day time.Weekday) bool { return d&(1<<(day%7)) != 0 }

// String writes the set Monday first, the way ParseWeekdays reads it: "mon-sat",
// "mon,wed,fri", "sat-sun", "all", or "none".
func (d Weekdays) String() string {
	d &= AllDays
	switch d {
	case AllDays:
		return "all"
	case 0:
		return "none"
	}
	names := [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	order := [7]time.Weekday{1, 2, 3, 4, 5, 6, 0}
	var parts []string
	for i := 0; i < 7; {
		if !d.Has(order[i]) {
			i++
			continue
		}
		j := i
		for j+1 < 7 && d.Has(order[j+1]) {
			j++
		}
		switch {
		case j == i:
			parts = append(parts, names[order[i]])
		case j == i+1:
			parts = append(parts, names[order[i]], names[order[j]])
		default:
			parts = append(parts, names[order[i]]+"-"+names[order[j]])
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// ParseWeekdays reads working days: ranges and lists of names or numbers, "mon-sat",
// "1-6", "mon,wed,fri", "fri-mon" (ranges may wrap around the week), "周一-周六",
// "星期一至星期五"; or "all" (also "", "*", "daily", "每天"), "weekdays" / "工作日"
// (mon-fri), "weekends" / "周末" (sat,sun). Names are English (any prefix of two letters
// or more: mo, tue, thurs, sunday) or Chinese (周一…周日/周天, 星期一…, 礼拜一…). Numbers
// are as in cron: 0 and 7 are Sunday, 1 is Monday.
func ParseWeekdays(s string) (Weekdays, error) {
	src := strings.TrimSpace(s)
	if src == "" {
		return AllDays, nil
	}
	var set Weekdays
	for _, tok := range strings.FieldsFunc(normalizeDashes(src), func(r rune) bool { return r == ',' || r == ' ' }) {
		if d, ok := daySet(tok); ok {
			set |= d
			continue
		}
		a, b, found := strings.Cut(tok, "-")
		if !found {
			return 0, unknownDay(tok, src)
		}
		lo, ok1 := dayNumber(a, false)
		hi, ok2 := dayNumber(b, true)
		if !ok1 {
			return 0, unknownDay(a, src)
		}
		if !ok2 {
			return 0, unknownDay(b, src)
		}
		if lo <= hi {
			for i := lo; i <= hi; i++ {
				set |= 1 << (i % 7)
			}
		} else { // wraps around the week: fri-mon
			for i := lo; i <= 6; i++ {
				set |= 1 << i
			}
			for i := 0; i <= hi; i++ {
				set |= 1 << i
			}
		}
	}
	if set == 0 {
		return 0, fmt.Errorf("days %q names no day: write e.g. mon-sat, 1-6, mon,wed,fri or all", src)
	}
	return set, nil
}

func unknownDay(tok, src string) error {
	return fmt.Errorf("days %q: unknown day %q; write mon tue wed thu fri sat sun (or 周一…周日), numbers 0-7 as in cron (0 and 7 are Sunday), ranges such as mon-sat or 1-6, lists such as mon,wed,fri, or all", src, tok)
}

// daySet reads the words that stand for several days, and single days.
func daySet(tok string) (Weekdays, bool) {
	switch strings.ToLower(tok) {
	case "all", "*", "daily", "everyday", "每天", "每日", "全部":
		return AllDays, true
	case "weekdays", "workdays", "工作日":
		return WeekdaysOf(1, 2, 3, 4, 5), true
	case "weekend", "weekends", "周末":
		return WeekdaysOf(0, 6), true
	}
	if n, ok := dayNumber(tok, false); ok {
		return 1 << (n % 7), true
	}
	return 0, false
}

// dayNumber reads one day as 0 (Sunday) .. 6 (Saturday); as the end of a range Sunday is 7,
// so "mon-sun" and "1-7" cover the whole week.
func dayNumber(tok string, isEnd bool) (int, bool) {
	tok = strings.ToLower(strings.TrimSpace(tok))
	n := -1
	if len(tok) == 1 && tok[0] >= '0' && tok[0] <= '7' {
		n = int(tok[0] - '0')
		if n == 7 && !isEnd {
			n = 0
		}
		return n, true
	}
	for _, p := range []string{"周", "星期", "礼拜"} {
		if rest, ok := strings.CutPrefix(tok, p); ok {
			switch rest {
			case "一", "1":
				n = 1
			case "二", "2":
				n = 2
			case "三", "3":
				n = 3
			case "四", "4":
				n = 4
			case "五", "5":
				n = 5
			case "六", "6":
				n = 6
			case "日", "天", "七", "7", "0":
				n = 0
			}
		}
	}
	if n < 0 && len(tok) >= 2 {
		for i, name := range [...]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"} {
			if strings.HasPrefix(name, tok) {
				n = i
				break
			}
		}
	}
	if n < 0 {
		return 0, false
	}
	if n == 0 && isEnd {
		n = 7
	}
	return n, true
}
