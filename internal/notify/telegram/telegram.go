// Package telegram sends notifications through a Telegram bot: POST
// {api_url}/bot{token}/sendMessage with a JSON body (chat_id, text, parse_mode,
// message_thread_id). The API base is configurable because reverse proxies of
// api.telegram.org are common where it is blocked.
package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/secret"
)

// Type is the channel type.
const Type = "telegram"

// DefaultAPIURL is the public Bot API.
const DefaultAPIURL = "https://api.telegram.org"

// maxText is Telegram's limit for a message's text (in UTF-16 code units after
// entities are parsed).
const maxText = 4096

// The parse modes.
const (
	ParseHTML       = "HTML"
	ParseMarkdownV2 = "MarkdownV2"
	ParseNone       = "none"
)

// Config configures a Telegram bot.
type Config struct {
	Name string `yaml:"name"`
	// APIURL is the Bot API base (default https://api.telegram.org).
	APIURL string `yaml:"api_url"`
	// Token is the bot token from @BotFather, e.g. 123456789:AA...
	Token secret.String `yaml:"token"`
	// ChatID is the numeric chat id (negative for groups) or @channelusername.
	ChatID string `yaml:"chat_id"`
	// MessageThreadID sends into a forum topic (optional).
	MessageThreadID int64 `yaml:"message_thread_id"`
	// ParseMode is HTML (default), MarkdownV2 or none (plain text).
	ParseMode string `yaml:"parse_mode"`
}

var (
	tokenRE  = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	chatIDRE = regexp.MustCompile(`^(-?[0-9]+|@[A-Za-z][A-Za-z0-9_]{3,})$`)
)

func (c Config) name() string {
	if c.Name != "" {
		return c.Name
	}
	return Type
}

func (c Config) apiURL() string {
	if c.APIURL == "" {
		return DefaultAPIURL
	}
	return strings.TrimRight(c.APIURL, "/")
}

func (c Config) parseMode() string {
	switch strings.ToLower(c.ParseMode) {
	case "", "html":
		return ParseHTML
	case "markdownv2":
		return ParseMarkdownV2
	case "none", "plain", "text":
		return ParseNone
	}
	return c.ParseMode
}

// Validate reports every missing or malformed field.
func (c Config) Validate() error {
	p := c.name() + ": "
	var errs []error
	switch t := strings.TrimSpace(c.Token.Reveal()); {
	case t == "":
		errs = append(errs, errors.New(p+"token is required: the bot token @BotFather gave you (it looks like 123456789:AA...)"))
	case !tokenRE.MatchString(t):
		errs = append(errs, errors.New(p+"token is malformed: a bot token is digits, a colon and letters (123456789:AA...); copy it again from @BotFather"))
	}
	switch id := strings.TrimSpace(c.ChatID); {
	case id == "":
		errs = append(errs, errors.New(p+"chat_id is required: the numeric id of the chat (message @userinfobot to learn yours; group ids start with -100) or @channelusername"))
	case !chatIDRE.MatchString(id):
		errs = append(errs, fmt.Errorf("%schat_id %q is malformed: write the numeric id of the chat (message @userinfobot to learn yours) or @channelusername", p, id))
	}
	if c.MessageThreadID < 0 {
		errs = append(errs, errors.New(p+"message_thread_id must be a positive topic id (or left out)"))
	}
	if c.APIURL != "" {
		if _, ok := notify.ParseHTTPURL(c.APIURL); !ok {
			errs = append(errs, fmt.Errorf("%sapi_url %q is not an http(s) URL: write the Bot API base such as %s (or leave it out)", p, c.APIURL, DefaultAPIURL))
		}
	}
	switch c.parseMode() {
	case ParseHTML, ParseMarkdownV2, ParseNone:
	default:
		errs = append(errs, fmt.Errorf("%sparse_mode %q is not supported: write HTML (the default), MarkdownV2 or none", p, c.ParseMode))
	}
	return errors.Join(errs...)
}

type notifier struct {
	c  Config
	hc *http.Client
}

var _ notify.Notifier = (*notifier)(nil)

// New validates c and returns its notifier; a nil hc means a client with a timeout.
func New(c Config, hc *http.Client) (notify.Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.Token = secret.String(strings.TrimSpace(c.Token.Reveal()))
	c.ChatID = strings.TrimSpace(c.ChatID)
	hc = notify.HTTPClient(hc)
	return &notifier{c: c, hc: hc}, nil
}

func (n *notifier) Name() string { return n.c.name() }
func (n *notifier) Type() string { return Type }

type request struct {
	ChatID          any          `json:"chat_id"`
	MessageThreadID int64        `json:"message_thread_id,omitempty"`
	Text            string       `json:"text"`
	ParseMode       string       `json:"parse_mode,omitempty"`
	LinkPreview     *linkPreview `json:"link_preview_options,omitempty"`
}

type linkPreview struct {
	IsDisabled bool `json:"is_disabled"`
}

type answer struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
}

// Send delivers m.
func (n *notifier) Send(ctx context.Context, m notify.Message) error {
	mode := n.c.parseMode()
	body := request{
		ChatID:          chatID(n.c.ChatID),
		MessageThreadID: n.c.MessageThreadID,
		Text:            format(m, mode),
		LinkPreview:     &linkPreview{IsDisabled: true},
	}
	if mode != ParseNone {
		body.ParseMode = mode
	}
	payload, err := notify.JSON(body)
	if err != nil {
		return &notify.Error{Channel: n.Name(), Err: err}
	}
	endpoint := n.c.apiURL() + "/bot" + n.c.Token.Reveal() + "/sendMessage"
	raw, err := notify.PostJSON(ctx, n.hc, n.Name(), endpoint, payload)
	var a answer
	if err != nil {
		// Telegram answers errors with 4xx and {"ok":false,"description":...}.
		var ne *notify.Error
		if errors.As(err, &ne) && ne.Status != 0 && json.Unmarshal(raw, &a) == nil && a.Description != "" {
			ne.Answer = a.Description
		}
		return n.scrub(err)
	}
	if err := json.Unmarshal(raw, &a); err != nil || !a.OK {
		msg := a.Description
		if msg == "" {
			msg = string(raw)
		}
		return n.scrub(notify.Fail(n.Name(), msg))
	}
	return nil
}

// chatID sends numeric ids as numbers and @usernames as strings.
func chatID(s string) any {
	if s != "" && s[0] != '@' {
		return json.Number(s)
	}
	return s
}

// scrub removes the token from an error's text.
func (n *notifier) scrub(err error) error {
	t := n.c.Token.Reveal()
	return notify.Redact(err, t, url.PathEscape(t))
}

// format renders m in the parse mode, truncating the body (never the title) so the
// visible text fits Telegram's limit.
func format(m notify.Message, mode string) string {
	title := notify.OneLine(m.Title)
	text := strings.TrimSpace(m.Text)
	// Visible characters besides the body: title, two blank-line separators, link.
	fixed := u16len(title)
	if text != "" {
		fixed += 2
	}
	if m.URL != "" {
		fixed += 2 + u16len(m.URL)
	}
	text = truncateU16(text, maxText-fixed)
	var b strings.Builder
	switch mode {
	case ParseHTML:
		b.WriteString("<b>" + html.EscapeString(title) + "</b>")
		if text != "" {
			b.WriteString("\n\n" + html.EscapeString(text))
		}
		if m.URL != "" {
			fmt.Fprintf(&b, "\n\n<a href=\"%s\">%s</a>", html.EscapeString(m.URL), html.EscapeString(m.URL))
		}
	case ParseMarkdownV2:
		b.WriteString("*" + escapeMDV2(title) + "*")
		if text != "" {
			b.WriteString("\n\n" + escapeMDV2(text))
		}
		if m.URL != "" {
			b.WriteString("\n\n[" + escapeMDV2(m.URL) + "](" + escapeMDV2URL(m.URL) + ")")
		}
	default:
		b.WriteString(title)
		if text != "" {
			b.WriteString("\n\n" + text)
		}
		if m.URL != "" {
			b.WriteString("\n\n" + m.URL)
		}
	}
	return b.String()
}

// escapeMDV2 escapes every character MarkdownV2 reserves.
func escapeMDV2(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("_*[]()~`>#+-=|{}.!\\", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// escapeMDV2URL escapes what MarkdownV2 requires inside (...) of a link.
func escapeMDV2URL(s string) string {
	return strings.NewReplacer(`\`, `\\`, `)`, `\)`).Replace(s)
}

func u16len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// truncateU16 cuts s to at most n UTF-16 code units, ending with "…" when cut.
func truncateU16(s string, n int) string {
	if u16len(s) <= n {
		return s
	}
	if n <= 1 {
		return ""
	}
	used := 0
	for i, r := range s {
		l := utf16.RuneLen(r)
		if used+l > n-1 {
			return strings.TrimRight(s[:i], " \n") + "…"
		}
		used += l
	}
	return s
}
