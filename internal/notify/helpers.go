package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Helpers shared by the channel packages.

// DefaultTimeout bounds a request made with the client HTTPClient gives for nil.
const DefaultTimeout = 20 * time.Second

// HTTPClient returns hc, or a client with DefaultTimeout when hc is nil (the channels'
// constructors accept nil).
func HTTPClient(hc *http.Client) *http.Client {
	if hc == nil {
		return &http.Client{Timeout: DefaultTimeout}
	}
	return hc
}

// PostJSON posts payload, a JSON body, to endpoint with Content-Type "application/json;
// charset=utf-8" and returns what Post returns. An endpoint that does not parse gives an
// *Error (with no status) whose text may contain the endpoint: a channel whose URL holds
// a key passes every error through Redact, as it does Post's.
func PostJSON(ctx context.Context, hc *http.Client, channel, endpoint string, payload []byte) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return nil, &Error{Channel: channel, Err: err}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	return Post(ctx, hc, channel, req)
}

// Redacted is what Redact puts in place of a secret.
const Redacted = "[redacted]"

// Redact removes every non-empty secret from err's text, writing Redacted in its place;
// the secrets are replaced one after the other, in the order given. Pass each form in
// which a secret may appear: as configured, trimmed, url.QueryEscape'd or
// url.PathEscape'd.
//
// When err is or wraps an *Error, that Error's Answer and Err are cleaned in place and
// err itself is returned, so the channel, the status and errors.As keep working; should
// a secret also be in the text of an error wrapping it, the result is a new error with
// the cleaned text that unwraps to the *Error. Any other error whose text holds a secret
// becomes a plain error with the cleaned text; an error without a secret is returned as
// it is, and nil stays nil.
func Redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	clean := func(s string) string { return redact(s, secrets) }
	var e *Error
	if errors.As(err, &e) {
		whole := err.Error()
		e.Answer = clean(e.Answer)
		if e.Err != nil {
			if m := e.Err.Error(); clean(m) != m {
				e.Err = errors.New(clean(m))
			}
		}
		if _, direct := err.(*Error); !direct {
			// e is wrapped: the wrapping errors' own text may hold a secret too.
			if c := clean(whole); c != err.Error() {
				return &redactedError{msg: c, err: e}
			}
		}
		return err
	}
	if m := err.Error(); clean(m) != m {
		return errors.New(clean(m))
	}
	return err
}

func redact(s string, secrets []string) string {
	for _, x := range secrets {
		if x != "" {
			s = strings.ReplaceAll(s, x, Redacted)
		}
	}
	return s
}

// redactedError is an error whose text was cleaned; it unwraps to the (cleaned) *Error
// inside it, not to the error whose text held the secret.
type redactedError struct {
	msg string
	err *Error
}

func (r *redactedError) Error() string { return r.msg }
func (r *redactedError) Unwrap() error { return r.err }

// JSON encodes v as JSON like json.Marshal, except that <, > and & are written as they
// are instead of as \u003c, \u003e and \u0026: some services (WeChat Work, errcode
// 40033) refuse \u escapes, and the text stays readable. There is no trailing newline.
func JSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Ellipsis marks where TruncateBytes and TruncateRunes cut a text.
const Ellipsis = "…"

// TruncateBytes cuts s to at most n bytes of UTF-8, for services that count bytes. A cut
// falls on a character boundary (never inside a Chinese character), drops the spaces and
// newlines before it and ends with Ellipsis, whose 3 bytes count toward n. A text that
// fits is returned unchanged; a text that does not, with n below 3, gives "".
func TruncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n < len(Ellipsis) {
		return ""
	}
	cut := n - len(Ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRight(s[:cut], " \n") + Ellipsis
}

// TruncateRunes cuts s to at most n characters (runes), for services that count
// characters, ending a cut with Ellipsis, which counts as one of the n. It does not trim
// spaces before the cut. A text that fits is returned unchanged; n below 1 gives "".
func TruncateRunes(s string, n int) string {
	if n < 1 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + Ellipsis
}

// OneLine folds s into one line: runs of white space (line breaks included) become one
// space, and leading and trailing white space goes.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// StripControl removes what encoding/json would write as \u escapes, for services that
// refuse them (WeChat Work answers errcode 40033): it keeps line breaks (\n) and tabs,
// turns the line and paragraph separators U+2028 and U+2029 into \n, and drops every
// other control character (U+0000 to U+001F, \r included, and DEL).
func StripControl(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\u2028' || r == '\u2029':
			return '\n'
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
}

// ParseHTTPURL parses s and reports whether it is an absolute http or https URL with a
// host. It returns no error text on purpose: many configured URLs carry a key, so each
// caller words its own message and decides whether the URL may appear in it.
func ParseHTTPURL(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}
