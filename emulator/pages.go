package emulator

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/graphdata"
)

// loginFlow is one interactive sign-in in progress (device code, authorize or admin
// consent). Its id travels in a hidden form field, so no cookies are needed.
type loginFlow struct {
	id      string
	kind    string // "device", "authorize", "adminconsent"
	tr      tenantRef
	app     *App
	dev     *deviceGrant
	az      *authorizeReq
	ac      *adminConsentReq
	user    *User
	mfa     bool
	stage   string // "code", "signin", "mfa", "consent", "done"
	consent []string
	created time.Time
}

func (e *Emulator) newFlowLocked(kind string, tr tenantRef, a *App) *loginFlow {
	f := &loginFlow{id: newGrantID(), kind: kind, tr: tr, app: a, stage: "signin", created: e.now()}
	if e.flows == nil {
		e.flows = map[string]*loginFlow{}
	}
	e.flows[f.id] = f
	return f
}

type pageData struct {
	Title, Heading, Error, Info string
	Flow                        string
	Action                      string
	Stage                       string
	App                         string
	User                        string
	Hint                        string
	Scopes                      []scopeLine
	Admin                       bool
	Message                     string
}

type scopeLine struct {
	Name, Description string
	Admin             bool
}

func (e *Emulator) flowAction(f *loginFlow) string {
	switch f.kind {
	case "device":
		return "/devicelogin"
	case "authorize":
		return "/" + f.tr.raw + "/oauth2/v2.0/authorize"
	default:
		if f.ac != nil && f.ac.legacy {
			return "/" + f.tr.raw + "/adminconsent"
		}
		return "/" + f.tr.raw + "/v2.0/adminconsent"
	}
}

func (e *Emulator) renderFlow(w http.ResponseWriter, f *loginFlow, errMsg string) {
	d := pageData{Title: "Sign in to your account", Flow: f.id, Action: e.flowAction(f), Stage: f.stage, App: f.app.DisplayName, Error: errMsg}
	if f.az != nil {
		d.Hint = f.az.loginHint
	}
	if f.user != nil {
		d.User = f.user.UPN
		d.Admin = f.user.Admin
	}
	switch f.stage {
	case "signin":
		d.Heading = "Sign in"
		if f.kind == "adminconsent" {
			d.Info = "Sign in with an administrator account of the organization to grant " + f.app.DisplayName + " its permissions."
		}
	case "mfa":
		d.Heading = "Approve sign in request"
		d.Info = "Open your Authenticator app and approve the request to sign in."
	case "consent":
		d.Heading = "Permissions requested"
		for _, s := range f.consent {
			pi, _ := e.perms.Info(s, graphdata.DelegatedWork)
			d.Scopes = append(d.Scopes, scopeLine{Name: s, Description: pi.AdminDisplayName, Admin: pi.RequiresAdminConsent})
		}
		if f.kind == "adminconsent" && f.ac != nil && f.ac.ps.dflt {
			for _, r := range f.app.RequiredRoles {
				pi, _ := e.perms.Info(r, graphdata.Application)
				d.Scopes = append(d.Scopes, scopeLine{Name: r + " (application)", Description: pi.AdminDisplayName, Admin: true})
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = pages.ExecuteTemplate(w, "flow", d)
}

// advanceFlow handles a form post of any interactive flow.
func (e *Emulator) advanceFlow(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.flows[r.PostForm.Get("flow")]
	if f == nil || e.now().Sub(f.created) > time.Hour {
		e.errorPage(w, 50089, "The sign-in session has expired or was not found. Start again.")
		return
	}
	if r.PostForm.Get("action") == "cancel" {
		e.finishFlowLocked(w, f, false)
		return
	}
	switch f.stage {
	case "signin":
		u, err := e.findSignInUserLocked(f.tr, r.PostForm.Get("login"))
		if err != nil {
			e.renderFlow(w, f, "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin.")
			return
		}
		if aerr := e.checkPasswordLocked(u, r.PostForm.Get("passwd")); aerr != nil {
			e.renderFlow(w, f, fmt.Sprintf("AADSTS%d: %s", aerr.Code, aerr.Message))
			return
		}
		f.user = u
		if u.MFA {
			f.stage = "mfa"
			e.renderFlow(w, f, "")
			return
		}
		e.afterSignInLocked(w, f)
	case "mfa":
		if r.PostForm.Get("action") != "approve" {
			e.renderFlow(w, f, "The request was not approved.")
			return
		}
		f.mfa = true
		e.afterSignInLocked(w, f)
	case "consent":
		if r.PostForm.Get("action") != "accept" {
			e.finishFlowLocked(w, f, false)
			return
		}
		if f.kind == "adminconsent" {
			e.finishFlowLocked(w, f, true)
			return
		}
		forOrg := r.PostForm.Get("consent_org") != ""
		if err := e.consentInteractiveLocked(f.user.tenant, f.app, f.user, f.consent, forOrg); err != nil {
			e.errorPage(w, 90094, strings.TrimPrefix(err.Error(), "AADSTS90094: "))
			return
		}
		e.finishFlowLocked(w, f, true)
	default:
		e.errorPage(w, 50089, "This sign-in has already completed.")
	}
}

func (e *Emulator) afterSignInLocked(w http.ResponseWriter, f *loginFlow) {
	u := f.user
	t := u.tenant
	if f.tr.specific() && f.tr.t != t {
		e.errorPage(w, 50020, "User account from identity provider does not exist in tenant and cannot access the application in that tenant.")
		return
	}
	switch f.kind {
	case "adminconsent":
		if !u.Admin {
			e.errorPage(w, 90094, "Need admin approval: "+f.app.DisplayName+" needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.")
			return
		}
		f.consent = f.ac.ps.graph
		if f.ac.ps.dflt {
			f.consent = f.app.RequiredScopes
		}
	default:
		ps := f.psForFlow()
		f.consent = e.scopesToConsent(t, f.app, u, ps)
		if f.app.FirstParty && len(f.app.PreAuthorized) > 1 {
			f.consent = nil
		}
	}
	if len(f.consent) == 0 && f.kind != "adminconsent" {
		e.finishFlowLocked(w, f, true)
		return
	}
	f.stage = "consent"
	e.renderFlow(w, f, "")
}

func (f *loginFlow) psForFlow() parsedScopes {
	if f.dev != nil {
		return f.dev.ps
	}
	return f.az.ps
}

func (e *Emulator) finishFlowLocked(w http.ResponseWriter, f *loginFlow, accepted bool) {
	f.stage = "done"
	delete(e.flows, f.id)
	switch f.kind {
	case "device":
		g := f.dev
		if accepted {
			g.state, g.user, g.tenant = deviceApproved, f.user, f.user.tenant
			e.messagePage(w, "You have signed in to the "+f.app.DisplayName+" application on your device. You may now close this window.")
		} else {
			g.state = deviceDeclined
			e.messagePage(w, "You have declined to sign in. You may now close this window.")
		}
	case "authorize":
		ar := f.az
		if !accepted {
			e.redirectResult(w, ar, url.Values{"error": {"access_denied"}, "error_description": {"AADSTS65004: User declined to consent to access the app."}})
			return
		}
		code := "1.AXEA" + newGrantID() + newGrantID()
		e.codes[code] = &authCode{code: code, clientID: f.app.ClientID, redirect: ar.redirect, ps: ar.ps, tenant: f.user.tenant, user: f.user,
			challenge: ar.challenge, method: ar.method, nonce: ar.nonce, pub: ar.pub, mfa: f.mfa, expires: e.now().Add(10 * time.Minute)}
		e.redirectResult(w, ar, url.Values{"code": {code}, "session_state": {newGUID()}})
	case "adminconsent":
		e.finishAdminConsentLocked(w, f, accepted)
	}
}

// serveDeviceLogin is the verification page (microsoft.com/devicelogin).
func (e *Emulator) serveDeviceLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		_ = r.ParseForm()
		if r.PostForm.Get("flow") != "" {
			e.advanceFlow(w, r)
			return
		}
		code := strings.ToUpper(strings.TrimSpace(r.PostForm.Get("otc")))
		e.mu.Lock()
		defer e.mu.Unlock()
		g := e.userCodes[code]
		if g == nil || g.state != devicePending || e.now().After(g.expires) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = pages.ExecuteTemplate(w, "code", pageData{Title: "Enter code", Error: "That code didn't work. Check the code and try again."})
			return
		}
		f := e.newFlowLocked("device", g.tr, e.appLocked(g.clientID))
		f.dev = g
		e.renderFlow(w, f, "")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pages.ExecuteTemplate(w, "code", pageData{Title: "Enter code", Hint: r.URL.Query().Get("otc")})
}

func (e *Emulator) errorPage(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = pages.ExecuteTemplate(w, "message", pageData{Title: "Sign in", Heading: "Sorry, but we're having trouble signing you in.", Error: fmt.Sprintf("AADSTS%d: %s", code, msg)})
}

func (e *Emulator) messagePage(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pages.ExecuteTemplate(w, "message", pageData{Title: "Signed in", Heading: "Microsoft 365 (emulated)", Message: msg})
}

// errorCodes describes the AADSTS codes the emulator produces, for /error?code=N.
var errorCodes = map[int]string{
	50034: "UserAccountNotFound: the user does not exist in the directory.", 50053: "IdsLocked: the account is locked after too many failed sign-ins.",
	50055: "InvalidPasswordExpiredPassword: the password is expired.", 50057: "UserDisabled: the user account is disabled.",
	50059: "MissingTenantRealmAndNoUserInformationProvided: use a tenant-specific endpoint.", 50076: "UserStrongAuthClientAuthNRequired: MFA is required.",
	50126: "InvalidUserNameOrPassword.", 50173: "FreshTokenNeeded: the grant was revoked; sign in again.",
	54005: "OAuth2 authorization code was already redeemed.", 65001: "DelegationDoesNotExist: consent is missing.",
	65002: "Consent between first-party application and resource must be configured via preauthorization.",
	70000: "InvalidGrant.", 70003: "UnsupportedGrantType.", 70008: "ExpiredOrRevokedGrant.", 70011: "InvalidScope.",
	70016: "AuthorizationPending.", 70018: "BadVerificationCode.", 70020: "ExpiredToken: the device code has expired.",
	90002: "InvalidTenantName: the tenant was not found.", 90094: "AdminConsentRequired.", 500011: "InvalidResourceServicePrincipalNotFound.",
	501481: "The code verifier does not match the code challenge.", 700016: "UnauthorizedClient_DoesNotMatchRequest: the application was not found in the directory.",
	700025: "InvalidClientPublicClientWithCredential.", 700082: "ExpiredOrRevokedGrantInactiveToken: the refresh token was inactive for 90 days.",
	7000215: "InvalidClientSecretProvided: send the secret's value, not its ID.", 7000218: "RequestBodyMustContainParameter: client_secret or client_assertion.",
	7000222: "InvalidClientSecretExpiredKeysProvided: the client secret has expired.", 9001023: "The grant type isn't supported over /common or /consumers.",
	1002012: "Client credential flows must use a /.default scope.", 900144: "A required parameter is missing.",
}

func (e *Emulator) serveErrorLookup(w http.ResponseWriter, r *http.Request) {
	code, _ := strconv.Atoi(r.URL.Query().Get("code"))
	msg, ok := errorCodes[code]
	if !ok {
		msg = "This error code is not produced by the emulator."
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pages.ExecuteTemplate(w, "message", pageData{Title: "Error code lookup", Heading: fmt.Sprintf("AADSTS%d", code), Message: msg})
}

// serveIndex is a small page for people: tenants, users, what to try.
func (e *Emulator) serveIndex(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	e.mu.RLock()
	type userLine struct{ UPN, Flags string }
	type tenantLine struct {
		Domain, ID string
		Users      []userLine
	}
	var tl []tenantLine
	for _, id := range sortedKeys(e.tenants) {
		t := e.tenants[id]
		line := tenantLine{Domain: t.Domain, ID: t.ID}
		for _, u := range t.Users() {
			var flags []string
			if u.Admin {
				flags = append(flags, "admin")
			}
			if u.MFA {
				flags = append(flags, "MFA")
			}
			if u.Unlicensed {
				flags = append(flags, "unlicensed")
			}
			line.Users = append(line.Users, userLine{u.UPN, strings.Join(flags, ", ")})
		}
		tl = append(tl, line)
	}
	e.mu.RUnlock()
	sort.Slice(tl, func(i, j int) bool { return tl[i].Domain < tl[j].Domain })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pages.ExecuteTemplate(w, "index", map[string]any{"Tenants": tl})
}

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title><style>
body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;margin:0;color:#1b1b1b}
.box{max-width:440px;margin:8vh auto;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:24px;font-weight:600;margin:0 0 16px}.brand{color:#737373;font-size:15px;margin-bottom:16px}
input[type=text],input[type=password],input[type=email]{width:100%;box-sizing:border-box;border:0;border-bottom:1px solid #666;padding:8px 0;font-size:15px;margin:8px 0}
button{background:#0067b8;color:#fff;border:0;padding:8px 24px;font-size:15px;margin:16px 8px 0 0;cursor:pointer}
button.secondary{background:#ccc;color:#000}.err{color:#e81123;margin:8px 0}.info{margin:8px 0}
li{margin:6px 0}small{color:#666}table{border-collapse:collapse}td{padding:2px 8px}
</style></head><body><div class="box"><div class="brand">Microsoft 365 (emulated by e5renew)</div>{{end}}
{{define "foot"}}</div></body></html>{{end}}

{{define "code"}}{{template "head" .}}<h1>Enter code</h1>
<p class="info">Enter the code displayed on your app or device.</p>
{{if .Error}}<p class="err" id="error">{{.Error}}</p>{{end}}
<form method="post" action="/devicelogin"><input type="text" name="otc" id="otc" placeholder="Code" value="{{.Hint}}" autofocus>
<button type="submit" id="next">Next</button></form>{{template "foot" .}}{{end}}

{{define "flow"}}{{template "head" .}}<h1>{{.Heading}}</h1>
{{if .Info}}<p class="info">{{.Info}}</p>{{end}}
{{if .Error}}<p class="err" id="error">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}"><input type="hidden" name="flow" value="{{.Flow}}">
{{if eq .Stage "signin"}}<p>to continue to <b>{{.App}}</b></p>
<input type="email" name="login" id="login" placeholder="Email, phone, or Skype" value="{{.Hint}}" autofocus>
<input type="password" name="passwd" id="passwd" placeholder="Password">
<button type="submit" id="signin" name="action" value="signin">Sign in</button>
{{else if eq .Stage "mfa"}}<p>{{.User}}</p>
<button type="submit" id="approve" name="action" value="approve">I approved the request</button>
{{else if eq .Stage "consent"}}<p><b>{{.App}}</b> wants to:</p><ul>{{range .Scopes}}<li>{{.Name}}{{if .Description}} <small>{{.Description}}</small>{{end}}{{if .Admin}} <small>(admin)</small>{{end}}</li>{{end}}</ul>
<p><small>Signed in as {{.User}}</small></p>
{{if .Admin}}<label><input type="checkbox" name="consent_org" id="consent_org" value="1"> Consent on behalf of your organization</label>{{end}}
<button type="submit" id="accept" name="action" value="accept">Accept</button>
<button type="submit" class="secondary" id="cancel" name="action" value="cancel">Cancel</button>
{{end}}</form>{{template "foot" .}}{{end}}

{{define "message"}}{{template "head" .}}<h1>{{.Heading}}</h1>
{{if .Error}}<p class="err" id="error">{{.Error}}</p>{{end}}{{if .Message}}<p id="message">{{.Message}}</p>{{end}}{{template "foot" .}}{{end}}

{{define "formpost"}}<!doctype html><html><body onload="document.forms[0].submit()"><form method="post" action="{{.Action}}">
{{range $k, $v := .Values}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}<noscript><button type="submit">Continue</button></noscript></form></body></html>{{end}}

{{define "index"}}<!doctype html><html lang="en"><head><meta charset="utf-8"><title>e5renew emulator</title><style>body{font-family:system-ui,sans-serif;margin:2em;max-width:60em}code{background:#eee;padding:1px 4px}td{padding:2px 10px}</style></head><body>
<h1>Emulated Microsoft 365 tenant</h1>
<p>Identity platform at <code>/{tenant}/oauth2/v2.0/token</code>, <code>/devicecode</code>, <code>/authorize</code>; device sign-in at <a href="/devicelogin">/devicelogin</a>; Microsoft Graph at <code>/v1.0</code> and <code>/beta</code>; statistics at <a href="/_emulator/stats">/_emulator/stats</a>.</p>
{{range .Tenants}}<h2>{{.Domain}}</h2><p><small>{{.ID}}</small></p><table>{{range .Users}}<tr><td>{{.UPN}}</td><td>{{.Flags}}</td></tr>{{end}}</table>{{end}}
</body></html>{{end}}
`))
