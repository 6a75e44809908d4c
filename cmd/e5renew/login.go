package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/onboard"
	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
)

var loginTexts = struct {
	open, qr, waiting, declined, expired, signedIn, saved, replaced, follow, browser, noBrowser, needClient, noRT, badName, setupApp i18n.Text
}{
	setupApp:   i18n.Text{EN: "Using the app e5renew setup registered (client id %s).", ZH: "使用 e5renew setup 注册的应用（客户端 ID %s）。"},
	open:       i18n.Text{EN: "To sign in, open %s on any device and enter the code %s", ZH: "请在任意设备上打开 %s 并输入代码 %s 完成登录"},
	qr:         i18n.Text{EN: "(or scan this QR code to open the page)", ZH: "（也可以扫描二维码打开该页面）"},
	waiting:    i18n.Text{EN: "Waiting for the sign-in (the code expires at %s)…", ZH: "正在等待登录（代码将于 %s 过期）……"},
	declined:   i18n.Text{EN: "the sign-in was declined: run `e5renew login` again and accept", ZH: "登录被拒绝：请重新运行 `e5renew login` 并同意"},
	expired:    i18n.Text{EN: "the code expired before the sign-in finished: run `e5renew login` again (a code lives 15 minutes)", ZH: "代码在登录完成前已过期：请重新运行 `e5renew login`（代码有效期 15 分钟）"},
	signedIn:   i18n.Text{EN: "Signed in as %s (tenant %s).", ZH: "已登录：%s（租户 %s）。"},
	saved:      i18n.Text{EN: "Account %s saved; its refresh token is kept encrypted in %s.", ZH: "账号 %s 已保存；其刷新令牌加密保存在 %s。"},
	replaced:   i18n.Text{EN: "Account %s updated with the new sign-in.", ZH: "账号 %s 已用新的登录更新。"},
	follow:     i18n.Text{EN: "Run `e5renew serve` to keep it active; a running one picks it up within seconds.", ZH: "运行 `e5renew serve` 保持其活跃；正在运行的服务会在几秒内生效。"},
	browser:    i18n.Text{EN: "Opening the browser to sign in; if it does not open, visit:", ZH: "正在打开浏览器登录；如未打开，请访问："},
	noBrowser:  i18n.Text{EN: "Open this address in a browser on this machine to sign in:", ZH: "请在本机浏览器中打开以下地址完成登录："},
	needClient: i18n.Text{EN: "--client-id is required: the Application (client) ID of your app registration (`e5renew setup` creates one for you, with the right permissions)", ZH: "需要 --client-id：应用注册的“应用程序（客户端）ID”（`e5renew setup` 可自动创建并授予所需权限）"},
	noRT:       i18n.Text{EN: "the sign-in gave no refresh token: the app must allow the offline_access permission", ZH: "登录没有返回刷新令牌：应用需要允许 offline_access 权限"},
	badName:    i18n.Text{EN: "--name %q: use letters, digits and . _ @ + - (up to 64 characters)", ZH: "--name %q：只能使用字母、数字和 . _ @ + -（最多 64 个字符）"},
}

func newLoginCommand(d *deps) *cobra.Command {
	var (
		cfgPath, clientID, secretEnv, tenant, name string
		ghSecret, ghRepo                           string
		scopes                                     []string
		browser                                    bool
	)
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in to add an account (device code, or --browser) / 登录以添加账号",
		Long: `Signs a user in and adds the account, its refresh token kept encrypted in the state store.
By default with the device code flow: a code to enter on any device, so it works on a server
over SSH. With --browser, the authorization code flow with PKCE on a loopback address, opening
the browser of this machine. Afterwards it says what the token allows: which catalog
activities can run, and the permission each missing one needs.

登录用户并添加账号，刷新令牌加密保存在状态库中。默认使用设备代码流程：在任意设备上输入代码，
因此可以通过 SSH 在服务器上使用。--browser 使用本机浏览器（授权码 + PKCE，本地回环地址）。
完成后会说明该令牌允许运行哪些目录活动，以及缺少的活动各需要什么权限。

With --github-secret, the refresh token is sealed into that secret of a GitHub repository
(GitHub Actions mode) and never shown or kept here; for MS_TOKEN_2 it also writes
CLIENT_ID_2 (and CLIENT_SECRET_2 with --client-secret-env). GH_TOKEN must hold a token that
may write the repository's secrets.

使用 --github-secret 时，刷新令牌被加密写入 GitHub 仓库的该 secret（GitHub Actions 模式），
不会显示，也不保存在本机；对 MS_TOKEN_2 还会写入 CLIENT_ID_2（以及 --client-secret-env 给出的
CLIENT_SECRET_2）。GH_TOKEN 须为可写仓库 secrets 的令牌。`,
		Example: `  e5renew login --client-id 11111111-2222-3333-4444-555555555555
  e5renew login --client-id 1111… --browser --name alice
  e5renew login --client-id 1111… --client-secret-env RCLONE_SECRET   # a confidential ("web") app
  GH_TOKEN=ghp_… e5renew login --client-id 1111… --github-secret MS_TOKEN --github-repo you/e5   # for GitHub Actions`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if name != "" && !validName(name) {
				return errors.New(loginTexts.badName.In(d.lang, name))
			}
			var (
				cfg *config.Config
				st  store.Store
				gh  *githubTarget
				err error
			)
			if ghSecret != "" {
				// The token goes to the repository's secret only: nothing is written here.
				if gh, err = newGitHubTarget(cmd.Context(), d, ghSecret, ghRepo); err != nil {
					return err
				}
				if cfg, err = loadConfig(d, cfgPath); err != nil {
					cfg = &config.Config{Path: resolveConfigPath(d, cfgPath)}
				}
			} else {
				if cfg, st, err = openOrCreateState(cmd, d, cfgPath); err != nil {
					return err
				}
				defer st.Close()
			}
			if clientID == "" {
				// The app `e5renew setup` registered, when there is exactly one.
				if clientID = onboard.SetupClientID(cfg); clientID == "" {
					return errors.New(loginTexts.needClient.In(d.lang))
				}
				fmt.Fprintln(d.stdout, loginTexts.setupApp.In(d.lang, clientID))
			}
			ep, err := cfg.ResolveEndpoints(d.getenv)
			if err != nil {
				return err
			}
			clientSecret, err := secretFromEnv(d, secretEnv)
			if err != nil {
				return err
			}
			if len(scopes) == 0 {
				scopes = activity.MinimalPermissions(activity.All(), true)
			}
			common := auth.Common{Endpoints: ep, HTTPClient: &http.Client{Timeout: 60 * time.Second}, Logger: d.logger}
			var grant *auth.Grant
			out := d.stdout
			if browser {
				flow := &auth.AuthCodeFlow{Common: common, Tenant: tenant, ClientID: clientID, ClientSecret: clientSecret, Scopes: scopes}
				p, err := flow.Start(cmd.Context())
				if err != nil {
					return err
				}
				defer p.Close()
				if err := d.browse(p.URL); err != nil {
					fmt.Fprintln(out, loginTexts.noBrowser.In(d.lang))
				} else {
					fmt.Fprintln(out, loginTexts.browser.In(d.lang))
				}
				fmt.Fprintln(out, "  "+p.URL)
				if grant, err = p.Wait(cmd.Context()); err != nil {
					return err
				}
			} else {
				flow := &auth.DeviceFlow{Common: common, Tenant: tenant, ClientID: clientID, Scopes: scopes}
				if grant, err = deviceSignIn(cmd.Context(), d, out, flow); err != nil {
					return err
				}
			}
			if grant.RefreshToken.IsZero() {
				return errors.New(loginTexts.noRT.In(d.lang))
			}
			tok := grant.Token
			fmt.Fprintln(out, loginTexts.signedIn.In(d.lang, tok.UPN, tok.TenantID))
			if gh != nil {
				return gh.save(cmd.Context(), d, grant.RefreshToken, clientID, clientSecret)
			}
			source := "login"
			if browser {
				source = "login-browser"
			}
			env := onboard.Env{Store: st, Config: cfg, Endpoints: ep, Logger: d.logger, Lang: d.lang}
			added, err := env.SaveDelegated(cmd.Context(), grant, clientID, clientSecret, name, source)
			if err != nil {
				return err
			}
			added.Coverage.Write(out, d.lang)
			if added.Replaced {
				fmt.Fprintln(out, loginTexts.replaced.In(d.lang, added.Name))
			} else {
				fmt.Fprintln(out, loginTexts.saved.In(d.lang, added.Name, cfg.DataPath()))
			}
			fmt.Fprintln(out, loginTexts.follow.In(d.lang))
			return nil
		},
	}
	configFlag(cmd, &cfgPath)
	fl := cmd.Flags()
	fl.StringVar(&clientID, "client-id", "", "your app's Application (client) ID / 应用程序（客户端）ID")
	fl.StringVar(&secretEnv, "client-secret-env", "", "environment variable holding the client secret, for confidential (web) apps / 存放客户端密码的环境变量")
	fl.StringVar(&tenant, "tenant", "", "tenant domain or id (default: organizations) / 租户")
	fl.StringVar(&name, "name", "", "account name (default: the user's address) / 账号名称")
	fl.StringSliceVar(&scopes, "scopes", nil, "permissions to ask for (default: what the catalog needs) / 请求的权限")
	fl.BoolVar(&browser, "browser", false, "sign in with this machine's browser instead of a device code / 使用本机浏览器登录")
	fl.StringVar(&ghSecret, "github-secret", "", "save the refresh token to this GitHub Actions secret (e.g. MS_TOKEN) instead of this machine; GH_TOKEN must be set / 将刷新令牌保存到该 GitHub Actions secret")
	fl.StringVar(&ghRepo, "github-repo", "", "the repository of --github-secret, owner/name (default $GITHUB_REPOSITORY) / --github-secret 所在仓库")
	return cmd
}

// validName reports whether name is a valid account name.
func validName(name string) bool { return onboard.ValidName(name) }

// openOrCreateState is openState for commands that add accounts: a missing configuration
// file is created (with only a comment and the data directory), since the accounts they
// add live in the state store.
func openOrCreateState(cmd *cobra.Command, d *deps, cfgPath string) (*config.Config, store.Store, error) {
	path := resolveConfigPath(d, cfgPath)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		body := "# e5renew configuration (see the README). Accounts added with `e5renew login`,\n" +
			"# `e5renew accounts add` or `e5renew import` are kept encrypted in data_dir, not here.\n" +
			"# e5renew 配置文件（见 README）。通过 login、accounts add 或 import 添加的账号加密保存在 data_dir 中。\n" +
			"data_dir: e5renew-data\n"
		if err := auth.WriteFileAtomic(path, []byte(body), 0o600); err != nil {
			return nil, nil, err
		}
		fmt.Fprintln(d.stderr, createdTexts.In(d.lang, path))
	}
	return openState(cmd, d, path)
}

var createdTexts = i18n.Text{EN: "Created the configuration file %s.", ZH: "已创建配置文件 %s。"}

// browse opens url in the system browser (deps.openBrowser in tests).
func (d *deps) browse(url string) error {
	if d.openBrowser != nil {
		return d.openBrowser(url)
	}
	var name string
	var args []string
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler"}
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return errors.New("no display")
		}
		name = "xdg-open"
	}
	return exec.Command(name, append(args, url)...).Start()
}

// secretFromEnv reads a secret from the environment variable a --client-secret-env flag
// names (empty name: no secret); secrets never come from the command line itself.
func secretFromEnv(d *deps, name string) (secret.String, error) {
	if name == "" {
		return "", nil
	}
	v, ok := d.getenv(name)
	if !ok || strings.TrimSpace(v) == "" {
		return "", fmt.Errorf("--client-secret-env: the environment variable %s is not set (or is empty)", name)
	}
	return secret.String(strings.TrimSpace(v)), nil
}
