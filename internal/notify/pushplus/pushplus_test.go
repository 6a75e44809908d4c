package pushplus

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/notify/notifytest"
)

const token = "0123456789abcdef0123456789abcdef"

func newN(t *testing.T, c Config) notify.Notifier {
	t.Helper()
	n, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func msg() notify.Message {
	return notify.Message{
		Kind:     notify.NeedsOwner,
		Title:    "账号 alice 需要处理",
		Text:     "刷新令牌已失效。\n请重新登录。",
		Markdown: "**刷新令牌已失效。**\n\n请重新登录。",
		Account:  "alice",
		URL:      "https://e5.example.com/accounts/alice",
		Time:     time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC),
	}
}

func TestSendMarkdown(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"code":200,"msg":"请求成功","data":"075074e3c17e449e9a0cb79cc6f3fc83"}`)
	n := newN(t, Config{Token: token, Topic: "e5team", Channel: "wechat", BaseURL: srv.URL + "/"})
	if err := n.Send(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	got := srv.Last()
	if got.Method != "POST" || got.Path != "/send" || got.RawQuery != "" {
		t.Errorf("request = %s %s?%s, want POST /send", got.Method, got.Path, got.RawQuery)
	}
	if got.ContentType != "application/json" {
		t.Errorf("Content-Type = %q", got.ContentType)
	}
	want := map[string]any{
		"token":    token,
		"title":    "账号 alice 需要处理",
		"content":  "**刷新令牌已失效。**\n\n请重新登录。\n\n[https://e5.example.com/accounts/alice](https://e5.example.com/accounts/alice)",
		"template": "markdown",
		"topic":    "e5team",
		"channel":  "wechat",
	}
	compare(t, got.Body, want)
	if n.Name() != "pushplus" || n.Type() != "pushplus" {
		t.Errorf("Name/Type = %q/%q", n.Name(), n.Type())
	}
}

func TestSendTextWhenNoMarkdown(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"code":200,"msg":"请求成功","data":"x"}`)
	m := msg()
	m.Markdown = ""
	n := newN(t, Config{Name: "pp-me", Token: token, BaseURL: srv.URL})
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Last()
	compare(t, got.Body, map[string]any{
		"token":    token,
		"title":    "账号 alice 需要处理",
		"content":  "刷新令牌已失效。\n请重新登录。\n\nhttps://e5.example.com/accounts/alice",
		"template": "txt",
	})
	if n.Name() != "pp-me" {
		t.Errorf("Name = %q", n.Name())
	}
}

func TestSendTxtTemplate(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"code":200,"msg":"ok"}`)
	n := newN(t, Config{Token: token, Template: "txt", Channel: "webhook", Webhook: "wecom1", BaseURL: srv.URL})
	if err := n.Send(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	got := srv.Last()
	if got.Body["template"] != "txt" || got.Body["webhook"] != "wecom1" || got.Body["channel"] != "webhook" {
		t.Errorf("body = %v", got.Body)
	}
	if !strings.HasPrefix(got.Body["content"].(string), "刷新令牌已失效。\n请重新登录。") {
		t.Errorf("content = %q", got.Body["content"])
	}
}

func TestTruncatesBodyNotTitle(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"code":200,"msg":"ok"}`)
	m := msg()
	m.Title = strings.Repeat("标题", 80)
	m.Markdown = strings.Repeat("很长的正文", 10000)
	n := newN(t, Config{Token: token, BaseURL: srv.URL})
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Last()
	c := got.Body["content"].(string)
	if utf8.RuneCountInString(c) > maxContent {
		t.Errorf("content has %d characters, want ≤ %d", utf8.RuneCountInString(c), maxContent)
	}
	if !strings.HasSuffix(c, "(https://e5.example.com/accounts/alice)") || !strings.Contains(c, "…") {
		t.Errorf("content end = %q", c[len(c)-80:])
	}
	if got.Body["title"] != m.Title {
		t.Error("title was changed")
	}
}

func TestServiceError(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"code":903,"msg":"无效的用户令牌 `+token+`","data":null}`)
	n := newN(t, Config{Token: token, BaseURL: srv.URL})
	err := n.Send(context.Background(), msg())
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"pushplus", "903", "无效的用户令牌"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error leaks the token: %q", err)
	}
}

func TestHTTPErrorAndTransportErrorHideToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer srv.Close()
	n := newN(t, Config{Token: token, BaseURL: srv.URL})
	err := n.Send(context.Background(), msg())
	if err == nil || !strings.Contains(err.Error(), "HTTP 502") || strings.Contains(err.Error(), token) {
		t.Errorf("error = %v", err)
	}

	srv2 := notifytest.NewServer(t, 200, `not json`)
	n = newN(t, Config{Token: token, BaseURL: srv2.URL})
	if err := n.Send(context.Background(), msg()); err == nil || !strings.Contains(err.Error(), "unexpected answer") {
		t.Errorf("error = %v", err)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	n = newN(t, Config{Token: token, BaseURL: closed.URL})
	if err := n.Send(context.Background(), msg()); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("error = %v", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		c    Config
		want []string
	}{
		{"ok", Config{Token: token}, nil},
		{"missing token", Config{}, []string{"pushplus: token is required", "pushplus.plus"}},
		{"token is a URL", Config{Token: "https://www.pushplus.plus/send?token=" + token}, []string{"token is malformed"}},
		{"template", Config{Token: token, Template: "html"}, []string{`template "html"`, `"markdown"`, `"txt"`}},
		{"channel", Config{Token: token, Channel: "we chat"}, []string{"channel", "wechat"}},
		{"webhook needs code", Config{Token: token, Channel: "webhook"}, []string{"webhook is required", "webhook编码"}},
		{"base_url", Config{Token: token, BaseURL: "www.pushplus.plus"}, []string{"base_url is malformed", DefaultBaseURL}},
		{"base_url query", Config{Token: token, BaseURL: "https://x.example/?a=b"}, []string{"base_url must not have a query"}},
		{"several", Config{Template: "x", BaseURL: "ftp://x"}, []string{"token is required", "template", "base_url"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error leaks the token: %q", err)
			}
			if _, nerr := New(tc.c, nil); nerr == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}

func compare(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected field %s = %#v", k, got[k])
		}
	}
}
