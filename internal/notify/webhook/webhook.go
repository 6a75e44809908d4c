// Package webhook sends notifications to any HTTP endpoint: a configurable method,
// headers (whose values may be secrets), content type and a body built with a Go
// text/template over the message. Any 2xx answer is success.
//
// The template sees the message's fields .Kind .Title .Text .Markdown .Account .URL .Time
// (and its methods: {{.Full}}, {{.Body true}}), and a function json that writes a value as
// JSON (a string becomes a quoted, escaped JSON string), so a JSON body is written as
//
//	{"msgtype": "text", "text": {"content": {{json .Full}}}}
//
// The default body is a JSON object with every field:
//
//	{"kind": ..., "title": ..., "text": ..., "markdown": ..., "account": ..., "url": ..., "time": "2006-01-02T15:04:05Z"}
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/secret"
)

// Type is the channel type.
const Type = "webhook"

// DefaultBody is the body template used when none is configured.
const DefaultBody = `{"kind":{{json .Kind}},"title":{{json .Title}},"text":{{json .Text}},` +
	`"markdown":{{json .Markdown}},"account":{{json .Account}},"url":{{json .URL}},"time":{{json .Time}}}`

// DefaultContentType is the content type used when none is configured.
const DefaultContentType = "application/json"

// Config configures a generic webhook.
type Config struct {
	// Name is the channel's unique name (default "webhook").
	Name string `yaml:"name"`
	// URL is the endpoint; it may carry a key in its query, so it is kept as a secret.
	URL secret.String `yaml:"url"`
	// Method is POST (default), PUT or PATCH.
	Method string `yaml:"method"`
	// Headers are extra request headers; values may be secrets (Authorization: Bearer ...).
	Headers map[string]secret.String `yaml:"headers"`
	// ContentType is the body's media type (default application/json).
	ContentType string `yaml:"content_type"`
	// Body is a text/template for the body (default DefaultBody). With a JSON content
	// type, the template must produce valid JSON: write strings with {{json .Title}}.
	Body string `yaml:"body"`
}

var funcs = template.FuncMap{"json": jsonValue}

// jsonValue writes v as JSON without HTML escaping (so Chinese and <, >, & stay readable).
func jsonValue(v any) (string, error) {
	b, err := notify.JSON(v)
	return string(b), err
}

// sample is the message templates are tried on at configuration time: every field set,
// with quotes, a backslash, a line break and Chinese, so that a JSON template that forgets
// the json function is caught.
var sample = notify.Message{
	Kind:     notify.Test,
	Title:    `测试 "e5renew" \ 通知`,
	Text:     "第一行\n第二行 \"引号\"\t<tag> & 完",
	Markdown: "**粗体**\n\n- 项目",
	Account:  "alice@contoso.onmicrosoft.com",
	URL:      "https://e5.example.com/accounts/alice?x=1&y=2",
	Time:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
}

// Validate reports every missing or malformed field by its yaml key.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("webhook: "+format, a...)) }
	raw := strings.TrimSpace(c.URL.Reveal())
	if raw == "" {
		bad("url is required: the http(s) address to send notifications to")
	} else if _, ok := notify.ParseHTTPURL(raw); !ok {
		bad("url is malformed: it must be an http(s) URL such as https://example.com/hooks/e5renew")
	}
	switch strings.ToUpper(c.Method) {
	case "", http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		bad("method %q is not supported: use POST (default), PUT or PATCH", c.Method)
	}
	ct := c.ContentType
	if ct == "" {
		ct = DefaultContentType
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !strings.Contains(mt, "/") {
		bad("content_type %q is malformed: use a media type such as application/json or text/plain; charset=utf-8", c.ContentType)
	}
	names := make([]string, 0, len(c.Headers))
	for k := range c.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch {
		case !isToken(k):
			bad("headers: %q is not a valid header name", k)
		case strings.EqualFold(k, "Content-Type"):
			bad("headers: set content_type instead of a Content-Type header")
		case strings.EqualFold(k, "Content-Length"), strings.EqualFold(k, "Host"), strings.EqualFold(k, "Transfer-Encoding"):
			bad("headers: %s is set by e5renew and cannot be configured", k)
		}
		if strings.ContainsAny(c.Headers[k].Reveal(), "\r\n\x00") {
			bad("headers: the value of %s must be one line", k)
		}
	}
	if _, err := c.parse(mt); err != nil {
		bad("body %v", err)
	}
	return errors.Join(errs...)
}

// parse parses the body template, runs it on the sample message and, for JSON media
// types, checks that the result is valid JSON.
func (c Config) parse(mediaType string) (*template.Template, error) {
	src := c.Body
	if src == "" {
		src = DefaultBody
	}
	t, err := template.New("body").Funcs(funcs).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, fmt.Errorf("is not a valid template: %v", trimTemplateErr(err))
	}
	var b bytes.Buffer
	if err := t.Execute(&b, sample); err != nil {
		return nil, fmt.Errorf("template fails: %v (the fields are .Kind .Title .Text .Markdown .Account .URL .Time)", trimTemplateErr(err))
	}
	if isJSON(mediaType) && !json.Valid(b.Bytes()) {
		return nil, fmt.Errorf("does not produce valid JSON for content_type %s: write strings with the json function, e.g. {\"text\": {{json .Text}}}; got %s", mediaType, clip(b.String(), 200))
	}
	return t, nil
}

func trimTemplateErr(err error) string {
	return strings.TrimPrefix(err.Error(), "template: ")
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// isToken reports whether s is an HTTP token (RFC 9110), as header names must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

type notifier struct {
	c      Config
	hc     *http.Client
	method string
	ct     string
	body   *template.Template
}

var _ notify.Notifier = (*notifier)(nil)

// New returns a notifier for c; hc nil means a client with a timeout.
func New(c Config, hc *http.Client) (notify.Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	hc = notify.HTTPClient(hc)
	if c.Name == "" {
		c.Name = Type
	}
	n := &notifier{c: c, hc: hc, method: strings.ToUpper(c.Method), ct: c.ContentType}
	if n.method == "" {
		n.method = http.MethodPost
	}
	if n.ct == "" {
		n.ct = DefaultContentType
	}
	mt, _, _ := mime.ParseMediaType(n.ct)
	t, err := c.parse(mt)
	if err != nil {
		return nil, err
	}
	n.body = t
	return n, nil
}

func (n *notifier) Name() string { return n.c.Name }
func (n *notifier) Type() string { return Type }

// Send delivers m.
func (n *notifier) Send(ctx context.Context, m notify.Message) error {
	var b bytes.Buffer
	if err := n.body.Execute(&b, m); err != nil {
		return &notify.Error{Channel: n.c.Name, Err: fmt.Errorf("body template: %v", trimTemplateErr(err))}
	}
	req, err := http.NewRequest(n.method, strings.TrimSpace(n.c.URL.Reveal()), &b)
	if err != nil {
		return &notify.Error{Channel: n.c.Name, Err: errors.New("bad url")}
	}
	req.Header.Set("Content-Type", n.ct)
	for k, v := range n.c.Headers {
		req.Header.Set(k, v.Reveal())
	}
	_, err = notify.Post(ctx, n.hc, n.c.Name, req)
	return n.scrub(err)
}

// scrub removes header secrets and the URL's keys (query values, long path segments)
// from an error's text, should the endpoint echo them.
func (n *notifier) scrub(err error) error {
	var e *notify.Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	var secrets []string
	for _, v := range n.c.Headers {
		secrets = append(secrets, v.Reveal())
		secrets = append(secrets, strings.Fields(v.Reveal())...)
	}
	if u, perr := url.Parse(strings.TrimSpace(n.c.URL.Reveal())); perr == nil {
		for _, vs := range u.Query() {
			secrets = append(secrets, vs...)
		}
		secrets = append(secrets, strings.Split(u.Path, "/")...)
	}
	// Longest first, so that a value is replaced before a part of it.
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, s := range secrets {
		if len(s) >= 8 {
			e.Answer = strings.ReplaceAll(e.Answer, s, "[redacted]")
		}
	}
	return e
}
