package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/i18n"
)

// runWith runs the root command with the given deps filled in.
func runWith(t *testing.T, d *deps, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	d.stdout, d.stderr = &out, &errOut
	if d.getenv == nil {
		d.getenv = func(string) (string, bool) { return "", false }
	}
	if d.lang == "" {
		d.lang = i18n.EN
	}
	if d.logger == nil {
		d.logger = slog.New(slog.DiscardHandler)
	}
	cmd := newRootCommand(d)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// loginFixture is an emulated tenant with a public-client app and a user, and the path of
// a configuration file that does not exist yet pointing at it.
type loginFixture struct {
	*fixture
	clientID, upn, password string
	env                     map[string]string
	newCfg                  string
}

func newLoginFixture(t *testing.T) *loginFixture {
	t.Helper()
	f := newFixture(t, emulator.Options{DeviceCodeInterval: time.Second, StrictRotation: true}, 3)
	pw := f.cfg.Accounts[2] // the password account: its tenant, app and user
	lf := &loginFixture{fixture: f, clientID: pw.ClientID, upn: pw.Username, password: pw.Password.Reveal(),
		env: map[string]string{"E5RENEW_AUTHORITY_URL": f.srv.URL, "E5RENEW_GRAPH_URL": f.srv.URL}, newCfg: filepath.Join(t.TempDir(), "new.yaml")}
	return lf
}

func (lf *loginFixture) deps() *deps {
	return &deps{getenv: func(k string) (string, bool) { v, ok := lf.env[k]; return v, ok }}
}

// approveWhenAsked plays the user: waits for the device code and signs in.
func (lf *loginFixture) approveWhenAsked(t *testing.T, decline bool) chan error {
	done := make(chan error, 1)
	go func() {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if codes := lf.em.PendingDeviceCodes(); len(codes) > 0 {
				if decline {
					done <- lf.em.DeclineDeviceCode(codes[0])
				} else {
					done <- lf.em.ApproveDeviceCode(codes[0], lf.upn, lf.password)
				}
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		done <- context.DeadlineExceeded
	}()
	return done
}

func TestLoginWithDeviceCodeAddsAWorkingAccount(t *testing.T) {
	lf := newLoginFixture(t)
	approved := lf.approveWhenAsked(t, false)
	out, errOut, err := runWith(t, lf.deps(), "login", "-c", lf.newCfg, "--client-id", lf.clientID, "--tenant", lf.upn[strings.Index(lf.upn, "@")+1:])
	if err != nil {
		t.Fatalf("login: %v\n%s%s", err, out, errOut)
	}
	if err := <-approved; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/devicelogin", "enter the code", "█", "Signed in as " + lf.upn, "catalog activities can run",
		"Account " + lf.upn + " saved", "e5renew serve"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "Created the configuration file") {
		t.Errorf("stderr: %s", errOut)
	}
	// The account is in the store, not in the file, and runs.
	b, _ := os.ReadFile(lf.newCfg)
	if strings.Contains(string(b), lf.upn) || strings.Contains(string(b), "refresh") {
		t.Errorf("the file holds the account:\n%s", b)
	}
	out, _, err = runWith(t, lf.deps(), "run", "--once", "-c", lf.newCfg)
	if err != nil || !strings.Contains(out, "1 accounts: 1 ok") {
		t.Fatalf("run --once with the logged-in account: %v\n%s", err, out)
	}
	// Strict rotation: a second run works only if the rotated token was kept.
	if out, _, err = runWith(t, lf.deps(), "run", "--once", "-c", lf.newCfg); err != nil || !strings.Contains(out, "1 ok") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	// Signing in again replaces the account; removing it works.
	approved = lf.approveWhenAsked(t, false)
	out, _, err = runWith(t, lf.deps(), "login", "-c", lf.newCfg, "--client-id", lf.clientID, "--name", lf.upn)
	if err != nil || !strings.Contains(out, "updated with the new sign-in") {
		t.Fatalf("second login: %v\n%s", err, out)
	}
	<-approved
	out, _, err = runWith(t, lf.deps(), "accounts", "remove", lf.upn, "-c", lf.newCfg)
	if err != nil || !strings.Contains(out, "removed") {
		t.Fatalf("remove: %v\n%s", err, out)
	}
	if _, _, err := runWith(t, lf.deps(), "run", "--once", "-c", lf.newCfg); err == nil || !strings.Contains(err.Error(), "no accounts") {
		t.Errorf("run with no account: %v", err)
	}
}

func TestLoginDeclinedOrExpired(t *testing.T) {
	lf := newLoginFixture(t)
	approved := lf.approveWhenAsked(t, true)
	_, _, err := runWith(t, lf.deps(), "login", "-c", lf.newCfg, "--client-id", lf.clientID)
	<-approved
	if err == nil || !strings.Contains(err.Error(), "declined") {
		t.Errorf("declined: %v", err)
	}
	// A code that expires: the emulator's codes live 1.5 s here.
	em := emulator.New(emulator.Options{DeviceCodeInterval: time.Second, DeviceCodeLifetime: 1500 * time.Millisecond})
	ten, _ := em.AddTenant(emulator.TenantSpec{Domain: "x.onmicrosoft.com"})
	app, _ := em.AddApp(ten.ID, emulator.AppSpec{DisplayName: "a", PublicClient: true, Scopes: []string{"User.Read"}})
	srv := newServer(t, em)
	lf.env["E5RENEW_AUTHORITY_URL"], lf.env["E5RENEW_GRAPH_URL"] = srv, srv
	_, _, err = runWith(t, lf.deps(), "login", "-c", lf.newCfg, "--client-id", app.ClientID, "--tenant", ten.Domain)
	if err == nil || !strings.Contains(err.Error(), "expired") || !strings.Contains(err.Error(), "e5renew login") {
		t.Errorf("expired: %v", err)
	}
	if _, _, err := runWith(t, lf.deps(), "login", "-c", lf.newCfg); err == nil || !strings.Contains(err.Error(), "--client-id is required") {
		t.Errorf("no client id: %v", err)
	}
}

func TestLoginWithBrowser(t *testing.T) {
	lf := newLoginFixture(t)
	d := lf.deps()
	browsed := make(chan error, 1)
	d.openBrowser = func(u string) error {
		go func() {
			loc, err := (&emulator.Browser{UPN: lf.upn, Password: lf.password}).Authorize(u)
			if err != nil {
				browsed <- err
				return
			}
			resp, err := http.Get(loc.String()) // back to e5renew's loopback listener
			if err == nil {
				resp.Body.Close()
			}
			browsed <- err
		}()
		return nil
	}
	out, _, err := runWith(t, d, "login", "--browser", "-c", lf.newCfg, "--client-id", lf.clientID, "--name", "alex")
	if err != nil {
		t.Fatalf("login --browser: %v\n%s", err, out)
	}
	if err := <-browsed; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Opening the browser") || !strings.Contains(out, "code_challenge_method=S256") || !strings.Contains(out, "Account alex saved") {
		t.Errorf("output:\n%s", out)
	}
	cfg, _ := config.Load(lf.newCfg)
	st, _ := fleet.OpenStore(cfg)
	defer st.Close()
	m, _ := st.ManagedAccounts(context.Background())
	if len(m) != 1 || m[0].Name != "alex" || m[0].Source != "login-browser" || m[0].RefreshToken.IsZero() {
		t.Errorf("stored %+v", m)
	}
}

func TestAccountsAddChecksTheAppBeforeSaving(t *testing.T) {
	lf := newLoginFixture(t)
	app := lf.cfg.Accounts[1] // the application account of the fixture
	lf.env["APP_SECRET"] = app.ClientSecret.Reveal()
	args := []string{"accounts", "add", "-c", lf.newCfg, "--tenant", app.Tenant, "--client-id", app.ClientID, "--user", app.User}

	out, _, err := runWith(t, lf.deps(), append(args, "--client-secret-env", "APP_SECRET", "--secret-expires", "2027-06-30")...)
	if err != nil {
		t.Fatalf("accounts add: %v\n%s", err, out)
	}
	for _, want := range []string{"The app signed in", "It will work on " + app.User, "catalog activities can run", "saved"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// From standard input, with a wrong secret: refused with the classified reason, nothing saved.
	d := lf.deps()
	d.stdin = strings.NewReader("not-the-secret\n")
	_, _, err = runWith(t, d, append(args, "--client-secret-stdin", "--name", "wrong")...)
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("wrong secret: %v", err)
	}
	// The secret's ID instead of its value.
	d.stdin = strings.NewReader("11111111-2222-3333-4444-555555555555\n")
	if _, _, err = runWith(t, d, append(args, "--client-secret-stdin", "--name", "id")...); err == nil || !strings.Contains(err.Error(), "secret's ID") {
		t.Errorf("secret id: %v", err)
	}
	// An unknown user.
	if _, _, err = runWith(t, lf.deps(), "accounts", "add", "-c", lf.newCfg, "--tenant", app.Tenant, "--client-id", app.ClientID,
		"--user", "nobody@"+app.Tenant, "--client-secret-env", "APP_SECRET", "--name", "nobody"); err == nil || !strings.Contains(err.Error(), "no user") {
		t.Errorf("unknown user: %v", err)
	}
	// Missing flags are all named at once.
	_, _, err = runWith(t, lf.deps(), "accounts", "add", "-c", lf.newCfg, "--tenant", "common")
	for _, want := range []string{"--tenant common", "--client-id is required", "--user is required", "exactly one"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing flags: %v lacks %q", err, want)
		}
	}
	cfg, _ := config.Load(lf.newCfg)
	st, _ := fleet.OpenStore(cfg)
	m, _ := st.ManagedAccounts(context.Background())
	st.Close()
	if len(m) != 1 || m[0].Type != "client_credentials" || m[0].SecretExpires.Format("2006-01-02") != "2027-06-30" {
		t.Fatalf("stored %+v, want only the good one", m)
	}
	if out, _, err := runWith(t, lf.deps(), "run", "--once", "-c", lf.newCfg); err != nil || !strings.Contains(out, "1 ok") {
		t.Errorf("run --once: %v\n%s", err, out)
	}
	// A file account cannot be removed by the command.
	if _, _, err := runWith(t, lf.deps(), "accounts", "remove", lf.cfg.Accounts[0].Name, "-c", lf.cfgPath); err == nil || !strings.Contains(err.Error(), "remove it from the file") {
		t.Errorf("remove a file account: %v", err)
	}
}

func newServer(t *testing.T, em *emulator.Emulator) string {
	t.Helper()
	srv := httptest.NewServer(em.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}
