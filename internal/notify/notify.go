// Package notify tells an account's owner what needs them, in the channels they read:
// Telegram, WeChat Work (group robot and app), DingTalk, Feishu/Lark, Bark, ServerChan,
// PushPlus, WxPusher, Discord, Slack, email and a generic webhook. Each channel is a
// sub-package with its own Config (which validates itself) and a Notifier; messages are
// already in the owner's language and never contain a secret.
package notify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind says what a message is about.
type Kind string

// The kinds of messages.
const (
	NeedsOwner Kind = "needs_owner" // an account stopped: only its owner can fix it
	Recovered  Kind = "recovered"   // an account works again
	Degrading  Kind = "degrading"   // an account's rounds keep failing partly
	Expiring   Kind = "expiring"    // a client secret or the subscription expires soon
	Started    Kind = "started"     // the daemon started
	Stopped    Kind = "stopped"     // the daemon stopped
	Digest     Kind = "digest"      // the daily summary
	Test       Kind = "test"        // `e5renew notify test`
)

// Message is one notification.
type Message struct {
	Kind Kind
	// Title is one short line; Text the plain-text body (may be several lines). Both are in
	// the configured language and contain no secret.
	Title string
	Text  string
	// Markdown is the body for channels that render Markdown; empty means use Text.
	Markdown string
	Account  string    // the account concerned, if any
	URL      string    // a link to the dashboard page, when a public URL is configured
	Time     time.Time // when it happened
}

// Body returns the Markdown body when there is one, else the text.
func (m Message) Body(markdown bool) string {
	if markdown && m.Markdown != "" {
		return m.Markdown
	}
	return m.Text
}

// Full returns title and text (and the link) as one plain-text block.
func (m Message) Full() string {
	var b strings.Builder
	b.WriteString(m.Title)
	if m.Text != "" {
		b.WriteString("\n\n" + m.Text)
	}
	if m.URL != "" {
		b.WriteString("\n" + m.URL)
	}
	return b.String()
}

// Notifier sends messages to one configured channel.
type Notifier interface {
	// Name is the channel's configured name (unique), e.g. "telegram" or "wecom-team".
	Name() string
	// Type is the channel type, e.g. "telegram".
	Type() string
	// Send delivers the message, or returns an error saying what the service answered.
	Send(ctx context.Context, m Message) error
}

// Error is a delivery failure with what the service answered (never the request, which
// may carry a key).
type Error struct {
	Channel string
	Status  int
	Answer  string
	Err     error
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil:
		return fmt.Sprintf("%s: %v", e.Channel, e.Err)
	case e.Status != 0:
		return fmt.Sprintf("%s: HTTP %d: %s", e.Channel, e.Status, e.Answer)
	}
	return fmt.Sprintf("%s: %s", e.Channel, e.Answer)
}

func (e *Error) Unwrap() error { return e.Err }

// Post sends an HTTP request and returns the answer body when the status is 2xx; the
// error never contains the URL (query strings carry keys). Channel packages use it.
func Post(ctx context.Context, hc *http.Client, channel string, req *http.Request) ([]byte, error) {
	hc = HTTPClient(hc)
	req = req.WithContext(ctx)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &Error{Channel: channel, Err: scrub(err, req)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return body, &Error{Channel: channel, Status: resp.StatusCode, Answer: truncate(string(body), 300)}
	}
	return body, nil
}

// scrub removes the request URL (which may hold a key) from transport errors.
func scrub(err error, req *http.Request) error {
	msg := err.Error()
	if u := req.URL.String(); u != "" {
		msg = strings.ReplaceAll(msg, u, req.URL.Scheme+"://"+req.URL.Host+"/…")
	}
	if q := req.URL.RawQuery; q != "" {
		msg = strings.ReplaceAll(msg, q, "…")
	}
	return fmt.Errorf("%s", msg)
}

// truncate cuts s to at most n bytes on a character boundary (answers are often Chinese).
func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Fail builds an Error from a service's own error code in a 200 answer (many Chinese
// services answer 200 with {"errcode": 40001, ...}).
func Fail(channel, answer string) error {
	return &Error{Channel: channel, Answer: truncate(answer, 300)}
}
