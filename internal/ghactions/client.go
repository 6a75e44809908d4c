// Package ghactions is the GitHub side of the GitHub Actions mode: a small client for
// the few REST API endpoints the mode needs, on net/http.
//
//   - PutSecret writes a repository secret (the rotated refresh token, MS_TOKEN), sealed
//     with libsodium's sealed box under the repository's public key, so that the next
//     run starts from it;
//   - CheckAccess says at start whether the token can write secrets, and if not exactly
//     which scope or permission to add;
//   - Workflow and EnableWorkflow read and re-enable a workflow: GitHub disables
//     scheduled workflows of a public repository after 60 days without activity.
//
// Requests carry GitHub's recommended headers (Accept: application/vnd.github+json,
// X-GitHub-Api-Version: 2022-11-28, a User-Agent). Rate limits are honoured as GitHub
// documents (Retry-After; X-RateLimit-Remaining 0 with X-RateLimit-Reset; otherwise at
// least a minute, growing), within a bounded wait; 5xx answers and dropped connections
// are retried with backoff; other 4xx answers are not retried. Errors say what to fix
// and never contain the token.
package ghactions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/e5renew/e5renew/internal/graph"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/clock"
	"github.com/e5renew/e5renew/internal/secret"
)

// Defaults.
const (
	DefaultBaseURL     = "https://api.github.com"
	APIVersion         = "2022-11-28"
	DefaultUserAgent   = "e5renew"
	DefaultTimeout     = 30 * time.Second
	DefaultMaxAttempts = 3
	DefaultMaxWait     = 2 * time.Minute
	DefaultBaseDelay   = time.Second
	// secondaryWait is how long to wait after a secondary rate limit that gave no
	// Retry-After: GitHub says at least a minute, growing when it keeps failing.
	secondaryWait = time.Minute
	maxAnswer     = 1 << 20
)

// Client calls the GitHub REST API for one repository. The zero values of the optional
// fields get the defaults above.
type Client struct {
	// BaseURL is the REST API root: https://api.github.com, or GITHUB_API_URL (on GitHub
	// Enterprise Server, https://HOST/api/v3).
	BaseURL string
	// Repo is "owner/name", as in GITHUB_REPOSITORY.
	Repo  string
	Token secret.String
	HTTP  *http.Client // default: a client with DefaultTimeout

	UserAgent string
	// MaxAttempts bounds the attempts of one call, retries of 5xx answers, dropped
	// connections and rate limits included.
	MaxAttempts int
	// MaxWait is the longest single wait for a rate limit or Retry-After; when GitHub
	// asks for more, the call fails at once with ErrRateLimited and APIError.RetryAfter.
	MaxWait time.Duration
	// BaseDelay is the first backoff step after a 5xx answer (doubled each time, with
	// jitter).
	BaseDelay time.Duration
	// Clock tells the time (X-RateLimit-Reset) and waits; default the system clock.
	Clock  clock.Clock
	Logger *slog.Logger
}

// FromEnv builds a client for the repository a workflow runs in, from the variables
// GitHub Actions sets: GITHUB_REPOSITORY ("owner/name", required) and GITHUB_API_URL
// (optional; https://api.github.com when unset). getenv is os.LookupEnv or a stand-in.
func FromEnv(getenv func(string) (string, bool), token secret.String) (*Client, error) {
	repo, ok := getenv("GITHUB_REPOSITORY")
	repo = strings.TrimSpace(repo)
	if !ok || repo == "" {
		return nil, fmt.Errorf("%w: GITHUB_REPOSITORY is not set: GitHub Actions sets it in every workflow run; outside Actions, set it to the repository as owner/name", ErrConfig)
	}
	if _, _, err := splitRepo(repo); err != nil {
		return nil, fmt.Errorf("%w: GITHUB_REPOSITORY: %v", ErrConfig, err)
	}
	base := DefaultBaseURL
	if v, ok := getenv("GITHUB_API_URL"); ok && strings.TrimSpace(v) != "" {
		base = strings.TrimSpace(v)
		if err := checkBaseURL(base); err != nil {
			return nil, fmt.Errorf("%w: GITHUB_API_URL: %v", ErrConfig, err)
		}
	}
	if strings.TrimSpace(token.Reveal()) == "" {
		return nil, fmt.Errorf("%w: no GitHub token: create a personal access token (%s), store it as the repository secret GH_TOKEN and pass it to e5renew (env: GH_TOKEN: ${{ secrets.GH_TOKEN }})", ErrConfig, pat)
	}
	return &Client{BaseURL: strings.TrimRight(base, "/"), Repo: repo, Token: token}, nil
}

// splitRepo checks "owner/name".
func splitRepo(s string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("%q is not a repository: expected owner/name, e.g. alice/e5renew", s)
	}
	for _, r := range owner {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", "", fmt.Errorf("%q is not a repository: the owner %q may only hold letters, digits and hyphens", s, owner)
		}
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return "", "", fmt.Errorf("%q is not a repository: the name %q may only hold letters, digits, '.', '-' and '_'", s, name)
		}
	}
	if name == "." || name == ".." {
		return "", "", fmt.Errorf("%q is not a repository name", s)
	}
	return owner, name, nil
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("%q is not an API URL: expected https://api.github.com or https://HOST/api/v3", s)
	}
	return nil
}

// repoPath returns "/repos/{owner}/{repo}", escaped.
func (c *Client) repoPath() (string, error) {
	owner, name, err := splitRepo(strings.TrimSpace(c.Repo))
	if err != nil {
		return "", fmt.Errorf("%w: repository: %v", ErrConfig, err)
	}
	return "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name), nil
}

func (c *Client) repoName() string { return strings.TrimSpace(c.Repo) }

func (c *Client) base() (string, error) {
	b := strings.TrimSpace(c.BaseURL)
	if b == "" {
		b = DefaultBaseURL
	}
	if err := checkBaseURL(b); err != nil {
		return "", fmt.Errorf("%w: API URL: %v", ErrConfig, err)
	}
	return strings.TrimRight(b, "/"), nil
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: DefaultTimeout}
}

func (c *Client) clock() clock.Clock {
	if c.Clock != nil {
		return c.Clock
	}
	return clock.Real{}
}

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func orDefault[T int | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

// answer is a 2xx answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// scopes returns the X-OAuth-Scopes header, and whether it was there at all (classic
// and OAuth tokens only; an empty header means no scopes).
func scopes(h http.Header) ([]string, bool) {
	vs, ok := h[http.CanonicalHeaderKey("X-OAuth-Scopes")]
	if !ok {
		return nil, false
	}
	var out []string
	for _, v := range vs {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out, true
}

// call sends one API request, retrying what may be retried, and returns the 2xx answer
// or an *APIError. path is escaped and relative to the base URL.
func (c *Client) call(ctx context.Context, info answerInfo, opText, method, path string, in any) (*answer, error) {
	base, err := c.base()
	if err != nil {
		return nil, err
	}
	tok := strings.TrimSpace(c.Token.Reveal())
	if tok == "" {
		return nil, fmt.Errorf("%w: no GitHub token given", ErrConfig)
	}
	var body []byte
	if in != nil {
		if body, err = json.Marshal(in); err != nil {
			return nil, fmt.Errorf("GitHub: %s: encode request: %w", opText, err)
		}
	}
	info.kind = KindOf(c.Token)
	maxAttempts := orDefault(c.MaxAttempts, DefaultMaxAttempts)
	maxWait := orDefault(c.MaxWait, DefaultMaxWait)
	limited := 0 // rate limits without Retry-After or reset met so far
	for attempt := 1; ; attempt++ {
		ans, e, retry, wait := c.attempt(ctx, info, opText, method, base+path, path, tok, body, &limited)
		if e == nil {
			return ans, nil
		}
		e.Attempts = attempt
		if !retry || attempt >= maxAttempts || ctx.Err() != nil {
			return nil, e
		}
		if wait > maxWait {
			if e.Kind == ErrRateLimited || e.Kind == ErrUnavailable {
				e.RetryAfter = wait
			}
			return nil, e
		}
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		c.logger().Debug("github retry", "op", opText, "status", e.Status, "wait", wait, "attempt", attempt)
		if err := c.clock().Sleep(ctx, wait); err != nil {
			e.Err = err
			return nil, e
		}
	}
}

// backoff is exponential with jitter: half the step plus a random half.
func (c *Client) backoff(attempt int) time.Duration {
	d := orDefault(c.BaseDelay, DefaultBaseDelay) << (attempt - 1)
	if d <= 0 || d > orDefault(c.MaxWait, DefaultMaxWait) {
		d = orDefault(c.MaxWait, DefaultMaxWait)
	}
	return d/2 + time.Duration(mrand.Int64N(int64(d/2)+1))
}

// attempt sends once; it says whether to retry and how long GitHub asked to wait (0:
// back off).
func (c *Client) attempt(ctx context.Context, info answerInfo, opText, method, u, path, tok string, body []byte, limited *int) (*answer, *APIError, bool, time.Duration) {
	e := &APIError{Op: opText, Method: method, Path: path}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		e.Kind, e.Err = ErrConfig, scrub(err, tok)
		return nil, e, false, 0
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", APIVersion)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("User-Agent", orString(c.UserAgent, DefaultUserAgent))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		e.Err = scrub(err, tok)
		if ctx.Err() != nil {
			e.Err = ctx.Err()
			return nil, e, false, 0
		}
		e.Kind, e.Fix = ErrUnavailable, fixFor(502, info)
		return nil, e, true, 0 // every call here is idempotent (GET, PUT)
	}
	defer resp.Body.Close()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	e.Status = resp.StatusCode
	e.RequestID = resp.Header.Get("X-GitHub-Request-Id")
	e.AcceptedPermissions = resp.Header.Get("X-Accepted-GitHub-Permissions")
	if rerr != nil {
		e.Kind, e.Err, e.Fix = ErrUnavailable, scrub(rerr, tok), fixFor(502, info)
		return nil, e, true, 0
	}
	if resp.StatusCode/100 == 2 {
		return &answer{status: resp.StatusCode, header: resp.Header, body: data}, nil, false, 0
	}
	var eb struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	if json.Unmarshal(data, &eb) == nil {
		e.Message = scrubText(eb.Message, tok)
		e.DocumentationURL = eb.DocumentationURL
	}
	info.scopes, info.scopesKnown = scopes(resp.Header)
	now := c.clock().Now()

	if wait, ok := rateLimitWait(resp, e.Message, now, *limited); ok {
		if resp.Header.Get("Retry-After") == "" && resp.Header.Get("X-RateLimit-Remaining") != "0" {
			*limited++
		}
		e.Kind, e.RetryAfter, e.Fix = ErrRateLimited, wait, rateLimitFix(now.Add(wait))
		return nil, e, true, wait
	}
	e.Fix = fixFor(resp.StatusCode, info)
	switch s := resp.StatusCode; {
	case s >= 500:
		e.Kind = ErrUnavailable
		wait := parseRetryAfter(resp.Header.Get("Retry-After"), now)
		if wait > 0 {
			e.RetryAfter = wait
		}
		return nil, e, true, wait
	case s == http.StatusUnauthorized:
		e.Kind = ErrBadCredentials
	case s == http.StatusForbidden:
		e.Kind = ErrPermission
	case s == http.StatusNotFound:
		e.Kind = ErrNotFound
	default:
		e.Kind = ErrRejected
	}
	return nil, e, false, 0
}

// rateLimitWait tells whether an answer is a rate limit and how long to wait, as GitHub
// documents: a 429, or a 403 with Retry-After, with X-RateLimit-Remaining 0, or with a
// message about a rate limit. Retry-After comes first; then X-RateLimit-Reset when no
// requests remain; otherwise a minute, doubled for each such limit met before.
func rateLimitWait(resp *http.Response, message string, now time.Time, limited int) (time.Duration, bool) {
	h := resp.Header
	retryAfter := h.Get("Retry-After")
	exhausted := h.Get("X-RateLimit-Remaining") == "0"
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
	case http.StatusForbidden:
		if retryAfter == "" && !exhausted && !strings.Contains(strings.ToLower(message), "rate limit") {
			return 0, false
		}
	default:
		return 0, false
	}
	if d := parseRetryAfter(retryAfter, now); d > 0 {
		return d, true
	}
	if exhausted {
		if sec, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64); err == nil {
			// Wait until the reset second has passed.
			return max(time.Unix(sec, 0).Sub(now)+time.Second, time.Second), true
		}
	}
	return secondaryWait << min(limited, 10), true
}

// parseRetryAfter reads Retry-After as graph.ParseRetryAfter does (seconds or an HTTP
// date); 0 when absent, unreadable or more than a week away (not a wait worth honouring).
func parseRetryAfter(v string, now time.Time) time.Duration {
	if d := graph.ParseRetryAfter(v, now); d <= 7*24*time.Hour {
		return d
	}
	return 0
}

func orString(v, d string) string {
	if strings.TrimSpace(v) == "" {
		return d
	}
	return v
}

// scrub removes the token from an error's text (a proxy or transport may echo headers).
func scrub(err error, tok string) error {
	if err == nil {
		return nil
	}
	if m := err.Error(); tok != "" && strings.Contains(m, tok) {
		return fmt.Errorf("%s", scrubText(m, tok))
	}
	return err
}

func scrubText(s, tok string) string {
	if tok == "" {
		return s
	}
	return strings.ReplaceAll(s, tok, "[redacted]")
}
