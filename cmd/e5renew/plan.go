package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/report"
	"github.com/e5renew/e5renew/internal/store"
)

var planTexts = struct {
	schedule, stored, sample, header, all i18n.Text
}{
	schedule: i18n.Text{EN: "%s: %s", ZH: "%s：%s"},
	stored:   i18n.Text{EN: "The first is the stored plan; the others are an example of what the schedule draws (each is drawn when the round before it starts).", ZH: "第一个是已保存的计划；其余为该时间表随机抽取的示例（实际每次在上一轮开始时抽取）。"},
	sample:   i18n.Text{EN: "Nothing is stored yet (the daemon has not run): an example of what the schedule draws.", ZH: "尚未保存计划（服务尚未运行）：以下为该时间表随机抽取的示例。"},
	header:   i18n.Text{EN: "#\tLOCAL TIME\tUTC\tIN", ZH: "#\t本地时间\tUTC\t距今"},
	all:      i18n.Text{EN: "ACCOUNT\tSCHEDULE\tNEXT ROUND", ZH: "账号\t时间表\t下一轮"},
}

func newPlanCommand(d *deps) *cobra.Command {
	var (
		cfgPath, account string
		next             int
		asJSON           bool
	)
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show when rounds will run / 查看计划的运行时间",
		Long: `Without --account, shows each account's schedule and next planned round. With --account,
shows that account's next rounds: the stored plan first (what the daemon will do), then an
example of what its schedule draws, in the account's time zone and in UTC.

不带 --account 时显示每个账号的时间表和下一轮；带 --account 时显示该账号接下来的若干轮：
第一个是已保存的计划，其余为时间表随机抽取的示例，以账号时区和 UTC 显示。`,
		Example: `  e5renew plan
  e5renew plan --account alice --next 20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, st, err := openState(cmd, d, cfgPath)
			if err != nil {
				return err
			}
			defer st.Close()
			now := time.Now()
			if account == "" {
				states, err := statesByName(cmd, st)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(d.stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, planTexts.all.In(d.lang))
				for i := range cfg.Accounts {
					a := &cfg.Accounts[i]
					spec, err := cfg.Spec(a)
					if err != nil {
						return fmt.Errorf("account %s: %w", a.Name, err)
					}
					next := "-"
					if s, ok := states[store.FoldName(a.Name)]; ok {
						next = report.NextRun(s, now, d.lang)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Name, spec, next)
				}
				return tw.Flush()
			}
			a, ok := cfg.Account(account)
			if !ok {
				_, _, _, err := openAccount(cmd, d, cfgPath, account) // says which accounts there are
				return err
			}
			name := a.Name
			spec, err := cfg.Spec(a)
			if err != nil {
				return fmt.Errorf("account %s: %w", name, err)
			}
			if next <= 0 || next > 1000 {
				return fmt.Errorf("--next must be between 1 and 1000, not %d", next)
			}
			state, stored, err := st.LoadState(cmd.Context(), name)
			if err != nil {
				return err
			}
			r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
			var times []time.Time
			if stored && state.NextRun.After(now) && !state.Paused {
				times = append([]time.Time{state.NextRun}, spec.Plan(state.NextRun, next-1, r)...)
			} else {
				times = spec.Plan(now, next, r)
			}
			if asJSON {
				enc := json.NewEncoder(d.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Account  string      `json:"account"`
					Schedule string      `json:"schedule"`
					Stored   bool        `json:"firstIsStored"`
					Paused   bool        `json:"paused"`
					Next     []time.Time `json:"next"`
				}{name, spec.String(), stored && state.NextRun.After(now) && !state.Paused, state.Paused, times})
			}
			fmt.Fprintln(d.stdout, planTexts.schedule.In(d.lang, name, spec))
			if state.Paused {
				fmt.Fprintln(d.stdout, report.NextRun(state, now, d.lang))
			}
			if stored && state.NextRun.After(now) && !state.Paused {
				fmt.Fprintln(d.stdout, planTexts.stored.In(d.lang))
			} else {
				fmt.Fprintln(d.stdout, planTexts.sample.In(d.lang))
			}
			tw := tabwriter.NewWriter(d.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, planTexts.header.In(d.lang))
			loc := spec.Location()
			for i, t := range times {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", i+1, t.In(loc).Format("2006-01-02 Mon 15:04:05 MST"),
					t.UTC().Format("01-02 15:04:05"), report.In(t.Sub(now), d.lang))
			}
			return tw.Flush()
		},
	}
	configFlag(cmd, &cfgPath)
	cmd.Flags().StringVar(&account, "account", "", "the account whose next rounds to show / 账号")
	cmd.Flags().IntVar(&next, "next", 10, "how many rounds to show / 显示的轮数")
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine-readable output / 输出 JSON")
	return cmd
}

func statesByName(cmd *cobra.Command, st store.Store) (map[string]store.AccountState, error) {
	list, err := st.States(cmd.Context())
	if err != nil {
		return nil, err
	}
	out := map[string]store.AccountState{}
	for _, s := range list {
		out[store.FoldName(s.Account)] = s
	}
	return out, nil
}
