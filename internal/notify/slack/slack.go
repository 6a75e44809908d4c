// Package slack sends notifications to a Slack channel through an incoming webhook.
//
// API: POST {webhook_url} with a JSON body {"text": "..."}, where text is Slack's mrkdwn
// (not standard Markdown: *bold*, and &, <, > must be written &amp; &lt; &gt;). Slack
// answers 200 with the body "ok"; errors are 400/403/404/410/500 with a short code such as
// invalid_payload, action_prohibited, channel_not_found, channel_is_archived, no_service.
package slack

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
const Type = "slack"

// maxText is Slack's recommended limit for a message's text (it truncates beyond 40000).
const maxText = 4000

// Config configures a Slack channel.
type Config struct {
	// Name is the channel's unique name (default "slack").
	Name string `yaml:"name"`
	// WebhookURL is the incoming webhook's URL (your Slack app → Incoming Webhooks → Add
	// New Webhook to Workspace): https://hooks.slack.com/services/T…/B…/…. It may point
	// at a proxy.
	WebhookURL secret.String `yaml:"webhook_url"`
}

// Validate reports every missing or malformed field by its yaml key.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("slack: "+format, a...)) }
	raw := strings.TrimSpace(c.WebhookURL.Reveal())
	if raw == "" {
		bad("webhook_url is required: the incoming webhook's URL (your Slack app → Incoming Webhooks → Add New Webhook to Workspace), https://hooks.slack.com/services/T…/B…/…")
	} else if u, ok := notify.ParseHTTPURL(raw); !ok {
		bad("webhook_url is malformed: it must be an http(s) URL such as https://hooks.slack.com/services/T…/B…/…")
	} else if strings.EqualFold(u.Hostname(), "hooks.slack.com") && !strings.HasPrefix(u.Path, "/services/") && !strings.HasPrefix(u.Path, "/workflows/") && !strings.HasPrefix(u.Path, "/triggers/") {
		bad("webhook_url is not an incoming webhook URL: on hooks.slack.com its path starts with /services/")
	}
	return errors.Join(errs...)
}

type notifier struct {
	c  Config
	hc *http.Client
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
	c.WebhookURL = secret.String(strings.TrimSpace(c.WebhookURL.Reveal()))
	return &notifier{c: c, hc: hc}, nil
}

func (n *notifier) Name() string { return n.c.Name }
func (n *notifier) Type() string { return Type }

type request struct {
	Text string `json:"text"`
}

// Send delivers m.
func (n *notifier) Send(ctx context.Context, m notify.Message) error {
	body, err := json.Marshal(request{Text: text(m)})
	if err != nil {
		return &notify.Error{Channel: n.c.Name, Err: err}
	}
	req, err := http.NewRequest(http.MethodPost, n.c.WebhookURL.Reveal(), bytes.NewReader(body))
	if err != nil {
		return &notify.Error{Channel: n.c.Name, Err: errors.New("bad webhook_url")}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	out, err := notify.Post(ctx, n.hc, n.c.Name, req)
	if err != nil {
		return err
	}
	if a := strings.TrimSpace(string(out)); a != "ok" {
		return notify.Fail(n.c.Name, "unexpected answer: "+a)
	}
	return nil
}

// text formats m as mrkdwn: the title in bold, the plain-text body (standard Markdown
// renders poorly in mrkdwn) and the link, escaped; the body is truncated so that the whole
// fits in maxText characters.
func text(m notify.Message) string {
	head := ""
	if t := strings.TrimSpace(m.Title); t != "" {
		head = "*" + escape(t) + "*"
	}
	link := ""
	if m.URL != "" {
		link = "\n" + escape(m.URL)
	}
	body := m.Text
	if body == "" {
		body = m.Markdown
	}
	if head != "" && body != "" {
		head += "\n"
	}
	room := maxText - utf8.RuneCountInString(head) - utf8.RuneCountInString(link)
	return head + escapeTruncate(body, room) + link
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escape(s string) string { return escaper.Replace(s) }

// escapeTruncate escapes s and cuts the result to at most n characters without splitting
// an escape, marking the cut with "…".
func escapeTruncate(s string, n int) string {
	if n < 1 {
		return ""
	}
	e := escape(s)
	if utf8.RuneCountInString(e) <= n {
		return e
	}
	var b strings.Builder
	count := 0
	for _, r := range s {
		piece := escape(string(r))
		w := utf8.RuneCountInString(piece)
		if count+w > n-1 {
			break
		}
		b.WriteString(piece)
		count += w
	}
	return b.String() + "…"
}
