package doctor

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/secret"
)

// A confidential app whose user token may read neither the app nor the subscriptions:
// the owner's date decides the secret check, and the subscription is "unknown" with the
// permission to grant.
func TestOwnerDateAndUnreadableChecks(t *testing.T) {
	em := emulator.New(emulator.Options{})
	srv := httptest.NewServer(em.Handler())
	defer srv.Close()
	ten, _ := em.AddTenant(emulator.TenantSpec{Domain: "contoso.onmicrosoft.com"})
	u, _ := em.AddUser(ten.ID, emulator.UserSpec{UPN: "alex", Password: "pw"})
	const value = "Abc~confidential-secret-value-0123456789"
	app, _ := em.AddApp(ten.ID, emulator.AppSpec{DisplayName: "web", Scopes: []string{"User.Read", "Mail.ReadBasic", "Files.Read"},
		Secrets: []emulator.SecretSpec{{Value: value}}})
	rt, err := em.IssueRefreshToken(ten.ID, app.ClientID, u.UPN, nil)
	if err != nil {
		t.Fatal(err)
	}
	ep := auth.Endpoints{Authority: srv.URL, Graph: srv.URL}
	src, err := auth.NewRefreshSource(auth.RefreshOptions{Common: auth.Common{Endpoints: ep}, ClientID: app.ClientID,
		ClientSecret: value, RefreshToken: secret.String(rt), Store: auth.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	a := Account{Name: "alex", Type: "refresh_token", Source: src, Graph: graph.New(src, graph.Options{BaseURL: srv.URL}),
		ClientID: app.ClientID, ClientSecret: value, SecretExpires: now.Add(5 * 24 * time.Hour)}
	r := Run(context.Background(), a, Options{Lang: i18n.EN, Now: now, Only: []string{"client-secret", "subscription"}})
	got := map[string]Check{}
	for _, c := range r.Checks {
		got[c.Name] = c
	}
	if c := got["client-secret"]; c.Status != Warn || !strings.Contains(c.Detail, "in 4 days") && !strings.Contains(c.Detail, "in 5 days") {
		t.Errorf("client-secret %+v, want a warning from the owner's date", c)
	}
	if c := got["subscription"]; c.Status != Unknown || !strings.Contains(c.Fix, "Organization.Read.All") {
		t.Errorf("subscription %+v, want unknown with the permission to grant", c)
	}
	if _, ran := got["mailbox"]; ran || len(r.Checks) != 3 { // sign-in always runs
		t.Errorf("Only was not honoured: %+v", r.Checks)
	}
	// Without the owner's date: unknown, with how to let e5renew know.
	a.SecretExpires = time.Time{}
	r = Run(context.Background(), a, Options{Lang: i18n.ZH, Now: now, Only: []string{"client-secret"}})
	if c := r.Checks[1]; c.Status != Unknown || !strings.Contains(c.Fix, "secret_expires") {
		t.Errorf("no date: %+v", c)
	}
	// Past the date: a failure.
	a.SecretExpires = now.Add(-time.Hour)
	r = Run(context.Background(), a, Options{Lang: i18n.EN, Now: now, Only: []string{"client-secret"}})
	if c := r.Checks[1]; c.Status != Fail || r.Worst() != Fail {
		t.Errorf("expired: %+v", c)
	}
}

func TestPublicClientCheck(t *testing.T) {
	em := emulator.New(emulator.Options{})
	srv := httptest.NewServer(em.Handler())
	defer srv.Close()
	ten, _ := em.AddTenant(emulator.TenantSpec{Domain: "contoso.onmicrosoft.com"})
	u, _ := em.AddUser(ten.ID, emulator.UserSpec{UPN: "alex", Password: "pw"})
	ep := auth.Endpoints{Authority: srv.URL, Graph: srv.URL}
	for _, c := range []struct {
		scopes []string
		want   Status
	}{
		{[]string{"User.Read", "Application.Read.All"}, OK},
		{[]string{"User.Read"}, Unknown},
	} {
		app, _ := em.AddApp(ten.ID, emulator.AppSpec{DisplayName: "pub", PublicClient: true, Scopes: c.scopes})
		rt, _ := em.IssueRefreshToken(ten.ID, app.ClientID, u.UPN, nil)
		src, _ := auth.NewRefreshSource(auth.RefreshOptions{Common: auth.Common{Endpoints: ep}, ClientID: app.ClientID,
			RefreshToken: secret.String(rt), Store: auth.NewMemoryStore()})
		a := Account{Name: "alex", Type: "refresh_token", Source: src, Graph: graph.New(src, graph.Options{BaseURL: srv.URL}), ClientID: app.ClientID}
		r := Run(context.Background(), a, Options{Lang: i18n.EN, Only: []string{"public-client"}})
		if len(r.Checks) != 2 || r.Checks[1].Name != "public-client" || r.Checks[1].Status != c.want {
			t.Errorf("scopes %v: %+v, want public-client %s", c.scopes, r.Checks, c.want)
		}
	}
}
