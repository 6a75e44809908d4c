package ghrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/ghactions"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/report"
	"github.com/e5renew/e5renew/internal/round"
	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/service"
	"github.com/e5renew/e5renew/internal/store"
)

// Options configure a run.
type Options struct {
	// Getenv and Environ read the environment (os.LookupEnv, os.Environ()).
	Getenv  func(string) (string, bool)
	Environ []string
	// SettingsPath is an optional settings file (e5renew.yaml in the repository).
	SettingsPath string
	// StateDir holds the run's state store; default a new directory in RUNNER_TEMP (or
	// the system's temporary directory), removed at the end.
	StateDir string
	Out      io.Writer
	Lang     i18n.Lang
	Logger   *slog.Logger
	// HTTPClient is used for Microsoft, GitHub and notifications; nil: 60 s timeout.
	HTTPClient *http.Client
	// Graph and Auth tune the fleet (tests make retries instant).
	Graph graph.Options
	Auth  auth.Common
	// GitHub, when set, adjusts each GitHub client before use (tests: no waits).
	GitHub func(*ghactions.Client)
	// Accounts limits the run to these accounts; Concurrency bounds accounts at a time.
	Accounts    []string
	Concurrency int
	Verbose     bool
	// Sweep is how old an e5renew object must be before a round deletes it as a leftover
	// of an earlier run found by listing (the journal does not outlive a run); default
	// activity.SweepAge.
	Sweep time.Duration
}

// Problem is something only the owner can fix: the run turns red and says it.
type Problem struct {
	Account string // "" for the whole run (GH_TOKEN)
	Title   string
	Text    string
}

// Outcome is what a run did.
type Outcome struct {
	Results  []*round.Result
	Written  []Written
	Problems []Problem
	// Warnings did not need the owner (degraded rounds, a write-back GitHub refused for a
	// while, a keep-alive that failed).
	Warnings []string
}

// NeedsOwner reports whether the run should fail: an account or the write-back needs
// the owner.
func (o *Outcome) NeedsOwner() bool { return len(o.Problems) > 0 }

var texts = struct {
	mode, sources, channels, access, noAccess, written, writeFailed, writeLater, keptAlive, keepAliveFailed i18n.Text
	needsTitle, needsFix, writeTitle, writeFix, tokenTitle, summaryHead, summaryRow, notifyFailed, warned   i18n.Text
}{
	mode:            i18n.Text{EN: "GitHub Actions mode: %d accounts, state in a temporary directory (nothing is committed).", ZH: "GitHub Actions 模式：%d 个账号，状态保存在临时目录（不会提交任何内容）。"},
	sources:         i18n.Text{EN: "Read from: %s", ZH: "读取自：%s"},
	channels:        i18n.Text{EN: "Notifications from the secrets: %s", ZH: "来自 secrets 的通知通道：%s"},
	access:          i18n.Text{EN: "GitHub token: %s", ZH: "GitHub 令牌：%s"},
	noAccess:        i18n.Text{EN: "Rotated refresh tokens cannot be saved: %v", ZH: "无法保存轮换后的刷新令牌：%v"},
	written:         i18n.Text{EN: "Saved the rotated refresh token of %s to the secret %s.", ZH: "已将 %s 轮换后的刷新令牌保存到 secret %s。"},
	writeFailed:     i18n.Text{EN: "Could not save the rotated refresh token of %s: %v", ZH: "无法保存 %s 轮换后的刷新令牌：%v"},
	writeLater:      i18n.Text{EN: "The rotated refresh token of %s was not saved this time (%v); the secret's token still works and the next run tries again.", ZH: "本次未能保存 %s 轮换后的刷新令牌（%v）；secret 中的令牌仍然有效，下次运行会再试。"},
	keptAlive:       i18n.Text{EN: "Kept the workflow %s enabled (GitHub disables scheduled workflows after 60 days without repository activity).", ZH: "已保持工作流 %s 启用（仓库 60 天无活动时 GitHub 会停用定时工作流）。"},
	keepAliveFailed: i18n.Text{EN: "Could not keep the workflow enabled: %v. Give the workflow `permissions: actions: write`, or GH_TOKEN the Actions permission; otherwise re-enable it by hand if GitHub disables it after 60 days without activity.", ZH: "无法保持工作流启用：%v。请在工作流中设置 `permissions: actions: write`，或给 GH_TOKEN 加上 Actions 权限；否则仓库 60 天无活动后 GitHub 停用它时需要手动重新启用。"},
	needsTitle:      i18n.Text{EN: "e5renew: account %s needs you", ZH: "e5renew：账号 %s 需要你处理"},
	needsFix:        i18n.Text{EN: "Fix it in the repository's Settings → Secrets and variables → Actions (%s); the next scheduled run uses the new value.", ZH: "请在仓库的 Settings → Secrets and variables → Actions 中修改（%s）；下一次定时运行会使用新值。"},
	writeTitle:      i18n.Text{EN: "e5renew: rotated refresh tokens are not being saved", ZH: "e5renew：轮换后的刷新令牌无法保存"},
	writeFix:        i18n.Text{EN: "Until this is fixed, the tokens in the secrets (%s) are not renewed and expire about 90 days after you created them.", ZH: "修复之前，secret 中的令牌（%s）不会更新，会在创建约 90 天后过期。"},
	tokenTitle:      i18n.Text{EN: "e5renew: the GitHub token cannot save secrets", ZH: "e5renew：GitHub 令牌无法保存 secret"},
	summaryHead:     i18n.Text{EN: "| Account | Result | Activities | Note |\n|---|---|---|---|\n", ZH: "| 账号 | 结果 | 活动 | 说明 |\n|---|---|---|---|\n"},
	summaryRow:      i18n.Text{EN: "| %s | %s | %d ok, %d failed | %s |\n", ZH: "| %s | %s | %d 成功，%d 失败 | %s |\n"},
	notifyFailed:    i18n.Text{EN: "notification through %s failed: %v", ZH: "通过 %s 发送通知失败：%v"},
	warned:          i18n.Text{EN: "%s: degraded: %d activities failed (the account works; nothing for you to do unless it keeps happening)", ZH: "%s：部分失败：%d 个活动失败（账号可用；除非持续发生，否则无需处理）"},
}

// Run runs one round for every account of the secrets, writes rotated tokens back, keeps
// the workflow enabled, and tells the owner what needs them. An error means the run could
// not start (the secrets are not usable); the rounds' problems are in the Outcome.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	if o.Getenv == nil {
		o.Getenv = os.LookupEnv
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	env, err := LoadEnv(o.Getenv, o.Environ)
	if err != nil {
		return nil, err
	}
	gha := newAnnotator(env, o.Out)
	stateDir := o.StateDir
	if stateDir == "" {
		parent := env.Value("RUNNER_TEMP")
		if parent == "" {
			parent = os.TempDir()
		}
		if stateDir, err = os.MkdirTemp(parent, "e5renew-state-"); err != nil {
			return nil, fmt.Errorf("create the run's state directory: %w", err)
		}
		defer os.RemoveAll(stateDir)
	}
	plan, err := Build(env, o.SettingsPath, stateDir)
	if err != nil {
		return nil, err
	}
	cfg := plan.Config
	out := &Outcome{}
	fmt.Fprintln(o.Out, texts.mode.In(o.Lang, len(cfg.Accounts)))
	fmt.Fprintln(o.Out, texts.sources.In(o.Lang, strings.Join(plan.Sources, ", ")))
	if len(plan.Channels) > 0 {
		fmt.Fprintln(o.Out, texts.channels.In(o.Lang, strings.Join(plan.Channels, ", ")))
	}
	for _, w := range plan.Warnings {
		gha.warning("e5renew", w)
		out.Warnings = append(out.Warnings, w)
	}

	// The GitHub token is checked before any round, so a missing permission is named
	// at once; the rounds run anyway (they keep the subscription active).
	var gh *ghactions.Client
	var blocked error
	if len(plan.Targets) > 0 {
		gh, blocked = o.client(env, env.Value("GH_TOKEN"))
		if blocked == nil {
			access, err := gh.CheckAccess(ctx)
			switch {
			case err != nil:
				blocked = err
			default:
				fmt.Fprintln(o.Out, texts.access.In(o.Lang, access.Summary()))
			}
		}
		if blocked != nil {
			fmt.Fprintln(o.Out, texts.noAccess.In(o.Lang, blocked))
		}
	}

	st, err := fleet.OpenStore(cfg)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	f, err := fleet.New(ctx, fleet.Options{Config: cfg, Store: st, Getenv: env.Get, HTTPClient: o.HTTPClient, Logger: o.Logger,
		Lang: o.Lang, Graph: o.Graph, Auth: o.Auth})
	if err != nil {
		return nil, err
	}
	members, err := f.Members(o.Accounts...)
	if err != nil {
		return nil, err
	}
	// No journal outlives the run: each round first sweeps for what earlier runs left.
	sweep := o.Sweep
	if sweep == 0 {
		sweep = activity.SweepAge
	}
	for _, m := range members {
		m.Options.Sweep = sweep
	}
	wb := newWriteBack(plan, st, gh, blocked)
	saved := func(w Written) {
		fmt.Fprintln(o.Out, texts.written.In(o.Lang, w.Account, w.Secret))
		out.Written = append(out.Written, w)
	}
	results, err := f.RunOnce(ctx, members, o.Concurrency, 0, func(r *round.Result) {
		report.Round(o.Out, r, o.Verbose, o.Lang)
		// Written as soon as the round is over, so a run cut short (a timeout) has
		// saved what it could.
		if w, werr := wb.account(ctx, r.Account); w != nil {
			saved(*w)
		} else if werr != nil && !errors.Is(werr, blocked) {
			fmt.Fprintln(o.Out, texts.writeFailed.In(o.Lang, r.Account, werr))
		}
	})
	out.Results = results
	if err != nil {
		return out, err
	}
	for _, w := range wb.finish(ctx) {
		saved(w)
	}
	fmt.Fprintln(o.Out)
	report.Summary(o.Out, results, o.Lang)

	o.keepAlive(ctx, env, gha, out)
	o.problems(plan, results, wb, out)
	for _, r := range results {
		if r.Verdict == round.Degraded {
			_, failed, _ := r.Counts()
			w := texts.warned.In(o.Lang, r.Account, failed)
			gha.warning("e5renew", w)
			out.Warnings = append(out.Warnings, w)
		}
	}
	for _, p := range out.Problems {
		gha.error(p.Title, p.Text)
	}
	o.notifyOwner(ctx, cfg, st, out, gha)
	gha.summary(o.Lang, results, out)
	return out, nil
}

// client builds a GitHub client for the repository of the run.
func (o Options) client(env *Env, token string) (*ghactions.Client, error) {
	c, err := ghactions.FromEnv(env.Get, secret.String(token))
	if err != nil {
		return nil, err
	}
	c.HTTP, c.Logger = o.HTTPClient, o.Logger
	if o.GitHub != nil {
		o.GitHub(c)
	}
	return c, nil
}

// keepAlive enables the run's own workflow. GitHub disables a scheduled workflow after 60
// days without repository activity; enabling it through the API (PUT .../enable) counts
// as activity and needs no commit. It uses the workflow's GITHUB_TOKEN (which needs
// `permissions: actions: write`), else GH_TOKEN. A failure is a warning: the next run
// tries again, and the owner can re-enable by hand.
func (o Options) keepAlive(ctx context.Context, env *Env, gha *annotator, out *Outcome) {
	ref := env.Value("GITHUB_WORKFLOW_REF")
	if ref == "" {
		return // not in a workflow run (a local try of --github)
	}
	file, err := ghactions.WorkflowFileFromRef(ref)
	if err == nil {
		tok := env.Value("GITHUB_TOKEN")
		if tok == "" {
			tok = env.Value("GH_TOKEN")
		}
		var c *ghactions.Client
		if c, err = o.client(env, tok); err == nil {
			err = c.EnableWorkflow(ctx, file)
		}
	}
	if err != nil {
		w := texts.keepAliveFailed.In(o.Lang, err)
		fmt.Fprintln(o.Out, w)
		gha.warning("e5renew keep-alive", w)
		out.Warnings = append(out.Warnings, w)
		return
	}
	fmt.Fprintln(o.Out, texts.keptAlive.In(o.Lang, file))
}

// problems lists what needs the owner: accounts whose sign-in failed for good, and
// rotated tokens that cannot be saved for a reason only the owner can fix.
func (o Options) problems(plan *Plan, results []*round.Result, wb *writeBack, out *Outcome) {
	for _, r := range results {
		if r.Verdict != round.NeedsOwner {
			continue
		}
		secrets := accountSecrets(plan, r.Account)
		text := strings.TrimSpace(strings.TrimSpace(r.Code+" "+r.Message) + "\n" + texts.needsFix.In(o.Lang, secrets))
		out.Problems = append(out.Problems, Problem{Account: r.Account, Title: texts.needsTitle.In(o.Lang, r.Account), Text: text})
	}
	failures := wb.failures()
	var owner, later []string
	for a, err := range failures {
		if ownerMustAct(err) {
			owner = append(owner, a)
		} else {
			later = append(later, a)
		}
	}
	sort.Strings(owner)
	sort.Strings(later)
	for _, a := range later {
		w := texts.writeLater.In(o.Lang, a, failures[a])
		fmt.Fprintln(o.Out, w)
		out.Warnings = append(out.Warnings, w)
	}
	if len(owner) > 0 {
		var secrets []string
		for _, a := range owner {
			secrets = append(secrets, plan.Targets[a].Secret)
		}
		slices.Sort(secrets)
		secrets = slices.Compact(secrets)
		// The first account's error (they share one cause: the GitHub token).
		text := failures[owner[0]].Error() + "\n" + texts.writeFix.In(o.Lang, strings.Join(secrets, ", "))
		out.Problems = append(out.Problems, Problem{Title: texts.writeTitle.In(o.Lang), Text: text})
	}
}

// accountSecrets names the secrets an account is read from.
func accountSecrets(plan *Plan, account string) string {
	if t, ok := plan.Targets[account]; ok && t.Index >= 0 {
		return fmt.Sprintf("%s, account %q", SecretAccounts, account)
	}
	if strings.HasPrefix(account, "MS_TOKEN") {
		suffix := strings.TrimPrefix(account, "MS_TOKEN")
		return strings.Join([]string{"MS_TOKEN" + suffix, "CLIENT_ID" + suffix, "CLIENT_SECRET" + suffix}, ", ")
	}
	return account
}

// notifyOwner sends each problem through the configured channels (those the account
// lists, or all), and waits for the answers: the run ends right after. Problems are in
// the language of the notifications.
func (o Options) notifyOwner(ctx context.Context, cfg *config.Config, st store.Store, out *Outcome, gha *annotator) {
	if len(out.Problems) == 0 || len(cfg.Notifications.Channels) == 0 || !cfg.WantsEvent(string(notify.NeedsOwner)) {
		return
	}
	chans, err := service.Channels(cfg, o.HTTPClient)
	if err == nil {
		var mgr *notify.Manager
		if mgr, err = notify.NewManager(chans, notify.ManagerOptions{Recorder: service.Recorder{S: st}, Logger: o.Logger}); err == nil {
			for _, p := range out.Problems {
				var only []string
				for _, a := range cfg.Accounts {
					if p.Account != "" && a.Name == p.Account {
						only = a.Notify
					}
				}
				msg := notify.Message{Kind: notify.NeedsOwner, Title: p.Title, Text: p.Text, Account: p.Account, URL: gha.runURL()}
				res, serr := mgr.Send(ctx, msg, only)
				if serr != nil {
					err = serr
					break
				}
				for _, r := range res {
					if r.Err != nil {
						w := texts.notifyFailed.In(o.Lang, r.Channel, r.Err)
						fmt.Fprintln(o.Out, w)
						out.Warnings = append(out.Warnings, w)
					}
				}
			}
		}
	}
	if err != nil {
		w := texts.notifyFailed.In(o.Lang, "notifications", err)
		fmt.Fprintln(o.Out, w)
		out.Warnings = append(out.Warnings, w)
	}
}
