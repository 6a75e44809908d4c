// Package demo runs e5renew against an emulated Microsoft 365 tenant built into the binary,
// so anyone can watch it work without an account: real rounds, a real state store, the
// real sign-in and Graph code.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/report"
	"github.com/e5renew/e5renew/internal/round"
	"github.com/e5renew/e5renew/internal/sandbox"
	"github.com/e5renew/e5renew/internal/schedule"
	"github.com/e5renew/e5renew/internal/service"
	"github.com/e5renew/e5renew/internal/store"
	"github.com/e5renew/e5renew/internal/web"
)

// Options configure a demo run.
type Options struct {
	Addr     string        // where the emulated tenant listens; default 127.0.0.1:0
	Accounts int           // working accounts (default 3), plus two broken ones
	Duration time.Duration // 0: until the context ends
	Out      io.Writer
	Lang     i18n.Lang
	// Interval is the accounts' schedule (default "3s-10s": a demo should move).
	Interval string
	// Listen is the address of the dashboard, /healthz and /metrics (default 127.0.0.1:8355,
	// or a free port when that one is taken; "off": none).
	Listen string
	// Password is the dashboard's (default: a new one, printed).
	Password string
	// Ready, when set, is called with the dashboard's URL once it listens.
	Ready func(url string)
	// DataDir keeps the state; empty: a temporary directory removed at the end.
	DataDir string
}

var texts = struct {
	banner, accounts, data, round, paused, summary, header, emu, clean, next, listen, dashboard, tryAdd i18n.Text
}{
	dashboard: i18n.Text{EN: "Dashboard: %s  (password: %s)", ZH: "仪表盘：%s （密码：%s）"},
	tryAdd: i18n.Text{EN: "To add an account from the dashboard (Add account → device code), sign in to the emulated tenant as %s with the password %s.",
		ZH: "在仪表盘中添加账号（添加账号 → 设备代码）时，请以 %s 登录模拟租户，密码为 %s。"},
	next:     i18n.Text{EN: "next: %s", ZH: "下一轮：%s"},
	listen:   i18n.Text{EN: "The real daemon is running: http://%s/healthz and http://%s/metrics", ZH: "真实的服务进程正在运行：http://%s/healthz 与 http://%s/metrics"},
	banner:   i18n.Text{EN: "e5renew demo: an emulated Microsoft 365 tenant is running at %s", ZH: "e5renew 演示：模拟的 Microsoft 365 租户运行于 %s"},
	accounts: i18n.Text{EN: "Accounts (two are broken on purpose, to show what happens):", ZH: "账号（其中两个故意配置错误，用于展示错误处理）："},
	data:     i18n.Text{EN: "State (encrypted tokens, rounds, cleanup journal): %s", ZH: "状态（加密的令牌、每轮结果、清理日志）：%s"},
	round:    i18n.Text{EN: "round %d", ZH: "第 %d 轮"},
	paused:   i18n.Text{EN: "%s is paused: it needs its owner, and signing in again and again could lock the account. It runs again when its credentials change, or after Resume on its page in the dashboard (or `e5renew accounts resume`).", ZH: "%s 已暂停：需要账号所有者处理，反复登录可能导致账号被锁定。凭据更新后，或在仪表盘中该账号页面点击“恢复”（或执行 `e5renew accounts resume`）后会再次运行。"},
	summary:  i18n.Text{EN: "Summary after %s", ZH: "运行 %s 后的汇总"},
	header:   i18n.Text{EN: "ACCOUNT\tROUNDS\tOK\tDEGRADED\tNEEDS OWNER\tACTIVITIES RUN", ZH: "账号\t轮数\t正常\t部分失败\t需要处理\t执行的活动"},
	emu:      i18n.Text{EN: "Emulated tenant: %d Graph requests, %d injected faults handled, %d objects left behind.", ZH: "模拟租户：%d 个 Graph 请求，处理了 %d 次注入的故障，遗留对象 %d 个。"},
	clean:    i18n.Text{EN: "Everything e5renew created was deleted again.", ZH: "e5renew 创建的所有对象均已删除。"},
}

type tally struct {
	rounds, ok, degraded, owner, activities int
}

// Run serves the emulated tenant, creates the accounts and runs rounds for each of them at
// short random intervals, printing each round, until ctx ends or the duration passes.
func Run(ctx context.Context, o Options) error {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Accounts <= 0 {
		o.Accounts = 3
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Interval == "" {
		o.Interval = "3s-10s"
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
		// The address `serve` uses, so the dashboard's URL is the same each time, unless
		// something (a running serve) has it.
		if ln, err := net.Listen("tcp", config.DefaultListen); err == nil {
			ln.Close()
			o.Listen = config.DefaultListen
		}
	}
	if o.Password == "" {
		o.Password = web.NewPassword()
	}
	started := time.Now()
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	em := emulator.New(emulator.Options{Faults: emulator.Faults{Latency: 15 * time.Millisecond, ThrottleRate: 0.03, ErrorRate: 0.01,
		MailboxConcurrency: 4, RetryAfterMax: 500 * time.Millisecond}})
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("start the emulated tenant: %w", err)
	}
	srv := &http.Server{Handler: em.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	dataDir := o.DataDir
	if dataDir == "" {
		dataDir, err = os.MkdirTemp("", "e5renew-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dataDir)
	}
	cfg, infos, err := sandbox.Populate(em, sandbox.Options{Accounts: o.Accounts, Broken: true, Endpoint: base})
	if err != nil {
		return err
	}
	cfg.Path = filepath.Join(dataDir, "e5renew.yaml")
	cfg.DataDir = dataDir
	cfg.Defaults.Activities.Random = "3-7"
	cfg.Defaults.Schedule = schedule.Config{Interval: o.Interval}
	// The daemon reloads its configuration from the file when accounts are added or
	// removed (from the dashboard, or by another e5renew command): without the file, an
	// account added in the dashboard would be saved but never run nor shown.
	data, err := cfg.Marshal("e5renew demo: the configuration of the emulated tenant's accounts (ephemeral).")
	if err != nil {
		return err
	}
	if err := auth.WriteFileAtomic(cfg.Path, data, 0o600); err != nil {
		return err
	}

	fmt.Fprintln(o.Out, texts.banner.In(o.Lang, base))
	fmt.Fprintln(o.Out, texts.accounts.In(o.Lang))
	tw := tabwriter.NewWriter(o.Out, 2, 4, 2, ' ', 0)
	for _, a := range infos {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Name, a.Type, a.User, a.Broken.In(o.Lang))
	}
	tw.Flush()
	fmt.Fprintln(o.Out, texts.data.In(o.Lang, dataDir))
	for _, a := range infos {
		if a.Type == "refresh_token" && a.Broken.EN == "" {
			fmt.Fprintln(o.Out, texts.tryAdd.In(o.Lang, "megan.bowen@"+a.Tenant, a.Password))
			break
		}
	}

	var mu sync.Mutex // serialises output and tallies
	tallies := map[string]*tally{}
	for _, a := range cfg.Accounts {
		tallies[a.Name] = &tally{}
	}
	onRound := func(r *round.Result, st store.AccountState, interrupted bool) {
		if interrupted {
			return // cut short by the end of the demo: not worth reporting
		}
		mu.Lock()
		defer mu.Unlock()
		t := tallies[r.Account]
		if t == nil {
			return
		}
		t.rounds++
		t.activities += len(r.Activities) - 1
		switch r.Verdict {
		case round.OK:
			t.ok++
		case round.Degraded:
			t.degraded++
		case round.NeedsOwner:
			t.owner++
		}
		fmt.Fprintf(o.Out, "%s  %s · %s · %s\n", time.Now().Format("15:04:05"), r.Account, texts.round.In(o.Lang, t.rounds),
			texts.next.In(o.Lang, report.NextRun(st, time.Now(), o.Lang)))
		report.Round(o.Out, r, true, o.Lang)
		if r.Verdict == round.NeedsOwner {
			fmt.Fprintln(o.Out, "    "+texts.paused.In(o.Lang, r.Account))
		}
	}
	log := slog.New(slog.DiscardHandler)
	err = service.Run(ctx, service.Options{Config: cfg, Listen: o.Listen, Logger: log, Lang: o.Lang, Version: "demo",
		Getenv: func(string) (string, bool) { return "", false }, OnRound: onRound, AdminPassword: o.Password,
		Ready: func(addr string) {
			if addr != "" {
				mu.Lock()
				url := service.DashboardURL(cfg, addr)
				fmt.Fprintln(o.Out, texts.listen.In(o.Lang, addr, addr))
				fmt.Fprintln(o.Out, texts.dashboard.In(o.Lang, url, o.Password))
				fmt.Fprintln(o.Out)
				mu.Unlock()
				if o.Ready != nil {
					o.Ready(url)
				}
			}
		}})
	if err != nil {
		return err
	}

	fmt.Fprintf(o.Out, "\n%s\n", texts.summary.In(o.Lang, time.Since(started).Round(time.Second)))
	tw = tabwriter.NewWriter(o.Out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  "+texts.header.In(o.Lang))
	for _, a := range cfg.Accounts {
		t := tallies[a.Name]
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\n", a.Name, t.rounds, t.ok, t.degraded, t.owner, t.activities)
	}
	tw.Flush()
	es := em.Stats()
	var faults int64
	for _, n := range es.Faults {
		faults += n
	}
	var reqs int64
	for _, n := range es.Requests {
		reqs += n
	}
	fmt.Fprintln(o.Out, texts.emu.In(o.Lang, reqs, faults, es.LiveArtifactsTotal))
	if es.LiveArtifactsTotal == 0 {
		fmt.Fprintln(o.Out, texts.clean.In(o.Lang))
	}
	return nil
}
