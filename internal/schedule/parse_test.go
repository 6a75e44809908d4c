package schedule_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/e5renew/e5renew/internal/schedule"
)

func TestParseInterval(t *testing.T) {
	tests := []struct {
		in       string
		min, max time.Duration
	}{
		{"500s-86400s", 500 * time.Second, 86400 * time.Second},
		{"500-86400", 500 * time.Second, 24 * time.Hour}, // Renew Plus writes bare seconds
		{"30m-2h", 30 * time.Minute, 2 * time.Hour},
		{" 30m - 2h ", 30 * time.Minute, 2 * time.Hour},
		{"30m~2h", 30 * time.Minute, 2 * time.Hour},
		{"1h", time.Hour, time.Hour},
		{"1h30m-1d", 90 * time.Minute, 24 * time.Hour},
		{"1m", time.Minute, time.Minute},
	}
	for _, tt := range tests {
		iv, err := schedule.ParseInterval(tt.in)
		if err != nil {
			t.Errorf("ParseInterval(%q): %v", tt.in, err)
			continue
		}
		if iv.Min != tt.min || iv.Max != tt.max {
			t.Errorf("ParseInterval(%q) = %v..%v, want %v..%v", tt.in, iv.Min, iv.Max, tt.min, tt.max)
		}
	}
}

// Errors must say what to write.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		parse func(string) error
		in    string
		want  []string // substrings of the message
	}{
		{"interval empty", interval, "", []string{"30m-2h", "500s-86400s"}},
		{"interval backwards", interval, "2h-30m", []string{"backwards", "shorter duration first"}},
		{"interval too short", interval, "0s-1m", []string{"too short", "1s"}},
		{"interval too long", interval, "1h-2d", []string{"too long", "24h", "days"}},
		{"interval junk", interval, "often", []string{`"often" is not a duration`, "90s, 30m, 2h or 1d"}},
		{"interval negative", interval, "-1h", []string{"not a duration"}},

		{"window no dash", windows, "09:00", []string{"start-end", "09:00-18:00"}},
		{"window hours only", windows, "9-17", []string{`"9" needs minutes`, "09:00"}},
		{"window bad minute", windows, "09:60-10:00", []string{"not a time of day", "HH:MM"}},
		{"window 25h", windows, "09:00-25:00", []string{"not a time of day"}},
		{"window start 24", windows, "24:00-02:00", []string{"cannot start at 24:00"}},
		{"window empty", windows, "09:00-09:00", []string{"empty", "00:00-24:00"}},
		{"windows overlap", windows, "09:00-12:00,11:00-13:00", []string{"overlap", "09:00-13:00"}},
		{"windows overlap across midnight", windows, "22:00-02:00,01:00-05:00", []string{"overlap", "22:00-05:00"}},
		{"whole day and more", windows, "00:00-24:00,09:00-10:00", []string{"overlap", "00:00-24:00"}},

		{"day unknown", weekdays, "mon-funday", []string{`unknown day "funday"`, "mon tue wed", "0 and 7 are Sunday"}},
		{"day one letter", weekdays, "m", []string{`unknown day "m"`}},
		{"day number 8", weekdays, "1-8", []string{`unknown day "8"`}},
		{"days none", weekdays, ",", []string{"names no day"}},

		{"cron empty", cronErr, "", []string{"five fields", "0 8-18 * * 1-6"}},
		{"cron four fields", cronErr, "0 8-18 * *", []string{"4 fields", "five fields"}},
		{"cron six fields", cronErr, "0 0 8-18 * * 1-6", []string{"six fields", "seconds", `"0 8-18 * * 1-6"`}},
		{"cron every", cronErr, "@every 1h", []string{"interval: 1h"}},
		{"cron tz", cronErr, "CRON_TZ=Asia/Shanghai 0 8 * * *", []string{"timezone:"}},
		{"cron tz no space", cronErr, "TZ=UTC", []string{"timezone:"}},
		{"cron range", cronErr, "0 8-25 * * *", []string{"above maximum", "five fields"}},
		{"cron junk", cronErr, "every day", []string{"2 fields"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(tt.in)
			if err == nil {
				t.Fatalf("%q: no error", tt.in)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q: error %q does not contain %q", tt.in, err, w)
				}
			}
		})
	}
}

func interval(s string) error { _, err := schedule.ParseInterval(s); return err }
func windows(s string) error  { _, err := schedule.ParseWindows(s); return err }
func weekdays(s string) error { _, err := schedule.ParseWeekdays(s); return err }
func cronErr(s string) error  { _, err := schedule.ParseCron(s); return err }

func TestParseWindows(t *testing.T) {
	tests := []struct {
		in   string
		want []schedule.Window
	}{
		{"", nil},
		{"all", nil},
		{"全天", nil},
		{"09:00-12:00,13:30-18:00", []schedule.Window{{540, 720}, {810, 1080}}},
		{"13:30-18:00, 09:00-12:00", []schedule.Window{{540, 720}, {810, 1080}}}, // sorted
		{"9:00 - 17:30", []schedule.Window{{540, 1050}}},
		{"22:00-06:00", []schedule.Window{{1320, 360}}},
		{"22:00-00:00", []schedule.Window{{1320, 0}}},
		{"18:00-24:00", []schedule.Window{{1080, 1440}}},
		{"00:00-24:00", []schedule.Window{{0, 1440}}},
		{"09：00～12：00，14:00-18:00", []schedule.Window{{540, 720}, {840, 1080}}}, // full-width
		{"09:00-12:00,12:00-13:00", []schedule.Window{{540, 720}, {720, 780}}},  // touching is fine
		{"22:00-02:00,02:00-06:00", []schedule.Window{{120, 360}, {1320, 120}}},
	}
	for _, tt := range tests {
		got, err := schedule.ParseWindows(tt.in)
		if err != nil {
			t.Errorf("ParseWindows(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseWindows(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if w := (schedule.Window{Start: 1320, End: 120}); !w.CrossesMidnight() || w.Length() != 4*time.Hour || w.String() != "22:00-02:00" {
		t.Errorf("window 22:00-02:00: crosses %v, length %v, %s", w.CrossesMidnight(), w.Length(), w)
	}
}

func TestParseWeekdays(t *testing.T) {
	sun, mon, tue, wed, thu, fri, sat := time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday
	of := schedule.WeekdaysOf
	tests := []struct {
		in   string
		want schedule.Weekdays
	}{
		{"", schedule.AllDays},
		{"all", schedule.AllDays},
		{"*", schedule.AllDays},
		{"mon-sat", schedule.MonToSat},
		{"Mon-Sat", schedule.MonToSat},
		{"1-6", schedule.MonToSat},
		{"周一-周六", schedule.MonToSat},
		{"星期一至星期六", schedule.MonToSat},
		{"周一到周五", of(mon, tue, wed, thu, fri)},
		{"mon,wed,fri", of(mon, wed, fri)},
		{"mon wed fri", of(mon, wed, fri)},
		{"周一、周三、周五", of(mon, wed, fri)},
		{"0", of(sun)},
		{"7", of(sun)},
		{"sun", of(sun)},
		{"周日", of(sun)},
		{"星期天", of(sun)},
		{"0-6", schedule.AllDays},
		{"1-7", schedule.AllDays},
		{"0-7", schedule.AllDays},
		{"mon-sun", schedule.AllDays},
		{"sun-sat", schedule.AllDays},
		{"周一-周日", schedule.AllDays},
		{"fri-mon", of(fri, sat, sun, mon)},
		{"sat-sun", of(sat, sun)},
		{"5-1", of(fri, sat, sun, mon)},
		{"weekdays", of(mon, tue, wed, thu, fri)},
		{"工作日", of(mon, tue, wed, thu, fri)},
		{"weekends", of(sat, sun)},
		{"weekdays,sat", schedule.MonToSat},
		{"tues,thurs", of(tue, thu)},
		{"Monday-Friday", of(mon, tue, wed, thu, fri)},
		{"mo-fr", of(mon, tue, wed, thu, fri)},
	}
	for _, tt := range tests {
		got, err := schedule.ParseWeekdays(tt.in)
		if err != nil {
			t.Errorf("ParseWeekdays(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseWeekdays(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	for d, want := range map[schedule.Weekdays]string{
		schedule.MonToSat:      "mon-sat",
		schedule.AllDays:       "all",
		of(mon, wed, fri):      "mon,wed,fri",
		of(sat, sun):           "sat,sun",
		of(fri, sat, sun, mon): "mon,fri-sun",
		of(mon, tue, wed, thu): "mon-thu",
		of(sun):                "sun",
		schedule.Weekdays(0):   "none",
		of(tue, wed, thu, fri): "tue-fri",
		of(mon, tue, thu, sat): "mon,tue,thu,sat",
		of(mon, tue, sat, sun): "mon,tue,sat,sun",
		of(tue, wed, fri, sat): "tue,wed,fri,sat",
		of(wed, thu, fri, sun): "wed-fri,sun",
		of(mon, wed, thu, fri): "mon,wed-fri",
		of(thu, fri, sat, sun): "thu-sun",
		of(mon, tue, wed, sun): "mon-wed,sun",
		of(sat):                "sat",
	} {
		if got := d.String(); got != want {
			t.Errorf("%08b.String() = %q, want %q", uint8(d), got, want)
		}
	}
}

func TestParseCron(t *testing.T) {
	for _, in := range []string{
		"0 8-18 * * 1-6", // Office365Auto
		"  0  8-18 * *   1-6 ",
		"*/15 9-17 * * mon-fri",
		"0 9 * * 7",   // 7 is Sunday, as in most crons
		"0 9 * * 1-7", // every day
		"0 9 * * 0-7",
		"30 12 1,15 * *",
		"@hourly", "@daily", "@midnight", "@weekly",
	} {
		c, err := schedule.ParseCron(in)
		if err != nil {
			t.Errorf("ParseCron(%q): %v", in, err)
			continue
		}
		if c.IsZero() || c.String() != strings.Join(strings.Fields(in), " ") {
			t.Errorf("ParseCron(%q) = %q", in, c)
		}
	}
	// 7 is Sunday: "0 9 * * 7" runs on Sundays only.
	s := mustSpec(t, schedule.Config{Cron: "0 9 * * 7", Spread: "0", TimeZone: "UTC"})
	for _, tm := range s.Plan(utc(t, "2025-01-01 00:00"), 5, rng(1)) {
		if tm.Weekday() != time.Sunday || tm.Hour() != 9 || tm.Minute() != 0 {
			t.Errorf("0 9 * * 7 ran at %s", fmtT(tm))
		}
	}
}

func TestConfigSpec(t *testing.T) {
	s := mustSpec(t, schedule.Config{})
	if s.Interval().String() != schedule.DefaultInterval || s.Days() != schedule.AllDays || s.Windows() != nil || s.Location() != time.Local {
		t.Errorf("defaults: %s", s)
	}
	s = mustSpec(t, schedule.Config{Days: "mon-sat", TimeZone: "UTC"})
	if s.Days() != schedule.MonToSat || s.String() != "every 1h-4h, all day, mon-sat, UTC" {
		t.Errorf("Sunday off: %s", s)
	}
	s = mustSpec(t, schedule.Config{Cron: "0 8-18 * * 1-6", TimeZone: "UTC"})
	if s.Cron().String() != "0 8-18 * * 1-6" || s.Spread() != schedule.DefaultSpread || s.String() != "cron 0 8-18 * * 1-6 (+0-10m), all day, all days, UTC" {
		t.Errorf("Office365Auto: %s", s)
	}
	s = mustSpec(t, schedule.Config{Interval: "500s-86400s", Hours: "09:00-12:00,13:30-18:00", Days: "周一-周五", TimeZone: "Asia/Shanghai"})
	if s.String() != "every 500s-24h, 09:00-12:00,13:30-18:00, mon-fri, Asia/Shanghai" {
		t.Errorf("Renew Plus: %s", s)
	}

	// Every problem is reported, each naming its key.
	_, err := schedule.Config{Interval: "2h-1h", Hours: "9-17", Days: "someday", TimeZone: "Mars/Olympus", Spread: "lots"}.Spec()
	if err == nil {
		t.Fatal("no error")
	}
	for _, field := range []string{"interval", "hours", "days", "timezone", "spread"} {
		if !strings.Contains(err.Error(), field+": ") {
			t.Errorf("error does not name %s: %v", field, err)
		}
	}
	var fe *schedule.FieldError
	if !errors.As(err, &fe) {
		t.Errorf("not a FieldError: %T", err)
	}

	for _, tt := range []struct {
		c    schedule.Config
		want string
	}{
		{schedule.Config{TimeZone: "UTC+8"}, "Asia/Shanghai for UTC+8"},
		{schedule.Config{TimeZone: "Asia/Beijing"}, "Asia/Shanghai"},
		{schedule.Config{TimeZone: "Europe/Berlln"}, "IANA name"},
		{schedule.Config{Interval: "1h", Cron: "0 * * * *"}, "either interval"},
		{schedule.Config{Cron: "0 3 * * *", Hours: "09:00-18:00"}, "never runs inside hours 09:00-18:00"},
		{schedule.Config{Cron: "0 9 * * 6", Days: "mon-fri"}, "never runs"},
		{schedule.Config{Cron: "@monthly"}, "more than a week without a run"},
		{schedule.Config{Cron: "0 9 1 * *", TimeZone: "UTC"}, "more than a week"},
		{schedule.Config{Cron: "0 9 * 1 *", TimeZone: "UTC"}, "more than a week"},
		{schedule.Config{Spread: "2d", Cron: "@hourly"}, "too long"},
	} {
		_, err := tt.c.Spec()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want it to contain %q", tt.c, err, tt.want)
		}
	}
	// A weekly cron is enough; so is one inside a working window.
	for _, c := range []schedule.Config{
		{Cron: "0 9 * * 1"}, {Cron: "@weekly"}, {Cron: "0 9 1-7 * 1", TimeZone: "UTC"},
		{Cron: "30 9 * * *", Hours: "09:00-10:00", Days: "sat"}, {Cron: "0 23 * * *", Hours: "22:00-02:00"},
		{Cron: "off", Interval: "2h"},
	} {
		mustSpec(t, c)
	}
}

func TestNewRejectsNothingAllowed(t *testing.T) {
	iv := schedule.Interval{Min: time.Hour, Max: 2 * time.Hour}
	if _, err := schedule.New(iv, nil, 0, time.UTC); err == nil || !strings.Contains(err.Error(), "no working days") {
		t.Errorf("no days: %v", err)
	}
	if _, err := schedule.New(iv, []schedule.Window{{Start: 600, End: 600}}, schedule.AllDays, time.UTC); err == nil {
		t.Error("an empty window was accepted")
	}
	if _, err := schedule.New(iv, []schedule.Window{{540, 720}, {700, 800}}, schedule.AllDays, time.UTC); err == nil {
		t.Error("overlapping windows were accepted")
	}
	if _, err := schedule.New(schedule.Interval{Min: 0, Max: time.Hour}, nil, schedule.AllDays, time.UTC); err == nil {
		t.Error("a zero minimum was accepted")
	}
	if _, err := schedule.NewCron(schedule.Cron{}, 0, nil, schedule.AllDays, time.UTC); err == nil {
		t.Error("an empty cron was accepted")
	}
	// The zero Spec allows nothing, and Next still returns, strictly later.
	var zero schedule.Spec
	after := utc(t, "2025-01-01 00:00")
	if n := zero.Next(after, rng(1)); !n.After(after) {
		t.Errorf("zero Spec: Next = %s", n)
	}
	if zero.Allowed(after) || !zero.NextWindowStart(after).IsZero() {
		t.Error("zero Spec allows something")
	}
}

func TestMerge(t *testing.T) {
	defaults := schedule.Config{Interval: "30m-2h", Hours: "09:00-18:00", Days: "mon-fri", TimeZone: "Asia/Shanghai", Spread: "5m"}
	tests := []struct {
		name     string
		defaults schedule.Config
		override schedule.Config
		want     schedule.Config
	}{
		{"nothing overridden", defaults, schedule.Config{}, defaults},
		{"days and zone", defaults, schedule.Config{Days: "mon-sat", TimeZone: "UTC"},
			schedule.Config{Interval: "30m-2h", Hours: "09:00-18:00", Days: "mon-sat", TimeZone: "UTC", Spread: "5m"}},
		{"widen again", defaults, schedule.Config{Hours: "all", Days: "all"},
			schedule.Config{Interval: "30m-2h", Hours: "all", Days: "all", TimeZone: "Asia/Shanghai", Spread: "5m"}},
		{"cron drops the inherited interval", defaults, schedule.Config{Cron: "0 8-18 * * 1-6"},
			schedule.Config{Hours: "09:00-18:00", Days: "mon-fri", TimeZone: "Asia/Shanghai", Cron: "0 8-18 * * 1-6", Spread: "5m"}},
		{"interval drops the inherited cron", schedule.Config{Cron: "@hourly", Days: "mon-sat"}, schedule.Config{Interval: "1h-3h"},
			schedule.Config{Interval: "1h-3h", Days: "mon-sat"}},
		{"cron off keeps the inherited interval", defaults, schedule.Config{Cron: "off"},
			schedule.Config{Interval: "30m-2h", Hours: "09:00-18:00", Days: "mon-fri", TimeZone: "Asia/Shanghai", Cron: "off", Spread: "5m"}},
	}
	for _, tt := range tests {
		got := schedule.Merge(tt.defaults, tt.override)
		if got != tt.want {
			t.Errorf("%s: Merge = %+v, want %+v", tt.name, got, tt.want)
		}
		mustSpec(t, got)
	}
}

// Formatting and parsing round-trip.
func TestRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ws := genWindows(t)
		got, err := schedule.ParseWindows(schedule.FormatWindows(ws))
		if err != nil {
			t.Fatalf("%v: %v", ws, err)
		}
		if schedule.FormatWindows(got) != schedule.FormatWindows(ws) {
			t.Fatalf("windows %v came back as %v", ws, got)
		}
		d := schedule.Weekdays(rapid.Uint8Range(1, 127).Draw(t, "days"))
		back, err := schedule.ParseWeekdays(d.String())
		if err != nil || back != d {
			t.Fatalf("days %s came back as %s (%v)", d, back, err)
		}
		lo := time.Duration(rapid.Int64Range(60, 86400).Draw(t, "min")) * time.Second
		hi := time.Duration(rapid.Int64Range(int64(lo/time.Second), 86400).Draw(t, "max")) * time.Second
		iv := schedule.Interval{Min: lo, Max: hi}
		ivBack, err := schedule.ParseInterval(iv.String())
		if err != nil || ivBack != iv {
			t.Fatalf("interval %v came back as %v (%v)", iv, ivBack, err)
		}
	})
}
