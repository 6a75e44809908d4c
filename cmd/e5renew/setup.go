package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/onboard"
	"github.com/e5renew/e5renew/internal/setup"
	"github.com/e5renew/e5renew/internal/store"
)

var setupTexts = struct {
	admin, account, saved, noSecret, later, next, appSaved i18n.Text
}{
	admin:    i18n.Text{EN: "Sign in as the tenant's global administrator (once, to register the app):", ZH: "请以租户的全局管理员身份登录（仅一次，用于注册应用）："},
	account:  i18n.Text{EN: "Now sign in with the account e5renew will keep active (it may be the same administrator):", ZH: "现在请登录 e5renew 要保持活跃的账号（可以是同一个管理员）："},
	saved:    i18n.Text{EN: "Account %s saved, signing in with the new app.", ZH: "账号 %s 已保存，使用新应用登录。"},
	noSecret: i18n.Text{EN: "The app already has a valid e5renew secret, but Graph never shows a secret's value again: run `e5renew setup --application --new-secret` to add one e5renew can keep.", ZH: "应用已有有效的 e5renew 客户端密码，但 Graph 不会再次显示其值：请运行 `e5renew setup --application --new-secret` 添加一个供 e5renew 保存。"},
	later:    i18n.Text{EN: "Sign in later with: e5renew login --client-id %s", ZH: "稍后可用以下命令登录：e5renew login --client-id %s"},
	next:     i18n.Text{EN: "Next: e5renew doctor, then e5renew serve.", ZH: "下一步：e5renew doctor，然后 e5renew serve。"},
	appSaved: i18n.Text{EN: "Account %s saved: the app signs in with its new secret (expires %s) and works on %s.", ZH: "账号 %s 已保存：应用使用新的客户端密码登录（%s 过期），操作 %s 的邮箱与文件。"},
}

func newSetupCommand(d *deps) *cobra.Command {
	var (
		cfgPath, tenant, user, name, displayName string
		lifetime                                 time.Duration
		application, newSecret, print, skipLogin bool
	)
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Register e5renew's app in your tenant and add the account, no portal needed / 自动注册应用并添加账号",
		Long: `Registers e5renew's app in your tenant through Microsoft Graph, after you sign in once as
the tenant's global administrator with a device code (using Microsoft's Azure CLI public
client, pre-authorised for app management): it creates the application (public client flows
on, a loopback redirect URI, the permissions the catalog needs), its service principal, admin
consent for the delegated permissions and, with --application, the application roles and a
client secret. Then it signs in the account to keep active and stores everything, encrypted.
Running it again repairs a half-finished setup instead of creating a second app.
--print shows what it would create and the manual steps, for those who prefer the portal.

通过 Microsoft Graph 在你的租户中注册 e5renew 的应用：先用设备代码以全局管理员身份登录一次
（使用微软 Azure CLI 公共客户端，已预授权应用管理），然后创建应用（启用公共客户端流、回环重定向
地址、目录所需权限）、服务主体、委托权限的管理员同意，使用 --application 时还会分配应用程序角色并
创建客户端密码。最后登录要保持活跃的账号并加密保存。再次运行会修复未完成的设置，而不会重复创建应用。
--print 显示将创建的内容及手动步骤，适合想在门户中操作的用户。`,
		Example: `  e5renew setup
  e5renew setup --application --user admin@contoso.onmicrosoft.com
  e5renew setup --print --lang zh`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sc := setup.DefaultConfig()
			if displayName != "" {
				sc.DisplayName = displayName
			}
			sc.Application, sc.NewSecret = application, newSecret
			if application {
				sc.SecretLifetime = lifetime
			}
			if print {
				text, err := setup.Describe(sc, d.lang)
				if err != nil {
					return err
				}
				fmt.Fprintln(d.stdout, text)
				return nil
			}
			if name != "" && !validName(name) {
				return errors.New(loginTexts.badName.In(d.lang, name))
			}
			cfg, st, err := openOrCreateState(cmd, d, cfgPath)
			if err != nil {
				return err
			}
			defer st.Close()
			ep, err := cfg.ResolveEndpoints(d.getenv)
			if err != nil {
				return err
			}
			out, ctx := d.stdout, cmd.Context()
			hc := &http.Client{Timeout: 60 * time.Second}
			fmt.Fprintln(out, setupTexts.admin.In(d.lang))
			flow := setup.AdminDeviceFlow(ep, tenant)
			flow.HTTPClient, flow.Logger = hc, d.logger
			admin, err := deviceSignIn(ctx, d, out, flow)
			if err != nil {
				return err
			}
			sc.Token = admin.Token
			gc := graph.New(setup.StaticToken(admin.Token), graph.Options{BaseURL: ep.Graph, HTTPClient: hc, Logger: d.logger})
			res, err := setup.Run(ctx, gc, sc)
			if err != nil {
				if se, ok := setup.AsError(err); ok {
					return errors.New(se.Message(d.lang))
				}
				return err
			}
			fmt.Fprintln(out, res.Describe(d.lang))
			if application {
				if err := saveAppAccount(ctx, d, out, cfg, st, ep, hc, res, firstNonEmpty(user, admin.Token.UPN), name); err != nil {
					return err
				}
			} else if skipLogin {
				fmt.Fprintln(out, setupTexts.later.In(d.lang, res.ClientID))
			} else {
				fmt.Fprintln(out, setupTexts.account.In(d.lang))
				lf := &auth.DeviceFlow{Common: auth.Common{Endpoints: ep, HTTPClient: hc, Logger: d.logger}, Tenant: res.TenantID,
					ClientID: res.ClientID, Scopes: res.Scopes}
				g, err := deviceSignIn(ctx, d, out, lf)
				if err != nil {
					return err
				}
				if g.RefreshToken.IsZero() {
					return errors.New(loginTexts.noRT.In(d.lang))
				}
				env := onboard.Env{Store: st, Config: cfg, Endpoints: ep, Logger: d.logger, Lang: d.lang}
				added, err := env.SaveDelegated(ctx, g, res.ClientID, "", name, "setup")
				if err != nil {
					return err
				}
				added.Coverage.Write(out, d.lang)
				acctName := added.Name
				fmt.Fprintln(out, setupTexts.saved.In(d.lang, acctName))
			}
			fmt.Fprintln(out, setupTexts.next.In(d.lang))
			return nil
		},
	}
	configFlag(cmd, &cfgPath)
	fl := cmd.Flags()
	fl.StringVar(&tenant, "tenant", "", "tenant domain or id (default: the administrator's) / 租户")
	fl.BoolVar(&application, "application", false, "application mode: roles, admin consent and a client secret / 应用程序模式")
	fl.StringVar(&user, "user", "", "with --application: the user whose mailbox and files to use (default: the administrator) / 应用程序模式下使用的用户")
	fl.StringVar(&name, "name", "", "account name / 账号名称")
	fl.StringVar(&displayName, "app-name", "", "the app's display name (default e5renew) / 应用显示名称")
	fl.DurationVar(&lifetime, "secret-lifetime", setup.DefaultSecretLifetime, "with --application: how long the new client secret lives / 客户端密码有效期")
	fl.BoolVar(&newSecret, "new-secret", false, "add a new client secret even if a valid one exists / 即使已有有效密码也新建一个")
	fl.BoolVar(&print, "print", false, "show what would be created and the manual steps, change nothing / 仅显示将创建的内容与手动步骤")
	fl.BoolVar(&skipLogin, "skip-login", false, "register the app only; sign in later with e5renew login / 只注册应用")
	return cmd
}

// deviceSignIn shows a device code (and its QR code) and waits for the sign-in.
func deviceSignIn(ctx context.Context, d *deps, out io.Writer, flow *auth.DeviceFlow) (*auth.Grant, error) {
	dc, err := flow.Start(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(out, loginTexts.open.In(d.lang, dc.VerificationURI, dc.UserCode))
	fmt.Fprintln(out, loginTexts.qr.In(d.lang))
	_ = onboard.QR(out, dc.VerificationURI)
	fmt.Fprintln(out, loginTexts.waiting.In(d.lang, dc.ExpiresAt.Local().Format("15:04:05")))
	g, err := flow.Wait(ctx, dc, nil)
	if err != nil {
		if ae, ok := auth.AsError(err); ok {
			switch ae.Reason {
			case auth.ReasonDeviceDeclined:
				return nil, errors.New(loginTexts.declined.In(d.lang))
			case auth.ReasonDeviceExpired:
				return nil, errors.New(loginTexts.expired.In(d.lang))
			}
		}
		return nil, err
	}
	return g, nil
}

// saveAppAccount stores the application account setup created, after checking that the
// new secret signs in.
func saveAppAccount(ctx context.Context, d *deps, out io.Writer, cfg *config.Config, st store.Store, ep auth.Endpoints,
	hc *http.Client, res *setup.Result, user, name string) error {
	if res.Secret.IsZero() {
		for _, a := range cfg.Accounts {
			if a.Managed && a.ClientID == res.ClientID && !a.ClientSecret.IsZero() {
				return nil // the secret e5renew keeps is still the valid one
			}
		}
		fmt.Fprintln(out, setupTexts.noSecret.In(d.lang))
		return nil
	}
	acctName := firstNonEmpty(name, onboard.NameFor("", res.DisplayName+"-"+res.TenantID[:8]))
	src, err := auth.NewAppSource(auth.AppOptions{Common: auth.Common{Account: acctName, Endpoints: ep, HTTPClient: hc, Logger: d.logger},
		Tenant: res.TenantID, ClientID: res.ClientID, ClientSecret: res.Secret})
	if err != nil {
		return err
	}
	var tok *auth.Token
	for attempt := 0; ; attempt++ {
		if tok, err = src.Token(ctx); err == nil || attempt == 4 {
			break
		}
		src.Reset() // a new secret takes a moment to reach every sign-in server
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(1<<attempt) * time.Second):
		}
	}
	if err != nil {
		return fmt.Errorf("the new secret does not sign in yet (%v): run `e5renew accounts add` in a minute with it", err)
	}
	acct := store.ManagedAccount{Name: acctName, Type: string(auth.KindClientCredentials), Tenant: res.TenantID, ClientID: res.ClientID,
		ClientSecret: res.Secret, User: user, SecretExpires: res.SecretEnd, Source: "setup"}
	if err := onboard.Save(ctx, st, acct, time.Now()); err != nil {
		return err
	}
	if cov, err := onboard.CoverageOf(tok); err == nil {
		cov.Write(out, d.lang)
	}
	fmt.Fprintln(out, setupTexts.appSaved.In(d.lang, acctName, res.SecretEnd.Format("2006-01-02"), user))
	return nil
}
