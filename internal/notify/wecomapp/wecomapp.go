// Package wecomapp sends notifications as a WeChat Work (企业微信) application message.
// It gets an access token with GET {base_url}/cgi-bin/gettoken?corpid=&corpsecret=,
// caches it until shortly before it expires (expires_in, normally 7200 s), and sends
// with POST {base_url}/cgi-bin/message/send?access_token= a text message. When the
// service says the token is invalid or expired (errcode 40014, 42001, 41001), the token
// is fetched again and the message sent once more.
package wecomapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/secret"
)

// Type is the channel type.
const Type = "wecomapp"

// DefaultBaseURL is the public WeChat Work API.
const DefaultBaseURL = "https://qyapi.weixin.qq.com"

// maxText is the limit of a text message's content in bytes of UTF-8.
const maxText = 2048

// tokenMargin is how long before its announced expiry a token is replaced.
const tokenMargin = 5 * time.Minute

// Config configures a WeChat Work application.
type Config struct {
	Name string `yaml:"name"`
	// BaseURL is the API base (default https://qyapi.weixin.qq.com).
	BaseURL string `yaml:"base_url"`
	// CorpID is the organisation's id (企业ID, "My company" → "Company information").
	CorpID string `yaml:"corp_id"`
	// CorpSecret is the application's Secret.
	CorpSecret secret.String `yaml:"corp_secret"`
	// AgentID is the application's AgentId.
	AgentID int64 `yaml:"agent_id"`
	// ToUser lists member ids separated by | (default @all: everyone who can see the app).
	ToUser string `yaml:"to_user"`
	// ToParty and ToTag list department and tag ids separated by | (optional).
	ToParty string `yaml:"to_party"`
	ToTag   string `yaml:"to_tag"`
}

func (c Config) name() string {
	if c.Name != "" {
		return c.Name
	}
	return Type
}

func (c Config) baseURL() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

// recipients returns touser, toparty, totag: @all when none is set.
func (c Config) recipients() (user, party, tag string) {
	user, party, tag = strings.TrimSpace(c.ToUser), strings.TrimSpace(c.ToParty), strings.TrimSpace(c.ToTag)
	if user == "" && party == "" && tag == "" {
		user = "@all"
	}
	return user, party, tag
}

// Validate reports every missing or malformed field.
func (c Config) Validate() error {
	p := c.name() + ": "
	var errs []error
	if strings.TrimSpace(c.CorpID) == "" {
		errs = append(errs, errors.New(p+"corp_id is required: the organisation's id (企业ID), shown in the WeChat Work admin console under My Company → Company Information; it starts with ww"))
	} else if strings.ContainsAny(strings.TrimSpace(c.CorpID), " /?&#=") {
		errs = append(errs, errors.New(p+"corp_id is malformed: copy the 企业ID (it starts with ww) from My Company → Company Information"))
	}
	if strings.TrimSpace(c.CorpSecret.Reveal()) == "" {
		errs = append(errs, errors.New(p+"corp_secret is required: the application's Secret, shown under App Management → your app → Secret"))
	}
	if c.AgentID <= 0 {
		errs = append(errs, errors.New(p+"agent_id is required: the application's AgentId (a number such as 1000002), shown under App Management → your app"))
	}
	for _, f := range []struct{ key, v string }{{"to_user", c.ToUser}, {"to_party", c.ToParty}, {"to_tag", c.ToTag}} {
		if strings.ContainsAny(f.v, ",; ") && !strings.Contains(f.v, "|") {
			errs = append(errs, fmt.Errorf("%s%s %q: separate several ids with | (for example alice|bob)", p, f.key, f.v))
		}
	}
	if c.BaseURL != "" {
		if _, ok := notify.ParseHTTPURL(c.BaseURL); !ok {
			errs = append(errs, fmt.Errorf("%sbase_url %q is not an http(s) URL: write the API base such as %s (or leave it out)", p, c.BaseURL, DefaultBaseURL))
		}
	}
	return errors.Join(errs...)
}

type notifier struct {
	c   Config
	hc  *http.Client
	now func() time.Time

	mu      sync.Mutex // serialises token fetches
	token   string
	expires time.Time
}

var _ notify.Notifier = (*notifier)(nil)

// New validates c and returns its notifier; a nil hc means a client with a timeout.
func New(c Config, hc *http.Client) (notify.Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.CorpID = strings.TrimSpace(c.CorpID)
	c.CorpSecret = secret.String(strings.TrimSpace(c.CorpSecret.Reveal()))
	hc = notify.HTTPClient(hc)
	return &notifier{c: c, hc: hc, now: time.Now}, nil
}

func (n *notifier) Name() string { return n.c.name() }
func (n *notifier) Type() string { return Type }

type tokenAnswer struct {
	ErrCode     int    `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

type text struct {
	Content string `json:"content"`
}

type request struct {
	ToUser  string `json:"touser,omitempty"`
	ToParty string `json:"toparty,omitempty"`
	ToTag   string `json:"totag,omitempty"`
	MsgType string `json:"msgtype"`
	AgentID int64  `json:"agentid"`
	Text    text   `json:"text"`
}

type sendAnswer struct {
	ErrCode      *int   `json:"errcode"`
	ErrMsg       string `json:"errmsg"`
	InvalidUser  string `json:"invaliduser"`
	InvalidParty string `json:"invalidparty"`
	InvalidTag   string `json:"invalidtag"`
}

// tokenErrors are the errcodes that mean the access token must be fetched again.
func tokenError(code int) bool {
	return code == 40014 || code == 42001 || code == 41001
}

// accessToken returns the cached token, or fetches one when there is none, it is
// about to expire, or stale is the token the service just refused.
func (n *notifier) accessToken(ctx context.Context, stale string) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.token != "" && n.token != stale && n.now().Before(n.expires) {
		return n.token, nil
	}
	n.token = ""
	q := url.Values{"corpid": {n.c.CorpID}, "corpsecret": {n.c.CorpSecret.Reveal()}}
	req, err := http.NewRequest(http.MethodGet, n.c.baseURL()+"/cgi-bin/gettoken?"+q.Encode(), nil)
	if err != nil {
		return "", &notify.Error{Channel: n.Name(), Err: errors.New("cannot build the token request: check base_url")}
	}
	raw, err := notify.Post(ctx, n.hc, n.Name(), req)
	if err != nil {
		return "", err
	}
	var a tokenAnswer
	if err := json.Unmarshal(raw, &a); err != nil || a.ErrCode != 0 || a.AccessToken == "" {
		msg := string(raw)
		if err == nil {
			msg = fmt.Sprintf("gettoken: errcode %d: %s%s", a.ErrCode, a.ErrMsg, hint(a.ErrCode))
		}
		return "", notify.Fail(n.Name(), msg)
	}
	life := time.Duration(a.ExpiresIn) * time.Second
	if life <= 0 {
		life = 7200 * time.Second
	}
	margin := tokenMargin
	if margin > life/10 {
		margin = life / 10
	}
	n.token, n.expires = a.AccessToken, n.now().Add(life-margin)
	return n.token, nil
}

// Send delivers m, fetching a new access token and trying once more when the cached
// one was refused.
func (n *notifier) Send(ctx context.Context, m notify.Message) error {
	user, party, tag := n.c.recipients()
	payload, err := notify.JSON(request{
		ToUser: user, ToParty: party, ToTag: tag,
		MsgType: "text", AgentID: n.c.AgentID,
		Text: text{Content: format(m)},
	})
	if err != nil {
		return &notify.Error{Channel: n.Name(), Err: err}
	}
	stale := ""
	for attempt := 0; ; attempt++ {
		tok, err := n.accessToken(ctx, stale)
		if err != nil {
			return n.scrub(err, tok)
		}
		code, err := n.send(ctx, tok, payload)
		if err != nil && tokenError(code) && attempt == 0 {
			stale = tok
			continue
		}
		return n.scrub(err, tok)
	}
}

// send posts one message and returns the service's errcode with the error.
func (n *notifier) send(ctx context.Context, tok string, payload []byte) (int, error) {
	endpoint := n.c.baseURL() + "/cgi-bin/message/send?" + url.Values{"access_token": {tok}}.Encode()
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return 0, &notify.Error{Channel: n.Name(), Err: errors.New("cannot build the send request: check base_url")}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	raw, err := notify.Post(ctx, n.hc, n.Name(), req)
	if err != nil {
		return 0, err
	}
	var a sendAnswer
	if err := json.Unmarshal(raw, &a); err != nil || a.ErrCode == nil {
		return 0, notify.Fail(n.Name(), string(raw))
	}
	if *a.ErrCode != 0 {
		return *a.ErrCode, notify.Fail(n.Name(), fmt.Sprintf("errcode %d: %s%s", *a.ErrCode, a.ErrMsg, hint(*a.ErrCode)))
	}
	return 0, nil
}

func hint(code int) string {
	switch code {
	case 40013:
		return " (corp_id is wrong: copy the 企业ID from My Company → Company Information)"
	case 40001:
		return " (corp_secret is wrong or was reset: copy the application's Secret again)"
	case 40056, 301002:
		return " (agent_id is wrong or does not belong to this corp_secret)"
	case 60020:
		return " (this server's IP address is not trusted: add it to the application's trusted IPs, 企业可信IP)"
	case 81013:
		return " (no recipient can receive it: check to_user, to_party and to_tag, and the application's visible range)"
	}
	return ""
}

// scrub removes the corp secret and the access token tok (bare and query-escaped) from
// an error's text; a nil error stays nil.
func (n *notifier) scrub(err error, tok string) error {
	s := n.c.CorpSecret.Reveal()
	return notify.Redact(err, s, url.QueryEscape(s), tok, url.QueryEscape(tok))
}

// format renders m as plain text within 2048 bytes, cutting the body, not the title.
// Title and body go through notify.StripControl, since WeChat Work refuses \u escapes
// (errcode 40033).
func format(m notify.Message) string {
	head := notify.StripControl(notify.OneLine(m.Title))
	tail := ""
	if m.URL != "" {
		tail = "\n" + m.URL
	}
	body := notify.StripControl(strings.TrimSpace(m.Text))
	if body == "" {
		return head + tail
	}
	return head + "\n\n" + notify.TruncateBytes(body, maxText-len(head)-len("\n\n")-len(tail)) + tail
}
