package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/sandbox"
	"github.com/e5renew/e5renew/internal/schedule"
)

const configMarker = "Written by `e5renew emulator`"

var emuTexts = struct {
	serving, written, broken, stop, exists, ephemeral i18n.Text
}{
	serving: i18n.Text{EN: "Emulated Microsoft 365 tenant at %s", ZH: "模拟的 Microsoft 365 租户运行于 %s"},
	written: i18n.Text{EN: "Configuration for %d accounts written to %s:", ZH: "已将 %d 个账号的配置写入 %s："},
	broken:  i18n.Text{EN: "broken on purpose: %s", ZH: "故意配置错误：%s"},
	stop:    i18n.Text{EN: "Press Ctrl+C to stop.", ZH: "按 Ctrl+C 停止。"},
	exists: i18n.Text{EN: "%s exists and was not written by `e5renew emulator`; choose another file or pass --force",
		ZH: "%s 已存在且不是由 `e5renew emulator` 生成；请换一个文件名或使用 --force"},
	ephemeral: i18n.Text{EN: "Tokens in the file are valid while this emulator runs.", ZH: "文件中的令牌仅在本模拟器运行期间有效。"},
}

func newEmulatorCommand(d *deps) *cobra.Command {
	var (
		addr, writeConfig, seedFile, interval string
		accounts                              int
		force, broken                         bool
		opts                                  emulator.Options
		f                                     emulator.Faults
	)
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Serve an emulated Microsoft 365 tenant (identity platform + Graph) for tests and trials / 运行模拟的 Microsoft 365 租户",
		Long: `Serves the emulated Microsoft 365 tenant that e5renew's tests run against: the Microsoft
identity platform v2.0 (token, devicecode, authorize, adminconsent) and Microsoft Graph
(/v1.0, /beta) with seeded mailboxes, drives, notebooks, sites and teams. GET
/_emulator/stats reports requests, tokens, permission denials and live artifacts.

提供 e5renew 测试所用的模拟 Microsoft 365 租户：身份平台 v2.0 与 Microsoft Graph，
并带有预置数据。GET /_emulator/stats 返回请求、令牌、权限拒绝与残留对象的统计。`,
		Example: `  e5renew emulator --accounts 6 --write-config e5renew.yaml
  e5renew emulator --write-config e5renew.yaml --interval 5s-20s   # then: e5renew serve -c e5renew.yaml
  e5renew emulator --addr 127.0.0.1:8400 --latency 50ms --throttle-rate 0.1 --strict-rotation`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for name, r := range map[string]float64{"--throttle-rate": f.ThrottleRate, "--error-rate": f.ErrorRate, "--drop-rate": f.DropRate} {
				if r < 0 || r > 1 {
					return fmt.Errorf("%s must be between 0 and 1 (a fraction of requests), not %g", name, r)
				}
			}
			if interval != "" {
				if _, err := schedule.ParseInterval(interval); err != nil {
					return fmt.Errorf("--interval: %w", err)
				}
			}
			if writeConfig != "" && !force {
				if b, err := os.ReadFile(writeConfig); err == nil && !strings.Contains(string(b), configMarker) {
					return errors.New(emuTexts.exists.In(d.lang, writeConfig))
				} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
			opts.Faults = f
			em := emulator.New(opts)
			if seedFile != "" {
				s, err := emulator.LoadSeed(seedFile)
				if err != nil {
					return err
				}
				if err := em.ApplySeed(s); err != nil {
					return fmt.Errorf("seed file %s: %w", seedFile, err)
				}
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			base := "http://" + ln.Addr().String()
			cfg, infos, err := sandbox.Populate(em, sandbox.Options{Accounts: accounts, Broken: broken, Endpoint: base})
			if err != nil {
				ln.Close()
				return err
			}
			out := d.stdout
			fmt.Fprintln(out, emuTexts.serving.In(d.lang, base))
			fmt.Fprintf(out, "  token:      %s/{tenant}/oauth2/v2.0/token\n  devicecode: %s/{tenant}/oauth2/v2.0/devicecode (sign in at %s/devicelogin)\n  graph:      %s/v1.0\n  stats:      %s/_emulator/stats\n",
				base, base, base, base, base)
			fmt.Fprintf(out, "  faults:     latency %v, throttle %g, errors %g, drops %g, mailbox concurrency %d, strict rotation %v\n",
				f.Latency, f.ThrottleRate, f.ErrorRate, f.DropRate, f.MailboxConcurrency, opts.StrictRotation)
			if interval != "" {
				cfg.Defaults.Schedule.Interval = interval
			}
			if writeConfig != "" && len(cfg.Accounts) > 0 {
				header := configMarker + " at " + time.Now().Format(time.RFC3339) + " for " + base + ".\n" + emuTexts.ephemeral.In(i18n.EN) + "\n" + emuTexts.ephemeral.In(i18n.ZH)
				data, err := cfg.Marshal(header)
				if err != nil {
					ln.Close()
					return err
				}
				if err := auth.WriteFileAtomic(writeConfig, data, 0o600); err != nil {
					ln.Close()
					return err
				}
				fmt.Fprintln(out, emuTexts.written.In(d.lang, len(cfg.Accounts), writeConfig))
				fmt.Fprintln(out, "  "+emuTexts.ephemeral.In(d.lang))
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			for _, a := range infos {
				note := ""
				if a.Broken.EN != "" {
					note = emuTexts.broken.In(d.lang, a.Broken.In(d.lang))
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Name, a.Type, a.User, note)
			}
			tw.Flush()
			fmt.Fprintln(out, emuTexts.stop.In(d.lang))
			srv := &http.Server{Handler: em.Handler(), ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-cmd.Context().Done()
				_ = srv.Close()
			}()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8400", "listen address / 监听地址")
	fl.IntVar(&accounts, "accounts", 3, "accounts to create, cycling through refresh_token, client_credentials and password sign-in / 创建的账号数")
	fl.BoolVar(&broken, "broken", false, "also create two accounts that need their owner (expired secret, MFA) / 另外创建两个需要处理的账号")
	fl.StringVar(&writeConfig, "write-config", "", "write an e5renew configuration for the created accounts to this file / 将账号配置写入此文件")
	fl.StringVar(&interval, "interval", "", "schedule of the written accounts: a random interval such as 5s-20s (seconds are fine against the emulator) / 写入配置的运行间隔")
	fl.BoolVar(&force, "force", false, "overwrite --write-config even if another program wrote it / 强制覆盖")
	fl.StringVar(&seedFile, "seed", "", "YAML or JSON file with more tenants, users and apps to create (see the README) / 额外的租户、用户和应用")
	fl.DurationVar(&f.Latency, "latency", 0, "added latency per request, e.g. 50ms / 每个请求的附加延迟")
	fl.Float64Var(&f.ThrottleRate, "throttle-rate", 0, "fraction of Graph requests answered 429 with Retry-After / 返回 429 的比例")
	fl.Float64Var(&f.ErrorRate, "error-rate", 0, "fraction of Graph requests answered 503 or 504 / 返回 503/504 的比例")
	fl.Float64Var(&f.DropRate, "drop-rate", 0, "fraction of Graph requests whose connection is dropped / 断开连接的比例")
	fl.IntVar(&f.MailboxConcurrency, "mailbox-concurrency", 4, "Outlook's concurrent requests per mailbox before 429; 0 turns it off / 每个邮箱的并发上限")
	fl.DurationVar(&f.RetryAfterMax, "retry-after-max", 2*time.Second, "largest Retry-After sent with 429 and 503 / Retry-After 上限")
	fl.BoolVar(&opts.StrictRotation, "strict-rotation", false, "a refresh token dies once its successor is used: catches clients that do not persist rotated tokens / 严格轮换")
	fl.BoolVar(&opts.DeviceSlowDown, "device-slow-down", false, "answer slow_down to device-code polls faster than the interval / 设备代码轮询过快时返回 slow_down")
	return cmd
}
