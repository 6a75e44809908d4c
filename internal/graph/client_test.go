package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/secret"
)

type fixture struct {
	em   *emulator.Emulator
	srv  *httptest.Server
	ten  *emulator.Tenant
	user *emulator.User
	app  *emulator.App
	src  auth.Source
	// sleeps records every wait the client asked for (no real sleeping).
	mu     sync.Mutex
	sleeps []time.Duration
}

func newFixture(t *testing.T, opts emulator.Options) *fixture {
	t.Helper()
	f := &fixture{em: emulator.New(opts)}
	f.ten, _ = f.em.AddTenant(emulator.TenantSpec{Domain: "contoso.onmicrosoft.com"})
	f.user, _ = f.em.AddUser(f.ten.ID, emulator.UserSpec{UPN: "alex", Password: "pw"})
	var err error
	f.app, err = f.em.AddApp(f.ten.ID, emulator.AppSpec{PublicClient: true,
		Scopes: []string{"User.Read", "Mail.Read", "Mail.ReadWrite", "Notes.ReadWrite.All", "Calendars.Read"}})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.em.Handler())
	t.Cleanup(f.srv.Close)
	rt, err := f.em.IssueRefreshToken(f.ten.ID, f.app.ClientID, f.user.UPN, []string{"Mail.Read"})
	if err != nil {
		t.Fatal(err)
	}
	f.src, err = auth.NewRefreshSource(auth.RefreshOptions{Common: auth.Common{Account: "alex", Endpoints: auth.Endpoints{Authority: f.srv.URL, Graph: f.srv.URL}},
		ClientID: f.app.ClientID, RefreshToken: secret.String(rt), Store: auth.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) client(o graph.Options) *graph.Client {
	if o.BaseURL == "" {
		o.BaseURL = f.srv.URL
	}
	o.Sleep = func(_ context.Context, d time.Duration) error {
		f.mu.Lock()
		f.sleeps = append(f.sleeps, d)
		f.mu.Unlock()
		return nil
	}
	return graph.New(f.src, o)
}

func TestGetSendsClientRequestIDAndKeepsRequestID(t *testing.T) {
	f := newFixture(t, emulator.Options{})
	c := f.client(graph.Options{})
	var page graph.Page
	resp, err := c.Get(context.Background(), "/me/messages", url.Values{"$top": {"2"}, "$select": {"subject"}}, &page, f.user.UPN)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Value) != 2 || page.NextLink == "" {
		t.Fatalf("page %d items, nextLink %q", len(page.Value), page.NextLink)
	}
	if resp.RequestID == "" || resp.ClientRequestID == "" || resp.RequestID == resp.ClientRequestID || resp.Attempts != 1 {
		t.Fatalf("ids %q %q attempts %d", resp.RequestID, resp.ClientRequestID, resp.Attempts)
	}
}

func TestErrorsAreDecodedAndNotRetried(t *testing.T) {
	f := newFixture(t, emulator.Options{})
	c := f.client(graph.Options{})
	_, err := c.Get(context.Background(), "/me/mailboxSettings", nil, nil, "")
	ge, ok := graph.AsError(err)
	if !ok || ge.Status != 403 || ge.Code != "ErrorAccessDenied" || ge.RequestID == "" || ge.Attempts != 1 || !ge.Forbidden() {
		t.Fatalf("403: %#v", err)
	}
	_, err = c.Get(context.Background(), "/me/messages/AAMkAGnope", nil, nil, "")
	ge, _ = graph.AsError(err)
	if ge == nil || !ge.NotFound() || ge.Code != "ErrorItemNotFound" {
		t.Fatalf("404: %v", err)
	}
	if !strings.Contains(err.Error(), "request-id") {
		t.Fatalf("error text lacks the request-id: %v", err)
	}
	if len(f.sleeps) != 0 {
		t.Fatalf("slept %v for non-retryable errors", f.sleeps)
	}
}

func TestRetriesThrottlingHonouringRetryAfter(t *testing.T) {
	f := newFixture(t, emulator.Options{Faults: emulator.Faults{ThrottleRate: 0.6, RetryAfterMax: 3 * time.Second}})
	c := f.client(graph.Options{MaxAttempts: 30})
	var want []time.Duration
	var mu sync.Mutex
	// Wrap the transport to record every Retry-After the emulator sent.
	c = graph.New(f.src, graph.Options{BaseURL: f.srv.URL, MaxAttempts: 30, HTTPClient: &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil && resp.StatusCode == 429 {
			mu.Lock()
			want = append(want, graph.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
			mu.Unlock()
		}
		return resp, err
	})}, Sleep: func(_ context.Context, d time.Duration) error { f.sleeps = append(f.sleeps, d); return nil }})
	for i := 0; i < 20; i++ {
		if _, err := c.Get(context.Background(), "/me/messages", nil, nil, f.user.UPN); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if len(want) == 0 || len(f.sleeps) != len(want) {
		t.Fatalf("%d throttles, %d sleeps", len(want), len(f.sleeps))
	}
	fractional := false
	for i := range want {
		if f.sleeps[i] != want[i] {
			t.Fatalf("slept %v for Retry-After %v", f.sleeps[i], want[i])
		}
		if want[i]%time.Second != 0 {
			fractional = true
		}
	}
	if !fractional {
		t.Log("no fractional Retry-After in this run")
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestBackoffWithoutRetryAfter(t *testing.T) {
	// OneNote answers 429 without Retry-After: the client backs off exponentially.
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 4 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(429)
			_, _ = w.Write([]byte(`{"error":{"code":"20166","message":"too many"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"value":[]}`))
	}))
	defer srv.Close()
	var sleeps []time.Duration
	c := graph.New(staticToken("t"), graph.Options{BaseURL: srv.URL, BaseDelay: time.Second, MaxDelay: 5 * time.Second,
		Sleep: func(_ context.Context, d time.Duration) error { sleeps = append(sleeps, d); return nil }})
	if _, err := c.Get(context.Background(), "/me/onenote/pages", nil, nil, ""); err != nil {
		t.Fatal(err)
	}
	if len(sleeps) != 4 {
		t.Fatalf("sleeps %v", sleeps)
	}
	bounds := [][2]time.Duration{{500 * time.Millisecond, time.Second}, {time.Second, 2 * time.Second}, {2 * time.Second, 4 * time.Second}, {2500 * time.Millisecond, 5 * time.Second}}
	for i, s := range sleeps {
		if s < bounds[i][0] || s > bounds[i][1] {
			t.Fatalf("backoff %d = %v, want within %v", i, s, bounds[i])
		}
	}
}

type staticToken string

func (s staticToken) AccessToken(context.Context) (string, error) { return string(s), nil }
func (staticToken) Invalidate()                                   {}

func TestServerErrorsAndDroppedConnections(t *testing.T) {
	f := newFixture(t, emulator.Options{Faults: emulator.Faults{ErrorRate: 0.3, DropRate: 0.3, RetryAfterMax: time.Second}})
	c := f.client(graph.Options{MaxAttempts: 40})
	for i := 0; i < 30; i++ {
		if _, err := c.Get(context.Background(), "/me/mailFolders", nil, nil, f.user.UPN); err != nil {
			t.Fatalf("GET %d: %v", i, err)
		}
	}
	st := f.em.Stats()
	if st.Faults["serverError"] == 0 || st.Faults["dropped"] == 0 {
		t.Fatalf("faults %v: the test did not exercise them", st.Faults)
	}
	// A dropped POST is not retried: it may have taken effect.
	f.em.SetFaults(emulator.Faults{DropRate: 1})
	_, err := c.Do(context.Background(), graph.Request{Method: "POST", Path: "/me/mailFolders", Body: map[string]any{"displayName": "x"}, Mailbox: f.user.UPN})
	ge, ok := graph.AsError(err)
	if !ok || ge.Status != 0 || !ge.Uncertain || ge.Attempts != 1 {
		t.Fatalf("dropped POST: %#v", err)
	}
}

func TestLongRetryAfterIsNotWaited(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "315")
		w.WriteHeader(429)
		_, _ = w.Write([]byte(`{"error":{"code":"activityLimitReached","message":"throttled","innerError":{"code":"throttledRequest"}}}`))
	}))
	defer srv.Close()
	var sleeps []time.Duration
	c := graph.New(staticToken("t"), graph.Options{BaseURL: srv.URL, MaxRetryAfter: time.Minute,
		Sleep: func(_ context.Context, d time.Duration) error { sleeps = append(sleeps, d); return nil }})
	_, err := c.Get(context.Background(), "/me/drive", nil, nil, "")
	ge, _ := graph.AsError(err)
	if ge == nil || !ge.Throttled() || ge.RetryAfter != 315*time.Second || ge.InnerCode != "throttledRequest" || len(sleeps) != 0 {
		t.Fatalf("%v sleeps %v", err, sleeps)
	}
}

func TestExpiredTokenIsRefreshedOnce(t *testing.T) {
	f := newFixture(t, emulator.Options{})
	stale := &flipToken{first: "expired-or-garbage", src: f.src}
	c := graph.New(stale, graph.Options{BaseURL: f.srv.URL})
	if _, err := c.Get(context.Background(), "/me/messages", nil, nil, ""); err != nil {
		t.Fatal(err)
	}
	if stale.invalidated != 1 {
		t.Fatalf("invalidated %d times", stale.invalidated)
	}
}

type flipToken struct {
	first       string
	src         auth.Source
	invalidated int
}

func (f *flipToken) AccessToken(ctx context.Context) (string, error) {
	if f.invalidated == 0 {
		return f.first, nil
	}
	return f.src.AccessToken(ctx)
}
func (f *flipToken) Invalidate() { f.invalidated++ }

func TestMailboxConcurrencyLimitIsRespected(t *testing.T) {
	f := newFixture(t, emulator.Options{Faults: emulator.Faults{MailboxConcurrency: 4, Latency: 60 * time.Millisecond}})
	c := f.client(graph.Options{MaxAttempts: 1})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Get(context.Background(), "/me/messages", url.Values{"$top": {"1"}}, nil, f.user.UPN)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("with at most 4 in flight per mailbox, Outlook never throttles: %v", err)
		}
	}
	if f.em.Stats().Faults["mailboxConcurrency"] != 0 {
		t.Fatal("the emulator saw more than 4 concurrent requests")
	}
}

func TestMailboxLimiterCountsInFlight(t *testing.T) {
	var cur, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		cur.Add(-1)
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	lim := graph.NewMailboxLimiter(4)
	c1 := graph.New(staticToken("a"), graph.Options{BaseURL: srv.URL, Limiter: lim})
	c2 := graph.New(staticToken("b"), graph.Options{BaseURL: srv.URL, Limiter: lim})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		c := c1
		if i%2 == 1 {
			c = c2
		}
		go func() { defer wg.Done(); _, _ = c.Get(context.Background(), "/x", nil, nil, "Alex@Contoso") }()
	}
	wg.Wait()
	if peak.Load() != 4 {
		t.Fatalf("peak concurrency %d, want exactly 4", peak.Load())
	}
	if lim.Active() != 0 {
		t.Fatalf("%d idle mailbox slots leaked", lim.Active())
	}
}

func TestListFollowsNextLink(t *testing.T) {
	f := newFixture(t, emulator.Options{})
	c := f.client(graph.Options{})
	var subjects []string
	err := c.List(context.Background(), graph.Request{Path: "/me/messages", Query: url.Values{"$top": {"3"}, "$select": {"subject"}}}, 0, func(raw json.RawMessage) error {
		var m struct{ Subject string }
		_ = json.Unmarshal(raw, &m)
		subjects = append(subjects, m.Subject)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var all graph.Page
	_, _ = c.Get(context.Background(), "/me/messages", url.Values{"$top": {"100"}}, &all, "")
	if len(subjects) != len(all.Value) || len(subjects) < 10 {
		t.Fatalf("paged %d, total %d", len(subjects), len(all.Value))
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprint(w, `{"value":[{}],"@odata.nextLink":"https://attacker.example/v1.0/me/messages?$skiptoken=x"}`)
	}))
	defer evil.Close()
	c2 := graph.New(staticToken("t"), graph.Options{BaseURL: evil.URL})
	err = c2.List(context.Background(), graph.Request{Path: "/me/messages"}, 0, func(json.RawMessage) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "another host") {
		t.Fatalf("foreign nextLink followed: %v", err)
	}
}

func TestBatchRetriesThrottledSteps(t *testing.T) {
	f := newFixture(t, emulator.Options{Faults: emulator.Faults{ThrottleRate: 0.4, RetryAfterMax: time.Second}})
	c := f.client(graph.Options{MaxAttempts: 30})
	reqs := []graph.BatchRequest{
		{ID: "folder", Method: "POST", URL: "/me/mailFolders", Body: map[string]any{"displayName": "batch"}},
		{ID: "list", Method: "GET", URL: "/me/mailFolders?$top=50", DependsOn: []string{"folder"}},
		{ID: "me", Method: "GET", URL: "/me/messages?$top=1"},
	}
	res, err := c.Batch(context.Background(), "v1.0", reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.ID != reqs[i].ID {
			t.Fatalf("answers out of order: %d is %s", i, r.ID)
		}
		if r.Status/100 != 2 {
			t.Fatalf("%s: %d %s", r.ID, r.Status, r.Body)
		}
	}
	if !strings.Contains(string(res[1].Body), `"batch"`) {
		t.Fatalf("dependent step did not see the folder: %s", res[1].Body)
	}
	if _, err := c.Batch(context.Background(), "v1.0", []graph.BatchRequest{{ID: "a", URL: "/me"}, {ID: "A", URL: "/me"}}); err == nil {
		t.Fatal("duplicate ids accepted")
	}
	many := make([]graph.BatchRequest, 21)
	for i := range many {
		many[i] = graph.BatchRequest{ID: fmt.Sprint(i), URL: "/me"}
	}
	if _, err := c.Batch(context.Background(), "v1.0", many); err == nil {
		t.Fatal("21 requests accepted")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"2.128": 2128 * time.Millisecond, "120": 120 * time.Second, "0": 0, "": 0, "soon": 0, "-3": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
	}
	for in, want := range cases {
		if got := graph.ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestURLEscapesPaths(t *testing.T) {
	c := graph.New(staticToken("t"), graph.Options{BaseURL: "https://graph.microsoft.com"})
	got := c.URL(graph.Request{Path: "/me/drive/root:/e5renew/季度 报告.txt:/content", Query: url.Values{"$filter": {"subject eq 'a b'"}}})
	want := "https://graph.microsoft.com/v1.0/me/drive/root:/e5renew/%E5%AD%A3%E5%BA%A6%20%E6%8A%A5%E5%91%8A.txt:/content?%24filter=subject%20eq%20%27a%20b%27"
	if got != want {
		t.Fatalf("URL\n got %s\nwant %s", got, want)
	}
}
