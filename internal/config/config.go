// Package config reads e5renew's YAML configuration: global settings, the cloud endpoints
// and the accounts with their sign-in type and credentials. Decoding is strict: an unknown
// key, a value of the wrong type or a missing credential is an error naming the file, the
// line, the key and what is expected. Secrets may be written as ${ENV_VAR} references.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/schedule"
	"github.com/e5renew/e5renew/internal/secret"
)

// Environment variables that override the endpoints of the selected cloud.
const (
	EnvAuthorityURL = "E5RENEW_AUTHORITY_URL"
	EnvGraphURL     = "E5RENEW_GRAPH_URL"
)

// Config is a whole configuration file.
type Config struct {
	// Cloud selects the national cloud: global (default), china, usgov, usgov-dod.
	Cloud string `yaml:"cloud"`
	// Endpoints override the cloud's sign-in and Graph URLs (tests, proxies).
	Endpoints EndpointsConfig `yaml:"endpoints"`
	// Language of messages and notifications: zh or en (default: from the environment).
	Language string `yaml:"language"`
	// DataDir holds e5renew's state (rotated tokens, history). Relative paths are relative
	// to the configuration file. Default: "e5renew-data" beside the file.
	DataDir string `yaml:"data_dir"`
	// Defaults apply to every account that does not say otherwise.
	Defaults Defaults  `yaml:"defaults"`
	Accounts []Account `yaml:"accounts"`
	// Daemon tunes `e5renew serve`.
	Daemon Daemon `yaml:"daemon"`
	// Notifications say where to tell the owner what needs them.
	Notifications Notifications `yaml:"notifications"`

	// Path is where the configuration was read from.
	Path string `yaml:"-"`
}

// Defaults are settings every account inherits.
type Defaults struct {
	Activities Activities `yaml:"activities"`
	// Pause is a random pause between Graph calls, "1s-5s" (default none).
	Pause string `yaml:"pause"`
	// TimeZone is an IANA zone name (Asia/Shanghai) for event times and the schedule's
	// working hours; default the machine's.
	TimeZone string `yaml:"timezone"`
	// Schedule says when rounds run.
	Schedule schedule.Config `yaml:"schedule"`
}

// Activities select what a round runs.
type Activities struct {
	// Always run every round (when the token allows them).
	Always []string `yaml:"always"`
	// Random is the size of the random subset of the other activities: "4-8" or "6".
	Random string `yaml:"random"`
	// Include restricts the candidates: names ("mail.draft"), workloads ("onedrive") or
	// "workload.*"; Exclude removes some.
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`

	Line int `yaml:"-"`
}

func (a *Activities) setPos(line int) { a.Line = line }

// EndpointsConfig overrides cloud URLs.
type EndpointsConfig struct {
	Authority string `yaml:"authority"`
	Graph     string `yaml:"graph"`
}

// Account is one Microsoft 365 account e5renew keeps active.
type Account struct {
	Name string `yaml:"name"`
	// Type is the sign-in type: refresh_token, client_credentials or password.
	Type     string `yaml:"type"`
	Tenant   string `yaml:"tenant"`
	ClientID string `yaml:"client_id"`
	// ClientSecret is the secret's value (not its ID); optional for refresh_token accounts
	// of public-client apps.
	ClientSecret secret.String `yaml:"client_secret"`
	RefreshToken secret.String `yaml:"refresh_token"`
	Username     string        `yaml:"username"`
	Password     secret.String `yaml:"password"`
	// User is the mailbox (UPN or object id) an application account works on.
	User string `yaml:"user"`
	// Scopes for the password grant (default: everything the app was granted).
	Scopes   []string `yaml:"scopes"`
	Disabled bool     `yaml:"disabled"`
	// Activities, Pause and TimeZone override the defaults for this account.
	Activities *Activities `yaml:"activities"`
	Pause      string      `yaml:"pause"`
	TimeZone   string      `yaml:"timezone"`
	// Schedule overrides the default schedule field by field.
	Schedule *schedule.Config `yaml:"schedule"`
	// Notify lists the channels (by name) told about this account; default all.
	Notify []string `yaml:"notify"`
	// SecretExpiresOn is when the client secret expires ("2027-06-30", as the portal shows
	// it), so that e5renew warns before; e5renew reads it from Graph when it may.
	SecretExpiresOn string `yaml:"secret_expires"`

	// Managed accounts were added by e5renew (login, accounts add, import, setup) and live
	// encrypted in the state store, not in the file.
	Managed bool `yaml:"-"`
	// SecretExpires is when the client secret expires, when known.
	SecretExpires time.Time `yaml:"-"`
	// SetupApp is set on managed accounts whose app `e5renew setup` registered.
	SetupApp bool `yaml:"-"`

	// Line is where the account is defined in the file.
	Line int `yaml:"-"`
	// Comment is written above the account by Marshal.
	Comment string `yaml:"-"`
}

func (a *Account) setPos(line int) { a.Line = line }

// Kind is the account's sign-in type.
func (a *Account) Kind() auth.Kind { return auth.Kind(a.Type) }

// Load reads and validates a configuration file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("configuration file %s not found: create one (see the README, or run `e5renew emulator --write-config %s` to try e5renew against the emulated tenant)", path, path)
		}
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(path, data, osGetenv)
}

// Parse decodes and validates configuration text; name is used in messages and to resolve
// relative paths; getenv resolves ${VAR} references.
func Parse(name string, data []byte, getenv func(string) (string, bool)) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if err.Error() == "EOF" {
			return nil, &Error{File: name, Msg: "the file is empty: add at least an accounts: list"}
		}
		return nil, &Error{File: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: name, Line: extra.Line, Msg: "the file holds more than one YAML document (---); keep one"}
	}
	if getenv == nil {
		getenv = osGetenv
	}
	cfg := &Config{Path: name}
	d := &decoder{file: name, getenv: getenv}
	d.decode(&root, reflect.ValueOf(cfg).Elem(), "")
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	if errs := cfg.validate(); len(errs) > 0 {
		return nil, errs
	}
	return cfg, nil
}

var (
	reName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$`)
	reGUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

var accountTypes = []string{string(auth.KindRefreshToken), string(auth.KindClientCredentials), string(auth.KindPassword)}

func (c *Config) validate() Errors {
	var errs Errors
	add := func(line int, key, format string, args ...any) {
		errs = append(errs, &Error{File: c.Path, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if c.Cloud != "" {
		if _, err := auth.LookupCloud(c.Cloud); err != nil {
			add(0, "cloud", "%v", err)
		}
	}
	for k, u := range map[string]string{"endpoints.authority": c.Endpoints.Authority, "endpoints.graph": c.Endpoints.Graph} {
		if u != "" {
			if err := checkURL(u); err != nil {
				add(0, k, "%v", err)
			}
		}
	}
	if c.Language != "" {
		if _, err := i18n.Parse(c.Language); err != nil {
			add(0, "language", "%v", err)
		}
	}
	checkTuning := func(line int, key string, acts *Activities, pause, tz string) {
		if acts != nil && acts.Random != "" {
			if _, _, err := ParseIntRange(acts.Random); err != nil {
				add(acts.Line, key+"activities.random", "%v", err)
			}
		}
		if pause != "" {
			if _, _, err := ParseDurationRange(pause); err != nil {
				add(line, key+"pause", "%v", err)
			}
		}
		if tz != "" {
			if _, err := time.LoadLocation(tz); err != nil {
				add(line, key+"timezone", "unknown time zone %q: use an IANA name such as Asia/Shanghai or Europe/Berlin", tz)
			}
		}
	}
	checkTuning(0, "defaults.", &c.Defaults.Activities, c.Defaults.Pause, c.Defaults.TimeZone)
	c.Daemon.validate(add)
	c.Notifications.validate(c, add)
	c.validateSchedules(add)
	names := map[string]int{}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		key := fmt.Sprintf("accounts[%d]", i)
		if a.Name != "" {
			key = fmt.Sprintf("accounts[%d] (%s)", i, a.Name)
		}
		a.Tenant = strings.TrimSpace(a.Tenant)
		a.ClientID = strings.TrimSpace(a.ClientID)
		switch {
		case a.Name == "":
			add(a.Line, key, "name is required: a short unique name such as alice or contoso-app")
		case !reName.MatchString(a.Name):
			add(a.Line, key, "name %q may use letters, digits and . _ @ + - (up to 64 characters)", a.Name)
		default:
			if prev, dup := names[strings.ToLower(a.Name)]; dup {
				add(a.Line, key, "name %q is already used by the account on line %d", a.Name, prev)
			}
			names[strings.ToLower(a.Name)] = a.Line
		}
		checkTuning(a.Line, key+".", a.Activities, a.Pause, a.TimeZone)
		if a.ClientID != "" && !reGUID.MatchString(a.ClientID) {
			add(a.Line, key+".client_id", "%q is not a client id: copy the Application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000", a.ClientID)
		}
		if a.SecretExpiresOn != "" {
			if d, err := time.Parse("2006-01-02", strings.TrimSpace(a.SecretExpiresOn)); err != nil {
				add(a.Line, key+".secret_expires", "%q is not a date: write it as 2027-06-30", a.SecretExpiresOn)
			} else {
				a.SecretExpires = d
			}
		}
		if reGUID.MatchString(a.ClientSecret.Reveal()) {
			add(a.Line, key+".client_secret", "this looks like the secret's ID (a GUID), not its value: copy the Value column (AADSTS7000215 otherwise)")
		}
		need := func(field string, ok bool, hint string) {
			if !ok {
				add(a.Line, key+"."+field, "is required for type %s%s", a.Type, hint)
			}
		}
		unused := func(field string, set bool) {
			if set {
				add(a.Line, key+"."+field, "is not used by type %s; remove it (or change the type)", a.Type)
			}
		}
		switch auth.Kind(a.Type) {
		case auth.KindRefreshToken:
			need("client_id", a.ClientID != "", "")
			need("refresh_token", !a.RefreshToken.IsZero(), ": the refresh_token value rclone or e5renew login printed")
			unused("username", a.Username != "")
			unused("password", !a.Password.IsZero())
			unused("user", a.User != "")
		case auth.KindClientCredentials:
			need("tenant", a.Tenant != "", ": the tenant's domain (contoso.onmicrosoft.com) or id")
			if isMultiTenantSegment(a.Tenant) {
				add(a.Line, key+".tenant", "application sign-in needs the tenant's domain or id, not %q", a.Tenant)
			}
			need("client_id", a.ClientID != "", "")
			need("client_secret", !a.ClientSecret.IsZero(), "")
			need("user", a.User != "", ": the user (UPN or id) whose mailbox and files the app works on")
			unused("refresh_token", !a.RefreshToken.IsZero())
			unused("username", a.Username != "")
			unused("password", !a.Password.IsZero())
		case auth.KindPassword:
			need("tenant", a.Tenant != "", ": the tenant's domain or id (Microsoft refuses the password grant on /common)")
			if t := strings.ToLower(a.Tenant); t == "common" || t == "consumers" {
				add(a.Line, key+".tenant", "the password grant does not work on /%s (AADSTS9001023): use the tenant's domain or id", t)
			}
			need("client_id", a.ClientID != "", "")
			need("username", a.Username != "", "")
			need("password", !a.Password.IsZero(), "")
			unused("refresh_token", !a.RefreshToken.IsZero())
			unused("user", a.User != "")
		case "":
			add(a.Line, key+".type", "is required: one of %s", strings.Join(accountTypes, ", "))
		default:
			msg := fmt.Sprintf("unknown type %q: use one of %s", a.Type, strings.Join(accountTypes, ", "))
			if s := suggest(a.Type, accountTypes); s != "" {
				msg = fmt.Sprintf("unknown type %q (did you mean %q?)", a.Type, s)
			}
			add(a.Line, key+".type", "%s", msg)
		}
	}
	return errs
}

func isMultiTenantSegment(t string) bool {
	switch strings.ToLower(t) {
	case "common", "organizations", "consumers":
		return true
	}
	return false
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

// ResolveEndpoints returns the endpoints in effect: the environment variables
// E5RENEW_AUTHORITY_URL and E5RENEW_GRAPH_URL, then the endpoints section, then the cloud.
func (c *Config) ResolveEndpoints(getenv func(string) (string, bool)) (auth.Endpoints, error) {
	if getenv == nil {
		getenv = osGetenv
	}
	cloud, err := auth.LookupCloud(c.Cloud)
	if err != nil {
		return auth.Endpoints{}, err
	}
	ep := auth.Endpoints{Authority: cloud.Authority, Graph: cloud.Graph}
	if c.Endpoints.Authority != "" {
		ep.Authority = c.Endpoints.Authority
	}
	if c.Endpoints.Graph != "" {
		ep.Graph = c.Endpoints.Graph
	}
	if v, ok := getenv(EnvAuthorityURL); ok && v != "" {
		if err := checkURL(v); err != nil {
			return ep, fmt.Errorf("%s: %v", EnvAuthorityURL, err)
		}
		ep.Authority = v
	}
	if v, ok := getenv(EnvGraphURL); ok && v != "" {
		if err := checkURL(v); err != nil {
			return ep, fmt.Errorf("%s: %v", EnvGraphURL, err)
		}
		ep.Graph = v
	}
	ep.Authority = strings.TrimRight(ep.Authority, "/")
	ep.Graph = strings.TrimRight(ep.Graph, "/")
	return ep, nil
}

// Lang is the configured message language, or the environment's.
func (c *Config) Lang() i18n.Lang {
	if l, err := i18n.Parse(c.Language); err == nil && l != "" {
		return l
	}
	return i18n.FromEnv()
}

// DataPath resolves the data directory.
func (c *Config) DataPath() string {
	d := c.DataDir
	if d == "" {
		d = "e5renew-data"
	}
	if filepath.IsAbs(d) || c.Path == "" {
		return d
	}
	return filepath.Join(filepath.Dir(c.Path), d)
}

// Account finds an account by name.
func (c *Config) Account(name string) (*Account, bool) {
	for i := range c.Accounts {
		if strings.EqualFold(c.Accounts[i].Name, name) {
			return &c.Accounts[i], true
		}
	}
	return nil, false
}

// ParseIntRange reads "4-8" or "6".
func ParseIntRange(s string) (lo, hi int, err error) {
	a, b, found := strings.Cut(strings.TrimSpace(s), "-")
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi = lo
	var err2 error
	if found {
		hi, err2 = strconv.Atoi(strings.TrimSpace(b))
	}
	if err1 != nil || err2 != nil || lo < 0 || hi < lo {
		return 0, 0, fmt.Errorf("%q is not a count or a range of counts: write 6 or 4-8", s)
	}
	return lo, hi, nil
}

// ParseDurationRange reads "1s-5s", "30s" (a fixed value) or "0".
func ParseDurationRange(s string) (lo, hi time.Duration, err error) {
	s = strings.TrimSpace(s)
	if s == "0" || s == "" {
		return 0, 0, nil
	}
	a, b, found := strings.Cut(s, "-")
	lo, err1 := ParseDuration(a)
	hi = lo
	var err2 error
	if found {
		hi, err2 = ParseDuration(b)
	}
	if err1 != nil || err2 != nil || hi < lo {
		return 0, 0, fmt.Errorf("%q is not a duration or a range of durations: write 2s or 1s-5s", s)
	}
	return lo, hi, nil
}

// EffectiveActivities returns the account's activity selection, falling back to the
// defaults field by field.
func (c *Config) EffectiveActivities(a *Account) Activities {
	out := c.Defaults.Activities
	if a.Activities == nil {
		return out
	}
	o := a.Activities
	if o.Always != nil {
		out.Always = o.Always
	}
	if o.Random != "" {
		out.Random = o.Random
	}
	if o.Include != nil {
		out.Include = o.Include
	}
	if o.Exclude != nil {
		out.Exclude = o.Exclude
	}
	out.Line = o.Line
	return out
}

// EffectivePause returns the account's pause range.
func (c *Config) EffectivePause(a *Account) (time.Duration, time.Duration) {
	p := c.Defaults.Pause
	if a.Pause != "" {
		p = a.Pause
	}
	lo, hi, _ := ParseDurationRange(p)
	return lo, hi
}

// Location returns the account's time zone.
func (c *Config) Location(a *Account) *time.Location {
	tz := firstNonEmpty(a.TimeZone, c.Defaults.TimeZone)
	if tz == "" {
		return time.Local
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.Local
	}
	return loc
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Validate checks a configuration built or changed in code (GitHub Actions mode adds the
// accounts of repository secrets to it) the way Parse checks a file.
func (c *Config) Validate() error {
	if errs := c.validate(); len(errs) > 0 {
		return errs
	}
	return nil
}

// ParseAccounts decodes a list of accounts written in YAML or JSON (the JSON secret of
// GitHub Actions mode: [{"name": "alice", "type": "refresh_token", ...}]) with the same
// keys and checks as the accounts: list of a file; name is used in messages. With a nil
// getenv, values are taken literally (a secret's "$" is not a ${VAR} reference). An account
// without a type gets the one its credentials show: refresh_token when it has one,
// password when it has a password, client_credentials otherwise.
func ParseAccounts(name string, data []byte, getenv func(string) (string, bool)) ([]Account, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{File: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, &Error{File: name, Msg: "it is empty: write a list of accounts, [{\"name\": \"alice\", \"client_id\": \"...\", \"refresh_token\": \"...\"}]"}
	}
	seq := root.Content[0]
	if seq.Kind != yaml.SequenceNode {
		return nil, &Error{File: name, Line: seq.Line, Msg: fmt.Sprintf("expected a list of accounts ([{...}, {...}]), got %s", describe(seq))}
	}
	var accounts []Account
	d := &decoder{file: name, getenv: getenv}
	d.decode(seq, reflect.ValueOf(&accounts).Elem(), "accounts")
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	for i := range accounts {
		a := &accounts[i]
		if a.Type == "" {
			switch {
			case !a.RefreshToken.IsZero():
				a.Type = string(auth.KindRefreshToken)
			case !a.Password.IsZero():
				a.Type = string(auth.KindPassword)
			default:
				a.Type = string(auth.KindClientCredentials)
			}
		}
	}
	c := &Config{Path: name, Accounts: accounts}
	if errs := c.validate(); len(errs) > 0 {
		return nil, errs
	}
	return c.Accounts, nil
}
