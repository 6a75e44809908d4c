package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/notify/channels"
	"github.com/e5renew/e5renew/internal/schedule"
)

// DefaultListen is where `e5renew serve` listens when neither the flag nor daemon.listen
// says: the loopback interface only, so the dashboard is private by default.
const DefaultListen = "127.0.0.1:8355"

// Daemon tunes `e5renew serve`.
type Daemon struct {
	// Listen is the address of /healthz, /metrics and the dashboard (default 127.0.0.1:8355).
	Listen string `yaml:"listen"`
	// Concurrency bounds the rounds running at once over all accounts (default 8).
	Concurrency int `yaml:"concurrency"`
	// NeedsOwnerRetry is how long an account that needs its owner stays paused before one
	// more sign-in is tried ("never": until the owner acts; default 24h).
	NeedsOwnerRetry string `yaml:"needs_owner_retry"`
	// Backoff is the first and the longest wait after a transient failure (default 2m-6h);
	// the wait doubles, with jitter, after each failure in a row.
	Backoff string `yaml:"backoff"`
	// DemoteAfter is how many rounds in a row an activity must fail with 403/404 before it
	// is demoted (default 3); DemoteFor how long it is left out before one more try
	// (default 7d, doubling while it keeps failing, at most 60d).
	DemoteAfter int    `yaml:"demote_after"`
	DemoteFor   string `yaml:"demote_for"`
	// ShutdownTimeout bounds how long rounds in flight get to clean up at shutdown
	// (default 30s).
	ShutdownTimeout string `yaml:"shutdown_timeout"`
	// LogFormat is text (default) or json; LogLevel debug, info (default), warn or error.
	LogFormat string `yaml:"log_format"`
	LogLevel  string `yaml:"log_level"`
}

// Daemon defaults.
const (
	DefaultConcurrency     = 8
	DefaultNeedsOwnerRetry = 24 * time.Hour
	DefaultBackoffMin      = 2 * time.Minute
	DefaultBackoffMax      = 6 * time.Hour
	DefaultDemoteAfter     = 3
	DefaultDemoteFor       = 7 * 24 * time.Hour
	DefaultShutdownTimeout = 30 * time.Second
	DefaultDegradedAfter   = 3
)

// DaemonSettings are the daemon's settings with defaults applied.
type DaemonSettings struct {
	Listen          string
	Concurrency     int
	NeedsOwnerRetry time.Duration // 0: never
	BackoffMin      time.Duration
	BackoffMax      time.Duration
	DemoteAfter     int
	DemoteFor       time.Duration
	ShutdownTimeout time.Duration
	LogFormat       string
	LogLevel        string
}

// DaemonSettings returns the daemon section with its defaults (the section is validated).
func (c *Config) DaemonSettings() DaemonSettings {
	d := c.Daemon
	s := DaemonSettings{Listen: d.Listen, Concurrency: d.Concurrency, NeedsOwnerRetry: DefaultNeedsOwnerRetry,
		BackoffMin: DefaultBackoffMin, BackoffMax: DefaultBackoffMax, DemoteAfter: d.DemoteAfter,
		DemoteFor: DefaultDemoteFor, ShutdownTimeout: DefaultShutdownTimeout, LogFormat: d.LogFormat, LogLevel: d.LogLevel}
	if s.Listen == "" {
		s.Listen = DefaultListen
	}
	if s.Concurrency <= 0 {
		s.Concurrency = DefaultConcurrency
	}
	if r := strings.TrimSpace(d.NeedsOwnerRetry); r != "" {
		if isNever(r) {
			s.NeedsOwnerRetry = 0
		} else if v, err := ParseDuration(r); err == nil {
			s.NeedsOwnerRetry = v
		}
	}
	if d.Backoff != "" {
		if lo, hi, err := ParseDurationRange(d.Backoff); err == nil {
			s.BackoffMin, s.BackoffMax = lo, hi
		}
	}
	if s.DemoteAfter <= 0 {
		s.DemoteAfter = DefaultDemoteAfter
	}
	if v, err := ParseDuration(d.DemoteFor); d.DemoteFor != "" && err == nil {
		s.DemoteFor = v
	}
	if v, err := ParseDuration(d.ShutdownTimeout); d.ShutdownTimeout != "" && err == nil {
		s.ShutdownTimeout = v
	}
	if s.LogFormat == "" {
		s.LogFormat = "text"
	}
	if s.LogLevel == "" {
		s.LogLevel = "info"
	}
	return s
}

func isNever(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "never", "off", "0":
		return true
	}
	return false
}

func (d *Daemon) validate(add func(line int, key, format string, args ...any)) {
	if d.Listen != "" {
		if _, _, err := net.SplitHostPort(d.Listen); err != nil {
			add(0, "daemon.listen", "%q is not host:port: write for example 127.0.0.1:8355 (0.0.0.0:8355 to listen on every interface)", d.Listen)
		}
	}
	if d.Concurrency < 0 {
		add(0, "daemon.concurrency", "must be a positive number of rounds (default %d)", DefaultConcurrency)
	}
	if r := d.NeedsOwnerRetry; r != "" && !isNever(r) {
		if v, err := ParseDuration(r); err != nil {
			add(0, "daemon.needs_owner_retry", "%v (or never)", err)
		} else if v < time.Hour {
			add(0, "daemon.needs_owner_retry", "%s is too short: retrying a sign-in that needs its owner more often than hourly can lock the account; use 1h or more, or never", r)
		}
	}
	if d.Backoff != "" {
		if lo, hi, err := ParseDurationRange(d.Backoff); err != nil {
			add(0, "daemon.backoff", "%v", err)
		} else if lo <= 0 {
			add(0, "daemon.backoff", "write the first and the longest wait, for example 2m-6h")
		} else if hi == lo {
			add(0, "daemon.backoff", "%q is one value: write the first and the longest wait, for example 2m-6h", d.Backoff)
		}
	}
	if d.DemoteAfter < 0 {
		add(0, "daemon.demote_after", "must be a positive number of rounds (default %d)", DefaultDemoteAfter)
	}
	for k, v := range map[string]string{"daemon.demote_for": d.DemoteFor, "daemon.shutdown_timeout": d.ShutdownTimeout} {
		if v != "" {
			if _, err := ParseDuration(v); err != nil {
				add(0, k, "%v", err)
			}
		}
	}
	switch d.LogFormat {
	case "", "text", "json":
	default:
		add(0, "daemon.log_format", "unknown format %q: use text or json", d.LogFormat)
	}
	switch strings.ToLower(d.LogLevel) {
	case "", "debug", "info", "warn", "error":
	default:
		add(0, "daemon.log_level", "unknown level %q: use debug, info, warn or error", d.LogLevel)
	}
}

// Notifications say where and when to tell the owner.
type Notifications struct {
	// Language of the messages: zh or en (default: the top-level language).
	Language string `yaml:"language"`
	// PublicURL is the dashboard's address as the owner reaches it; messages link to it.
	PublicURL string `yaml:"public_url"`
	// DegradedAfter is how many rounds in a row with failures make a "keeps failing"
	// message (default 3; "0" never).
	DegradedAfter *int `yaml:"degraded_after"`
	// Digest is the local time of a daily summary ("09:00"); empty: none.
	Digest string `yaml:"digest"`
	// TimeZone is the zone of the digest time and of times in messages (default
	// defaults.timezone, else the machine's).
	TimeZone string `yaml:"timezone"`
	// ExpiryWarnings are how many days before a client secret or the subscription's next
	// lifecycle date the owner is warned (default 30 and 7).
	ExpiryWarnings []int `yaml:"expiry_warnings"`
	// Events limits what is sent: needs_owner, recovered, degrading, expiring, started,
	// stopped, digest (default: all).
	Events   []string  `yaml:"events"`
	Channels []Channel `yaml:"channels"`
}

// EventNames are the events a configuration may list.
var EventNames = []string{"needs_owner", "recovered", "degrading", "expiring", "started", "stopped", "digest"}

// Channel is one configured notification channel: its type and that type's settings.
type Channel struct {
	Type     string
	Name     string // the settings' name, or the type
	Settings channels.Settings
	Line     int
}

// decodeNode reads `type:` and decodes the rest into that type's settings, strictly.
func (ch *Channel) decodeNode(d *decoder, n *yaml.Node, key string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, key, "expected a channel (type: telegram, and its settings), got %s", describe(n))
		return
	}
	ch.Line = n.Line
	rest := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	var typeNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "type" {
			typeNode = n.Content[i+1]
			continue
		}
		if n.Content[i].Value == "name" {
			ch.Name, _ = d.scalar(n.Content[i+1], join(key, "name"))
		}
		rest.Content = append(rest.Content, n.Content[i], n.Content[i+1])
	}
	if typeNode == nil {
		d.fail(n, key, "type is required: one of %s", strings.Join(channels.Names(), ", "))
		return
	}
	typ, ok := d.scalar(typeNode, join(key, "type"))
	if !ok {
		return
	}
	t, found := channels.Lookup(typ)
	if !found {
		msg := fmt.Sprintf("unknown channel type %q: use one of %s", typ, strings.Join(channels.Names(), ", "))
		if s := suggest(strings.ToLower(typ), channels.Names()); s != "" {
			msg = fmt.Sprintf("unknown channel type %q (did you mean %q?)", typ, s)
		}
		d.fail(typeNode, join(key, "type"), "%s", msg)
		return
	}
	ch.Type = t.Name
	ch.Settings = t.New()
	d.decode(rest, reflect.ValueOf(ch.Settings).Elem(), key)
	if ch.Name == "" {
		ch.Name = t.Name
	}
}

func (n *Notifications) validate(c *Config, add func(line int, key, format string, args ...any)) {
	if n.Language != "" {
		if _, err := i18n.Parse(n.Language); err != nil {
			add(0, "notifications.language", "%v", err)
		}
	}
	if n.PublicURL != "" {
		if u, err := url.Parse(n.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(0, "notifications.public_url", "%q is not an http(s) URL: write the dashboard's address as you open it, e.g. https://e5.example.com", n.PublicURL)
		}
	}
	for _, d := range n.ExpiryWarnings {
		if d <= 0 || d > 365 {
			add(0, "notifications.expiry_warnings", "%d is not a number of days between 1 and 365 (for example [30, 7])", d)
		}
	}
	if n.DegradedAfter != nil && *n.DegradedAfter < 0 {
		add(0, "notifications.degraded_after", "must be 0 (never) or a number of rounds")
	}
	if n.Digest != "" {
		if _, err := ParseClock(n.Digest); err != nil {
			add(0, "notifications.digest", "%v", err)
		}
	}
	if n.TimeZone != "" {
		if _, err := schedule.LoadLocation(n.TimeZone); err != nil {
			add(0, "notifications.timezone", "%v", err)
		}
	}
	for _, e := range n.Events {
		known := false
		for _, k := range EventNames {
			known = known || strings.EqualFold(e, k)
		}
		if !known {
			add(0, "notifications.events", "unknown event %q: use some of %s", e, strings.Join(EventNames, ", "))
		}
	}
	names := map[string]int{}
	for i, ch := range n.Channels {
		key := fmt.Sprintf("notifications.channels[%d] (%s)", i, ch.Name)
		if prev, dup := names[strings.ToLower(ch.Name)]; dup {
			add(ch.Line, key, "the name %q is already used by the channel on line %d: give each channel its own name:", ch.Name, prev)
		}
		names[strings.ToLower(ch.Name)] = ch.Line
		if ch.Settings == nil {
			continue
		}
		if err := ch.Settings.Validate(); err != nil {
			for _, e := range splitJoined(err) {
				add(ch.Line, key, "%v", e)
			}
		}
	}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		for _, name := range a.Notify {
			if _, ok := names[strings.ToLower(name)]; !ok {
				var known []string
				for _, ch := range n.Channels {
					known = append(known, ch.Name)
				}
				if len(known) == 0 {
					add(a.Line, fmt.Sprintf("accounts[%d] (%s).notify", i, a.Name), "no channel is named %q: none is configured under notifications.channels", name)
				} else {
					add(a.Line, fmt.Sprintf("accounts[%d] (%s).notify", i, a.Name), "no channel is named %q; the channels are: %s", name, strings.Join(known, ", "))
				}
			}
		}
	}
}

// splitJoined returns the errors joined in err (errors.Join), or err itself.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// ParseClock reads a time of day "HH:MM" and returns the minutes since midnight.
func ParseClock(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day: write HH:MM, for example 09:00", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// NotifyLang is the language of notifications.
func (c *Config) NotifyLang() i18n.Lang {
	if l, err := i18n.Parse(c.Notifications.Language); err == nil && l != "" {
		return l
	}
	return c.Lang()
}

// NotifyLocation is the zone of times in notifications and of the digest.
func (c *Config) NotifyLocation() *time.Location {
	loc, err := schedule.LoadLocation(firstNonEmpty(c.Notifications.TimeZone, c.Defaults.TimeZone))
	if err != nil {
		return time.Local
	}
	return loc
}

// DegradedAfter is notifications.degraded_after with its default.
func (c *Config) DegradedAfter() int {
	if c.Notifications.DegradedAfter == nil {
		return DefaultDegradedAfter
	}
	return *c.Notifications.DegradedAfter
}

// ExpiryWarnings returns notifications.expiry_warnings, largest first (default 30 and 7).
func (c *Config) ExpiryWarnings() []int {
	w := append([]int(nil), c.Notifications.ExpiryWarnings...)
	if len(w) == 0 {
		w = []int{30, 7}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(w)))
	return w
}

// WantsEvent reports whether the notifications should include event.
func (c *Config) WantsEvent(event string) bool {
	if len(c.Notifications.Events) == 0 {
		return true
	}
	for _, e := range c.Notifications.Events {
		if strings.EqualFold(e, event) {
			return true
		}
	}
	return false
}

// EffectiveSchedule returns the account's schedule: the defaults, then the account's
// fields. Its time zone is the first set of: the account's schedule.timezone, the
// account's timezone, defaults.schedule.timezone, defaults.timezone.
func (c *Config) EffectiveSchedule(a *Account) schedule.Config {
	out := c.Defaults.Schedule
	var own schedule.Config
	if a.Schedule != nil {
		own = *a.Schedule
		out = schedule.Merge(out, own)
	}
	out.TimeZone = firstNonEmpty(own.TimeZone, a.TimeZone, c.Defaults.Schedule.TimeZone, c.Defaults.TimeZone)
	return out
}

// Spec returns the account's parsed schedule.
func (c *Config) Spec(a *Account) (schedule.Spec, error) {
	return c.EffectiveSchedule(a).Spec()
}

// CheckInterval refuses a schedule whose random interval is shorter than Microsoft's service
// allows (schedule.MinRealInterval), unless the endpoints are the emulated tenant's.
func (c *Config) CheckInterval(sp schedule.Spec) error {
	emulated := c.Endpoints.Authority != "" || c.Endpoints.Graph != ""
	if iv := sp.Interval(); !emulated && iv.Max > 0 && iv.Min < schedule.MinRealInterval {
		return fmt.Errorf("%s is too short for Microsoft's service: the shortest is 1m (Graph throttles bursts; Renew Plus's shortest is 500s). Intervals in seconds are for the emulated tenant only", iv)
	}
	return nil
}

func (c *Config) validateSchedules(add func(line int, key, format string, args ...any)) {
	report := func(line int, key string, err error) {
		for _, e := range splitJoined(err) {
			var fe *schedule.FieldError
			if errors.As(e, &fe) {
				add(line, key+"schedule."+fe.Field, "%v", fe.Err)
			} else {
				add(line, key+"schedule", "%v", e)
			}
		}
	}
	tooShort := func(line int, key string, sp schedule.Spec) {
		if err := c.CheckInterval(sp); err != nil {
			add(line, key+"schedule.interval", "%v", err)
		}
	}
	if sp, err := c.Defaults.Schedule.Spec(); err != nil && c.Defaults.Schedule != (schedule.Config{}) {
		report(0, "defaults.", err)
		return // every account inherits the problem: say it once
	} else if err == nil {
		tooShort(0, "defaults.", sp)
	}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		if a.Schedule == nil {
			continue
		}
		key := fmt.Sprintf("accounts[%d] (%s).", i, a.Name)
		if sp, err := c.Spec(a); err != nil {
			report(a.Line, key, err)
		} else {
			tooShort(a.Line, key, sp)
		}
	}
}
