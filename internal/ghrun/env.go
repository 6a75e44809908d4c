// Package ghrun is e5renew's GitHub Actions mode: `e5renew run --once` in a workflow, with
// the accounts in repository secrets (Office365Auto's names work unchanged), the rotated
// refresh tokens written back to those secrets, the workflow kept alive, and a red run
// plus a notification only when an account needs its owner.
package ghrun

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// The variables the workflow passes besides the ones Actions sets.
const (
	// EnvSecrets holds ${{ toJSON(secrets) }}: every repository secret, so numbered
	// secrets (MS_TOKEN_2, MS_TOKEN_3...) need no change to the workflow.
	EnvSecrets = "E5RENEW_SECRETS"
	// EnvVars holds ${{ toJSON(vars) }}: the repository's configuration variables.
	EnvVars = "E5RENEW_VARS"
	// SecretAccounts is the one JSON secret that may hold any number of accounts.
	SecretAccounts = "E5RENEW_ACCOUNTS"
)

// Env is what a run can read: the process environment, then the repository secrets, then
// the repository variables. Names are case-insensitive (GitHub stores secret names in
// upper case; Office365Auto's code reads telegram_token), and an empty value counts as
// unset, because a workflow passes "" for a secret that does not exist.
type Env struct {
	getenv  func(string) (string, bool)
	environ []string
	secrets map[string]string
	vars    map[string]string
}

// Source says where a value came from.
type Source int

// The sources, in the order they are looked at.
const (
	FromNowhere Source = iota
	FromEnvironment
	FromSecret
	FromVariable
)

// LoadEnv reads the environment: getenv looks a variable up, environ lists them (for the
// numbered secrets an Office365Auto workflow maps one by one).
func LoadEnv(getenv func(string) (string, bool), environ []string) (*Env, error) {
	e := &Env{getenv: getenv, environ: environ}
	var err error
	if e.secrets, err = jsonMap(getenv, EnvSecrets, "${{ toJSON(secrets) }}"); err != nil {
		return nil, err
	}
	if e.vars, err = jsonMap(getenv, EnvVars, "${{ toJSON(vars) }}"); err != nil {
		return nil, err
	}
	return e, nil
}

func jsonMap(getenv func(string) (string, bool), name, expr string) (map[string]string, error) {
	out := map[string]string{}
	v, ok := getenv(name)
	if !ok || strings.TrimSpace(v) == "" {
		return out, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		// Never quote the value: it holds every secret of the repository.
		return nil, fmt.Errorf("%s is not a JSON object: set it in the workflow to exactly %s", name, expr)
	}
	for k, val := range m {
		if s, ok := val.(string); ok {
			out[strings.ToUpper(k)] = s
		}
	}
	return out, nil
}

// Lookup returns a value, where it came from, and whether it is set.
func (e *Env) Lookup(name string) (string, Source, bool) {
	for _, n := range []string{name, strings.ToUpper(name), strings.ToLower(name)} {
		if v, ok := e.getenv(n); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v), FromEnvironment, true
		}
	}
	if v := strings.TrimSpace(e.secrets[strings.ToUpper(name)]); v != "" {
		return v, FromSecret, true
	}
	if v := strings.TrimSpace(e.vars[strings.ToUpper(name)]); v != "" {
		return v, FromVariable, true
	}
	return "", FromNowhere, false
}

// Get is Lookup without the source; its signature is a getenv, so a configuration file's
// ${TELEGRAM_TOKEN} reads a repository secret.
func (e *Env) Get(name string) (string, bool) {
	v, _, ok := e.Lookup(name)
	return v, ok
}

// Value is Get's value, "" when unset.
func (e *Env) Value(name string) string {
	v, _ := e.Get(name)
	return v
}

// Matching returns the upper-cased names of every set variable, secret or repository
// variable matching re, sorted.
func (e *Env) Matching(re *regexp.Regexp) []string {
	seen := map[string]bool{}
	add := func(n string) {
		n = strings.ToUpper(n)
		if re.MatchString(n) && e.Value(n) != "" {
			seen[n] = true
		}
	}
	for _, kv := range e.environ {
		if k, _, ok := strings.Cut(kv, "="); ok {
			add(k)
		}
	}
	for k := range e.secrets {
		add(k)
	}
	for k := range e.vars {
		add(k)
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// SecretHolding returns the name of the one repository secret whose value is v ("" when
// none or several are), so an account a settings file reads from ${SOME_SECRET} gets its
// rotated token written back to that secret. Without the secrets JSON, an environment
// variable holding v is taken to be named like its secret, as workflows map them
// (MS_TOKEN: ${{ secrets.MS_TOKEN }}).
func (e *Env) SecretHolding(v string) string {
	if v == "" {
		return ""
	}
	one := func(names map[string]bool) string {
		if len(names) != 1 {
			return ""
		}
		for n := range names {
			return n
		}
		return ""
	}
	in := map[string]bool{}
	for k, s := range e.secrets {
		if strings.TrimSpace(s) == v {
			in[k] = true
		}
	}
	if len(in) > 0 {
		return one(in)
	}
	for _, kv := range e.environ {
		if k, s, ok := strings.Cut(kv, "="); ok && strings.TrimSpace(s) == v && k != EnvSecrets {
			in[strings.ToUpper(k)] = true
		}
	}
	return one(in)
}
