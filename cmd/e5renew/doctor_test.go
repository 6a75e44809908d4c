package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/doctor"
	"github.com/e5renew/e5renew/internal/secret"
)

func TestDoctorFindsWhatIsWrongAndSaysHowToFix(t *testing.T) {
	f := newFixture(t, emulator.Options{}, 3)
	rt, app, pw := f.cfg.Accounts[0], f.cfg.Accounts[1], f.cfg.Accounts[2]
	// The refresh-token account's user has no OneDrive yet; the password account's
	// tenant subscription reaches its lifecycle date in 10 days; the application's secret
	// expires in 20 days (the owner gave the date).
	if err := f.em.UpdateUser(tenantOf(rt.Name), "admin@"+tenantOf(rt.Name), func(u *emulator.User) { u.NoDrive = true }); err != nil {
		t.Fatal(err)
	}
	if err := f.em.SetDeveloperSubscription(pw.Tenant, "Enabled", time.Now().Add(10*24*time.Hour+time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The application gets a new secret that expires in 20 days; the doctor reads its end
	// from the app's passwordCredentials (matched by the secret's hint), not from the
	// owner's note, which says otherwise.
	value, _, err := f.em.AddSecret(app.ClientID, emulator.SecretSpec{Value: "Xy9~new-secret-" + strings.Repeat("v", 24), End: time.Now().Add(20*24*time.Hour + time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	f.cfg.Accounts[1].ClientSecret = secret.String(value)
	f.cfg.Accounts[1].SecretExpiresOn = "2030-01-01"
	f.writeConfig(t)

	out, _, err := runCmd(t, "doctor", "-c", f.cfgPath, "--json")
	if ec, ok := err.(exitCode); !ok || int(ec) != exitDoctorFail {
		t.Fatalf("exit %v, want %d: two accounts cannot sign in\n%s", err, exitDoctorFail, out)
	}
	var reports []*struct {
		Account  string `json:"account"`
		SignedIn bool   `json:"signedIn"`
		Checks   []doctor.Check
	}
	if err := json.Unmarshal([]byte(out), &reports); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	byName := map[string]map[string]string{}
	for _, r := range reports {
		m := map[string]string{}
		for _, c := range r.Checks {
			m[c.Name] = c.Status.String() + " " + c.Detail + " | " + c.Fix
		}
		byName[r.Account] = m
	}
	check := func(account, name, want string) {
		t.Helper()
		if got := byName[account][name]; !strings.Contains(got, want) {
			t.Errorf("%s %s = %q, want it to contain %q", account, name, got, want)
		}
	}
	check(rt.Name, "sign-in", "ok signs in as admin@")
	check(rt.Name, "onedrive", "warn OneDrive is not provisioned (404 ResourceNotFound) | sign in once")
	check(rt.Name, "mailbox", "ok")
	check(rt.Name, "onenote", "warn")
	check(rt.Name, "permissions", "ok all")
	check(rt.Name, "client-secret", "ok no client secret")
	check(app.Name, "client-secret", "warn the client secret expires on")
	check(app.Name, "onenote", "unknown not checked: OneNote refuses application tokens")
	check(pw.Name, "subscription", "warn DEVELOPERPACK_E5 Enabled; next lifecycle date")
	check(pw.Name, "subscription", "advisory")
	check(f.cfg.Accounts[3].Name, "sign-in", "fail cannot sign in: AADSTS7000222")
	check(f.cfg.Accounts[4].Name, "sign-in", "fail cannot sign in: AADSTS50076")

	// Only the healthy ones, in Chinese, as a table: warnings give exit status 1.
	out, _, err = runCmd(t, "--lang", "zh", "doctor", "-c", f.cfgPath, "--account", app.Name+","+pw.Name)
	if ec, ok := err.(exitCode); !ok || int(ec) != exitDoctorWarn {
		t.Fatalf("exit %v, want %d\n%s", err, exitDoctorWarn, out)
	}
	for _, want := range []string{"客户端密码将于", "→ 新建客户端密码", "仅供参考", "共 2 个账号：0 个正常，2 个有警告，0 个有故障。"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func tenantOf(name string) string { return name + ".onmicrosoft.com" }
