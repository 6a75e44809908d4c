package wxpusher

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/notify/notifytest"
)

const appToken = "AT_qHT0cTQfLwYOlBV9cJj9zDSyEmsp"

type sent struct {
	AppToken    string   `json:"appToken"`
	Content     string   `json:"content"`
	Summary     string   `json:"summary"`
	ContentType int      `json:"contentType"`
	UIDs        []string `json:"uids"`
	TopicIDs    []int    `json:"topicIds"`
	URL         string   `json:"url"`
}

// decode returns the latest request srv saw and its body decoded.
func decode(t *testing.T, srv *notifytest.Server) (notifytest.Request, sent) {
	t.Helper()
	r := srv.Last()
	var body sent
	if err := json.Unmarshal([]byte(r.Raw), &body); err != nil {
		t.Fatalf("body: %v: %s", err, r.Raw)
	}
	return r, body
}

const okAnswer = `{"code":1000,"msg":"处理成功","data":[{"uid":"UID_alice","topicId":null,"messageId":121,"messageContentId":2123,"sendRecordId":12313,"code":1000,"status":"创建发送任务成功"}],"success":true}`

func msg() notify.Message {
	return notify.Message{
		Kind:     notify.NeedsOwner,
		Title:    "账号 alice_1 需要处理",
		Text:     "刷新令牌已失效。\n请重新登录。",
		Markdown: "**刷新令牌已失效。**\n\n请重新登录。",
		Account:  "alice",
		URL:      "https://e5.example.com/accounts/alice",
		Time:     time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC),
	}
}

func newN(t *testing.T, c Config) notify.Notifier {
	t.Helper()
	n, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSendMarkdown(t *testing.T) {
	srv := notifytest.NewServer(t, 200, okAnswer)
	n := newN(t, Config{AppToken: appToken, UIDs: []string{"UID_alice"}, TopicIDs: []int{123}, BaseURL: srv.URL})
	if err := n.Send(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	got, body := decode(t, srv)
	if got.Method != "POST" || got.Path != "/api/send/message" || got.RawQuery != "" {
		t.Errorf("request = %s %s?%s", got.Method, got.Path, got.RawQuery)
	}
	if got.ContentType != "application/json" {
		t.Errorf("Content-Type = %q", got.ContentType)
	}
	want := sent{
		AppToken:    appToken,
		Content:     "## 账号 alice\\_1 需要处理\n\n**刷新令牌已失效。**\n\n请重新登录。\n\n[https://e5.example.com/accounts/alice](https://e5.example.com/accounts/alice)",
		Summary:     "账号 alice_1 需要处理",
		ContentType: 3,
		UIDs:        []string{"UID_alice"},
		TopicIDs:    []int{123},
		URL:         "https://e5.example.com/accounts/alice",
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body =\n%#v\nwant\n%#v", body, want)
	}
	for k := range got.Body {
		switch k {
		case "appToken", "content", "summary", "contentType", "uids", "topicIds", "url":
		default:
			t.Errorf("unexpected field %s", k)
		}
	}
	if n.Name() != "wxpusher" || n.Type() != "wxpusher" {
		t.Errorf("Name/Type = %q/%q", n.Name(), n.Type())
	}
}

func TestSendText(t *testing.T) {
	srv := notifytest.NewServer(t, 200, okAnswer)
	m := msg()
	m.URL = ""
	n := newN(t, Config{AppToken: appToken, UIDs: []string{"UID_alice"}, ContentType: "text", BaseURL: srv.URL + "/"})
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got, body := decode(t, srv)
	want := sent{
		AppToken:    appToken,
		Content:     "账号 alice_1 需要处理\n\n刷新令牌已失效。\n请重新登录。",
		Summary:     "账号 alice_1 需要处理",
		ContentType: 1,
		UIDs:        []string{"UID_alice"},
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body =\n%#v\nwant\n%#v", body, want)
	}
	if _, ok := got.Body["topicIds"]; ok {
		t.Error("topicIds sent though none configured")
	}
	if _, ok := got.Body["url"]; ok {
		t.Error("url sent though the message has none")
	}
}

func TestLimits(t *testing.T) {
	srv := notifytest.NewServer(t, 200, okAnswer)
	m := msg()
	m.Title = strings.Repeat("很长的标题", 30) // 150 characters
	m.Markdown = strings.Repeat("正文", 30000)
	n := newN(t, Config{AppToken: appToken, UIDs: []string{"UID_alice"}, BaseURL: srv.URL})
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	_, body := decode(t, srv)
	if c := utf8.RuneCountInString(body.Summary); c != maxSummary {
		t.Errorf("summary has %d characters, want %d", c, maxSummary)
	}
	c := body.Content
	if utf8.RuneCountInString(c) > maxContent {
		t.Errorf("content has %d characters", utf8.RuneCountInString(c))
	}
	if !strings.HasPrefix(c, "## "+m.Title+"\n\n") {
		t.Error("the title in the content was cut")
	}
	if !strings.HasSuffix(c, "(https://e5.example.com/accounts/alice)") || !strings.Contains(c, "…") {
		t.Error("body not truncated before the link")
	}
}

func TestServiceErrors(t *testing.T) {
	cases := []struct {
		name, answer string
		want         []string
	}{
		{"bad token", `{"code":1001,"msg":"appToken不正确 ` + appToken + `","data":null,"success":false}`, []string{"code 1001", "appToken不正确"}},
		{"success false", `{"code":1000,"msg":"处理成功","data":null,"success":false}`, []string{"code 1000"}},
		{"no recipient", `{"code":1000,"msg":"处理成功","data":[{"uid":"UID_bob","topicId":null,"code":1002,"status":"用户不存在"}],"success":true}`, []string{"no recipient", "UID_bob", "用户不存在"}},
		{"not json", `<html>502</html>`, []string{"unexpected answer"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.NewServer(t, 200, tc.answer)
			n := newN(t, Config{AppToken: appToken, UIDs: []string{"UID_bob"}, BaseURL: srv.URL})
			err := n.Send(context.Background(), msg())
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tc.want, "wxpusher") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), appToken) {
				t.Errorf("error leaks the token: %q", err)
			}
		})
	}
}

func TestPartialDeliveryIsSuccess(t *testing.T) {
	srv := notifytest.NewServer(t, 200, `{"code":1000,"msg":"处理成功","data":[{"uid":"UID_a","code":1002,"status":"用户不存在"},{"uid":"UID_b","code":1000,"status":"创建发送任务成功"}],"success":true}`)
	n := newN(t, Config{AppToken: appToken, UIDs: []string{"UID_a", "UID_b"}, BaseURL: srv.URL})
	if err := n.Send(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
}

func TestTransportErrorHidesToken(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	n := newN(t, Config{AppToken: appToken, UIDs: []string{"UID_a"}, BaseURL: closed.URL})
	if err := n.Send(context.Background(), msg()); err == nil || strings.Contains(err.Error(), appToken) {
		t.Errorf("error = %v", err)
	}
}

func TestOffice365Auto(t *testing.T) {
	c := Office365Auto(" "+appToken+" ", "UID_a, UID_b")
	if c.AppToken.Reveal() != appToken || !reflect.DeepEqual(c.UIDs, []string{"UID_a", "UID_b"}) {
		t.Errorf("config = %+v (%q)", c, c.AppToken.Reveal())
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		c    Config
		want []string
	}{
		{"ok uid", Config{AppToken: appToken, UIDs: []string{"UID_a"}}, nil},
		{"ok topic", Config{AppToken: appToken, TopicIDs: []int{7}}, nil},
		{"no token", Config{UIDs: []string{"UID_a"}}, []string{"wxpusher: app_token is required", "AT_"}},
		{"spt token", Config{AppToken: "SPT_abcdef", UIDs: []string{"UID_a"}}, []string{"app_token is an SPT"}},
		{"token url", Config{AppToken: "https://x/?appToken=" + appToken, UIDs: []string{"UID_a"}}, []string{"app_token is malformed"}},
		{"no recipient", Config{AppToken: appToken}, []string{"uids or topic_ids is required", "我的UID"}},
		{"uid list in one string", Config{AppToken: appToken, UIDs: []string{"UID_a,UID_b"}}, []string{"uids[0] is malformed"}},
		{"topic id", Config{AppToken: appToken, TopicIDs: []int{0}}, []string{"topic_ids[0] is malformed"}},
		{"too many topics", Config{AppToken: appToken, TopicIDs: []int{1, 2, 3, 4, 5, 6}}, []string{"at most 5"}},
		{"content type", Config{AppToken: appToken, UIDs: []string{"UID_a"}, ContentType: "html"}, []string{`content_type "html"`}},
		{"base url", Config{AppToken: appToken, UIDs: []string{"UID_a"}, BaseURL: "wxpusher.zjiecode.com"}, []string{"base_url is malformed"}},
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
			if strings.Contains(err.Error(), appToken) || strings.Contains(err.Error(), "SPT_abcdef") {
				t.Errorf("error leaks the token: %q", err)
			}
			if _, nerr := New(tc.c, nil); nerr == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}
