// Package report renders rounds and accounts for people, in English or Chinese.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/round"
	"github.com/e5renew/e5renew/internal/store"
)

var texts = struct {
	ok, degraded, needsOwner, activities, swept, cleaned, pending, never, removed, disabled, header, summary i18n.Text
}{
	ok:         i18n.Text{EN: "ok", ZH: "正常"},
	degraded:   i18n.Text{EN: "degraded", ZH: "部分失败"},
	needsOwner: i18n.Text{EN: "needs the owner", ZH: "需要处理"},
	activities: i18n.Text{EN: "%d activities: %d ok, %d failed, %d skipped", ZH: "%d 个活动：%d 成功，%d 失败，%d 跳过"},
	swept:      i18n.Text{EN: "found %d left by earlier runs", ZH: "发现 %d 个之前运行遗留的对象"},
	cleaned:    i18n.Text{EN: "cleaned up %d", ZH: "已清理 %d"},
	pending:    i18n.Text{EN: "%d left for the next round", ZH: "%d 个留待下一轮"},
	never:      i18n.Text{EN: "never", ZH: "从未"},
	removed:    i18n.Text{EN: "removed from the configuration", ZH: "已从配置中移除"},
	disabled:   i18n.Text{EN: "disabled", ZH: "已停用"},
	header:     i18n.Text{EN: "ACCOUNT\tTYPE\tUSER\tLAST ROUND\tVERDICT\tNEXT ROUND\tDETAIL", ZH: "账号\t类型\t用户\t上一轮\t结论\t下一轮\t详情"},
	summary:    i18n.Text{EN: "%d accounts: %d ok, %d degraded, %d need the owner", ZH: "%d 个账号：%d 正常，%d 部分失败，%d 需要处理"},
}

// Verdict names a verdict in the language.
func Verdict(v string, lang i18n.Lang) string {
	switch v {
	case string(round.OK):
		return texts.ok.In(lang)
	case string(round.Degraded):
		return texts.degraded.In(lang)
	case string(round.NeedsOwner):
		return texts.needsOwner.In(lang)
	}
	return v
}

// Round writes one round: a summary line, and with verbose a line per activity (failed ones
// always).
func Round(w io.Writer, r *round.Result, verbose bool, lang i18n.Lang) {
	ok, failed, skipped := r.Counts()
	line := fmt.Sprintf("%-20s %-15s", r.Account, Verdict(string(r.Verdict), lang))
	switch r.Verdict {
	case round.NeedsOwner:
		line += " " + strings.TrimSpace(r.Code+" "+r.Message)
	default:
		sep := ", "
		if lang == i18n.ZH {
			sep = "，"
		}
		line += " " + texts.activities.In(lang, ok+failed+skipped, ok, failed, skipped)
		if r.Swept > 0 {
			line += sep + texts.swept.In(lang, r.Swept)
		}
		if r.Cleanup.Deleted > 0 {
			line += sep + texts.cleaned.In(lang, r.Cleanup.Deleted)
		}
		if r.Cleanup.Pending > 0 {
			line += sep + texts.pending.In(lang, r.Cleanup.Pending)
		}
		line += fmt.Sprintf("  %.1fs", r.Finished.Sub(r.Started).Seconds())
	}
	fmt.Fprintln(w, line)
	for _, a := range r.Activities {
		if !verbose && a.Outcome != round.Failed {
			continue
		}
		detail := ""
		switch a.Outcome {
		case round.Failed:
			detail = strings.TrimSpace(fmt.Sprintf("%s %s %s", statusText(a.Status), a.Code, a.Message))
		case round.Skipped:
			detail = a.Message
		}
		if a.RequestID != "" {
			detail = strings.TrimSpace(detail + "  request-id " + a.RequestID)
		}
		fmt.Fprintf(w, "    %-8s %-28s %5dms  %s\n", a.Outcome, a.Name, a.Duration.Milliseconds(), detail)
	}
}

func statusText(s int) string {
	if s == 0 {
		return ""
	}
	return fmt.Sprint(s)
}

// Summary writes the totals of a run.
func Summary(w io.Writer, rs []*round.Result, lang i18n.Lang) {
	var ok, deg, owner int
	for _, r := range rs {
		switch r.Verdict {
		case round.OK:
			ok++
		case round.Degraded:
			deg++
		case round.NeedsOwner:
			owner++
		}
	}
	fmt.Fprintln(w, texts.summary.In(lang, len(rs), ok, deg, owner))
}

// Accounts writes the account table: every stored account with its last round.
func Accounts(w io.Writer, accts []store.Account, last map[string]store.Round, states map[string]store.AccountState, now time.Time, lang i18n.Lang) {
	sort.Slice(accts, func(i, j int) bool { return strings.ToLower(accts[i].Name) < strings.ToLower(accts[j].Name) })
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, texts.header.In(lang))
	for _, a := range accts {
		when, verdict, detail := texts.never.In(lang), "-", ""
		if r, ok := last[a.Name]; ok {
			when = Ago(now.Sub(r.Started), lang)
			verdict = Verdict(r.Verdict, lang)
			detail = strings.TrimSpace(r.Code + " " + r.Message)
		}
		next := "-"
		if st, ok := states[store.FoldName(a.Name)]; ok {
			next = NextRun(st, now, lang)
		}
		switch {
		case !a.InConfig:
			detail = strings.TrimSpace(texts.removed.In(lang) + "; " + detail)
			next = "-"
		case !a.Enabled:
			detail = strings.TrimSpace(texts.disabled.In(lang) + "; " + detail)
			next = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, a.Type, a.User, when, verdict, next, strings.Trim(detail, "; "))
	}
	tw.Flush()
}

var stateTexts = struct {
	pausedOwner, pausedNeeds, retry, in, overdue i18n.Text
}{
	pausedOwner: i18n.Text{EN: "paused by you", ZH: "已手动暂停"},
	pausedNeeds: i18n.Text{EN: "paused: needs you", ZH: "已暂停：需要处理"},
	retry:       i18n.Text{EN: "paused: needs you (one more try %s)", ZH: "已暂停：需要处理（%s 再试一次）"},
	in:          i18n.Text{EN: "in %s (%s)", ZH: "%s后（%s）"},
	overdue:     i18n.Text{EN: "due (%s)", ZH: "待运行（%s）"},
}

// NextRun says when an account runs next, or why it does not.
func NextRun(st store.AccountState, now time.Time, lang i18n.Lang) string {
	switch {
	case st.Paused && st.PauseReason == store.PauseByOwner:
		return stateTexts.pausedOwner.In(lang)
	case st.Paused && !st.PauseUntil.IsZero():
		return stateTexts.retry.In(lang, st.PauseUntil.Local().Format("01-02 15:04"))
	case st.Paused:
		return stateTexts.pausedNeeds.In(lang)
	case st.NextRun.IsZero():
		return "-"
	case !st.NextRun.After(now):
		return stateTexts.overdue.In(lang, st.NextRun.Local().Format("15:04:05"))
	}
	return stateTexts.in.In(lang, In(st.NextRun.Sub(now), lang), st.NextRun.Local().Format("01-02 15:04:05"))
}

// In says a duration ahead roughly: "12 min", "3 h", "2 d".
func In(d time.Duration, lang i18n.Lang) string {
	switch {
	case d < time.Minute:
		return i18n.Text{EN: "%d s", ZH: "%d 秒"}.In(lang, int(d.Seconds()))
	case d < time.Hour:
		return i18n.Text{EN: "%d min", ZH: "%d 分钟"}.In(lang, int(d.Minutes()))
	case d < 48*time.Hour:
		return i18n.Text{EN: "%d h", ZH: "%d 小时"}.In(lang, int(d.Hours()))
	}
	return i18n.Text{EN: "%d d", ZH: "%d 天"}.In(lang, int(d.Hours()/24))
}

// Ago says how long ago, roughly.
func Ago(d time.Duration, lang i18n.Lang) string {
	var n int
	var en, zh string
	switch {
	case d < time.Minute:
		return i18n.Text{EN: "just now", ZH: "刚刚"}.In(lang)
	case d < time.Hour:
		n, en, zh = int(d.Minutes()), "min", "分钟"
	case d < 48*time.Hour:
		n, en, zh = int(d.Hours()), "h", "小时"
	default:
		n, en, zh = int(d.Hours()/24), "d", "天"
	}
	return i18n.Text{EN: "%d %s ago", ZH: "%d %s前"}.In(lang, n, map[i18n.Lang]string{i18n.EN: en, i18n.ZH: zh}[lang])
}
