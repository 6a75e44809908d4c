package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/e5renew/e5renew/internal/secret"
)

// Grant is the result of an interactive sign-in: an access token and the refresh token to
// keep.
type Grant struct {
	Token        *Token
	RefreshToken secret.String
	Scope        string // the scope the identity platform granted
	IDToken      string
}

// DefaultDelegatedScopes is what interactive sign-ins ask for by default: a refresh token
// and whatever the app has been granted.
var DefaultDelegatedScopes = []string{"offline_access", "openid", "profile"}

// DeviceFlow signs a user in with the device code flow (protocol.md §1.5): the user opens
// the verification page on any device and enters the code.
type DeviceFlow struct {
	Common
	Tenant   string // "organizations" when empty
	ClientID string
	Scopes   []string // Graph scopes; offline_access is always added
}

// DeviceCode is what the user must be shown.
type DeviceCode struct {
	UserCode        string
	DeviceCode      string
	VerificationURI string
	Message         string
	ExpiresAt       time.Time
	Interval        time.Duration
}

func (f *DeviceFlow) tenant() string {
	if strings.TrimSpace(f.Tenant) == "" {
		return "organizations"
	}
	return f.Tenant
}

func (f *DeviceFlow) scopes() []string {
	s := append([]string(nil), f.Scopes...)
	if len(s) == 0 {
		s = []string{f.Endpoints.DefaultScope()}
	}
	return f.Endpoints.QualifyScopes(appendMissing(s, "offline_access", "openid", "profile"))
}

func appendMissing(s []string, add ...string) []string {
	for _, a := range add {
		found := false
		for _, x := range s {
			if strings.EqualFold(x, a) {
				found = true
			}
		}
		if !found {
			s = append(s, a)
		}
	}
	return s
}

// Start asks for a device code.
func (f *DeviceFlow) Start(ctx context.Context) (*DeviceCode, error) {
	conf := &oauth2.Config{ClientID: f.ClientID, Scopes: f.scopes(),
		Endpoint: oauth2.Endpoint{DeviceAuthURL: f.Endpoints.DeviceCodeURL(f.tenant()), TokenURL: f.Endpoints.TokenURL(f.tenant())}}
	da, err := conf.DeviceAuth(f.oauthCtx(ctx))
	if err != nil {
		return nil, fromOAuth2("device code sign-in", f.Account, err)
	}
	iv := time.Duration(da.Interval) * time.Second
	if iv <= 0 {
		iv = 5 * time.Second
	}
	exp := da.Expiry
	if exp.IsZero() {
		exp = f.now().Add(15 * time.Minute)
	}
	msg := fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.", da.VerificationURI, da.UserCode)
	return &DeviceCode{UserCode: da.UserCode, DeviceCode: da.DeviceCode, VerificationURI: da.VerificationURI, Message: msg, ExpiresAt: exp, Interval: iv}, nil
}

// Wait polls until the user has signed in, declined, or the code expired. pending, when
// set, is called after each authorization_pending answer.
func (f *DeviceFlow) Wait(ctx context.Context, dc *DeviceCode, pending func()) (*Grant, error) {
	interval := dc.Interval
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {f.ClientID}, "device_code": {dc.DeviceCode}}
	for {
		if err := f.sleep(ctx, interval); err != nil {
			return nil, err
		}
		g, err := f.postToken(ctx, "device code sign-in", f.Endpoints.TokenURL(f.tenant()), form)
		if err == nil {
			return g, nil
		}
		ae, ok := AsError(err)
		if !ok {
			return nil, err
		}
		switch {
		case ae.Reason == ReasonSlowDown:
			interval += 5 * time.Second // RFC 8628 §3.5
		case ae.Class == Pending:
			if pending != nil {
				pending()
			}
		case ae.Class == Transient:
			// keep polling until the code expires
		default:
			return nil, err
		}
		if f.now().After(dc.ExpiresAt) {
			return nil, &Error{Op: "device code sign-in", Account: f.Account, OAuthError: "expired_token", Class: NeedsOwner, Reason: ReasonDeviceExpired}
		}
	}
}

type tokenJSON struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	IDToken      string `json:"id_token"`
}

// postToken posts a token request and classifies errors; used where golang.org/x/oauth2 has
// no hook (device polling with an injected clock).
func (c *Common) postToken(ctx context.Context, op, tokenURL string, form url.Values) (*Grant, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, networkError(op, c.Account, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, networkError(op, c.Account, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, classifyResponse(op, c.Account, resp.StatusCode, body)
	}
	var tj tokenJSON
	if err := json.Unmarshal(body, &tj); err != nil || tj.AccessToken == "" {
		return nil, &Error{Op: op, Account: c.Account, Status: resp.StatusCode, Class: Transient, Reason: ReasonServiceUnavailable, Err: errors.New("token response without access_token")}
	}
	return &Grant{Token: newToken(tj.AccessToken, c.now().Add(time.Duration(tj.ExpiresIn)*time.Second)),
		RefreshToken: secret.String(tj.RefreshToken), Scope: tj.Scope, IDToken: tj.IDToken}, nil
}

// AuthCodeFlow signs a user in with the authorization code flow and PKCE (S256) through a
// loopback redirect (http://localhost:<free port>/), as native apps do.
type AuthCodeFlow struct {
	Common
	Tenant       string // "organizations" when empty
	ClientID     string
	ClientSecret secret.String // only for apps registered with a web redirect
	Scopes       []string
	// ListenAddr is where the loopback listener binds; default 127.0.0.1:0 (a free port).
	ListenAddr string
	// RedirectURI overrides the redirect (for apps registered with a fixed web redirect,
	// such as rclone's http://localhost:53682/); the listener then binds its port.
	RedirectURI string
}

// PendingAuth is an authorization in progress: show URL to the user (or open a browser)
// and call Wait.
type PendingAuth struct {
	URL      string
	flow     *AuthCodeFlow
	conf     *oauth2.Config
	verifier string
	state    string
	srv      *http.Server
	ln       net.Listener
	once     sync.Once
	result   chan authResult
}

type authResult struct {
	code string
	err  error
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Start opens the loopback listener and builds the authorization URL.
func (f *AuthCodeFlow) Start(ctx context.Context) (*PendingAuth, error) {
	addr := f.ListenAddr
	redirect := f.RedirectURI
	if redirect != "" {
		u, err := url.Parse(redirect)
		if err != nil || u.Port() == "" {
			return nil, fmt.Errorf("redirect URI %q must be a loopback URL with a port", redirect)
		}
		addr = "127.0.0.1:" + u.Port()
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("open the loopback listener for the sign-in redirect: %w", err)
	}
	if redirect == "" {
		redirect = fmt.Sprintf("http://localhost:%d/", ln.Addr().(*net.TCPAddr).Port)
	}
	tenant := f.Tenant
	if strings.TrimSpace(tenant) == "" {
		tenant = "organizations"
	}
	scopes := f.Scopes
	if len(scopes) == 0 {
		scopes = []string{f.Endpoints.DefaultScope()}
	}
	p := &PendingAuth{
		flow: f, verifier: oauth2.GenerateVerifier(), state: randomString(24), ln: ln, result: make(chan authResult, 1),
		conf: &oauth2.Config{ClientID: f.ClientID, ClientSecret: f.ClientSecret.Reveal(), RedirectURL: redirect,
			Scopes:   f.Endpoints.QualifyScopes(appendMissing(append([]string(nil), scopes...), "offline_access", "openid", "profile")),
			Endpoint: oauth2.Endpoint{AuthURL: f.Endpoints.AuthorizeURL(tenant), TokenURL: f.Endpoints.TokenURL(tenant), AuthStyle: oauth2.AuthStyleInParams}},
	}
	p.URL = p.conf.AuthCodeURL(p.state, oauth2.S256ChallengeOption(p.verifier), oauth2.SetAuthURLParam("prompt", "select_account"))
	p.srv = &http.Server{Handler: http.HandlerFunc(p.callback), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

var donePage = template.Must(template.New("").Parse(`<!doctype html><html><head><meta charset="utf-8"><title>e5renew</title>
<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:15vh auto;text-align:center}</style></head><body>
{{if .}}<h1>Sign-in failed / 登录失败</h1><p>{{.}}</p>{{else}}<h1>Signed in / 登录成功</h1>
<p>You can close this window and return to e5renew.<br>可以关闭此窗口并返回 e5renew。</p>{{end}}</body></html>`))

func (p *PendingAuth) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("state") == "" && q.Get("code") == "" && q.Get("error") == "" {
		http.NotFound(w, r) // favicon and the like
		return
	}
	var res authResult
	switch {
	case q.Get("state") != p.state:
		res.err = errors.New("the sign-in answer does not belong to this sign-in (state mismatch); start again")
	case q.Get("error") != "":
		e := &Error{Op: "browser sign-in", Account: p.flow.Account, OAuthError: q.Get("error"), Description: firstLine(q.Get("error_description"))}
		classify(e)
		res.err = e
	case q.Get("code") == "":
		res.err = errors.New("the sign-in answer has no code")
	default:
		res.code = q.Get("code")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	msg := ""
	if res.err != nil {
		msg = res.err.Error()
	}
	_ = donePage.Execute(w, msg)
	p.once.Do(func() { p.result <- res })
}

// Wait waits for the browser to come back and redeems the code.
func (p *PendingAuth) Wait(ctx context.Context) (*Grant, error) {
	defer p.Close()
	var res authResult
	select {
	case res = <-p.result:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if res.err != nil {
		return nil, res.err
	}
	tok, err := p.conf.Exchange(p.flow.oauthCtx(ctx), res.code, oauth2.VerifierOption(p.verifier))
	if err != nil {
		return nil, fromOAuth2("browser sign-in", p.flow.Account, err)
	}
	g := &Grant{Token: newToken(tok.AccessToken, p.flow.expiry(tok)), RefreshToken: secret.String(tok.RefreshToken)}
	if s, ok := tok.Extra("scope").(string); ok {
		g.Scope = s
	}
	if s, ok := tok.Extra("id_token").(string); ok {
		g.IDToken = s
	}
	return g, nil
}

// RedirectURI is the loopback redirect in use.
func (p *PendingAuth) RedirectURI() string { return p.conf.RedirectURL }

// Close stops the loopback listener.
func (p *PendingAuth) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
}
