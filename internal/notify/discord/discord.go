// Package discord sends notifications to a Discord channel through a webhook.
//
// API (execute webhook): POST {webhook_url} with a JSON body {content, username,
// allowed_mentions}; content is Discord Markdown of at most 2000 characters. Discord
// answers 204 No Content (200 with the message when ?wait=true is in the URL); errors are
// 4xx with {"message": "...", "code": ...}.
package discord

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
const Type = "discord"

const (
	maxContent  = 2000
	maxUsername = 80
)

// Config configures a Discord channel.
type Config struct {
	// Name is the channel's unique name (default "discord").
	Name string `yaml:"name"`
	// WebhookURL is the webhook's URL (channel settings → Integrations → Webhooks → Copy
	// Webhook URL): https://discord.com/api/webhooks/<id>/<token>. It may point at a proxy.
	WebhookURL secret.String `yaml:"webhook_url"`
	// Username overrides the webhook's default name (optional, at most 80 characters).
	Username string `yaml:"username"`
}

// Validate reports every missing or malformed field by its yaml key.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("discord: "+format, a...)) }
	raw := strings.TrimSpace(c.WebhookURL.Reveal())
	if raw == "" {
		bad("webhook_url is required: the webhook's URL (channel settings → Integrations → Webhooks → Copy Webhook URL), https://discord.com/api/webhooks/<id>/<token>")
	} else if u, ok := notify.ParseHTTPURL(raw); !ok {
		bad("webhook_url is malformed: it must be an http(s) URL such as https://discord.com/api/webhooks/<id>/<token>")
	} else if isDiscordHost(u.Hostname()) && !isWebhookPath(u.Path) {
		bad("webhook_url is not a webhook URL: the path must be /api/webhooks/<id>/<token>")
	}
	if utf8.RuneCountInString(c.Username) > maxUsername {
		bad("username is too long: at most %d characters", maxUsername)
	}
	if l := strings.ToLower(c.Username); strings.Contains(l, "discord") || strings.Contains(l, "clyde") {
		bad("username %q is refused by Discord: it may not contain \"discord\" or \"clyde\"", c.Username)
	}
	return errors.Join(errs...)
}

func isDiscordHost(h string) bool {
	h = strings.ToLower(h)
	for _, d := range []string{"discord.com", "discordapp.com"} {
		if h == d || strings.HasSuffix(h, "."+d) {
			return true
		}
	}
	return false
}

// isWebhookPath reports whether p contains webhooks/<id>/<token>.
func isWebhookPath(p string) bool {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for i := 0; i+2 < len(parts); i++ {
		if parts[i] == "webhooks" && parts[i+1] != "" && parts[i+2] != "" {
			return true
		}
	}
	return false
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

type allowedMentions struct {
	Parse []string `json:"parse"`
}

type request struct {
	Content  string `json:"content"`
	Username string `json:"username,omitempty"`
	// AllowedMentions is empty so that no text in a message can ping @everyone or a role.
	AllowedMentions allowedMentions `json:"allowed_mentions"`
}

// Send delivers m.
func (n *notifier) Send(ctx context.Context, m notify.Message) error {
	body, err := json.Marshal(request{
		Content:         content(m),
		Username:        n.c.Username,
		AllowedMentions: allowedMentions{Parse: []string{}},
	})
	if err != nil {
		return &notify.Error{Channel: n.c.Name, Err: err}
	}
	req, err := http.NewRequest(http.MethodPost, n.c.WebhookURL.Reveal(), bytes.NewReader(body))
	if err != nil {
		return &notify.Error{Channel: n.c.Name, Err: errors.New("bad webhook_url")}
	}
	req.Header.Set("Content-Type", "application/json")
	_, err = notify.Post(ctx, n.hc, n.c.Name, req)
	return err
}

// content formats m as Discord Markdown: the title in bold, the Markdown body (or the
// escaped text), the link; the body is truncated so that the whole fits in 2000
// characters.
func content(m notify.Message) string {
	head := ""
	if m.Title != "" {
		head = "**" + escape(m.Title) + "**"
	}
	body := m.Markdown
	if body == "" {
		body = escape(m.Text)
	}
	link := ""
	if m.URL != "" {
		link = "\n" + m.URL
	}
	if head != "" && body != "" {
		head += "\n"
	}
	room := maxContent - utf8.RuneCountInString(head) - utf8.RuneCountInString(link)
	return head + notify.TruncateRunes(body, room) + link
}

// escape backslash-escapes Discord Markdown in plain text: the inline markers anywhere,
// and headings, quotes and list markers at the start of a line.
func escape(s string) string {
	var b strings.Builder
	lineStart := true
	for _, r := range s {
		switch {
		case strings.ContainsRune("\\*_~`|", r), lineStart && strings.ContainsRune("#>-", r):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		if r == '\n' {
			lineStart = true
		} else if r != ' ' && r != '\t' {
			lineStart = false
		}
	}
	return b.String()
}
