package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/i18n"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const good = `# every sign-in type
cloud: global
language: zh
accounts:
  - name: alice
    type: refresh_token
    client_id: 11111111-2222-3333-4444-555555555555
    client_secret: ${ALICE_SECRET}
    refresh_token: ${ALICE_RT}
  - name: contoso-app
    type: client_credentials
    tenant: contoso.onmicrosoft.com
    client_id: 11111111-2222-3333-4444-555555555556
    client_secret: literal~secret
    user: alex@contoso.onmicrosoft.com
  - name: bob
    type: password
    tenant: contoso.onmicrosoft.com
    client_id: 11111111-2222-3333-4444-555555555557
    username: bob@contoso.onmicrosoft.com
    password: "p@ss$$word"
    scopes: User.Read Mail.Read
`

func TestParseGoodConfig(t *testing.T) {
	c, err := Parse("cfg.yaml", []byte(good), env(map[string]string{"ALICE_SECRET": "s3cret", "ALICE_RT": "1.AXEA-token"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Accounts) != 3 {
		t.Fatalf("%d accounts", len(c.Accounts))
	}
	a := c.Accounts[0]
	if a.ClientSecret.Reveal() != "s3cret" || a.RefreshToken.Reveal() != "1.AXEA-token" || a.Kind() != auth.KindRefreshToken || a.Line != 5 {
		t.Fatalf("alice %+v", a)
	}
	if c.Accounts[2].Password.Reveal() != "p@ss$word" {
		t.Fatalf("$$ not unescaped: %q", c.Accounts[2].Password.Reveal())
	}
	if strings.Join(c.Accounts[2].Scopes, ",") != "User.Read,Mail.Read" {
		t.Fatalf("scopes %v", c.Accounts[2].Scopes)
	}
	if c.Lang() != i18n.ZH {
		t.Fatal("language")
	}
	if got, ok := c.Account("CONTOSO-APP"); !ok || got.User != "alex@contoso.onmicrosoft.com" {
		t.Fatal("Account lookup")
	}
}

// Each broken file must produce an error that names the file, the line and the key, and
// says what to do.
func TestStrictErrorsNameFileLineAndKey(t *testing.T) {
	cases := []struct {
		name, yaml string
		env        map[string]string
		want       []string
	}{
		{"unknown key with suggestion", "accounts:\n  - name: a\n    type: refresh_token\n    clientid: 11111111-2222-3333-4444-555555555555\n    refresh_token: x\n",
			nil, []string{"cfg.yaml:4:5", `unknown key "clientid"`, `did you mean "client_id"`}},
		{"unknown top-level key", "acounts: []\n", nil, []string{"cfg.yaml:1:1", `unknown key "acounts"`, `"accounts"`}},
		{"missing env var", "accounts:\n  - name: a\n    type: refresh_token\n    client_id: 11111111-2222-3333-4444-555555555555\n    refresh_token: ${NOPE}\n",
			nil, []string{"cfg.yaml:5:20", "accounts[0].refresh_token", "environment variable NOPE is not set"}},
		{"wrong type", "accounts:\n  - name: a\n    type: refresh_token\n    disabled: maybe\n", nil, []string{"cfg.yaml:4:15", "accounts[0].disabled", "expected true or false"}},
		{"list expected", "accounts: alice\n", nil, []string{"cfg.yaml:1:11", "accounts", "expected a list"}},
		{"duplicate key", "cloud: global\ncloud: china\naccounts: []\n", nil, []string{"cfg.yaml:2:1", "cloud", "appears twice"}},
		{"missing fields", "accounts:\n  - name: a\n    type: client_credentials\n    tenant: common\n", nil,
			[]string{"cfg.yaml:2", "accounts[0] (a).client_id: is required for type client_credentials", "not \"common\"", "client_secret: is required", "user: is required"}},
		{"unknown type", "accounts:\n  - name: a\n    type: refresh-token\n", nil, []string{`unknown type "refresh-token" (did you mean "refresh_token"?)`}},
		{"secret id instead of value", "accounts:\n  - name: a\n    type: client_credentials\n    tenant: t.onmicrosoft.com\n    client_id: 11111111-2222-3333-4444-555555555555\n    client_secret: 9f1e2d3c-aaaa-bbbb-cccc-1234567890ab\n    user: u@t.onmicrosoft.com\n",
			nil, []string{"looks like the secret's ID", "AADSTS7000215"}},
		{"password on common", "accounts:\n  - name: a\n    type: password\n    tenant: common\n    client_id: 11111111-2222-3333-4444-555555555555\n    username: u\n    password: p\n",
			nil, []string{"AADSTS9001023"}},
		{"duplicate names", "accounts:\n  - name: a\n    type: refresh_token\n    client_id: 11111111-2222-3333-4444-555555555555\n    refresh_token: x\n  - name: A\n    type: refresh_token\n    client_id: 11111111-2222-3333-4444-555555555555\n    refresh_token: y\n",
			nil, []string{"cfg.yaml:6", `name "A" is already used by the account on line 2`}},
		{"field not used by type", "accounts:\n  - name: a\n    type: refresh_token\n    client_id: 11111111-2222-3333-4444-555555555555\n    refresh_token: x\n    password: p\n",
			nil, []string{"accounts[0] (a).password: is not used by type refresh_token"}},
		{"bad client id", "accounts:\n  - name: a\n    type: refresh_token\n    client_id: my-app\n    refresh_token: x\n", nil, []string{"is not a client id"}},
		{"bad cloud", "cloud: mars\naccounts: []\n", nil, []string{`unknown cloud "mars"`, "china"}},
		{"bad yaml", "accounts:\n  - name: [\n", nil, []string{"cfg.yaml"}},
		{"empty file", "", nil, []string{"the file is empty"}},
		{"two documents", "accounts: []\n---\naccounts: []\n", nil, []string{"more than one YAML document"}},
		{"bad endpoint", "endpoints:\n  graph: ftp://x\naccounts: []\n", nil, []string{"endpoints.graph", "not an http(s) URL"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("cfg.yaml", []byte(c.yaml), env(c.env))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestAllProblemsReportedAtOnce(t *testing.T) {
	_, err := Parse("cfg.yaml", []byte("accounts:\n  - name: a\n    typo1: x\n    typo2: y\n"), env(nil))
	var es Errors
	if !errors.As(err, &es) || len(es) < 2 {
		t.Fatalf("want every problem, got %v", err)
	}
}

func TestEndpointsResolution(t *testing.T) {
	c := &Config{Cloud: "china"}
	ep, err := c.ResolveEndpoints(env(nil))
	if err != nil || ep.Authority != "https://login.chinacloudapi.cn" || ep.Graph != "https://microsoftgraph.chinacloudapi.cn" {
		t.Fatalf("china: %+v %v", ep, err)
	}
	c.Endpoints.Graph = "http://127.0.0.1:9000/"
	ep, _ = c.ResolveEndpoints(env(nil))
	if ep.Graph != "http://127.0.0.1:9000" || ep.Authority != "https://login.chinacloudapi.cn" {
		t.Fatalf("section override: %+v", ep)
	}
	ep, _ = c.ResolveEndpoints(env(map[string]string{EnvAuthorityURL: "http://127.0.0.1:8400", EnvGraphURL: "http://127.0.0.1:8401"}))
	if ep.Authority != "http://127.0.0.1:8400" || ep.Graph != "http://127.0.0.1:8401" {
		t.Fatalf("env override: %+v", ep)
	}
	if _, err := c.ResolveEndpoints(env(map[string]string{EnvGraphURL: "not a url"})); err == nil || !strings.Contains(err.Error(), EnvGraphURL) {
		t.Fatalf("bad env URL: %v", err)
	}
	for name, want := range map[string]string{"usgov": "https://graph.microsoft.us", "usgov-dod": "https://dod-graph.microsoft.us", "21Vianet": "https://microsoftgraph.chinacloudapi.cn", "": "https://graph.microsoft.com"} {
		ep, err := (&Config{Cloud: name}).ResolveEndpoints(env(nil))
		if err != nil || ep.Graph != want {
			t.Errorf("cloud %q: %+v %v", name, ep, err)
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	c, err := Parse("cfg.yaml", []byte(good), env(map[string]string{"ALICE_SECRET": "s3cret", "ALICE_RT": "1.AXEA-token"}))
	if err != nil {
		t.Fatal(err)
	}
	c.Endpoints = EndpointsConfig{Authority: "http://127.0.0.1:1", Graph: "http://127.0.0.1:1"}
	c.Accounts[0].Comment = "a refresh-token account"
	out, err := c.Marshal("written by a test")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !strings.HasPrefix(s, "# written by a test\n") || !strings.Contains(s, "# a refresh-token account") || !strings.Contains(s, "1.AXEA-token") {
		t.Fatalf("marshal output:\n%s", s)
	}
	c2, err := Parse("again.yaml", out, env(nil))
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, s)
	}
	if c2.Accounts[2].Password.Reveal() != "p@ss$word" || c2.Accounts[0].RefreshToken.Reveal() != "1.AXEA-token" {
		t.Fatalf("round trip lost values: %+v", c2.Accounts)
	}
}

func TestLoadMissingFileSaysWhatToDo(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "--write-config") {
		t.Fatalf("missing file: %v", err)
	}
	p := filepath.Join(t.TempDir(), "c.yaml")
	_ = os.WriteFile(p, []byte(good), 0o600)
	t.Setenv("ALICE_SECRET", "x")
	t.Setenv("ALICE_RT", "y")
	c, err := Load(p)
	if err != nil || c.DataPath() != filepath.Join(filepath.Dir(p), "e5renew-data") {
		t.Fatalf("Load: %v %v", c, err)
	}
}

func TestSecretsDoNotPrint(t *testing.T) {
	c, _ := Parse("cfg.yaml", []byte(good), env(map[string]string{"ALICE_SECRET": "s3cret-value", "ALICE_RT": "1.AXEA-token-value"}))
	for _, s := range []string{strings.Join([]string{c.Accounts[0].ClientSecret.String(), c.Accounts[0].RefreshToken.String()}, " ")} {
		if strings.Contains(s, "value") {
			t.Fatalf("secret printed: %s", s)
		}
	}
}

func TestExpandEnv(t *testing.T) {
	g := env(map[string]string{"A": "1", "EMPTY": ""})
	for in, want := range map[string]string{"x${A}y": "x1y", "$$": "$", "a$b": "a$b", "${A}${A}": "11", "$": "$"} {
		got, err := expandEnv(in, g)
		if err != nil || got != want {
			t.Errorf("expandEnv(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"${", "${EMPTY}", "${1X}", "${MISSING}"} {
		if _, err := expandEnv(in, g); err == nil {
			t.Errorf("expandEnv(%q) accepted", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("accounts:\n  - {name: a, type: password}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data, env(map[string]string{"ALICE_SECRET": "s", "ALICE_RT": "r"}))
		if err == nil && len(c.Accounts) == 0 {
			t.Fatal("a configuration without accounts was accepted")
		}
	})
}

func TestActivitySelectionPauseAndTimeZone(t *testing.T) {
	src := `defaults:
  activities:
    always: [user.profile]
    random: 3-6
    exclude: [mail.send_self]
  pause: 1s-4s
  timezone: Asia/Shanghai
accounts:
  - name: a
    type: refresh_token
    client_id: 11111111-2222-3333-4444-555555555555
    refresh_token: x
    activities:
      include: [mail, onedrive.*]
    timezone: Europe/Berlin
  - name: b
    type: refresh_token
    client_id: 11111111-2222-3333-4444-555555555555
    refresh_token: y
    pause: "0"
`
	c, err := Parse("cfg.yaml", []byte(src), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	a, b := &c.Accounts[0], &c.Accounts[1]
	ea := c.EffectiveActivities(a)
	if strings.Join(ea.Always, ",") != "user.profile" || ea.Random != "3-6" || strings.Join(ea.Include, ",") != "mail,onedrive.*" || strings.Join(ea.Exclude, ",") != "mail.send_self" {
		t.Fatalf("effective activities %+v", ea)
	}
	if ea.Line != 14 {
		t.Fatalf("activities line %d", ea.Line)
	}
	if lo, hi := c.EffectivePause(a); lo != time.Second || hi != 4*time.Second {
		t.Fatalf("pause %v-%v", lo, hi)
	}
	if lo, hi := c.EffectivePause(b); lo != 0 || hi != 0 {
		t.Fatalf("pause override %v-%v", lo, hi)
	}
	if c.Location(a).String() != "Europe/Berlin" || c.Location(b).String() != "Asia/Shanghai" {
		t.Fatalf("time zones %v %v", c.Location(a), c.Location(b))
	}
	bad := strings.NewReplacer("random: 3-6", "random: six", "pause: 1s-4s", "pause: 4s-1s", "timezone: Asia/Shanghai", "timezone: Mars/Olympus").Replace(src)
	_, err = Parse("cfg.yaml", []byte(bad), env(nil))
	for _, want := range []string{"defaults.activities.random", `"six" is not a count`, "defaults.pause", "defaults.timezone", `unknown time zone "Mars/Olympus"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
