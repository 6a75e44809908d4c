package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/graphdata"
)

func TestGraphAuthenticationErrors(t *testing.T) {
	h := defaultHarness(t)
	for name, c := range map[string]struct{ tok, msg string }{
		"missing":   {"", "Access token is empty."},
		"malformed": {"garbage", "IDX14100"},
		"forged":    {"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "Access token validation failure."},
	} {
		r := h.call(t, c.tok, "GET", "/v1.0/me/messages", nil).must(t, 401)
		if r.errCode() != "InvalidAuthenticationToken" || !strings.Contains(string(r.raw), c.msg) {
			t.Errorf("%s: %s", name, r.raw)
		}
		if !strings.Contains(r.header.Get("WWW-Authenticate"), `authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"`) {
			t.Errorf("%s: WWW-Authenticate %q", name, r.header.Get("WWW-Authenticate"))
		}
	}
	tok := h.userToken(t, h.alex)
	h.clock.advance(91 * time.Minute)
	r := h.call(t, tok, "GET", "/v1.0/me/messages", nil).must(t, 401)
	if !strings.Contains(string(r.raw), "Access token has expired or is not yet valid.") {
		t.Fatalf("expired: %s", r.raw)
	}
}

func TestGraphPermissionDenied(t *testing.T) {
	h := newHarness(t, Options{}, []string{"User.Read"}, []string{"User.Read.All"})
	tok := h.userToken(t, h.alex)
	r := h.call(t, tok, "GET", "/v1.0/me/messages", nil).must(t, 403)
	if r.errCode() != "ErrorAccessDenied" {
		t.Fatalf("403 shape: %s", r.raw)
	}
	inner := r.body["error"].(map[string]any)["innerError"].(map[string]any)
	if inner["request-id"] == nil || inner["date"] == nil || inner["client-request-id"] == nil {
		t.Fatalf("innerError %v", inner)
	}
	app := h.appToken(t)
	h.call(t, app, "GET", "/v1.0/users/"+h.alex.ID+"/mailFolders", nil).must(t, 403)
	st := h.e.Stats()
	if st.PermissionDenials["GET /me/messages"] != 1 || st.PermissionDenials["GET /users/{id}/mailFolders"] != 1 {
		t.Fatalf("denials %v", st.PermissionDenials)
	}
}

func TestGraphHeadersAndUnknownPaths(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	r := h.call(t, tok, "GET", "/v1.0/me/mailFolders", nil, "client-request-id", "11111111-2222-3333-4444-555555555555").must(t, 200)
	if r.header.Get("client-request-id") != "11111111-2222-3333-4444-555555555555" {
		t.Fatalf("client-request-id not echoed: %v", r.header)
	}
	if r.header.Get("request-id") == "" || r.header.Get("request-id") == r.header.Get("client-request-id") {
		t.Fatalf("request-id %q", r.header.Get("request-id"))
	}
	if !strings.HasPrefix(r.body["@odata.context"].(string), h.srv.URL+"/v1.0/$metadata#") {
		t.Fatalf("@odata.context %v", r.body["@odata.context"])
	}
	for _, p := range []string{"/v1.0/me/nonsense", "/v1.0/frobnicate", "/beta/me/mailFolders/inbox/nonsense"} {
		r := h.call(t, tok, "GET", p, nil)
		if r.status != 400 || !strings.Contains(string(r.raw), "Resource not found for the segment") {
			t.Errorf("%s: %d %s", p, r.status, r.raw)
		}
	}
	h.call(t, tok, "PUT", "/v1.0/me/messages", nil).must(t, 405)
	h.call(t, tok, "GET", "/v2.0/me", nil).must(t, 404)
	h.call(t, tok, "GET", "/v1.0/me/messages?$frobnicate=1", nil).must(t, 400)
	h.call(t, tok, "GET", "/v1.0/me/messages?$top=1001", nil).must(t, 400)
}

func TestFaultThrottleWithFractionalRetryAfter(t *testing.T) {
	h := newHarness(t, Options{Faults: Faults{ThrottleRate: 1, RetryAfterMax: 3 * time.Second}}, allScopes, allRoles)
	tok := h.userToken(t, h.alex)
	fractional, whole := 0, 0
	for i := 0; i < 60; i++ {
		r := h.call(t, tok, "GET", "/v1.0/me/messages", nil).must(t, 429)
		ra := r.header.Get("Retry-After")
		f, err := strconv.ParseFloat(ra, 64)
		if err != nil || f <= 0 || f > 3 {
			t.Fatalf("Retry-After %q", ra)
		}
		if strings.Contains(ra, ".") {
			fractional++
		} else {
			whole++
		}
	}
	if fractional == 0 || whole == 0 {
		t.Fatalf("Retry-After values: %d fractional, %d whole; want both", fractional, whole)
	}
	if h.e.Stats().Faults["throttled"] != 60 {
		t.Fatalf("faults %v", h.e.Stats().Faults)
	}
}

func TestFaultServerErrorsAndLatency(t *testing.T) {
	h := newHarness(t, Options{Faults: Faults{ErrorRate: 1, Latency: 40 * time.Millisecond}}, allScopes, allRoles)
	tok := h.userToken(t, h.alex)
	codes := map[int]int{}
	start := time.Now()
	for i := 0; i < 30; i++ {
		r := h.call(t, tok, "GET", "/v1.0/me/messages", nil)
		codes[r.status]++
		if r.status == 503 && r.header.Get("Retry-After") == "" {
			t.Fatal("503 without Retry-After")
		}
	}
	if codes[503] == 0 || codes[504] == 0 || codes[503]+codes[504] != 30 {
		t.Fatalf("status counts %v", codes)
	}
	if el := time.Since(start); el < 30*40*time.Millisecond {
		t.Fatalf("30 requests with 40 ms latency took %v", el)
	}
}

func TestFaultDroppedConnections(t *testing.T) {
	h := newHarness(t, Options{Faults: Faults{DropRate: 1}}, allScopes, allRoles)
	tok := h.userToken(t, h.alex)
	req, _ := http.NewRequest("GET", h.srv.URL+"/v1.0/me/messages", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("dropped request answered %s", resp.Status)
	}
	if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("unexpected error %v", err)
	}
	// Go's client retries an idempotent request once on a fresh connection.
	if n := h.e.Stats().Faults["dropped"]; n < 1 || n > 2 {
		t.Fatalf("faults %v", h.e.Stats().Faults)
	}
}

func TestFaultMailboxConcurrency(t *testing.T) {
	h := newHarness(t, Options{Faults: Faults{MailboxConcurrency: 4, Latency: 300 * time.Millisecond}}, allScopes, allRoles)
	tok := h.userToken(t, h.alex)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := 0; i < 7; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.call(t, tok, "GET", "/v1.0/me/messages", nil)
			mu.Lock()
			codes[r.status]++
			mu.Unlock()
			if r.status == 429 && r.errCode() != "ApplicationThrottled" {
				t.Errorf("429 code %s", r.errCode())
			}
		}()
	}
	wg.Wait()
	if codes[200] != 4 || codes[429] != 3 {
		t.Fatalf("7 concurrent requests on one mailbox: %v, want 4 ok and 3 throttled", codes)
	}
	// Another mailbox is not affected.
	r := h.call(t, h.userToken(t, h.megan), "GET", "/v1.0/me/messages", nil)
	if r.status != 200 {
		t.Fatalf("other mailbox: %d", r.status)
	}
}

func TestStatsEndpoint(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	h.call(t, tok, "GET", "/v1.0/me/messages", nil).must(t, 200)
	h.call(t, tok, "POST", "/v1.0/me/mailFolders", map[string]any{"displayName": "x"}).must(t, 201)
	resp, err := http.Get(h.srv.URL + "/_emulator/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	if s.Requests["GET /me/messages 200"] != 1 || s.Requests["POST /me/mailFolders 201"] != 1 {
		t.Fatalf("requests %v", s.Requests)
	}
	if s.TokensIssued["password"] != 1 {
		t.Fatalf("tokens %v", s.TokensIssued)
	}
	if s.LiveArtifacts[h.alex.UPN]["mailFolder"] != 1 || s.LiveArtifactsTotal != 1 {
		t.Fatalf("artifacts %v", s.LiveArtifacts)
	}
}

// The emulator's permission table is Microsoft's: for every route, the permissions it
// accepts in each scheme are exactly those the official file lists (parsed here from
// ../shared/graph-data, independently of the embedded copy), and supplements exist only for
// paths the official file lacks.
func TestPermissionTableAgreesWithOfficialData(t *testing.T) {
	raw, err := os.ReadFile(sharedPermissions(t))
	if err != nil {
		t.Fatal(err)
	}
	official, err := graphdata.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	e := New(Options{})
	routes := e.Routes()
	if len(routes) < 30 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, r := range routes {
		if r.NoAuthZ {
			continue
		}
		if r.Supplement != nil {
			if official.Known(r.Method, r.Key) {
				t.Errorf("%s %s has a supplement but the official data now lists it; remove the supplement", r.Method, r.Template)
			}
			if r.Supplement.Source == "" || (len(r.Supplement.Delegated) == 0 && len(r.Supplement.Application) == 0) {
				t.Errorf("%s %s: supplement without source or permissions", r.Method, r.Template)
			}
			continue
		}
		for _, scheme := range []graphdata.Scheme{graphdata.DelegatedWork, graphdata.Application} {
			got := e.AcceptedPermissions(r.Method, r.Template, string(scheme))
			want := official.AcceptedBy(r.Method, r.Key, scheme)
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s %s (%s): emulator accepts %v, official data %v", r.Method, r.Template, scheme, got, want)
			}
		}
	}
}

// Every route is reachable through the real pipeline: with all permissions it never
// answers "Resource not found for the segment" or 405.
func TestEveryRouteIsRoutable(t *testing.T) {
	e := New(Options{})
	for _, r := range e.Routes() {
		p := strings.NewReplacer("{id}", "x1", "{path}", "folder/file.txt", "{value}", "'x'").Replace(r.Template)
		pp, err := requestSegs(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		got, _, bad, mna := e.router.match(r.Method, pp)
		if got == nil || got.template != r.Template {
			t.Errorf("%s %s: matched %v (bad segment %q, 405=%v)", r.Method, p, got, bad, mna)
		}
	}
}

func sharedPermissions(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "graph-data", "permissions.json")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("skipping: official data not beside the repository: %v", err)
	}
	return p
}
