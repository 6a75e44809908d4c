// Package pushplus sends notifications through PushPlus (pushplus.plus), a push service
// popular in China that delivers to the WeChat official account (default), WeCom, email
// and other channels.
//
// API: POST {base_url}/send with a JSON body {token, title, content, template, topic,
// channel, webhook}; the answer is {"code": 200, "msg": "...", "data": "<message id>"},
// any other code is a failure (903 invalid token, 900 account restricted, 999 ...).
package pushplus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/secret"
)

// Type is the channel type.
const Type = "pushplus"

// DefaultBaseURL is the public PushPlus API.
const DefaultBaseURL = "https://www.pushplus.plus"

// maxContent bounds the content (in characters). PushPlus documents no exact limit for
// content; this keeps messages well within what its pages render.
const maxContent = 20000

// Config configures a PushPlus channel.
type Config struct {
	// Name is the channel's unique name (default "pushplus").
	Name string `yaml:"name"`
	// Token is the user token (用户令牌) from https://www.pushplus.plus (32 characters).
	Token secret.String `yaml:"token"`
	// Template is "markdown" (default) or "txt". Messages without a Markdown body are sent
	// as "txt" either way.
	Template string `yaml:"template"`
	// Topic is a group code (群组编码) to send to a group; empty sends to yourself.
	Topic string `yaml:"topic"`
	// Channel is the delivery channel: wechat (default), webhook, cp, mail, sms, ...
	Channel string `yaml:"channel"`
	// Webhook is the webhook code configured in PushPlus, needed for channel webhook or cp.
	Webhook string `yaml:"webhook"`
	// BaseURL is the API root (default https://www.pushplus.plus).
	BaseURL string `yaml:"base_url"`
}

var identRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// Validate reports every missing or malformed field by its yaml key.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("pushplus: "+format, a...)) }
	tok := strings.TrimSpace(c.Token.Reveal())
	switch {
	case tok == "":
		bad("token is required: your user token (用户令牌) from https://www.pushplus.plus (一对一推送 → 一对一令牌)")
	case strings.ContainsAny(tok, " \t\r\n/?#&"):
		bad("token is malformed: it must be the bare token (32 letters and digits), not a URL")
	}
	switch c.Template {
	case "", "markdown", "txt":
	default:
		bad("template %q is not supported: use \"markdown\" (default) or \"txt\"", c.Template)
	}
	if c.Channel != "" && !identRe.MatchString(c.Channel) {
		bad("channel %q is malformed: use a PushPlus channel name such as wechat, webhook, cp or mail", c.Channel)
	}
	if (c.Channel == "webhook" || c.Channel == "cp") && strings.TrimSpace(c.Webhook) == "" {
		bad("webhook is required with channel %q: the webhook code (webhook编码) you configured in PushPlus", c.Channel)
	}
	if strings.ContainsAny(c.Topic, "\r\n") {
		bad("topic is malformed: the group code (群组编码) is one line")
	}
	if err := checkBaseURL(c.BaseURL); err != nil {
		bad("base_url %v", err)
	}
	return errors.Join(errs...)
}

func checkBaseURL(s string) error {
	if s == "" {
		return nil
	}
	u, ok := notify.ParseHTTPURL(s)
	if !ok {
		return fmt.Errorf("is malformed: use an http(s) URL such as %s", DefaultBaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must not have a query or fragment: give only the API root")
	}
	return nil
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
	if c.Template == "" {
		c.Template = "markdown"
	}
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	return &notifier{c: c, hc: hc, base: strings.TrimRight(base, "/")}, nil
}

func (n *notifier) Name() string { return n.c.Name }
func (n *notifier) Type() string { return Type }

type request struct {
	Token    string `json:"token"`
	Title    string `json:"title"`
	Content  string `json:"content"`
	Template string `json:"template"`
	Topic    string `json:"topic,omitempty"`
	Channel  string `json:"channel,omitempty"`
	Webhook  string `json:"webhook,omitempty"`
}

type answer struct {
	Code *int   `json:"code"`
	Msg  string `json:"msg"`
}

// Send delivers m.
func (n *notifier) Send(ctx context.Context, m notify.Message) error {
	template, content := format(n.c.Template, m)
	body, err := json.Marshal(request{
		Token:    strings.TrimSpace(n.c.Token.Reveal()),
		Title:    m.Title,
		Content:  content,
		Template: template,
		Topic:    n.c.Topic,
		Channel:  n.c.Channel,
		Webhook:  n.c.Webhook,
	})
	if err != nil {
		return &notify.Error{Channel: n.c.Name, Err: err}
	}
	req, err := http.NewRequest(http.MethodPost, n.base+"/send", bytes.NewReader(body))
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
	if *a.Code != 200 {
		return n.scrub(notify.Fail(n.c.Name, fmt.Sprintf("code %d: %s", *a.Code, a.Msg)))
	}
	return nil
}

// scrub removes the token from an error's text, should the service ever echo it.
func (n *notifier) scrub(err error) error {
	return notify.Redact(err, strings.TrimSpace(n.c.Token.Reveal()))
}

// format picks the template and builds the content: Markdown when configured and the
// message has a Markdown body, else plain text (whose line breaks Markdown would merge).
func format(template string, m notify.Message) (string, string) {
	if template == "markdown" && m.Markdown != "" {
		link := ""
		if m.URL != "" {
			link = "\n\n[" + m.URL + "](" + m.URL + ")"
		}
		return "markdown", notify.TruncateRunes(m.Markdown, maxContent-utf8.RuneCountInString(link)) + link
	}
	link := ""
	if m.URL != "" {
		link = "\n\n" + m.URL
	}
	return "txt", notify.TruncateRunes(m.Text, maxContent-utf8.RuneCountInString(link)) + link
}
