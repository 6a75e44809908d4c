package bark

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/notify/notifytest"
	"github.com/e5renew/e5renew/internal/secret"
)

const key = "ynJ5Ft4atkMkWeo2PAvFhF"

const ok = `{"code":200,"message":"success","timestamp":1740816000}`

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
	Text:     "刷新令牌已失效 <请重新登录> & 运行 e5renew login alice",
	Markdown: "**不用于 Bark**",
	URL:      "https://e5.example.com/accounts/alice?a=1&b=2",
}

func TestSend(t *testing.T) {
	srv := notifytest.NewServer(t, 200, ok)
	n := newNotifier(t, Config{Server: srv.URL + "/", DeviceKey: key, Level: "timesensitive"})
	if n.Name() != "bark" || n.Type() != "bark" {
		t.Fatalf("name %q type %q", n.Name(), n.Type())
	}
	if err := n.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Method != http.MethodPost || r.Path != "/"+key || r.RawQuery != "" || r.ContentType != "application/json; charset=utf-8" {
		t.Errorf("request %s %s?%s (%s)", r.Method, r.Path, r.RawQuery, r.ContentType)
	}
	want := map[string]any{"title": msg.Title, "body": msg.Text, "group": "e5renew", "url": msg.URL, "level": "timeSensitive"}
	if fmt.Sprint(r.Body) != fmt.Sprint(want) {
		t.Errorf("body\n got %v\nwant %v", r.Body, want)
	}
}

func TestPushURLForms(t *testing.T) {
	srv := notifytest.NewServer(t, 200, ok)
	// Office365Auto's url_bark: the server comes from the URL.
	n := newNotifier(t, Config{DeviceKey: secret.String(srv.URL + "/" + key), Group: "office", Sound: "alarm"})
	if err := n.Send(context.Background(), notify.Message{Title: "只有标题"}); err != nil {
		t.Fatal(err)
	}
	// A self-hosted server under a path, with the app's example URL pasted as the key.
	n = newNotifier(t, Config{Server: srv.URL + "/bark", DeviceKey: secret.String(srv.URL + "/bark/" + key + "/这里改成你自己的推送内容")})
	if err := n.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if reqs[0].Path != "/"+key || reqs[1].Path != "/bark/"+key {
		t.Errorf("paths %q %q", reqs[0].Path, reqs[1].Path)
	}
	want := map[string]any{"title": "只有标题", "body": "只有标题", "group": "office", "sound": "alarm"}
	if fmt.Sprint(reqs[0].Body) != fmt.Sprint(want) {
		t.Errorf("body\n got %v\nwant %v", reqs[0].Body, want)
	}

	server, k, err := Config{DeviceKey: "https://api.day.app/" + key + "/"}.endpoint()
	if server != DefaultServer || k != key || err != nil {
		t.Errorf("endpoint %q %q %v", server, k, err)
	}
}

func TestTruncatesBodyNotTitle(t *testing.T) {
	srv := notifytest.NewServer(t, 200, ok)
	n := newNotifier(t, Config{Server: srv.URL, DeviceKey: key})
	title := "标题完整 " + strings.Repeat("题", 40)
	if err := n.Send(context.Background(), notify.Message{Title: title, Text: strings.Repeat("续订失败。", 1000)}); err != nil {
		t.Fatal(err)
	}
	b := srv.Requests()[0].Body
	body := b["body"].(string)
	if b["title"] != title || len(body) > maxBody || len(body) < maxBody-4 || !strings.HasSuffix(body, "…") {
		t.Errorf("title %q, body of %d bytes", b["title"], len(body))
	}
}

func TestErrorAnswers(t *testing.T) {
	srv := notifytest.NewServer(t, 400, `{"code":400,"message":"failed to get device token: failed to get [`+key+`] device token from database","timestamp":1}`)
	err := newNotifier(t, Config{Server: srv.URL, DeviceKey: key}).Send(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "HTTP 400: failed to get device token") || !strings.Contains(err.Error(), "copy the key from the Bark app again") {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), key) {
		t.Errorf("error leaks the key: %v", err)
	}

	srv = notifytest.NewServer(t, 200, `{"code":500,"message":"push failed: BadDeviceToken"}`)
	err = newNotifier(t, Config{Server: srv.URL, DeviceKey: key}).Send(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "code 500: push failed: BadDeviceToken") {
		t.Fatalf("error %v", err)
	}

	srv.Close()
	err = newNotifier(t, Config{Server: srv.URL, DeviceKey: key}).Send(context.Background(), msg)
	if err == nil || strings.Contains(err.Error(), key) {
		t.Errorf("transport error %v", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		c    Config
		want []string
	}{
		{Config{}, []string{"bark: device_key is required", "Bark app"}},
		{Config{DeviceKey: "https://api.day.app/"}, []string{"no key after the server"}},
		{Config{Name: "iphone", DeviceKey: "key-secret", Level: "loud"}, []string{`iphone: level "loud" is not supported`, "timeSensitive"}},
		{Config{DeviceKey: "key-secret", Server: "api.day.app"}, []string{"server", "not an http(s) URL"}},
		{Config{DeviceKey: "key secret"}, []string{"device_key is malformed"}},
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
		if strings.Contains(err.Error(), "key-secret") || strings.Contains(err.Error(), "key secret") {
			t.Errorf("error shows the key: %v", err)
		}
	}
	if err := (Config{DeviceKey: key, Level: "critical", Server: "https://bark.example.com"}).Validate(); err != nil {
		t.Error(err)
	}
}
