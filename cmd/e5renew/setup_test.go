package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/fleet"
)

// approveInOrder plays the people at the browser: the n-th device code is approved with
// the n-th credentials.
func (lf *loginFixture) approveInOrder(t *testing.T, creds ...[2]string) chan error {
	done := make(chan error, 1)
	go func() {
		seen := map[string]bool{}
		i := 0
		deadline := time.Now().Add(60 * time.Second)
		for i < len(creds) && time.Now().Before(deadline) {
			for _, c := range lf.em.PendingDeviceCodes() {
				if seen[c] {
					continue
				}
				seen[c] = true
				if err := lf.em.ApproveDeviceCode(c, creds[i][0], creds[i][1]); err != nil {
					done <- err
					return
				}
				i++
			}
			time.Sleep(10 * time.Millisecond)
		}
		if i < len(creds) {
			done <- context.DeadlineExceeded
			return
		}
		done <- nil
	}()
	return done
}

func TestSetupRegistersTheAppAndAddsTheAccount(t *testing.T) {
	lf := newLoginFixture(t)
	// An empty tenant: an administrator and two users, no app.
	const domain, pw = "empty.onmicrosoft.com", "Emp7y-Tenant!"
	ten, err := lf.em.AddTenant(emulator.TenantSpec{Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []emulator.UserSpec{{UPN: "admin", Password: pw, Admin: true}, {UPN: "alex", Password: pw}, {UPN: "megan.bowen", Password: pw}} {
		if _, err := lf.em.AddUser(ten.ID, u); err != nil {
			t.Fatal(err)
		}
	}
	lf.upn, lf.password = "alex@"+domain, pw
	admin := [2]string{"admin@" + domain, pw}
	user := [2]string{lf.upn, pw}

	approved := lf.approveInOrder(t, admin, user)
	out, _, err := runWith(t, lf.deps(), "setup", "-c", lf.newCfg, "--tenant", domain)
	if err != nil {
		t.Fatalf("setup: %v\n%s", err, out)
	}
	if err := <-approved; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"global administrator", "[created] application", "[created] service principal", "[created] delegated consent",
		"Now sign in with the account", "Account " + lf.upn + " saved", "e5renew serve"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if out, _, err := runWith(t, lf.deps(), "run", "--once", "-c", lf.newCfg); err != nil || !strings.Contains(out, "1 ok") {
		t.Fatalf("run --once with the account setup added: %v\n%s", err, out)
	}

	// Again, in application mode: the app is found and completed, not created twice; an
	// application account with the new secret is added.
	approved = lf.approveInOrder(t, admin)
	out, _, err = runWith(t, lf.deps(), "setup", "-c", lf.newCfg, "--tenant", domain, "--application", "--user", lf.upn, "--name", "app")
	if err != nil {
		t.Fatalf("setup --application: %v\n%s", err, out)
	}
	<-approved
	if !strings.Contains(out, "[created] client secret") || !strings.Contains(out, "[already fine] service principal") || !strings.Contains(out, "Account app saved") {
		t.Errorf("second setup output:\n%s", out)
	}
	cfg, _ := config.Load(lf.newCfg)
	st, _ := fleet.OpenStore(cfg)
	m, _ := st.ManagedAccounts(context.Background())
	st.Close()
	if len(m) != 2 || m[0].ClientID != m[1].ClientID || m[0].Source != "setup" || m[1].SecretExpires.IsZero() {
		t.Fatalf("stored %+v: want two accounts of one app", m)
	}
	if out, _, err := runWith(t, lf.deps(), "run", "--once", "-c", lf.newCfg); err != nil || !strings.Contains(out, "2 ok") {
		t.Fatalf("run --once: %v\n%s", err, out)
	}
	// Without --client-id, login uses the app setup registered.
	approved = lf.approveInOrder(t, [2]string{"megan.bowen@" + domain, pw})
	out, _, err = runWith(t, lf.deps(), "login", "-c", lf.newCfg)
	<-approved
	if err != nil || !strings.Contains(out, "Using the app e5renew setup registered") {
		t.Errorf("login after setup: %v\n%s", err, out)
	}
}

func TestSetupRefusesANonAdministrator(t *testing.T) {
	lf := newLoginFixture(t)
	approved := lf.approveInOrder(t, [2]string{lf.upn, lf.password})
	out, _, err := runWith(t, lf.deps(), "setup", "-c", lf.newCfg)
	<-approved
	if err == nil || !strings.Contains(err.Error(), "Global Administrator") || !strings.Contains(err.Error(), "Nothing was changed") {
		t.Fatalf("setup by a non-administrator: %v\n%s", err, out)
	}
}

func TestSetupPrint(t *testing.T) {
	out, _, err := runWith(t, &deps{}, "--lang", "zh", "setup", "--print", "--application")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"e1fe6dd8-ba31-4d61-89e7-88639da4683d", "00000003-0000-0000-c000-000000000000", "管理员同意"} {
		if !strings.Contains(out, want) {
			t.Errorf("--print lacks %q:\n%s", want, out)
		}
	}
}
