package ghactions_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/clock"
	"github.com/e5renew/e5renew/internal/ghactions"
	"github.com/e5renew/e5renew/internal/ghactions/ghfake"
	"github.com/e5renew/e5renew/internal/secret"
)

const (
	repo        = "alice/e5renew" // public, like a fork of a template
	privateRepo = "alice/private"

	tokClassic       = "ghp_ClassicRepo0123456789abcdefghijklmn"
	tokClassicPublic = "ghp_ClassicPublicRepo0123456789abcdefgh"
	tokFineWrite     = "github_pat_11AAAAAAA0FineWrite_0123456789abcdefghijklmnopqrstuvwxyz"
	tokFineRead      = "github_pat_11AAAAAAA0FineRead_0123456789abcdefghijklmnopqrstuvwxyzA"
	tokFineNone      = "github_pat_11AAAAAAA0FineNone_0123456789abcdefghijklmnopqrstuvwxyzA"
	tokFineOther     = "github_pat_11AAAAAAA0FineOther_0123456789abcdefghijklmnopqrstuvwxyz"
	tokActions       = "ghs_ActionsDefault0123456789abcdefghijkl"
	tokActionsWrite  = "ghs_ActionsWrite0123456789abcdefghijklmn"
	tokBad           = "ghp_RevokedToken0123456789abcdefghijklmn"
)

var allTokens = []string{tokClassic, tokClassicPublic, tokFineWrite, tokFineRead, tokFineNone, tokFineOther, tokActions, tokActionsWrite, tokBad}

// recClock is a clock whose Sleep returns at once, moving time forward and recording
// how long it was asked to wait.
type recClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *recClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *recClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *recClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

type env struct {
	fake     *ghfake.Fake
	url      string
	clk      *recClock
	workflow int64
}

var expires = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{fake: ghfake.New(), clk: &recClock{now: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)}}
	e.fake.Now = e.clk.Now
	e.fake.AddRepo(repo, false)
	e.fake.AddRepo(privateRepo, true)
	e.fake.AddRepo("alice/other", true)
	classic := ghfake.ClassicToken("repo", "workflow")
	classic.Expires = expires
	e.fake.AddToken(tokClassic, classic)
	e.fake.AddToken(tokClassicPublic, ghfake.ClassicToken("public_repo", "workflow"))
	e.fake.AddToken(tokFineWrite, ghfake.FineGrainedToken(ghfake.Write, ghfake.Write, repo, privateRepo))
	e.fake.AddToken(tokFineRead, ghfake.FineGrainedToken(ghfake.Read, ghfake.Read, repo, privateRepo))
	e.fake.AddToken(tokFineNone, ghfake.FineGrainedToken(ghfake.NoAccess, ghfake.NoAccess, repo, privateRepo))
	e.fake.AddToken(tokFineOther, ghfake.FineGrainedToken(ghfake.Write, ghfake.Write, "alice/other"))
	e.fake.AddToken(tokActions, ghfake.ActionsToken(repo, ghfake.Read))
	e.fake.AddToken(tokActionsWrite, ghfake.ActionsToken(repo, ghfake.Write))
	e.workflow = e.fake.AddWorkflow(repo, ghfake.Workflow{Name: "E5 renew", Path: ".github/workflows/e5renew.yml", State: "disabled_inactivity"})
	e.url = e.fake.Start(t)
	return e
}

func (e *env) client(token string) *ghactions.Client {
	return &ghactions.Client{BaseURL: e.url, Repo: repo, Token: secret.String(token), Clock: e.clk}
}

// statuses lists the statuses the fake answered, in order.
func (e *env) statuses() []int {
	var out []int
	for _, r := range e.fake.Requests() {
		out = append(out, r.Status)
	}
	return out
}

// assertNoToken fails when any form of err's text holds a token.
func assertNoToken(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		for _, tok := range allTokens {
			if strings.Contains(s, tok) || strings.Contains(s, tok[4:]) {
				t.Fatalf("error text holds a token: %s", s)
			}
		}
	}
}

func TestPutSecretRoundTrip(t *testing.T) {
	long := strings.Repeat("0.AXoAabcDEF-_ghi", ghactions.MaxSecretSize/17)
	tests := []struct{ name, value string }{
		{"refresh token", "0.AXoA3v7XbTm9QkO0ztd1Pn9Y-rCg1xPZ.AgABAAEAAAD--DLA3VO7QrddgJg7WevrAgDs_wUA9P8"},
		{"unicode", "刷新令牌 ✓ токен"},
		{"json and control characters", "{\"a\":\"b\\n\"}\t\r\n\x00end"},
		{"one byte", "x"},
		{"exactly 48 KB", strings.Repeat("k", ghactions.MaxSecretSize)},
		{"long", long},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			got, err := e.client(tokClassic).PutSecret(context.Background(), "MS_TOKEN", secret.String(tc.value))
			if err != nil {
				t.Fatal(err)
			}
			if got != ghactions.Created {
				t.Errorf("written %v, want created", got)
			}
			v, ok := e.fake.Secret(repo, "MS_TOKEN")
			if !ok || v != tc.value {
				t.Fatalf("the fake decrypted %q (%v), want %q", v, ok, tc.value)
			}
			// The value never travels in clear (a value this short could occur in base64).
			for _, r := range e.fake.Requests() {
				if len(tc.value) >= 8 && strings.Contains(string(r.Body), tc.value) {
					t.Fatalf("plain value in request body %s", r.Body)
				}
			}
		})
	}
}

func TestPutSecretUsesServedKeyID(t *testing.T) {
	e := newEnv(t)
	e.fake.RotateKey(repo) // a key id the client cannot have cached
	keyID, key := e.fake.PublicKey(repo)
	c := e.client(tokFineWrite)

	pk, err := c.PublicKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if pk.KeyID != keyID || pk.Key != key {
		t.Fatalf("public key %s %x, served %s %x", pk.KeyID, pk.Key, keyID, key)
	}
	if _, err := c.PutSecret(context.Background(), "MS_TOKEN", "rotated-token-1"); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests()
	last := reqs[len(reqs)-1]
	if last.Method != http.MethodPut || last.Path != "/repos/alice/e5renew/actions/secrets/MS_TOKEN" {
		t.Fatalf("last request %s %s", last.Method, last.Path)
	}
	var body map[string]string
	if err := json.Unmarshal(last.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["key_id"] != keyID {
		t.Errorf("key_id %q, served %q", body["key_id"], keyID)
	}
	if len(body) != 2 || body["encrypted_value"] == "" {
		t.Errorf("body %v: want exactly encrypted_value and key_id", body)
	}
	// The key is fetched for each write, so a rotation between writes does no harm.
	e.fake.RotateKey(repo)
	if _, err := c.PutSecret(context.Background(), "MS_TOKEN", "rotated-token-2"); err != nil {
		t.Fatalf("after a key rotation: %v", err)
	}
	if v, _ := e.fake.Secret(repo, "MS_TOKEN"); v != "rotated-token-2" {
		t.Errorf("secret %q after rotation", v)
	}
}

func TestPutSecretCreateThenUpdate(t *testing.T) {
	e := newEnv(t)
	c := e.client(tokClassic)
	ctx := context.Background()
	for i, want := range []ghactions.Written{ghactions.Created, ghactions.Updated, ghactions.Updated} {
		v := fmt.Sprintf("token-%d", i)
		got, err := c.PutSecret(ctx, "MS_TOKEN", secret.String(v))
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("write %d: %v, want %v", i, got, want)
		}
		if s, _ := e.fake.Secret(repo, "MS_TOKEN"); s != v {
			t.Errorf("write %d: secret %q, want %q", i, s, v)
		}
	}
	if got := e.statuses(); fmt.Sprint(got) != "[200 201 200 204 200 204]" {
		t.Errorf("statuses %v", got)
	}
	// Names are not case-sensitive: a secret made as CLIENT_SECRET is updated by client_secret.
	e.fake.SetSecret(repo, "CLIENT_SECRET", "old")
	got, err := c.PutSecret(ctx, "client_secret", "new")
	if err != nil || got != ghactions.Updated {
		t.Fatalf("lower-case name: %v %v, want updated", got, err)
	}
	if s, _ := e.fake.Secret(repo, "CLIENT_SECRET"); s != "new" {
		t.Errorf("CLIENT_SECRET %q", s)
	}
}

func TestRequestHeaders(t *testing.T) {
	e := newEnv(t)
	if _, err := e.client(tokClassic).PutSecret(context.Background(), "MS_TOKEN", "v"); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	for _, r := range reqs {
		h := r.Header
		if h.Get("Accept") != "application/vnd.github+json" || h.Get("X-GitHub-Api-Version") != "2022-11-28" ||
			h.Get("Authorization") != "Bearer "+tokClassic || h.Get("User-Agent") != "e5renew" {
			t.Errorf("%s %s headers %v", r.Method, r.Path, h)
		}
	}
	if ct := reqs[1].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("PUT content type %q", ct)
	}
}

// TestAccessProblems: each wrong token or repository gives an error of the right kind
// that names the fix, is not retried, and holds no token.
func TestAccessProblems(t *testing.T) {
	tests := []struct {
		name     string
		token    string
		repo     string
		call     string // check, put, enable, workflow
		kind     error
		status   int
		requests int
		want     []string
	}{
		{name: "classic without repo scope, at start", token: tokClassicPublic, call: "check", kind: ghactions.ErrPermission, requests: 1,
			want: []string{`"repo" scope`, "it has: public_repo, workflow", "https://github.com/settings/tokens"}},
		{name: "classic without repo scope, writing", token: tokClassicPublic, call: "put", kind: ghactions.ErrPermission, status: 403, requests: 2,
			want: []string{`"repo" scope`, "public_repo, workflow", "Must have admin rights"}},
		{name: "classic without repo scope, private repository", token: tokClassicPublic, repo: privateRepo, call: "check", kind: ghactions.ErrNotFound, status: 404, requests: 1,
			want: []string{privateRepo, `"repo" scope, which it lacks`}},
		{name: "fine-grained without secrets permission", token: tokFineNone, call: "check", kind: ghactions.ErrPermission, status: 403, requests: 1,
			want: []string{`"Secrets: Read and write"`, repo, "secrets=read", "https://github.com/settings/personal-access-tokens"}},
		{name: "fine-grained with read-only secrets, writing", token: tokFineRead, call: "put", kind: ghactions.ErrPermission, status: 403, requests: 2,
			want: []string{`"Secrets: Read and write"`, "secrets=write"}},
		{name: "fine-grained for other repositories", token: tokFineOther, repo: privateRepo, call: "check", kind: ghactions.ErrNotFound, status: 404, requests: 1,
			want: []string{privateRepo, `"Repository access"`}},
		{name: "default GITHUB_TOKEN, at start", token: tokActions, call: "check", kind: ghactions.ErrPermission, status: 403, requests: 1,
			want: []string{"GITHUB_TOKEN", "cannot write repository secrets", "GH_TOKEN", "Office365Auto", "Resource not accessible by integration"}},
		{name: "GITHUB_TOKEN with actions write, writing", token: tokActionsWrite, call: "put", kind: ghactions.ErrPermission, status: 403, requests: 1,
			want: []string{"GITHUB_TOKEN", "GH_TOKEN", "personal access token"}},
		{name: "bad token", token: tokBad, call: "check", kind: ghactions.ErrBadCredentials, status: 401, requests: 1,
			want: []string{"Bad credentials", "wrong, expired or revoked", "GH_TOKEN"}},
		{name: "bad token, enabling", token: tokBad, call: "enable", kind: ghactions.ErrBadCredentials, status: 401, requests: 1,
			want: []string{"expired or revoked"}},
		{name: "unknown repository", token: tokClassic, repo: "alice/nope", call: "check", kind: ghactions.ErrNotFound, status: 404, requests: 1,
			want: []string{"alice/nope", "GITHUB_REPOSITORY"}},
		{name: "unknown repository, writing", token: tokFineWrite, repo: "bob/e5renew", call: "put", kind: ghactions.ErrNotFound, status: 404, requests: 1,
			want: []string{"bob/e5renew", "GITHUB_REPOSITORY"}},
		{name: "GITHUB_TOKEN without actions write, enabling", token: tokActions, call: "enable", kind: ghactions.ErrPermission, status: 403, requests: 1,
			want: []string{"permissions: actions: write", "actions=write"}},
		{name: "fine-grained with actions read, enabling", token: tokFineRead, call: "enable", kind: ghactions.ErrPermission, status: 403, requests: 1,
			want: []string{`"Actions: Read and write"`}},
		{name: "classic without repo scope, enabling", token: tokClassicPublic, call: "enable", kind: ghactions.ErrPermission, status: 403, requests: 1,
			want: []string{`"repo" scope to enable workflows`}},
		{name: "unknown workflow", token: tokClassic, call: "workflow", kind: ghactions.ErrNotFound, status: 404, requests: 1,
			want: []string{`workflow "nope.yml"`, "file name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(tc.token)
			if tc.repo != "" {
				c.Repo = tc.repo
			}
			ctx := context.Background()
			var err error
			switch tc.call {
			case "check":
				_, err = c.CheckAccess(ctx)
			case "put":
				_, err = c.PutSecret(ctx, "MS_TOKEN", "value")
			case "enable":
				err = c.EnableWorkflow(ctx, "e5renew.yml")
			case "workflow":
				_, err = c.Workflow(ctx, "nope.yml")
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %v is not %v", err, tc.kind)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			var ae *ghactions.APIError
			if tc.status != 0 {
				if !errors.As(err, &ae) || ae.Status != tc.status || ae.Fix == "" {
					t.Errorf("error %#v: want an APIError with status %d and a fix", err, tc.status)
				}
			}
			if n := len(e.fake.Requests()); n != tc.requests {
				t.Errorf("%d requests, want %d (4xx answers are not retried)", n, tc.requests)
			}
			if got := e.clk.Sleeps(); len(got) != 0 {
				t.Errorf("waited %v", got)
			}
			if v, ok := e.fake.Secret(repo, "MS_TOKEN"); ok {
				t.Errorf("secret written: %q", v)
			}
			assertNoToken(t, err)
		})
	}
}

func TestCheckAccessOK(t *testing.T) {
	tests := []struct {
		name     string
		token    string
		kind     ghactions.TokenKind
		verified bool
		scopes   string
		expires  time.Time
		summary  string
	}{
		{"classic with repo", tokClassic, ghactions.TokenClassic, true, "[repo workflow]", expires, "can write Actions secrets; the token expires 2026-09-01 12:00 UTC"},
		{"fine-grained with secrets write", tokFineWrite, ghactions.TokenFineGrained, false, "[]", time.Time{}, `"Secrets: Read and write", checked at the first write`},
		{"fine-grained with read-only secrets", tokFineRead, ghactions.TokenFineGrained, false, "[]", time.Time{}, "can read the secrets key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			a, err := e.client(tc.token).CheckAccess(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			keyID, _ := e.fake.PublicKey(repo)
			if a.TokenKind != tc.kind || a.WriteVerified != tc.verified || fmt.Sprint(a.Scopes) != tc.scopes ||
				a.ScopesReported != (tc.kind == ghactions.TokenClassic) || a.KeyID != keyID || !a.Expires.Equal(tc.expires) || a.Repo != repo {
				t.Errorf("access %+v", a)
			}
			if s := a.Summary(); !strings.Contains(s, tc.summary) || !strings.Contains(s, repo) {
				t.Errorf("summary %q does not say %q", s, tc.summary)
			}
			if n := len(e.fake.Requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestRetriesServerErrorsThenSucceeds(t *testing.T) {
	for _, status := range []int{500, 502, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			e := newEnv(t)
			e.fake.Inject(ghfake.ServerError(status, 2))
			got, err := e.client(tokClassic).PutSecret(context.Background(), "MS_TOKEN", "after-outage")
			if err != nil {
				t.Fatal(err)
			}
			if got != ghactions.Created {
				t.Errorf("written %v", got)
			}
			if v, _ := e.fake.Secret(repo, "MS_TOKEN"); v != "after-outage" {
				t.Errorf("secret %q", v)
			}
			want := fmt.Sprintf("[%d %d 200 201]", status, status)
			if got := e.statuses(); fmt.Sprint(got) != want {
				t.Errorf("statuses %v, want %s", got, want)
			}
			// Backoff: about 1s, then about 2s (half the step plus random jitter).
			s := e.clk.Sleeps()
			if len(s) != 2 || s[0] < 500*time.Millisecond || s[0] > time.Second || s[1] < time.Second || s[1] > 2*time.Second {
				t.Errorf("backoff %v", s)
			}
		})
	}
}

func TestServerErrorsGiveUpAfterMaxAttempts(t *testing.T) {
	e := newEnv(t)
	e.fake.Inject(ghfake.ServerError(500, 10))
	_, err := e.client(tokClassic).PutSecret(context.Background(), "MS_TOKEN", "v")
	if !errors.Is(err, ghactions.ErrUnavailable) {
		t.Fatalf("error %v, want ErrUnavailable", err)
	}
	var ae *ghactions.APIError
	if !errors.As(err, &ae) || ae.Attempts != ghactions.DefaultMaxAttempts || !strings.Contains(ae.Error(), "githubstatus.com") {
		t.Errorf("error %v", err)
	}
	if n := len(e.fake.Requests()); n != ghactions.DefaultMaxAttempts {
		t.Errorf("%d requests, want %d", n, ghactions.DefaultMaxAttempts)
	}
	if n := len(e.clk.Sleeps()); n != ghactions.DefaultMaxAttempts-1 {
		t.Errorf("%d waits", n)
	}
	assertNoToken(t, err)
}

func TestRateLimits(t *testing.T) {
	tests := []struct {
		name   string
		faults func(e *env) []ghfake.Fault
		sleeps []time.Duration
	}{
		{"secondary with Retry-After", func(*env) []ghfake.Fault { return []ghfake.Fault{ghfake.SecondaryRateLimit(3, 1)} },
			[]time.Duration{3 * time.Second}},
		{"secondary without Retry-After waits a minute", func(*env) []ghfake.Fault { return []ghfake.Fault{ghfake.SecondaryRateLimit(-1, 1)} },
			[]time.Duration{time.Minute}},
		{"secondary twice without Retry-After waits longer", func(*env) []ghfake.Fault { return []ghfake.Fault{ghfake.SecondaryRateLimit(-1, 2)} },
			[]time.Duration{time.Minute, 2 * time.Minute}},
		{"primary waits until the reset", func(e *env) []ghfake.Fault {
			return []ghfake.Fault{ghfake.PrimaryRateLimit(e.clk.Now().Add(10*time.Second), 1)}
		}, []time.Duration{11 * time.Second}},
		{"429 with Retry-After", func(*env) []ghfake.Fault {
			return []ghfake.Fault{{Status: 429, Header: map[string]string{"Retry-After": "2"}, Body: `{"message":"Too Many Requests"}`}}
		}, []time.Duration{2 * time.Second}},
		{"Retry-After as a date", func(e *env) []ghfake.Fault {
			at := e.clk.Now().Add(5 * time.Second).Format(http.TimeFormat)
			return []ghfake.Fault{{Status: 429, Header: map[string]string{"Retry-After": at}, Body: `{"message":"Too Many Requests"}`}}
		}, []time.Duration{5 * time.Second}},
		{"503 with Retry-After", func(*env) []ghfake.Fault {
			return []ghfake.Fault{{Status: 503, Header: map[string]string{"Retry-After": "7"}, Body: `{"message":"Service Unavailable"}`}}
		}, []time.Duration{7 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			for _, f := range tc.faults(e) {
				f.Method = http.MethodPut // the write itself is limited
				e.fake.Inject(f)
			}
			if _, err := e.client(tokClassic).PutSecret(context.Background(), "MS_TOKEN", "v"); err != nil {
				t.Fatal(err)
			}
			if got := e.clk.Sleeps(); fmt.Sprint(got) != fmt.Sprint(tc.sleeps) {
				t.Errorf("waited %v, want %v", got, tc.sleeps)
			}
			if v, _ := e.fake.Secret(repo, "MS_TOKEN"); v != "v" {
				t.Errorf("secret %q", v)
			}
		})
	}
}

func TestRateLimitLongerThanMaxWaitFailsAtOnce(t *testing.T) {
	tests := []struct {
		name  string
		fault func(e *env) ghfake.Fault
		wait  time.Duration
	}{
		{"Retry-After of an hour", func(*env) ghfake.Fault { return ghfake.SecondaryRateLimit(3600, 1) }, time.Hour},
		{"primary reset in 40 minutes", func(e *env) ghfake.Fault { return ghfake.PrimaryRateLimit(e.clk.Now().Add(40*time.Minute), 1) }, 40*time.Minute + time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.Inject(tc.fault(e))
			_, err := e.client(tokClassic).CheckAccess(context.Background())
			if !errors.Is(err, ghactions.ErrRateLimited) {
				t.Fatalf("error %v, want ErrRateLimited", err)
			}
			var ae *ghactions.APIError
			if !errors.As(err, &ae) || ae.RetryAfter != tc.wait {
				t.Errorf("retry after %v, want %v", ae.RetryAfter, tc.wait)
			}
			if want := "wait until " + e.clk.Now().Add(tc.wait).UTC().Format("2006-01-02 15:04:05 UTC"); !strings.Contains(err.Error(), want) {
				t.Errorf("error does not say %q: %v", want, err)
			}
			if got := e.clk.Sleeps(); len(got) != 0 {
				t.Errorf("waited %v", got)
			}
			if n := len(e.fake.Requests()); n != 1 {
				t.Errorf("%d requests", n)
			}
		})
	}
}

func TestRateLimitWaitEndsWithContext(t *testing.T) {
	e := newEnv(t)
	e.fake.Inject(ghfake.SecondaryRateLimit(30, 1))
	c := e.client(tokClassic)
	c.Clock = clock.Real{} // really wait, so the context has to end it
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.CheckAccess(ctx)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("took %v", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ghactions.ErrRateLimited) {
		t.Fatalf("error %v: want the deadline and the rate limit", err)
	}
	if n := len(e.fake.Requests()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func TestNoRetryOnRejectedRequest(t *testing.T) {
	e := newEnv(t)
	e.fake.Inject(ghfake.Fault{Method: http.MethodPut, Status: 422, Body: `{"message":"Invalid request.","documentation_url":"https://docs.github.com/rest","status":"422"}`})
	_, err := e.client(tokClassic).PutSecret(context.Background(), "MS_TOKEN", "v")
	if !errors.Is(err, ghactions.ErrRejected) || !strings.Contains(err.Error(), "Invalid request.") {
		t.Fatalf("error %v", err)
	}
	if got := e.statuses(); fmt.Sprint(got) != "[200 422]" {
		t.Errorf("statuses %v", got)
	}
}

func TestInvalidSecretNamesRefusedBeforeAnyRequest(t *testing.T) {
	tests := []struct{ name, why string }{
		{"", "empty"},
		{"1PASSWORD", "digit"},
		{"GITHUB_TOKEN", "GITHUB_"},
		{"github_x", "GITHUB_"},
		{"MS-TOKEN", "letters A-Z"},
		{"MS TOKEN", "letters A-Z"},
		{"ÄPFEL", "letters A-Z"},
		{"../X", "letters A-Z"},
		{"A/B", "letters A-Z"},
		{"TOKEN\n", "letters A-Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.client(tokClassic).PutSecret(context.Background(), tc.name, "v")
			if !errors.Is(err, ghactions.ErrInvalidSecretName) || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("error %v, want ErrInvalidSecretName about %q", err, tc.why)
			}
			if n := len(e.fake.Requests()); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
	for _, ok := range []string{"MS_TOKEN", "_X", "ms_token", "A1", "GITHUBX", "GITHUB", "CLIENT_SECRET"} {
		if err := ghactions.ValidateSecretName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
}

func TestInvalidSecretValuesRefusedBeforeAnyRequest(t *testing.T) {
	for _, v := range []string{"", strings.Repeat("x", ghactions.MaxSecretSize+1)} {
		e := newEnv(t)
		_, err := e.client(tokClassic).PutSecret(context.Background(), "MS_TOKEN", secret.String(v))
		if !errors.Is(err, ghactions.ErrInvalidSecretValue) {
			t.Errorf("value of %d bytes: error %v", len(v), err)
		}
		if n := len(e.fake.Requests()); n != 0 {
			t.Errorf("value of %d bytes: %d requests sent", len(v), n)
		}
	}
}

// FuzzValidateSecretName checks the client's rule against the fake's, written
// independently from GitHub's documentation.
func FuzzValidateSecretName(f *testing.F) {
	for _, s := range []string{"MS_TOKEN", "", "1A", "GITHUB_", "github_token", "GitHub_x", "A-B", "_", "__", "Ä", "A\x00", "GITHUBX", "a1_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ghactions.ValidateSecretName(name)
		if want := ghfake.ValidSecretName(name); (err == nil) != want {
			t.Fatalf("ValidateSecretName(%q) = %v; GitHub accepts it: %v", name, err, want)
		}
		if err != nil && !errors.Is(err, ghactions.ErrInvalidSecretName) {
			t.Fatalf("error %v is not ErrInvalidSecretName", err)
		}
	})
}

func TestEnableWorkflowReactivates(t *testing.T) {
	for _, id := range []string{"e5renew.yml", ".github/workflows/e5renew.yml", "numeric"} {
		t.Run(id, func(t *testing.T) {
			e := newEnv(t)
			if id == "numeric" {
				id = fmt.Sprint(e.workflow)
			}
			c := e.client(tokFineWrite)
			ctx := context.Background()
			w, err := c.Workflow(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if w.State != ghactions.StateDisabledInactivity || w.ID != e.workflow || w.Path != ".github/workflows/e5renew.yml" || w.Name != "E5 renew" || w.CreatedAt.IsZero() {
				t.Fatalf("workflow %+v", w)
			}
			if err := c.EnableWorkflow(ctx, id); err != nil {
				t.Fatal(err)
			}
			if s := e.fake.WorkflowState(repo, e.workflow); s != "active" {
				t.Errorf("state in the fake %q", s)
			}
			w, err = c.Workflow(ctx, id)
			if err != nil || w.State != ghactions.StateActive {
				t.Errorf("after enable: %+v %v", w, err)
			}
			// Enabling an active workflow is harmless (the keep-alive calls it on each run).
			if err := c.EnableWorkflow(ctx, id); err != nil {
				t.Errorf("enable again: %v", err)
			}
		})
	}
	// The workflow's own GITHUB_TOKEN can enable it with `permissions: actions: write`.
	e := newEnv(t)
	if err := e.client(tokActionsWrite).EnableWorkflow(context.Background(), "e5renew.yml"); err != nil {
		t.Fatalf("GITHUB_TOKEN with actions: write: %v", err)
	}
	if s := e.fake.WorkflowState(repo, e.workflow); s != "active" {
		t.Errorf("state %q", s)
	}
}

func TestBadWorkflowIDRefusedBeforeAnyRequest(t *testing.T) {
	for _, id := range []string{"", "a/b.yml", "..", " "} {
		e := newEnv(t)
		err := e.client(tokClassic).EnableWorkflow(context.Background(), id)
		if !errors.Is(err, ghactions.ErrConfig) {
			t.Errorf("%q: error %v", id, err)
		}
		if n := len(e.fake.Requests()); n != 0 {
			t.Errorf("%q: %d requests", id, n)
		}
	}
}

func TestFromEnv(t *testing.T) {
	tok := secret.String(tokClassic)
	tests := []struct {
		name    string
		env     map[string]string
		token   secret.String
		base    string
		repo    string
		wantErr string
	}{
		{name: "actions defaults", env: map[string]string{"GITHUB_REPOSITORY": "alice/e5renew"}, token: tok, base: "https://api.github.com", repo: "alice/e5renew"},
		{name: "api url", env: map[string]string{"GITHUB_REPOSITORY": "Org-1/repo.name_x", "GITHUB_API_URL": "https://ghe.example.com/api/v3/"}, token: tok,
			base: "https://ghe.example.com/api/v3", repo: "Org-1/repo.name_x"},
		{name: "empty api url", env: map[string]string{"GITHUB_REPOSITORY": "alice/e5renew", "GITHUB_API_URL": ""}, token: tok, base: "https://api.github.com", repo: "alice/e5renew"},
		{name: "no repository", env: map[string]string{}, token: tok, wantErr: "GITHUB_REPOSITORY is not set"},
		{name: "blank repository", env: map[string]string{"GITHUB_REPOSITORY": "  "}, token: tok, wantErr: "GITHUB_REPOSITORY is not set"},
		{name: "no owner", env: map[string]string{"GITHUB_REPOSITORY": "e5renew"}, token: tok, wantErr: `"e5renew" is not a repository: expected owner/name`},
		{name: "three parts", env: map[string]string{"GITHUB_REPOSITORY": "a/b/c"}, token: tok, wantErr: "expected owner/name"},
		{name: "bad characters", env: map[string]string{"GITHUB_REPOSITORY": "alice/e5 renew"}, token: tok, wantErr: "may only hold"},
		{name: "bad api url", env: map[string]string{"GITHUB_REPOSITORY": "alice/e5renew", "GITHUB_API_URL": "api.github.com"}, token: tok, wantErr: "GITHUB_API_URL"},
		{name: "no token", env: map[string]string{"GITHUB_REPOSITORY": "alice/e5renew"}, token: "", wantErr: "GH_TOKEN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			c, err := ghactions.FromEnv(getenv, tc.token)
			if tc.wantErr != "" {
				if !errors.Is(err, ghactions.ErrConfig) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want ErrConfig saying %q", err, tc.wantErr)
				}
				assertNoToken(t, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.BaseURL != tc.base || c.Repo != tc.repo || c.Token != tc.token {
				t.Errorf("client %+v", c)
			}
		})
	}
}

func TestFromEnvEnterpriseAPIURL(t *testing.T) {
	e := newEnv(t)
	env := map[string]string{"GITHUB_REPOSITORY": repo, "GITHUB_API_URL": e.url + "/api/v3"}
	c, err := ghactions.FromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, tokClassic)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CheckAccess(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := e.fake.Requests()[0].Path; p != "/api/v3/repos/alice/e5renew/actions/secrets/public-key" {
		t.Errorf("path %s", p)
	}
}

func TestWorkflowFileFromRef(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"alice/e5renew/.github/workflows/e5renew.yml@refs/heads/main", "e5renew.yml"},
		{"Org/repo.x/.github/workflows/renew.yaml@refs/tags/v1.2", "renew.yaml"},
		{"alice/e5renew/.github/workflows/e5renew.yml", "e5renew.yml"},
		{"", ""},
		{"alice/e5renew@refs/heads/main", ""},
		{"alice/e5renew/.github/workflows/@refs/heads/main", ""},
	}
	for _, tc := range tests {
		got, err := ghactions.WorkflowFileFromRef(tc.ref)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("WorkflowFileFromRef(%q) = %q, %v; want %q", tc.ref, got, err, tc.want)
		}
	}
}

// TestServerEchoingTheTokenIsRedacted: even an answer that quotes the token (a broken
// proxy) does not bring it into the error.
func TestServerEchoingTheTokenIsRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"message":"bad header %s"}`, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	c := &ghactions.Client{BaseURL: srv.URL, Repo: repo, Token: tokClassic}
	_, err := c.CheckAccess(context.Background())
	if !errors.Is(err, ghactions.ErrRejected) || !strings.Contains(err.Error(), "bad header Bearer [redacted]") {
		t.Fatalf("error %v", err)
	}
	assertNoToken(t, err)
}

func TestUnreachableGitHubIsRetriedThenUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	clk := &recClock{now: time.Now()}
	c := &ghactions.Client{BaseURL: url, Repo: repo, Token: tokClassic, Clock: clk}
	_, err := c.CheckAccess(context.Background())
	if !errors.Is(err, ghactions.ErrUnavailable) || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("error %v", err)
	}
	if n := len(clk.Sleeps()); n != ghactions.DefaultMaxAttempts-1 {
		t.Errorf("%d waits", n)
	}
	assertNoToken(t, err)
}

func TestSecretStringIsNotPrintedByTheClient(t *testing.T) {
	c := &ghactions.Client{Repo: repo, Token: tokClassic}
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(s, tokClassic) {
			t.Fatalf("client prints its token: %s", s)
		}
	}
}

func TestKindOf(t *testing.T) {
	tests := map[string]ghactions.TokenKind{
		tokClassic: ghactions.TokenClassic, tokFineWrite: ghactions.TokenFineGrained, tokActions: ghactions.TokenActions,
		"gho_x": ghactions.TokenOAuth, "ghu_x": ghactions.TokenAppUser, "0123abcd": ghactions.TokenUnknown, " ghp_x ": ghactions.TokenClassic,
	}
	for tok, want := range tests {
		if got := ghactions.KindOf(secret.String(tok)); got != want {
			t.Errorf("KindOf(%q) = %v, want %v", tok, got, want)
		}
	}
}

// TestNotAPublicKey: an answer that is not a key (GITHUB_API_URL pointing at some other
// server) is an error saying so, not a secret sealed for a garbage key.
func TestNotAPublicKey(t *testing.T) {
	for _, body := range []string{`<html>login</html>`, `{"key_id":"1","key":"c2hvcnQ="}`, `{"key":"` + strings.Repeat("A", 43) + `="}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet {
				t.Errorf("%s %s sent after a bad key", r.Method, r.URL.Path)
			}
			fmt.Fprint(w, body)
		}))
		c := &ghactions.Client{BaseURL: srv.URL, Repo: repo, Token: tokClassic}
		_, err := c.PutSecret(context.Background(), "MS_TOKEN", "v")
		srv.Close()
		if !errors.Is(err, ghactions.ErrUnavailable) || !strings.Contains(err.Error(), "GITHUB_API_URL") {
			t.Errorf("answer %s: error %v", body, err)
		}
	}
}
