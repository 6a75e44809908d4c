// Package sandbox fills an emulated tenant with ready-to-use e5renew accounts of every
// sign-in type and writes the matching configuration: what `e5renew emulator
// --write-config` and `e5renew demo` run on.
package sandbox

import (
	"fmt"
	"strings"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/secret"
)

// DelegatedScopes and ApplicationRoles are what the seeded app registration is granted:
// the smallest set that lets every catalog activity run (e5renew catalog --permissions).
func DelegatedScopes() []string  { return activity.MinimalPermissions(activity.All(), true) }
func ApplicationRoles() []string { return activity.MinimalPermissions(activity.All(), false) }

var tenantNames = []string{"contoso", "fabrikam", "northwind", "tailspin", "woodgrove", "litware", "adatum", "wingtip", "alpine", "proseware"}

// Options choose what to create.
type Options struct {
	// Accounts is how many working accounts to create, cycling through refresh token,
	// application and password sign-in. Each lives in its own tenant, like real sandboxes.
	Accounts int
	// Broken adds accounts that need their owner: an application whose client secret has
	// expired and a password account with MFA, so error handling is visible.
	Broken bool
	// Endpoint is the emulator's base URL, written into the configuration.
	Endpoint string
	DataDir  string
}

// Account describes one created account for people (the emulator prints these).
type Account struct {
	Name, Type, Tenant, User string
	Broken                   i18n.Text // why it will fail, if it will
	// Password is the password of the tenant's emulated users (admin, alex.wilber and
	// megan.bowen), for trying interactive sign-ins.
	Password string
}

// Populate seeds em and returns a configuration for the created accounts.
func Populate(em *emulator.Emulator, o Options) (*config.Config, []Account, error) {
	cfg := &config.Config{Endpoints: config.EndpointsConfig{Authority: o.Endpoint, Graph: o.Endpoint}, DataDir: o.DataDir}
	var out []Account
	kinds := []auth.Kind{auth.KindRefreshToken, auth.KindClientCredentials, auth.KindPassword}
	for i := 0; i < o.Accounts; i++ {
		a, info, err := addAccount(em, i, kinds[i%3], "")
		if err != nil {
			return nil, nil, err
		}
		cfg.Accounts = append(cfg.Accounts, a)
		out = append(out, info)
	}
	if o.Broken {
		for j, why := range []string{"expired-secret", "mfa"} {
			kind := auth.KindClientCredentials
			if why == "mfa" {
				kind = auth.KindPassword
			}
			a, info, err := addAccount(em, o.Accounts+j, kind, why)
			if err != nil {
				return nil, nil, err
			}
			cfg.Accounts = append(cfg.Accounts, a)
			out = append(out, info)
		}
	}
	return cfg, out, nil
}

func tenantName(i int) string {
	if i < len(tenantNames) {
		return tenantNames[i]
	}
	return fmt.Sprintf("sandbox%05d", i)
}

func addAccount(em *emulator.Emulator, i int, kind auth.Kind, broken string) (config.Account, Account, error) {
	name := tenantName(i)
	ten, err := em.AddTenant(emulator.TenantSpec{Domain: name + ".onmicrosoft.com", DisplayName: strings.ToUpper(name[:1]) + name[1:]})
	if err != nil {
		return config.Account{}, Account{}, err
	}
	pw := "Demo-" + newToken(9) + "!1"
	admin, err := em.AddUser(ten.ID, emulator.UserSpec{UPN: "admin", Password: pw, Admin: true})
	if err != nil {
		return config.Account{}, Account{}, err
	}
	dev, err := em.AddUser(ten.ID, emulator.UserSpec{UPN: "alex.wilber", Password: pw, MFA: broken == "mfa"})
	if err != nil {
		return config.Account{}, Account{}, err
	}
	if _, err := em.AddUser(ten.ID, emulator.UserSpec{UPN: "megan.bowen", Password: pw}); err != nil {
		return config.Account{}, Account{}, err
	}
	secretValue := newToken(30)
	end := time.Time{}
	if broken == "expired-secret" {
		end = time.Now().Add(-24 * time.Hour)
	}
	app, err := em.AddApp(ten.ID, emulator.AppSpec{DisplayName: "e5renew", PublicClient: true, Scopes: DelegatedScopes(), Roles: ApplicationRoles(),
		RedirectURIs: []string{"http://localhost:53682/"}, NativeURIs: []string{"http://localhost"},
		Secrets: []emulator.SecretSpec{{Value: secretValue, End: end}}})
	if err != nil {
		return config.Account{}, Account{}, err
	}
	acct := config.Account{Name: name, Type: string(kind), Tenant: ten.Domain, ClientID: app.ClientID}
	info := Account{Name: name, Type: string(kind), Tenant: ten.Domain, Password: pw}
	switch kind {
	case auth.KindRefreshToken:
		rt, err := em.IssueRefreshToken(ten.ID, app.ClientID, admin.UPN, nil)
		if err != nil {
			return config.Account{}, Account{}, err
		}
		acct.RefreshToken = secret.String(rt)
		acct.Tenant = ""
		acct.Comment = "Delegated sign-in with a refresh token (what rclone or `e5renew login` gives), as " + admin.UPN
		info.User = admin.UPN
	case auth.KindClientCredentials:
		acct.ClientSecret = secret.String(secretValue)
		acct.User = admin.UPN
		acct.Comment = "Application sign-in (client id + secret), working on " + admin.UPN + "'s mailbox and files"
		info.User = admin.UPN
	case auth.KindPassword:
		acct.Username = dev.UPN
		acct.Password = secret.String(pw)
		acct.Comment = "Password sign-in (ROPC) as " + dev.UPN + ": breaks as soon as MFA applies"
		info.User = dev.UPN
	}
	switch broken {
	case "expired-secret":
		acct.Name = name + "-expired"
		acct.Comment = "Deliberately broken: the client secret expired yesterday (AADSTS7000222)"
		info.Name, info.Broken = acct.Name, i18n.Text{EN: "client secret expired", ZH: "客户端密码已过期"}
	case "mfa":
		acct.Name = name + "-mfa"
		acct.Comment = "Deliberately broken: MFA is required, so the password grant fails (AADSTS50076)"
		info.Name, info.Broken = acct.Name, i18n.Text{EN: "MFA required", ZH: "需要 MFA"}
	}
	return acct, info, nil
}

func newToken(n int) string { return secret.NewRandomString(n) }
