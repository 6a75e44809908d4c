package notify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/e5renew/e5renew/internal/notify"
)

func TestRedact(t *testing.T) {
	const key = "693a91f6-7xxx-4bc4+97a0/0ec2"
	qkey, pkey := url.QueryEscape(key), url.PathEscape(key)
	secrets := []string{key, qkey, pkey}
	urlErr := func(u string) error {
		return &url.Error{Op: "Post", URL: u, Err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")}
	}
	cases := []struct {
		name string
		err  error
		want string // the text after redaction
		// same: the very error passed in comes back (a *notify.Error cleaned in place, or
		// an error without a secret).
		same bool
	}{
		{
			name: "answer of a notify.Error",
			err:  &notify.Error{Channel: "wecom", Status: 400, Answer: "invalid webhook url, key=" + key + ", 请检查"},
			want: "wecom: HTTP 400: invalid webhook url, key=[redacted], 请检查",
			same: true,
		},
		{
			name: "URL error inside a notify.Error",
			err:  &notify.Error{Channel: "wecom", Err: urlErr("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + qkey)},
			want: `wecom: Post "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=[redacted]": dial tcp 127.0.0.1:1: connect: connection refused`,
			same: true,
		},
		{
			name: "URL error alone, key in the path",
			err:  urlErr("https://api.day.app/" + pkey),
			want: `Post "https://api.day.app/[redacted]": dial tcp 127.0.0.1:1: connect: connection refused`,
		},
		{
			name: "wrapped plain error",
			err:  fmt.Errorf("send: %w", fmt.Errorf("服务回答：令牌 %s 无效", key)),
			want: "send: 服务回答：令牌 [redacted] 无效",
		},
		{
			name: "wrapped error inside a notify.Error",
			err:  &notify.Error{Channel: "bark", Err: fmt.Errorf("request: %w", errors.New("bad key "+key))},
			want: "bark: request: bad key [redacted]",
			same: true,
		},
		{
			name: "notify.Error wrapped in an error that also names the key",
			err:  fmt.Errorf("key %s: %w", key, &notify.Error{Channel: "bark", Answer: "unknown " + key}),
			want: "key [redacted]: bark: unknown [redacted]",
		},
		{
			name: "every form of the key",
			err:  errors.New(key + " " + qkey + " " + pkey),
			want: "[redacted] [redacted] [redacted]",
		},
		{
			name: "no secret",
			err:  &notify.Error{Channel: "bark", Status: 500, Answer: "服务器错误"},
			want: "bark: HTTP 500: 服务器错误",
			same: true,
		},
		{
			name: "no secret, plain error",
			err:  errors.New("timeout"),
			want: "timeout",
			same: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var wantE *notify.Error
			hadE := errors.As(tc.err, &wantE)
			got := notify.Redact(tc.err, append(secrets, "")...)
			if got == nil {
				t.Fatal("nil error")
			}
			if got.Error() != tc.want {
				t.Errorf("text\n got %q\nwant %q", got.Error(), tc.want)
			}
			if strings.Contains(got.Error(), key) || strings.Contains(got.Error(), qkey) || strings.Contains(got.Error(), pkey) {
				t.Errorf("the key is still there: %q", got.Error())
			}
			if same := got == tc.err; same != tc.same {
				t.Errorf("returned the same error: %v, want %v", same, tc.same)
			}
			// A notify.Error stays reachable (the manager retries by its status), cleaned.
			var e *notify.Error
			if errors.As(got, &e) != hadE || (hadE && e != wantE) {
				t.Fatalf("errors.As: %v (%p, want %p)", errors.As(got, &e), e, wantE)
			}
			if hadE && (strings.Contains(e.Error(), key) || strings.Contains(e.Answer, key)) {
				t.Errorf("the notify.Error still holds the key: %q", e.Error())
			}
		})
	}

	if notify.Redact(nil, key) != nil {
		t.Error("Redact(nil) is not nil")
	}
	// An empty secret (a setting left out) changes nothing.
	err := errors.New("令牌无效")
	if got := notify.Redact(err, "", ""); got != err {
		t.Errorf("empty secrets changed the error: %v", got)
	}
	// Secrets are replaced in the order given: the whole value before a part of it.
	whole := "https://oapi.dingtalk.com/robot/send?access_token=abc123"
	if got := notify.Redact(errors.New("bad "+whole), whole, "abc123").Error(); got != "bad [redacted]" {
		t.Errorf("got %q", got)
	}
}

func TestJSON(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{map[string]string{"content": "<b>续订</b> & 登录"}, `{"content":"<b>续订</b> & 登录"}`},
		{"第一行\n第二行\t\"引号\"", `"第一行\n第二行\t\"引号\""`},
		{struct {
			A int    `json:"a"`
			B string `json:"b,omitempty"`
		}{A: 1}, `{"a":1}`},
		{"\u2028", `"\u2028"`}, // still escaped, as json.Marshal does
		{nil, `null`},
	}
	for _, tc := range cases {
		got, err := notify.JSON(tc.v)
		if err != nil || string(got) != tc.want {
			t.Errorf("JSON(%#v) = %s, %v; want %s", tc.v, got, err, tc.want)
		}
	}
	if got, err := notify.JSON(make(chan int)); err == nil || got != nil {
		t.Errorf("JSON(chan) = %q, %v; want an error", got, err)
	}
}

func TestTruncateBytes(t *testing.T) {
	cases := []struct {
		s    string
		n    int
		want string
	}{
		{"续订失败", 12, "续订失败"}, // fits exactly: unchanged
		{"续订失败", 100, "续订失败"},
		{"续订失败", 11, "续订…"}, // 11-3 = 8 is inside 失: back to the boundary at 6
		{"续订失败", 9, "续订…"},
		{"续订失败", 8, "续…"},
		{"续订失败", 6, "续…"},
		{"续订失败", 5, "…"},
		{"续订失败", 3, "…"},
		{"续订失败", 2, ""},
		{"续订失败", 0, ""},
		{"续订失败", -5, ""},
		{"", 0, ""},
		{"abc def", 7, "abc def"},
		{"abc def", 6, "abc…"},  // the space before the cut is dropped
		{"ab \n\n续订", 8, "ab…"}, // spaces and newlines before the cut go
		{"ab\t续订", 8, "ab\t…"},  // a tab is kept
		{"e5 😀😀", 10, "e5 😀…"},  // a 4-byte emoji is not split
		{"e5 😀😀", 9, "e5…"},
	}
	for _, tc := range cases {
		got := notify.TruncateBytes(tc.s, tc.n)
		if got != tc.want {
			t.Errorf("TruncateBytes(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
	// Every cut of a mixed text is valid UTF-8 within n bytes.
	s := "账号 alice 需要处理。刷新令牌已失效 😀 & <重新登录>"
	for n := -1; n <= len(s)+1; n++ {
		got := notify.TruncateBytes(s, n)
		if !utf8.ValidString(got) || len(got) > max(n, 0) {
			t.Errorf("TruncateBytes(s, %d) = %q (%d bytes)", n, got, len(got))
		}
		if n < len(s) && n >= 3 && !strings.HasSuffix(got, "…") {
			t.Errorf("TruncateBytes(s, %d) = %q: no ellipsis", n, got)
		}
	}
}

func TestTruncateRunes(t *testing.T) {
	cases := []struct {
		s    string
		n    int
		want string
	}{
		{"续订失败", 4, "续订失败"},
		{"续订失败", 3, "续订…"},
		{"续订失败", 1, "…"},
		{"续订失败", 0, ""},
		{"续订失败", -1, ""},
		{"", 0, ""},
		{"ab 续订", 4, "ab …"}, // spaces before the cut are kept
		{"😀😀😀", 2, "😀…"},
	}
	for _, tc := range cases {
		if got := notify.TruncateRunes(tc.s, tc.n); got != tc.want {
			t.Errorf("TruncateRunes(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	cases := []struct{ s, want string }{
		{"账号 alice 需要处理", "账号 alice 需要处理"},
		{"  账号\talice\r\n需要   处理\n", "账号 alice 需要 处理"},
		{"账号\u3000alice", "账号 alice"}, // the ideographic space is white space too
		{"", ""},
		{" \n\t ", ""},
	}
	for _, tc := range cases {
		if got := notify.OneLine(tc.s); got != tc.want {
			t.Errorf("OneLine(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestStripControl(t *testing.T) {
	cases := []struct{ s, want string }{
		{"续订\t失败\n请登录", "续订\t失败\n请登录"},
		{"第一行\r\n第二行", "第一行\n第二行"},
		{"响铃\x07\x00\x1f\x7f完", "响铃完"},
		{"段\u2028行\u2029末", "段\n行\n末"},
		{"<b>&</b> é 😀", "<b>&</b> é 😀"},
	}
	for _, tc := range cases {
		got := notify.StripControl(tc.s)
		if got != tc.want {
			t.Errorf("StripControl(%q) = %q, want %q", tc.s, got, tc.want)
		}
		if b, _ := notify.JSON(got); strings.Contains(string(b), `\u`) {
			t.Errorf("JSON of StripControl(%q) has a \\u escape: %s", tc.s, b)
		}
	}
}

func TestParseHTTPURL(t *testing.T) {
	cases := []struct {
		s    string
		ok   bool
		host string
	}{
		{"https://api.telegram.org", true, "api.telegram.org"},
		{"http://127.0.0.1:8080/proxy/", true, "127.0.0.1:8080"},
		{"HTTPS://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", true, "qyapi.weixin.qq.com"},
		{"api.telegram.org", false, ""},
		{"ftp://example.com", false, ""},
		{"https://", false, ""},
		{"https:///path", false, ""},
		{"http://[::1", false, ""},
		{"", false, ""},
	}
	for _, tc := range cases {
		u, ok := notify.ParseHTTPURL(tc.s)
		if ok != tc.ok || (ok && u.Host != tc.host) || (!ok && u != nil) {
			t.Errorf("ParseHTTPURL(%q) = %v, %v; want ok %v host %q", tc.s, u, ok, tc.ok, tc.host)
		}
	}
}

func TestHTTPClient(t *testing.T) {
	if c := notify.HTTPClient(nil); c == nil || c.Timeout != notify.DefaultTimeout {
		t.Errorf("HTTPClient(nil) = %+v", c)
	}
	hc := &http.Client{}
	if notify.HTTPClient(hc) != hc {
		t.Error("HTTPClient replaced the given client")
	}
}

func TestPostJSON(t *testing.T) {
	type seen struct{ method, contentType, body string }
	var got seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = seen{r.Method, r.Header.Get("Content-Type"), string(b)}
		if r.URL.Query().Get("fail") != "" {
			w.WriteHeader(http.StatusBadRequest)
		}
		io.WriteString(w, `{"errcode":0,"errmsg":"好"}`)
	}))
	defer srv.Close()

	payload := []byte(`{"text":"续订 <b>&</b>"}`)
	raw, err := notify.PostJSON(context.Background(), nil, "wecom", srv.URL+"/send?key=k", payload)
	if err != nil || string(raw) != `{"errcode":0,"errmsg":"好"}` {
		t.Fatalf("answer %q, %v", raw, err)
	}
	if want := (seen{http.MethodPost, "application/json; charset=utf-8", string(payload)}); got != want {
		t.Errorf("request %+v, want %+v", got, want)
	}

	_, err = notify.PostJSON(context.Background(), nil, "wecom", srv.URL+"/send?fail=1", payload)
	var e *notify.Error
	if !errors.As(err, &e) || e.Channel != "wecom" || e.Status != http.StatusBadRequest {
		t.Errorf("error %#v", err)
	}

	// A URL that does not parse: an Error without a status, which Redact can clean.
	_, err = notify.PostJSON(context.Background(), nil, "tg", "https://api.telegram.org/bot1:SECRET\x7f/sendMessage\x7f", payload)
	if !errors.As(err, &e) || e.Channel != "tg" || e.Status != 0 || e.Err == nil {
		t.Fatalf("error %#v", err)
	}
	if got := notify.Redact(err, "1:SECRET").Error(); strings.Contains(got, "SECRET") {
		t.Errorf("redacted error %q", got)
	}
}
