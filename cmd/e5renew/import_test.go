package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/sandbox"
)

// Every format at once, built from the emulated tenant's real apps and tokens, with bad
// lines among them: the good accounts are imported (and then work), each bad line is
// reported with its number, and no secret is printed.
func TestImportEveryFormat(t *testing.T) {
	lf := newLoginFixture(t)
	rtAcct, appAcct, pwAcct := lf.cfg.Accounts[0], lf.cfg.Accounts[1], lf.cfg.Accounts[2]
	tenant := func(upn string) string { return upn[strings.Index(upn, "@")+1:] }
	// More refresh tokens of the first tenant's app, one per format that carries one.
	issue := func() string {
		rt, err := lf.em.IssueRefreshToken(tenant("admin@"+rtAcct.Name+".onmicrosoft.com"), rtAcct.ClientID, "admin@"+rtAcct.Name+".onmicrosoft.com", nil)
		if err != nil {
			t.Fatal(err)
		}
		return rt
	}
	rt1, rt2, rt3 := issue(), issue(), issue()
	secrets := []string{rt1, rt2, rt3, appAcct.ClientSecret.Reveal(), pwAcct.Password.Reveal()}

	rclone := fmt.Sprintf(`[e5-admin]
type = onedrive
client_id = %s
token = {"access_token":"x","token_type":"Bearer","refresh_token":"%s","expiry":"2026-03-02T11:15:19+08:00"}
drive_type = business

[broken]
type = onedrive
client_id = %s
`, rtAcct.ClientID, rt1, rtAcct.ClientID)
	// Office365Auto's apps are confidential ("web", rclone's redirect) with a secret.
	ten := lf.em.Tenant(rtAcct.Name + ".onmicrosoft.com")
	webSecret := "Web8Q~confidential-app-secret-" + strings.Repeat("w", 10)
	web, err := lf.em.AddApp(ten.ID, emulator.AppSpec{DisplayName: "Office365Auto", Scopes: sandbox.DelegatedScopes(),
		RedirectURIs: []string{"http://localhost:53682/"}, Secrets: []emulator.SecretSpec{{Value: webSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	rt2, err = lf.em.IssueRefreshToken(ten.ID, web.ClientID, "admin@"+rtAcct.Name+".onmicrosoft.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, rt2, webSecret)
	env := fmt.Sprintf("# GitHub secrets of Office365Auto\nCLIENT_ID=%s\nexport MS_TOKEN='%s'\nCLIENT_SECRET: %s\n", web.ClientID, rt2, webSecret)
	accountTxt := fmt.Sprintf("# 账号\n%s----%s----%s\n%s,%s,%s\nnot an account line\n",
		pwAcct.Username, pwAcct.Password.Reveal(), pwAcct.ClientID, appAcct.Tenant, appAcct.ClientID, appAcct.ClientSecret.Reveal())
	e5sub := fmt.Sprintf(`[{"Alias": "main", "ClientId": "%s", "ClientSecret": "", "RefreshToken": "%s", "Other": ""}]`, rtAcct.ClientID, rt3)

	for _, c := range []struct {
		name, input string
		imported    int
		wantOut     []string
	}{
		{"rclone.conf", rclone, 1, []string{"e5-admin imported", "line 7 (rclone-conf)"}},
		{"office365auto", env, 1, []string{"imported"}},
		{"account.txt", accountTxt, 2, []string{"line 2 (account-txt)", "line 3 (account-txt)", "line 4 (account-txt)"}},
		{"e5subbot", e5sub, 1, []string{"main imported"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := lf.deps()
			d.stdin = strings.NewReader(c.input)
			out, _, err := runWith(t, d, "import", "-", "-c", lf.newCfg, "--user", appAcct.User)
			if !strings.Contains(out, fmt.Sprintf("%d imported", c.imported)) {
				t.Errorf("%s: %v\n%s", c.name, err, out)
			}
			for _, w := range c.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, s := range secrets {
				if strings.Contains(out, s) || (err != nil && strings.Contains(err.Error(), s)) {
					t.Errorf("a secret was printed:\n%s", out)
				}
			}
		})
	}
	// Everything imported works, with the rotated refresh tokens kept (strict rotation).
	cfg, _ := config.Load(lf.newCfg)
	st, _ := fleet.OpenStore(cfg)
	m, _ := st.ManagedAccounts(context.Background())
	st.Close()
	if len(m) != 5 {
		t.Fatalf("%d accounts imported, want 5: %+v", len(m), m)
	}
	out, _, err := runWith(t, lf.deps(), "run", "--once", "-c", lf.newCfg)
	if err != nil || !strings.Contains(out, "5 accounts: 5 ok") {
		t.Fatalf("run --once over the imported accounts: %v\n%s", err, out)
	}
	// Importing the same again: refused per account without --replace, nothing changed.
	d := lf.deps()
	d.stdin = strings.NewReader(e5sub)
	out, _, err = runWith(t, d, "import", "-", "-c", lf.newCfg)
	if err == nil || !strings.Contains(out, "exists already") {
		t.Errorf("second import: %v\n%s", err, out)
	}
	// A wrong password is refused by the sign-in, with the classified reason.
	d.stdin = strings.NewReader(fmt.Sprintf("%s----wrong-password----%s\n", pwAcct.Username, pwAcct.ClientID))
	out, _, _ = runWith(t, d, "import", "-", "-c", lf.newCfg, "--dry-run", "--replace")
	if !strings.Contains(out, "AADSTS50126") || !strings.Contains(out, "0 imported, 1 failed") {
		t.Errorf("wrong password:\n%s", out)
	}
}
