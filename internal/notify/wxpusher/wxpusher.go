// Package wxpusher sends notifications through WxPusher (wxpusher.zjiecode.com), which
// delivers to WeChat and its own apps.
//
// API (standard push): POST {base_url}/api/send/message with a JSON body {appToken,
// content, summary, contentType (1 text, 2 HTML, 3 Markdown), uids, topicIds, url}; the
// answer is {"code": 1000, "msg": "处理成功", "success": true, "data": [{"uid": ...,
// "topicId": ..., "code": 1000, "status": "创建发送任务成功"}, ...]} with one entry per
// recipient. Office365Auto users already have the app token and UID (its appToken and UID
// settings): see Office365Auto.
package wxpusher

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/secret"
)

// Type is the channel type.
const Type = "wxpusher"

// DefaultBaseURL is the public WxPusher API.
const DefaultBaseURL = "https://wxpusher.zjiecode.com"

// Limits documented by WxPusher: content under 40000 characters, summary up to 100
// (kept at 99 here), at most 2000 UIDs and 5 topics per message.
const (
	maxContent = 39999
	maxSummary = 99
	maxUIDs    = 2000
	maxTopics  = 5
)

// Content types.
const (
	contentText     = 1
	contentMarkdown = 3
)

// Config configures a WxPusher channel.
type Config struct {
	// Name is the channel's unique name (default "wxpusher").
	Name string `yaml:"name"`
	// AppToken is the application's token (AT_...), from https://wxpusher.zjiecode.com/admin/
	// (Office365Auto: appToken).
	AppToken secret.String `yaml:"app_token"`
	// UIDs are the recipients' user ids (UID_...; Office365Auto: UID).
	UIDs []string `yaml:"uids"`
	// TopicIDs are topics (主题) to send to; they may be combined with UIDs.
	TopicIDs []int `yaml:"topic_ids"`
	// ContentType is "markdown" (default) or "text". Messages without a Markdown body are
	// sent as text either way.
	ContentType string `yaml:"content_type"`
	// BaseURL is the API root (default https://wxpusher.zjiecode.com).
	BaseURL string `yaml:"base_url"`
}

// Office365Auto builds a configuration from Office365Auto's settings: its appToken and
// its UID (one id, or several separated by commas or semicolons).
func Office365Auto(appToken, uid string) Config {
	uids := strings.FieldsFunc(uid, func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
	return Config{AppToken: secret.String(strings.TrimSpace(appToken)), UIDs: uids}
}

// Validate reports every missing or malformed field by its yaml key.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("wxpusher: "+format, a...)) }
	tok := strings.TrimSpace(c.AppToken.Reveal())
	switch {
	case tok == "":
		bad("app_token is required: the application's appToken (AT_...) from https://wxpusher.zjiecode.com/admin/ (应用管理 → appToken)")
	case strings.HasPrefix(tok, "SPT_"):
		bad("app_token is an SPT (极简推送) token, which this channel does not use: create an application and give its appToken (AT_...) and your UID")
	case strings.ContainsAny(tok, " \t\r\n/?#&"):
		bad("app_token is malformed: it must be the bare appToken (AT_...), not a URL")
	}
	if len(c.UIDs) == 0 && len(c.TopicIDs) == 0 {
		bad("uids or topic_ids is required: your UID (UID_..., in the WxPusher official account: 我的 → 我的UID) or a topic id")
	}
	for i, u := range c.UIDs {
		if strings.TrimSpace(u) == "" || strings.ContainsAny(u, " \t\r\n,;") {
			bad("uids[%d] is malformed: one UID (UID_...) per list item", i)
		}
	}
	if len(c.UIDs) > maxUIDs {
		bad("uids has %d entries: WxPusher accepts at most %d", len(c.UIDs), maxUIDs)
	}
	for i, id := range c.TopicIDs {
		if id <= 0 {
			bad("topic_ids[%d] is malformed: a topic id is a positive number (主题管理 → ID)", i)
		}
	}
	if len(c.TopicIDs) > maxTopics {
		bad("topic_ids has %d entries: WxPusher accepts at most %d", len(c.TopicIDs), maxTopics)
	}
	switch c.ContentType {
	case "", "markdown", "text":
	default:
		bad("content_type %q is not supported: use \"markdown\" (default) or \"text\"", c.ContentType)
	}
	if c.BaseURL != "" {
		u, ok := notify.ParseHTTPURL(c.BaseURL)
		switch {
		case !ok:
			bad("base_url is malformed: use an http(s) URL such as %s", DefaultBaseURL)
		case u.RawQuery != "" || u.Fragment != "":
			bad("base_url must not have a query or fragment: give only the API root")
		}
	}
	return errors.Join(errs...)
}

type notifier struct {
	c    Config
	hc   *http.Client
	base string
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
	if c.ContentType == "" {
		c.ContentType = "markdown"
	}
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	c.AppToken = secret.String(strings.TrimSpace(c.AppToken.Reveal()))
	return &notifier{c: c, hc: hc, base: strings.TrimRight(base, "/")}, nil
}

func (n *notifier) Name() string { return n.c.Name }
func (n *notifier) Type() string { return Type }

type request struct {
	AppToken    string   `json:"appToken"`
	Content     string   `json:"content"`
	Summary     string   `json:"summary"`
	ContentType int      `json:"contentType"`
	UIDs        []string `json:"uids,omitempty"`
	TopicIDs    []int    `json:"topicIds,omitempty"`
	URL         string   `json:"url,omitempty"`
}

type answer struct {
	Code    *int   `json:"code"`
	Msg     string `json:"msg"`
	Success bool   `json:"success"`
	Data    json.RawMessage
}

type recipient struct {
	UID     string `json:"uid"`
	TopicID *int   `json:"topicId"`
	Code    *int   `json:"code"`
	Status  string `json:"status"`
}

// Send delivers m.
func (n *notifier) Send(ctx context.Context, m notify.Message) error {
	ct, content := format(n.c.ContentType, m)
	summary := m.Title
	if summary == "" {
		summary = firstLine(m.Text)
	}
	body, err := json.Marshal(request{
		AppToken:    n.c.AppToken.Reveal(),
		Content:     content,
		Summary:     notify.TruncateRunes(summary, maxSummary),
		ContentType: ct,
		UIDs:        n.c.UIDs,
		TopicIDs:    n.c.TopicIDs,
		URL:         m.URL,
	})
	if err != nil {
		return &notify.Error{Channel: n.c.Name, Err: err}
	}
	req, err := http.NewRequest(http.MethodPost, n.base+"/api/send/message", bytes.NewReader(body))
	if err != nil {
		return &notify.Error{Channel: n.c.Name, Err: errors.New("bad base_url")}
	}
	req.Header.Set("Content-Type", "application/json")
	out, err := notify.Post(ctx, n.hc, n.c.Name, req)
	if err != nil {
		return n.scrub(err)
	}
	var a answer
	if err := json.Unmarshal(out, &a); err != nil || a.Code == nil {
		return n.scrub(notify.Fail(n.c.Name, "unexpected answer: "+string(out)))
	}
	if *a.Code != 1000 || !a.Success {
		return n.scrub(notify.Fail(n.c.Name, fmt.Sprintf("code %d: %s", *a.Code, a.Msg)))
	}
	// One entry per recipient. The message counts as delivered when at least one
	// recipient accepted it (failing the whole send would resend it to the others).
	var rs []recipient
	if json.Unmarshal(a.Data, &rs) == nil && len(rs) > 0 {
		var failed []string
		for _, r := range rs {
			if r.Code == nil || *r.Code == 1000 {
				return nil
			}
			who := r.UID
			if r.TopicID != nil {
				who = fmt.Sprintf("topic %d", *r.TopicID)
			}
			failed = append(failed, fmt.Sprintf("%s: code %d %s", who, *r.Code, r.Status))
		}
		return n.scrub(notify.Fail(n.c.Name, "no recipient accepted the message: "+strings.Join(failed, "; ")))
	}
	return nil
}

// scrub removes the app token from an error's text, should the service ever echo it.
func (n *notifier) scrub(err error) error {
	return notify.Redact(err, n.c.AppToken.Reveal())
}

// format builds the content: Markdown (title as a heading) when configured and the message
// has a Markdown body, else plain text (whose line breaks Markdown would merge). The link
// goes in the url field (WxPusher shows it as the message's original link) and, for
// Markdown, also at the end of the content.
func format(contentType string, m notify.Message) (int, string) {
	if contentType == "markdown" && m.Markdown != "" {
		head := ""
		if m.Title != "" {
			head = "## " + escapeMarkdown(m.Title) + "\n\n"
		}
		link := ""
		if m.URL != "" {
			link = "\n\n[" + m.URL + "](" + m.URL + ")"
		}
		room := maxContent - utf8.RuneCountInString(head) - utf8.RuneCountInString(link)
		return contentMarkdown, head + notify.TruncateRunes(m.Markdown, room) + link
	}
	head := ""
	if m.Title != "" {
		head = m.Title + "\n\n"
	}
	link := ""
	if m.URL != "" {
		link = "\n\n" + m.URL
	}
	room := maxContent - utf8.RuneCountInString(head) - utf8.RuneCountInString(link)
	return contentText, head + notify.TruncateRunes(m.Text, room) + link
}

// escapeMarkdown backslash-escapes the characters that Markdown would interpret inline.
func escapeMarkdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>#|~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}
