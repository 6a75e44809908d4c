package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// harness is an emulator served over real HTTP with one tenant, an admin user "alex", a
// second user "megan", an unlicensed user "nolicense", and one confidential, public-client
// app with the given delegated scopes and application roles consented.
type harness struct {
	e      *Emulator
	srv    *httptest.Server
	tenant *Tenant
	alex   *User
	megan  *User
	nolic  *User
	app    *App
	secret string
	clock  *fakeClock
}

const testPassword = "Passw0rd!"

// allScopes and allRoles cover every route the emulator serves.
var allScopes = []string{"User.Read", "User.ReadBasic.All", "User.Read.All", "Mail.Read", "Mail.ReadWrite", "Mail.Send", "MailboxSettings.ReadWrite",
	"Calendars.Read", "Calendars.ReadWrite", "Contacts.ReadWrite", "Files.ReadWrite.All", "Sites.ReadWrite.All", "Sites.Manage.All", "Notes.ReadWrite.All",
	"Tasks.ReadWrite", "People.Read", "Presence.Read", "Team.ReadBasic.All", "Channel.ReadBasic.All", "Chat.ReadBasic",
	"OnlineMeetings.ReadWrite", "Group.Read.All", "Directory.Read.All", "Organization.Read.All", "Device.Read.All",
	"LicenseAssignment.Read.All", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All"}

var allRoles = []string{"User.Read.All", "Mail.Read", "Mail.ReadWrite", "Mail.Send", "MailboxSettings.ReadWrite", "Calendars.Read", "Calendars.ReadWrite",
	"Contacts.ReadWrite", "Files.ReadWrite.All", "Sites.ReadWrite.All", "Sites.Manage.All", "Notes.ReadWrite.All", "Tasks.ReadWrite.All",
	"People.Read.All", "Presence.Read.All", "Team.ReadBasic.All", "Channel.ReadBasic.All", "Chat.ReadBasic.All", "Group.Read.All",
	"Directory.Read.All", "Organization.Read.All", "Device.Read.All", "LicenseAssignment.Read.All", "Application.ReadWrite.All",
	"AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "OnlineMeetings.ReadWrite.All"}

type fakeClock struct{ t time.Time }

func (f *fakeClock) now() time.Time          { return f.t }
func (f *fakeClock) advance(d time.Duration) { f.t = f.t.Add(d) }

func newHarness(t testing.TB, opts Options, scopes, roles []string) *harness {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = clock.now
	}
	e := New(opts)
	ten, err := e.AddTenant(TenantSpec{Domain: "contoso.onmicrosoft.com", DisplayName: "Contoso"})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{e: e, tenant: ten, clock: clock}
	if h.alex, err = e.AddUser(ten.ID, UserSpec{UPN: "alex.wilber", Password: testPassword, Admin: true}); err != nil {
		t.Fatal(err)
	}
	if h.megan, err = e.AddUser(ten.ID, UserSpec{UPN: "megan.bowen", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	if h.nolic, err = e.AddUser(ten.ID, UserSpec{UPN: "nolicense", Password: testPassword, Unlicensed: true}); err != nil {
		t.Fatal(err)
	}
	h.secret = "s3cr3t~value~" + strings.Repeat("x", 27)
	h.app, err = e.AddApp(ten.ID, AppSpec{DisplayName: "e5renew test", PublicClient: true, Scopes: scopes, Roles: roles,
		RedirectURIs: []string{"http://localhost:53682/"}, NativeURIs: []string{"http://localhost"},
		Secrets: []SecretSpec{{Value: h.secret}}})
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(e.Handler())
	t.Cleanup(h.srv.Close)
	return h
}

// defaultHarness has every scope and role consented.
func defaultHarness(t *testing.T) *harness { return newHarness(t, Options{}, allScopes, allRoles) }

// tokenResp posts to the token endpoint and decodes the answer.
func (h *harness) tokenResp(t testing.TB, tenant string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(h.srv.URL+"/"+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("token response is not JSON: %v", err)
	}
	return resp.StatusCode, m
}

// userToken signs in a user with the password grant.
func (h *harness) userToken(t testing.TB, u *User) string {
	t.Helper()
	st, m := h.tokenResp(t, h.tenant.Domain, url.Values{"grant_type": {"password"}, "client_id": {h.app.ClientID},
		"username": {u.UPN}, "password": {testPassword}, "scope": {"https://graph.microsoft.com/.default offline_access"}})
	if st != 200 {
		t.Fatalf("password grant: %d %v", st, m)
	}
	return m["access_token"].(string)
}

// appToken gets an application token with client credentials.
func (h *harness) appToken(t *testing.T) string {
	t.Helper()
	st, m := h.tokenResp(t, h.tenant.ID, url.Values{"grant_type": {"client_credentials"}, "client_id": {h.app.ClientID},
		"client_secret": {h.secret}, "scope": {"https://graph.microsoft.com/.default"}})
	if st != 200 {
		t.Fatalf("client credentials: %d %v", st, m)
	}
	return m["access_token"].(string)
}

type gresp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// value returns the "value" array of a collection response.
func (g gresp) value() []map[string]any {
	var out []map[string]any
	for _, v := range g.body["value"].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

func (g gresp) errCode() string {
	e, _ := g.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// call sends a Graph request; body may be nil, a string (sent as is) or a value (JSON).
func (h *harness) call(t *testing.T, token, method, path string, body any, headers ...string) gresp {
	t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
		ctype = "text/plain"
	case []byte:
		rd = bytes.NewReader(b)
		ctype = "application/octet-stream"
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
		ctype = "application/json"
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = h.srv.URL + path
	}
	u = strings.ReplaceAll(u, " ", "%20")
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	g := gresp{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &g.body); err != nil {
			t.Fatalf("%s %s: invalid JSON %q", method, path, raw)
		}
	}
	return g
}

// must fails the test unless the status matches.
func (g gresp) must(t *testing.T, status int) gresp {
	t.Helper()
	if g.status != status {
		t.Fatalf("status %d, want %d: %s", g.status, status, g.raw)
	}
	return g
}

func (h *harness) artifacts() int { return h.e.Stats().LiveArtifactsTotal }
