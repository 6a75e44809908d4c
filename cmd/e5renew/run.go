package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/ghrun"
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
		github                bool
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

In GitHub Actions (GITHUB_ACTIONS=true, or --github) the accounts come from the repository
secrets (MS_TOKEN, CLIENT_ID, CLIENT_SECRET and numbered ones, or E5RENEW_ACCOUNTS), the
rotated refresh tokens are written back to them with GH_TOKEN, and the workflow is kept
enabled; the configuration file, when there is one, gives settings only.

立即为每个启用的账号（或 --account 指定的账号）运行一轮：登录、执行必运行活动与随机选取的活动、
删除创建的对象并保存结果。所有账号正常或部分失败时退出码为 0；有账号需要处理时为 2。

在 GitHub Actions 中（GITHUB_ACTIONS=true 或 --github），账号来自仓库 secrets（MS_TOKEN、CLIENT_ID、
CLIENT_SECRET 及带编号的同名 secret，或 E5RENEW_ACCOUNTS），轮换后的刷新令牌通过 GH_TOKEN 写回，
并保持工作流启用；若有配置文件，只用其中的设置。`,
		Example: `  e5renew run --once --config e5renew.yaml
  e5renew run --once --account alice --verbose
  e5renew run --once --json > result.json
  e5renew run --once --github    # in a workflow; see .github/workflows/e5renew.yml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !once {
				return fmt.Errorf("use --once: `e5renew run --once` runs one round for every account and exits (the daemon that keeps running comes with `e5renew serve`)")
			}
			if !cmd.Flags().Changed("github") {
				v, _ := d.getenv("GITHUB_ACTIONS")
				github = v == "true"
			}
			if github {
				if asJSON {
					return fmt.Errorf("--json is not available in GitHub Actions mode: the run's page shows the results (add --github=false for a plain run)")
				}
				return runGitHub(cmd, d, cfgPath, accounts, concurrency, verbose)
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
	cmd.Flags().BoolVar(&github, "github", false, "GitHub Actions mode: accounts from repository secrets, rotated tokens written back (default on when GITHUB_ACTIONS=true) / GitHub Actions 模式")
	return cmd
}

// runGitHub is `run --once` in GitHub Actions mode: the accounts come from the
// repository secrets, the configuration file (when there is one) gives settings only, and
// the state lives for the run.
func runGitHub(cmd *cobra.Command, d *deps, cfgPath string, accounts []string, concurrency int, verbose bool) error {
	var environ []string
	if d.environ != nil {
		environ = d.environ()
	}
	o := ghrun.Options{Getenv: d.getenv, Environ: environ, SettingsPath: resolveConfigPath(d, cfgPath), Out: d.stdout, Lang: d.lang,
		Logger: d.logger, Accounts: accounts, Concurrency: concurrency, Verbose: verbose}
	if d.tuneGitHub != nil {
		d.tuneGitHub(&o)
	}
	out, err := ghrun.Run(cmd.Context(), o)
	if err != nil {
		return err
	}
	if out.NeedsOwner() {
		return exitCode(exitNeedsOwner)
	}
	return nil
}
