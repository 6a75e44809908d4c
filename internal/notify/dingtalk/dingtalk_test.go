package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/notify/notifytest"
	"github.com/e5renew/e5renew/internal/secret"
)

const (
	token     = "b7e1c4f0d2a94e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f"
	signature = "SEC0f2c6b1e9a8d7c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b"
)

func newNotifier(t *testing.T, c Config, now time.Time) notify.Notifier {
	t.Helper()
	n, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	n.(*notifier).now = func() time.Time { return now }
	return n
}

// expectedSign follows DingTalk's documentation: string_to_sign = timestamp + "\n" +
// secret; HMAC-SHA256 keyed with the secret; base64.
func expectedSign(ts, secret string) string {
	h := hmac.New(sha256.New, []byte(secret))
	io.WriteString(h, ts+"\n"+secret)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

var msg = notify.Message{
	Kind:  notify.NeedsOwner,
	Title: "账号 alice 需要处理",
	Text:  "刷新令牌已失效。\n请运行 e5renew login alice\n\n下一轮：明天",
	URL:   "https://e5.example.com/accounts/alice",
}

func TestSendSigned(t *testing.T) {
	// A clock whose signature has + or /, so the test shows it is URL-escaped.
	now := time.Date(2025, 3, 1, 8, 0, 0, 123e6, time.UTC)
	for !strings.ContainsAny(expectedSign(fmt.Sprint(now.UnixMilli()), signature), "+/") {
		now = now.Add(time.Millisecond)
	}
	ts := fmt.Sprint(now.UnixMilli())
	if len(ts) != 13 {
		t.Fatalf("timestamp %s is not in milliseconds", ts)
	}
	srv := notifytest.NewServer(t, 200, `{"errcode":0,"errmsg":"ok"}`)
	n := newNotifier(t, Config{BaseURL: srv.URL, AccessToken: token, Secret: signature}, now)
	if n.Name() != "dingtalk" || n.Type() != "dingtalk" {
		t.Fatalf("name %q type %q", n.Name(), n.Type())
	}
	if err := n.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Method != http.MethodPost || r.Path != "/robot/send" || r.ContentType != "application/json; charset=utf-8" {
		t.Errorf("request %s %s (%s)", r.Method, r.Path, r.ContentType)
	}
	want := expectedSign(ts, signature)
	q := r.Query
	if q.Get("access_token") != token || q.Get("timestamp") != ts || q.Get("sign") != want || len(q) != 3 {
		t.Errorf("query %v, want sign %s timestamp %s", q, want, ts)
	}
	if !strings.Contains(r.RawQuery, "sign="+url.QueryEscape(want)) {
		t.Errorf("sign not URL-escaped in %s", r.RawQuery)
	}
	md, _ := r.Body["markdown"].(map[string]any)
	wantText := "#### 账号 alice 需要处理\n\n刷新令牌已失效。  \n请运行 e5renew login alice\n\n下一轮：明天\n\n[" + msg.URL + "](" + msg.URL + ")"
	if r.Body["msgtype"] != "markdown" || md["title"] != "账号 alice 需要处理" || md["text"] != wantText || len(r.Body) != 2 || len(md) != 2 {
		t.Errorf("body %v\nwant text %q", r.Body, wantText)
	}
}

func TestSendUnsignedFromWebhookURL(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"errcode":0,"errmsg":"ok"}`)
	n := newNotifier(t, Config{Name: "钉钉群", AccessToken: secret.String(srv.URL + "/robot/send?access_token=" + token)}, time.Now())
	m := msg
	m.Markdown = "**刷新令牌已失效**\n- 运行 `e5renew login alice`"
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Path != "/robot/send" || r.RawQuery != "access_token="+token {
		t.Errorf("request %s?%s", r.Path, r.RawQuery)
	}
	md := r.Body["markdown"].(map[string]any)
	if md["text"] != "#### 账号 alice 需要处理\n\n**刷新令牌已失效**  \n- 运行 `e5renew login alice`\n\n["+msg.URL+"]("+msg.URL+")" {
		t.Errorf("text %q", md["text"])
	}
}

func TestTruncatesBodyNotTitle(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"errcode":0,"errmsg":"ok"}`)
	n := newNotifier(t, Config{BaseURL: srv.URL, AccessToken: token}, time.Now())
	title := "标题完整 " + strings.Repeat("题", 30)
	if err := n.Send(context.Background(), notify.Message{Title: title, Text: strings.Repeat("续订失败。\n", 3000)}); err != nil {
		t.Fatal(err)
	}
	md := srv.Requests()[0].Body["markdown"].(map[string]any)
	text := md["text"].(string)
	if md["title"] != title || !strings.HasPrefix(text, "#### "+title+"\n\n续订失败。  \n") || !strings.HasSuffix(text, "…") || len(text) > maxText {
		t.Errorf("title %q, text of %d bytes ending %q", md["title"], len(text), text[len(text)-30:])
	}
}

func TestErrorAnswers(t *testing.T) {
	for _, tc := range []struct{ answer, want string }{
		{`{"errcode":310000,"errmsg":"keywords not in content, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}`, "errcode 310000: keywords not in content"},
		{`{"errcode":310000,"errmsg":"sign not match, more: [...]"}`, "clock is off"},
		{`{"errcode":300001,"errmsg":"token is not exist"}`, "copy the webhook URL again"},
		{`{"errcode":460101,"errmsg":"message too long, exceed 20000 bytes"}`, "exceed 20000 bytes"},
		{`{"errmsg":"no code"}`, "no code"},
	} {
		srv := notifytest.NewServer(t, 200, tc.answer)
		err := newNotifier(t, Config{BaseURL: srv.URL, AccessToken: token, Secret: signature}, time.Now()).Send(context.Background(), msg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("answer %s: error %v", tc.answer, err)
		}
	}

	srv := notifytest.NewServer(t, 200, `{"errcode":300001,"errmsg":"access_token=`+token+` is not exist"}`)
	err := newNotifier(t, Config{BaseURL: srv.URL, AccessToken: token}, time.Now()).Send(context.Background(), msg)
	if err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("error %v leaks the token", err)
	}
	srv.Close()
	err = newNotifier(t, Config{BaseURL: srv.URL, AccessToken: token, Secret: signature}, time.Now()).Send(context.Background(), msg)
	if err == nil || strings.Contains(err.Error(), token) || strings.Contains(err.Error(), signature) {
		t.Errorf("transport error %v", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		c    Config
		want []string
	}{
		{Config{}, []string{"dingtalk: access_token is required", "webhook URL"}},
		{Config{AccessToken: "https://oapi.dingtalk.com/robot/send?token=xyz-secret"}, []string{"no access_token=... parameter"}},
		{Config{Name: "ding", AccessToken: token, Secret: "SEC abc-secret"}, []string{"ding: secret is malformed"}},
		{Config{AccessToken: token, BaseURL: "oapi.dingtalk.com"}, []string{"base_url", "not an http(s) URL"}},
	}
	for _, tc := range cases {
		err := tc.c.Validate()
		if err == nil {
			t.Errorf("%+v: no error", tc.c)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
		if strings.Contains(err.Error(), "xyz-secret") || strings.Contains(err.Error(), "abc-secret") {
			t.Errorf("error shows a secret: %v", err)
		}
	}
	if err := (Config{AccessToken: token, Secret: signature}).Validate(); err != nil {
		t.Error(err)
	}
}
