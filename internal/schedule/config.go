package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Defaults for the fields a Config leaves empty.
const (
	// DefaultInterval is the random interval when neither interval nor cron is set.
	DefaultInterval = "1h-4h"
	// DefaultSpread is how far past each cron time a run may be moved at random.
	DefaultSpread = 10 * time.Minute
)

// Config is the schedule as a YAML configuration writes it, globally (defaults) and per
// account:
//
//	interval: 500s-86400s              # random delay between runs (default 1h-4h)
//	hours: 09:00-12:00,13:30-18:00     # daily working windows (default: all day)
//	days: mon-sat                      # working weekdays (default: all; mon-sat = never Sunday)
//	timezone: Asia/Shanghai            # IANA zone for hours, days and cron (default: the machine's)
//	cron: "0 8-18 * * 1-6"             # instead of interval: Office365Auto's schedule
//	spread: 10m                        # cron only: random delay after each cron time (default 10m)
//
// Office365Auto's "never on Sunday (UTC)" is `days: mon-sat` with `timezone: UTC`.
// Quote cron expressions: YAML reads a leading * (an alias) or @ (reserved) specially, so
// write cron: "*/15 * * * *" and cron: "@hourly".
type Config struct {
	Interval string `yaml:"interval"`
	Hours    string `yaml:"hours"`
	Days     string `yaml:"days"`
	TimeZone string `yaml:"timezone"`
	Cron     string `yaml:"cron"`
	Spread   string `yaml:"spread"`
}

// FieldError is a problem with one field of a Config; Field is its YAML key.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Merge returns the account's schedule: each field the override sets replaces the
// default's. Setting interval on an account switches off a cron inherited from the
// defaults, and setting cron drops an inherited interval. "cron: off" also switches cron
// off explicitly; "hours: all" and "days: all" widen inherited limits again.
func Merge(defaults, override Config) Config {
	out := defaults
	set := func(dst *string, v string) {
		if strings.TrimSpace(v) != "" {
			*dst = v
		}
	}
	if strings.TrimSpace(override.Interval) != "" && strings.TrimSpace(override.Cron) == "" {
		out.Cron = ""
	}
	if !cronOff(override.Cron) {
		out.Interval = override.Interval
	}
	set(&out.Interval, override.Interval)
	set(&out.Hours, override.Hours)
	set(&out.Days, override.Days)
	set(&out.TimeZone, override.TimeZone)
	set(&out.Cron, override.Cron)
	set(&out.Spread, override.Spread)
	return out
}

func cronOff(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "off", "none", "no", "false":
		return true
	}
	return false
}

// Spec parses and checks the configuration. Every problem is reported, each as a
// *FieldError naming the YAML key (joined with errors.Join when there are several).
// An empty timezone means the machine's zone (time.Local), as elsewhere in e5renew.
func (c Config) Spec() (Spec, error) {
	var errs []error
	fail := func(field string, err error) { errs = append(errs, &FieldError{Field: field, Err: err}) }

	windows, err := ParseWindows(c.Hours)
	if err != nil {
		fail("hours", err)
	}
	days, err := ParseWeekdays(c.Days)
	if err != nil {
		fail("days", err)
	}
	loc, err := LoadLocation(c.TimeZone)
	if err != nil {
		fail("timezone", err)
	}
	useCron := !cronOff(c.Cron)
	var cr Cron
	var iv Interval
	spread := DefaultSpread
	if useCron {
		if strings.TrimSpace(c.Interval) != "" {
			fail("interval", fmt.Errorf("set either interval (a random delay) or cron (fixed times), not both"))
		}
		if cr, err = ParseCron(c.Cron); err != nil {
			fail("cron", err)
		}
	} else {
		ivs := c.Interval
		if strings.TrimSpace(ivs) == "" {
			ivs = DefaultInterval
		}
		if iv, err = ParseInterval(ivs); err != nil {
			fail("interval", err)
		}
	}
	if strings.TrimSpace(c.Spread) != "" {
		if spread, err = parseSpread(c.Spread); err != nil {
			fail("spread", err)
		}
	}
	if len(errs) > 0 {
		return Spec{}, errors.Join(errs...)
	}
	if useCron {
		s, err := NewCron(cr, spread, windows, days, loc)
		if err != nil {
			return Spec{}, &FieldError{Field: "cron", Err: err}
		}
		return s, nil
	}
	s, err := New(iv, windows, days, loc)
	if err != nil {
		return Spec{}, &FieldError{Field: "interval", Err: err}
	}
	return s, nil
}

// LoadLocation reads an IANA time zone name ("Asia/Shanghai", "Europe/Berlin", "UTC");
// "" and "Local" are the machine's zone. Errors say what to write, including for the
// offsets and abbreviations people try first (UTC+8, CST).
func LoadLocation(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "" || strings.EqualFold(name, "local"):
		return time.Local, nil
	case strings.EqualFold(name, "utc") || strings.EqualFold(name, "gmt") || name == "Z":
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err == nil {
		return loc, nil
	}
	upper := strings.ToUpper(name)
	if (strings.HasPrefix(upper, "UTC") || strings.HasPrefix(upper, "GMT")) && len(name) > 3 && (name[3] == '+' || name[3] == '-') {
		return nil, fmt.Errorf("unknown time zone %q: write a place name, e.g. Asia/Shanghai for UTC+8 (or Etc/GMT-8: the Etc/ names reverse the sign)", name)
	}
	if strings.Contains(strings.ToLower(name), "beijing") || upper == "CST" || name == "北京" {
		return nil, fmt.Errorf("unknown time zone %q: for China write Asia/Shanghai", name)
	}
	return nil, fmt.Errorf("unknown time zone %q: write an IANA name such as Asia/Shanghai, Europe/Berlin, America/New_York or UTC", name)
}
