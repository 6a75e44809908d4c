// Package wecomrobot sends notifications to a WeChat Work (企业微信) group robot:
// POST {base_url}/cgi-bin/webhook/send?key=KEY with {"msgtype":"markdown",...} (or
// "text"). The answer is {"errcode":0,"errmsg":"ok"} on success.
package wecomrobot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/secret"
)

// Type is the channel type.
const Type = "wecomrobot"

// DefaultBaseURL is the public WeChat Work API.
const DefaultBaseURL = "https://qyapi.weixin.qq.com"

// The limits of a robot message's content, in bytes of UTF-8.
const (
	maxMarkdown = 4096
	maxText     = 2048
)

// The message formats.
const (
	FormatMarkdown = "markdown"
	FormatText     = "text"
)

// Config configures a group robot.
type Config struct {
	Name string `yaml:"name"`
	// BaseURL is the API base (default https://qyapi.weixin.qq.com, or the host of a
	// full webhook URL given as key).
	BaseURL string `yaml:"base_url"`
	// Key is the robot's key, or its whole webhook URL
	// (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..., Office365Auto's
	// url_wechat).
	Key secret.String `yaml:"key"`
	// Format is markdown (default; rendered in the WeChat Work app) or text (also
	// readable in WeChat, which does not render robot markdown).
	Format string `yaml:"format"`
}

func (c Config) name() string {
	if c.Name != "" {
		return c.Name
	}
	return Type
}

func (c Config) format() string {
	if c.Format == "" {
		return FormatMarkdown
	}
	return strings.ToLower(c.Format)
}

// endpoint returns the API base and the key, taking both from a full webhook URL.
func (c Config) endpoint() (base, key string, err error) {
	k := strings.TrimSpace(c.Key.Reveal())
	base = DefaultBaseURL
	if strings.Contains(k, "://") {
		u, ok := notify.ParseHTTPURL(k)
		if !ok {
			return "", "", errors.New("key looks like a URL but is not a valid one: paste the robot's webhook URL (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...) or just its key")
		}
		k = u.Query().Get("key")
		if k == "" {
			return "", "", errors.New("key: the webhook URL has no key=... parameter: copy the whole webhook URL from the robot's settings in the group")
		}
		base = u.Scheme + "://" + u.Host
	}
	if c.BaseURL != "" {
		base = strings.TrimRight(c.BaseURL, "/")
	}
	return base, k, nil
}

// Validate reports every missing or malformed field.
func (c Config) Validate() error {
	p := c.name() + ": "
	var errs []error
	if strings.TrimSpace(c.Key.Reveal()) == "" {
		errs = append(errs, errors.New(p+"key is required: the group robot's webhook URL (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...) or just its key; find it in the group's robot settings (群机器人)"))
	} else if _, k, err := c.endpoint(); err != nil {
		errs = append(errs, errors.New(p+err.Error()))
	} else if strings.ContainsAny(k, " /?&#") {
		errs = append(errs, errors.New(p+"key is malformed: a robot key is letters, digits and dashes; paste the webhook URL or the part after key="))
	}
	if c.BaseURL != "" {
		if _, ok := notify.ParseHTTPURL(c.BaseURL); !ok {
			errs = append(errs, fmt.Errorf("%sbase_url %q is not an http(s) URL: write the API base such as %s (or leave it out)", p, c.BaseURL, DefaultBaseURL))
		}
	}
	switch c.format() {
	case FormatMarkdown, FormatText:
	default:
		errs = append(errs, fmt.Errorf("%sformat %q is not supported: write markdown (the default) or text", p, c.Format))
	}
	return errors.Join(errs...)
}

type notifier struct {
	c    Config
	base string
	key  string
	hc   *http.Client
}

var _ notify.Notifier = (*notifier)(nil)

// New validates c and returns its notifier; a nil hc means a client with a timeout.
func New(c Config, hc *http.Client) (notify.Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	base, key, _ := c.endpoint()
	hc = notify.HTTPClient(hc)
	return &notifier{c: c, base: base, key: key, hc: hc}, nil
}

func (n *notifier) Name() string { return n.c.name() }
func (n *notifier) Type() string { return Type }

type content struct {
	Content string `json:"content"`
}

type request struct {
	MsgType  string   `json:"msgtype"`
	Markdown *content `json:"markdown,omitempty"`
	Text     *content `json:"text,omitempty"`
}

type answer struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Send delivers m.
func (n *notifier) Send(ctx context.Context, m notify.Message) error {
	var body request
	if n.c.format() == FormatText {
		body = request{MsgType: FormatText, Text: &content{plainText(m)}}
	} else {
		body = request{MsgType: FormatMarkdown, Markdown: &content{markdown(m)}}
	}
	payload, err := notify.JSON(body)
	if err != nil {
		return &notify.Error{Channel: n.Name(), Err: err}
	}
	endpoint := n.base + "/cgi-bin/webhook/send?" + url.Values{"key": {n.key}}.Encode()
	raw, err := notify.PostJSON(ctx, n.hc, n.Name(), endpoint, payload)
	if err != nil {
		return n.scrub(err)
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil || a.ErrCode == nil || *a.ErrCode != 0 {
		msg := string(raw)
		if a.ErrCode != nil {
			msg = fmt.Sprintf("errcode %d: %s%s", *a.ErrCode, a.ErrMsg, hint(*a.ErrCode))
		}
		return n.scrub(notify.Fail(n.Name(), msg))
	}
	return nil
}

func hint(code int) string {
	switch code {
	case 93000:
		return " (the webhook key is wrong or the robot was removed from the group: copy the webhook URL again)"
	case 45009:
		return " (a robot may send at most 20 messages a minute)"
	}
	return ""
}

// scrub removes the robot key (bare and query-escaped) and the configured key (possibly
// a whole webhook URL) from an error's text.
func (n *notifier) scrub(err error) error {
	return notify.Redact(err, n.key, url.QueryEscape(n.key), n.c.Key.Reveal())
}

// markdown renders m as WeChat Work robot markdown: the title in bold, the body, and
// the link; the body is cut so the whole content fits 4096 bytes. Title and body go
// through notify.StripControl, since WeChat Work refuses \u escapes (errcode 40033).
func markdown(m notify.Message) string {
	head := "**" + notify.StripControl(notify.OneLine(m.Title)) + "**"
	tail := ""
	if m.URL != "" {
		tail = "\n\n[" + m.URL + "](" + m.URL + ")"
	}
	body := notify.StripControl(strings.TrimSpace(m.Body(true)))
	if body == "" {
		return head + tail
	}
	body = notify.TruncateBytes(body, maxMarkdown-len(head)-len("\n\n")-len(tail))
	return head + "\n\n" + body + tail
}

// plainText renders m as a text message within 2048 bytes, with control characters
// stripped as in markdown.
func plainText(m notify.Message) string {
	head := notify.StripControl(notify.OneLine(m.Title))
	tail := ""
	if m.URL != "" {
		tail = "\n" + m.URL
	}
	body := notify.StripControl(strings.TrimSpace(m.Text))
	if body == "" {
		return head + tail
	}
	body = notify.TruncateBytes(body, maxText-len(head)-len("\n\n")-len(tail))
	return head + "\n\n" + body + tail
}
