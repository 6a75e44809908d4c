package telegram

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/notify/notifytest"
)

const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

func newNotifier(t *testing.T, c Config) notify.Notifier {
	t.Helper()
	n, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var msg = notify.Message{
	Kind:  notify.NeedsOwner,
	Title: "账号 alice 需要处理 <重要>",
	Text:  "刷新令牌已失效 & 需要重新登录。\n请运行 e5renew login alice",
	URL:   "https://e5.example.com/accounts/alice?tab=1&x=2",
}

func TestSendHTML(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"ok":true,"result":{"message_id":1}}`)
	n := newNotifier(t, Config{APIURL: srv.URL + "/proxy/", Token: token, ChatID: "-1001234567890", MessageThreadID: 7})
	if n.Name() != "telegram" || n.Type() != "telegram" {
		t.Fatalf("name %q type %q", n.Name(), n.Type())
	}
	if err := n.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/proxy/bot"+token+"/sendMessage" || r.RawQuery != "" {
		t.Errorf("seen %s %s?%s", r.Method, r.Path, r.RawQuery)
	}
	if r.ContentType != "application/json; charset=utf-8" {
		t.Errorf("content type %q", r.ContentType)
	}
	want := "<b>账号 alice 需要处理 &lt;重要&gt;</b>\n\n刷新令牌已失效 &amp; 需要重新登录。\n请运行 e5renew login alice\n\n" +
		`<a href="https://e5.example.com/accounts/alice?tab=1&amp;x=2">https://e5.example.com/accounts/alice?tab=1&amp;x=2</a>`
	b := r.Body
	if b["text"] != want {
		t.Errorf("text\n got %q\nwant %q", b["text"], want)
	}
	if b["chat_id"] != float64(-1001234567890) {
		t.Errorf("chat_id %#v, want the number", b["chat_id"])
	}
	if b["parse_mode"] != "HTML" || b["message_thread_id"] != float64(7) {
		t.Errorf("parse_mode %v message_thread_id %v", b["parse_mode"], b["message_thread_id"])
	}
	if lp, _ := b["link_preview_options"].(map[string]any); lp["is_disabled"] != true {
		t.Errorf("link_preview_options %v", b["link_preview_options"])
	}
	if len(b) != 5 {
		t.Errorf("unexpected fields: %v", b)
	}
}

func TestSendMarkdownV2AndPlain(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"ok":true}`)
	m := notify.Message{Title: "E5 续订: alice.b", Text: "失败 (3/5) - 请检查_权限", URL: "https://x.example/a_(b)"}
	n := newNotifier(t, Config{APIURL: srv.URL, Token: token, ChatID: "@e5_alerts", ParseMode: "markdownv2"})
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	n = newNotifier(t, Config{APIURL: srv.URL, Token: token, ChatID: "42", ParseMode: "none"})
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	md := reqs[0].Body
	wantMD := `*E5 续订: alice\.b*` + "\n\n" + `失败 \(3/5\) \- 请检查\_权限` + "\n\n" + `[https://x\.example/a\_\(b\)](https://x.example/a_(b\))`
	if md["text"] != wantMD || md["parse_mode"] != "MarkdownV2" || md["chat_id"] != "@e5_alerts" {
		t.Errorf("MarkdownV2 body %v\nwant text %q", md, wantMD)
	}
	if _, ok := md["message_thread_id"]; ok {
		t.Error("message_thread_id sent though not configured")
	}
	plain := reqs[1].Body
	if plain["text"] != "E5 续订: alice.b\n\n失败 (3/5) - 请检查_权限\n\nhttps://x.example/a_(b)" || plain["chat_id"] != float64(42) {
		t.Errorf("plain body %v", plain)
	}
	if _, ok := plain["parse_mode"]; ok {
		t.Error("parse_mode sent for none")
	}
}

func TestTruncatesBodyNotTitle(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"ok":true}`)
	n := newNotifier(t, Config{APIURL: srv.URL, Token: token, ChatID: "1"})
	title := "标题不截断 " + strings.Repeat("T", 100)
	body := strings.Repeat("正文😀", 3000) // the emoji counts two UTF-16 units
	if err := n.Send(context.Background(), notify.Message{Title: title, Text: body, URL: "https://e5.example.com/"}); err != nil {
		t.Fatal(err)
	}
	text := srv.Requests()[0].Body["text"].(string)
	if !strings.HasPrefix(text, "<b>"+title+"</b>\n\n正文😀") || !strings.Contains(text, "…\n\n<a href=") {
		t.Errorf("text starts %q ends %q", text[:80], text[len(text)-80:])
	}
	// The visible text (without the HTML tags) fits the limit.
	visible := strings.NewReplacer("<b>", "", "</b>", "", `<a href="https://e5.example.com/">`, "", "</a>", "").Replace(text)
	if n := len(utf16.Encode([]rune(visible))); n > maxText || n < maxText-2 {
		t.Errorf("visible length %d, want just under %d", n, maxText)
	}
}

func TestErrorAnswers(t *testing.T) {
	srv := notifytest.NewServer(t, 400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`)
	err := newNotifier(t, Config{APIURL: srv.URL, Token: token, ChatID: "1"}).Send(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "Bad Request: chat not found") || !strings.Contains(err.Error(), "400") {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "AAHdq") {
		t.Errorf("error leaks the token: %v", err)
	}

	srv = notifytest.NewServer(t, 200, `{"ok":false,"description":"Forbidden: bot was blocked by the user"}`)
	err = newNotifier(t, Config{APIURL: srv.URL, Token: token, ChatID: "1"}).Send(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "bot was blocked by the user") {
		t.Fatalf("error %v", err)
	}
}

// A proxy or a self-hosted Bot API server that echoes the request path (with the token)
// in its error does not leak the token through e5renew.
func TestEchoedTokenIsRedacted(t *testing.T) {
	for _, status := range []int{404, 200} {
		srv := notifytest.NewServer(t, status, `{"ok":false,"description":"no route for /bot`+token+`/sendMessage"}`)
		err := newNotifier(t, Config{APIURL: srv.URL, Token: token, ChatID: "1"}).Send(context.Background(), msg)
		if err == nil {
			t.Fatalf("status %d: no error", status)
		}
		if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "AAHdq") {
			t.Errorf("status %d: error leaks the token: %v", status, err)
		}
		if !strings.Contains(err.Error(), notify.Redacted) {
			t.Errorf("status %d: error %v, want the token replaced by %s", status, err, notify.Redacted)
		}
	}
}

func TestTransportErrorHidesToken(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"ok":true}`)
	base := srv.URL
	srv.Close()
	err := newNotifier(t, Config{APIURL: base, Token: token, ChatID: "1"}).Send(context.Background(), msg)
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "AAHdq") {
		t.Errorf("error leaks the token: %v", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		c    Config
		want []string
	}{
		{Config{}, []string{"telegram: token is required", "@BotFather", "chat_id is required", "@userinfobot"}},
		{Config{Name: "family", Token: "not-a-token", ChatID: "alice"}, []string{"family: token is malformed", `chat_id "alice" is malformed`}},
		{Config{Token: token, ChatID: "1", APIURL: "api.telegram.org"}, []string{"api_url", "not an http(s) URL"}},
		{Config{Token: token, ChatID: "1", ParseMode: "Markdown"}, []string{`parse_mode "Markdown" is not supported`}},
		{Config{Token: token, ChatID: "1", MessageThreadID: -3}, []string{"message_thread_id"}},
	}
	for _, tc := range cases {
		err := tc.c.Validate()
		if err == nil {
			t.Errorf("%+v: no error", tc.c)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: error %q lacks %q", tc.c, err, w)
			}
		}
		if strings.Contains(err.Error(), "not-a-token") {
			t.Errorf("error shows the token: %v", err)
		}
		if _, nerr := New(tc.c, nil); nerr == nil {
			t.Errorf("New accepted %+v", tc.c)
		}
	}
	for _, c := range []Config{
		{Token: token, ChatID: "-1001234567890"},
		{Token: " " + token + "\n", ChatID: "@my_channel", ParseMode: "HTML", APIURL: "https://tg.example.com/"},
	} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}
