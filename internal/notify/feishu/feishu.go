// Package feishu sends notifications to a Feishu (飞书) or Lark custom bot: POST
// {base_url}/open-apis/bot/v2/hook/{token} with a rich-text ("post") or text message.
// When the bot verifies signatures (签名校验), the JSON body also carries timestamp (in
// SECONDS) and sign = base64(HMAC-SHA256(key=timestamp+"\n"+secret, message=empty)) —
// unlike DingTalk, whose key is the secret and message the string. The answer is
// {"code":0,...} on success (older deployments answered {"StatusCode":0,...}).
package feishu

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
const Type = "feishu"

// The public APIs of Feishu and of Lark.
const (
	DefaultBaseURL = "https://open.feishu.cn"
	LarkBaseURL    = "https://open.larksuite.com"
)

// maxText keeps the request under the bots' 20 KB body limit.
const maxText = 16000

// The message formats.
const (
	FormatPost = "post"
	FormatText = "text"
)

const hookPath = "/open-apis/bot/v2/hook/"

// Config configures a custom bot.
type Config struct {
	Name string `yaml:"name"`
	// BaseURL is the API base (default https://open.feishu.cn; https://open.larksuite.com
	// with lark: true; or the host of a full webhook URL given as token).
	BaseURL string `yaml:"base_url"`
	// Lark selects Lark's API (open.larksuite.com) instead of Feishu's.
	Lark bool `yaml:"lark"`
	// Token is the last part of the webhook URL, or the whole URL
	// (https://open.feishu.cn/open-apis/bot/v2/hook/...).
	Token secret.String `yaml:"token"`
	// Secret is the signing secret when the bot verifies signatures (optional).
	Secret secret.String `yaml:"secret"`
	// Format is post (rich text with a title, the default) or text.
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
		return FormatPost
	}
	return strings.ToLower(c.Format)
}

// endpoint returns the API base and the hook token, taking both from a full webhook URL.
func (c Config) endpoint() (base, token string, err error) {
	t := strings.TrimSpace(c.Token.Reveal())
	base = DefaultBaseURL
	if c.Lark {
		base = LarkBaseURL
	}
	if strings.Contains(t, "://") {
		u, ok := notify.ParseHTTPURL(t)
		if !ok {
			return "", "", errors.New("token looks like a URL but is not a valid one: paste the bot's webhook URL (https://open.feishu.cn/open-apis/bot/v2/hook/...) or just its last part")
		}
		i := strings.Index(u.Path, hookPath)
		if i < 0 || strings.Trim(u.Path[i+len(hookPath):], "/") == "" {
			return "", "", errors.New("token: the webhook URL does not end in /open-apis/bot/v2/hook/<token>: copy the whole webhook URL from the bot's settings")
		}
		t = strings.Trim(u.Path[i+len(hookPath):], "/")
		base = u.Scheme + "://" + u.Host + u.Path[:i]
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
	if strings.TrimSpace(c.Token.Reveal()) == "" {
		errs = append(errs, errors.New(p+"token is required: the custom bot's webhook URL (https://open.feishu.cn/open-apis/bot/v2/hook/...) or its last part, from the group's bot settings (群机器人 → 自定义机器人)"))
	} else if _, t, err := c.endpoint(); err != nil {
		errs = append(errs, errors.New(p+err.Error()))
	} else if strings.ContainsAny(t, " /?&#") {
		errs = append(errs, errors.New(p+"token is malformed: paste the webhook URL or its last part (after /hook/)"))
	}
	if s := strings.TrimSpace(c.Secret.Reveal()); s != "" && strings.ContainsAny(s, " \t\n") {
		errs = append(errs, errors.New(p+"secret is malformed: copy the signing secret (签名校验) again, without spaces"))
	}
	if c.BaseURL != "" {
		if _, ok := notify.ParseHTTPURL(c.BaseURL); !ok {
			errs = append(errs, fmt.Errorf("%sbase_url %q is not an http(s) URL: write %s, %s or your proxy (or leave it out)", p, c.BaseURL, DefaultBaseURL, LarkBaseURL))
		}
	}
	switch c.format() {
	case FormatPost, FormatText:
	default:
		errs = append(errs, fmt.Errorf("%sformat %q is not supported: write post (rich text, the default) or text", p, c.Format))
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

type element struct {
	Tag  string `json:"tag"`
	Text string `json:"text"`
	Href string `json:"href,omitempty"`
}

type post struct {
	Title   string      `json:"title"`
	Content [][]element `json:"content"`
}

type content struct {
	Text string          `json:"text,omitempty"`
	Post map[string]post `json:"post,omitempty"`
}

type request struct {
	Timestamp string  `json:"timestamp,omitempty"`
	Sign      string  `json:"sign,omitempty"`
	MsgType   string  `json:"msg_type"`
	Content   content `json:"content"`
}

type answer struct {
	Code          *int   `json:"code"`
	Msg           string `json:"msg"`
	StatusCode    *int   `json:"StatusCode"`
	StatusMessage string `json:"StatusMessage"`
}

// sign returns Feishu's signature for a timestamp in seconds: the HMAC key is
// timestamp+"\n"+secret and the message is empty.
func sign(secret string, sec int64) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(sec, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Send delivers m.
func (n *notifier) Send(ctx context.Context, m notify.Message) error {
	var body request
	title := notify.OneLine(m.Title)
	text := strings.TrimSpace(m.Text)
	if n.c.format() == FormatText {
		body.MsgType = FormatText
		body.Content.Text = plainText(title, text, m.URL)
	} else {
		body.MsgType = FormatPost
		var paras [][]element
		if text != "" {
			paras = append(paras, []element{{Tag: "text", Text: notify.TruncateBytes(text, maxText-len(title)-len(m.URL))}})
		}
		if m.URL != "" {
			paras = append(paras, []element{{Tag: "a", Text: m.URL, Href: m.URL}})
		}
		if paras == nil {
			paras = [][]element{}
		}
		body.Content.Post = map[string]post{"zh_cn": {Title: title, Content: paras}}
	}
	if n.secret != "" {
		sec := n.now().Unix()
		body.Timestamp = strconv.FormatInt(sec, 10)
		body.Sign = sign(n.secret, sec)
	}
	payload, err := notify.JSON(body)
	if err != nil {
		return &notify.Error{Channel: n.Name(), Err: err}
	}
	raw, err := notify.PostJSON(ctx, n.hc, n.Name(), n.base+hookPath+url.PathEscape(n.token), payload)
	var a answer
	if err != nil {
		// Some failures come with 4xx and the usual {"code":...,"msg":...}.
		var ne *notify.Error
		if errors.As(err, &ne) && ne.Status != 0 && json.Unmarshal(raw, &a) == nil && a.Code != nil && a.Msg != "" {
			ne.Answer = fmt.Sprintf("code %d: %s%s", *a.Code, a.Msg, hint(*a.Code, a.Msg))
		}
		return n.scrub(err)
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return n.scrub(notify.Fail(n.Name(), string(raw)))
	}
	switch {
	case a.Code != nil && *a.Code != 0:
		return n.scrub(notify.Fail(n.Name(), fmt.Sprintf("code %d: %s%s", *a.Code, a.Msg, hint(*a.Code, a.Msg))))
	case a.Code == nil && a.StatusCode != nil && *a.StatusCode != 0:
		return n.scrub(notify.Fail(n.Name(), fmt.Sprintf("StatusCode %d: %s", *a.StatusCode, a.StatusMessage)))
	case a.Code == nil && a.StatusCode == nil:
		return n.scrub(notify.Fail(n.Name(), string(raw)))
	}
	return nil
}

func hint(code int, msg string) string {
	lower := strings.ToLower(msg)
	switch {
	case code == 19021:
		return " (secret is wrong, or this machine's clock is off by more than an hour)"
	case strings.Contains(lower, "key words") || strings.Contains(lower, "keyword"):
		return " (the bot requires a keyword: add one to the bot's security settings that the messages contain, such as e5renew, or use signing instead)"
	}
	return ""
}

// scrub removes the hook token (bare and path-escaped), the signing secret and the
// configured token (possibly a whole webhook URL) from an error's text.
func (n *notifier) scrub(err error) error {
	return notify.Redact(err, n.token, url.PathEscape(n.token), n.secret, strings.TrimSpace(n.c.Token.Reveal()))
}

func plainText(title, text, link string) string {
	tail := ""
	if link != "" {
		tail = "\n" + link
	}
	if text == "" {
		return title + tail
	}
	return title + "\n\n" + notify.TruncateBytes(text, maxText-len(title)-len(tail)) + tail
}
