package feishu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/notify/notifytest"
	"github.com/e5renew/e5renew/internal/secret"
)

const (
	token      = "5e3d587e-d78e-4a07-bd07-265f269f86fd"
	signSecret = "nIMtb7r3N9pkXyXdtAbx6e"
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

// expectedSign follows Feishu's documentation: string_to_sign = timestamp + "\n" +
// secret is the HMAC-SHA256 KEY, the signed data is empty; base64.
func expectedSign(ts, secret string) string {
	h := hmac.New(sha256.New, []byte(ts+"\n"+secret))
	h.Write(nil)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

var msg = notify.Message{
	Kind:  notify.NeedsOwner,
	Title: "账号 alice 需要处理",
	Text:  "刷新令牌已失效 <请重新登录> & 运行 e5renew login alice\n下一轮：明天",
	URL:   "https://e5.example.com/accounts/alice?a=1&b=2",
}

func TestSendPostSigned(t *testing.T) {
	now := time.Date(2025, 3, 1, 8, 0, 0, 999e6, time.UTC)
	srv := notifytest.NewServer(t, 200, `{"code":0,"data":{},"msg":"success"}`)
	n := newNotifier(t, Config{BaseURL: srv.URL, Token: token, Secret: signSecret}, now)
	if n.Name() != "feishu" || n.Type() != "feishu" {
		t.Fatalf("name %q type %q", n.Name(), n.Type())
	}
	if err := n.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Method != http.MethodPost || r.Path != "/open-apis/bot/v2/hook/"+token || r.RawQuery != "" || r.ContentType != "application/json; charset=utf-8" {
		t.Errorf("request %s %s?%s (%s)", r.Method, r.Path, r.RawQuery, r.ContentType)
	}
	ts := fmt.Sprint(now.Unix())
	if r.Body["timestamp"] != ts || len(ts) != 10 {
		t.Errorf("timestamp %v, want %s (seconds)", r.Body["timestamp"], ts)
	}
	if want := expectedSign(ts, signSecret); r.Body["sign"] != want {
		t.Errorf("sign %v, want %s", r.Body["sign"], want)
	}
	// Not DingTalk's algorithm (key = secret, data = the string).
	h := hmac.New(sha256.New, []byte(signSecret))
	io.WriteString(h, ts+"\n"+signSecret)
	if r.Body["sign"] == base64.StdEncoding.EncodeToString(h.Sum(nil)) {
		t.Error("signed with DingTalk's algorithm")
	}
	want := map[string]any{
		"timestamp": ts, "sign": r.Body["sign"], "msg_type": "post",
		"content": map[string]any{"post": map[string]any{"zh_cn": map[string]any{
			"title": "账号 alice 需要处理",
			"content": []any{
				[]any{map[string]any{"tag": "text", "text": "刷新令牌已失效 <请重新登录> & 运行 e5renew login alice\n下一轮：明天"}},
				[]any{map[string]any{"tag": "a", "text": msg.URL, "href": msg.URL}},
			},
		}}},
	}
	if fmt.Sprint(r.Body) != fmt.Sprint(want) {
		t.Errorf("body\n got %v\nwant %v", r.Body, want)
	}
}

func TestSendTextUnsignedFromWebhookURL(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"Extra":null,"StatusCode":0,"StatusMessage":"success"}`)
	n := newNotifier(t, Config{Token: secret.String(srv.URL + "/open-apis/bot/v2/hook/" + token), Format: "text"}, time.Now())
	if err := n.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Path != "/open-apis/bot/v2/hook/"+token {
		t.Errorf("path %s", r.Path)
	}
	want := map[string]any{"msg_type": "text", "content": map[string]any{"text": "账号 alice 需要处理\n\n" + msg.Text + "\n" + msg.URL}}
	if fmt.Sprint(r.Body) != fmt.Sprint(want) {
		t.Errorf("body\n got %v\nwant %v", r.Body, want)
	}
}

func TestLarkBase(t *testing.T) {
	base, tok, err := Config{Token: token, Lark: true}.endpoint()
	if base != LarkBaseURL || tok != token || err != nil {
		t.Errorf("lark: %q %q %v", base, tok, err)
	}
	base, tok, err = Config{Token: "https://open.larksuite.com/open-apis/bot/v2/hook/" + token}.endpoint()
	if base != LarkBaseURL || tok != token || err != nil {
		t.Errorf("lark URL: %q %q %v", base, tok, err)
	}
	base, _, _ = Config{Token: token}.endpoint()
	if base != DefaultBaseURL {
		t.Errorf("default base %q", base)
	}
}

func TestTruncatesBodyNotTitle(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"code":0,"msg":"success"}`)
	n := newNotifier(t, Config{BaseURL: srv.URL, Token: token}, time.Now())
	title := "标题完整 " + strings.Repeat("题", 30)
	if err := n.Send(context.Background(), notify.Message{Title: title, Text: strings.Repeat("续订失败。", 3000)}); err != nil {
		t.Fatal(err)
	}
	p := srv.Requests()[0].Body["content"].(map[string]any)["post"].(map[string]any)["zh_cn"].(map[string]any)
	text := p["content"].([]any)[0].([]any)[0].(map[string]any)["text"].(string)
	if p["title"] != title || len(text) > maxText || !strings.HasSuffix(text, "…") {
		t.Errorf("title %q, text of %d bytes", p["title"], len(text))
	}
}

func TestErrorAnswers(t *testing.T) {
	for _, tc := range []struct {
		status     int
		answer     string
		want, hint string
	}{
		{200, `{"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour from current time"}`, "code 19021: sign match fail", "clock is off"},
		{200, `{"code":19024,"data":{},"msg":"Key Words Not Found"}`, "Key Words Not Found", "requires a keyword"},
		{400, `{"code":9499,"data":{},"msg":"Bad Request"}`, "HTTP 400: code 9499: Bad Request", ""},
		{200, `{"StatusCode":19001,"StatusMessage":"param invalid"}`, "StatusCode 19001: param invalid", ""},
		{200, `ok`, "ok", ""},
	} {
		srv := notifytest.NewServer(t, tc.status, tc.answer)
		err := newNotifier(t, Config{BaseURL: srv.URL, Token: token, Secret: signSecret}, time.Now()).Send(context.Background(), msg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.hint) {
			t.Errorf("answer %s: error %v", tc.answer, err)
		}
	}
	srv := notifytest.NewServer(t, 404, `{"code":19001,"msg":"token `+token+` invalid"}`)
	err := newNotifier(t, Config{BaseURL: srv.URL, Token: token}, time.Now()).Send(context.Background(), msg)
	if err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("error %v leaks the token", err)
	}
	srv.Close()
	err = newNotifier(t, Config{BaseURL: srv.URL, Token: token, Secret: signSecret}, time.Now()).Send(context.Background(), msg)
	if err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("transport error %v", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		c    Config
		want []string
	}{
		{Config{}, []string{"feishu: token is required", "webhook URL"}},
		{Config{Token: "https://open.feishu.cn/other/xyz-secret"}, []string{"does not end in /open-apis/bot/v2/hook/"}},
		{Config{Name: "lark", Token: token, Secret: "abc secret", Format: "card"}, []string{"lark: secret is malformed", `format "card" is not supported`}},
		{Config{Token: token, BaseURL: "open.feishu.cn"}, []string{"base_url", "not an http(s) URL"}},
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
		if strings.Contains(err.Error(), "xyz-secret") || strings.Contains(err.Error(), "abc secret") {
			t.Errorf("error shows a secret: %v", err)
		}
	}
	if err := (Config{Token: token, Secret: signSecret, Lark: true, Format: "POST"}).Validate(); err != nil {
		t.Error(err)
	}
}
