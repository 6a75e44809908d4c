package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/graphdata"
)

// gc is the context of one Graph request (or one request inside a $batch).
type gc struct {
	e      *Emulator
	r      *http.Request
	ver    string // "v1.0" or "beta"
	base   string // scheme://host/ver
	method string
	rawURL string // path (after the version) and query, for @odata.context and nextLink
	route  *route
	params []string
	query  url.Values
	header http.Header
	body   []byte

	tok    *accessClaims
	tenant *Tenant
	caller *User // signed-in user of a delegated token
	app    *App
	user   *User // the user a /me or /users/{id} route addresses

	// response
	status  int
	outHdr  http.Header
	outBody []byte
}

// graphErr is a Graph error response (protocol.md §2.1).
type graphErr struct {
	status  int
	code    string
	message string
	inner   map[string]any // extra innerError members
	header  map[string]string
}

func gerr(status int, code, format string, args ...any) *graphErr {
	return &graphErr{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func (c *gc) fail(ge *graphErr) {
	inner := map[string]any{
		"date":              c.e.now().UTC().Format("2006-01-02T15:04:05"),
		"request-id":        c.outHdr.Get("request-id"),
		"client-request-id": c.outHdr.Get("client-request-id"),
	}
	for k, v := range ge.inner {
		inner[k] = v
	}
	for k, v := range ge.header {
		c.outHdr.Set(k, v)
	}
	body := map[string]any{"error": map[string]any{"code": ge.code, "message": ge.message, "innerError": inner}}
	c.writeJSON(ge.status, body)
}

func (c *gc) writeJSON(status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // Graph writes "&" in nextLinks as is
	b := buf.Bytes()
	if err := enc.Encode(v); err != nil {
		status, b = 500, []byte(`{"error":{"code":"generalException","message":"serialization failed"}}`)
	} else {
		b = bytes.TrimRight(buf.Bytes(), "\n")
	}
	c.status = status
	c.outHdr.Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	c.outBody = b
}

func (c *gc) noContent(status int) {
	c.status = status
	c.outHdr.Del("Content-Type")
	c.outBody = nil
}

func (c *gc) raw(status int, contentType string, b []byte) {
	c.status = status
	c.outHdr.Set("Content-Type", contentType)
	c.outBody = b
}

// serveGraph runs the full pipeline for a top-level Graph request.
func (e *Emulator) serveGraph(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	c := e.newGC(r, r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header, body)
	release, throttled := e.admit(c)
	if throttled {
		e.finish(w, r, c)
		return
	}
	defer release()
	e.sleepLatency(r)
	f := e.Faults()
	if e.chance(f.DropRate) {
		// Half the drops happen before the request is processed, half after: a client cannot
		// know whether a dropped write took effect, exactly as with a real network.
		after := e.chance(0.5)
		if after {
			e.process(c)
		}
		e.stats.fault("dropped")
		e.drop(w)
		return
	}
	e.process(c)
	e.finish(w, r, c)
}

// newGC parses version, path and token for a request.
func (e *Emulator) newGC(r *http.Request, method, escapedPath, rawQuery string, hdr http.Header, body []byte) *gc {
	c := &gc{e: e, r: r, method: strings.ToUpper(method), header: hdr, body: body, outHdr: http.Header{}}
	p := strings.TrimPrefix(escapedPath, "/")
	ver, rest, _ := strings.Cut(p, "/")
	c.ver = strings.ToLower(ver)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	c.base = scheme + "://" + r.Host + "/" + c.ver
	c.rawURL = "/" + rest
	c.query, _ = url.ParseQuery(rawQuery)
	reqID := newGUID()
	c.outHdr.Set("request-id", reqID)
	if cr := hdr.Get("client-request-id"); cr != "" {
		c.outHdr.Set("client-request-id", cr)
	} else {
		c.outHdr.Set("client-request-id", reqID)
	}
	c.outHdr.Set("OData-Version", "4.0")
	c.outHdr.Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"Emulated","Slice":"E","Ring":"5","ScaleUnit":"000","RoleInstance":"EMU-0"}}`)
	c.outHdr.Set("Strict-Transport-Security", "max-age=31536000")
	c.outHdr.Set("Cache-Control", "no-cache")
	return c
}

// admit resolves the route early and applies the Outlook per-mailbox concurrency limit,
// which Exchange enforces on arrival. It returns a release function.
func (e *Emulator) admit(c *gc) (release func(), throttled bool) {
	limit := e.Faults().MailboxConcurrency
	if limit <= 0 {
		return func() {}, false
	}
	pp, err := requestSegs(c.rawPath())
	if err != nil {
		return func() {}, false
	}
	rt, params, _, _ := e.router.match(c.method, pp)
	if rt == nil || !rt.workload.outlook() {
		return func() {}, false
	}
	tok, _ := e.bearer(c)
	if tok == nil {
		return func() {}, false
	}
	mailbox := tok.OID
	if rt.user && len(params) > 0 {
		mailbox = strings.ToLower(params[0])
	}
	key := tok.AppID + "|" + tok.TID + "|" + mailbox
	if !e.mbox.acquire(key, limit) {
		c.route = rt
		e.stats.fault("mailboxConcurrency")
		c.fail(&graphErr{status: 429, code: "ApplicationThrottled", message: "Application is over its MailboxConcurrency limit.",
			header: map[string]string{"Retry-After": e.retryAfter(false)}})
		return nil, true
	}
	return func() { e.mbox.release(key) }, false
}

func (c *gc) rawPath() string {
	p := c.rawURL
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

func (e *Emulator) finish(w http.ResponseWriter, r *http.Request, c *gc) {
	for k, vs := range c.outHdr {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if c.status == 0 {
		c.status = 500
	}
	key := "(unmatched)"
	if c.route != nil {
		key = c.route.template
	}
	e.stats.request(c.method, key, c.status)
	w.WriteHeader(c.status)
	if len(c.outBody) > 0 && r.Method != http.MethodHead {
		_, _ = w.Write(c.outBody)
	}
}

// drop closes the connection without an answer.
func (e *Emulator) drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func (e *Emulator) bearer(c *gc) (*accessClaims, *graphErr) {
	h := c.header.Get("Authorization")
	if h == "" {
		return nil, invalidToken("Access token is empty.")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return nil, invalidToken("Access token is empty.")
	}
	claims, err := e.parseAccessToken(strings.TrimSpace(tok))
	if err != nil {
		return nil, invalidToken(err.Error())
	}
	return claims, nil
}

func invalidToken(msg string) *graphErr {
	return &graphErr{status: 401, code: "InvalidAuthenticationToken", message: msg, header: map[string]string{
		"WWW-Authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
	}}
}

// graphAudiences are the audiences Graph accepts.
var graphAudiences = map[string]bool{
	"https://graph.microsoft.com": true, "https://graph.microsoft.com/": true, graphAppID: true,
	"https://microsoftgraph.chinacloudapi.cn": true, "https://graph.microsoft.us": true, "https://dod-graph.microsoft.us": true,
}

// authenticate validates the token and binds tenant, app and caller.
func (c *gc) authenticate() *graphErr {
	tok, ge := c.e.bearer(c)
	if ge != nil {
		return ge
	}
	now := c.e.now().Unix()
	if tok.Exp <= now || tok.Nbf > now+300 {
		return invalidToken("Access token has expired or is not yet valid.")
	}
	if !graphAudiences[tok.Aud] && !strings.HasPrefix(c.base, strings.TrimSuffix(tok.Aud, "/")) {
		return invalidToken("Access token validation failure. Invalid audience.")
	}
	if tok.Scp == "" && len(tok.Roles) == 0 {
		return invalidToken("Either scp or roles claim need to be present in the token.")
	}
	c.e.mu.RLock()
	t := c.e.tenants[tok.TID]
	var app *App
	if t != nil {
		app = c.e.appLocked(tok.AppID)
	}
	var caller *User
	if t != nil && tok.delegated() {
		caller = t.users[tok.OID]
	}
	c.e.mu.RUnlock()
	if t == nil || app == nil || (tok.delegated() && caller == nil) {
		return invalidToken("Access token validation failure.")
	}
	c.tok, c.tenant, c.app, c.caller = tok, t, app, caller
	c.e.noteTokenUse(tok.UTI)
	return nil
}

// process runs authentication, routing, authorisation, faults and the handler.
func (e *Emulator) process(c *gc) {
	if c.ver != "v1.0" && c.ver != "beta" {
		c.fail(gerr(400, "BadRequest", "Invalid version: %s", c.ver))
		return
	}
	if ge := c.authenticate(); ge != nil {
		c.fail(ge)
		return
	}
	pp, err := requestSegs(c.rawPath())
	if err != nil {
		c.fail(gerr(400, "BadRequest", "Invalid request URL."))
		return
	}
	if len(pp.segs) > 0 && pp.segs[0].name == "me" && !c.tok.delegated() {
		c.fail(gerr(400, "BadRequest", "/me request is only valid with delegated authentication flow."))
		return
	}
	rt, params, bad, mna := e.router.match(c.method, pp)
	if rt == nil {
		if mna {
			c.fail(gerr(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target."))
		} else {
			c.fail(gerr(400, "BadRequest", "Resource not found for the segment '%s'.", bad))
		}
		return
	}
	c.route, c.params = rt, params
	if ge := c.checkQuery(); ge != nil {
		c.fail(ge)
		return
	}
	if !rt.noAuthZ {
		if ge := c.authorize(); ge != nil {
			c.fail(ge)
			return
		}
	}
	f := e.Faults()
	if rt.workload != wlBatch {
		if e.chance(f.ThrottleRate) {
			e.stats.fault("throttled")
			c.fail(c.throttleError())
			return
		}
		if e.chance(f.ErrorRate) {
			e.stats.fault("serverError")
			if e.chance(0.5) {
				c.fail(&graphErr{status: 503, code: "serviceNotAvailable", message: "Service unavailable. Please try again later.",
					header: map[string]string{"Retry-After": e.retryAfter(false)}})
			} else {
				c.fail(gerr(504, "UnknownError", "The gateway did not receive a timely response from the upstream server."))
			}
			return
		}
	}
	if rt.workload == wlBatch {
		rt.h(c) // each inner request takes the lock itself
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if ge := c.bindUser(); ge != nil {
		c.fail(ge)
		return
	}
	rt.h(c)
}

// throttleError is the 429 of the route's workload (protocol.md §2.2): OneNote sends no
// Retry-After; OneDrive uses activityLimitReached; Retry-After is sometimes fractional.
func (c *gc) throttleError() *graphErr {
	e := c.e
	switch c.route.workload {
	case wlNotes:
		return &graphErr{status: 429, code: "20166", message: "The request limit for this resource has been exceeded. Please wait and try again."}
	case wlDrive, wlSites:
		return &graphErr{status: 429, code: "activityLimitReached", message: "The request has been throttled",
			inner: map[string]any{"code": "throttledRequest"}, header: map[string]string{"Retry-After": e.retryAfter(true)}}
	case wlMail, wlCalendar, wlContacts, wlTodo:
		return &graphErr{status: 429, code: "ApplicationThrottled", message: "Application is over its MailboxConcurrency limit.",
			header: map[string]string{"Retry-After": e.retryAfter(true)}}
	default:
		return &graphErr{status: 429, code: "TooManyRequests", message: "Please retry again later.",
			inner:  map[string]any{"code": "429", "message": "Please retry after", "status": "429"},
			header: map[string]string{"Retry-After": e.retryAfter(true)}}
	}
}

// retryAfter returns a Retry-After value up to the configured maximum; when fractional is
// allowed, about a third of the values carry decimals ("2.128", as Graph's sample).
func (e *Emulator) retryAfter(fractional bool) string {
	max := e.Faults().RetryAfterMax
	if max <= 0 {
		max = 2 * time.Second
	}
	secs := e.float() * max.Seconds()
	if fractional && e.chance(0.35) {
		return strconv.FormatFloat(math.Max(secs, 0.001), 'f', 3, 64)
	}
	return strconv.Itoa(int(math.Ceil(math.Max(secs, 0.001))))
}

// authorize checks the token's scopes or roles against the permission table.
func (c *gc) authorize() *graphErr {
	rt := c.route
	scheme := graphdata.DelegatedWork
	var held []string
	if c.tok.delegated() {
		held = strings.Fields(c.tok.Scp)
	} else {
		scheme = graphdata.Application
		held = c.tok.Roles
	}
	ok := false
	if rt.supplement != nil {
		list := rt.supplement.Delegated
		if scheme == graphdata.Application {
			list = rt.supplement.Application
		}
		for _, p := range list {
			if containsFold(held, p) {
				ok = true
			}
		}
	} else {
		ok = c.e.perms.Accepts(c.method, rt.key, scheme, held)
	}
	if ok {
		return nil
	}
	c.e.stats.denied(c.method + " " + rt.template)
	return forbidden(rt.workload)
}

// forbidden is the 403 of a workload when the token lacks a permission.
func forbidden(w workload) *graphErr {
	switch w {
	case wlMail, wlCalendar, wlContacts, wlTodo:
		return gerr(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
	case wlDrive, wlSites:
		return gerr(403, "accessDenied", "Access denied")
	case wlNotes:
		return gerr(403, "40004", "The OAuth token doesn't have the required scopes to access this resource.")
	case wlTeams, wlPresence:
		return gerr(403, "Forbidden", "Missing scope permissions on the request. API requires one of the permissions the route lists. Scopes on the request don't include them.")
	default:
		return gerr(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	}
}

// bindUser resolves the user a per-user route addresses and applies licensing and the
// delegated same-user rule. It runs with e.mu held, as every handler does: one lock keeps the
// emulator simple and is far from its throughput limit.
func (c *gc) bindUser() *graphErr {
	rt := c.route
	if !rt.me && !rt.user {
		return nil
	}
	if rt.me {
		c.user = c.caller
	} else {
		id := c.params[0]
		c.params = c.params[1:]
		c.user = c.tenant.userByIDOrUPN(id)
		if c.user == nil {
			return gerr(404, "Request_ResourceNotFound", "Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)
		}
	}
	if c.tok.delegated() && rt.workload.perUserData() && c.user != c.caller {
		return forbidden(rt.workload)
	}
	if c.user.Unlicensed || c.user.NoDrive {
		switch {
		case rt.workload.outlook() && c.user.Unlicensed:
			return gerr(404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
		case rt.workload == wlDrive || rt.workload == wlInsights:
			return gerr(404, "ResourceNotFound", "User's mysite not found.")
		case rt.workload == wlNotes:
			return gerr(404, "30108", "The OneDrive for Business for this user account cannot be retrieved.")
		}
	}
	return nil
}

var knownQueryOptions = map[string]bool{"$select": true, "$top": true, "$skip": true, "$skiptoken": true, "$filter": true,
	"$orderby": true, "$expand": true, "$count": true, "$search": true, "$format": true, "$deltatoken": true}

func (c *gc) checkQuery() *graphErr {
	for k := range c.query {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "$") && !knownQueryOptions[lk] {
			return gerr(400, "BadRequest", "Query option '%s' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.", strings.TrimPrefix(k, "$"))
		}
		if c.ver == "v1.0" && knownQueryOptions["$"+lk] && (c.route.workload == wlDirectory || c.route.workload == wlApps) {
			// v1.0 requires the $ prefix for system query options on directory resources.
			return gerr(400, "Request_BadRequest", "Unrecognized query argument specified: '%s'.", k)
		}
	}
	if t := c.query.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return gerr(400, "BadRequest", "Invalid value '%s' for query option $top.", t)
		}
	}
	return nil
}

// decode reads the JSON request body into v with Graph's errors.
func (c *gc) decode(v any) *graphErr {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return gerr(400, "BadRequest", "Empty Payload. JSON content expected.")
	}
	ct := c.header.Get("Content-Type")
	if ct != "" && !strings.Contains(strings.ToLower(ct), "json") {
		return gerr(415, "BadRequest", "Unsupported Media Type: %s. JSON content expected.", ct)
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return gerr(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	}
	return nil
}

// context returns an @odata.context URL for a collection or entity path.
func (c *gc) context(fragment string) string {
	return c.base + "/$metadata#" + fragment
}
