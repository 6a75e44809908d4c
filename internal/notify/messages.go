package notify

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/i18n"
)

// The messages e5renew sends, in both languages. Callers pass texts that are already in
// the owner's language (an auth error's Message) and never a secret.

var texts = struct {
	needsTitle, needsCode, needsPaused, needsRetry, needsResume   i18n.Text
	recoveredTitle, recoveredText, recoveredAfter                 i18n.Text
	degradingTitle, degradingText, degradingItem                  i18n.Text
	startedTitle, startedText, stoppedTitle, stoppedText          i18n.Text
	digestTitle, digestCounts, digestRounds, digestProblem, digOK i18n.Text
	testTitle, testText                                           i18n.Text
	secretTitle, secretText, subTitle, subText                    i18n.Text
}{
	secretTitle: i18n.Text{EN: "e5renew: the client secret of %s expires in %d days", ZH: "e5renew：%s 的客户端密码将在 %d 天后过期"},
	secretText:  i18n.Text{EN: "It expires on %s; sign-ins stop then. Create a new secret (e5renew setup, or Certificates & secrets in the portal) and put its value in the configuration.", ZH: "将于 %s 过期，届时将无法登录。请新建客户端密码（e5renew setup，或门户中的“证书和密码”）并把其值填入配置。"},
	subTitle:    i18n.Text{EN: "e5renew: the E5 subscription of %s reaches its lifecycle date in %d days", ZH: "e5renew：%s 的 E5 订阅将在 %d 天后到达生命周期日期"},
	subText:     i18n.Text{EN: "Graph says %s, status %s. This is advisory: check the Microsoft 365 Developer Program dashboard, which is authoritative (https://developer.microsoft.com/microsoft-365/profile).", ZH: "Graph 显示 %s，状态 %s。仅供参考：请以 Microsoft 365 开发者计划仪表盘为准（https://developer.microsoft.com/microsoft-365/profile）。"},
	needsTitle:  i18n.Text{EN: "e5renew: account %s needs you", ZH: "e5renew：账号 %s 需要你处理"},
	needsCode:   i18n.Text{EN: "Sign-in failed (%s).", ZH: "登录失败（%s）。"},
	needsPaused: i18n.Text{EN: "Its rounds are paused so that repeated sign-ins cannot lock the account; they resume by themselves when the credentials in the configuration change.", ZH: "为避免反复登录导致账号被锁定，该账号已暂停；配置中的凭据更新后会自动恢复。"},
	needsRetry:  i18n.Text{EN: "One more try is planned at %s.", ZH: "将在 %s 再尝试一次。"},
	needsResume: i18n.Text{EN: "After fixing it: e5renew accounts resume %s", ZH: "处理后可执行：e5renew accounts resume %s"},

	recoveredTitle: i18n.Text{EN: "e5renew: account %s works again", ZH: "e5renew：账号 %s 已恢复正常"},
	recoveredText:  i18n.Text{EN: "The last round succeeded; rounds continue on schedule.", ZH: "最近一轮调用成功，将按计划继续运行。"},
	recoveredAfter: i18n.Text{EN: "It had a problem for %s.", ZH: "此前异常持续了 %s。"},

	degradingTitle: i18n.Text{EN: "e5renew: account %s keeps failing partly", ZH: "e5renew：账号 %s 持续部分失败"},
	degradingText:  i18n.Text{EN: "The last %d rounds had failures (sign-in works). Failing:", ZH: "最近 %d 轮都有失败（登录正常）。失败的活动："},
	degradingItem:  i18n.Text{EN: "- %s: %s", ZH: "- %s：%s"},

	startedTitle: i18n.Text{EN: "e5renew started", ZH: "e5renew 已启动"},
	startedText:  i18n.Text{EN: "Version %s keeps %d accounts active on %s.", ZH: "版本 %s 正在保持 %d 个账号活跃（主机 %s）。"},
	stoppedTitle: i18n.Text{EN: "e5renew stopped", ZH: "e5renew 已停止"},
	stoppedText:  i18n.Text{EN: "%s. No rounds run until it starts again.", ZH: "%s。在重新启动之前不会运行任何调用。"},

	digestTitle:   i18n.Text{EN: "e5renew daily digest", ZH: "e5renew 每日摘要"},
	digestCounts:  i18n.Text{EN: "%d accounts: %d healthy, %d degraded, %d paused.", ZH: "共 %d 个账号：%d 个正常，%d 个部分失败，%d 个已暂停。"},
	digestRounds:  i18n.Text{EN: "Last 24 hours: %d rounds, %d API calls, %d with failures.", ZH: "最近 24 小时：%d 轮，%d 次 API 调用，%d 轮有失败。"},
	digestProblem: i18n.Text{EN: "- %s: %s", ZH: "- %s：%s"},
	digOK:         i18n.Text{EN: "Nothing needs you.", ZH: "没有需要你处理的事项。"},

	testTitle: i18n.Text{EN: "e5renew test message", ZH: "e5renew 测试消息"},
	testText:  i18n.Text{EN: "If you read this, channel %s works. 中文显示正常。", ZH: "看到这条消息说明通道 %s 可用。English text shows too."},
}

// NeedsOwnerMsg says an account stopped and what to do; code is the AADSTS code (or the
// OAuth error), what the localized explanation and remedy, retryAt the next automatic
// try (zero: none).
func NeedsOwnerMsg(lang i18n.Lang, account, code, what string, retryAt time.Time, loc *time.Location) Message {
	var b strings.Builder
	if code != "" {
		b.WriteString(texts.needsCode.In(lang, code) + "\n")
	}
	b.WriteString(what + "\n\n")
	b.WriteString(texts.needsPaused.In(lang))
	if !retryAt.IsZero() {
		b.WriteString(" " + texts.needsRetry.In(lang, stamp(retryAt, loc)))
	}
	b.WriteString("\n" + texts.needsResume.In(lang, account))
	return Message{Kind: NeedsOwner, Title: texts.needsTitle.In(lang, account), Text: b.String(), Account: account}
}

// RecoveredMsg says an account works again after a problem that lasted for.
func RecoveredMsg(lang i18n.Lang, account string, lasted time.Duration) Message {
	text := texts.recoveredText.In(lang)
	if lasted > 0 {
		text += " " + texts.recoveredAfter.In(lang, Human(lang, lasted))
	}
	return Message{Kind: Recovered, Title: texts.recoveredTitle.In(lang, account), Text: text, Account: account}
}

// Failing is one activity that keeps failing.
type Failing struct {
	Activity string
	Problem  string // "403 Forbidden", "timeout"...
}

// DegradingMsg says an account's last rounds kept failing partly.
func DegradingMsg(lang i18n.Lang, account string, rounds int, failing []Failing) Message {
	var b strings.Builder
	b.WriteString(texts.degradingText.In(lang, rounds))
	for i, f := range failing {
		if i == 10 {
			fmt.Fprintf(&b, "\n… (+%d)", len(failing)-i)
			break
		}
		b.WriteString("\n" + texts.degradingItem.In(lang, f.Activity, f.Problem))
	}
	return Message{Kind: Degrading, Title: texts.degradingTitle.In(lang, account), Text: b.String(), Account: account}
}

// StartedMsg says the daemon started.
func StartedMsg(lang i18n.Lang, version string, accounts int, host string) Message {
	return Message{Kind: Started, Title: texts.startedTitle.In(lang), Text: texts.startedText.In(lang, version, accounts, host)}
}

// StoppedMsg says the daemon stopped and why ("received SIGTERM").
func StoppedMsg(lang i18n.Lang, why string) Message {
	return Message{Kind: Stopped, Title: texts.stoppedTitle.In(lang), Text: texts.stoppedText.In(lang, why)}
}

// DigestData is what the daily digest sums up.
type DigestData struct {
	Accounts, Healthy, Degraded, Paused int
	Rounds, Calls, FailedRounds         int
	// Problems maps an account to what is wrong with it.
	Problems map[string]string
}

// DigestMsg is the daily summary.
func DigestMsg(lang i18n.Lang, d DigestData) Message {
	var b strings.Builder
	b.WriteString(texts.digestCounts.In(lang, d.Accounts, d.Healthy, d.Degraded, d.Paused) + "\n")
	b.WriteString(texts.digestRounds.In(lang, d.Rounds, d.Calls, d.FailedRounds))
	if len(d.Problems) == 0 {
		b.WriteString("\n" + texts.digOK.In(lang))
	}
	names := make([]string, 0, len(d.Problems))
	for n := range d.Problems {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		if i == 20 {
			fmt.Fprintf(&b, "\n… (+%d)", len(names)-i)
			break
		}
		b.WriteString("\n" + texts.digestProblem.In(lang, n, d.Problems[n]))
	}
	return Message{Kind: Digest, Title: texts.digestTitle.In(lang), Text: b.String()}
}

// SecretExpiringMsg warns that an account's client secret expires on date.
func SecretExpiringMsg(lang i18n.Lang, account string, date time.Time, days int) Message {
	return Message{Kind: Expiring, Title: texts.secretTitle.In(lang, account, days),
		Text: texts.secretText.In(lang, date.UTC().Format("2006-01-02")), Account: account}
}

// SubscriptionExpiringMsg warns that the E5 subscription's next lifecycle date is near.
func SubscriptionExpiringMsg(lang i18n.Lang, account string, date time.Time, status string, days int) Message {
	return Message{Kind: Expiring, Title: texts.subTitle.In(lang, account, days),
		Text: texts.subText.In(lang, date.UTC().Format("2006-01-02"), status), Account: account}
}

// TestMsg is what `e5renew notify test` sends through channel.
func TestMsg(lang i18n.Lang, channel string) Message {
	return Message{Kind: Test, Title: texts.testTitle.In(lang), Text: texts.testText.In(lang, channel)}
}

func stamp(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// Human says a duration roughly, in the language: "3 days", "5 hours", "12 minutes".
func Human(lang i18n.Lang, d time.Duration) string {
	type unit struct {
		d      time.Duration
		en, zh string
	}
	for _, u := range []unit{{24 * time.Hour, "day", "天"}, {time.Hour, "hour", "小时"}, {time.Minute, "minute", "分钟"}} {
		if d >= u.d {
			n := int(d / u.d)
			if lang == i18n.ZH {
				return fmt.Sprintf("%d %s", n, u.zh)
			}
			if n == 1 {
				return "1 " + u.en
			}
			return fmt.Sprintf("%d %ss", n, u.en)
		}
	}
	if lang == i18n.ZH {
		return fmt.Sprintf("%d 秒", int(d/time.Second))
	}
	return fmt.Sprintf("%d seconds", int(d/time.Second))
}
