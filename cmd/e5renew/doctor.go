package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/doctor"
	"github.com/e5renew/e5renew/internal/fleet"
)

// Exit statuses of doctor.
const (
	exitDoctorWarn = 1
	exitDoctorFail = 2
)

func newDoctorCommand(d *deps) *cobra.Command {
	var (
		cfgPath  string
		accounts []string
		asJSON   bool
		warnDays int
	)
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check every account and say how to fix what is wrong / 检查每个账号并说明如何修复",
		Long: `For each account: can it sign in; which permissions it has against what the catalog needs;
does the user have a mailbox, OneDrive and OneNote; when does the client secret expire; what
Graph says of the E5 developer subscription (advisory). Each problem comes with its fix.
The exit status is 0 when all is well, 1 when something needs attention soon, 2 when an
account does not work.

检查每个账号：能否登录；已有权限与目录所需权限的对比；用户是否有邮箱、OneDrive 与 OneNote；
客户端密码何时到期；Graph 显示的 E5 开发者订阅状态（仅供参考）。每个问题都附带处理方法。
全部正常时退出码为 0，有需要尽快处理的问题时为 1，有账号无法工作时为 2。`,
		Example: `  e5renew doctor
  e5renew doctor --account alice --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, st, f, err := openFleet(cmd, d, cfgPath)
			if err != nil {
				return err
			}
			defer st.Close()
			members, err := f.Members(accounts...)
			if err != nil {
				return err
			}
			reports := make([]*doctor.Report, len(members))
			var wg sync.WaitGroup
			sem := make(chan struct{}, 8)
			now := time.Now()
			for i, m := range members {
				wg.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					reports[i] = doctor.Run(cmd.Context(), AccountOf(m), doctor.Options{Lang: d.lang, Now: now, WarnDays: warnDays})
				})
			}
			wg.Wait()
			if asJSON {
				b, err := doctor.JSON(reports)
				if err != nil {
					return err
				}
				fmt.Fprintln(d.stdout, string(b))
			} else {
				doctor.Write(d.stdout, reports, d.lang)
			}
			worst := doctor.OK
			for _, r := range reports {
				worst = max(worst, r.Worst())
			}
			switch worst {
			case doctor.Fail:
				return exitCode(exitDoctorFail)
			case doctor.Warn:
				return exitCode(exitDoctorWarn)
			}
			return nil
		},
	}
	configFlag(cmd, &cfgPath)
	cmd.Flags().StringSliceVar(&accounts, "account", nil, "only these accounts / 仅这些账号")
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine-readable output / 输出 JSON")
	cmd.Flags().IntVar(&warnDays, "warn-days", 30, "warn when a secret or the subscription's lifecycle date is closer than this / 提前多少天警告")
	return cmd
}

// AccountOf is what the doctor needs of a fleet member.
func AccountOf(m *fleet.Member) doctor.Account {
	return doctor.Account{Name: m.Config.Name, Type: m.Config.Type, Source: m.Account.Source, Graph: m.Account.Graph,
		User: m.Config.User, ClientID: m.Config.ClientID, ClientSecret: m.Config.ClientSecret, SecretExpires: m.Config.SecretExpires}
}
