package round_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/round"
	"github.com/e5renew/e5renew/internal/secret"
)

type env struct {
	em  *emulator.Emulator
	srv *httptest.Server
	ten *emulator.Tenant
	app *emulator.App
	ep  auth.Endpoints
}

func allPermissions() (d, a []string) {
	return activity.DeclaredPermissions(activity.All(), true), activity.DeclaredPermissions(activity.All(), false)
}

func newEnv(t testing.TB, opts emulator.Options, scopes, roles []string) *env {
	t.Helper()
	e := &env{em: emulator.New(opts)}
	e.ten, _ = e.em.AddTenant(emulator.TenantSpec{Domain: "contoso.onmicrosoft.com"})
	for _, u := range []emulator.UserSpec{{UPN: "admin", Password: "pw", Admin: true}, {UPN: "megan", Password: "pw"}, {UPN: "nolicense", Password: "pw", Unlicensed: true}} {
		if _, err := e.em.AddUser(e.ten.ID, u); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	e.app, err = e.em.AddApp(e.ten.ID, emulator.AppSpec{PublicClient: true, Scopes: scopes, Roles: roles, Secrets: []emulator.SecretSpec{{Value: "s"}}})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.em.Handler())
	t.Cleanup(e.srv.Close)
	e.ep = auth.Endpoints{Authority: e.srv.URL, Graph: e.srv.URL}
	return e
}

func noSleep(context.Context, time.Duration) error { return nil }

func (e *env) account(t testing.TB, upn string, j activity.Journal) round.Account {
	t.Helper()
	rt, err := e.em.IssueRefreshToken(e.ten.ID, e.app.ClientID, upn+"@contoso.onmicrosoft.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	src, err := auth.NewRefreshSource(auth.RefreshOptions{Common: auth.Common{Account: upn, Endpoints: e.ep, Sleep: noSleep}, ClientID: e.app.ClientID,
		RefreshToken: secret.String(rt), Store: auth.NewMemoryStore()})
	if err != nil {
		t.Fatal(err)
	}
	return round.Account{Name: upn, Source: src, Journal: j,
		Graph: graph.New(src, graph.Options{BaseURL: e.srv.URL, MaxAttempts: 6, BaseDelay: time.Millisecond, Sleep: noSleep})}
}

func (e *env) appAccount(t testing.TB, user string, j activity.Journal) round.Account {
	src, err := auth.NewAppSource(auth.AppOptions{Common: auth.Common{Account: "app", Endpoints: e.ep, Sleep: noSleep}, Tenant: e.ten.ID, ClientID: e.app.ClientID, ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	return round.Account{Name: "app", Source: src, User: user + "@contoso.onmicrosoft.com", Journal: j,
		Graph: graph.New(src, graph.Options{BaseURL: e.srv.URL, MaxAttempts: 6, BaseDelay: time.Millisecond, Sleep: noSleep})}
}

func opts(seed uint64) round.Options {
	return round.Options{Selection: round.DefaultSelection(), Rand: rand.New(rand.NewPCG(seed, 1)), Sleep: noSleep}
}

func outcome(r *round.Result, name string) *round.ActivityResult {
	for i := range r.Activities {
		if r.Activities[i].Name == name {
			return &r.Activities[i]
		}
	}
	return nil
}

func TestRoundRunsAlwaysPlusRandomAndCleansUp(t *testing.T) {
	d, a := allPermissions()
	e := newEnv(t, emulator.Options{}, d, a)
	j := activity.NewMemoryJournal()
	acct := e.account(t, "admin", j)
	seenOrders := map[string]bool{}
	for i := 0; i < 8; i++ {
		o := opts(uint64(i + 1))
		o.Selection.RandomMin, o.Selection.RandomMax = 2, 5
		r := round.Run(context.Background(), acct, o)
		if r.Verdict != round.OK {
			t.Fatalf("round %d: %s %s %+v", i, r.Verdict, r.Message, r.Activities)
		}
		if r.Activities[0].Name != round.SignIn || r.Activities[0].Outcome != round.Ok {
			t.Fatalf("first result is %+v, want the sign-in", r.Activities[0])
		}
		var order []string
		for _, name := range []string{"user.profile", "mail.list_messages"} {
			if o := outcome(r, name); o == nil || o.Outcome != round.Ok {
				t.Fatalf("always-run %s: %+v", name, o)
			}
		}
		for _, ar := range r.Activities[1:] {
			if ar.Outcome == round.Ok && (ar.RequestID == "" || ar.Calls == 0) {
				t.Fatalf("%s ok without a request-id or calls: %+v", ar.Name, ar)
			}
			order = append(order, ar.Name)
		}
		extra := len(order) - 2
		if outcome(r, "calendar.list_events") != nil {
			extra--
		}
		if extra < 2 || extra > 5 {
			t.Fatalf("random subset of %d, want 2-5: %v", extra, order)
		}
		seenOrders[strings.Join(order, ",")] = true
		if j.Len() != 0 || e.em.Stats().LiveArtifactsTotal != 0 {
			t.Fatalf("round %d left %d journal entries, artifacts %v", i, j.Len(), e.em.Stats().LiveArtifacts)
		}
	}
	if len(seenOrders) < 6 {
		t.Fatalf("rounds are not varied: %d distinct selections in 8", len(seenOrders))
	}
}

func TestRoundSkipsWhatTheTokenCannotDo(t *testing.T) {
	e := newEnv(t, emulator.Options{}, []string{"User.Read", "Mail.ReadBasic"}, nil)
	r := round.Run(context.Background(), e.account(t, "admin", activity.NewMemoryJournal()), opts(3))
	if r.Verdict != round.OK {
		t.Fatalf("verdict %s: %+v", r.Verdict, r.Activities)
	}
	if o := outcome(r, "calendar.list_events"); o != nil && (o.Outcome != round.Skipped || len(o.Missing) == 0) {
		t.Fatalf("always-run calendar without Calendars permission: %+v", o)
	}
	for _, a := range r.Activities {
		if a.Outcome == round.Failed {
			t.Fatalf("%s failed: a round only runs what the token allows: %+v", a.Name, a)
		}
		if a.Name == "mail.draft" || a.Name == "mail.create_folder" {
			t.Fatalf("%s ran without its permission", a.Name)
		}
	}
	if r.Unavailable == 0 {
		t.Fatal("Unavailable not counted")
	}
}

func TestRoundNeedsOwnerStopsAtSignIn(t *testing.T) {
	d, a := allPermissions()
	e := newEnv(t, emulator.Options{}, d, a)
	acct := e.account(t, "admin", activity.NewMemoryJournal())
	_ = e.em.RevokeSessions(e.ten.ID, "admin@contoso.onmicrosoft.com")
	time.Sleep(1100 * time.Millisecond) // the revocation time must be after the token's issue time
	r := round.Run(context.Background(), acct, opts(4))
	if r.Verdict != round.NeedsOwner || r.Reason != string(auth.ReasonRefreshRevoked) || r.Code != "AADSTS50173" || len(r.Activities) != 1 {
		t.Fatalf("revoked: %+v", r)
	}
	if e.em.Stats().RequestCount("GET /me") != 0 {
		t.Fatal("Graph was called after the sign-in failed")
	}
}

func TestOneFailingActivityDoesNotAbortTheRound(t *testing.T) {
	d, a := allPermissions()
	e := newEnv(t, emulator.Options{}, d, a)
	o := opts(5)
	o.Selection = round.Selection{Always: []string{"user.profile", "mail.list_messages", "mail.draft"}}
	r := round.Run(context.Background(), e.account(t, "nolicense", activity.NewMemoryJournal()), o)
	if r.Verdict != round.Degraded {
		t.Fatalf("verdict %s", r.Verdict)
	}
	m := outcome(r, "mail.list_messages")
	if m.Outcome != round.Failed || m.Status != 404 || m.Code != "MailboxNotEnabledForRESTAPI" || m.RequestID == "" {
		t.Fatalf("unlicensed mailbox: %+v", m)
	}
	if p := outcome(r, "user.profile"); p.Outcome != round.Ok {
		t.Fatalf("profile after a failing activity: %+v", p)
	}
}

func TestApplicationRoundUsesUsersPaths(t *testing.T) {
	d, a := allPermissions()
	e := newEnv(t, emulator.Options{}, d, a)
	j := activity.NewMemoryJournal()
	o := opts(6)
	o.Selection.RandomMin, o.Selection.RandomMax = 30, 30
	r := round.Run(context.Background(), e.appAccount(t, "megan", j), o)
	if r.Verdict != round.OK {
		t.Fatalf("%s %s %+v", r.Verdict, r.Message, r.Activities)
	}
	st := e.em.Stats()
	for k := range st.Requests {
		if strings.Contains(k, " /me") {
			t.Fatalf("application round called %s", k)
		}
	}
	if st.RequestCount("GET /users/{id}") == 0 || st.LiveArtifactsTotal != 0 {
		t.Fatalf("requests %v artifacts %v", st.Requests, st.LiveArtifacts)
	}
}

// With throttling, server errors and dropped connections injected, rounds keep going and
// whatever a round could not delete is deleted by later rounds: the emulator's live
// artifacts return to zero.
func TestNothingIsLeftBehindUnderFaults(t *testing.T) {
	d, a := allPermissions()
	e := newEnv(t, emulator.Options{Faults: emulator.Faults{ThrottleRate: 0.15, ErrorRate: 0.1, DropRate: 0.1, RetryAfterMax: 50 * time.Millisecond}}, d, a)
	j := activity.NewMemoryJournal()
	acct := e.account(t, "admin", j)
	for i := 0; i < 25; i++ {
		o := opts(uint64(100 + i))
		o.Selection.RandomMin, o.Selection.RandomMax = 6, 12
		round.Run(context.Background(), acct, o)
	}
	if e.em.Stats().Faults["dropped"] == 0 || e.em.Stats().Faults["throttled"] == 0 {
		t.Fatalf("faults not exercised: %v", e.em.Stats().Faults)
	}
	// Later rounds (faults still on), some hours later, finish the job: objects are deleted,
	// and entries whose create never reached the service are given up.
	for i := 0; i < 30 && (j.Len() > 0 || e.em.Stats().LiveArtifactsTotal > 0); i++ {
		o := opts(uint64(500 + i))
		o.Selection = round.Selection{Always: []string{"user.profile"}}
		o.Now = func() time.Time { return time.Now().Add(7 * time.Hour) }
		round.Run(context.Background(), acct, o)
	}
	if st := e.em.Stats(); st.LiveArtifactsTotal != 0 || j.Len() != 0 {
		t.Fatalf("left behind: %v, journal %d", st.LiveArtifacts, j.Len())
	}
}

func TestPauseBetweenCalls(t *testing.T) {
	d, a := allPermissions()
	e := newEnv(t, emulator.Options{}, d, a)
	var pauses atomic.Int64
	o := opts(8)
	o.PauseMin, o.PauseMax = time.Second, 3*time.Second
	o.Sleep = func(_ context.Context, dur time.Duration) error {
		if dur < time.Second || dur > 3*time.Second {
			t.Errorf("pause %v outside 1s-3s", dur)
		}
		pauses.Add(1)
		return nil
	}
	r := round.Run(context.Background(), e.account(t, "admin", activity.NewMemoryJournal()), o)
	calls := 0
	for _, a := range r.Activities[1:] {
		calls += a.Calls
	}
	if pauses.Load() == 0 || int(pauses.Load()) < calls-1 {
		t.Fatalf("%d pauses for %d calls", pauses.Load(), calls)
	}
}

func TestSelectionValidate(t *testing.T) {
	if err := round.DefaultSelection().Validate(); err != nil {
		t.Fatal(err)
	}
	err := round.Selection{Always: []string{"mail.drafts"}, Include: []string{"nosuchworkload"}, RandomMin: 5, RandomMax: 2}.Validate()
	for _, want := range []string{`unknown activity "mail.drafts"`, `did you mean "mail.draft"`, `"nosuchworkload"`, "5-2 is not a range"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if err := (round.Selection{Include: []string{"mail.*", "user"}, Exclude: []string{"mail.send_self"}}).Validate(); err != nil {
		t.Fatalf("patterns: %v", err)
	}
}

// leftovers runs activities for the account with a journal that is then thrown away, as a
// run that crashed or was cancelled (a GitHub Actions timeout) leaves them.
func leftovers(t *testing.T, acct round.Account, me, upn string, names ...string) {
	t.Helper()
	r := rand.New(rand.NewPCG(77, 1))
	x := &activity.Exec{Graph: acct.Graph, Account: acct.Name, Me: me, Mailbox: upn, UPN: upn, AppOnly: me != "/me", Rand: r,
		Content: &activity.Content{R: r}, Now: time.Now, Loc: time.UTC, Journal: activity.NewMemoryJournal(), Round: "lost"}
	for _, n := range names {
		a, _ := activity.Lookup(n)
		if err := a.Run(context.Background(), x); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
	}
}

// With Options.Sweep a round finds what a run whose journal was lost left behind, once it
// is older than the sweep age, and its cleanup deletes it; the result says how many. A
// young leftover (a concurrent round's) is left alone, and so is everything without
// Options.Sweep, or in a workload the selection leaves out.
func TestRoundSweepCleansLeftoversOfALostJournal(t *testing.T) {
	d, a := allPermissions()
	for _, delegated := range []bool{true, false} {
		t.Run(map[bool]string{true: "delegated", false: "app"}[delegated], func(t *testing.T) {
			e := newEnv(t, emulator.Options{}, d, a)
			j := activity.NewMemoryJournal()
			acct, me, upn := e.account(t, "admin", j), "/me", "admin@contoso.onmicrosoft.com"
			if !delegated {
				acct, me, upn = e.appAccount(t, "megan", j), "/users/megan@contoso.onmicrosoft.com", "megan@contoso.onmicrosoft.com"
			}
			leftovers(t, acct, me, upn, "mail.create_folder", "onedrive.upload")
			left := e.em.Stats().LiveArtifactsTotal
			if left != 3 {
				t.Fatalf("want a mail folder, a drive folder and a file left, have %v", e.em.Stats().LiveArtifacts)
			}
			later := func() time.Time { return time.Now().Add(activity.SweepAge + time.Minute) }
			run := func(seed uint64, sweep time.Duration, now func() time.Time, exclude ...string) *round.Result {
				o := opts(seed)
				o.Selection = round.Selection{Always: []string{"user.profile"}, Exclude: exclude}
				o.Sweep, o.Now = sweep, now
				r := round.Run(context.Background(), acct, o)
				if r.Verdict != round.OK {
					t.Fatalf("verdict %s %s: %+v %v", r.Verdict, r.Message, r.Activities, r.SweepFailures)
				}
				return r
			}

			if r := run(1, activity.SweepAge, time.Now); r.Swept != 0 || e.em.Stats().LiveArtifactsTotal != left {
				t.Fatalf("young leftovers were swept: swept %d, artifacts %v", r.Swept, e.em.Stats().LiveArtifacts)
			}
			if r := run(2, 0, later); r.Swept != 0 || e.em.Stats().LiveArtifactsTotal != left {
				t.Fatalf("a round without Sweep swept: swept %d, artifacts %v", r.Swept, e.em.Stats().LiveArtifacts)
			}
			r := run(3, activity.SweepAge, later, "onedrive")
			if r.Swept != 1 || r.Cleanup.Deleted != 1 || e.em.Stats().LiveArtifacts[upn]["mailFolder"] != 0 || e.em.Stats().LiveArtifactsTotal != 2 {
				t.Fatalf("with OneDrive left out, want the mail folder swept: swept %d, cleanup %+v, artifacts %v", r.Swept, r.Cleanup, e.em.Stats().LiveArtifacts)
			}
			r = run(4, activity.SweepAge, later)
			if r.Swept != 1 || r.Cleanup.Deleted != 1 || e.em.Stats().LiveArtifactsTotal != 0 || j.Len() != 0 {
				t.Fatalf("want the drive folder swept with its file: swept %d, cleanup %+v, artifacts %v, journal %d",
					r.Swept, r.Cleanup, e.em.Stats().LiveArtifacts, j.Len())
			}
			raw, _ := json.Marshal(r)
			if !strings.Contains(string(raw), `"swept":1`) {
				t.Fatalf("the result does not report the sweep: %s", raw)
			}
		})
	}
}

// failingSweepJournal refuses to journal what a sweep found.
type failingSweepJournal struct{ *activity.MemoryJournal }

func (f failingSweepJournal) Record(ctx context.Context, e *activity.Entry) error {
	if e.Activity == "sweep" {
		return errors.New("disk full")
	}
	return f.MemoryJournal.Record(ctx, e)
}

// A sweep that fails makes the round degraded, as a cleanup that fails does; the next round
// sweeps again.
func TestRoundSweepFailureDegradesTheRound(t *testing.T) {
	d, a := allPermissions()
	e := newEnv(t, emulator.Options{}, d, a)
	j := activity.NewMemoryJournal()
	leftovers(t, e.account(t, "admin", j), "/me", "admin@contoso.onmicrosoft.com", "todo.create")
	o := opts(9)
	o.Selection = round.Selection{Always: []string{"user.profile"}}
	o.Sweep, o.Now = activity.SweepAge, func() time.Time { return time.Now().Add(activity.SweepAge + time.Minute) }
	r := round.Run(context.Background(), e.account(t, "admin", failingSweepJournal{j}), o)
	if r.Verdict != round.Degraded || r.Reason != "sweep_failed" || len(r.SweepFailures) == 0 || r.Swept != 0 ||
		!strings.Contains(r.Message, "disk full") || !strings.Contains(r.Message, "todo.list") {
		t.Fatalf("want a degraded round saying the sweep failed: %s %s %q %v", r.Verdict, r.Reason, r.Message, r.SweepFailures)
	}
	if e.em.Stats().LiveArtifactsTotal == 0 {
		t.Fatal("the leftover went although it could not be journaled")
	}
	r = round.Run(context.Background(), e.account(t, "admin", j), o)
	if r.Verdict != round.OK || r.Swept != 1 || e.em.Stats().LiveArtifactsTotal != 0 {
		t.Fatalf("next round: %s %s swept %d, artifacts %v", r.Verdict, r.Message, r.Swept, e.em.Stats().LiveArtifacts)
	}
}
