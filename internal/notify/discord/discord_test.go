package discord

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/notify/notifytest"
	"github.com/e5renew/e5renew/internal/secret"
)

const hookToken = "Xq9-secretWebhookToken_abc123"

func hook(srv *httptest.Server) secret.String {
	return secret.String(srv.URL + "/api/webhooks/1234567890/" + hookToken)
}

func msg() notify.Message {
	return notify.Message{
		Kind:     notify.NeedsOwner,
		Title:    "账号 alice_1 需要处理",
		Text:     "刷新令牌已失效。\n- 请重新登录 *现在*",
		Markdown: "**刷新令牌已失效。**\n请重新登录。",
		Account:  "alice",
		URL:      "https://e5.example.com/accounts/alice",
		Time:     time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC),
	}
}

func TestSend(t *testing.T) {
	srv := notifytest.NewServer(t, http.StatusNoContent, "")
	n, err := New(Config{WebhookURL: hook(srv.Server), Username: "e5renew"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Send(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	got := srv.Last()
	if got.Method != "POST" || got.Path != "/api/webhooks/1234567890/"+hookToken || got.RawQuery != "" {
		t.Errorf("request = %s %s?%s", got.Method, got.Path, got.RawQuery)
	}
	if got.ContentType != "application/json" {
		t.Errorf("Content-Type = %q", got.ContentType)
	}
	want := map[string]any{
		"content":          "**账号 alice\\_1 需要处理**\n**刷新令牌已失效。**\n请重新登录。\nhttps://e5.example.com/accounts/alice",
		"username":         "e5renew",
		"allowed_mentions": map[string]any{"parse": []any{}},
	}
	if !reflect.DeepEqual(got.Body, want) {
		t.Errorf("body =\n%#v\nwant\n%#v", got.Body, want)
	}
	if n.Name() != "discord" || n.Type() != "discord" {
		t.Errorf("Name/Type = %q/%q", n.Name(), n.Type())
	}
}

func TestSendPlainTextWith200AndQuery(t *testing.T) {
	srv := notifytest.NewServer(t, http.StatusOK, `{"id":"1","content":"x"}`)
	m := msg()
	m.Markdown = ""
	m.URL = ""
	n, err := New(Config{Name: "dc", WebhookURL: hook(srv.Server) + "?wait=true"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Last()
	if got.RawQuery != "wait=true" {
		t.Errorf("query = %q", got.RawQuery)
	}
	want := "**账号 alice\\_1 需要处理**\n刷新令牌已失效。\n\\- 请重新登录 \\*现在\\*"
	if got.Body["content"] != want {
		t.Errorf("content = %q, want %q", got.Body["content"], want)
	}
	if _, ok := got.Body["username"]; ok {
		t.Error("username sent though not configured")
	}
}

func TestTruncatesTo2000(t *testing.T) {
	srv := notifytest.NewServer(t, http.StatusNoContent, "")
	m := msg()
	m.Markdown = strings.Repeat("长", 5000)
	n, _ := New(Config{WebhookURL: hook(srv.Server)}, nil)
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Last()
	c := got.Body["content"].(string)
	if utf8.RuneCountInString(c) != maxContent {
		t.Errorf("content has %d characters, want %d", utf8.RuneCountInString(c), maxContent)
	}
	if !strings.HasPrefix(c, "**账号 alice\\_1 需要处理**\n") || !strings.HasSuffix(c, "…\nhttps://e5.example.com/accounts/alice") {
		t.Errorf("title or link lost: %q…%q", c[:40], c[len(c)-60:])
	}
}

func TestServiceError(t *testing.T) {
	srv := notifytest.NewServer(t, http.StatusUnauthorized, `{"message": "Invalid Webhook Token", "code": 50027}`)
	n, _ := New(Config{WebhookURL: hook(srv.Server)}, nil)
	err := n.Send(context.Background(), msg())
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"discord", "HTTP 401", "Invalid Webhook Token"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if strings.Contains(err.Error(), hookToken) {
		t.Errorf("error leaks the token: %q", err)
	}
}

func TestTransportErrorHidesToken(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	n, _ := New(Config{WebhookURL: hook(closed)}, nil)
	err := n.Send(context.Background(), msg())
	if err == nil || strings.Contains(err.Error(), hookToken) {
		t.Errorf("error = %v", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		c    Config
		want []string
	}{
		{"ok", Config{WebhookURL: "https://discord.com/api/webhooks/1/" + hookToken}, nil},
		{"ok proxy", Config{WebhookURL: "https://proxy.example.cn/anything"}, nil},
		{"missing", Config{}, []string{"discord: webhook_url is required", "Integrations"}},
		{"not a url", Config{WebhookURL: "discord.com/api/webhooks/1/" + hookToken}, []string{"webhook_url is malformed"}},
		{"not a webhook", Config{WebhookURL: "https://discord.com/channels/1/" + hookToken}, []string{"webhook_url is not a webhook URL"}},
		{"username length", Config{WebhookURL: "https://discord.com/api/webhooks/1/t", Username: strings.Repeat("名", 81)}, []string{"username is too long"}},
		{"username word", Config{WebhookURL: "https://discord.com/api/webhooks/1/t", Username: "My Discord Bot"}, []string{"username", `"discord"`}},
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
			if strings.Contains(err.Error(), hookToken) {
				t.Errorf("error leaks the token: %q", err)
			}
			if _, nerr := New(tc.c, nil); nerr == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}
