package web

import (
	"context"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/i18n"
	"html/template"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/daemon"
	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
	"github.com/e5renew/e5renew/internal/store/sqlite"
)

const (
	testPassword = "correct-horse-battery"
	fileSecret   = "FILE~secret-value-0123456789abcdefghijkl"
	managedRT    = "0.AXEA-managed-refresh-token-PLAIN-1234567890"
)

// memSettings keeps settings in memory.
type memSettings struct {
	mu sync.Mutex
	m  map[string]string
}

func (m *memSettings) GetSetting(_ context.Context, k string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[k]
	return v, ok, nil
}

func (m *memSettings) SetSetting(_ context.Context, k, v string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[k] = v
	return nil
}

// fakeRunner stands for the daemon.
type fakeRunner struct {
	mu     sync.Mutex
	cfg    *config.Config
	states map[string]store.AccountState
	runs   []string
	expiry map[string]daemon.Expiry
}

func (f *fakeRunner) Expiry(name string) (daemon.Expiry, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.expiry[store.FoldName(name)]
	return e, ok
}

func (f *fakeRunner) Config() *config.Config { return f.cfg }
func (f *fakeRunner) Status() daemon.Status {
	return daemon.Status{Status: "ok", Accounts: len(f.cfg.Accounts)}
}
func (f *fakeRunner) State(name string) (store.AccountState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.states[store.FoldName(name)]
	return s, ok
}
func (f *fakeRunner) Pause(_ context.Context, name, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.states[store.FoldName(name)]
	s.Paused, s.PauseReason = true, store.PauseByOwner
	f.states[store.FoldName(name)] = s
	return nil
}
func (f *fakeRunner) Resume(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.states[store.FoldName(name)]
	s.Paused, s.PauseReason = false, ""
	f.states[store.FoldName(name)] = s
	return nil
}
func (f *fakeRunner) RunNow(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.states[store.FoldName(name)].Paused {
		return daemon.ErrPaused
	}
	f.runs = append(f.runs, name)
	return nil
}

type harness struct {
	srv    *httptest.Server
	runner *fakeRunner
	st     store.Store
	now    time.Time
}

func newHarness(t *testing.T) *harness { t.Helper(); return newHarnessWith(t, nil) }

// newHarnessWith is newHarness with the dashboard's store wrapped by wrap (nil: none).
func newHarnessWith(t *testing.T, wrap func(store.Store) store.Store) *harness {
	t.Helper()
	box, _ := secret.NewBox(secret.GenerateKey())
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	// The store's clock is the dashboard's: charts run up to its "now".
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "e5renew.db"), box, sqlite.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := &config.Config{Path: "e5renew.yaml", Accounts: []config.Account{
		{Name: "contoso-app", Type: "client_credentials", Tenant: "contoso.onmicrosoft.com", ClientID: "11111111-2222-3333-4444-555555555555",
			ClientSecret: fileSecret, User: "admin@contoso.onmicrosoft.com", SecretExpires: now.Add(20 * 24 * time.Hour)},
		{Name: "alice", Type: "refresh_token", ClientID: "11111111-2222-3333-4444-555555555556", RefreshToken: managedRT, Managed: true},
	}}
	if err := st.SaveManaged(t.Context(), store.ManagedAccount{Name: "alice", Type: "refresh_token", ClientID: cfg.Accounts[1].ClientID,
		RefreshToken: managedRT, Source: "login"}); err != nil {
		t.Fatal(err)
	}
	r := &store.Round{Account: "alice", Started: now.Add(-time.Hour), Finished: now.Add(-time.Hour + time.Second), Verdict: store.VerdictOK,
		Results: []store.ActivityResult{{Activity: "user.profile", Workload: "user", Outcome: store.OutcomeOK, Status: 200, RequestID: "req-1", Calls: 1}}}
	if err := st.SaveRound(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	runner := &fakeRunner{cfg: cfg, states: map[string]store.AccountState{
		store.FoldName("alice"):       {Account: "alice", NextRun: now.Add(time.Hour)},
		store.FoldName("contoso-app"): {Account: "contoso-app", Paused: true, PauseReason: store.PauseNeedsOwner, PauseCode: "AADSTS7000222", PauseMessage: "the client secret has expired"},
	}}
	settings := &memSettings{m: map[string]string{}}
	if err := SetPassword(t.Context(), settings, testPassword); err != nil {
		t.Fatal(err)
	}
	var dashStore store.Store = st
	if wrap != nil {
		dashStore = wrap(st)
	}
	ws, err := New(Options{Store: dashStore, Settings: settings, Runner: runner, Now: func() time.Time { return now }, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	health := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "healthy") })
	h := &harness{srv: httptest.NewServer(ws.Handler(health)), runner: runner, st: st, now: now}
	t.Cleanup(h.srv.Close)
	return h
}

func (h *harness) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (h *harness) signIn(t *testing.T, c *http.Client) {
	t.Helper()
	resp, err := c.PostForm(h.srv.URL+"/login", url.Values{"password": {testPassword}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
}

func get(t *testing.T, c *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var reCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := reCSRF.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in the page")
	}
	return m[1]
}

// Every route but the login page, the static files, the language switch and health needs
// a session.
func TestEveryRouteNeedsASession(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	for _, route := range []string{"/", "/accounts/alice", "/accounts/alice/settings", "/add", "/add/device/x", "/catalog", "/channels"} {
		code, _, hd := get(t, c, h.srv.URL+route)
		if code != http.StatusSeeOther || !strings.HasPrefix(hd.Get("Location"), "/login") {
			t.Errorf("GET %s without a session: %d %s", route, code, hd.Get("Location"))
		}
	}
	if code, _, _ := get(t, c, h.srv.URL+"/add/device/x/status"); code != http.StatusUnauthorized {
		t.Errorf("status poll without a session: %d", code)
	}
	for _, route := range []string{"/logout", "/accounts/alice/pause", "/accounts/alice/resume", "/accounts/alice/run", "/accounts/alice/remove",
		"/accounts/alice/settings", "/accounts/alice/settings/reset", "/add/device", "/add/app", "/add/import", "/channels/test"} {
		resp, err := c.PostForm(h.srv.URL+route, url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s without a session: %d", route, resp.StatusCode)
		}
	}
	for _, open := range []string{"/login", "/healthz"} {
		if code, _, _ := get(t, c, h.srv.URL+open); code != 200 {
			t.Errorf("GET %s: %d, want 200 without a session", open, code)
		}
	}
	if len(h.runner.runs) != 0 {
		t.Error("a round ran without a session")
	}
}

func TestLoginLimitsGuessing(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	for i := range freeAttempts {
		resp, _ := c.PostForm(h.srv.URL+"/login", url.Values{"password": {"wrong-password"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, _ := c.PostForm(h.srv.URL+"/login", url.Values{"password": {testPassword}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after %d failures: %d, Retry-After %q; want 429 even with the right password", freeAttempts, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestSessionCookieAndSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	resp, err := c.PostForm(h.srv.URL+"/login", url.Values{"password": {testPassword}, "next": {"//evil.example/x"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Errorf("redirect after sign-in to %q: an outside address must not be followed", loc)
	}
	ck := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"e5renew_session=", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(ck, want) {
			t.Errorf("session cookie %q lacks %s", ck, want)
		}
	}
	code, body, hd := get(t, c, h.srv.URL+"/")
	if code != 200 || !strings.Contains(body, "alice") || !strings.Contains(body, "contoso-app") {
		t.Fatalf("overview: %d\n%s", code, body)
	}
	for k, want := range map[string]string{"Content-Security-Policy": "script-src 'self'", "X-Frame-Options": "DENY",
		"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
		if !strings.Contains(hd.Get(k), want) {
			t.Errorf("%s = %q, want %q", k, hd.Get(k), want)
		}
	}
	if strings.Contains(body, "style=") || strings.Contains(body, "<script>") || strings.Contains(body, "onclick") {
		t.Error("inline style or script in a page: the CSP forbids them")
	}
	// Sign out: the session is gone.
	resp, _ = c.PostForm(h.srv.URL+"/logout", url.Values{"csrf": {csrfOf(t, body)}})
	resp.Body.Close()
	if code, _, _ := get(t, c, h.srv.URL+"/"); code != http.StatusSeeOther {
		t.Errorf("after sign-out: %d", code)
	}
}

func TestCSRFIsRequired(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	h.signIn(t, c)
	_, body, _ := get(t, c, h.srv.URL+"/accounts/alice")
	tok := csrfOf(t, body)
	post := func(form url.Values, origin string) int {
		req, _ := http.NewRequest("POST", h.srv.URL+"/accounts/alice/run", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(url.Values{}, ""); code != http.StatusForbidden {
		t.Errorf("no token: %d", code)
	}
	if code := post(url.Values{"csrf": {"forged"}}, ""); code != http.StatusForbidden {
		t.Errorf("wrong token: %d", code)
	}
	if code := post(url.Values{"csrf": {tok}}, "https://evil.example"); code != http.StatusForbidden {
		t.Errorf("foreign origin: %d", code)
	}
	if len(h.runner.runs) != 0 {
		t.Fatal("a forged request ran a round")
	}
	if code := post(url.Values{"csrf": {tok}}, h.srv.URL); code != http.StatusSeeOther || len(h.runner.runs) != 1 {
		t.Errorf("genuine request: %d, runs %v", code, h.runner.runs)
	}
}

func TestPagesNeverShowSecrets(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	h.signIn(t, c)
	for _, p := range []string{"/", "/accounts/alice", "/accounts/contoso-app", "/accounts/alice/settings", "/accounts/contoso-app/settings",
		"/catalog", "/channels"} {
		code, body, _ := get(t, c, h.srv.URL+p)
		if code != 200 {
			t.Errorf("%s: %d", p, code)
		}
		for _, sec := range []string{fileSecret, managedRT, "PLAIN-1234567890", testPassword} {
			if strings.Contains(body, sec) {
				t.Errorf("%s shows a secret", p)
			}
		}
	}
}

func TestOverviewAndAccountShowTheState(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	h.signIn(t, c)
	_, body, _ := get(t, c, h.srv.URL+"/")
	for _, want := range []string{"paused: needs you", "AADSTS7000222", "20 days", "in 1 h", "added here"} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	// What the daemon's expiry check found: the secret's end it read from Graph replaces
	// the one known before, and the subscription's date shows.
	h.runner.mu.Lock()
	h.runner.expiry = map[string]daemon.Expiry{
		store.FoldName("contoso-app"): {Checked: h.now, Secret: h.now.Add(5*24*time.Hour + time.Hour)},
		store.FoldName("alice"):       {Checked: h.now, Subscription: h.now.Add(45*24*time.Hour + time.Hour), SubscriptionStatus: "Enabled"},
	}
	h.runner.mu.Unlock()
	_, body, _ = get(t, c, h.srv.URL+"/")
	for _, want := range []string{">5 days<", ">45 days<"} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks the expiry %q", want)
		}
	}
	if strings.Contains(body, "20 days") {
		t.Error("the secret's end found by the daemon did not replace the configured one")
	}
	_, body, _ = get(t, c, h.srv.URL+"/accounts/alice")
	for _, want := range []string{"user.profile", "req-1", "Run a round now", "Pause", "Remove"} {
		if !strings.Contains(body, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	_, body, _ = get(t, c, h.srv.URL+"/accounts/contoso-app")
	if !strings.Contains(body, "Resume") || strings.Contains(body, ">Remove<") {
		t.Error("a paused file account must offer Resume and no Remove")
	}
	if code, _, _ := get(t, c, h.srv.URL+"/accounts/nobody"); code != 404 {
		t.Errorf("unknown account: %d", code)
	}
}

func TestLanguageFromTheBrowserAndTheSwitch(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	h.signIn(t, c)
	req, _ := http.NewRequest("GET", h.srv.URL+"/", nil)
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
	resp, _ := c.Do(req)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "添加账号") || !strings.Contains(string(b), `lang="zh-CN"`) {
		t.Errorf("Accept-Language zh: not Chinese")
	}
	// The paused account's problem is explained in Chinese too, from its AADSTS code (the
	// stored message is the daemon's English one).
	zh, _ := auth.Explain("AADSTS7000222", i18n.ZH)
	if !strings.Contains(string(b), template.HTMLEscapeString(zh)) || strings.Contains(string(b), "the client secret has expired") {
		t.Errorf("the problem is not explained in Chinese (%q)", zh)
	}
	resp, _ = c.PostForm(h.srv.URL+"/lang", url.Values{"lang": {"en"}, "back": {"/catalog"}})
	resp.Body.Close()
	if resp.Header.Get("Location") != "/catalog" {
		t.Errorf("switch back to %q", resp.Header.Get("Location"))
	}
	resp, _ = c.Do(req) // still asks for Chinese, but the switch said English
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Add account") {
		t.Errorf("after switching to English: not English")
	}
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("a-long-enough-password")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "a-long-enough-password") || CheckPassword(h, "a-long-enough-passwore") || CheckPassword("garbage", "x") {
		t.Error("CheckPassword")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Error("a short password was accepted")
	}
	st := &memSettings{m: map[string]string{}}
	pw, err := EnsurePassword(context.Background(), st)
	if err != nil || len(pw) < MinPasswordLength {
		t.Fatalf("generated %q, %v", pw, err)
	}
	again, _ := EnsurePassword(context.Background(), st)
	if again != "" {
		t.Error("a second password was generated")
	}
	stored, _, _ := st.GetSetting(context.Background(), PasswordKey)
	if !CheckPassword(stored, pw) || strings.Contains(stored, pw) {
		t.Error("the generated password is not what was stored, or is stored in clear")
	}
}
