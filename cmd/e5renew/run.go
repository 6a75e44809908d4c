package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/report"
	"github.com/e5renew/e5renew/internal/round"
	"github.com/e5renew/e5renew/internal/store"
)

// exitNeedsOwner is the exit status of `run --once` when an account needs its owner.
const exitNeedsOwner = 2

func configFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "config", "c", "", "configuration file (default $E5RENEW_CONFIG or ./e5renew.yaml) / 配置文件")
}

func loadConfig(d *deps, flag string) (*config.Config, error) {
	return config.Load(resolveConfigPath(d, flag))
}

// resolveConfigPath is the --config flag, else $E5RENEW_CONFIG, else ./e5renew.yaml.
func resolveConfigPath(d *deps, flag string) string {
	if flag != "" {
		return flag
	}
	if v, ok := d.getenv("E5RENEW_CONFIG"); ok && v != "" {
		return v
	}
	return "e5renew.yaml"
}

// openFleet loads the configuration, opens its state store and builds its accounts; the
// caller closes the store.
func openFleet(cmd *cobra.Command, d *deps, cfgPath string) (*config.Config, store.Store, *fleet.Fleet, error) {
	cfg, err := loadConfig(d, cfgPath)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := fleet.OpenStore(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	f, err := fleet.New(cmd.Context(), fleet.Options{Config: cfg, Store: st, Getenv: d.getenv, Lang: d.lang, Logger: d.logger})
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return cfg, st, f, nil
}

func newRunCommand(d *deps) *cobra.Command {
	var (
		cfgPath               string
		once, asJSON, verbose bool
		accounts              []string
		concurrency           int
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run one round for every account now (cron, GitHub Actions) / 立即为每个账号运行一轮",
		Long: `Runs one round for every enabled account (or the --account ones): sign in, run the
always-run activities and a random subset of the others, delete what was created, and store
the results. The exit status is 0 when every round is ok or degraded, and 2 when an account
needs its owner (expired token, wrong secret, missing consent...).

立即为每个启用的账号（或 --account 指定的账号）运行一轮：登录、执行必运行活动与随机选取的活动、
删除创建的对象并保存结果。所有账号正常或部分失败时退出码为 0；有账号需要处理时为 2。`,
		Example: `  e5renew run --once --config e5renew.yaml
  e5renew run --once --account alice --verbose
  e5renew run --once --json > result.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !once {
				return fmt.Errorf("use --once: `e5renew run --once` runs one round for every account and exits (the daemon that keeps running comes with `e5renew serve`)")
			}
			_, st, f, err := openFleet(cmd, d, cfgPath)
			if err != nil {
				return err
			}
			defer st.Close()
			members, err := f.Members(accounts...)
			if err != nil {
				return err
			}
			var onDone func(*round.Result)
			if !asJSON {
				onDone = func(r *round.Result) { report.Round(d.stdout, r, verbose, d.lang) }
			}
			start := time.Now()
			results, err := f.RunOnce(cmd.Context(), members, concurrency, 0, onDone)
			if asJSON {
				enc := json.NewEncoder(d.stdout)
				enc.SetIndent("", "  ")
				if jerr := enc.Encode(results); jerr != nil {
					return jerr
				}
			} else {
				report.Summary(d.stdout, results, d.lang)
				fmt.Fprintf(d.stdout, "(%.1fs)\n", time.Since(start).Seconds())
			}
			if err != nil {
				return err
			}
			for _, r := range results {
				if r.Verdict == round.NeedsOwner {
					return exitCode(exitNeedsOwner)
				}
			}
			return nil
		},
	}
	configFlag(cmd, &cfgPath)
	cmd.Flags().BoolVar(&once, "once", false, "run one round for each account and exit / 运行一轮后退出")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON / 以 JSON 输出结果")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every activity / 显示每个活动")
	cmd.Flags().StringSliceVar(&accounts, "account", nil, "only these accounts / 仅这些账号")
	cmd.Flags().IntVar(&concurrency, "parallel", 16, "accounts run at the same time / 同时运行的账号数")
	return cmd
}
