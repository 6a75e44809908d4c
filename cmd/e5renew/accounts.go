package main

import (
	"encoding/json"
	"time"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/report"
	"github.com/e5renew/e5renew/internal/store"
)

func newAccountsCommand(d *deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "Show the accounts and their state / 查看账号及其状态",
	}
	var (
		cfgPath string
		asJSON  bool
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List every account with its sign-in type, last round and verdict / 列出所有账号及其登录方式、上一轮与结论",
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
			if asJSON {
				type row struct {
					store.Account
					LastRound *store.Round `json:"lastRound,omitempty"`
				}
				var rows []row
				for _, a := range accts {
					r := row{Account: a}
					if lr, ok := last[a.Name]; ok {
						r.LastRound = &lr
					}
					rows = append(rows, r)
				}
				enc := json.NewEncoder(d.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			report.Accounts(d.stdout, accts, last, time.Now(), d.lang)
			return nil
		},
	}
	configFlag(list, &cfgPath)
	list.Flags().BoolVar(&asJSON, "json", false, "machine-readable output / 输出 JSON")
	cmd.AddCommand(list)
	return cmd
}
