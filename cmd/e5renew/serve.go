package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/service"
)

func newServeCommand(d *deps) *cobra.Command {
	var cfgPath, listen, logFormat, logLevel string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run as a service: every account on its own schedule, paused when it needs you / 作为服务运行",
		Long: `Runs every enabled account on its own irregular schedule until stopped: rounds at random
intervals inside the working hours, an account that needs its owner paused (and its owner
told), passing failures backed off, activities that keep failing demoted. GET /healthz and
GET /metrics (Prometheus) and the web dashboard are served on --listen (127.0.0.1:8355 by
default); the dashboard's password is generated on the first start and printed once, or set
with "e5renew admin set-password".

SIGHUP reloads the configuration without stopping rounds in flight; SIGINT or SIGTERM stops
gracefully (rounds clean up, state is saved); a second signal exits at once.

作为服务运行：每个账号按各自不规则的时间表在工作时段内运行；需要处理的账号会暂停并通知所有者；
临时故障按指数退避重试；持续失败的活动会被降级。--listen（默认 127.0.0.1:8355）提供
/healthz、/metrics（Prometheus）与仪表盘；仪表盘密码在首次启动时生成并只显示一次，
或用 "e5renew admin set-password" 设置。SIGHUP 重新加载配置；SIGINT/SIGTERM 优雅停止，
再次发送信号立即退出。`,
		Example: `  e5renew serve --config e5renew.yaml
  e5renew serve --config e5renew.yaml --listen 127.0.0.1:9000 --log-format json
  kill -HUP $(pidof e5renew)    # reload the configuration / 重新加载配置`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(d, cfgPath)
			if err != nil {
				return err
			}
			set := cfg.DaemonSettings()
			log, err := service.NewLogger(d.stderr, firstNonEmpty(logFormat, set.LogFormat), firstNonEmpty(logLevel, set.LogLevel))
			if err != nil {
				return err
			}
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			reload := make(chan struct{}, 1)
			go func() {
				for range hup {
					select {
					case reload <- struct{}{}:
					default:
					}
				}
			}()
			return service.Run(cmd.Context(), service.Options{Config: cfg, Listen: listen, Logger: log, Getenv: d.getenv,
				Lang: d.lang, Version: version, Reload: reload,
				OnPassword: func(pw string) { fmt.Fprintln(d.stderr, passwordTexts.In(d.lang, pw)) }})
		},
	}
	configFlag(cmd, &cfgPath)
	cmd.Flags().StringVar(&listen, "listen", "", "address of the dashboard, /healthz and /metrics (default daemon.listen, else 127.0.0.1:8355; off: none) / 监听地址")
	cmd.Flags().StringVar(&logFormat, "log-format", "", "text or json (default daemon.log_format, else text) / 日志格式")
	cmd.Flags().StringVar(&logLevel, "log-level", "", "debug, info, warn or error (default daemon.log_level, else info) / 日志级别")
	return cmd
}

// passwordTexts show the dashboard password generated on the first start: the only time it
// is shown (the logger never sees it).
var passwordTexts = i18n.Text{
	EN: "\n  Dashboard password (shown this once; only its hash is kept): %s\n  Change it with `e5renew admin set-password`.\n",
	ZH: "\n  仪表盘密码（仅显示这一次，只保存其哈希）：%s\n  可用 `e5renew admin set-password` 修改。\n",
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
