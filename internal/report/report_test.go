package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/round"
	"github.com/e5renew/e5renew/internal/store"
)

func TestRoundAndAccountsInBothLanguages(t *testing.T) {
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	r := &round.Result{Account: "alice", Started: start, Finished: start.Add(1500 * time.Millisecond), Verdict: round.Degraded,
		Activities: []round.ActivityResult{{Name: round.SignIn, Outcome: round.Ok}, {Name: "mail.draft", Outcome: round.Failed, Status: 503, Code: "serviceNotAvailable", RequestID: "req-1"},
			{Name: "onedrive.drive", Outcome: round.Ok}}, Swept: 2}
	r.Cleanup.Deleted = 3
	for lang, want := range map[i18n.Lang][]string{
		i18n.EN: {"alice", "degraded", "3 activities: 2 ok, 1 failed", "found 2 left by earlier runs", "cleaned up 3", "mail.draft",
			"503 serviceNotAvailable", "request-id req-1", "1.5s"},
		i18n.ZH: {"部分失败", "3 个活动：2 成功，1 失败", "发现 2 个之前运行遗留的对象", "已清理 3"},
	} {
		var b bytes.Buffer
		Round(&b, r, false, lang)
		for _, w := range want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: %q lacks %q", lang, b.String(), w)
			}
		}
		if strings.Contains(b.String(), "onedrive.drive") {
			t.Error("non-verbose output lists a successful activity")
		}
	}
	var b bytes.Buffer
	now := start.Add(3 * time.Hour)
	Accounts(&b, []store.Account{{Name: "bob", Type: "password", InConfig: false}, {Name: "alice", Type: "refresh_token", InConfig: true, Enabled: true},
		{Name: "carol", Type: "password", InConfig: true, Enabled: true}, {Name: "dave", Type: "password", InConfig: true, Enabled: true}},
		map[string]store.Round{"alice": {Started: start, Verdict: "needs_owner", Code: "AADSTS700082", Message: "expired"}},
		map[string]store.AccountState{
			store.FoldName("alice"): {Paused: true, PauseReason: store.PauseNeedsOwner},
			store.FoldName("carol"): {NextRun: now.Add(25 * time.Minute)},
			store.FoldName("dave"):  {Paused: true, PauseReason: store.PauseByOwner},
		}, now, i18n.ZH)
	out := b.String()
	for _, w := range []string{"账号", "下一轮", "alice", "3 小时前", "需要处理", "AADSTS700082", "bob", "已从配置中移除", "从未",
		"已暂停：需要处理", "25 分钟后", "已手动暂停"} {
		if !strings.Contains(out, w) {
			t.Errorf("accounts table lacks %q:\n%s", w, out)
		}
	}
	if strings.Index(out, "alice") > strings.Index(out, "bob") {
		t.Error("accounts are not sorted by name")
	}
}
