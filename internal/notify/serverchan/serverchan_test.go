package serverchan

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/notify/notifytest"
	"github.com/e5renew/e5renew/internal/secret"
)

const (
	turboKey = "SCT123456TAbCdEfGhIjKlMnOpQrStUvW"
	sc3Key   = "sctp8123tAbCdEfGhIjKlMnOpQrSt"
)

const ok = `{"code":0,"message":"","data":{"pushid":"1","readkey":"r","error":"SUCCESS","errno":0}}`

func newNotifier(t *testing.T, c Config) notify.Notifier {
	t.Helper()
	n, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var msg = notify.Message{
	Kind:     notify.NeedsOwner,
	Title:    "账号 alice 需要处理",
	Text:     "刷新令牌已失效",
	Markdown: "**刷新令牌已失效**\n\n请运行 `e5renew login alice` <重要> & 尽快",
	URL:      "https://e5.example.com/accounts/alice",
}

func TestEndpoints(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{turboKey, "https://sctapi.ftqq.com/" + turboKey + ".send"},
		{sc3Key, "https://8123.push.ft07.com/send/" + sc3Key + ".send"},
		{"https://sctapi.ftqq.com/" + turboKey + ".send", "https://sctapi.ftqq.com/" + turboKey + ".send"},
		{"https://8123.push.ft07.com/send/" + sc3Key + ".send", "https://8123.push.ft07.com/send/" + sc3Key + ".send"},
	} {
		n := newNotifier(t, Config{SendKey: secretOf(tc.key)}).(*notifier)
		if n.endpoint != tc.want {
			t.Errorf("%s: endpoint %s, want %s", tc.key, n.endpoint, tc.want)
		}
	}
}

func TestSendTurboAndSC3(t *testing.T) {
	srv := notifytest.NewServer(t, 200, ok)
	for _, key := range []string{turboKey, sc3Key} {
		n := newNotifier(t, Config{BaseURL: srv.URL, SendKey: secretOf(key)})
		if n.Name() != "serverchan" || n.Type() != "serverchan" {
			t.Fatalf("name %q type %q", n.Name(), n.Type())
		}
		if err := n.Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	reqs := srv.Requests()
	if reqs[0].Path != "/"+turboKey+".send" || reqs[1].Path != "/send/"+sc3Key+".send" {
		t.Errorf("paths %s %s", reqs[0].Path, reqs[1].Path)
	}
	for _, r := range reqs {
		if r.Method != http.MethodPost || r.RawQuery != "" || r.ContentType != "application/json; charset=utf-8" {
			t.Errorf("request %s ?%s (%s)", r.Method, r.RawQuery, r.ContentType)
		}
		want := map[string]any{"title": msg.Title, "desp": msg.Markdown + "\n\n[" + msg.URL + "](" + msg.URL + ")"}
		if fmt.Sprint(r.Body) != fmt.Sprint(want) {
			t.Errorf("body\n got %v\nwant %v", r.Body, want)
		}
	}
}

func TestLongTitleAndBody(t *testing.T) {
	srv := notifytest.NewServer(t, 200, ok)
	n := newNotifier(t, Config{BaseURL: srv.URL, SendKey: turboKey})
	title := "账号 alice@contoso.onmicrosoft.com 的刷新令牌已失效，需要重新登录才能继续续订"
	if err := n.Send(context.Background(), notify.Message{Title: title, Text: strings.Repeat("续订失败。", 5000)}); err != nil {
		t.Fatal(err)
	}
	b := srv.Requests()[0].Body
	short, desp := b["title"].(string), b["desp"].(string)
	if utf8.RuneCountInString(short) != maxTitle || !strings.HasPrefix(title, strings.TrimSuffix(short, "…")) {
		t.Errorf("title %q", short)
	}
	// The whole title is kept, at the top of desp; the body is what gets cut.
	if !strings.HasPrefix(desp, "**"+title+"**\n\n续订失败。") || !strings.HasSuffix(desp, "…") || len(desp) > maxDesp {
		t.Errorf("desp of %d bytes starts %q", len(desp), desp[:80])
	}
}

func TestErrorAnswers(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"code":40001,"message":"bad pushtoken `+turboKey+`","data":null}`)
	err := newNotifier(t, Config{BaseURL: srv.URL, SendKey: turboKey}).Send(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "code 40001: bad pushtoken") {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), turboKey) {
		t.Errorf("error leaks the SendKey: %v", err)
	}
	srv = notifytest.NewServer(t, 400, `{"code":400,"message":"title required"}`)
	err = newNotifier(t, Config{BaseURL: srv.URL, SendKey: sc3Key}).Send(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "HTTP 400: title required") {
		t.Fatalf("error %v", err)
	}
	srv.Close()
	err = newNotifier(t, Config{BaseURL: srv.URL, SendKey: sc3Key}).Send(context.Background(), msg)
	if err == nil || strings.Contains(err.Error(), sc3Key) {
		t.Errorf("transport error %v", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		c    Config
		want []string
	}{
		{Config{}, []string{"serverchan: send_key is required", "sct.ftqq.com/sendkey"}},
		{Config{Name: "sc", SendKey: "sctpXsecretkey"}, []string{"sc: send_key starts with sctp but is not a ServerChan³ key"}},
		{Config{SendKey: "SCT1 secretkey"}, []string{"send_key is malformed"}},
		{Config{SendKey: "https://sctapi.ftqq.com/"}, []string{"the URL has no SendKey"}},
		{Config{SendKey: turboKey, BaseURL: "sctapi.ftqq.com"}, []string{"base_url", "not an http(s) URL"}},
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
		if strings.Contains(err.Error(), "secretkey") {
			t.Errorf("error shows the SendKey: %v", err)
		}
	}
}

func secretOf(s string) secret.String { return secret.String(s) }
