package slack

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
	"github.com/e5renew/e5renew/internal/secret"
)

const hookSecret = "xYzSecretWebhookPart0123"

func hook(srv *httptest.Server) secret.String {
	return secret.String(srv.URL + "/services/T000/B000/" + hookSecret)
}

func msg() notify.Message {
	return notify.Message{
		Kind:     notify.NeedsOwner,
		Title:    "账号 <alice> 需要处理",
		Text:     "刷新令牌已失效 & 需要重新登录。\n请运行 e5renew login alice",
		Markdown: "**刷新令牌已失效**",
		Account:  "alice",
		URL:      "https://e5.example.com/accounts/alice?tab=a&b=c",
		Time:     time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC),
	}
}

func TestSend(t *testing.T) {
	srv := notifytest.NewServer(t, http.StatusOK, "ok")
	n, err := New(Config{WebhookURL: hook(srv.Server)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Send(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	got := srv.Last()
	if got.Method != "POST" || got.Path != "/services/T000/B000/"+hookSecret || got.RawQuery != "" {
		t.Errorf("request = %s %s?%s", got.Method, got.Path, got.RawQuery)
	}
	if !strings.HasPrefix(got.ContentType, "application/json") {
		t.Errorf("Content-Type = %q", got.ContentType)
	}
	want := "*账号 &lt;alice&gt; 需要处理*\n刷新令牌已失效 &amp; 需要重新登录。\n请运行 e5renew login alice\nhttps://e5.example.com/accounts/alice?tab=a&amp;b=c"
	if got.Body["text"] != want {
		t.Errorf("text = %q\nwant   %q", got.Body["text"], want)
	}
	if len(got.Body) != 1 {
		t.Errorf("body has extra fields: %v", got.Body)
	}
	if n.Name() != "slack" || n.Type() != "slack" {
		t.Errorf("Name/Type = %q/%q", n.Name(), n.Type())
	}
}

func TestTruncates(t *testing.T) {
	srv := notifytest.NewServer(t, http.StatusOK, "ok")
	m := msg()
	m.Text = strings.Repeat("长&", 3000)
	n, _ := New(Config{Name: "team", WebhookURL: hook(srv.Server)}, nil)
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Last()
	s := got.Body["text"].(string)
	if c := utf8.RuneCountInString(s); c > maxText {
		t.Errorf("text has %d characters", c)
	}
	if !strings.HasPrefix(s, "*账号 &lt;alice&gt; 需要处理*\n") || !strings.HasSuffix(s, "…\nhttps://e5.example.com/accounts/alice?tab=a&amp;b=c") {
		t.Errorf("title or link lost")
	}
	body := strings.TrimSuffix(strings.SplitN(s, "\n", 2)[1], "…\nhttps://e5.example.com/accounts/alice?tab=a&amp;b=c")
	if strings.ReplaceAll(strings.ReplaceAll(body, "长", ""), "&amp;", "") != "" {
		t.Errorf("an escape was split: …%q", body[len(body)-20:])
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		answer string
		want   []string
	}{
		{"archived", http.StatusGone, "channel_is_archived", []string{"HTTP 410", "channel_is_archived"}},
		{"bad payload", http.StatusBadRequest, "invalid_payload", []string{"HTTP 400", "invalid_payload"}},
		{"200 but not ok", http.StatusOK, "no_text", []string{"unexpected answer", "no_text"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.NewServer(t, tc.status, tc.answer)
			n, _ := New(Config{WebhookURL: hook(srv.Server)}, nil)
			err := n.Send(context.Background(), msg())
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tc.want, "slack") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), hookSecret) {
				t.Errorf("error leaks the webhook: %q", err)
			}
		})
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	n, _ := New(Config{WebhookURL: hook(closed)}, nil)
	if err := n.Send(context.Background(), msg()); err == nil || strings.Contains(err.Error(), hookSecret) {
		t.Errorf("transport error = %v", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		c    Config
		want []string
	}{
		{"ok", Config{WebhookURL: "https://hooks.slack.com/services/T0/B0/" + hookSecret}, nil},
		{"ok proxy", Config{WebhookURL: "http://127.0.0.1:8080/slack"}, nil},
		{"missing", Config{}, []string{"slack: webhook_url is required", "Incoming Webhooks"}},
		{"not a url", Config{WebhookURL: "hooks.slack.com/services/T0/B0/" + hookSecret}, []string{"webhook_url is malformed"}},
		{"wrong path", Config{WebhookURL: "https://hooks.slack.com/T0/B0/" + hookSecret}, []string{"not an incoming webhook URL", "/services/"}},
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
			if strings.Contains(err.Error(), hookSecret) {
				t.Errorf("error leaks the webhook: %q", err)
			}
			if _, nerr := New(tc.c, nil); nerr == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}
