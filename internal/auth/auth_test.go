package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/secret"
)

const pw = "Passw0rd!"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	em     *emulator.Emulator
	srv    *httptest.Server
	ten    *emulator.Tenant
	user   *emulator.User
	mfa    *emulator.User
	pub    *emulator.App // public client, delegated scopes and roles consented
	conf   *emulator.App // confidential (web) app with a secret, like rclone's
	secret string
	clk    *clock
	ep     auth.Endpoints
}

func newFixture(t *testing.T, opts emulator.Options) *fixture {
	t.Helper()
	f := &fixture{clk: &clock{t: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)}}
	if opts.Now == nil {
		opts.Now = f.clk.Now
	}
	f.em = emulator.New(opts)
	var err error
	if f.ten, err = f.em.AddTenant(emulator.TenantSpec{Domain: "contoso.onmicrosoft.com"}); err != nil {
		t.Fatal(err)
	}
	f.user, _ = f.em.AddUser(f.ten.ID, emulator.UserSpec{UPN: "alex", Password: pw, Admin: true})
	f.mfa, _ = f.em.AddUser(f.ten.ID, emulator.UserSpec{UPN: "mfa.user", Password: pw, MFA: true})
	scopes := []string{"User.Read", "Mail.Read", "Mail.ReadWrite"}
	f.pub, err = f.em.AddApp(f.ten.ID, emulator.AppSpec{DisplayName: "e5renew", PublicClient: true, Scopes: scopes, Roles: []string{"Mail.Read", "User.Read.All"},
		NativeURIs: []string{"http://localhost"}, Secrets: []emulator.SecretSpec{{Value: "app-secret-value-0123456789"}}})
	if err != nil {
		t.Fatal(err)
	}
	f.secret = "web-secret-value-0123456789"
	f.conf, err = f.em.AddApp(f.ten.ID, emulator.AppSpec{DisplayName: "rclone-like", Scopes: scopes,
		RedirectURIs: []string{"http://localhost:53682/"}, Secrets: []emulator.SecretSpec{{Value: f.secret}}})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.em.Handler())
	t.Cleanup(f.srv.Close)
	f.ep = auth.Endpoints{Authority: f.srv.URL, Graph: f.srv.URL}
	return f
}

func (f *fixture) common(account string) auth.Common {
	return auth.Common{Account: account, Endpoints: f.ep, Now: f.clk.Now,
		Sleep: func(context.Context, time.Duration) error { return nil }}
}

func (f *fixture) seedRT(t *testing.T, app *emulator.App) string {
	t.Helper()
	rt, err := f.em.IssueRefreshToken(f.ten.ID, app.ClientID, f.user.UPN, []string{"User.Read", "Mail.Read"})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// graphGet calls Graph with a token and returns the status.
func (f *fixture) graphGet(t *testing.T, tok, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", f.srv.URL+"/v1.0"+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func mustAuthErr(t *testing.T, err error, class auth.Class, reason auth.Reason, code int) *auth.Error {
	t.Helper()
	ae, ok := auth.AsError(err)
	if !ok {
		t.Fatalf("error %v (%T) is not an *auth.Error", err, err)
	}
	if ae.Class != class || ae.Reason != reason || (code != 0 && ae.Code() != code) {
		t.Fatalf("classified %s/%s/%d, want %s/%s/%d: %v", ae.Class, ae.Reason, ae.Code(), class, reason, code, ae)
	}
	for _, l := range []i18n.Lang{i18n.EN, i18n.ZH} {
		if ae.Message(l) == "" {
			t.Fatalf("no %s message for %s", l, reason)
		}
	}
	return ae
}

func TestRefreshSourceRotatesAndPersistsBeforeUse(t *testing.T) {
	f := newFixture(t, emulator.Options{StrictRotation: true})
	store := auth.NewMemoryStore()
	seed := f.seedRT(t, f.pub)
	src, err := auth.NewRefreshSource(auth.RefreshOptions{Common: f.common("alex"), ClientID: f.pub.ClientID, RefreshToken: secret.String(seed), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for i := 0; i < 5; i++ {
		tok, err := src.Token(context.Background())
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		st, ok, _ := store.LoadToken(context.Background(), "alex")
		if !ok || st.RefreshToken.Reveal() == seed || st.RefreshToken.Reveal() == last {
			t.Fatalf("round %d: the rotated token was not stored before the access token was returned", i)
		}
		last = st.RefreshToken.Reveal()
		if !tok.Delegated || !tok.Has("Mail.Read") || tok.UPN != f.user.UPN {
			t.Fatalf("token %v scopes %v", tok, tok.Scopes)
		}
		if s := f.graphGet(t, tok.AccessToken, "/me/messages?$top=1"); s != 200 {
			t.Fatalf("Graph answered %d", s)
		}
		// Cached until near expiry.
		again, _ := src.Token(context.Background())
		if again.AccessToken != tok.AccessToken {
			t.Fatal("a valid access token was not reused")
		}
		f.clk.Advance(2 * time.Hour)
	}
	// A new process (new source, same store) continues from the stored token, even though
	// strict rotation has invalidated every predecessor, including the configured seed.
	src2, _ := auth.NewRefreshSource(auth.RefreshOptions{Common: f.common("alex"), ClientID: f.pub.ClientID, RefreshToken: secret.String(seed), Store: store})
	if _, err := src2.Token(context.Background()); err != nil {
		t.Fatalf("restart from the store: %v", err)
	}
	// The configured token was superseded; a source that ignored the store would fail.
	src3, _ := auth.NewRefreshSource(auth.RefreshOptions{Common: f.common("alex"), ClientID: f.pub.ClientID, RefreshToken: secret.String(seed), Store: auth.NewMemoryStore()})
	_, err = src3.Token(context.Background())
	mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonRefreshInvalid, 70000)
}

func TestRefreshSourcePrefersANewConfiguredToken(t *testing.T) {
	f := newFixture(t, emulator.Options{})
	store := auth.NewMemoryStore()
	_ = store.SaveToken(context.Background(), "alex", auth.StoredToken{RefreshToken: "stale-from-an-old-chain", Seed: auth.Fingerprint("old-config-token")})
	src, _ := auth.NewRefreshSource(auth.RefreshOptions{Common: f.common("alex"), ClientID: f.pub.ClientID, RefreshToken: secret.String(f.seedRT(t, f.pub)), Store: store})
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatalf("the owner's new configured token must win over the stored one: %v", err)
	}
}

type failingStore struct{ auth.TokenStore }

func (failingStore) SaveToken(context.Context, string, auth.StoredToken) error {
	return errors.New("disk full")
}

func TestRefreshSourceDoesNotUseTokenWhenSaveFails(t *testing.T) {
	f := newFixture(t, emulator.Options{StrictRotation: true})
	seed := f.seedRT(t, f.pub)
	src, _ := auth.NewRefreshSource(auth.RefreshOptions{Common: f.common("alex"), ClientID: f.pub.ClientID, RefreshToken: secret.String(seed), Store: failingStore{auth.NewMemoryStore()}})
	_, err := src.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "not used") {
		t.Fatalf("save failure: %v", err)
	}
	// The seed is still valid: the new access token was never used.
	ok, _ := auth.NewRefreshSource(auth.RefreshOptions{Common: f.common("alex"), ClientID: f.pub.ClientID, RefreshToken: secret.String(seed), Store: auth.NewMemoryStore()})
	if _, err := ok.Token(context.Background()); err != nil {
		t.Fatalf("seed after a failed save: %v", err)
	}
}

func TestRefreshErrorsAreClassified(t *testing.T) {
	f := newFixture(t, emulator.Options{})
	newSrc := func(app *emulator.App, secretValue, rt string) auth.Source {
		s, err := auth.NewRefreshSource(auth.RefreshOptions{Common: f.common("alex"), ClientID: app.ClientID, ClientSecret: secret.String(secretValue),
			RefreshToken: secret.String(rt), Store: auth.NewMemoryStore()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ctx := context.Background()
	// rclone-style confidential app: the secret is required, and its ID is not the secret.
	_, err := newSrc(f.conf, "", f.seedRT(t, f.conf)).Token(ctx)
	mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonSecretRequired, 7000218)
	_, err = newSrc(f.conf, f.conf.Secrets[0].KeyID, f.seedRT(t, f.conf)).Token(ctx)
	mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonSecretInvalid, 7000215)
	if _, err := newSrc(f.conf, f.secret, f.seedRT(t, f.conf)).Token(ctx); err != nil {
		t.Fatalf("rclone-style refresh with the secret: %v", err)
	}
	_, err = newSrc(f.pub, "", "garbage").Token(ctx)
	mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonRefreshInvalid, 9002313)

	old := f.seedRT(t, f.pub)
	f.clk.Advance(91 * 24 * time.Hour)
	_, err = newSrc(f.pub, "", old).Token(ctx)
	mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonRefreshExpired, 700082)

	rt := f.seedRT(t, f.pub)
	f.clk.Advance(time.Minute)
	_ = f.em.RevokeSessions(f.ten.ID, f.user.UPN)
	f.clk.Advance(time.Minute)
	_, err = newSrc(f.pub, "", rt).Token(ctx)
	mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonRefreshRevoked, 50173)

	rt = f.seedRT(t, f.pub)
	_ = f.em.RevokeConsent(f.ten.ID, f.pub.ClientID)
	_, err = newSrc(f.pub, "", rt).Token(ctx)
	mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonConsentMissing, 65001)

	rt = f.seedRT(t, f.conf)
	_ = f.em.ExpireSecrets(f.conf.ClientID)
	_, err = newSrc(f.conf, f.secret, rt).Token(ctx)
	ae := mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonSecretExpired, 7000222)
	if ae.Status != 401 {
		t.Fatalf("invalid_client answered %d, want 401", ae.Status)
	}
	_ = f.em.RemoveServicePrincipal(f.ten.ID, f.conf.ClientID)
	_, err = newSrc(f.conf, f.secret, rt).Token(ctx)
	mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonAppNotFound, 700016)
}

func TestNeedsOwnerIsNotRetried(t *testing.T) {
	f := newFixture(t, emulator.Options{LockoutThreshold: 5})
	src, err := auth.NewPasswordSource(auth.PasswordOptions{Common: f.common("alex"), Tenant: f.ten.Domain, ClientID: f.pub.ClientID,
		Username: f.user.UPN, Password: "wrong-password"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		_, err = src.Token(context.Background())
		mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonBadPassword, 50126)
	}
	if n := f.em.Stats().TokenErrors["AADSTS50126"]; n != 1 {
		t.Fatalf("%d password attempts for 20 Token calls; a needs-owner failure must not be retried", n)
	}
	if f.em.Locked(f.ten.ID, f.user.UPN) {
		t.Fatal("the account got locked")
	}
	src.Reset()
	_, _ = src.Token(context.Background())
	if n := f.em.Stats().TokenErrors["AADSTS50126"]; n != 2 {
		t.Fatalf("Reset should allow exactly one new attempt, saw %d", n)
	}
}

func TestPasswordSource(t *testing.T) {
	f := newFixture(t, emulator.Options{})
	mk := func(tenant string, u *emulator.User) (auth.Source, error) {
		return auth.NewPasswordSource(auth.PasswordOptions{Common: f.common("p"), Tenant: tenant, ClientID: f.pub.ClientID, Username: u.UPN, Password: pw})
	}
	if _, err := mk("common", f.user); err == nil || !strings.Contains(err.Error(), "9001023") {
		t.Fatalf("password on /common accepted at construction: %v", err)
	}
	s, _ := mk(f.ten.Domain, f.user)
	tok, err := s.Token(context.Background())
	if err != nil || !tok.Has("Mail.Read") {
		t.Fatalf("password sign-in: %v %v", tok, err)
	}
	s, _ = mk("organizations", f.mfa)
	_, err = s.Token(context.Background())
	mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonMFARequired, 50076)
}

func TestAppSource(t *testing.T) {
	f := newFixture(t, emulator.Options{})
	if _, err := auth.NewAppSource(auth.AppOptions{Common: f.common("app"), Tenant: "common", ClientID: f.pub.ClientID, ClientSecret: "x"}); err == nil {
		t.Fatal("application sign-in on /common accepted")
	}
	s, _ := auth.NewAppSource(auth.AppOptions{Common: f.common("app"), Tenant: f.ten.ID, ClientID: f.pub.ClientID, ClientSecret: "app-secret-value-0123456789"})
	tok, err := s.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.Delegated || !tok.Has("Mail.Read") || tok.Has("User.Read") {
		t.Fatalf("app token roles %v scopes %v", tok.Roles, tok.Scopes)
	}
	if st := f.graphGet(t, tok.AccessToken, "/users/"+f.user.UPN+"/messages?$top=1"); st != 200 {
		t.Fatalf("app-only /users/{id}/messages: %d", st)
	}
	bad, _ := auth.NewAppSource(auth.AppOptions{Common: f.common("app"), Tenant: f.ten.ID, ClientID: f.pub.ClientID, ClientSecret: "nope"})
	_, err = bad.Token(context.Background())
	mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonSecretInvalid, 7000215)
	other, _ := auth.NewAppSource(auth.AppOptions{Common: f.common("app"), Tenant: "nosuch.onmicrosoft.com", ClientID: f.pub.ClientID, ClientSecret: "x"})
	_, err = other.Token(context.Background())
	mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonTenantInvalid, 90002)
}

// A flaky identity platform (503 twice, then the emulator) is retried; the failure is not
// remembered.
func TestTransientFailuresAreRetried(t *testing.T) {
	f := newFixture(t, emulator.Options{})
	target, _ := url.Parse(f.srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var n atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			w.WriteHeader(503)
			_, _ = w.Write([]byte("<html>Service Unavailable</html>"))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer flaky.Close()
	c := f.common("alex")
	c.Endpoints = auth.Endpoints{Authority: flaky.URL, Graph: flaky.URL}
	var slept []time.Duration
	c.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	src, _ := auth.NewRefreshSource(auth.RefreshOptions{Common: c, ClientID: f.pub.ClientID, RefreshToken: secret.String(f.seedRT(t, f.pub)), Store: auth.NewMemoryStore()})
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatalf("after two 503s: %v", err)
	}
	if len(slept) != 2 || slept[1] <= slept[0]/2 {
		t.Fatalf("backoff %v", slept)
	}
	// A network failure is transient and not sticky.
	dead := f.common("alex")
	dead.Endpoints = auth.Endpoints{Authority: "http://127.0.0.1:1", Graph: "http://127.0.0.1:1"}
	src2, _ := auth.NewRefreshSource(auth.RefreshOptions{Common: dead, ClientID: f.pub.ClientID, RefreshToken: "x", Store: auth.NewMemoryStore()})
	_, err := src2.Token(context.Background())
	mustAuthErr(t, err, auth.Transient, auth.ReasonNetwork, 0)
}

func TestDeviceFlow(t *testing.T) {
	f := newFixture(t, emulator.Options{DeviceSlowDown: true})
	c := f.common("new")
	var sleeps []time.Duration
	c.Sleep = func(_ context.Context, d time.Duration) error {
		sleeps = append(sleeps, d)
		// The second wait is cut short, so the emulator answers slow_down.
		if len(sleeps) == 2 {
			f.clk.Advance(d - 4*time.Second)
			return nil
		}
		f.clk.Advance(d)
		return nil
	}
	flow := &auth.DeviceFlow{Common: c, ClientID: f.pub.ClientID, Scopes: []string{"User.Read", "Mail.Read"}}
	dc, err := flow.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if dc.UserCode == "" || !strings.HasSuffix(dc.VerificationURI, "/devicelogin") || dc.Interval != 5*time.Second {
		t.Fatalf("device code %+v", dc)
	}
	pendings := 0
	var grant *auth.Grant
	done := make(chan error)
	go func() {
		var err error
		grant, err = flow.Wait(context.Background(), dc, func() {
			pendings++
			if pendings == 2 {
				b := &emulator.Browser{UPN: f.user.UPN, Password: pw}
				if err := b.EnterDeviceCode(dc.VerificationURI, dc.UserCode); err != nil {
					t.Error(err)
				}
			}
		})
		done <- err
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if grant.RefreshToken.IsZero() || !grant.Token.Has("Mail.Read") {
		t.Fatalf("grant %+v", grant)
	}
	// 5s -> pending, 5s (cut short) -> slow_down, then 10s.
	if len(sleeps) < 3 || sleeps[0] != 5*time.Second || sleeps[1] != 5*time.Second || sleeps[2] != 10*time.Second {
		t.Fatalf("poll intervals %v: slow_down must add 5 seconds", sleeps)
	}
	dc2, _ := flow.Start(context.Background())
	_ = f.em.DeclineDeviceCode(dc2.UserCode)
	_, err = flow.Wait(context.Background(), dc2, nil)
	mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonDeviceDeclined, 0)
	dc3, _ := flow.Start(context.Background())
	f.clk.Advance(20 * time.Minute)
	_, err = flow.Wait(context.Background(), dc3, nil)
	mustAuthErr(t, err, auth.NeedsOwner, auth.ReasonDeviceExpired, 0)
}

func TestAuthCodeFlowWithLoopback(t *testing.T) {
	f := newFixture(t, emulator.Options{})
	flow := &auth.AuthCodeFlow{Common: f.common("new"), ClientID: f.pub.ClientID, Scopes: []string{"User.Read", "Mail.Read"}}
	p, err := flow.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(p.URL)
	if u.Query().Get("code_challenge_method") != "S256" || u.Query().Get("code_challenge") == "" || u.Query().Get("state") == "" {
		t.Fatalf("authorize URL %s", p.URL)
	}
	loc, err := (&emulator.Browser{UPN: f.user.UPN, Password: pw}).Authorize(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loc.String(), p.RedirectURI()) {
		t.Fatalf("redirected to %s, want %s", loc, p.RedirectURI())
	}
	resp, err := http.Get(loc.String()) // the browser lands on the loopback listener
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	g, err := p.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if g.RefreshToken.IsZero() || g.Token.UPN != f.user.UPN {
		t.Fatalf("grant %+v", g)
	}
	// A forged redirect (wrong state) is refused.
	p2, _ := flow.Start(context.Background())
	r2, err := http.Get(p2.RedirectURI() + "?code=x&state=forged")
	if err == nil {
		r2.Body.Close()
	}
	if _, err := p2.Wait(context.Background()); err == nil || !strings.Contains(err.Error(), "state") {
		t.Fatalf("forged state: %v", err)
	}
}

func TestFileStoreEncryptsAndSurvivesReopen(t *testing.T) {
	box, _ := secret.NewBox(secret.GenerateKey())
	p := filepath.Join(t.TempDir(), "tokens.json")
	s := auth.NewFileStore(p, box)
	ctx := context.Background()
	if err := s.SaveToken(ctx, "alice", auth.StoredToken{RefreshToken: "1.AXEA-very-secret", Seed: "abc"}); err != nil {
		t.Fatal(err)
	}
	raw, _ := readFile(p)
	if strings.Contains(raw, "very-secret") {
		t.Fatal("refresh token stored in clear text")
	}
	got, ok, err := auth.NewFileStore(p, box).LoadToken(ctx, "alice")
	if err != nil || !ok || got.RefreshToken.Reveal() != "1.AXEA-very-secret" || got.Seed != "abc" {
		t.Fatalf("reload: %+v %v %v", got, ok, err)
	}
	if _, ok, _ := s.LoadToken(ctx, "bob"); ok {
		t.Fatal("unknown account found")
	}
}
