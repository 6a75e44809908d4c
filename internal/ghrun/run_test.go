package ghrun_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/ghactions"
	"github.com/e5renew/e5renew/internal/ghactions/ghfake"
	"github.com/e5renew/e5renew/internal/ghrun"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/notify/notifytest"
	"github.com/e5renew/e5renew/internal/round"
	"github.com/e5renew/e5renew/internal/sandbox"
)

const (
	repo     = "alice/e5"
	pat      = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"
	patNoRep = "ghp_zyxwvutsrqponmlkjihgfedcba9876543210ZY"
	fgRead   = "github_pat_11AAAAAAA0readonly_0123456789abcdefghijklmnopqrstuvwxyz"
	ghs      = "ghs_workflowtoken0123456789abcdefghijklmn"
	wfRef    = repo + "/.github/workflows/e5renew.yml@refs/heads/main"
)

// world is an emulated tenant with a confidential app (client id + secret, as rclone's
// Office365Auto set-up makes) and users with refresh tokens, and a fake GitHub with the
// repository the workflow runs in.
type world struct {
	t        *testing.T
	em       *emulator.Emulator
	srv      *httptest.Server
	gh       *ghfake.Fake
	ghURL    string
	tenant   string
	clientID string
	secret   string
	wf       int64
}

func newWorld(t *testing.T, strict bool) *world {
	t.Helper()
	w := &world{t: t, em: emulator.New(emulator.Options{StrictRotation: strict, Seed: 7}), gh: ghfake.New()}
	w.srv = httptest.NewServer(w.em.Handler())
	t.Cleanup(w.srv.Close)
	ten, err := w.em.AddTenant(emulator.TenantSpec{Domain: "contoso.onmicrosoft.com", DisplayName: "Contoso"})
	if err != nil {
		t.Fatal(err)
	}
	w.tenant = ten.ID
	for _, u := range []emulator.UserSpec{{UPN: "admin", Password: "Pw-123456!", Admin: true}, {UPN: "megan.bowen", Password: "Pw-123456!"}} {
		if _, err := w.em.AddUser(ten.ID, u); err != nil {
			t.Fatal(err)
		}
	}
	w.secret = "Qx8~secretvalue.of-the_app1234567890"
	app, err := w.em.AddApp(ten.ID, emulator.AppSpec{DisplayName: "office365auto", MultiTenant: true, Scopes: sandbox.DelegatedScopes(),
		Roles: sandbox.ApplicationRoles(), RedirectURIs: []string{"http://localhost:53682/"}, Secrets: []emulator.SecretSpec{{Value: w.secret}}})
	if err != nil {
		t.Fatal(err)
	}
	w.clientID = app.ClientID
	w.ghURL = w.gh.Start(t)
	w.gh.AddRepo(repo, true)
	w.gh.AddToken(pat, ghfake.ClassicToken("repo", "workflow"))
	w.gh.AddToken(patNoRep, ghfake.ClassicToken("public_repo"))
	w.gh.AddToken(fgRead, ghfake.FineGrainedToken(ghfake.Read, ghfake.NoAccess, repo))
	w.gh.AddToken(ghs, ghfake.ActionsToken(repo, ghfake.Write))
	w.wf = w.gh.AddWorkflow(repo, ghfake.Workflow{Name: "e5renew", Path: ".github/workflows/e5renew.yml", State: "active"})
	return w
}

// token issues a refresh token for a user of the tenant.
func (w *world) token(upn string) string {
	w.t.Helper()
	rt, err := w.em.IssueRefreshToken(w.tenant, w.clientID, upn+"@contoso.onmicrosoft.com", nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return rt
}

// env is a workflow run's environment: what Actions sets, the endpoints of the emulated
// cloud, and vars (plain variables) and secrets (passed as E5RENEW_SECRETS).
func (w *world) env(vars, secrets map[string]string) (func(string) (string, bool), []string) {
	m := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": repo, "GITHUB_API_URL": w.ghURL, "GITHUB_WORKFLOW_REF": wfRef,
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "42",
		"E5RENEW_AUTHORITY_URL": w.srv.URL, "E5RENEW_GRAPH_URL": w.srv.URL,
	}
	for k, v := range vars {
		m[k] = v
	}
	if secrets != nil {
		b, _ := json.Marshal(secrets)
		m[ghrun.EnvSecrets] = string(b)
	}
	var environ []string
	for k, v := range m {
		environ = append(environ, k+"="+v)
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }, environ
}

// run runs GitHub Actions mode with instant retries and returns its outcome and output.
func (w *world) run(getenv func(string) (string, bool), environ []string, mod ...func(*ghrun.Options)) (*ghrun.Outcome, string, error) {
	w.t.Helper()
	var out bytes.Buffer
	noWait := func(context.Context, time.Duration) error { return nil }
	o := ghrun.Options{Getenv: getenv, Environ: environ, StateDir: w.t.TempDir(), Out: &out, Lang: i18n.EN,
		Graph: graph.Options{MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Sleep: noWait},
		Auth:  auth.Common{Sleep: noWait},
		GitHub: func(c *ghactions.Client) {
			c.BaseDelay, c.MaxWait = time.Millisecond, time.Millisecond
		}}
	for _, m := range mod {
		m(&o)
	}
	res, err := ghrun.Run(context.Background(), o)
	return res, out.String(), err
}

func (w *world) secretValue(name string) string {
	w.t.Helper()
	v, ok := w.gh.Secret(repo, name)
	if !ok {
		w.t.Fatalf("the secret %s was never written", name)
	}
	return v
}

func mustNotContain(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Fatalf("a secret (…%s) appears in the output", s[len(s)-6:])
		}
	}
}

// Office365Auto's secrets work unchanged: MS_TOKEN, CLIENT_ID, CLIENT_SECRET and GH_TOKEN,
// plus a numbered MS_TOKEN_2 that shares the first app. Each rotated refresh token is
// sealed into its own secret (the fake decrypts it with the repository's private key),
// and the next run, reading those secrets, works although the emulator refuses a refresh
// token once its successor was used.
func TestOffice365AutoSecretsAreWrittenBackAndUsedNextRun(t *testing.T) {
	w := newWorld(t, true)
	rt1, rt2 := w.token("admin"), w.token("megan.bowen")
	secrets := map[string]string{"MS_TOKEN": rt1, "CLIENT_ID": w.clientID, "CLIENT_SECRET": w.secret, "GH_TOKEN": pat,
		"MS_TOKEN_2": rt2, "github_token": ghs}
	getenv, environ := w.env(nil, secrets)
	state := t.TempDir()
	res, out, err := w.run(getenv, environ, func(o *ghrun.Options) { o.StateDir = state })
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if res.NeedsOwner() || len(res.Results) != 2 {
		t.Fatalf("problems %+v, %d results:\n%s", res.Problems, len(res.Results), out)
	}
	for _, r := range res.Results {
		if r.Verdict == round.NeedsOwner {
			t.Fatalf("%s: %s %s", r.Account, r.Code, r.Message)
		}
	}
	new1, new2 := w.secretValue("MS_TOKEN"), w.secretValue("MS_TOKEN_2")
	if new1 == rt1 || new2 == rt2 || new1 == new2 || len(res.Written) != 2 {
		t.Fatalf("the secrets were not updated with rotated tokens (written %+v)", res.Written)
	}
	// What the fake decrypted is exactly the newest token of the run's (encrypted) state.
	st, err := fleet.OpenStore(&config.Config{DataDir: state})
	if err != nil {
		t.Fatal(err)
	}
	for name, sealed := range map[string]string{"MS_TOKEN": new1, "MS_TOKEN_2": new2} {
		tok, ok, err := st.LoadToken(context.Background(), name)
		if err != nil || !ok || tok.RefreshToken.Reveal() != sealed {
			t.Fatalf("%s: the secret is not the rotated token the run holds (%v, %v)", name, ok, err)
		}
	}
	st.Close()
	for _, want := range []string{"Saved the rotated refresh token of MS_TOKEN to the secret MS_TOKEN", "MS_TOKEN_2", "Kept the workflow e5renew.yml enabled", "(classic) for " + repo} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	mustNotContain(t, out, rt1, rt2, new1, new2, pat, w.secret, ghs)
	if st := w.em.Stats(); st.LiveArtifactsTotal != 0 {
		t.Fatalf("left behind: %v", st.LiveArtifacts)
	}
	enabled := false
	for _, r := range w.gh.Requests() {
		if r.Method == http.MethodPut && strings.HasSuffix(r.Path, "/actions/workflows/e5renew.yml/enable") {
			enabled = r.Token == ghs && r.Status == http.StatusNoContent
		}
	}
	if !enabled {
		t.Fatal("the workflow was not enabled with the workflow's GITHUB_TOKEN")
	}

	// The next run reads the secrets as they are now.
	secrets["MS_TOKEN"], secrets["MS_TOKEN_2"] = new1, new2
	getenv, environ = w.env(nil, secrets)
	res, out, err = w.run(getenv, environ)
	if err != nil || res.NeedsOwner() {
		t.Fatalf("second run: %v %+v\n%s", err, res.Problems, out)
	}
	if w.secretValue("MS_TOKEN") == new1 {
		t.Fatal("the second run did not rotate and save the token again")
	}
	// The first tokens were superseded: a run that still had them would need the owner.
	secrets["MS_TOKEN"] = rt1
	delete(secrets, "MS_TOKEN_2")
	getenv, environ = w.env(nil, secrets)
	res, out, err = w.run(getenv, environ)
	if err != nil || !res.NeedsOwner() || !strings.Contains(res.Problems[0].Text, "MS_TOKEN, CLIENT_ID, CLIENT_SECRET") {
		t.Fatalf("a stale token should need the owner and name the secrets to fix: %v %+v\n%s", err, res, out)
	}
}

// Office365Auto's workflow maps each secret to an environment variable of the same name
// (env: MS_TOKEN: ${{ secrets.MS_TOKEN }}), without E5RENEW_SECRETS; that works too, and
// its notification variables (url_wechat, in lower case as its code reads them) deliver
// the owner's message when an account needs them. The run is red: the problem is returned.
func TestOffice365AutoEnvironmentAndNotification(t *testing.T) {
	w := newWorld(t, false)
	robot := notifytest.NewServer(t, http.StatusOK, `{"errcode":0,"errmsg":"ok"}`)
	getenv, environ := w.env(map[string]string{"MS_TOKEN": "not-a-refresh-token", "CLIENT_ID": w.clientID, "CLIENT_SECRET": w.secret,
		"GH_TOKEN": pat, "url_wechat": robot.URL + "/cgi-bin/webhook/send?key=robotkey123"}, nil)
	summary := filepath.Join(t.TempDir(), "summary.md")
	getenv2 := func(k string) (string, bool) {
		if k == "GITHUB_STEP_SUMMARY" {
			return summary, true
		}
		return getenv(k)
	}
	res, out, err := w.run(getenv2, environ)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if !res.NeedsOwner() || res.Problems[0].Account != "MS_TOKEN" {
		t.Fatalf("want a problem for MS_TOKEN, have %+v\n%s", res.Problems, out)
	}
	if !strings.Contains(out, "::error title=e5renew%3A account MS_TOKEN needs you::") {
		t.Fatalf("no error annotation:\n%s", out)
	}
	reqs := robot.Requests()
	if len(reqs) != 1 || reqs[0].Query.Get("key") != "robotkey123" || !strings.Contains(reqs[0].Raw, "MS_TOKEN") ||
		!strings.Contains(reqs[0].Raw, "https://github.com/"+repo+"/actions/runs/42") {
		t.Fatalf("WeChat Work robot requests: %+v", reqs)
	}
	b, err := os.ReadFile(summary)
	if err != nil || !strings.Contains(string(b), "| MS_TOKEN | needs the owner |") {
		t.Fatalf("job summary: %v\n%s", err, b)
	}
	mustNotContain(t, out+reqs[0].Raw+string(b), pat, w.secret, "not-a-refresh-token")
}

// Accounts in the one JSON secret E5RENEW_ACCOUNTS: an application account and a
// refresh-token one. The secret is rewritten once with the rotated token and every other
// value kept.
func TestAccountsSecretIsRewrittenWithTheRotatedToken(t *testing.T) {
	w := newWorld(t, true)
	rt := w.token("megan.bowen")
	accounts := `[
  {"name": "megan", "client_id": "` + w.clientID + `", "client_secret": "` + w.secret + `", "refresh_token": "` + rt + `", "timezone": "Asia/Shanghai"},
  {"name": "app", "type": "client_credentials", "tenant": "contoso.onmicrosoft.com", "client_id": "` + w.clientID + `",
   "client_secret": "` + w.secret + `", "user": "admin@contoso.onmicrosoft.com"}
]`
	getenv, environ := w.env(nil, map[string]string{ghrun.SecretAccounts: accounts, "GH_TOKEN": pat})
	res, out, err := w.run(getenv, environ)
	if err != nil || res.NeedsOwner() {
		t.Fatalf("run: %v %+v\n%s", err, res, out)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(w.secretValue(ghrun.SecretAccounts)), &got); err != nil {
		t.Fatalf("the rewritten secret is not JSON: %v", err)
	}
	if len(got) != 2 || got[0]["name"] != "megan" || got[0]["timezone"] != "Asia/Shanghai" || got[1]["user"] != "admin@contoso.onmicrosoft.com" ||
		got[1]["client_secret"] != w.secret {
		t.Fatalf("values were lost: %v", len(got))
	}
	newRT, _ := got[0]["refresh_token"].(string)
	if newRT == "" || newRT == rt {
		t.Fatal("the refresh token was not replaced by the rotated one")
	}
	mustNotContain(t, out, rt, newRT, w.secret, pat)
	// The rewritten secret is what the next run reads: it works under strict rotation.
	getenv, environ = w.env(nil, map[string]string{ghrun.SecretAccounts: w.secretValue(ghrun.SecretAccounts), "GH_TOKEN": pat})
	if res, out, err := w.run(getenv, environ); err != nil || res.NeedsOwner() {
		t.Fatalf("next run: %v %+v\n%s", err, res, out)
	}
}

// A token that cannot write secrets is caught before the rounds, which run anyway; the
// run is red and says exactly what to add, and nothing is written.
func TestTokenWithoutPermissionSaysWhatIsMissing(t *testing.T) {
	for _, c := range []struct{ name, token, want string }{
		{"no GH_TOKEN", "", "GH_TOKEN"},
		{"classic without repo", patNoRep, `"repo"`},
		{"fine-grained read only", fgRead, "Secrets: Read and write"},
		{"unknown token", "ghp_revokedrevokedrevokedrevokedrevoked0", "401"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, false)
			rt := w.token("admin")
			secrets := map[string]string{"MS_TOKEN": rt, "CLIENT_ID": w.clientID, "CLIENT_SECRET": w.secret}
			if c.token != "" {
				secrets["GH_TOKEN"] = c.token
			}
			getenv, environ := w.env(nil, secrets)
			res, out, err := w.run(getenv, environ)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, out)
			}
			if len(res.Results) != 1 || res.Results[0].Verdict == round.NeedsOwner {
				t.Fatalf("the round should run anyway: %+v", res.Results)
			}
			if !res.NeedsOwner() || res.Problems[0].Account != "" || !strings.Contains(res.Problems[0].Text, c.want) ||
				!strings.Contains(res.Problems[0].Text, "MS_TOKEN") {
				t.Fatalf("want a problem naming %s and MS_TOKEN, have %+v\n%s", c.want, res.Problems, out)
			}
			if _, ok := w.gh.Secret(repo, "MS_TOKEN"); ok {
				t.Fatal("a secret was written")
			}
			mustNotContain(t, out, rt, c.token, w.secret)
		})
	}
}

// GitHub failing for a moment (5xx beyond the client's retries) does not lose the rotated
// token: it stays in the run's state and the write is tried again at the end of the run.
// GitHub failing for the whole run is a warning, not a red run: the secret's token still
// works and the next run rotates again.
func TestFailedWriteBackIsRetriedFromTheRunState(t *testing.T) {
	w := newWorld(t, false)
	rt := w.token("admin")
	getenv, environ := w.env(nil, map[string]string{"MS_TOKEN": rt, "CLIENT_ID": w.clientID, "CLIENT_SECRET": w.secret, "GH_TOKEN": pat})
	// The public-key read of CheckAccess passes; the first write attempts fail.
	w.gh.Inject(ghfake.Fault{Method: http.MethodPut, Path: "/actions/secrets/MS_TOKEN", Times: ghactions.DefaultMaxAttempts, Status: 502, Body: "bad gateway"})
	res, out, err := w.run(getenv, environ)
	if err != nil || res.NeedsOwner() {
		t.Fatalf("run: %v %+v\n%s", err, res, out)
	}
	if !strings.Contains(out, "Could not save the rotated refresh token of MS_TOKEN") || len(res.Written) != 1 {
		t.Fatalf("want a failed first write then a saved retry:\n%s", out)
	}
	if v := w.secretValue("MS_TOKEN"); v == rt {
		t.Fatal("the secret still holds the first token")
	}

	w2 := newWorld(t, false)
	rt = w2.token("admin")
	getenv, environ = w2.env(nil, map[string]string{"MS_TOKEN": rt, "CLIENT_ID": w2.clientID, "CLIENT_SECRET": w2.secret, "GH_TOKEN": pat})
	w2.gh.Inject(ghfake.Fault{Method: http.MethodPut, Path: "/actions/secrets/MS_TOKEN", Times: 100, Status: 503, Body: "unavailable"})
	res, out, err = w2.run(getenv, environ)
	if err != nil || res.NeedsOwner() || len(res.Written) != 0 {
		t.Fatalf("an outage of GitHub should only warn: %v %+v\n%s", err, res, out)
	}
	if !strings.Contains(out, "the next run tries again") {
		t.Fatalf("no warning about the unsaved token:\n%s", out)
	}
}

// failDeletes answers every Graph DELETE with 503, as an outage during cleanup would.
type failDeletes struct{ host string }

func (f failDeletes) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodDelete && r.URL.Host == f.host {
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"error":{"code":"serviceNotAvailable","message":"down"}}`)), Request: r}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

// A run whose cleanup failed leaves objects behind, and its journal goes with its state.
// A later run finds them by listing e5renew's own folders and lists, and deletes them.
func TestLaterRunSweepsWhatAnEarlierRunLeft(t *testing.T) {
	w := newWorld(t, false)
	rt := w.token("admin")
	getenv, environ := w.env(map[string]string{"E5RENEW_VARS": `{"E5RENEW_LANG": "en"}`},
		map[string]string{"MS_TOKEN": rt, "CLIENT_ID": w.clientID, "CLIENT_SECRET": w.secret, "GH_TOKEN": pat})
	host := strings.TrimPrefix(w.srv.URL, "http://")
	// A settings file in the repository: every activity, so that objects are created.
	settings := filepath.Join(t.TempDir(), "e5renew.yaml")
	if err := os.WriteFile(settings, []byte("defaults:\n  activities:\n    random: \"60\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, out, err := w.run(getenv, environ, func(o *ghrun.Options) {
		o.SettingsPath = settings
		o.HTTPClient = &http.Client{Transport: failDeletes{host: host}}
		o.Graph.MaxAttempts = 2
	})
	if err != nil || res.NeedsOwner() {
		t.Fatalf("first run: %v %+v\n%s", err, res, out)
	}
	left := w.em.Stats().LiveArtifactsTotal
	if left < 5 {
		t.Fatalf("the first run should have left objects behind (%d):\n%s", left, out)
	}
	// The next run's secrets hold the rotated token the first run saved.
	getenv, environ = w.env(nil, map[string]string{"MS_TOKEN": w.secretValue("MS_TOKEN"), "CLIENT_ID": w.clientID, "CLIENT_SECRET": w.secret, "GH_TOKEN": pat})
	res, out, err = w.run(getenv, environ, func(o *ghrun.Options) { o.Sweep = time.Millisecond })
	if err != nil || res.NeedsOwner() {
		t.Fatalf("second run: %v %+v\n%s", err, res, out)
	}
	if res.Results[0].Swept == 0 {
		t.Fatalf("nothing swept:\n%s", out)
	}
	// Graph cannot list a user's online meetings, so a meeting whose delete failed is the
	// one kind no sweep can find (the README says so).
	for who, kinds := range w.em.Stats().LiveArtifacts {
		for kind, n := range kinds {
			if kind != "onlineMeeting" && n > 0 {
				t.Fatalf("still left behind after the sweep: %s %s %d (the first run left %d)", who, kind, n, left)
			}
		}
	}
}
