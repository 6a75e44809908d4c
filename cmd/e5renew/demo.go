package main

import (
	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/demo"
)

func newDemoCommand(d *deps) *cobra.Command {
	var o demo.Options
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Watch e5renew work against an emulated Microsoft 365 tenant, no account needed / 使用内置模拟租户演示，无需账号",
		Long: `Starts an emulated Microsoft 365 tenant inside the process, creates accounts of every
sign-in type (two of them broken on purpose) and runs real rounds for them at short random
intervals, printing each round and what it cleaned up. The web dashboard is served too: open
the URL printed and sign in with the password printed beside it. Stop it with Ctrl+C, or give
--duration for a summary at the end.

在进程内启动模拟的 Microsoft 365 租户，创建各种登录方式的账号（其中两个故意配置错误），
以较短的随机间隔为它们运行真实的轮次，并打印每一轮及清理情况。同时提供仪表盘：
打开打印出的地址，用旁边打印的密码登录。按 Ctrl+C 停止，或使用 --duration 在结束时查看汇总。`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Out, o.Lang = d.stdout, d.lang
			return demo.Run(cmd.Context(), o)
		},
	}
	cmd.Flags().DurationVar(&o.Duration, "duration", 0, "stop after this long, e.g. 30s (default: until Ctrl+C) / 运行时长")
	cmd.Flags().IntVar(&o.Accounts, "accounts", 3, "working accounts to create / 创建的正常账号数")
	cmd.Flags().StringVar(&o.Addr, "addr", "127.0.0.1:0", "address of the emulated tenant / 模拟租户的监听地址")
	cmd.Flags().StringVar(&o.Listen, "listen", "", "address of the dashboard (default 127.0.0.1:8355, else a free port; off: none) / 仪表盘监听地址")
	cmd.Flags().StringVar(&o.Password, "password", "", "the dashboard's password (default: a new one, printed) / 仪表盘密码")
	cmd.Flags().StringVar(&o.DataDir, "data", "", "keep the state in this directory (default: a temporary one) / 状态目录")
	return cmd
}
