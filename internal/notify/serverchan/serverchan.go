// Package serverchan sends notifications through ServerChan (Server酱) to WeChat or its
// app. ServerChan Turbo keys (SCT...) post to https://sctapi.ftqq.com/{sendkey}.send;
// ServerChan³ keys (sctp{uid}t...) post to https://{uid}.push.ft07.com/send/{sendkey}.send.
// The JSON body carries title and desp (Markdown). The answer is {"code":0,...} on
// success.
package serverchan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/secret"
)

// Type is the channel type.
const Type = "serverchan"

// TurboURL is ServerChan Turbo's API.
const TurboURL = "https://sctapi.ftqq.com"

// The limits: Turbo shows at most 32 characters of title; desp may have 32 KB.
const (
	maxTitle = 32
	maxDesp  = 30000
)

// sc3RE matches a ServerChan³ key and captures its uid.
var sc3RE = regexp.MustCompile(`^sctp([0-9]+)t`)

// Config configures a ServerChan SendKey.
type Config struct {
	Name string `yaml:"name"`
	// BaseURL replaces the API host (for proxies and tests): {base_url}/{sendkey}.send
	// for Turbo keys, {base_url}/send/{sendkey}.send for ServerChan³ keys. By default
	// it follows from the key.
	BaseURL string `yaml:"base_url"`
	// SendKey is the SendKey (SCT... or sctp...t...), or the whole API URL shown with it.
	SendKey secret.String `yaml:"send_key"`
}

func (c Config) name() string {
	if c.Name != "" {
		return c.Name
	}
	return Type
}

// key returns the SendKey, taking it from an API URL.
func (c Config) key() (string, error) {
	k := strings.TrimSpace(c.SendKey.Reveal())
	if strings.Contains(k, "://") {
		u, err := url.Parse(k)
		if err != nil || u.Host == "" {
			return "", errors.New("send_key looks like a URL but is not a valid one: paste the SendKey (SCT... or sctp...) or its API URL")
		}
		p := strings.Trim(u.Path, "/")
		if i := strings.LastIndex(p, "/"); i >= 0 {
			p = p[i+1:]
		}
		k = strings.TrimSuffix(p, ".send")
		if k == "" {
			return "", errors.New("send_key: the URL has no SendKey (…/SENDKEY.send): copy the SendKey from the SendKey page")
		}
	}
	return k, nil
}

// endpoint returns the URL a message is posted to.
func (c Config) endpoint(key string) (string, error) {
	m := sc3RE.FindStringSubmatch(key)
	if strings.HasPrefix(key, "sctp") && m == nil {
		return "", errors.New("send_key starts with sctp but is not a ServerChan³ key (sctp<uid>t...): copy it again from the SendKey page")
	}
	base := strings.TrimRight(c.BaseURL, "/")
	if m != nil {
		if base == "" {
			base = "https://" + m[1] + ".push.ft07.com"
		}
		return base + "/send/" + url.PathEscape(key) + ".send", nil
	}
	if base == "" {
		base = TurboURL
	}
	return base + "/" + url.PathEscape(key) + ".send", nil
}

// Validate reports every missing or malformed field.
func (c Config) Validate() error {
	p := c.name() + ": "
	var errs []error
	if strings.TrimSpace(c.SendKey.Reveal()) == "" {
		errs = append(errs, errors.New(p+"send_key is required: your SendKey from https://sct.ftqq.com/sendkey (ServerChan Turbo, starts with SCT) or https://sc3.ft07.com/sendkey (ServerChan³, starts with sctp)"))
	} else if k, err := c.key(); err != nil {
		errs = append(errs, errors.New(p+err.Error()))
	} else if strings.ContainsAny(k, " /?&#") {
		errs = append(errs, errors.New(p+"send_key is malformed: copy the SendKey again (letters and digits, starting with SCT or sctp)"))
	} else if _, err := c.endpoint(k); err != nil {
		errs = append(errs, errors.New(p+err.Error()))
	}
	if c.BaseURL != "" {
		if _, ok := notify.ParseHTTPURL(c.BaseURL); !ok {
			errs = append(errs, fmt.Errorf("%sbase_url %q is not an http(s) URL: leave it out to use ServerChan's own API", p, c.BaseURL))
		}
	}
	return errors.Join(errs...)
}

type notifier struct {
	c        Config
	key      string
	endpoint string
	hc       *http.Client
}

var _ notify.Notifier = (*notifier)(nil)

// New validates c and returns its notifier; a nil hc means a client with a timeout.
func New(c Config, hc *http.Client) (notify.Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	key, _ := c.key()
	endpoint, _ := c.endpoint(key)
	hc = notify.HTTPClient(hc)
	return &notifier{c: c, key: key, endpoint: endpoint, hc: hc}, nil
}

func (n *notifier) Name() string { return n.c.name() }
func (n *notifier) Type() string { return Type }

type request struct {
	Title string `json:"title"`
	Desp  string `json:"desp,omitempty"`
}

type answer struct {
	Code    *int   `json:"code"`
	Message string `json:"message"`
}

// Send delivers m.
func (n *notifier) Send(ctx context.Context, m notify.Message) error {
	payload, err := notify.JSON(format(m))
	if err != nil {
		return &notify.Error{Channel: n.Name(), Err: err}
	}
	raw, err := notify.PostJSON(ctx, n.hc, n.Name(), n.endpoint, payload)
	var a answer
	if err != nil {
		var ne *notify.Error
		if errors.As(err, &ne) && ne.Status != 0 && json.Unmarshal(raw, &a) == nil && a.Message != "" {
			ne.Answer = a.Message
		}
		return n.scrub(err)
	}
	if err := json.Unmarshal(raw, &a); err != nil || a.Code == nil || *a.Code != 0 {
		msg := string(raw)
		if a.Code != nil {
			msg = fmt.Sprintf("code %d: %s", *a.Code, a.Message)
		}
		return n.scrub(notify.Fail(n.Name(), msg))
	}
	return nil
}

// format builds title and desp. A title longer than ServerChan shows is shortened in
// the title field and given whole at the top of desp; the body is cut to fit desp.
func format(m notify.Message) request {
	title := notify.OneLine(m.Title)
	var head, tail string
	if utf8.RuneCountInString(title) > maxTitle {
		head = "**" + title + "**\n\n"
		title = notify.TruncateRunes(title, maxTitle)
	}
	if m.URL != "" {
		tail = "\n\n[" + m.URL + "](" + m.URL + ")"
	}
	body := strings.TrimSpace(m.Body(true))
	desp := head + notify.TruncateBytes(body, maxDesp-len(head)-len(tail)) + tail
	return request{Title: title, Desp: strings.TrimSpace(desp)}
}

// scrub removes the SendKey (bare, path-escaped and as configured) from an error's text.
func (n *notifier) scrub(err error) error {
	return notify.Redact(err, n.key, url.PathEscape(n.key), strings.TrimSpace(n.c.SendKey.Reveal()))
}
