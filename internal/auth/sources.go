package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/e5renew/e5renew/internal/clock"
	"github.com/e5renew/e5renew/internal/secret"
)

// Kind is an account's sign-in type.
type Kind string

// The sign-in types.
const (
	KindRefreshToken      Kind = "refresh_token"
	KindClientCredentials Kind = "client_credentials"
	KindPassword          Kind = "password"
)

// Source hands out access tokens for one account.
type Source interface {
	// Token returns a valid access token, signing in when needed.
	Token(ctx context.Context) (*Token, error)
	// AccessToken returns just the bearer value (for the Graph client).
	AccessToken(ctx context.Context) (string, error)
	// Invalidate drops the cached access token (Graph answered 401).
	Invalidate()
	// Reset forgets a remembered needs-owner failure, after the credentials changed.
	Reset()
	Kind() Kind
}

// Common carries what every source needs.
type Common struct {
	Account    string
	Endpoints  Endpoints
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now and Sleep are injected by tests; nil means the real clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Attempts bounds tries for transient failures per Token call (default 3).
	Attempts int
	// OnSignIn, when set, is told of every token request (metrics): the sign-in type and
	// the error, nil on success.
	OnSignIn func(kind Kind, err error)
}

func (c *Common) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Common) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	return clock.Sleep(ctx, d)
}

func (c *Common) log() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (c *Common) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return &http.Client{Timeout: 60 * time.Second}
}

// oauthCtx makes golang.org/x/oauth2 use our HTTP client.
func (c *Common) oauthCtx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.httpClient())
}

// expiry computes an access token's expiry from expires_in on our clock (the library uses
// the wall clock, which tests replace).
func (c *Common) expiry(t *oauth2.Token) time.Time {
	if t.ExpiresIn > 0 {
		return c.now().Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	return t.Expiry
}

// expirySkew renews access tokens this long before they expire.
const expirySkew = 5 * time.Minute

// cached implements caching, transient retries and the no-retry rule for needs-owner
// failures around a fetch function.
type cached struct {
	Common
	kind   Kind
	op     string
	fetch  func(ctx context.Context) (*Token, error)
	mu     sync.Mutex
	tok    *Token
	sticky error
}

func (s *cached) Kind() Kind { return s.kind }

func (s *cached) Token(ctx context.Context) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sticky != nil {
		// The owner must act first: another sign-in attempt would fail the same way, and
		// repeated failures can lock the account.
		return nil, s.sticky
	}
	if s.tok != nil && s.now().Add(expirySkew).Before(s.tok.Expiry) {
		return s.tok, nil
	}
	attempts := s.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			d := time.Duration(float64(time.Second<<(i-1)) * (0.5 + rand.Float64()))
			if serr := s.sleep(ctx, d); serr != nil {
				return nil, err
			}
		}
		var t *Token
		t, err = s.fetch(ctx)
		if s.OnSignIn != nil {
			s.OnSignIn(s.kind, err)
		}
		if err == nil {
			s.tok = t
			return t, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		if ae, ok := AsError(err); ok && ae.Class == NeedsOwner {
			s.sticky = err
			s.log().Warn("sign-in needs the owner", "account", s.Account, "reason", string(ae.Reason), "code", ae.Code())
			return nil, err
		}
		if _, ok := AsError(err); !ok {
			return nil, err // a local failure (storage): do not hammer
		}
	}
	return nil, err
}

func (s *cached) AccessToken(ctx context.Context) (string, error) {
	t, err := s.Token(ctx)
	if err != nil {
		return "", err
	}
	return t.AccessToken, nil
}

func (s *cached) Invalidate() {
	s.mu.Lock()
	s.tok = nil
	s.mu.Unlock()
}

func (s *cached) Reset() {
	s.mu.Lock()
	s.sticky = nil
	s.tok = nil
	s.mu.Unlock()
}

// fromOAuth2 classifies an error from golang.org/x/oauth2.
func fromOAuth2(op, account string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return classifyResponse(op, account, status, re.Body)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return networkError(op, account, err)
}

// RefreshOptions configure a delegated account signed in with a refresh token (what rclone
// and Office365Auto users have).
type RefreshOptions struct {
	Common
	Tenant       string // "common" when empty
	ClientID     string
	ClientSecret secret.String // for confidential apps (rclone's "web" registration)
	RefreshToken secret.String // the token from the configuration
	Store        TokenStore
}

// RefreshSource redeems refresh tokens and persists each rotated one before the access
// token that came with it is handed out.
type RefreshSource struct {
	*cached
	opts RefreshOptions
	rt   secret.String
	seed string
}

// NewRefreshSource validates the options and returns a source.
func NewRefreshSource(o RefreshOptions) (*RefreshSource, error) {
	if o.ClientID == "" {
		return nil, fmt.Errorf("account %s: client_id is required", o.Account)
	}
	if o.RefreshToken.IsZero() {
		return nil, fmt.Errorf("account %s: refresh_token is required", o.Account)
	}
	if o.Store == nil {
		return nil, fmt.Errorf("account %s: a token store is required to keep rotated refresh tokens", o.Account)
	}
	s := &RefreshSource{opts: o, seed: Fingerprint(o.RefreshToken.Reveal())}
	s.cached = &cached{Common: o.Common, kind: KindRefreshToken, op: "refresh token sign-in", fetch: s.fetch}
	return s, nil
}

// current returns the refresh token to redeem: the stored rotation of the configured token,
// or the configured token itself when none is stored or the owner replaced it.
func (s *RefreshSource) current(ctx context.Context) (secret.String, error) {
	if !s.rt.IsZero() {
		return s.rt, nil
	}
	st, ok, err := s.opts.Store.LoadToken(ctx, s.opts.Account)
	if err != nil {
		return "", err
	}
	if ok && st.Seed == s.seed && !st.RefreshToken.IsZero() {
		s.rt = st.RefreshToken
	} else {
		s.rt = s.opts.RefreshToken
	}
	return s.rt, nil
}

func (s *RefreshSource) fetch(ctx context.Context) (*Token, error) {
	rt, err := s.current(ctx)
	if err != nil {
		return nil, fmt.Errorf("account %s: load refresh token: %w", s.opts.Account, err)
	}
	conf := &oauth2.Config{
		ClientID:     s.opts.ClientID,
		ClientSecret: s.opts.ClientSecret.Reveal(),
		Endpoint:     oauth2.Endpoint{TokenURL: s.opts.Endpoints.TokenURL(s.opts.Tenant), AuthStyle: oauth2.AuthStyleInParams},
	}
	tok, err := conf.TokenSource(s.oauthCtx(ctx), &oauth2.Token{RefreshToken: rt.Reveal()}).Token()
	if err != nil {
		return nil, fromOAuth2("refresh token sign-in", s.opts.Account, err)
	}
	if next := secret.String(tok.RefreshToken); !next.IsZero() && next != rt {
		// Persist the rotated token BEFORE anything uses the new access token: if the
		// process dies now, the stored token is still one the service accepts.
		if err := s.opts.Store.SaveToken(ctx, s.opts.Account, StoredToken{RefreshToken: next, Seed: s.seed, Updated: s.now().UTC()}); err != nil {
			return nil, fmt.Errorf("account %s: could not save the rotated refresh token, so its access token is not used: %w", s.opts.Account, err)
		}
		s.rt = next
	}
	return newToken(tok.AccessToken, s.expiry(tok)), nil
}

// Reset also reloads the refresh token (the configuration may hold a new one).
func (s *RefreshSource) Reset() {
	s.cached.Reset()
	s.mu.Lock()
	s.rt = ""
	s.mu.Unlock()
}

// AppOptions configure an application (client credentials) account. Calls must use the
// /users/{id} forms: /me does not exist for an app.
type AppOptions struct {
	Common
	Tenant       string
	ClientID     string
	ClientSecret secret.String
}

// NewAppSource returns a client credentials source.
func NewAppSource(o AppOptions) (Source, error) {
	switch strings.ToLower(strings.TrimSpace(o.Tenant)) {
	case "", "common", "organizations", "consumers":
		return nil, fmt.Errorf("account %s: application sign-in needs the tenant's domain or id, not %q", o.Account, o.Tenant)
	}
	if o.ClientID == "" || o.ClientSecret.IsZero() {
		return nil, fmt.Errorf("account %s: application sign-in needs client_id and client_secret", o.Account)
	}
	conf := &clientcredentials.Config{
		ClientID: o.ClientID, ClientSecret: o.ClientSecret.Reveal(), TokenURL: o.Endpoints.TokenURL(o.Tenant),
		Scopes: []string{o.Endpoints.DefaultScope()}, AuthStyle: oauth2.AuthStyleInParams,
	}
	c := &cached{Common: o.Common, kind: KindClientCredentials, op: "application sign-in"}
	c.fetch = func(ctx context.Context) (*Token, error) {
		tok, err := conf.Token(c.oauthCtx(ctx))
		if err != nil {
			return nil, fromOAuth2("application sign-in", o.Account, err)
		}
		return newToken(tok.AccessToken, c.expiry(tok)), nil
	}
	return c, nil
}

// PasswordOptions configure the password grant (ROPC). It cannot pass MFA or Conditional
// Access and Microsoft is retiring it; device code sign-in is the replacement.
type PasswordOptions struct {
	Common
	Tenant       string
	ClientID     string
	ClientSecret secret.String
	Username     string
	Password     secret.String
	Scopes       []string // default: {graph}/.default
}

// PasswordWarning is logged once per password account.
var PasswordWarning = "password sign-in (ROPC) stops working as soon as MFA or Conditional Access applies to the account; prefer `e5renew login` (device code) / 密码登录（ROPC）在账号启用 MFA 或条件访问后即失效；建议改用 `e5renew login`（设备代码登录）"

// NewPasswordSource returns a password grant source.
func NewPasswordSource(o PasswordOptions) (Source, error) {
	switch strings.ToLower(strings.TrimSpace(o.Tenant)) {
	case "", "common", "consumers":
		return nil, fmt.Errorf("account %s: password sign-in needs the tenant's domain or id (or \"organizations\"), not %q: Microsoft refuses it on /common (AADSTS9001023)", o.Account, o.Tenant)
	}
	if o.ClientID == "" || o.Username == "" || o.Password.IsZero() {
		return nil, fmt.Errorf("account %s: password sign-in needs client_id, username and password", o.Account)
	}
	scopes := o.Scopes
	if len(scopes) == 0 {
		scopes = []string{o.Endpoints.DefaultScope()}
	}
	conf := &oauth2.Config{
		ClientID: o.ClientID, ClientSecret: o.ClientSecret.Reveal(),
		Endpoint: oauth2.Endpoint{TokenURL: o.Endpoints.TokenURL(o.Tenant), AuthStyle: oauth2.AuthStyleInParams},
		Scopes:   o.Endpoints.QualifyScopes(scopes),
	}
	c := &cached{Common: o.Common, kind: KindPassword, op: "password sign-in"}
	c.log().Warn(PasswordWarning, "account", o.Account)
	c.fetch = func(ctx context.Context) (*Token, error) {
		tok, err := conf.PasswordCredentialsToken(c.oauthCtx(ctx), o.Username, o.Password.Reveal())
		if err != nil {
			return nil, fromOAuth2("password sign-in", o.Account, err)
		}
		return newToken(tok.AccessToken, c.expiry(tok)), nil
	}
	return c, nil
}
