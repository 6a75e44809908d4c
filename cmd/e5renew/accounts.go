package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/daemon"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/onboard"
	"github.com/e5renew/e5renew/internal/report"
	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
)

var acctTexts = struct {
	paused, resumed, wasNot, follow, unknown i18n.Text
}{
	paused:  i18n.Text{EN: "%s is paused: no round runs until `e5renew accounts resume %s`.", ZH: "%s 已暂停：在执行 `e5renew accounts resume %s` 之前不会运行任何一轮。"},
	resumed: i18n.Text{EN: "%s is resumed: its next round runs within minutes.", ZH: "%s 已恢复：几分钟内运行下一轮。"},
	wasNot:  i18n.Text{EN: "%s was not paused; its schedule is unchanged except for a round soon.", ZH: "%s 原本未暂停；除了很快运行一轮外，时间表不变。"},
	follow:  i18n.Text{EN: "A running `e5renew serve` follows within seconds.", ZH: "正在运行的 `e5renew serve` 会在几秒内生效。"},
	unknown: i18n.Text{EN: "no account named %q in %s; the accounts are: %s", ZH: "%[2]s 中没有名为 %[1]q 的账号；现有账号：%[3]s"},
}

var addTexts = struct {
	ok, user, userUnknown, userUnchecked, saved, inFile, removed, notManaged, secretStdin i18n.Text
}{
	ok:            i18n.Text{EN: "The app signed in to %s.", ZH: "应用已成功登录租户 %s。"},
	user:          i18n.Text{EN: "It will work on %s (%s).", ZH: "将使用 %s（%s）的邮箱和文件。"},
	userUnknown:   i18n.Text{EN: "the tenant has no user %q: give --user the user principal name (UPN) or object id of the mailbox to use", ZH: "租户中没有用户 %q：--user 请填写要使用的邮箱的用户主体名称（UPN）或对象 ID"},
	userUnchecked: i18n.Text{EN: "Could not check the user %s (%s); it is saved as given.", ZH: "无法检查用户 %s（%s）；按填写的内容保存。"},
	saved:         i18n.Text{EN: "Account %s saved; its client secret is kept encrypted in %s.", ZH: "账号 %s 已保存；客户端密码加密保存在 %s。"},
	inFile:        i18n.Text{EN: "%s is written in %s: remove it from the file there", ZH: "%s 写在 %s 中：请在该文件中删除它"},
	removed:       i18n.Text{EN: "Account %s removed (its history stays).", ZH: "账号 %s 已删除（历史记录保留）。"},
	notManaged:    i18n.Text{EN: "no account named %q was added by e5renew", ZH: "没有名为 %q 的由 e5renew 添加的账号"},
	secretStdin:   i18n.Text{EN: "Client secret (the Value, not the Secret ID): ", ZH: "客户端密码（“值”，不是“机密 ID”）："},
}

func newAccountsAddCommand(d *deps) *cobra.Command {
	var cfgPath, tenant, clientID, secretEnv, user, name, expires string
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Add an application (client credentials) account, checked by signing in / 添加应用程序账号（登录验证后保存）",
		Long: `Adds an account that signs in as an application (client id and secret, application
permissions) and works on one user's mailbox and files. The secret is read from an
environment variable or from standard input, never from the command line, and the account is
saved only after the app signed in; what its roles allow is then listed.

添加以应用程序身份登录（客户端 ID 与密码、应用程序权限）并操作某个用户邮箱与文件的账号。
密码从环境变量或标准输入读取，从不出现在命令行上；应用登录成功后才会保存，并列出其角色允许的活动。`,
		Example: `  E5_SECRET='…' e5renew accounts add --tenant contoso.onmicrosoft.com --client-id 1111… --client-secret-env E5_SECRET --user admin@contoso.onmicrosoft.com
  e5renew accounts add --tenant contoso.onmicrosoft.com --client-id 1111… --client-secret-stdin --user admin@contoso.onmicrosoft.com < secret.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in := onboard.AppInput{Tenant: tenant, ClientID: clientID, User: user, Name: name}
			var problems []string
			if (secretEnv == "") == !fromStdin {
				problems = append(problems, "give the client secret with --client-secret-env VAR or --client-secret-stdin (exactly one)")
			}
			if expires != "" {
				t, err := time.Parse("2006-01-02", expires)
				if err != nil {
					problems = append(problems, fmt.Sprintf("--secret-expires %q: write the date as 2027-06-30", expires))
				}
				in.SecretExpires = t
			}
			if len(problems) == 0 {
				var err error
				if in.ClientSecret, err = secretFromEnv(d, secretEnv); err != nil {
					return err
				}
				if secretEnv == "" {
					fmt.Fprint(d.stderr, addTexts.secretStdin.In(d.lang))
					r := d.stdin
					if r == nil {
						r = os.Stdin
					}
					line, err := bufio.NewReader(r).ReadString('\n')
					if err != nil && line == "" {
						return fmt.Errorf("read the client secret from standard input: %w", err)
					}
					in.ClientSecret = secret.String(strings.TrimSpace(line))
					fmt.Fprintln(d.stderr)
				}
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
			env := onboard.Env{Store: st, Config: cfg, Endpoints: ep, Logger: d.logger, Lang: d.lang}
			if len(problems) > 0 {
				if in.ClientSecret.IsZero() {
					in.ClientSecret = "x" // its absence is reported above
				}
				return errors.New(strings.Join(append(problems, env.ValidateApp(in, onboard.FlagLabels)...), "\n"))
			}
			added, err := env.AddApp(cmd.Context(), in, onboard.FlagLabels)
			if err != nil {
				return err
			}
			out := d.stdout
			fmt.Fprintln(out, addTexts.ok.In(d.lang, added.Token.TenantID))
			if added.UserErr != nil {
				fmt.Fprintln(out, addTexts.userUnchecked.In(d.lang, user, added.UserErr))
			} else {
				fmt.Fprintln(out, addTexts.user.In(d.lang, added.UserUPN, added.UserID))
			}
			added.Coverage.Write(out, d.lang)
			fmt.Fprintln(out, addTexts.saved.In(d.lang, added.Name, cfg.DataPath()))
			fmt.Fprintln(out, loginTexts.follow.In(d.lang))
			return nil
		},
	}
	configFlag(cmd, &cfgPath)
	fl := cmd.Flags()
	fl.StringVar(&tenant, "tenant", "", "the tenant's domain or id / 租户域名或 ID")
	fl.StringVar(&clientID, "client-id", "", "the app's Application (client) ID / 应用程序（客户端）ID")
	fl.StringVar(&secretEnv, "client-secret-env", "", "environment variable holding the client secret's value / 存放客户端密码的环境变量")
	fl.BoolVar(&fromStdin, "client-secret-stdin", false, "read the client secret's value from standard input / 从标准输入读取客户端密码")
	fl.StringVar(&user, "user", "", "the user (UPN or object id) whose mailbox and files to use / 使用其邮箱与文件的用户")
	fl.StringVar(&name, "name", "", "account name (default: from the tenant) / 账号名称")
	fl.StringVar(&expires, "secret-expires", "", "when the client secret expires, e.g. 2027-06-30 (e5renew warns before) / 客户端密码到期日")
	return cmd
}

func newAccountsRemoveCommand(d *deps) *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove an account added by login, accounts add or import / 删除由 login、accounts add 或 import 添加的账号",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, st, err := openState(cmd, d, cfgPath)
			if err != nil {
				return err
			}
			defer st.Close()
			a, ok := cfg.Account(args[0])
			switch {
			case !ok:
				return errors.New(addTexts.notManaged.In(d.lang, args[0]))
			case !a.Managed:
				return errors.New(addTexts.inFile.In(d.lang, a.Name, cfg.Path))
			}
			if err := onboard.Remove(cmd.Context(), st, a.Name, time.Now()); err != nil {
				return err
			}
			fmt.Fprintln(d.stdout, addTexts.removed.In(d.lang, a.Name))
			return nil
		},
	}
	configFlag(cmd, &cfgPath)
	return cmd
}

func isGUID(s string) bool { return onboard.IsGUID(s) }

func newAccountsCommand(d *deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "Show, pause and resume the accounts / 查看、暂停和恢复账号",
	}
	var (
		cfgPath string
		asJSON  bool
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List every account with its sign-in type, last round, verdict and next round / 列出所有账号及其登录方式、上一轮、结论与下一轮",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, st, _, err := openFleet(cmd, d, cfgPath)
			if err != nil {
				return err
			}
			defer st.Close()
			accts, err := st.Accounts(cmd.Context())
			if err != nil {
				return err
			}
			last, err := st.LastRounds(cmd.Context())
			if err != nil {
				return err
			}
			states, err := statesByName(cmd, st)
			if err != nil {
				return err
			}
			if asJSON {
				type row struct {
					store.Account
					LastRound *store.Round        `json:"lastRound,omitempty"`
					State     *store.AccountState `json:"state,omitempty"`
				}
				var rows []row
				for _, a := range accts {
					r := row{Account: a}
					if lr, ok := last[a.Name]; ok {
						r.LastRound = &lr
					}
					if s, ok := states[store.FoldName(a.Name)]; ok {
						r.State = &s
					}
					rows = append(rows, r)
				}
				enc := json.NewEncoder(d.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			report.Accounts(d.stdout, accts, last, states, time.Now(), d.lang)
			return nil
		},
	}
	configFlag(list, &cfgPath)
	list.Flags().BoolVar(&asJSON, "json", false, "machine-readable output / 输出 JSON")

	var reason string
	pause := &cobra.Command{
		Use:   "pause NAME",
		Short: "Stop running rounds for an account until you resume it / 暂停账号，直到手动恢复",
		Example: `  e5renew accounts pause alice --reason "moving to a new tenant"
  e5renew accounts resume alice`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, st, name, err := openAccount(cmd, d, cfgPath, args[0])
			if err != nil {
				return err
			}
			defer st.Close()
			if err := daemon.RequestPause(cmd.Context(), st, name, reason, time.Now()); err != nil {
				return err
			}
			fmt.Fprintln(d.stdout, acctTexts.paused.In(d.lang, name, name))
			fmt.Fprintln(d.stdout, acctTexts.follow.In(d.lang))
			return nil
		},
	}
	configFlag(pause, &cfgPath)
	pause.Flags().StringVar(&reason, "reason", "", "a note kept with the pause / 暂停原因")

	resume := &cobra.Command{
		Use:   "resume NAME",
		Short: "Run rounds for an account again (after fixing what paused it) / 恢复账号（处理完问题后）",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, st, name, err := openAccount(cmd, d, cfgPath, args[0])
			if err != nil {
				return err
			}
			defer st.Close()
			was, err := daemon.RequestResume(cmd.Context(), st, name, time.Now())
			if err != nil {
				return err
			}
			if was.Paused {
				fmt.Fprintln(d.stdout, acctTexts.resumed.In(d.lang, name))
			} else {
				fmt.Fprintln(d.stdout, acctTexts.wasNot.In(d.lang, name))
			}
			fmt.Fprintln(d.stdout, acctTexts.follow.In(d.lang))
			return nil
		},
	}
	configFlag(resume, &cfgPath)
	cmd.AddCommand(list, pause, resume, newAccountsAddCommand(d), newAccountsRemoveCommand(d))
	return cmd
}

// openAccount loads the configuration and its store and finds the named account (its
// configured spelling), whether in the file or added by e5renew; unknown names are an error
// listing the known ones.
func openAccount(cmd *cobra.Command, d *deps, cfgPath, name string) (*config.Config, store.Store, string, error) {
	cfg, st, err := openState(cmd, d, cfgPath)
	if err != nil {
		return nil, nil, "", err
	}
	a, ok := cfg.Account(name)
	if !ok {
		st.Close()
		var names []string
		for _, a := range cfg.Accounts {
			names = append(names, a.Name)
		}
		return nil, nil, "", fmt.Errorf("%s", acctTexts.unknown.In(d.lang, name, cfg.Path, strings.Join(names, ", ")))
	}
	return cfg, st, a.Name, nil
}

// openState loads the configuration, opens its store and adds the accounts e5renew added
// itself to the configuration's list.
func openState(cmd *cobra.Command, d *deps, cfgPath string) (*config.Config, store.Store, error) {
	cfg, err := loadConfig(d, cfgPath)
	if err != nil {
		return nil, nil, err
	}
	st, err := fleet.OpenStore(cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := fleet.MergeManaged(cmd.Context(), cfg, st); err != nil {
		st.Close()
		return nil, nil, err
	}
	return cfg, st, nil
}
