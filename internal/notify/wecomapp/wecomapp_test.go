package wecomapp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/notify"
)

const (
	corpID     = "ww0123456789abcdef"
	corpSecret = "s3cr3t-CorpSecret_value+/="
)

// fakeWeCom is a WeChat Work API: gettoken hands out tok-1, tok-2, ...; message/send
// answers with the next of sendAnswers (then errcode 0), and refuses tokens that were
// revoked.
type fakeWeCom struct {
	t           *testing.T
	mu          sync.Mutex
	tokens      int
	expiresIn   int
	tokenAnswer string // when set, gettoken answers this
	sendAnswers []string
	gets        []string // gettoken raw queries
	sends       []sent
}

type sent struct {
	Method, Path, Token, ContentType, Raw string
	Body                                  map[string]any
}

func (f *fakeWeCom) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/cgi-bin/gettoken":
		if r.Method != http.MethodGet {
			f.t.Errorf("gettoken with %s", r.Method)
		}
		f.gets = append(f.gets, r.URL.RawQuery)
		q := r.URL.Query()
		if q.Get("corpid") != corpID || q.Get("corpsecret") != corpSecret || len(q) != 2 {
			f.t.Errorf("gettoken query %v", q)
		}
		if f.tokenAnswer != "" {
			io.WriteString(w, f.tokenAnswer)
			return
		}
		f.tokens++
		fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","access_token":"tok-%d","expires_in":%d}`, f.tokens, f.expiresIn)
	case "/cgi-bin/message/send":
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			f.t.Errorf("body is not JSON: %v: %s", err, raw)
		}
		if len(r.URL.Query()) != 1 {
			f.t.Errorf("send query %v", r.URL.Query())
		}
		f.sends = append(f.sends, sent{r.Method, r.URL.Path, r.URL.Query().Get("access_token"), r.Header.Get("Content-Type"), string(raw), body})
		if len(f.sendAnswers) > 0 {
			a := f.sendAnswers[0]
			f.sendAnswers = f.sendAnswers[1:]
			io.WriteString(w, a)
			return
		}
		io.WriteString(w, `{"errcode":0,"errmsg":"ok","msgid":"m1"}`)
	default:
		f.t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		w.WriteHeader(404)
	}
}

func setup(t *testing.T, c Config) (*fakeWeCom, *notifier, *time.Time) {
	t.Helper()
	f := &fakeWeCom{t: t, expiresIn: 7200}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c.BaseURL = srv.URL
	if c.CorpID == "" {
		c.CorpID, c.CorpSecret, c.AgentID = corpID, corpSecret, 1000002
	}
	n, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	nn := n.(*notifier)
	nn.now = func() time.Time { return clock }
	return f, nn, &clock
}

var msg = notify.Message{
	Kind:  notify.NeedsOwner,
	Title: "账号 alice 需要处理",
	Text:  "刷新令牌已失效 <请重新登录> & 运行 e5renew login alice",
	URL:   "https://e5.example.com/accounts/alice",
}

func TestSendAndCacheToken(t *testing.T) {
	f, n, clock := setup(t, Config{})
	if n.Name() != "wecomapp" || n.Type() != "wecomapp" {
		t.Fatalf("name %q type %q", n.Name(), n.Type())
	}
	for i := 0; i < 2; i++ {
		if err := n.Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.gets) != 1 || len(f.sends) != 2 {
		t.Fatalf("%d gettoken, %d sends; want the token cached", len(f.gets), len(f.sends))
	}
	s := f.sends[0]
	if s.Method != http.MethodPost || s.Token != "tok-1" || s.ContentType != "application/json; charset=utf-8" {
		t.Errorf("send %s token %q type %q", s.Method, s.Token, s.ContentType)
	}
	want := map[string]any{
		"touser": "@all", "msgtype": "text", "agentid": float64(1000002),
		"text": map[string]any{"content": "账号 alice 需要处理\n\n刷新令牌已失效 <请重新登录> & 运行 e5renew login alice\nhttps://e5.example.com/accounts/alice"},
	}
	if fmt.Sprint(s.Body) != fmt.Sprint(want) {
		t.Errorf("body\n got %v\nwant %v", s.Body, want)
	}
	if strings.Contains(s.Raw, `\u`) {
		t.Errorf("body has \\u escapes, which WeChat Work rejects: %s", s.Raw)
	}

	// Shortly before expires_in runs out, the token is replaced.
	*clock = clock.Add(7200*time.Second - tokenMargin - time.Second)
	if err := n.Send(context.Background(), msg); err != nil || len(f.gets) != 1 {
		t.Fatalf("err %v, %d gettoken", err, len(f.gets))
	}
	*clock = clock.Add(2 * time.Second)
	if err := n.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if len(f.gets) != 2 || f.sends[3].Token != "tok-2" {
		t.Errorf("%d gettoken, last token %q; want a new token near expiry", len(f.gets), f.sends[3].Token)
	}
}

func TestRefreshesRefusedToken(t *testing.T) {
	for _, code := range []int{40014, 42001, 41001} {
		f, n, _ := setup(t, Config{ToUser: "alice|bob", ToParty: "2", ToTag: "3"})
		f.sendAnswers = []string{fmt.Sprintf(`{"errcode":%d,"errmsg":"access_token expired"}`, code)}
		if err := n.Send(context.Background(), msg); err != nil {
			t.Fatalf("errcode %d: %v", code, err)
		}
		if len(f.gets) != 2 || len(f.sends) != 2 || f.sends[0].Token != "tok-1" || f.sends[1].Token != "tok-2" {
			t.Errorf("errcode %d: gets %d sends %v", code, len(f.gets), f.sends)
		}
		b := f.sends[1].Body
		if b["touser"] != "alice|bob" || b["toparty"] != "2" || b["totag"] != "3" {
			t.Errorf("recipients %v", b)
		}
	}

	// Retried once only.
	f, n, _ := setup(t, Config{})
	f.sendAnswers = []string{`{"errcode":42001,"errmsg":"expired"}`, `{"errcode":42001,"errmsg":"access_token expired, hint: [x]"}`}
	err := n.Send(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "errcode 42001: access_token expired") || len(f.sends) != 2 {
		t.Errorf("err %v after %d sends", err, len(f.sends))
	}
}

func TestErrorAnswers(t *testing.T) {
	f, n, _ := setup(t, Config{})
	f.sendAnswers = []string{`{"errcode":81013,"errmsg":"user & party & tag all invalid"}`}
	err := n.Send(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "errcode 81013: user & party & tag all invalid") || !strings.Contains(err.Error(), "visible range") || len(f.sends) != 1 {
		t.Errorf("err %v after %d sends", err, len(f.sends))
	}

	f, n, _ = setup(t, Config{})
	f.tokenAnswer = `{"errcode":40001,"errmsg":"invalid credential ` + corpSecret + `, hint: [x]"}`
	err = n.Send(context.Background(), msg)
	if err == nil || !strings.Contains(err.Error(), "errcode 40001: invalid credential") || !strings.Contains(err.Error(), "copy the application's Secret again") || len(f.sends) != 0 {
		t.Errorf("err %v", err)
	}
	if strings.Contains(err.Error(), corpSecret) {
		t.Errorf("error leaks the secret: %v", err)
	}

	f, n, _ = setup(t, Config{})
	f.tokenAnswer = `{"errcode":60020,"errmsg":"not allow to access from your ip"}`
	if err = n.Send(context.Background(), msg); err == nil || !strings.Contains(err.Error(), "trusted IPs") {
		t.Errorf("err %v", err)
	}

	// A closed server: the transport error names neither secret nor token.
	_, n, _ = setup(t, Config{})
	n.token, n.expires = "tok-cached-XYZ", n.now().Add(time.Hour)
	n.c.BaseURL = "http://127.0.0.1:1"
	err = n.Send(context.Background(), msg)
	if err == nil || strings.Contains(err.Error(), "tok-cached-XYZ") || strings.Contains(err.Error(), corpSecret) {
		t.Errorf("transport error %v", err)
	}
}

func TestTruncatesBodyNotTitle(t *testing.T) {
	f, n, _ := setup(t, Config{})
	title := "标题保持完整 " + strings.Repeat("题", 40)
	if err := n.Send(context.Background(), notify.Message{Title: title, Text: strings.Repeat("续订失败。", 1000), URL: "https://e5.example.com/"}); err != nil {
		t.Fatal(err)
	}
	c := f.sends[0].Body["text"].(map[string]any)["content"].(string)
	if len(c) > maxText || len(c) < maxText-4 || !strings.HasPrefix(c, title+"\n\n续订失败") || !strings.HasSuffix(c, "…\nhttps://e5.example.com/") {
		t.Errorf("content of %d bytes: %q…%q", len(c), c[:40], c[len(c)-40:])
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		c    Config
		want []string
	}{
		{Config{}, []string{"wecomapp: corp_id is required", "企业ID", "corp_secret is required", "agent_id is required"}},
		{Config{Name: "ops", CorpID: "ww1 2", CorpSecret: "hunter2-secret", AgentID: 1, ToUser: "alice,bob"}, []string{"ops: corp_id is malformed", `to_user "alice,bob": separate several ids with |`}},
		{Config{CorpID: corpID, CorpSecret: "hunter2-secret", AgentID: 1, BaseURL: "ftp://x"}, []string{"base_url"}},
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
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error shows the secret: %v", err)
		}
	}
	if err := (Config{CorpID: corpID, CorpSecret: corpSecret, AgentID: 1000002, ToUser: "alice|bob"}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestConcurrentSendsShareOneToken(t *testing.T) {
	f, n, _ := setup(t, Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- n.Send(context.Background(), msg)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.gets) != 1 || len(f.sends) != 8 {
		t.Errorf("%d gettoken, %d sends; want one token for all", len(f.gets), len(f.sends))
	}
}
