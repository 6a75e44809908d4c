// Package bark sends notifications to an iPhone through Bark: POST {server}/{device_key}
// with a JSON body (title, body, group, url, level). Self-hosted Bark servers are
// common, so the server is configurable. The answer is {"code":200,...} on success.
package bark

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
const Type = "bark"

// DefaultServer is the public Bark server.
const DefaultServer = "https://api.day.app"

// DefaultGroup groups e5renew's notifications in Notification Center.
const DefaultGroup = "e5renew"

// maxBody keeps the push within APNs' 4 KB payload, with room for the title and the
// other fields.
const maxBody = 3000

// The interruption levels Bark accepts.
var levels = []string{"active", "timeSensitive", "passive", "critical"}

// Config configures a Bark device.
type Config struct {
	Name string `yaml:"name"`
	// Server is the Bark server (default https://api.day.app; self-hosted servers work).
	Server string `yaml:"server"`
	// DeviceKey is the key the Bark app shows, or its whole push URL
	// (https://api.day.app/KEY, Office365Auto's url_bark).
	DeviceKey secret.String `yaml:"device_key"`
	// Group is the notification group (default e5renew).
	Group string `yaml:"group"`
	// Level is the interruption level: active, timeSensitive, passive or critical
	// (optional; the app's default is active).
	Level string `yaml:"level"`
	// Sound is the name of a Bark sound, such as alarm (optional).
	Sound string `yaml:"sound"`
}

func (c Config) name() string {
	if c.Name != "" {
		return c.Name
	}
	return Type
}

func (c Config) group() string {
	if c.Group == "" {
		return DefaultGroup
	}
	return c.Group
}

func (c Config) level() string {
	for _, l := range levels {
		if strings.EqualFold(c.Level, l) {
			return l
		}
	}
	return c.Level
}

// endpoint returns the server and the device key, taking both from a push URL.
func (c Config) endpoint() (server, key string, err error) {
	k := strings.TrimSpace(c.DeviceKey.Reveal())
	server = DefaultServer
	if c.Server != "" {
		server = strings.TrimRight(c.Server, "/")
	}
	if strings.Contains(k, "://") {
		u, ok := notify.ParseHTTPURL(k)
		if !ok {
			return "", "", errors.New("device_key looks like a URL but is not a valid one: paste the key the Bark app shows, or its push URL such as https://api.day.app/KEY")
		}
		path := strings.Trim(u.Path, "/")
		if c.Server == "" {
			server = u.Scheme + "://" + u.Host
		} else if s, perr := url.Parse(server); perr == nil && s.Host == u.Host {
			// A self-hosted server under a path: the key follows that path.
			path = strings.Trim(strings.TrimPrefix(strings.Trim(u.Path, "/"), strings.Trim(s.Path, "/")), "/")
		}
		// https://api.day.app/KEY/some text (the app's example URL): the key is the
		// first segment.
		k, _, _ = strings.Cut(path, "/")
		if k == "" {
			return "", "", errors.New("device_key: the push URL has no key after the server (https://api.day.app/KEY): copy it again from the Bark app")
		}
	}
	return server, k, nil
}

// Validate reports every missing or malformed field.
func (c Config) Validate() error {
	p := c.name() + ": "
	var errs []error
	if strings.TrimSpace(c.DeviceKey.Reveal()) == "" {
		errs = append(errs, errors.New(p+"device_key is required: the key the Bark app shows on its home screen (in its example URL https://api.day.app/KEY/...), or that push URL"))
	} else if _, k, err := c.endpoint(); err != nil {
		errs = append(errs, errors.New(p+err.Error()))
	} else if strings.ContainsAny(k, " ?&#") {
		errs = append(errs, errors.New(p+"device_key is malformed: copy the key from the Bark app again"))
	}
	if c.Server != "" {
		if _, ok := notify.ParseHTTPURL(c.Server); !ok {
			errs = append(errs, fmt.Errorf("%sserver %q is not an http(s) URL: write your Bark server such as %s (or leave it out)", p, c.Server, DefaultServer))
		}
	}
	if c.Level != "" && !contains(levels, c.level()) {
		errs = append(errs, fmt.Errorf("%slevel %q is not supported: write one of %s (or leave it out)", p, c.Level, strings.Join(levels, ", ")))
	}
	return errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type notifier struct {
	c      Config
	server string
	key    string
	hc     *http.Client
}

var _ notify.Notifier = (*notifier)(nil)

// New validates c and returns its notifier; a nil hc means a client with a timeout.
func New(c Config, hc *http.Client) (notify.Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	server, key, _ := c.endpoint()
	hc = notify.HTTPClient(hc)
	return &notifier{c: c, server: server, key: key, hc: hc}, nil
}

func (n *notifier) Name() string { return n.c.name() }
func (n *notifier) Type() string { return Type }

type request struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	Group string `json:"group"`
	URL   string `json:"url,omitempty"`
	Level string `json:"level,omitempty"`
	Sound string `json:"sound,omitempty"`
}

type answer struct {
	Code    *int   `json:"code"`
	Message string `json:"message"`
}

// Send delivers m.
func (n *notifier) Send(ctx context.Context, m notify.Message) error {
	body := strings.TrimSpace(m.Text)
	if body == "" {
		body = notify.OneLine(m.Title) // Bark needs a body
	}
	payload, err := notify.JSON(request{
		Title: notify.OneLine(m.Title),
		Body:  notify.TruncateBytes(body, maxBody),
		Group: n.c.group(),
		URL:   m.URL,
		Level: n.c.level(),
		Sound: n.c.Sound,
	})
	if err != nil {
		return &notify.Error{Channel: n.Name(), Err: err}
	}
	raw, err := notify.PostJSON(ctx, n.hc, n.Name(), n.server+"/"+url.PathEscape(n.key), payload)
	var a answer
	if err != nil {
		// Bark answers failures with 4xx/5xx and {"code":400,"message":...}.
		var ne *notify.Error
		if errors.As(err, &ne) && ne.Status != 0 && json.Unmarshal(raw, &a) == nil && a.Message != "" {
			ne.Answer = a.Message + hint(a.Message)
		}
		return n.scrub(err)
	}
	if err := json.Unmarshal(raw, &a); err != nil || a.Code == nil || *a.Code != 200 {
		msg := string(raw)
		if a.Code != nil {
			msg = fmt.Sprintf("code %d: %s%s", *a.Code, a.Message, hint(a.Message))
		}
		return n.scrub(notify.Fail(n.Name(), msg))
	}
	return nil
}

func hint(msg string) string {
	if strings.Contains(msg, "device token") {
		return " (the device_key is wrong or the app was reinstalled: copy the key from the Bark app again)"
	}
	return ""
}

// scrub removes the device key (bare, path-escaped and as configured) from an error's text.
func (n *notifier) scrub(err error) error {
	return notify.Redact(err, n.key, url.PathEscape(n.key), strings.TrimSpace(n.c.DeviceKey.Reveal()))
}
