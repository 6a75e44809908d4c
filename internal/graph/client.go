// Package graph is a small Microsoft Graph client on net/http: a client-request-id on every
// request, request-id kept for logs, Graph error decoding, retries for 429/502/503/504 and
// dropped connections that honour Retry-After (fractional too) with capped exponential
// backoff and jitter, a per-mailbox concurrency limit of 4, paging and JSON batching.
package graph

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/clock"
)

// TokenSource supplies bearer tokens. auth.Source implements it.
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
	Invalidate()
}

// Options configure a Client. Zero values get sensible defaults.
type Options struct {
	BaseURL    string // default https://graph.microsoft.com
	HTTPClient *http.Client
	// Limiter bounds concurrent requests per mailbox; share one across clients of the same
	// app. Nil creates a private limiter of 4.
	Limiter       *MailboxLimiter
	MaxAttempts   int           // default 5
	BaseDelay     time.Duration // default 1s: first backoff step without Retry-After
	MaxDelay      time.Duration // default 30s: backoff cap
	MaxRetryAfter time.Duration // default 2m: a longer Retry-After is not waited for
	Sleep         func(ctx context.Context, d time.Duration) error
	Logger        *slog.Logger
	UserAgent     string
}

// Client calls Graph for one account.
type Client struct {
	opts   Options
	tokens TokenSource
}

// New returns a client using tokens.
func New(tokens TokenSource, o Options) *Client {
	if o.BaseURL == "" {
		o.BaseURL = "https://graph.microsoft.com"
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if o.Limiter == nil {
		o.Limiter = NewMailboxLimiter(DefaultMailboxConcurrency)
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = time.Second
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 30 * time.Second
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 2 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.UserAgent == "" {
		o.UserAgent = "e5renew"
	}
	return &Client{opts: o, tokens: tokens}
}

// Request is one Graph call.
type Request struct {
	Method  string
	Path    string     // unescaped: "/me/messages", "/users/{id}/drive/root:/a b.txt:/content"
	Version string     // "v1.0" (default) or "beta"
	Query   url.Values // OData options and parameters
	// Body is nil, []byte or string (sent as is with ContentType), or a value sent as JSON.
	Body        any
	ContentType string
	Header      http.Header
	// Mailbox names the mailbox the call touches (a user id or UPN) to apply the
	// per-mailbox concurrency limit; empty for calls outside a mailbox.
	Mailbox string
	// Idempotent allows retrying after a dropped connection. GET, HEAD, PUT and DELETE are
	// idempotent by definition; a POST that may have taken effect is not retried unless set.
	Idempotent bool
}

// Response is a successful (2xx) answer.
type Response struct {
	Status          int
	Header          http.Header
	Body            []byte
	RequestID       string
	ClientRequestID string
	Attempts        int
	Duration        time.Duration
}

// JSON decodes the body.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("decode Graph response (request-id %s): %w", r.RequestID, err)
	}
	return nil
}

// Error is a failed Graph call.
type Error struct {
	Method, Path    string
	Status          int    // 0 when no answer arrived
	Code            string // Graph error code, e.g. ErrorAccessDenied, itemNotFound
	InnerCode       string
	Message         string
	RequestID       string
	ClientRequestID string
	Date            string
	RetryAfter      time.Duration // from the last answer, when it asked to wait
	Attempts        int
	// Uncertain is set when the connection dropped after a non-idempotent request was sent:
	// it may or may not have taken effect.
	Uncertain bool
	Err       error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	switch {
	case e.Status == 0:
		fmt.Fprintf(&b, "no answer: %v", e.Err)
		if e.Uncertain {
			b.WriteString(" (the request may have taken effect)")
		}
	default:
		fmt.Fprintf(&b, "%d", e.Status)
		if e.Code != "" {
			fmt.Fprintf(&b, " %s", e.Code)
		}
		if e.Message != "" {
			fmt.Fprintf(&b, ": %s", e.Message)
		}
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request-id %s)", e.RequestID)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Throttled reports a 429.
func (e *Error) Throttled() bool { return e.Status == http.StatusTooManyRequests }

// NotFound reports a 404.
func (e *Error) NotFound() bool { return e.Status == http.StatusNotFound }

// Forbidden reports a 403.
func (e *Error) Forbidden() bool { return e.Status == http.StatusForbidden }

// AsError finds a *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// newClientRequestID returns a random GUID.
func newClientRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// URL builds the absolute URL of a request.
func (c *Client) URL(r Request) string {
	v := r.Version
	if v == "" {
		v = "v1.0"
	}
	p := r.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	// Path is unescaped ("/me/drive/root:/my file.txt:/content"); escape it here.
	u := c.opts.BaseURL + "/" + v + (&url.URL{Path: p}).EscapedPath()
	if len(r.Query) > 0 {
		// Graph's examples escape spaces as %20; url.Values uses '+'.
		u += "?" + strings.ReplaceAll(r.Query.Encode(), "+", "%20")
	}
	return u
}

func (r Request) body() ([]byte, string, error) {
	switch b := r.Body.(type) {
	case nil:
		return nil, "", nil
	case []byte:
		return b, firstNonEmpty(r.ContentType, "application/octet-stream"), nil
	case string:
		return []byte(b), firstNonEmpty(r.ContentType, "text/plain"), nil
	case io.Reader:
		data, err := io.ReadAll(b)
		return data, firstNonEmpty(r.ContentType, "application/octet-stream"), err
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, "", fmt.Errorf("encode request body: %w", err)
		}
		return data, firstNonEmpty(r.ContentType, "application/json"), nil
	}
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func (r Request) idempotent() bool {
	switch strings.ToUpper(r.Method) {
	case "GET", "HEAD", "PUT", "DELETE", "OPTIONS":
		return true
	}
	return r.Idempotent
}

// Do sends a request, retrying what Graph says can be retried, and returns the 2xx answer
// or an *Error.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	r.Method = strings.ToUpper(firstNonEmpty(r.Method, "GET"))
	body, ctype, err := r.body()
	if err != nil {
		return nil, err
	}
	u := c.URL(r)
	crid := newClientRequestID()
	start := time.Now()
	reauthed := false
	var last *Error
	for attempt := 1; attempt <= c.opts.MaxAttempts; attempt++ {
		resp, gerr, retry, wait := c.attempt(ctx, r, u, body, ctype, crid)
		if gerr == nil {
			resp.Attempts, resp.Duration = attempt, time.Since(start)
			c.opts.Logger.Debug("graph", "method", r.Method, "path", r.Path, "status", resp.Status, "request_id", resp.RequestID, "attempts", attempt, "took", resp.Duration)
			return resp, nil
		}
		gerr.Attempts = attempt
		last = gerr
		if ctx.Err() != nil {
			return nil, gerr
		}
		if gerr.Status == http.StatusUnauthorized && gerr.Code == "InvalidAuthenticationToken" && !reauthed {
			// The token expired early or was revoked: get a fresh one, once.
			c.tokens.Invalidate()
			reauthed = true
			attempt--
			continue
		}
		if !retry || attempt == c.opts.MaxAttempts {
			break
		}
		if wait > c.opts.MaxRetryAfter {
			break // the caller decides whether to come back much later
		}
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		c.opts.Logger.Debug("graph retry", "method", r.Method, "path", r.Path, "status", gerr.Status, "code", gerr.Code, "wait", wait, "attempt", attempt)
		if err := c.sleep(ctx, wait); err != nil {
			return nil, last
		}
	}
	c.opts.Logger.Debug("graph failed", "method", r.Method, "path", r.Path, "status", last.Status, "code", last.Code, "request_id", last.RequestID, "attempts", last.Attempts)
	return nil, last
}

// backoff is exponential with jitter: half the step plus a random half, capped.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.BaseDelay << (attempt - 1)
	if d > c.opts.MaxDelay || d <= 0 {
		d = c.opts.MaxDelay
	}
	return d/2 + time.Duration(mrand.Int64N(int64(d/2)+1))
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.opts.Sleep != nil {
		return c.opts.Sleep(ctx, d)
	}
	return clock.Sleep(ctx, d)
}

// attempt sends once. It reports whether a retry makes sense and how long the service
// asked to wait.
func (c *Client) attempt(ctx context.Context, r Request, u string, body []byte, ctype, crid string) (*Response, *Error, bool, time.Duration) {
	ge := &Error{Method: r.Method, Path: r.Path, ClientRequestID: crid}
	tok, err := c.tokens.AccessToken(ctx)
	if err != nil {
		ge.Err = err
		return nil, ge, false, 0
	}
	if r.Mailbox != "" {
		release, err := c.opts.Limiter.Acquire(ctx, strings.ToLower(r.Mailbox))
		if err != nil {
			ge.Err = err
			return nil, ge, false, 0
		}
		defer release()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u, rd)
	if err != nil {
		ge.Err = err
		return nil, ge, false, 0
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("client-request-id", crid)
	req.Header.Set("return-client-request-id", "true")
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		ge.Err = err
		if ctx.Err() != nil {
			return nil, ge, false, 0
		}
		if !r.idempotent() {
			ge.Uncertain = true
			return nil, ge, false, 0
		}
		return nil, ge, true, 0
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	ge.Status = resp.StatusCode
	ge.RequestID = resp.Header.Get("request-id")
	if err != nil {
		ge.Err = err
		return nil, ge, r.idempotent(), 0
	}
	if resp.StatusCode/100 == 2 {
		return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data, RequestID: ge.RequestID,
			ClientRequestID: firstNonEmpty(resp.Header.Get("client-request-id"), crid)}, nil, false, 0
	}
	decodeError(ge, data)
	ge.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return nil, ge, true, ge.RetryAfter
	}
	return nil, ge, false, 0
}

type errorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Code            string `json:"code"`
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
			Date            string `json:"date"`
		} `json:"innerError"`
	} `json:"error"`
}

func decodeError(ge *Error, data []byte) {
	var eb errorBody
	if json.Unmarshal(data, &eb) != nil {
		ge.Message = strings.TrimSpace(string(truncate(data, 200)))
		return
	}
	ge.Code, ge.Message = eb.Error.Code, eb.Error.Message
	ge.InnerCode, ge.Date = eb.Error.InnerError.Code, eb.Error.InnerError.Date
	if ge.RequestID == "" {
		ge.RequestID = eb.Error.InnerError.RequestID
	}
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// ParseRetryAfter reads a Retry-After value: seconds, possibly fractional ("2.128"), or an
// HTTP date. Zero when absent or unreadable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f <= 0 {
			return 0
		}
		return time.Duration(f * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// Get sends a GET and decodes the JSON answer into out (which may be nil).
func (c *Client) Get(ctx context.Context, path string, q url.Values, out any, mailbox string) (*Response, error) {
	resp, err := c.Do(ctx, Request{Method: "GET", Path: path, Query: q, Mailbox: mailbox})
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := resp.JSON(out); err != nil {
			return resp, err
		}
	}
	return resp, nil
}

// Page is one page of a collection.
type Page struct {
	Value    []json.RawMessage `json:"value"`
	NextLink string            `json:"@odata.nextLink"`
	Count    *int              `json:"@odata.count"`
}

// List reads a collection, following @odata.nextLink up to maxItems items (0: all), and
// calls fn for each item.
func (c *Client) List(ctx context.Context, r Request, maxItems int, fn func(item json.RawMessage) error) error {
	return c.ListWith(ctx, c.Do, r, maxItems, fn)
}

// ListWith is List sending each page's request through do: c.Do, or a caller's wrapper of
// it (one that paces calls or counts them).
func (c *Client) ListWith(ctx context.Context, do func(context.Context, Request) (*Response, error), r Request, maxItems int,
	fn func(item json.RawMessage) error) error {
	n := 0
	for {
		resp, err := do(ctx, r)
		if err != nil {
			return err
		}
		var p Page
		if err := resp.JSON(&p); err != nil {
			return err
		}
		for _, it := range p.Value {
			if err := fn(it); err != nil {
				return err
			}
			n++
			if maxItems > 0 && n >= maxItems {
				return nil
			}
		}
		if p.NextLink == "" {
			return nil
		}
		next, err := c.NextRequest(p.NextLink, r)
		if err != nil {
			return err
		}
		r = next
	}
}

// NextRequest turns an @odata.nextLink into the GET for the next page, with the mailbox and
// headers of prev, refusing links to other hosts so the token never leaves Graph.
func (c *Client) NextRequest(link string, prev Request) (Request, error) {
	nu, err := url.Parse(link)
	if err != nil {
		return Request{}, fmt.Errorf("invalid @odata.nextLink: %w", err)
	}
	base, _ := url.Parse(c.opts.BaseURL)
	if nu.Host != base.Host || nu.Scheme != base.Scheme {
		return Request{}, fmt.Errorf("@odata.nextLink points to another host (%s); not following it", nu.Host)
	}
	p := strings.TrimPrefix(nu.EscapedPath(), strings.TrimRight(base.EscapedPath(), "/"))
	ver, rest, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	unescaped, err := url.PathUnescape("/" + rest)
	if err != nil {
		return Request{}, err
	}
	return Request{Method: "GET", Path: unescaped, Version: ver, Query: nu.Query(), Mailbox: prev.Mailbox, Header: prev.Header}, nil
}
