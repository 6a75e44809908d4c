package activity_test

import (
	"context"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/graphdata"
	"github.com/e5renew/e5renew/internal/secret"
)

// world is an emulated tenant with one app granted every permission the catalog declares,
// and e5renew's sign-in for a delegated and an application account.
type world struct {
	em       *emulator.Emulator
	srv      *httptest.Server
	ten      *emulator.Tenant
	user     *emulator.User
	app      *emulator.App
	delegate auth.Source
	appOnly  auth.Source
}

// catalogPermissions is every permission the catalog declares.
func catalogPermissions() (delegated, application []string) {
	return activity.DeclaredPermissions(activity.All(), true), activity.DeclaredPermissions(activity.All(), false)
}

func newWorld(t testing.TB, opts emulator.Options) *world {
	t.Helper()
	w := &world{em: emulator.New(opts)}
	var err error
	if w.ten, err = w.em.AddTenant(emulator.TenantSpec{Domain: "contoso.onmicrosoft.com"}); err != nil {
		t.Fatal(err)
	}
	if w.user, err = w.em.AddUser(w.ten.ID, emulator.UserSpec{UPN: "admin", Password: "pw", Admin: true}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"megan.bowen", "alex.wilber"} {
		if _, err := w.em.AddUser(w.ten.ID, emulator.UserSpec{UPN: u, Password: "pw"}); err != nil {
			t.Fatal(err)
		}
	}
	d, a := catalogPermissions()
	w.app, err = w.em.AddApp(w.ten.ID, emulator.AppSpec{PublicClient: true, Scopes: d, Roles: a, Secrets: []emulator.SecretSpec{{Value: "app-secret"}}})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(w.em.Handler())
	t.Cleanup(w.srv.Close)
	ep := auth.Endpoints{Authority: w.srv.URL, Graph: w.srv.URL}
	rt, err := w.em.IssueRefreshToken(w.ten.ID, w.app.ClientID, w.user.UPN, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.delegate, _ = auth.NewRefreshSource(auth.RefreshOptions{Common: auth.Common{Account: "d", Endpoints: ep}, ClientID: w.app.ClientID,
		RefreshToken: secret.String(rt), Store: auth.NewMemoryStore()})
	w.appOnly, _ = auth.NewAppSource(auth.AppOptions{Common: auth.Common{Account: "a", Endpoints: ep}, Tenant: w.ten.ID, ClientID: w.app.ClientID, ClientSecret: "app-secret"})
	return w
}

// exec builds an Exec for the delegated or the application account.
func (w *world) exec(delegated bool, j activity.Journal, seed uint64) *activity.Exec {
	src := w.appOnly
	me := "/users/" + w.user.UPN
	if delegated {
		src, me = w.delegate, "/me"
	}
	rng := rand.New(rand.NewPCG(seed, seed+1))
	return &activity.Exec{
		Graph: graph.New(src, graph.Options{BaseURL: w.srv.URL, MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond,
			Sleep: func(context.Context, time.Duration) error { return nil }}),
		Account: map[bool]string{true: "delegated", false: "app"}[delegated], Me: me, Mailbox: w.user.UPN, UPN: w.user.UPN,
		AppOnly: !delegated, Rand: rng, Content: &activity.Content{R: rng}, Now: time.Now, Loc: time.UTC, Journal: j, Round: "test",
	}
}

// Every activity runs against the emulated tenant with a delegated and, where available, an
// application token, and its cleanup leaves nothing behind.
func TestEveryActivityRunsAndCleansUp(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	tab := graphdata.MustLoad()
	for _, delegated := range []bool{true, false} {
		for _, a := range activity.All() {
			if !delegated && !a.AppOnly() {
				continue
			}
			mode := map[bool]string{true: "delegated", false: "app"}[delegated]
			t.Run(a.Name+"/"+mode, func(t *testing.T) {
				j := activity.NewMemoryJournal()
				x := w.exec(delegated, j, 42)
				tok, err := map[bool]auth.Source{true: w.delegate, false: w.appOnly}[delegated].Token(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if ok, missing := a.Runnable(tab, delegated, tok.Permissions()); !ok {
					t.Fatalf("not runnable with every catalog permission granted; missing %v", missing)
				}
				err = a.Run(context.Background(), x)
				if reason, skip := activity.IsSkip(err); skip {
					t.Skipf("skipped: %s", reason)
				}
				if err != nil {
					t.Fatalf("run: %v", err)
				}
				if calls, reqID := x.Stats(); calls == 0 || reqID == "" {
					t.Fatalf("no Graph call recorded (calls %d, request-id %q)", calls, reqID)
				}
				if a.Write && j.Len() == 0 && !strings.HasPrefix(a.Name, "mailbox.") {
					t.Fatal("a write activity journaled nothing")
				}
				res := activity.Cleanup(context.Background(), x)
				if len(res.Failures) > 0 || j.Len() != 0 {
					t.Fatalf("cleanup: %+v, %d entries left", res, j.Len())
				}
				if st := w.em.Stats(); st.LiveArtifactsTotal != 0 {
					t.Fatalf("left behind: %v", st.LiveArtifacts)
				}
			})
		}
	}
}

// An entry whose create answer was lost (no id) is found again by its marker and deleted.
func TestCleanupFindsObjectsByMarker(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	for _, name := range []string{"mail.draft", "mail.send_self", "mail.create_folder", "mail.create_rule", "mail.create_category"} {
		t.Run(name, func(t *testing.T) {
			a, _ := activity.Lookup(name)
			j := activity.NewMemoryJournal()
			x := w.exec(true, j, 7)
			if err := a.Run(context.Background(), x); err != nil {
				t.Fatal(err)
			}
			entries, _ := j.Pending(context.Background(), x.Account)
			for _, e := range entries {
				e.ObjectID = "" // as if the answer to the create call had been lost
				_ = j.Record(context.Background(), e)
			}
			res := activity.Cleanup(context.Background(), x)
			if res.Deleted != len(entries) || j.Len() != 0 || w.em.Stats().LiveArtifactsTotal != 0 {
				t.Fatalf("cleanup by marker: %+v, %d left, artifacts %v", res, j.Len(), w.em.Stats().LiveArtifacts)
			}
		})
	}
}
