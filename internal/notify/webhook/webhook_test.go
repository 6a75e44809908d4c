package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/secret"
)

const (
	urlKey      = "k3y-in-the-query-0123"
	bearerToken = "bearer-secret-token-456"
)

type captured struct {
	method, path, query string
	header              http.Header
	body                []byte
}

func fake(t *testing.T, status int, answer string) (*httptest.Server, *captured) {
	t.Helper()
	got := &captured{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path, got.query = r.Method, r.URL.Path, r.URL.RawQuery
		got.header = r.Header.Clone()
		got.body, _ = io.ReadAll(r.Body)
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func msg() notify.Message {
	return notify.Message{
		Kind:     notify.NeedsOwner,
		Title:    `账号 "alice" 需要处理`,
		Text:     "刷新令牌已失效。\n请重新登录 <现在> & 立即",
		Markdown: "**刷新令牌已失效。**",
		Account:  "alice",
		URL:      "https://e5.example.com/accounts/alice",
		Time:     time.Date(2026, 5, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)),
	}
}

func TestDefaultBody(t *testing.T) {
	srv, got := fake(t, http.StatusOK, "")
	n, err := New(Config{
		URL:     secret.String(srv.URL + "/hooks/e5?key=" + urlKey),
		Headers: map[string]secret.String{"Authorization": "Bearer " + bearerToken, "X-Source": "e5renew"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Send(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	if got.method != "POST" || got.path != "/hooks/e5" || got.query != "key="+urlKey {
		t.Errorf("request = %s %s?%s", got.method, got.path, got.query)
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if a := got.header.Get("Authorization"); a != "Bearer "+bearerToken {
		t.Errorf("Authorization = %q", a)
	}
	if s := got.header.Get("X-Source"); s != "e5renew" {
		t.Errorf("X-Source = %q", s)
	}
	var body map[string]any
	if err := json.Unmarshal(got.body, &body); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, got.body)
	}
	want := map[string]any{
		"kind":     "needs_owner",
		"title":    `账号 "alice" 需要处理`,
		"text":     "刷新令牌已失效。\n请重新登录 <现在> & 立即",
		"markdown": "**刷新令牌已失效。**",
		"account":  "alice",
		"url":      "https://e5.example.com/accounts/alice",
		"time":     "2026-05-01T08:00:00+08:00",
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body =\n%#v\nwant\n%#v", body, want)
	}
	if strings.Contains(string(got.body), `\u003c`) {
		t.Errorf("body HTML-escapes: %s", got.body)
	}
	if n.Name() != "webhook" || n.Type() != "webhook" {
		t.Errorf("Name/Type = %q/%q", n.Name(), n.Type())
	}
}

func TestCustomTemplate(t *testing.T) {
	srv, got := fake(t, http.StatusAccepted, "queued")
	n, err := New(Config{
		Name:   "wecom-bot",
		URL:    secret.String(srv.URL + "/cgi-bin/webhook/send?key=" + urlKey),
		Method: "put",
		Body:   `{"msgtype":"text","text":{"content":{{json .Full}}},"at":{{json .Account}},"kind":"{{.Kind}}"}`,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Send(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	if got.method != "PUT" || got.path != "/cgi-bin/webhook/send" {
		t.Errorf("request = %s %s", got.method, got.path)
	}
	var body struct {
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
		At   string `json:"at"`
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(got.body, &body); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, got.body)
	}
	if body.MsgType != "text" || body.Text.Content != msg().Full() || body.At != "alice" || body.Kind != "needs_owner" {
		t.Errorf("body = %+v", body)
	}
}

func TestPlainTextBody(t *testing.T) {
	srv, got := fake(t, http.StatusNoContent, "")
	n, err := New(Config{
		URL:         secret.String(srv.URL + "/ntfy/e5renew"),
		ContentType: "text/plain; charset=utf-8",
		Body:        "{{.Title}}\n{{.Text}}{{if .URL}}\n{{.URL}}{{end}}",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Send(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	if ct := got.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	want := "账号 \"alice\" 需要处理\n刷新令牌已失效。\n请重新登录 <现在> & 立即\nhttps://e5.example.com/accounts/alice"
	if string(got.body) != want {
		t.Errorf("body = %q, want %q", got.body, want)
	}
}

func TestErrorsHideSecrets(t *testing.T) {
	srv, _ := fake(t, http.StatusForbidden, `{"error":"bad key `+urlKey+` or token `+bearerToken+`"}`)
	n, err := New(Config{
		URL:     secret.String(srv.URL + "/hook?key=" + urlKey),
		Headers: map[string]secret.String{"Authorization": "Bearer " + bearerToken},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = n.Send(context.Background(), msg())
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"webhook", "HTTP 403", "bad key"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if strings.Contains(err.Error(), urlKey) || strings.Contains(err.Error(), bearerToken) {
		t.Errorf("error leaks a secret: %q", err)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	n, _ = New(Config{URL: secret.String(closed.URL + "/hook?key=" + urlKey)}, nil)
	if err := n.Send(context.Background(), msg()); err == nil || strings.Contains(err.Error(), urlKey) {
		t.Errorf("transport error = %v", err)
	}

	for _, s := range []int{http.StatusMultipleChoices, http.StatusInternalServerError} {
		srv, _ := fake(t, s, "nope")
		n, _ := New(Config{URL: secret.String(srv.URL)}, nil)
		if err := n.Send(context.Background(), msg()); err == nil {
			t.Errorf("status %d accepted", s)
		}
	}
}

func TestJSONFunc(t *testing.T) {
	for in, want := range map[any]string{
		"a\"b\\c\n<中>&":  `"a\"b\\c\n<中>&"`,
		notify.Recovered: `"recovered"`,
		42:               `42`,
	} {
		got, err := jsonValue(in)
		if err != nil || got != want {
			t.Errorf("json(%#v) = %s, %v; want %s", in, got, err, want)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := secret.String("https://example.com/hook?key=" + urlKey)
	cases := []struct {
		name string
		c    Config
		want []string
	}{
		{"ok", Config{URL: ok}, nil},
		{"ok text", Config{URL: ok, ContentType: "text/plain", Body: "{{.Title}}: {{.Text}}"}, nil},
		{"ok vendor json", Config{URL: ok, ContentType: "application/vnd.x+json", Body: `{"t":{{json .Title}}}`}, nil},
		{"missing url", Config{}, []string{"webhook: url is required"}},
		{"bad url", Config{URL: "example.com/hook?key=" + urlKey}, []string{"url is malformed"}},
		{"method", Config{URL: ok, Method: "DELETE"}, []string{`method "DELETE"`, "POST"}},
		{"content type", Config{URL: ok, ContentType: "json"}, []string{`content_type "json" is malformed`}},
		{"header name", Config{URL: ok, Headers: map[string]secret.String{"Bad Header": "x"}}, []string{`"Bad Header" is not a valid header name`}},
		{"content-type header", Config{URL: ok, Headers: map[string]secret.String{"content-type": "text/plain"}}, []string{"set content_type instead"}},
		{"header value", Config{URL: ok, Headers: map[string]secret.String{"X-Token": secret.String(bearerToken + "\r\nX-Evil: 1")}}, []string{"value of X-Token must be one line"}},
		{"template syntax", Config{URL: ok, Body: `{"t": {{json .Title}`}, []string{"body is not a valid template"}},
		{"unknown field", Config{URL: ok, Body: `{"t": {{json .Subject}}}`}, []string{"body template fails", "Subject", ".Kind .Title"}},
		{"unknown func", Config{URL: ok, Body: `{{upper .Title}}`}, []string{"body is not a valid template", "upper"}},
		{"not json", Config{URL: ok, Body: `{"text": "{{.Text}}"}`}, []string{"does not produce valid JSON", "json function"}},
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
			if strings.Contains(err.Error(), urlKey) || strings.Contains(err.Error(), bearerToken) {
				t.Errorf("error leaks a secret: %q", err)
			}
			if _, nerr := New(tc.c, nil); nerr == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}
