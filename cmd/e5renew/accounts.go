package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/daemon"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/report"
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
	cmd.AddCommand(list, pause, resume)
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
