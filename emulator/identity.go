package emulator

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// tenantRef is the resolved {tenant} path segment (protocol.md §1.1).
type tenantRef struct {
	kind string // "common", "organizations", "consumers" or "tenant"
	raw  string
	t    *Tenant
}

func (tr tenantRef) specific() bool { return tr.kind == "tenant" }

func (e *Emulator) resolveTenant(seg string) (tenantRef, *aadError) {
	l := strings.ToLower(seg)
	switch l {
	case "common", "organizations", "consumers":
		return tenantRef{kind: l, raw: seg}, nil
	}
	e.mu.RLock()
	t := e.tenantLocked(l)
	e.mu.RUnlock()
	if t == nil {
		return tenantRef{}, errTenantNotFound(seg)
	}
	return tenantRef{kind: "tenant", raw: seg, t: t}, nil
}

// serveIdentity routes /{tenant}/oauth2/v2.0/... and /{tenant}/v2.0/adminconsent.
func (e *Emulator) serveIdentity(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	seg := parts[0]
	rest := strings.ToLower(strings.Join(parts[1:], "/"))
	switch rest {
	case "oauth2/v2.0/token":
		e.serveToken(w, r, seg)
	case "oauth2/v2.0/devicecode":
		e.serveDeviceCode(w, r, seg)
	case "oauth2/v2.0/authorize":
		e.serveAuthorize(w, r, seg)
	case "v2.0/adminconsent", "adminconsent":
		e.serveAdminConsent(w, r, seg, rest == "adminconsent")
	case "v2.0/.well-known/openid-configuration":
		e.serveDiscovery(w, r, seg)
	default:
		http.NotFound(w, r)
	}
}

// tokenResponse is a successful token endpoint answer.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

func (e *Emulator) serveToken(w http.ResponseWriter, r *http.Request, seg string) {
	if r.Method != http.MethodPost {
		e.writeAAD(w, errPostOnly(r.Method))
		return
	}
	if err := r.ParseForm(); err != nil {
		e.writeAAD(w, newAAD("invalid_request", 900144, "The request body must be application/x-www-form-urlencoded."))
		return
	}
	tr, aerr := e.resolveTenant(seg)
	if aerr != nil {
		e.writeAAD(w, aerr)
		return
	}
	if e.chance(e.Faults().SignInErrorRate) {
		e.writeAAD(w, errTransient())
		return
	}
	f := r.PostForm
	grant := f.Get("grant_type")
	if grant == "" {
		e.writeAAD(w, errMissingParam("grant_type"))
		return
	}
	cl := clientAuth{id: f.Get("client_id"), secret: f.Get("client_secret"), assertion: f.Get("client_assertion")}
	if u, p, ok := r.BasicAuth(); ok {
		if id, err := url.QueryUnescape(u); err == nil {
			cl.id = id
		}
		if s, err := url.QueryUnescape(p); err == nil {
			cl.secret = s
		}
	}
	if cl.id == "" {
		e.writeAAD(w, errMissingParam("client_id"))
		return
	}
	var resp *tokenResponse
	switch grant {
	case "refresh_token":
		resp, aerr = e.grantRefresh(r, tr, cl, f)
	case "client_credentials":
		resp, aerr = e.grantClientCredentials(r, tr, cl, f)
	case "password":
		resp, aerr = e.grantPassword(r, tr, cl, f)
	case "authorization_code":
		resp, aerr = e.grantAuthCode(r, tr, cl, f)
	case "urn:ietf:params:oauth:grant-type:device_code", "device_code":
		resp, aerr = e.grantDeviceCode(r, tr, cl, f)
	default:
		aerr = errUnsupportedGrant(grant)
	}
	if aerr != nil {
		e.writeAAD(w, aerr)
		return
	}
	e.stats.token(grant)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	_ = json.NewEncoder(w).Encode(resp)
}

type clientAuth struct {
	id, secret, assertion string
}

// lookupApp finds the client in the tenant the request addresses: an unknown client, or one
// without a service principal in that tenant, is AADSTS700016.
func (e *Emulator) lookupAppLocked(t *Tenant, raw, clientID string) (*App, *aadError) {
	a := e.appLocked(clientID)
	if a == nil {
		return nil, errAppNotFound(clientID, raw)
	}
	if t != nil && t.sps[a.ClientID] == nil {
		return nil, errAppNotFound(clientID, t.ID)
	}
	return a, nil
}

// checkClient authenticates the client. publicOK says the flow may be completed by a public
// client without a secret.
func (e *Emulator) checkClient(a *App, cl clientAuth, publicOK bool) *aadError {
	if cl.assertion != "" {
		return newAAD("invalid_client", 700027, "Client assertion failed signature validation. (The emulator accepts client secrets only.)")
	}
	if cl.secret == "" {
		if publicOK {
			return nil
		}
		return errSecretRequired()
	}
	if len(a.Secrets) == 0 {
		if a.PublicClient {
			return errPublicClientSecret()
		}
		return errInvalidSecret(a.ClientID)
	}
	now := e.now()
	for _, s := range a.Secrets {
		if subtle.ConstantTimeCompare([]byte(s.Value), []byte(cl.secret)) == 1 {
			if now.After(s.End) {
				return errSecretExpired(a.ClientID)
			}
			return nil
		}
	}
	// Wrong value, including the frequent mistake of sending the secret's ID.
	return errInvalidSecret(a.ClientID)
}

// parsedScopes is a scope parameter split into Graph scopes and OpenID Connect scopes.
type parsedScopes struct {
	graph    []string
	oidc     map[string]bool
	dflt     bool
	resource string // the Graph identifier used, for aud
}

func (p parsedScopes) offline() bool { return p.oidc["offline_access"] }

func (e *Emulator) isGraphResource(r *http.Request, res string) bool {
	res = strings.TrimSuffix(strings.ToLower(res), "/")
	if graphAudiences[res] {
		return true
	}
	host := strings.ToLower(r.Host)
	return res == "http://"+host || res == "https://"+host
}

// parseScopes validates a scope parameter (protocol.md §1.3 scope rules).
func (e *Emulator) parseScopes(r *http.Request, raw string, tenantName string) (parsedScopes, *aadError) {
	ps := parsedScopes{oidc: map[string]bool{}, resource: "https://graph.microsoft.com"}
	for _, s := range strings.Fields(raw) {
		ls := strings.ToLower(s)
		if oidc[ls] {
			ps.oidc[ls] = true
			continue
		}
		name := s
		if i := strings.LastIndexByte(s, '/'); i >= 0 {
			res := s[:i]
			if !e.isGraphResource(r, res) {
				return ps, errResourceNotFound(res, tenantName)
			}
			ps.resource = strings.TrimSuffix(res, "/")
			name = s[i+1:]
		}
		if strings.EqualFold(name, ".default") {
			ps.dflt = true
			continue
		}
		c, ok := e.delegatedNames[strings.ToLower(name)]
		if !ok {
			return ps, errInvalidScope(s)
		}
		ps.graph = unionFold(ps.graph, []string{c})
	}
	if ps.dflt && len(ps.graph) > 0 {
		return ps, errInvalidScope(raw)
	}
	return ps, nil
}

// issueDelegated mints the tokens of a delegated flow after the caller has been
// authenticated. interactive says consent was collected on a page already.
func (e *Emulator) issueDelegatedLocked(r *http.Request, t *Tenant, a *App, u *User, ps parsedScopes, pub bool, mfa bool, parent string, nonce string) (*tokenResponse, *aadError) {
	consented := e.consentedScopesLocked(t, a, u)
	if a.FirstParty && len(a.PreAuthorized) > 1 {
		// Clients like the Azure CLI may use only their pre-authorised set (AADSTS65002).
		for _, s := range ps.graph {
			if !containsFold(a.PreAuthorized, s) {
				return nil, newAAD("invalid_grant", 65002, "Consent between first party application '%s' and first party resource '%s' must be configured via preauthorization - applications owned and operated by Microsoft must get approval from the API owner before requesting tokens for that API.", a.ClientID, graphAppID)
			}
		}
	}
	var missing []string
	for _, s := range ps.graph {
		if !containsFold(consented, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 || (ps.dflt && len(consented) == 0) {
		return nil, errConsentMissing(a.ClientID, missing)
	}
	now := e.now()
	life := e.tokenLifetime()
	scp := append([]string(nil), consented...)
	for _, o := range []string{"openid", "profile", "email"} {
		if ps.oidc[o] {
			scp = append(scp, o)
		}
	}
	amr := []string{"pwd"}
	if mfa {
		amr = append(amr, "mfa")
	}
	uti := newGrantID()[:22]
	var wids []string
	if u.Admin {
		wids = []string{"62e90394-69f5-4237-9190-012177145e10"} // Global Administrator
	}
	at := e.signJWT(accessClaims{
		Aud: ps.resource, Iss: "https://sts.windows.net/" + t.ID + "/", Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(life).Unix(),
		Acr: "1", Amr: amr, AppDisplay: a.DisplayName, AppID: a.ClientID, AppIDAcr: acr(pub),
		FamilyName: u.Surname, GivenName: u.GivenName, IDType: "user", Name: u.DisplayName, OID: u.ID,
		Scp: strings.Join(scp, " "), Sub: subject(u.ID, a.ClientID), TID: t.ID, UniqueName: u.UPN, UPN: u.UPN,
		UTI: uti, Ver: "1.0", Wids: wids,
	})
	resp := &tokenResponse{TokenType: "Bearer", Scope: strings.Join(scp, " "), ExpiresIn: int(life.Seconds()), ExtExpiresIn: int(life.Seconds()), AccessToken: at}
	if ps.offline() {
		jti := newGrantID()[:22]
		scopes := ps.graph
		if ps.dflt {
			scopes = []string{".default"}
		}
		resp.RefreshToken = e.sealRefresh(refreshState{TID: t.ID, UID: u.ID, Client: a.ClientID, Scopes: append(scopes, oidcList(ps)...),
			Iat: now.Unix(), JTI: jti, Parent: parent, MFA: mfa, Pub: pub})
		if e.opts.StrictRotation && parent != "" {
			e.atParent[uti] = rtLink{parent: parent, exp: now.Add(life)}
		}
	}
	if ps.oidc["openid"] {
		resp.IDToken = e.signJWT(idClaims{Aud: a.ClientID, Iss: "https://login.microsoftonline.com/" + t.ID + "/v2.0",
			Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(time.Hour).Unix(), Name: u.DisplayName, OID: u.ID,
			PrefUser: u.UPN, Email: emailIf(ps, u), Sub: subject(u.ID, a.ClientID), TID: t.ID, Nonce: nonce, Ver: "2.0"})
	}
	return resp, nil
}

func oidcList(ps parsedScopes) []string {
	var out []string
	for _, o := range []string{"openid", "profile", "email", "offline_access"} {
		if ps.oidc[o] {
			out = append(out, o)
		}
	}
	return out
}

func emailIf(ps parsedScopes, u *User) string {
	if ps.oidc["email"] {
		return u.UPN
	}
	return ""
}

func acr(pub bool) string {
	if pub {
		return "0"
	}
	return "1"
}

func subject(oid, client string) string {
	sum := sha256.Sum256([]byte(oid + "|" + client))
	return b64url(sum[:])[:43]
}

// noteTokenUse implements strict rotation: the first use of an access token issued with
// a rotated refresh token proves the client holds the successor, so the predecessor dies.
func (e *Emulator) noteTokenUse(uti string) {
	if !e.opts.StrictRotation {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if l, ok := e.atParent[uti]; ok {
		e.usedRT[l.parent] = e.now()
		delete(e.atParent, uti)
	}
	if len(e.atParent) > 100000 {
		now := e.now()
		for k, l := range e.atParent {
			if now.After(l.exp) {
				delete(e.atParent, k)
			}
		}
	}
}

// --- refresh_token ---------------------------------------------------------------------

func (e *Emulator) grantRefresh(r *http.Request, tr tenantRef, cl clientAuth, f url.Values) (*tokenResponse, *aadError) {
	raw := f.Get("refresh_token")
	if raw == "" {
		return nil, errMissingParam("refresh_token")
	}
	rs, ok := e.openRefresh(raw)
	if !ok {
		return nil, errMalformedGrant()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.tenants[rs.TID]
	if t == nil || (tr.specific() && tr.t != t) {
		return nil, errGrantInvalid("The refresh token was issued to a different tenant.")
	}
	if tr.kind == "consumers" {
		return nil, errGrantInvalid("The refresh token was issued for a work or school account.")
	}
	a, aerr := e.lookupAppLocked(t, tr.raw, cl.id)
	if aerr != nil {
		return nil, aerr
	}
	if !strings.EqualFold(a.ClientID, rs.Client) {
		return nil, errGrantInvalid("The refresh token was issued to a different client id.")
	}
	if aerr := e.checkClient(a, cl, rs.Pub); aerr != nil {
		return nil, aerr
	}
	now := e.now()
	issued := time.Unix(rs.Iat, 0)
	if now.Sub(issued) > e.opts.RefreshInactivity {
		return nil, errRTInactive(issued)
	}
	if e.opts.StrictRotation {
		if _, used := e.usedRT[rs.JTI]; used {
			return nil, errStrictRotation()
		}
	}
	u := t.users[rs.UID]
	if u == nil {
		return nil, errUserNotFound(t.ID)
	}
	if !u.tokensValidFrom.IsZero() && issued.Before(u.tokensValidFrom) {
		return nil, errRTRevoked(issued, u.tokensValidFrom)
	}
	if u.Disabled {
		return nil, errUserDisabled()
	}
	ps := parsedScopes{oidc: map[string]bool{"offline_access": true}, resource: "https://graph.microsoft.com"}
	if s := f.Get("scope"); s != "" {
		var aerr *aadError
		ps, aerr = e.parseScopes(r, s, t.ID)
		if aerr != nil {
			return nil, aerr
		}
		ps.oidc["offline_access"] = true
	} else {
		for _, s := range rs.Scopes {
			switch {
			case s == ".default":
				ps.dflt = true
			case oidc[s]:
				ps.oidc[s] = true
			default:
				ps.graph = append(ps.graph, s)
			}
		}
	}
	if e.opts.StrictRotation && rs.Parent != "" {
		// Redeeming a successor proves the client holds it.
		e.usedRT[rs.Parent] = now
	}
	return e.issueDelegatedLocked(r, t, a, u, ps, rs.Pub, rs.MFA, rs.JTI, "")
}

// --- client_credentials ----------------------------------------------------------------

func (e *Emulator) grantClientCredentials(r *http.Request, tr tenantRef, cl clientAuth, f url.Values) (*tokenResponse, *aadError) {
	if !tr.specific() {
		return nil, errNoTenantInfo()
	}
	scope := f.Get("scope")
	if scope == "" {
		return nil, errMissingParam("scope")
	}
	fields := strings.Fields(scope)
	if len(fields) != 1 {
		return nil, errInvalidScope(scope)
	}
	s := fields[0]
	i := strings.LastIndexByte(s, '/')
	if i < 0 || !strings.EqualFold(s[i+1:], ".default") {
		if i >= 0 && !e.isGraphResource(r, s[:i]) {
			return nil, errResourceNotFound(s[:i], tr.t.ID)
		}
		return nil, errClientCredsScope(s)
	}
	if !e.isGraphResource(r, s[:i]) {
		return nil, errResourceNotFound(s[:i], tr.t.ID)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	t := tr.t
	a, aerr := e.lookupAppLocked(t, tr.raw, cl.id)
	if aerr != nil {
		return nil, aerr
	}
	if cl.secret == "" && cl.assertion == "" {
		return nil, errSecretRequired()
	}
	if aerr := e.checkClient(a, cl, false); aerr != nil {
		return nil, aerr
	}
	now := e.now()
	life := e.tokenLifetime()
	sp := t.sps[a.ClientID]
	at := e.signJWT(accessClaims{
		Aud: strings.TrimSuffix(s[:i], "/"), Iss: "https://sts.windows.net/" + t.ID + "/", Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(life).Unix(),
		AppDisplay: a.DisplayName, AppID: a.ClientID, AppIDAcr: "1", IDType: "app", OID: sp.ID,
		Roles: e.appRolesLocked(t, a), Sub: sp.ID, TID: t.ID, UTI: newGrantID()[:22], Ver: "1.0",
	})
	return &tokenResponse{TokenType: "Bearer", ExpiresIn: int(life.Seconds()), ExtExpiresIn: int(life.Seconds()), AccessToken: at}, nil
}

// --- password (ROPC) -------------------------------------------------------------------

func (e *Emulator) grantPassword(r *http.Request, tr tenantRef, cl clientAuth, f url.Values) (*tokenResponse, *aadError) {
	if tr.kind == "common" || tr.kind == "consumers" {
		return nil, errROPCOnCommon()
	}
	username, password := f.Get("username"), f.Get("password")
	if username == "" {
		return nil, errMissingParam("username")
	}
	if password == "" {
		return nil, errMissingParam("password")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t := tr.t
	if t == nil {
		_, domain, _ := strings.Cut(strings.ToLower(username), "@")
		t = e.tenantByDomain[domain]
		if t == nil {
			return nil, errUserNotFound("organizations")
		}
	}
	a, aerr := e.lookupAppLocked(t, tr.raw, cl.id)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := e.checkClient(a, cl, a.PublicClient); aerr != nil {
		return nil, aerr
	}
	raw := f.Get("scope")
	if raw == "" {
		raw = "https://graph.microsoft.com/.default offline_access"
	}
	ps, aerr := e.parseScopes(r, raw, t.ID)
	if aerr != nil {
		return nil, aerr
	}
	u := t.usersByUP[strings.ToLower(username)]
	if u == nil {
		return nil, errUserNotFound(t.ID)
	}
	if aerr := e.checkPasswordLocked(u, password); aerr != nil {
		return nil, aerr
	}
	if u.MFA {
		return nil, errMFARequired()
	}
	return e.issueDelegatedLocked(r, t, a, u, ps, a.PublicClient && cl.secret == "", false, "", "")
}

// checkPasswordLocked validates a password with smart lockout: repeated failures lock the
// account, and a locked account refuses even the right password until the lock ends.
func (e *Emulator) checkPasswordLocked(u *User, password string) *aadError {
	now := e.now()
	if now.Before(u.lockedUntil) {
		return errUserLocked()
	}
	if subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) != 1 {
		u.failedSignIns++
		if u.failedSignIns >= e.opts.LockoutThreshold {
			u.lockedUntil = now.Add(e.opts.LockoutDuration)
			u.failedSignIns = 0
			return errUserLocked()
		}
		return errBadPassword()
	}
	u.failedSignIns = 0
	if u.Disabled {
		return errUserDisabled()
	}
	if u.PasswordExpired {
		return errPasswordExpired()
	}
	return nil
}

// Locked reports whether a user is currently locked out by failed sign-ins.
func (e *Emulator) Locked(tenantID, upn string) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	u, err := e.userLocked(tenantID, upn)
	return err == nil && e.now().Before(u.lockedUntil)
}

func (e *Emulator) serveDiscovery(w http.ResponseWriter, r *http.Request, seg string) {
	base := "http://" + r.Host + "/" + seg
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"issuer":                                "https://login.microsoftonline.com/{tenantid}/v2.0",
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "client_credentials", "password", "urn:ietf:params:oauth:grant-type:device_code"},
		"code_challenge_methods_supported":      []string{"S256", "plain"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
	})
}

// IssueRefreshToken mints a refresh token for a user and client as if the user had signed
// in and consented, for seeding configurations (the emulator command's --write-config) and
// tests. The scopes must already be consented.
func (e *Emulator) IssueRefreshToken(tenantID, clientID, upn string, scopes []string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, err := e.userLocked(tenantID, upn)
	if err != nil {
		return "", err
	}
	a := e.appLocked(clientID)
	if a == nil {
		return "", errors.New("application " + clientID + " not found")
	}
	cs, err := e.canonicalScopes(scopes)
	if err != nil {
		return "", err
	}
	consented := e.consentedScopesLocked(u.tenant, a, u)
	for _, s := range cs {
		if !containsFold(consented, s) {
			return "", errors.New("scope " + s + " is not consented for " + a.DisplayName)
		}
	}
	if len(cs) == 0 {
		cs = []string{".default"}
	}
	e.stats.token("seeded")
	return e.sealRefresh(refreshState{TID: u.tenant.ID, UID: u.ID, Client: a.ClientID, Scopes: append(cs, "offline_access", "openid", "profile"),
		Iat: e.now().Unix(), JTI: newGrantID()[:22], Pub: a.PublicClient}), nil
}
