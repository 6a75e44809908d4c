package setup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/graphdata"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/setup"
)

const (
	pw       = "Passw0rd!"
	graphCLI = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func noSleep(context.Context, time.Duration) error { return nil }

// env is an empty tenant served by the emulator over real HTTP: a global administrator
// (alex) and a user (megan), no application of the tenant's own.
type env struct {
	em    *emulator.Emulator
	srv   *httptest.Server
	ten   *emulator.Tenant
	admin *emulator.User
	user  *emulator.User
	ep    auth.Endpoints
	clk   *clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	v := &env{clk: &clock{t: time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)}}
	v.em = emulator.New(emulator.Options{Now: v.clk.Now})
	var err error
	if v.ten, err = v.em.AddTenant(emulator.TenantSpec{Domain: "contoso.onmicrosoft.com"}); err != nil {
		t.Fatal(err)
	}
	if v.admin, err = v.em.AddUser(v.ten.ID, emulator.UserSpec{UPN: "admin", Password: pw, Admin: true}); err != nil {
		t.Fatal(err)
	}
	if v.user, err = v.em.AddUser(v.ten.ID, emulator.UserSpec{UPN: "megan", Password: pw}); err != nil {
		t.Fatal(err)
	}
	v.srv = httptest.NewServer(v.em.Handler())
	t.Cleanup(v.srv.Close)
	v.ep = auth.Endpoints{Authority: v.srv.URL, Graph: v.srv.URL}
	return v
}

// signIn runs a device code flow to the end, the user approving it in the emulator.
func (v *env) signIn(t *testing.T, flow *auth.DeviceFlow, u *emulator.User) *auth.Grant {
	t.Helper()
	flow.Common.Sleep = noSleep
	flow.Common.HTTPClient = v.srv.Client()
	ctx := context.Background()
	dc, err := flow.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.em.ApproveDeviceCode(dc.UserCode, u.UPN, pw); err != nil {
		t.Fatal(err)
	}
	g, err := flow.Wait(ctx, dc, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// adminClient signs u in as setup does (device code, Azure CLI client, /.default).
func (v *env) adminClient(t *testing.T, u *emulator.User) (*graph.Client, *auth.Token) {
	t.Helper()
	g := v.signIn(t, setup.AdminDeviceFlow(v.ep, ""), u)
	return v.client(g.Token), g.Token
}

func (v *env) client(tok *auth.Token) *graph.Client {
	return graph.New(setup.StaticToken(tok), graph.Options{BaseURL: v.srv.URL, HTTPClient: v.srv.Client(), Sleep: noSleep})
}

func (v *env) config(tok *auth.Token, application bool) setup.Config {
	cfg := setup.DefaultConfig()
	cfg.Application, cfg.Token, cfg.Now, cfg.Sleep = application, tok, v.clk.Now, noSleep
	return cfg
}

func run(t *testing.T, c *graph.Client, cfg setup.Config) *setup.Result {
	t.Helper()
	res, err := setup.Run(context.Background(), c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func statuses(r *setup.Result) map[setup.StepKind]setup.Status {
	m := map[setup.StepKind]setup.Status{}
	for _, s := range r.Steps {
		m[s.Kind] = s.Status
	}
	return m
}

func wantSteps(t *testing.T, r *setup.Result, want map[setup.StepKind]setup.Status) {
	t.Helper()
	got := statuses(r)
	if len(r.Steps) != 5 {
		t.Fatalf("steps: %+v", r.Steps)
	}
	for k, s := range want {
		if got[k] != s {
			t.Fatalf("step %s: %s, want %s\n%s", k, got[k], s, r.Describe(i18n.EN))
		}
	}
}

func allFine(application bool) map[setup.StepKind]setup.Status {
	m := map[setup.StepKind]setup.Status{setup.StepApplication: setup.AlreadyFine, setup.StepServicePrincipal: setup.AlreadyFine,
		setup.StepDelegatedConsent: setup.AlreadyFine, setup.StepSecret: setup.Skipped, setup.StepAppConsent: setup.Skipped}
	if application {
		m[setup.StepSecret], m[setup.StepAppConsent] = setup.AlreadyFine, setup.AlreadyFine
	}
	return m
}

func lower(s []string) []string {
	out := make([]string, 0, len(s))
	for _, x := range s {
		out = append(out, strings.ToLower(x))
	}
	sort.Strings(out)
	return out
}

func containsAll(t *testing.T, what string, have, want []string) {
	t.Helper()
	set := map[string]bool{}
	for _, h := range have {
		set[strings.ToLower(h)] = true
	}
	for _, w := range want {
		if !set[strings.ToLower(w)] {
			t.Fatalf("%s lacks %s: %v", what, w, have)
		}
	}
}

func sameSet(t *testing.T, what string, have, want []string) {
	t.Helper()
	if fmt.Sprint(lower(have)) != fmt.Sprint(lower(want)) {
		t.Fatalf("%s = %v, want %v", what, have, want)
	}
}

// userToken signs megan in with the device code flow through the registered app, asking
// for what the app was granted (/.default), as `e5renew login` does.
func (v *env) userToken(t *testing.T, clientID string) *auth.Grant {
	t.Helper()
	return v.signIn(t, &auth.DeviceFlow{Common: auth.Common{Endpoints: v.ep}, ClientID: clientID}, v.user)
}

// appToken signs in with client credentials.
func (v *env) appToken(t *testing.T, clientID string, s secret.String) (*auth.Token, error) {
	t.Helper()
	src, err := auth.NewAppSource(auth.AppOptions{Common: auth.Common{Endpoints: v.ep, HTTPClient: v.srv.Client(), Now: v.clk.Now, Sleep: noSleep, Attempts: 1},
		Tenant: v.ten.ID, ClientID: clientID, ClientSecret: s})
	if err != nil {
		t.Fatal(err)
	}
	return src.Token(context.Background())
}

// wantScopes is what the delegated grant must hold by default.
func wantScopes() []string { return append(setup.DefaultScopes(), setup.OpenIDScopes...) }

type graphApp struct {
	ID                     string   `json:"id"`
	AppID                  string   `json:"appId"`
	DisplayName            string   `json:"displayName"`
	Tags                   []string `json:"tags"`
	Notes                  string   `json:"notes"`
	SignInAudience         string   `json:"signInAudience"`
	IsFallbackPublicClient *bool    `json:"isFallbackPublicClient"`
	PublicClient           struct {
		RedirectURIs []string `json:"redirectUris"`
	} `json:"publicClient"`
	RequiredResourceAccess []struct {
		ResourceAppID  string `json:"resourceAppId"`
		ResourceAccess []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"resourceAccess"`
	} `json:"requiredResourceAccess"`
	PasswordCredentials []map[string]any `json:"passwordCredentials"`
}

func getApp(t *testing.T, c *graph.Client, id string) graphApp {
	t.Helper()
	var a graphApp
	if _, err := c.Get(context.Background(), "/applications/"+id, nil, &a, ""); err != nil {
		t.Fatal(err)
	}
	return a
}

func (a graphApp) access() []string {
	var out []string
	for _, r := range a.RequiredResourceAccess {
		if r.ResourceAppID == graphdata.GraphAppID {
			for _, x := range r.ResourceAccess {
				out = append(out, x.Type+":"+x.ID)
			}
		}
	}
	return out
}

func planAccess(t *testing.T, cfg setup.Config) []string {
	t.Helper()
	p, err := setup.NewPlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range append(append([]setup.Permission(nil), p.Scopes...), p.Roles...) {
		out = append(out, x.Type+":"+x.ID)
	}
	return out
}

func do(t *testing.T, c *graph.Client, method, path string, body any) *graph.Response {
	t.Helper()
	r, err := c.Do(context.Background(), graph.Request{Method: method, Path: path, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSetupFromEmptyTenant: the administrator signs in with the Azure CLI client and Run
// registers everything; a user then signs in through the new app with the device code
// flow and gets every scope, client credentials with the new secret get every role; a
// second run changes nothing.
func TestSetupFromEmptyTenant(t *testing.T) {
	v := newEnv(t)
	admin, tok := v.adminClient(t, v.admin)
	if tok.Delegated != true || !tok.Has("Application.ReadWrite.All") {
		t.Fatalf("admin token: %v %v", tok, tok.Scopes)
	}
	cfg := v.config(tok, true)
	res := run(t, admin, cfg)
	wantSteps(t, res, map[setup.StepKind]setup.Status{setup.StepApplication: setup.Created, setup.StepSecret: setup.Created,
		setup.StepServicePrincipal: setup.Created, setup.StepDelegatedConsent: setup.Created, setup.StepAppConsent: setup.Created})
	if res.TenantID != v.ten.ID || res.ClientID == "" || res.ObjectID == "" || res.ServicePrincipalID == "" ||
		res.GraphServicePrincipalID == "" || res.DisplayName != "e5renew" || !res.Changed() {
		t.Fatalf("result: %+v", res)
	}
	wantEnd := v.clk.Now().Add(setup.DefaultSecretLifetime)
	if res.Secret.IsZero() || res.SecretKeyID == "" || !res.SecretEnd.Equal(wantEnd) {
		t.Fatalf("secret: key %s end %v (want %v) set %v", res.SecretKeyID, res.SecretEnd, wantEnd, !res.Secret.IsZero())
	}
	sameSet(t, "granted scopes", res.Scopes, wantScopes())
	sameSet(t, "assigned roles", res.Roles, setup.DefaultRoles())
	for _, s := range []string{fmt.Sprintf("%+v", res), res.Describe(i18n.EN), res.Describe(i18n.ZH)} {
		if strings.Contains(s, res.Secret.Reveal()) {
			t.Fatal("the secret's value is printed")
		}
	}

	a := getApp(t, admin, res.ObjectID)
	if a.AppID != res.ClientID || a.SignInAudience != "AzureADMyOrg" || a.IsFallbackPublicClient == nil || !*a.IsFallbackPublicClient ||
		fmt.Sprint(a.PublicClient.RedirectURIs) != "[http://localhost]" || fmt.Sprint(a.Tags) != "["+setup.Tag+"]" || a.Notes != setup.Notes {
		t.Fatalf("application: %+v", a)
	}
	sameSet(t, "requiredResourceAccess", a.access(), planAccess(t, cfg))
	if len(a.PasswordCredentials) != 1 || a.PasswordCredentials[0]["secretText"] != nil ||
		a.PasswordCredentials[0]["displayName"] != "e5renew 2026-11-02" || a.PasswordCredentials[0]["keyId"] != res.SecretKeyID {
		t.Fatalf("passwordCredentials: %v", a.PasswordCredentials)
	}

	// A user (not an administrator) signs in through the new app: no consent prompt, every
	// granted scope in scp.
	g := v.userToken(t, res.ClientID)
	if !g.Token.Delegated || g.RefreshToken.IsZero() || g.Token.TenantID != v.ten.ID {
		t.Fatalf("user grant: %v", g.Token)
	}
	containsAll(t, "user token scp", g.Token.Scopes, setup.DefaultScopes())
	// The token works on Graph for something e5renew does.
	if _, err := v.client(g.Token).Get(context.Background(), "/me/messages", url.Values{"$top": {"1"}}, nil, ""); err != nil {
		t.Fatal(err)
	}
	at, err := v.appToken(t, res.ClientID, res.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if at.Delegated {
		t.Fatal("client credentials token is delegated")
	}
	sameSet(t, "app token roles", at.Roles, setup.DefaultRoles())

	// Again: nothing changes.
	again := run(t, admin, cfg)
	wantSteps(t, again, allFine(true))
	if again.Changed() || !again.Secret.IsZero() || again.SecretKeyID != res.SecretKeyID || !again.SecretEnd.Equal(res.SecretEnd) ||
		again.ClientID != res.ClientID || again.ObjectID != res.ObjectID || again.ServicePrincipalID != res.ServicePrincipalID || again.TenantID != v.ten.ID {
		t.Fatalf("second run: %+v", again)
	}
	sameSet(t, "granted scopes", again.Scopes, wantScopes())
	sameSet(t, "assigned roles", again.Roles, setup.DefaultRoles())
	if b := getApp(t, admin, res.ObjectID); len(b.PasswordCredentials) != 1 || fmt.Sprint(b.access()) != fmt.Sprint(a.access()) {
		t.Fatalf("the second run changed the app: %+v", b)
	}
	var apps struct{ Value []graphApp }
	if _, err := admin.Get(context.Background(), "/applications", nil, &apps, ""); err != nil || len(apps.Value) != 1 {
		t.Fatalf("applications after two runs: %d %v", len(apps.Value), err)
	}

	// A lost secret is replaced on request; the old one keeps working until removed.
	cfg.NewSecret = true
	third := run(t, admin, cfg)
	if st, _ := third.Step(setup.StepSecret); st.Status != setup.Created || third.Secret.IsZero() || third.SecretKeyID == res.SecretKeyID {
		t.Fatalf("new secret: %+v", third.Steps)
	}
	if _, err := v.appToken(t, res.ClientID, third.Secret); err != nil {
		t.Fatal(err)
	}
}

// TestSetupRepairsHalfFinishedTenants breaks a finished setup in the ways a run cut short
// or a person in the portal would, and checks that Run completes it each time.
func TestSetupRepairsHalfFinishedTenants(t *testing.T) {
	v := newEnv(t)
	admin, tok := v.adminClient(t, v.admin)
	cfg := v.config(tok, true)
	first := run(t, admin, cfg)
	graphSP := first.GraphServicePrincipalID
	finished := func(r *setup.Result) {
		t.Helper()
		sameSet(t, "granted scopes", r.Scopes, wantScopes())
		sameSet(t, "assigned roles", r.Roles, setup.DefaultRoles())
		wantSteps(t, run(t, admin, cfg), allFine(true))
	}

	// The application without its service principal (so also no grant, no roles).
	do(t, admin, "DELETE", "/servicePrincipals/"+first.ServicePrincipalID, nil)
	r := run(t, admin, cfg)
	wantSteps(t, r, map[setup.StepKind]setup.Status{setup.StepApplication: setup.AlreadyFine, setup.StepSecret: setup.AlreadyFine,
		setup.StepServicePrincipal: setup.Created, setup.StepDelegatedConsent: setup.Created, setup.StepAppConsent: setup.Created})
	if r.ServicePrincipalID == first.ServicePrincipalID || r.ClientID != first.ClientID {
		t.Fatalf("after recreating the SP: %+v", r)
	}
	finished(r)
	spID := r.ServicePrincipalID

	// The service principal without the grant.
	var grants struct {
		Value []struct{ ID, Scope, ConsentType string }
	}
	if _, err := admin.Get(context.Background(), "/oauth2PermissionGrants", url.Values{"$filter": {"clientId eq '" + spID + "'"}}, &grants, ""); err != nil || len(grants.Value) != 1 {
		t.Fatalf("grants: %v %v", grants, err)
	}
	do(t, admin, "DELETE", "/oauth2PermissionGrants/"+grants.Value[0].ID, nil)
	r = run(t, admin, cfg)
	wantSteps(t, r, map[setup.StepKind]setup.Status{setup.StepApplication: setup.AlreadyFine, setup.StepServicePrincipal: setup.AlreadyFine,
		setup.StepDelegatedConsent: setup.Created, setup.StepAppConsent: setup.AlreadyFine})
	finished(r)

	// A grant missing scopes, holding one more that is not e5renew's: the missing ones are
	// added, the other is kept.
	if _, err := admin.Get(context.Background(), "/oauth2PermissionGrants", url.Values{"$filter": {"clientId eq '" + spID + "'"}}, &grants, ""); err != nil {
		t.Fatal(err)
	}
	do(t, admin, "PATCH", "/oauth2PermissionGrants/"+grants.Value[0].ID, map[string]any{"scope": "User.Read Tasks.Read"})
	r = run(t, admin, cfg)
	wantSteps(t, r, map[setup.StepKind]setup.Status{setup.StepDelegatedConsent: setup.Repaired, setup.StepApplication: setup.AlreadyFine})
	sameSet(t, "scopes after repair", r.Scopes, append(wantScopes(), "Tasks.Read"))
	containsAll(t, "user token scp", v.userToken(t, r.ClientID).Token.Scopes, append(setup.DefaultScopes(), "Tasks.Read"))
	do(t, admin, "PATCH", "/oauth2PermissionGrants/"+grants.Value[0].ID, map[string]any{"scope": strings.Join(wantScopes(), " ")})
	finished(r0(t, admin, cfg))

	// One role assignment deleted.
	var as struct {
		Value []struct{ ID, AppRoleID string }
	}
	if _, err := admin.Get(context.Background(), "/servicePrincipals/"+spID+"/appRoleAssignments", nil, &as, ""); err != nil || len(as.Value) != len(setup.DefaultRoles()) {
		t.Fatalf("assignments: %v %v", as, err)
	}
	do(t, admin, "DELETE", "/servicePrincipals/"+graphSP+"/appRoleAssignedTo/"+as.Value[0].ID, nil)
	if at, err := v.appToken(t, first.ClientID, first.Secret); err != nil || len(at.Roles) != len(setup.DefaultRoles())-1 {
		t.Fatalf("roles with one assignment deleted: %v %v", at, err)
	}
	r = run(t, admin, cfg)
	wantSteps(t, r, map[setup.StepKind]setup.Status{setup.StepAppConsent: setup.Repaired, setup.StepDelegatedConsent: setup.AlreadyFine})
	prov, _ := graphdata.LoadProvisioning()
	removed, _ := prov.Name(as.Value[0].AppRoleID)
	if d, _ := r.Step(setup.StepAppConsent); d.Detail.EN != "missing application permissions assigned: "+removed {
		t.Fatalf("repair detail: %q (removed %s)", d.Detail.EN, removed)
	}
	finished(r)
	at, err := v.appToken(t, first.ClientID, first.Secret)
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "roles after repair", at.Roles, setup.DefaultRoles())

	// The app edited in the portal: a permission removed, public client flows off, the
	// redirect URI replaced. Other resources' entries and URIs are kept.
	a := getApp(t, admin, first.ObjectID)
	var access []map[string]any
	for _, x := range a.access()[1:] {
		typ, id, _ := strings.Cut(x, ":")
		access = append(access, map[string]any{"id": id, "type": typ})
	}
	const other = "00000002-0000-0ff1-ce00-000000000000" // Office 365 Exchange Online
	do(t, admin, "PATCH", "/applications/"+first.ObjectID, map[string]any{
		"isFallbackPublicClient": false, "publicClient": map[string]any{"redirectUris": []string{"https://login.microsoftonline.com/common/oauth2/nativeclient"}},
		"requiredResourceAccess": []any{map[string]any{"resourceAppId": other, "resourceAccess": []any{}},
			map[string]any{"resourceAppId": graphdata.GraphAppID, "resourceAccess": access}}})
	r = run(t, admin, cfg)
	wantSteps(t, r, map[setup.StepKind]setup.Status{setup.StepApplication: setup.Repaired, setup.StepSecret: setup.AlreadyFine,
		setup.StepServicePrincipal: setup.AlreadyFine, setup.StepDelegatedConsent: setup.AlreadyFine, setup.StepAppConsent: setup.AlreadyFine})
	d, _ := r.Step(setup.StepApplication)
	for _, s := range []string{"public client flows allowed", "http://localhost", "permissions added"} {
		if !strings.Contains(d.Detail.EN, s) {
			t.Fatalf("repair detail lacks %q: %s", s, d.Detail.EN)
		}
	}
	b := getApp(t, admin, first.ObjectID)
	sameSet(t, "requiredResourceAccess after repair", b.access(), planAccess(t, cfg))
	kept := false
	for _, e := range b.RequiredResourceAccess {
		kept = kept || e.ResourceAppID == other
	}
	if !*b.IsFallbackPublicClient || len(b.PublicClient.RedirectURIs) != 2 || len(b.RequiredResourceAccess) != 2 || !kept {
		t.Fatalf("after repair: %+v", b)
	}
	finished(r)
	containsAll(t, "user token scp", v.userToken(t, first.ClientID).Token.Scopes, setup.DefaultScopes())
}

// r0 runs once more and returns the result, for finished() after a manual fix.
func r0(t *testing.T, c *graph.Client, cfg setup.Config) *setup.Result { return run(t, c, cfg) }

// TestSetupDelegatedOnlyThenApplication: without application mode there are no roles and
// no secret; asking for it later completes the same app.
func TestSetupDelegatedOnlyThenApplication(t *testing.T) {
	v := newEnv(t)
	admin, tok := v.adminClient(t, v.admin)
	cfg := v.config(tok, false)
	r := run(t, admin, cfg)
	wantSteps(t, r, map[setup.StepKind]setup.Status{setup.StepApplication: setup.Created, setup.StepSecret: setup.Skipped,
		setup.StepServicePrincipal: setup.Created, setup.StepDelegatedConsent: setup.Created, setup.StepAppConsent: setup.Skipped})
	if !r.Secret.IsZero() || r.SecretKeyID != "" || len(r.Roles) != 0 {
		t.Fatalf("delegated only: %+v", r)
	}
	for _, x := range getApp(t, admin, r.ObjectID).access() {
		if strings.HasPrefix(x, "Role:") {
			t.Fatalf("a role in a delegated-only app: %s", x)
		}
	}
	wantSteps(t, run(t, admin, cfg), allFine(false))
	containsAll(t, "user token scp", v.userToken(t, r.ClientID).Token.Scopes, setup.DefaultScopes())

	cfg.Application = true
	cfg.Roles = []string{"User.Read.All", "mail.send"}
	up := run(t, admin, cfg)
	wantSteps(t, up, map[setup.StepKind]setup.Status{setup.StepApplication: setup.Repaired, setup.StepSecret: setup.Created,
		setup.StepServicePrincipal: setup.AlreadyFine, setup.StepDelegatedConsent: setup.AlreadyFine, setup.StepAppConsent: setup.Created})
	if up.ClientID != r.ClientID {
		t.Fatal("another app was registered")
	}
	sameSet(t, "roles", up.Roles, []string{"Mail.Send", "User.Read.All"})
	at, err := v.appToken(t, up.ClientID, up.Secret)
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "app token roles", at.Roles, []string{"Mail.Send", "User.Read.All"})

	// Secret lifetime 0: no secret is created, and nothing else changes.
	cfg.SecretLifetime = 0
	z := run(t, admin, cfg)
	if st, _ := z.Step(setup.StepSecret); st.Status != setup.Skipped || !z.Secret.IsZero() || z.SecretKeyID != up.SecretKeyID || z.Changed() {
		t.Fatalf("lifetime 0: %+v", z)
	}
}

// TestSetupRecognisesItsApp: an app registered by hand with the same name is adopted;
// several candidates are an error; ClientID pins an app.
func TestSetupRecognisesItsApp(t *testing.T) {
	v := newEnv(t)
	admin, tok := v.adminClient(t, v.admin)
	var manual struct{ ID, AppID string }
	if err := do(t, admin, "POST", "/applications", map[string]any{"displayName": "e5renew", "signInAudience": "AzureADMyOrg"}).JSON(&manual); err != nil {
		t.Fatal(err)
	}
	cfg := v.config(tok, false)
	r := run(t, admin, cfg)
	d, _ := r.Step(setup.StepApplication)
	if d.Status != setup.Repaired || r.ClientID != manual.AppID || !strings.Contains(d.Detail.EN, "adopted") || !strings.Contains(d.Detail.ZH, "接管") {
		t.Fatalf("adoption: %+v", r.Steps)
	}
	if a := getApp(t, admin, manual.ID); fmt.Sprint(a.Tags) != "["+setup.Tag+"]" || !*a.IsFallbackPublicClient {
		t.Fatalf("adopted app: %+v", a)
	}

	// An app of someone else with another name is left alone; a second app named e5renew
	// without the tag does not confuse the tagged one.
	do(t, admin, "POST", "/applications", map[string]any{"displayName": "e5renew"})
	do(t, admin, "POST", "/applications", map[string]any{"displayName": "e5renew-other", "tags": []string{setup.Tag}})
	if again := run(t, admin, cfg); again.ClientID != manual.AppID || again.Changed() {
		t.Fatalf("with decoys: %+v", again)
	}
	// Two tagged apps with the name: ambiguous.
	do(t, admin, "POST", "/applications", map[string]any{"displayName": "e5renew", "tags": []string{setup.Tag}})
	_, err := setup.Run(context.Background(), admin, cfg)
	se, ok := setup.AsError(err)
	if !ok || se.Reason != setup.ReasonAmbiguous || len(se.Candidates) != 2 || !strings.Contains(err.Error(), manual.AppID) {
		t.Fatalf("ambiguous: %v", err)
	}
	// ClientID settles it, whatever the name.
	cfg.ClientID = manual.AppID
	if pinned := run(t, admin, cfg); pinned.ObjectID != manual.ID || pinned.Changed() {
		t.Fatalf("pinned: %+v", pinned)
	}
	cfg.ClientID = "00000000-1111-2222-3333-444444444444"
	_, err = setup.Run(context.Background(), admin, cfg)
	if se, ok := setup.AsError(err); !ok || se.Reason != setup.ReasonAppNotFound || !strings.Contains(err.Error(), cfg.ClientID) {
		t.Fatalf("unknown client id: %v", err)
	}
}

// TestSetupNonAdministrator: a user without an administrator role signs in with the Azure
// CLI client (the token carries the same scopes). The role check stops Run before any
// change; without it, Graph's 403 at consent is explained.
func TestSetupNonAdministrator(t *testing.T) {
	v := newEnv(t)
	c, tok := v.adminClient(t, v.user)
	_, err := setup.Run(context.Background(), c, v.config(tok, true))
	se, ok := setup.AsError(err)
	if !ok || se.Reason != setup.ReasonRoleMissing || se.Step != "" {
		t.Fatalf("non-admin: %v", err)
	}
	for _, s := range []string{"Global Administrator", "全局管理员", "Nothing was changed", "未做任何更改"} {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error lacks %q: %v", s, err)
		}
	}
	if strings.Contains(err.Error(), tok.AccessToken) {
		t.Fatal("the token is in the error")
	}
	admin, atok := v.adminClient(t, v.admin)
	var apps struct{ Value []graphApp }
	if _, err := admin.Get(context.Background(), "/applications", nil, &apps, ""); err != nil || len(apps.Value) != 0 {
		t.Fatalf("the refused run registered something: %v %v", apps, err)
	}

	// Without the role check, Graph refuses the delegated grant with 403.
	cfg := v.config(tok, true)
	cfg.SkipRoleCheck = true
	_, err = setup.Run(context.Background(), c, cfg)
	se, ok = setup.AsError(err)
	if !ok || se.Reason != setup.ReasonRoleMissing || se.Step != setup.StepDelegatedConsent || se.Status != 403 ||
		se.Code != "Authorization_RequestDenied" || se.Method != "POST" || se.Path != "/oauth2PermissionGrants" ||
		se.RequestID == "" {
		t.Fatalf("403 at consent: %#v", err)
	}
	for _, s := range []string{"Global Administrator", "POST /oauth2PermissionGrants", "continues where it stopped", "从中断处继续"} {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error lacks %q: %v", s, err)
		}
	}
	// Without the token either, the cause is not known: both are named, with the
	// permission the call needs.
	cfg.Token = nil
	_, err = setup.Run(context.Background(), c, cfg)
	se, ok = setup.AsError(err)
	if !ok || se.Reason != setup.ReasonForbidden || fmt.Sprint(se.Permissions) != "[DelegatedPermissionGrant.ReadWrite.All]" {
		t.Fatalf("403 without the token: %v", err)
	}
	for _, s := range []string{"DelegatedPermissionGrant.ReadWrite.All", "Global Administrator", "全局管理员"} {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error lacks %q: %v", s, err)
		}
	}
	if strings.Contains(err.Error(), tok.AccessToken) {
		t.Fatal("the token is in the error")
	}

	// The administrator completes the half-finished registration.
	r := run(t, admin, v.config(atok, true))
	wantSteps(t, r, map[setup.StepKind]setup.Status{setup.StepApplication: setup.AlreadyFine, setup.StepSecret: setup.AlreadyFine,
		setup.StepServicePrincipal: setup.AlreadyFine, setup.StepDelegatedConsent: setup.Created, setup.StepAppConsent: setup.Created})
	containsAll(t, "user token scp", v.userToken(t, r.ClientID).Token.Scopes, setup.DefaultScopes())
}

// TestSetupTokenLacksPermissions: an administrator signed in with the Graph Command Line
// Tools holds User.Read only. With the token given, Run names the missing permissions
// before any change; without it, Graph's 403 is explained.
func TestSetupTokenLacksPermissions(t *testing.T) {
	v := newEnv(t)
	g := v.signIn(t, &auth.DeviceFlow{Common: auth.Common{Endpoints: v.ep}, ClientID: graphCLI, Scopes: []string{v.ep.DefaultScope()}}, v.admin)
	if g.Token.Has("Application.ReadWrite.All") {
		t.Fatalf("Graph CLI token: %v", g.Token.Scopes)
	}
	c := v.client(g.Token)
	_, err := setup.Run(context.Background(), c, v.config(g.Token, true))
	se, ok := setup.AsError(err)
	if !ok || se.Reason != setup.ReasonPermissionMissing || se.Step != "" ||
		fmt.Sprint(se.Permissions) != "[Application.ReadWrite.All DelegatedPermissionGrant.ReadWrite.All]" {
		t.Fatalf("precheck: %v", err)
	}
	for _, s := range []string{"Application.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "Azure CLI", "Nothing was changed", "缺少", "未做任何更改"} {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error lacks %q: %v", s, err)
		}
	}
	_, err = setup.Run(context.Background(), c, v.config(nil, true))
	se, ok = setup.AsError(err)
	if !ok || se.Reason != setup.ReasonPermissionMissing || se.Status != 403 || se.Method != "GET" || se.Path != "/servicePrincipals" ||
		fmt.Sprint(se.Permissions) != "[Application.ReadWrite.All]" {
		t.Fatalf("403 without the token: %v", err)
	}
	if !strings.Contains(se.Message(i18n.EN), "GET /servicePrincipals") || !strings.Contains(se.Message(i18n.ZH), "Application.ReadWrite.All") ||
		strings.Contains(err.Error(), g.Token.AccessToken) {
		t.Fatalf("message: %v", err)
	}
}

// TestDescribe: the plan lists every permission with its GUID and type, in both languages,
// without the network.
func TestDescribe(t *testing.T) {
	cfg := setup.DefaultConfig()
	cfg.Application = true
	p, err := setup.NewPlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Scopes) != len(setup.DefaultScopes())+3 || len(p.Roles) != len(setup.DefaultRoles()) || p.SecretLifetime != setup.DefaultSecretLifetime {
		t.Fatalf("plan: %+v", p)
	}
	prov, _ := graphdata.LoadProvisioning()
	for _, x := range append(append([]setup.Permission(nil), p.Scopes...), p.Roles...) {
		scheme := graphdata.Application
		if x.Delegated() {
			scheme = graphdata.DelegatedWork
		}
		if id, _ := prov.ID(x.Name, scheme); id != x.ID || (x.Type != setup.TypeScope && x.Type != setup.TypeRole) {
			t.Fatalf("permission %+v (official id %s)", x, id)
		}
	}
	// protocol.md §5.4: User.Read e1fe6dd8 (Scope), Mail.Send b633e1c5 (Role).
	body, _ := json.Marshal(p.ApplicationBody())
	for _, s := range []string{`"e1fe6dd8-ba31-4d61-89e7-88639da4683d","type":"Scope"`, `"b633e1c5-b582-4048-a93e-9f11b44c7e96","type":"Role"`,
		`"isFallbackPublicClient":true`, `"signInAudience":"AzureADMyOrg"`, `"redirectUris":["http://localhost"]`} {
		if !strings.Contains(string(body), s) {
			t.Fatalf("POST /applications body lacks %s: %s", s, body)
		}
	}
	for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
		text, err := setup.Describe(cfg, lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range append(append([]setup.Permission(nil), p.Scopes...), p.Roles...) {
			if !strings.Contains(text, x.ID) || !strings.Contains(text, x.Name) {
				t.Fatalf("%s: %s %s missing", lang, x.Name, x.ID)
			}
		}
		want := []string{"Manual steps", "Allow public client flows", "Grant admin consent", "2 years", "AllPrincipals", "appRoleAssignedTo", setup.Tag, setup.AzureCLIClientID}
		if lang == i18n.ZH {
			want = []string{"手动步骤", "允许公共客户端流", "授予管理员同意", "2 年", "AllPrincipals", "appRoleAssignedTo", setup.Tag, "证书和密码"}
		}
		for _, s := range want {
			if !strings.Contains(text, s) {
				t.Fatalf("%s plan lacks %q:\n%s", lang, s, text)
			}
		}
	}
	// Delegated only: no role, no secret.
	d, _ := setup.Describe(setup.DefaultConfig(), i18n.EN)
	for _, r := range p.Roles {
		if strings.Contains(d, "Role   application  "+r.Name) {
			t.Fatalf("delegated-only plan lists role %s", r.Name)
		}
	}
	if strings.Contains(d, "Certificates & secrets") {
		t.Fatal("delegated-only plan asks for a secret")
	}
	// Unknown or misplaced permissions are refused in both languages.
	for _, c := range []setup.Config{{Scopes: []string{"Mail.Fly"}}, {Application: true, Roles: []string{"User.Read"}}, {SecretLifetime: -time.Hour}} {
		_, err := setup.Describe(c, i18n.EN)
		if se, ok := setup.AsError(err); !ok || se.Reason != setup.ReasonConfig || !strings.Contains(err.Error(), " / ") {
			t.Fatalf("config %+v: %v", c, err)
		}
	}
}

func TestAdminDeviceFlowAndStaticToken(t *testing.T) {
	ep := auth.Endpoints{Authority: "https://login.microsoftonline.com", Graph: "https://graph.microsoft.com"}
	f := setup.AdminDeviceFlow(ep, "contoso.onmicrosoft.com")
	if f.ClientID != setup.AzureCLIClientID || f.Tenant != "contoso.onmicrosoft.com" || fmt.Sprint(f.Scopes) != "[https://graph.microsoft.com/.default]" {
		t.Fatalf("flow: %+v", f)
	}
	if _, err := setup.StaticToken(nil).AccessToken(context.Background()); err == nil {
		t.Fatal("empty static token")
	}
	s, err := setup.StaticToken(&auth.Token{AccessToken: "x"}).AccessToken(context.Background())
	if err != nil || s != "x" {
		t.Fatal(s, err)
	}
}

// TestSetupWaitsForReplication: right after an application is created, Graph may not know
// it yet when the service principal or the grant is created (the directory is eventually
// consistent). Run waits and retries those calls; it does not retry for objects it found.
func TestSetupWaitsForReplication(t *testing.T) {
	v := newEnv(t)
	_, tok := v.adminClient(t, v.admin)
	var mu sync.Mutex
	refuse := map[string]int{"POST /v1.0/servicePrincipals": 2, "POST /v1.0/oauth2PermissionGrants": 1}
	lagging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		k := r.Method + " " + r.URL.Path
		n := refuse[k]
		if n > 0 {
			refuse[k] = n - 1
		}
		mu.Unlock()
		if n > 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"error":{"code":"Request_BadRequest","message":"The appId of the service principal does not reference a valid application object.","innerError":{"request-id":"r","date":"2026-11-02T09:30:00"}}}`))
			return
		}
		v.em.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(lagging.Close)
	c := graph.New(setup.StaticToken(tok), graph.Options{BaseURL: lagging.URL, Sleep: noSleep})
	cfg := v.config(tok, false)
	var slept []time.Duration
	cfg.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	r := run(t, c, cfg)
	if st := statuses(r); st[setup.StepServicePrincipal] != setup.Created || st[setup.StepDelegatedConsent] != setup.Created {
		t.Fatalf("steps: %+v", r.Steps)
	}
	if fmt.Sprint(slept) != "[2s 4s 2s]" {
		t.Fatalf("waits: %v", slept)
	}
	// Objects that already existed are not waited for: the 400 is the answer.
	slept = nil
	var grants struct{ Value []struct{ ID string } }
	if _, err := c.Get(context.Background(), "/oauth2PermissionGrants", url.Values{"$filter": {"clientId eq '" + r.ServicePrincipalID + "'"}}, &grants, ""); err != nil {
		t.Fatal(err)
	}
	do(t, c, "DELETE", "/oauth2PermissionGrants/"+grants.Value[0].ID, nil)
	mu.Lock()
	refuse["POST /v1.0/oauth2PermissionGrants"] = 1
	mu.Unlock()
	_, err := setup.Run(context.Background(), c, cfg)
	if se, ok := setup.AsError(err); !ok || se.Reason != setup.ReasonGraph || se.Status != 400 || len(slept) != 0 ||
		!strings.Contains(err.Error(), "delegated consent") || !strings.Contains(err.Error(), "委托权限同意") {
		t.Fatalf("400 for an existing object: %v (waits %v)", err, slept)
	}
}
