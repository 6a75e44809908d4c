package emulator

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/graphdata"
)

// Interactive flows: the device code flow (protocol.md §1.5), the authorization code flow
// with PKCE (§1.2) and admin consent (§1.6). Each has small HTML pages a person can use in
// a browser and a test can drive with an HTTP client.

type deviceState int

const (
	devicePending deviceState = iota
	deviceApproved
	deviceDeclined
	deviceRedeemed
)

type deviceGrant struct {
	deviceCode, userCode string
	clientID             string
	tr                   tenantRef
	ps                   parsedScopes
	expires              time.Time
	interval             time.Duration
	lastPoll             time.Time
	state                deviceState
	tenant               *Tenant
	user                 *User
}

type authCode struct {
	code      string
	clientID  string
	redirect  string
	ps        parsedScopes
	tenant    *Tenant
	user      *User
	challenge string
	method    string
	nonce     string
	pub       bool
	mfa       bool
	expires   time.Time
	redeemed  bool
}

const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ23456789"

func randomCode(n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// --- device code ------------------------------------------------------------------------

func (e *Emulator) serveDeviceCode(w http.ResponseWriter, r *http.Request, seg string) {
	if r.Method != http.MethodPost {
		e.writeAAD(w, errPostOnly(r.Method))
		return
	}
	_ = r.ParseForm()
	tr, aerr := e.resolveTenant(seg)
	if aerr != nil {
		e.writeAAD(w, aerr)
		return
	}
	clientID, scope := r.PostForm.Get("client_id"), r.PostForm.Get("scope")
	if clientID == "" {
		e.writeAAD(w, errMissingParam("client_id"))
		return
	}
	if scope == "" {
		e.writeAAD(w, errMissingParam("scope"))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, aerr := e.lookupAppLocked(tr.t, tr.raw, clientID); aerr != nil {
		e.writeAAD(w, aerr)
		return
	}
	ps, aerr := e.parseScopes(r, scope, tr.raw)
	if aerr != nil {
		e.writeAAD(w, aerr)
		return
	}
	now := e.now()
	g := &deviceGrant{
		deviceCode: "DAQABAAEAAA" + newGrantID() + newGrantID(), userCode: randomCode(9, userCodeAlphabet),
		clientID: strings.ToLower(clientID), tr: tr, ps: ps, expires: now.Add(e.opts.DeviceCodeLifetime),
		interval: e.opts.DeviceCodeInterval,
	}
	e.devices[g.deviceCode] = g
	e.userCodes[g.userCode] = g
	e.pruneFlowsLocked(now)
	verify := "http://" + r.Host + "/devicelogin"
	msg := fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.", verify, g.userCode)
	if strings.HasPrefix(strings.ToLower(r.URL.Query().Get("mkt")), "zh") {
		msg = fmt.Sprintf("若要登录，请使用 Web 浏览器打开页面 %s，然后输入代码 %s 进行身份验证。", verify, g.userCode)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"user_code": g.userCode, "device_code": g.deviceCode, "verification_uri": verify,
		"expires_in": int(e.opts.DeviceCodeLifetime.Seconds()), "interval": int(e.opts.DeviceCodeInterval.Seconds()), "message": msg,
	})
}

func (e *Emulator) pruneFlowsLocked(now time.Time) {
	for k, g := range e.devices {
		if now.Sub(g.expires) > time.Hour {
			delete(e.devices, k)
			delete(e.userCodes, g.userCode)
		}
	}
	for k, c := range e.codes {
		if now.Sub(c.expires) > time.Hour {
			delete(e.codes, k)
		}
	}
	for k, f := range e.flows {
		if now.Sub(f.created) > time.Hour {
			delete(e.flows, k)
		}
	}
}

func (e *Emulator) grantDeviceCode(r *http.Request, tr tenantRef, cl clientAuth, f url.Values) (*tokenResponse, *aadError) {
	dc := f.Get("device_code")
	if dc == "" {
		return nil, errMissingParam("device_code")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.devices[dc]
	if g == nil || !strings.EqualFold(g.clientID, cl.id) || !strings.EqualFold(g.tr.raw, tr.raw) {
		return nil, errBadDeviceCode()
	}
	now := e.now()
	if now.After(g.expires) {
		return nil, errDeviceExpired()
	}
	switch g.state {
	case deviceDeclined:
		return nil, errDeviceDeclined()
	case deviceRedeemed:
		return nil, errDeviceRedeemed()
	case devicePending:
		if e.opts.DeviceSlowDown && !g.lastPoll.IsZero() && now.Sub(g.lastPoll) < g.interval {
			g.lastPoll = now
			g.interval += 5 * time.Second
			return nil, errSlowDown()
		}
		g.lastPoll = now
		return nil, errPending()
	}
	a, aerr := e.lookupAppLocked(g.tenant, g.tenant.ID, g.clientID)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := e.checkClient(a, cl, a.PublicClient); aerr != nil {
		return nil, aerr
	}
	resp, aerr := e.issueDelegatedLocked(r, g.tenant, a, g.user, g.ps, cl.secret == "", true, "", "")
	if aerr == nil {
		g.state = deviceRedeemed
	}
	return resp, aerr
}

// ApproveDeviceCode completes a pending device code sign-in as the user would in a browser:
// sign in with the password (MFA is satisfied interactively) and consent to the requested
// scopes (for the whole organisation when the user is an administrator).
func (e *Emulator) ApproveDeviceCode(userCode, upn, password string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.userCodes[strings.ToUpper(strings.TrimSpace(userCode))]
	if g == nil {
		return errors.New("unknown user code")
	}
	if g.state != devicePending {
		return errors.New("the code was already used")
	}
	if e.now().After(g.expires) {
		return errors.New("the code has expired")
	}
	u, err := e.findSignInUserLocked(g.tr, upn)
	if err != nil {
		return err
	}
	if aerr := e.checkPasswordLocked(u, password); aerr != nil {
		return errors.New(aerr.Message)
	}
	a := e.appLocked(g.clientID)
	if err := e.consentInteractiveLocked(u.tenant, a, u, e.scopesToConsent(u.tenant, a, u, g.ps), u.Admin); err != nil {
		return err
	}
	g.state, g.user, g.tenant = deviceApproved, u, u.tenant
	return nil
}

// DeclineDeviceCode makes the pending sign-in fail with authorization_declined.
func (e *Emulator) DeclineDeviceCode(userCode string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.userCodes[strings.ToUpper(strings.TrimSpace(userCode))]
	if g == nil || g.state != devicePending {
		return errors.New("unknown or used user code")
	}
	g.state = deviceDeclined
	return nil
}

// PendingDeviceCodes lists the user codes waiting for a sign-in.
func (e *Emulator) PendingDeviceCodes() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []string
	for code, g := range e.userCodes {
		if g.state == devicePending && e.now().Before(g.expires) {
			out = append(out, code)
		}
	}
	return out
}

func (e *Emulator) findSignInUserLocked(tr tenantRef, upn string) (*User, error) {
	upn = strings.ToLower(strings.TrimSpace(upn))
	if tr.specific() {
		if u := tr.t.usersByUP[upn]; u != nil {
			return u, nil
		}
		return nil, fmt.Errorf("AADSTS50034: the user account %s does not exist in the %s directory", upn, tr.t.Domain)
	}
	_, domain, _ := strings.Cut(upn, "@")
	if t := e.tenantByDomain[domain]; t != nil {
		if u := t.usersByUP[upn]; u != nil {
			return u, nil
		}
	}
	return nil, fmt.Errorf("AADSTS50034: the user account %s does not exist", upn)
}

// scopesToConsent lists the requested scopes the user has not consented to yet; for
// /.default, the app's configured permissions.
func (e *Emulator) scopesToConsent(t *Tenant, a *App, u *User, ps parsedScopes) []string {
	consented := e.consentedScopesLocked(t, a, u)
	want := ps.graph
	if ps.dflt {
		want = a.RequiredScopes
	}
	var missing []string
	for _, s := range want {
		if !containsFold(consented, s) {
			missing = append(missing, s)
		}
	}
	return missing
}

// consentInteractiveLocked records consent given on a consent page. Scopes that need an
// administrator fail for other users (AADSTS90094).
func (e *Emulator) consentInteractiveLocked(t *Tenant, a *App, u *User, scopes []string, forOrg bool) error {
	if len(scopes) == 0 {
		return nil
	}
	if a.FirstParty && len(a.PreAuthorized) > 1 {
		return nil // pre-authorised first-party clients never show consent
	}
	if !u.Admin {
		for _, s := range scopes {
			if pi, ok := e.perms.Info(s, graphdata.DelegatedWork); ok && pi.RequiresAdminConsent {
				return fmt.Errorf("AADSTS90094: %s needs permission to access resources in your organization that only an admin can grant (%s)", a.DisplayName, s)
			}
		}
	}
	sp := e.ensureSPLocked(t, a.ClientID, a.DisplayName, false)
	principal := u.ID
	if forOrg && u.Admin {
		principal = ""
	}
	e.grantDelegatedLocked(t, sp, principal, scopes, false)
	return nil
}

// --- authorization code ------------------------------------------------------------------

type authorizeReq struct {
	tr                    tenantRef
	app                   *App
	redirect, mode, state string
	ps                    parsedScopes
	challenge, method     string
	nonce, loginHint      string
	pub                   bool
}

func (e *Emulator) serveAuthorize(w http.ResponseWriter, r *http.Request, seg string) {
	if r.Method == http.MethodPost {
		e.advanceFlow(w, r)
		return
	}
	q := r.URL.Query()
	tr, aerr := e.resolveTenant(seg)
	if aerr != nil {
		e.errorPage(w, aerr.Code, aerr.Message)
		return
	}
	clientID := q.Get("client_id")
	if clientID == "" {
		e.errorPage(w, 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a, aerr := e.lookupAppLocked(tr.t, tr.raw, clientID)
	if aerr != nil {
		e.errorPage(w, aerr.Code, aerr.Message)
		return
	}
	redirect := q.Get("redirect_uri")
	pub, ok := matchRedirect(a, redirect)
	if !ok {
		e.errorPage(w, 50011, fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.", redirect, a.ClientID))
		return
	}
	ar := &authorizeReq{tr: tr, app: a, redirect: redirect, mode: q.Get("response_mode"), state: q.Get("state"),
		challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), nonce: q.Get("nonce"), loginHint: q.Get("login_hint"), pub: pub}
	fail := func(errValue string, code int, msg string) {
		e.redirectResult(w, ar, url.Values{"error": {errValue}, "error_description": {fmt.Sprintf("AADSTS%d: %s", code, msg)}})
	}
	if !strings.Contains(" "+q.Get("response_type")+" ", " code ") {
		fail("unsupported_response_type", 700054, "response_type 'code' is required.")
		return
	}
	if q.Get("scope") == "" {
		fail("invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
		return
	}
	ps, aerr := e.parseScopes(r, q.Get("scope"), tr.raw)
	if aerr != nil {
		fail(aerr.Error, aerr.Code, aerr.Message)
		return
	}
	ar.ps = ps
	if ar.challenge != "" {
		if ar.method == "" {
			ar.method = "plain"
		}
		if ar.method != "S256" && ar.method != "plain" {
			fail("invalid_request", 501491, "Invalid code_challenge_method: "+ar.method)
			return
		}
	}
	if q.Get("prompt") == "none" {
		fail("login_required", 50058, "A silent sign-in request was sent but no user is signed in.")
		return
	}
	f := e.newFlowLocked("authorize", tr, a)
	f.az = ar
	e.renderFlow(w, f, "")
}

// matchRedirect checks a redirect URI against the app's registrations. Loopback redirects
// registered on the mobile and desktop platform match any port, as Entra allows.
func matchRedirect(a *App, redirect string) (pub bool, ok bool) {
	for _, u := range a.WebRedirects {
		if u == redirect {
			return false, true
		}
	}
	ru, err := url.Parse(redirect)
	if err != nil {
		return false, false
	}
	for _, u := range a.NativeRedirs {
		if u == redirect {
			return true, true
		}
		nu, err := url.Parse(u)
		if err != nil {
			continue
		}
		if isLoopback(nu.Hostname()) && isLoopback(ru.Hostname()) && nu.Scheme == ru.Scheme && strings.TrimSuffix(nu.Path, "/") == strings.TrimSuffix(ru.Path, "/") {
			return true, true
		}
	}
	return false, false
}

func isLoopback(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "[::1]" || h == "::1"
}

func (e *Emulator) redirectResult(w http.ResponseWriter, ar *authorizeReq, v url.Values) {
	if ar.state != "" {
		v.Set("state", ar.state)
	}
	switch ar.mode {
	case "form_post":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = pages.ExecuteTemplate(w, "formpost", map[string]any{"Action": ar.redirect, "Values": v})
	case "fragment":
		http.Redirect(w, &http.Request{Method: "GET"}, ar.redirect+"#"+v.Encode(), http.StatusFound)
	default:
		redirectWith(w, ar.redirect, v)
	}
}

func (e *Emulator) grantAuthCode(r *http.Request, tr tenantRef, cl clientAuth, f url.Values) (*tokenResponse, *aadError) {
	code := f.Get("code")
	if code == "" {
		return nil, errMissingParam("code")
	}
	if f.Get("redirect_uri") == "" {
		return nil, errMissingParam("redirect_uri")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ac := e.codes[code]
	if ac == nil {
		return nil, errMalformedGrant()
	}
	if ac.redeemed {
		return nil, errCodeRedeemed()
	}
	if e.now().After(ac.expires) {
		return nil, errCodeExpired()
	}
	if !strings.EqualFold(ac.clientID, cl.id) {
		return nil, errGrantInvalid("The code was issued to a different client.")
	}
	if tr.specific() && tr.t != ac.tenant {
		return nil, errGrantInvalid("The code was issued by a different tenant.")
	}
	if f.Get("redirect_uri") != ac.redirect {
		return nil, errRedirectMismatch()
	}
	if ac.challenge != "" {
		v := f.Get("code_verifier")
		if v == "" {
			return nil, errMissingParam("code_verifier")
		}
		want := v
		if ac.method == "S256" {
			sum := sha256.Sum256([]byte(v))
			want = b64url(sum[:])
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(ac.challenge)) != 1 {
			return nil, errVerifierMismatch()
		}
	}
	a, aerr := e.lookupAppLocked(ac.tenant, ac.tenant.ID, ac.clientID)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := e.checkClient(a, cl, ac.pub); aerr != nil {
		return nil, aerr
	}
	ps := ac.ps
	if s := f.Get("scope"); s != "" {
		if p, aerr := e.parseScopes(r, s, ac.tenant.ID); aerr == nil {
			p.oidc = unionOIDC(p.oidc, ac.ps.oidc)
			ps = p
		}
	}
	resp, aerr := e.issueDelegatedLocked(r, ac.tenant, a, ac.user, ps, ac.pub && cl.secret == "", ac.mfa, "", ac.nonce)
	if aerr == nil {
		ac.redeemed = true
	}
	return resp, aerr
}

func unionOIDC(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = out[k] || v
	}
	return out
}

// --- admin consent -------------------------------------------------------------------

type adminConsentReq struct {
	tr       tenantRef
	app      *App
	redirect string
	state    string
	scope    string
	ps       parsedScopes
	legacy   bool
}

func (e *Emulator) serveAdminConsent(w http.ResponseWriter, r *http.Request, seg string, legacy bool) {
	if r.Method == http.MethodPost {
		e.advanceFlow(w, r)
		return
	}
	q := r.URL.Query()
	tr, aerr := e.resolveTenant(seg)
	if aerr != nil {
		e.errorPage(w, aerr.Code, aerr.Message)
		return
	}
	if tr.kind == "common" || tr.kind == "consumers" {
		aerr := errAdminConsentCommon()
		e.errorPage(w, aerr.Code, aerr.Message)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.appLocked(q.Get("client_id"))
	if a == nil {
		aerr := errAppNotFound(q.Get("client_id"), tr.raw)
		e.errorPage(w, aerr.Code, aerr.Message)
		return
	}
	redirect := q.Get("redirect_uri")
	if _, ok := matchRedirect(a, redirect); !ok {
		e.errorPage(w, 50011, fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'.", redirect, a.ClientID))
		return
	}
	ac := &adminConsentReq{tr: tr, app: a, redirect: redirect, state: q.Get("state"), scope: q.Get("scope"), legacy: legacy}
	if !legacy {
		if ac.scope == "" {
			e.errorPage(w, 900144, "The request body must contain the following parameter: 'scope'.")
			return
		}
		ps, aerr := e.parseScopes(r, ac.scope, tr.raw)
		if aerr != nil {
			e.errorPage(w, aerr.Code, aerr.Message)
			return
		}
		ac.ps = ps
	} else {
		ac.ps = parsedScopes{dflt: true, oidc: map[string]bool{}}
	}
	f := e.newFlowLocked("adminconsent", tr, a)
	f.ac = ac
	e.renderFlow(w, f, "")
}

func (e *Emulator) finishAdminConsentLocked(w http.ResponseWriter, f *loginFlow, accepted bool) {
	ac := f.ac
	v := url.Values{}
	if ac.state != "" {
		v.Set("state", ac.state)
	}
	if !accepted {
		if ac.legacy {
			v.Set("error", "permission_denied")
		} else {
			v.Set("error", "access_denied")
			v.Set("error_description", "AADSTS65004: User declined to consent to access the app.")
		}
	} else {
		t := f.user.tenant
		sp := e.ensureSPLocked(t, ac.app.ClientID, ac.app.DisplayName, false)
		scopes := ac.ps.graph
		if ac.ps.dflt {
			scopes = ac.app.RequiredScopes
			for _, role := range ac.app.RequiredRoles {
				e.assignRoleLocked(t, sp, role, false)
			}
		}
		if len(scopes) > 0 {
			e.grantDelegatedLocked(t, sp, "", scopes, false)
		}
		v.Set("admin_consent", "True")
		v.Set("tenant", t.ID)
		if !ac.legacy {
			v.Set("scope", ac.scope)
		}
	}
	redirectWith(w, ac.redirect, v)
}

// redirectWith answers 302 to target with v added to its query.
func redirectWith(w http.ResponseWriter, target string, v url.Values) {
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	w.Header().Set("Location", target+sep+v.Encode())
	w.WriteHeader(http.StatusFound)
}
