// Package dingtalk sends notifications to a DingTalk (钉钉) group's custom robot:
// POST {base_url}/robot/send?access_token=TOKEN with a markdown message. When the
// robot is secured by signature (加签), the URL also carries timestamp (milliseconds)
// and sign = base64(HMAC-SHA256(key=secret, message=timestamp+"\n"+secret)). The answer
// is {"errcode":0,"errmsg":"ok"} on success.
package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/secret"
)

// Type is the channel type.
const Type = "dingtalk"

// DefaultBaseURL is the public DingTalk API.
const DefaultBaseURL = "https://oapi.dingtalk.com"

// maxText keeps the request under DingTalk's 20000-byte body limit (errcode 460101,
// "message too long, exceed 20000 bytes"), with room for the JSON around the text.
const maxText = 16000

// Config configures a custom robot.
type Config struct {
	Name string `yaml:"name"`
	// BaseURL is the API base (default https://oapi.dingtalk.com, or the host of a
	// full webhook URL given as access_token).
	BaseURL string `yaml:"base_url"`
	// AccessToken is the robot's access_token, or its whole webhook URL
	// (https://oapi.dingtalk.com/robot/send?access_token=...).
	AccessToken secret.String `yaml:"access_token"`
	// Secret is the signing secret (加签, starts with SEC) when the robot uses it.
	Secret secret.String `yaml:"secret"`
}

func (c Config) name() string {
	if c.Name != "" {
		return c.Name
	}
	return Type
}

// endpoint returns the API base and the token, taking both from a full webhook URL.
func (c Config) endpoint() (base, token string, err error) {
	t := strings.TrimSpace(c.AccessToken.Reveal())
	base = DefaultBaseURL
	if strings.Contains(t, "://") {
		u, ok := notify.ParseHTTPURL(t)
		if !ok {
			return "", "", errors.New("access_token looks like a URL but is not a valid one: paste the robot's webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...) or just its access_token")
		}
		t = u.Query().Get("access_token")
		if t == "" {
			return "", "", errors.New("access_token: the webhook URL has no access_token=... parameter: copy the whole webhook URL from the robot's settings")
		}
		base = u.Scheme + "://" + u.Host
	}
	if c.BaseURL != "" {
		base = strings.TrimRight(c.BaseURL, "/")
	}
	return base, t, nil
}

// Validate reports every missing or malformed field.
func (c Config) Validate() error {
	p := c.name() + ": "
	var errs []error
	if strings.TrimSpace(c.AccessToken.Reveal()) == "" {
		errs = append(errs, errors.New(p+"access_token is required: the robot's webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...) or just its access_token, from the group's robot settings (智能群助手 → 机器人)"))
	} else if _, t, err := c.endpoint(); err != nil {
		errs = append(errs, errors.New(p+err.Error()))
	} else if strings.ContainsAny(t, " /?&#") {
		errs = append(errs, errors.New(p+"access_token is malformed: paste the webhook URL or the part after access_token="))
	}
	if s := strings.TrimSpace(c.Secret.Reveal()); s != "" && strings.ContainsAny(s, " \t\n") {
		errs = append(errs, errors.New(p+"secret is malformed: copy the signing secret (加签, it starts with SEC) again, without spaces"))
	}
	if c.BaseURL != "" {
		if _, ok := notify.ParseHTTPURL(c.BaseURL); !ok {
			errs = append(errs, fmt.Errorf("%sbase_url %q is not an http(s) URL: write the API base such as %s (or leave it out)", p, c.BaseURL, DefaultBaseURL))
		}
	}
	return errors.Join(errs...)
}

type notifier struct {
	c      Config
	base   string
	token  string
	secret string
	hc     *http.Client
	now    func() time.Time
}

var _ notify.Notifier = (*notifier)(nil)

// New validates c and returns its notifier; a nil hc means a client with a timeout.
func New(c Config, hc *http.Client) (notify.Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	base, token, _ := c.endpoint()
	hc = notify.HTTPClient(hc)
	return &notifier{c: c, base: base, token: token, secret: strings.TrimSpace(c.Secret.Reveal()), hc: hc, now: time.Now}, nil
}

func (n *notifier) Name() string { return n.c.name() }
func (n *notifier) Type() string { return Type }

type markdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

type request struct {
	MsgType  string   `json:"msgtype"`
	Markdown markdown `json:"markdown"`
}

type answer struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// sign returns DingTalk's signature for a millisecond timestamp.
func sign(secret string, ms int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ms, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Send delivers m.
func (n *notifier) Send(ctx context.Context, m notify.Message) error {
	title := notify.OneLine(m.Title)
	payload, err := notify.JSON(request{MsgType: "markdown", Markdown: markdown{Title: title, Text: format(m, title)}})
	if err != nil {
		return &notify.Error{Channel: n.Name(), Err: err}
	}
	q := url.Values{"access_token": {n.token}}
	if n.secret != "" {
		ms := n.now().UnixMilli()
		q.Set("timestamp", strconv.FormatInt(ms, 10))
		q.Set("sign", sign(n.secret, ms)) // Encode escapes + / = in the base64
	}
	raw, err := notify.PostJSON(ctx, n.hc, n.Name(), n.base+"/robot/send?"+q.Encode(), payload)
	if err != nil {
		return n.scrub(err)
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil || a.ErrCode == nil || *a.ErrCode != 0 {
		msg := string(raw)
		if a.ErrCode != nil {
			msg = fmt.Sprintf("errcode %d: %s%s", *a.ErrCode, a.ErrMsg, hint(*a.ErrCode, a.ErrMsg))
		}
		return n.scrub(notify.Fail(n.Name(), msg))
	}
	return nil
}

func hint(code int, msg string) string {
	switch {
	case code == 300001 || strings.Contains(msg, "token is not exist"):
		return " (the access_token is wrong or the robot was removed: copy the webhook URL again)"
	case strings.Contains(msg, "sign not match"):
		return " (secret is wrong, or this machine's clock is off by more than an hour)"
	case strings.Contains(msg, "keywords not in content"):
		return " (the robot requires a custom keyword: add one to the robot's security settings that the messages contain, such as e5renew, or use signing instead)"
	case strings.Contains(msg, "whitelist"):
		return " (this server's IP is not in the robot's IP allow-list)"
	}
	return ""
}

// scrub removes the access token and the signing secret (bare and query-escaped) and
// the configured access_token (possibly a whole webhook URL) from an error's text.
func (n *notifier) scrub(err error) error {
	return notify.Redact(err, n.token, url.QueryEscape(n.token), n.secret, url.QueryEscape(n.secret), strings.TrimSpace(n.c.AccessToken.Reveal()))
}

// format renders the markdown text: the title as a heading, the body with hard line
// breaks (DingTalk joins lines separated by a single newline), and the link; the body
// is cut to keep the request under DingTalk's size limit.
func format(m notify.Message, title string) string {
	head := "#### " + title
	tail := ""
	if m.URL != "" {
		tail = "\n\n[" + m.URL + "](" + m.URL + ")"
	}
	body := strings.TrimSpace(m.Body(true))
	if body == "" {
		return head + tail
	}
	body = notify.TruncateBytes(hardBreaks(body), maxText-len(head)-len(tail)-len("\n\n"))
	return head + "\n\n" + body + tail
}

// hardBreaks ends every line followed by another non-empty line with two spaces.
func hardBreaks(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines)-1; i++ {
		if strings.TrimSpace(lines[i]) != "" && strings.TrimSpace(lines[i+1]) != "" && !strings.HasSuffix(lines[i], "  ") {
			lines[i] = strings.TrimRight(lines[i], " ") + "  "
		}
	}
	return strings.Join(lines, "\n")
}
