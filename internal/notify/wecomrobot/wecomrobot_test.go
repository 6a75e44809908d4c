package wecomrobot

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/notify/notifytest"
	"github.com/e5renew/e5renew/internal/secret"
)

const key = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"

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
	Text:     "刷新令牌已失效。\n请运行 e5renew login alice",
	Markdown: "刷新令牌已失效 <font color=\"warning\">需要重新登录</font>\n> 请运行 `e5renew login alice`",
	URL:      "https://e5.example.com/accounts/alice?a=1&b=2",
}

func TestSendMarkdown(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"errcode":0,"errmsg":"ok"}`)
	n := newNotifier(t, Config{BaseURL: srv.URL, Key: key})
	if n.Name() != "wecomrobot" || n.Type() != "wecomrobot" {
		t.Fatalf("name %q type %q", n.Name(), n.Type())
	}
	if err := n.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Method != http.MethodPost || r.Path != "/cgi-bin/webhook/send" || r.RawQuery != "key="+key {
		t.Errorf("request %s %s?%s", r.Method, r.Path, r.RawQuery)
	}
	if r.ContentType != "application/json; charset=utf-8" {
		t.Errorf("content type %q", r.ContentType)
	}
	want := "**账号 alice 需要处理**\n\n" + msg.Markdown + "\n\n[" + msg.URL + "](" + msg.URL + ")"
	md, _ := r.Body["markdown"].(map[string]any)
	if r.Body["msgtype"] != "markdown" || md["content"] != want || len(r.Body) != 2 || len(md) != 1 {
		t.Errorf("body %v\nwant content %q", r.Body, want)
	}
	if strings.Contains(r.Raw, `\u`) {
		t.Errorf("body has \\u escapes, which WeChat Work rejects: %s", r.Raw)
	}
}

func TestFullWebhookURLAndText(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"errcode":0,"errmsg":"ok"}`)
	// Office365Auto's url_wechat: the whole webhook URL; its host becomes the base.
	n := newNotifier(t, Config{Key: secret.String(srv.URL + "/cgi-bin/webhook/send?key=" + key), Format: "text", Name: "wx"})
	m := msg
	m.Text += "\u2028第三行\x07"
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Path != "/cgi-bin/webhook/send" || r.Query.Get("key") != key {
		t.Errorf("request %s key %q", r.Path, r.Query.Get("key"))
	}
	text, _ := r.Body["text"].(map[string]any)
	want := "账号 alice 需要处理\n\n刷新令牌已失效。\n请运行 e5renew login alice\n第三行\n" + msg.URL
	if r.Body["msgtype"] != "text" || text["content"] != want {
		t.Errorf("body %v\nwant content %q", r.Body, want)
	}
	if strings.Contains(r.Raw, `\u`) {
		t.Errorf("body has \\u escapes: %s", r.Raw)
	}
}

func TestTruncatesBodyNotTitle(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"errcode":0,"errmsg":"ok"}`)
	n := newNotifier(t, Config{BaseURL: srv.URL, Key: key})
	title := "很长的标题不会被截断 " + strings.Repeat("题", 50)
	if err := n.Send(context.Background(), notify.Message{Title: title, Text: strings.Repeat("续订失败。", 2000), URL: "https://e5.example.com/"}); err != nil {
		t.Fatal(err)
	}
	content := srv.Requests()[0].Body["markdown"].(map[string]any)["content"].(string)
	if len(content) > maxMarkdown || len(content) < maxMarkdown-4 {
		t.Errorf("content is %d bytes, want just under %d", len(content), maxMarkdown)
	}
	if !strings.HasPrefix(content, "**"+title+"**\n\n续订失败") || !strings.HasSuffix(content, "…\n\n[https://e5.example.com/](https://e5.example.com/)") {
		t.Errorf("content %q…%q", content[:60], content[len(content)-60:])
	}
}

func TestErrorAnswer(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"errcode":93000,"errmsg":"invalid webhook url, key=`+key+`, hint: [1700000000_1_abc]"}`)
	err := newNotifier(t, Config{BaseURL: srv.URL, Key: key}).Send(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "errcode 93000: invalid webhook url") || !strings.Contains(err.Error(), "copy the webhook URL again") {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), key) {
		t.Errorf("error leaks the key: %v", err)
	}

	srv = notifytest.NewServer(t, 502, `bad gateway`)
	err = newNotifier(t, Config{BaseURL: srv.URL, Key: key}).Send(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "HTTP 502") {
		t.Fatalf("error %v", err)
	}

	srv = notifytest.NewServer(t, 200, `<html>not json</html>`)
	if err = newNotifier(t, Config{BaseURL: srv.URL, Key: key}).Send(context.Background(), msg); err == nil {
		t.Fatal("a 200 answer without errcode counted as success")
	}

	srv = notifytest.NewServer(t, 200, `{}`)
	base := srv.URL
	srv.Close()
	err = newNotifier(t, Config{BaseURL: base, Key: key}).Send(context.Background(), msg)
	if err == nil || strings.Contains(err.Error(), key) {
		t.Errorf("transport error %v", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		c    Config
		want []string
	}{
		{Config{}, []string{"wecomrobot: key is required", "webhook URL"}},
		{Config{Key: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?secretpart=1"}, []string{"no key=... parameter"}},
		{Config{Key: "abc def"}, []string{"key is malformed"}},
		{Config{Key: key, BaseURL: "qyapi.weixin.qq.com"}, []string{"base_url", "not an http(s) URL"}},
		{Config{Name: "team", Key: key, Format: "news"}, []string{`team: format "news" is not supported`}},
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
		if strings.Contains(err.Error(), "secretpart") || strings.Contains(err.Error(), "abc def") {
			t.Errorf("error shows the key: %v", err)
		}
	}
	for _, c := range []Config{{Key: key}, {Key: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + key, Format: "TEXT"}} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	base, k, err := Config{Key: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + key}.endpoint()
	if base != DefaultBaseURL || k != key || err != nil {
		t.Errorf("endpoint %q %q %v", base, k, err)
	}
}
