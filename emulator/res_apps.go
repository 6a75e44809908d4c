package emulator

import (
	"net/url"
	"sort"
	"strings"

	"github.com/e5renew/e5renew/internal/graphdata"
)

// App registration through Graph (protocol.md §5): applications, service principals,
// delegated permission grants and app role assignments. These handlers change the same
// structures the token endpoint reads, so a grant made here shows in the next token.

// microsoftTenant owns Microsoft's first-party applications.
const microsoftTenant = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

// applicationProps are the properties a client may write on an application.
var applicationProps = []string{"displayName", "signInAudience", "isFallbackPublicClient", "publicClient", "web", "spa",
	"requiredResourceAccess", "description", "notes", "tags", "identifierUris", "info", "api", "appRoles", "optionalClaims",
	"groupMembershipClaims", "serviceManagementReference", "isDeviceOnlyAuthSupported", "parentalControlSettings",
	"keyCredentials", "passwordCredentials", "tokenEncryptionKeyId", "defaultRedirectUri"}

// extrasOf returns a copy of the application properties App has no field for (description,
// tags, api, info...), so that what a client writes it reads back. Call with e.mu held.
func extrasOf(a *App) obj {
	out := obj{}
	for k, v := range a.extra {
		out[k] = v
	}
	return out
}

func setExtras(a *App, o obj) { a.extra = o }

func (e *Emulator) registerApps(rt *router) {
	rt.global("GET", "/applications", wlApps, func(c *gc) {
		var out []obj
		for _, a := range c.tenantApps() {
			out = append(out, c.appJSON(a))
		}
		c.dirList(out, c.selCtx("applications"), nil)
	})
	rt.global("POST", "/applications", wlApps, (*gc).createApplication)
	for _, form := range []string{"/applications/{id}", "/applications(appId='{appId}')"} {
		rt.global("GET", form, wlApps, func(c *gc) {
			if a := c.application(0); a != nil {
				c.entity(200, c.selCtx("applications")+"/$entity", c.appJSON(a))
			}
		})
		rt.global("PATCH", form, wlApps, (*gc).patchApplication)
		rt.global("DELETE", form, wlApps, (*gc).deleteApplication)
		rt.global("POST", form+"/addPassword", wlApps, (*gc).addPassword)
		rt.global("POST", form+"/removePassword", wlApps, (*gc).removePassword)
	}

	rt.global("GET", "/servicePrincipals", wlApps, func(c *gc) {
		var out []obj
		for _, sp := range c.tenantSPs() {
			out = append(out, c.spJSON(sp))
		}
		c.dirList(out, c.selCtx("servicePrincipals"), nil)
	})
	rt.global("POST", "/servicePrincipals", wlApps, (*gc).createServicePrincipal)
	for _, form := range []string{"/servicePrincipals/{id}", "/servicePrincipals(appId='{appId}')"} {
		rt.global("GET", form, wlApps, func(c *gc) {
			if sp := c.servicePrincipal(0); sp != nil {
				c.entity(200, c.selCtx("servicePrincipals")+"/$entity", c.spJSON(sp))
			}
		})
		rt.global("DELETE", form, wlApps, (*gc).deleteServicePrincipal)
		rt.global("GET", form+"/appRoleAssignedTo", wlApps, func(c *gc) { c.listAssignments(true) })
		rt.global("POST", form+"/appRoleAssignedTo", wlApps, func(c *gc) { c.createAssignment(true) })
		rt.global("DELETE", form+"/appRoleAssignedTo/{id}", wlApps, func(c *gc) { c.deleteAssignment(true) })
		rt.global("GET", form+"/appRoleAssignments", wlApps, func(c *gc) { c.listAssignments(false) })
		rt.global("POST", form+"/appRoleAssignments", wlApps, func(c *gc) { c.createAssignment(false) })
		rt.global("DELETE", form+"/appRoleAssignments/{id}", wlApps, func(c *gc) { c.deleteAssignment(false) })
		rt.global("GET", form+"/oauth2PermissionGrants", wlApps, func(c *gc) {
			if sp := c.servicePrincipal(0); sp != nil {
				var out []obj
				for _, g := range c.tenant.grants {
					if g.ClientID == sp.ID {
						out = append(out, grantJSON(g))
					}
				}
				c.dirList(out, "oauth2PermissionGrants", nil)
			}
		})
	}

	rt.global("GET", "/oauth2PermissionGrants", wlApps, func(c *gc) {
		var out []obj
		for _, g := range c.tenant.grants {
			out = append(out, grantJSON(g))
		}
		c.dirList(out, "oauth2PermissionGrants", nil)
	})
	rt.global("POST", "/oauth2PermissionGrants", wlApps, (*gc).createGrant)
	rt.global("GET", "/oauth2PermissionGrants/{id}", wlApps, func(c *gc) {
		if g := c.grant(0); g != nil {
			c.entity(200, "oauth2PermissionGrants/$entity", grantJSON(g))
		}
	})
	rt.global("PATCH", "/oauth2PermissionGrants/{id}", wlApps, (*gc).patchGrant)
	rt.global("DELETE", "/oauth2PermissionGrants/{id}", wlApps, func(c *gc) {
		g := c.grant(0)
		if g == nil || !c.requireAdmin() {
			return
		}
		c.tenant.grants = filter(c.tenant.grants, func(x *permissionGrant) bool { return x != g })
		c.noContent(204)
	})
}

// requireAdmin applies the directory role check: a delegated caller must be an
// administrator to consent for an organisation or assign app roles.
func (c *gc) requireAdmin() bool {
	if c.tok.delegated() && !c.caller.Admin {
		c.fail(gerr(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."))
		return false
	}
	return true
}

// badValue is the directory's answer to an invalid property value.
func badValue(prop, resource string) *graphErr {
	return gerr(400, "Request_BadRequest", "Invalid value specified for property '%s' of resource '%s'.", prop, resource)
}

// keyParam reads a path parameter that is either a plain id or an alternate key
// ("appId='...'"); it returns the value and whether it was the appId form.
func keyParam(p string) (string, bool) {
	if k, v, ok := strings.Cut(p, "="); ok && strings.EqualFold(strings.TrimSpace(k), "appId") {
		return strings.Trim(strings.TrimSpace(v), "'"), true
	}
	return p, false
}

// --- applications -----------------------------------------------------------------------

// tenantApps lists the applications registered in the caller's tenant, oldest first.
func (c *gc) tenantApps() []*App {
	var out []*App
	for _, a := range c.e.apps {
		if a.HomeTenant == c.tenant.ID {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].created.Equal(out[j].created) {
			return out[i].created.Before(out[j].created)
		}
		return out[i].ObjectID < out[j].ObjectID
	})
	return out
}

// application resolves the i-th parameter (object id or appId='...') or fails with 404.
func (c *gc) application(i int) *App {
	v, byAppID := keyParam(c.param(i))
	for _, a := range c.tenantApps() {
		if (byAppID && strings.EqualFold(a.ClientID, v)) || (!byAppID && strings.EqualFold(a.ObjectID, v)) {
			return a
		}
	}
	c.fail(dirNotFound(v))
	return nil
}

// mayWriteApp: administrators and applications holding Application.ReadWrite.All manage
// every application; other callers only those they own.
func (c *gc) mayWriteApp(a *App) bool {
	if c.tok.delegated() {
		if c.caller.Admin || containsFold(a.Owners, c.caller.ID) {
			return true
		}
	} else if containsFold(c.tok.Roles, "Application.ReadWrite.All") || containsFold(a.Owners, c.tok.OID) {
		return true
	}
	c.fail(gerr(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."))
	return false
}

func appAudience(a *App) string {
	if s := str(extrasOf(a), "signInAudience"); s != "" {
		return s
	}
	if a.MultiTenant {
		return "AzureADMultipleOrgs"
	}
	return "AzureADMyOrg"
}

func strsAny(l []string) []any {
	out := make([]any, 0, len(l))
	for _, s := range l {
		out = append(out, s)
	}
	return out
}

func orEmptyList(v any) any {
	if l, ok := v.([]any); v == nil || (ok && l == nil) {
		return []any{}
	}
	return v
}

// graphRRA builds the requiredResourceAccess entry for Microsoft Graph from an app's
// configured permissions.
func (c *gc) graphRRA(a *App, oidcIDs []any) obj {
	var access []any
	for _, s := range a.RequiredScopes {
		if id, ok := c.e.prov.ID(s, graphdata.DelegatedWork); ok {
			access = append(access, obj{"id": id, "type": "Scope"})
		}
	}
	for _, id := range oidcIDs {
		access = append(access, obj{"id": id, "type": "Scope"})
	}
	for _, r := range a.RequiredRoles {
		if id, ok := c.e.prov.ID(r, graphdata.Application); ok {
			access = append(access, obj{"id": id, "type": "Role"})
		}
	}
	return obj{"resourceAppId": graphAppID, "resourceAccess": access}
}

// appJSON is the application resource.
func (c *gc) appJSON(a *App) obj {
	ex := extrasOf(a)
	aud := appAudience(a)
	var fallback any
	if _, set := ex["isFallbackPublicClient"]; set || a.PublicClient {
		fallback = a.PublicClient
	}
	var tokenVersion any
	if strings.Contains(aud, "Personal") {
		tokenVersion = 2
	}
	api := obj{"acceptMappedClaims": nil, "knownClientApplications": []any{}, "requestedAccessTokenVersion": tokenVersion,
		"oauth2PermissionScopes": []any{}, "preAuthorizedApplications": []any{}}
	if x, ok := ex["api"].(obj); ok {
		merge(api, x)
	}
	web := obj{"homePageUrl": nil, "logoutUrl": nil, "redirectUris": strsAny(a.WebRedirects),
		"implicitGrantSettings": obj{"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false}}
	if x, ok := ex["web"].(obj); ok {
		merge(web, x)
		web["redirectUris"] = strsAny(a.WebRedirects)
	}
	var settings []any
	for _, u := range a.WebRedirects {
		settings = append(settings, obj{"uri": u, "index": nil})
	}
	web["redirectUriSettings"] = orEmptyList(settings)
	spa := obj{"redirectUris": []any{}}
	if x, ok := ex["spa"].(obj); ok {
		merge(spa, x)
	}
	info := obj{"logoUrl": nil, "marketingUrl": nil, "privacyStatementUrl": nil, "supportUrl": nil, "termsOfServiceUrl": nil}
	if x, ok := ex["info"].(obj); ok {
		merge(info, x)
	}
	rra := []any{}
	oidcIDs := listOr(ex["@oidcScopes"])
	if len(a.RequiredScopes) > 0 || len(a.RequiredRoles) > 0 || len(oidcIDs) > 0 {
		rra = append(rra, c.graphRRA(a, oidcIDs))
	}
	rra = append(rra, listOr(ex["@otherRRA"])...)
	var pwds []any
	for _, s := range a.Secrets {
		pwds = append(pwds, secretJSON(s, false))
	}
	domain := c.tenant.Domain
	if t := c.e.tenants[a.HomeTenant]; t != nil {
		domain = t.Domain
	}
	created := a.created
	if created.IsZero() {
		created = c.e.now()
	}
	o := obj{
		"id": a.ObjectID, "deletedDateTime": nil, "appId": a.ClientID, "applicationTemplateId": nil,
		"disabledByMicrosoftStatus": nil, "createdDateTime": iso(created), "displayName": a.DisplayName,
		"description": ex["description"], "groupMembershipClaims": ex["groupMembershipClaims"],
		"identifierUris": orEmptyList(ex["identifierUris"]), "isDeviceOnlyAuthSupported": ex["isDeviceOnlyAuthSupported"],
		"isFallbackPublicClient": fallback, "nativeAuthenticationApisEnabled": nil, "notes": ex["notes"],
		"publisherDomain": domain, "serviceManagementReference": ex["serviceManagementReference"], "signInAudience": aud,
		"tags": orEmptyList(ex["tags"]), "tokenEncryptionKeyId": ex["tokenEncryptionKeyId"], "samlMetadataUrl": nil,
		"defaultRedirectUri": ex["defaultRedirectUri"], "certification": nil, "optionalClaims": ex["optionalClaims"],
		"servicePrincipalLockConfiguration": nil, "requestSignatureVerification": nil, "addIns": []any{}, "api": api,
		"appRoles": orEmptyList(ex["appRoles"]), "info": info, "keyCredentials": []any{},
		"parentalControlSettings": obj{"countriesBlockedForMinors": []any{}, "legalAgeGroupRule": "Allow"},
		"passwordCredentials":     orEmptyList(pwds), "publicClient": obj{"redirectUris": strsAny(a.NativeRedirs)},
		"requiredResourceAccess": rra, "verifiedPublisher": obj{"displayName": nil, "verifiedPublisherId": nil, "addedDateTime": nil},
		"web": web, "spa": spa,
	}
	if x, ok := ex["parentalControlSettings"].(obj); ok {
		merge(o["parentalControlSettings"].(obj), x)
	}
	return o
}

func secretJSON(s *Secret, withText bool) obj {
	o := obj{"customKeyIdentifier": nil, "displayName": nilIfEmpty(s.DisplayName), "endDateTime": iso(s.End),
		"hint": s.Hint, "keyId": s.KeyID, "secretText": nil, "startDateTime": iso(s.Start)}
	if withText {
		o["secretText"] = s.Value
	}
	return o
}

// appChange is a validated application body, applied only when every property is valid.
type appChange struct {
	body                       obj
	displayName                *string
	audience                   string
	fallback                   *bool
	fallbackNull               bool
	native, web                []string
	nativeSet, webSet          bool
	scopes, roles              []string
	oidcIDs, otherRRA          []any
	rraSet                     bool
	extras                     obj // other properties, stored as written
	webExtra, spaExtra, apiExt obj
}

func strList(v any) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, ok := x.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// validRedirect accepts absolute URIs; web redirect URIs must be https or loopback http.
func validRedirect(s string, web bool) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || len(s) > 256 {
		return false
	}
	if web && u.Scheme == "http" && u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1" {
		return false
	}
	if web && u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	return true
}

// parseAppBody validates an application body (POST or PATCH).
func (c *gc) parseAppBody(create bool) (*appChange, *graphErr) {
	body, ge := c.readObj("application", applicationProps...)
	if ge != nil {
		return nil, ge
	}
	ch := &appChange{body: body, extras: obj{}}
	for k, v := range body {
		switch strings.ToLower(k) {
		case "displayname":
			s, ok := v.(string)
			if !ok || strings.TrimSpace(s) == "" || len(s) > 256 {
				return nil, badValue("displayName", "Application")
			}
			ch.displayName = &s
		case "signinaudience":
			s, _ := v.(string)
			switch strings.ToLower(s) {
			case "azureadmyorg":
				ch.audience = "AzureADMyOrg"
			case "azureadmultipleorgs":
				ch.audience = "AzureADMultipleOrgs"
			case "azureadandpersonalmicrosoftaccount":
				ch.audience = "AzureADandPersonalMicrosoftAccount"
			case "personalmicrosoftaccount":
				ch.audience = "PersonalMicrosoftAccount"
			default:
				return nil, badValue("signInAudience", "Application")
			}
		case "isfallbackpublicclient":
			switch b := v.(type) {
			case nil:
				ch.fallbackNull = true
			case bool:
				ch.fallback = &b
			default:
				return nil, badValue("isFallbackPublicClient", "Application")
			}
		case "publicclient":
			o, ok := v.(obj)
			if !ok && v != nil {
				return nil, badValue("publicClient", "Application")
			}
			uris, ok := strList(o["redirectUris"])
			if !ok {
				return nil, badValue("publicClient.redirectUris", "Application")
			}
			for _, u := range uris {
				if !validRedirect(u, false) {
					return nil, badValue("publicClient.redirectUris", "Application")
				}
			}
			ch.native, ch.nativeSet = uris, true
		case "web":
			o, ok := v.(obj)
			if !ok && v != nil {
				return nil, badValue("web", "Application")
			}
			ch.webExtra = obj{}
			for wk, wv := range o {
				if strings.EqualFold(wk, "redirectUris") {
					uris, ok := strList(wv)
					if !ok {
						return nil, badValue("web.redirectUris", "Application")
					}
					for _, u := range uris {
						if !validRedirect(u, true) {
							return nil, badValue("web.redirectUris", "Application")
						}
					}
					ch.web, ch.webSet = uris, true
				} else if !strings.EqualFold(wk, "redirectUriSettings") {
					ch.webExtra[wk] = wv
				}
			}
		case "spa":
			o, ok := v.(obj)
			if !ok && v != nil {
				return nil, badValue("spa", "Application")
			}
			uris, ok := strList(o["redirectUris"])
			if !ok {
				return nil, badValue("spa.redirectUris", "Application")
			}
			for _, u := range uris {
				if !validRedirect(u, true) {
					return nil, badValue("spa.redirectUris", "Application")
				}
			}
			ch.spaExtra = obj{"redirectUris": strsAny(uris)}
		case "requiredresourceaccess":
			if ge := c.parseRRA(v, ch); ge != nil {
				return nil, ge
			}
		case "passwordcredentials", "keycredentials":
			if l, ok := v.([]any); !ok || len(l) > 0 {
				return nil, gerr(400, "Request_BadRequest", "Property '%s' cannot be set here; use the addPassword and addKey actions.", k)
			}
		case "tags", "identifieruris":
			if _, ok := strList(v); !ok {
				return nil, badValue(k, "Application")
			}
			ch.extras[k] = v
		default:
			ch.extras[k] = v
		}
	}
	if create && ch.displayName == nil {
		return nil, badValue("displayName", "Application")
	}
	return ch, nil
}

// parseRRA maps requiredResourceAccess to the app's Graph permission names. Permission ids
// must be Microsoft Graph's published scopes and roles; no other resource publishes any in
// the emulator.
func (c *gc) parseRRA(v any, ch *appChange) *graphErr {
	l, ok := v.([]any)
	if !ok && v != nil {
		return badValue("requiredResourceAccess", "Application")
	}
	ch.rraSet = true
	for _, entry := range l {
		eo, ok := entry.(obj)
		if !ok {
			return badValue("requiredResourceAccess", "Application")
		}
		res := str(eo, "resourceAppId")
		access, ok := eo["resourceAccess"].([]any)
		if !ok && eo["resourceAccess"] != nil {
			return badValue("resourceAccess", "RequiredResourceAccess")
		}
		if !isGUID(res) {
			return badValue("resourceAppId", "RequiredResourceAccess")
		}
		if !strings.EqualFold(res, graphAppID) {
			if len(access) > 0 {
				return badValue("id", "ResourceAccess")
			}
			ch.otherRRA = append(ch.otherRRA, obj{"resourceAppId": strings.ToLower(res), "resourceAccess": []any{}})
			continue
		}
		for _, ra := range access {
			rao, ok := ra.(obj)
			if !ok {
				return badValue("resourceAccess", "RequiredResourceAccess")
			}
			id := strings.ToLower(str(rao, "id"))
			name, known := c.e.prov.Name(id)
			switch strings.ToLower(str(rao, "type")) {
			case "scope":
				got, ok := c.e.prov.ID(name, graphdata.DelegatedWork)
				if !known || !ok || !strings.EqualFold(got, id) {
					return badValue("id", "ResourceAccess")
				}
				if oidc[strings.ToLower(name)] {
					ch.oidcIDs = append(ch.oidcIDs, id)
				} else {
					ch.scopes = unionFold(ch.scopes, []string{name})
				}
			case "role":
				got, ok := c.e.prov.ID(name, graphdata.Application)
				if !known || !ok || !strings.EqualFold(got, id) {
					return badValue("id", "ResourceAccess")
				}
				ch.roles = unionFold(ch.roles, []string{name})
			default:
				return badValue("type", "ResourceAccess")
			}
		}
	}
	return nil
}

// apply writes a validated change to an application.
func (ch *appChange) apply(a *App) {
	ex := extrasOf(a)
	if ch.displayName != nil {
		a.DisplayName = strings.TrimSpace(*ch.displayName)
	}
	if ch.audience != "" {
		ex["signInAudience"] = ch.audience
		a.MultiTenant = ch.audience != "AzureADMyOrg"
	}
	if ch.fallback != nil {
		a.PublicClient = *ch.fallback
		ex["isFallbackPublicClient"] = true
	} else if ch.fallbackNull {
		a.PublicClient = false
		delete(ex, "isFallbackPublicClient")
	}
	if ch.nativeSet {
		a.NativeRedirs = ch.native
	}
	if ch.webSet {
		a.WebRedirects = ch.web
	}
	if ch.webExtra != nil {
		w, _ := ex["web"].(obj)
		if w == nil {
			w = obj{}
		}
		merge(w, ch.webExtra)
		ex["web"] = w
	}
	if ch.spaExtra != nil {
		ex["spa"] = ch.spaExtra
	}
	if ch.rraSet {
		a.RequiredScopes, a.RequiredRoles = ch.scopes, ch.roles
		ex["@oidcScopes"], ex["@otherRRA"] = ch.oidcIDs, ch.otherRRA
	}
	for k, v := range ch.extras {
		ex[k] = v
	}
	setExtras(a, ex)
}

func (c *gc) createApplication() {
	ch, ge := c.parseAppBody(true)
	if ge != nil {
		c.fail(ge)
		return
	}
	e := c.e
	a := &App{ObjectID: newGUID(), ClientID: newGUID(), HomeTenant: c.tenant.ID, created: e.now()}
	if ch.audience == "" {
		ch.audience = "AzureADandPersonalMicrosoftAccount"
	}
	if c.tok.delegated() {
		a.Owners = []string{c.caller.ID}
		a.CreatedBy = c.caller.UPN
	} else {
		a.Owners = []string{c.tok.OID}
		a.CreatedBy = "app:" + c.app.ClientID
	}
	ch.apply(a)
	e.apps[a.ClientID] = a
	c.entity(201, "applications/$entity", c.appJSON(a))
}

func (c *gc) patchApplication() {
	a := c.application(0)
	if a == nil || !c.mayWriteApp(a) {
		return
	}
	ch, ge := c.parseAppBody(false)
	if ge != nil {
		c.fail(ge)
		return
	}
	ch.apply(a)
	c.noContent(204)
}

func (c *gc) deleteApplication() {
	a := c.application(0)
	if a == nil || !c.mayWriteApp(a) {
		return
	}
	delete(c.e.apps, a.ClientID)
	setExtras(a, nil)
	// Deleting an application also deletes its service principal in its home tenant.
	if sp := c.tenant.sps[a.ClientID]; sp != nil {
		c.deleteSP(sp)
	}
	c.noContent(204)
}

func (c *gc) addPassword() {
	a := c.application(0)
	if a == nil || !c.mayWriteApp(a) {
		return
	}
	var pc obj
	if len(strings.TrimSpace(string(c.body))) > 0 {
		body, ge := c.readObj("application", "passwordCredential")
		if ge != nil {
			c.fail(ge)
			return
		}
		if v, ok := body["passwordCredential"]; ok && v != nil {
			if pc, ok = v.(obj); !ok {
				c.fail(badValue("passwordCredential", "Application"))
				return
			}
		}
		for k := range pc {
			if !containsFold([]string{"displayName", "endDateTime", "startDateTime", "customKeyIdentifier"}, k) {
				c.fail(gerr(400, "RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.passwordCredential'. Make sure to only use property names that are defined by the type.", k))
				return
			}
		}
	}
	now := c.e.now()
	start, end := now, now.AddDate(2, 0, 0)
	if v, ok := pc["startDateTime"]; ok && v != nil {
		t, ok := parseGraphTime(v)
		if !ok {
			c.fail(badValue("startDateTime", "PasswordCredential"))
			return
		}
		start = t
		end = start.AddDate(2, 0, 0)
	}
	if v, ok := pc["endDateTime"]; ok && v != nil {
		t, ok := parseGraphTime(v)
		if !ok || !t.After(start) {
			c.fail(badValue("endDateTime", "PasswordCredential"))
			return
		}
		end = t
	}
	s, err := c.e.addSecretLocked(a, SecretSpec{End: end})
	if err != nil {
		c.fail(gerr(500, "generalException", "%s", err.Error()))
		return
	}
	s.Start = start
	s.DisplayName = str(pc, "displayName")
	c.entity(200, "microsoft.graph.passwordCredential", secretJSON(s, true))
}

func (c *gc) removePassword() {
	a := c.application(0)
	if a == nil || !c.mayWriteApp(a) {
		return
	}
	body, ge := c.readObj("application", "keyId")
	if ge != nil {
		c.fail(ge)
		return
	}
	key := strings.ToLower(str(body, "keyId"))
	if !isGUID(key) {
		c.fail(badValue("keyId", "PasswordCredential"))
		return
	}
	for i, s := range a.Secrets {
		if s.KeyID == key {
			a.Secrets = append(a.Secrets[:i:i], a.Secrets[i+1:]...)
			c.noContent(204)
			return
		}
	}
	c.fail(dirNotFound(key))
}

// --- service principals -----------------------------------------------------------------

func (c *gc) tenantSPs() []*servicePrincipal {
	out := make([]*servicePrincipal, 0, len(c.tenant.spByID))
	for _, sp := range c.tenant.spByID {
		out = append(out, sp)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].created.Equal(out[j].created) {
			return out[i].created.Before(out[j].created)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// servicePrincipal resolves the i-th parameter (object id or appId='...') or fails.
func (c *gc) servicePrincipal(i int) *servicePrincipal {
	v, byAppID := keyParam(c.param(i))
	var sp *servicePrincipal
	if byAppID {
		sp = c.tenant.sps[strings.ToLower(v)]
	} else {
		sp = c.tenant.spByID[strings.ToLower(v)]
	}
	if sp == nil {
		c.fail(dirNotFound(v))
	}
	return sp
}

// spByObjectID finds a service principal of the tenant by object id.
func (c *gc) spByObjectID(id string) *servicePrincipal {
	return c.tenant.spByID[strings.ToLower(strings.TrimSpace(id))]
}

// graphPermissionScopes is Microsoft Graph's oauth2PermissionScopes, from the official data.
func (e *Emulator) graphPermissionScopes() []any {
	var out []any
	add := func(name, display string, admin bool) {
		id, ok := e.prov.ID(name, graphdata.DelegatedWork)
		if !ok {
			return
		}
		typ := "User"
		if admin {
			typ = "Admin"
		}
		out = append(out, obj{"adminConsentDescription": display, "adminConsentDisplayName": display, "id": id,
			"isEnabled": true, "type": typ, "userConsentDescription": display, "userConsentDisplayName": display, "value": name})
	}
	for _, o := range []struct{ name, display string }{{"openid", "Sign users in"}, {"profile", "View users' basic profile"},
		{"email", "View users' email address"}, {"offline_access", "Maintain access to data you have given it access to"}} {
		add(o.name, o.display, false)
	}
	for _, n := range e.perms.Permissions(graphdata.DelegatedWork) {
		pi, _ := e.perms.Info(n, graphdata.DelegatedWork)
		add(n, firstNonEmpty(pi.AdminDisplayName, n), pi.RequiresAdminConsent)
	}
	return out
}

// graphAppRoles is Microsoft Graph's appRoles, from the official data.
func (e *Emulator) graphAppRoles() []any {
	var out []any
	for _, n := range e.perms.Permissions(graphdata.Application) {
		id, ok := e.prov.ID(n, graphdata.Application)
		if !ok {
			continue
		}
		pi, _ := e.perms.Info(n, graphdata.Application)
		d := firstNonEmpty(pi.AdminDisplayName, n)
		out = append(out, obj{"allowedMemberTypes": []any{"Application"}, "description": d, "displayName": d, "id": id,
			"isEnabled": true, "origin": "Application", "value": n})
	}
	return out
}

// spJSON is the servicePrincipal resource.
func (c *gc) spJSON(sp *servicePrincipal) obj {
	e := c.e
	a := e.appLocked(sp.AppID)
	owner, aud := c.tenant.ID, "AzureADMyOrg"
	reply := []any{}
	names := []any{sp.AppID}
	var tags []any
	switch {
	case sp.AppID == graphAppID:
		owner, aud = microsoftTenant, "AzureADMultipleOrgs"
		names = []any{graphAppID + "/ags.windows.net", graphAppID, "https://graph.microsoft.com", "https://graph.microsoft.com/",
			"https://ags.windows.net", "https://canary.graph.microsoft.com", "https://graph.microsoft.us", "https://dod-graph.microsoft.us"}
	case a != nil && a.FirstParty:
		owner, aud = microsoftTenant, "AzureADMultipleOrgs"
		reply = strsAny(a.NativeRedirs)
	case a != nil:
		owner, aud = a.HomeTenant, appAudience(a)
		reply = append(strsAny(a.WebRedirects), strsAny(a.NativeRedirs)...)
		tags = []any{"WindowsAzureActiveDirectoryIntegratedApp"}
	}
	o := obj{
		"id": sp.ID, "deletedDateTime": nil, "accountEnabled": true, "alternativeNames": []any{}, "appDisplayName": sp.DisplayName,
		"appDescription": nil, "appId": sp.AppID, "applicationTemplateId": nil, "appOwnerOrganizationId": owner,
		"appRoleAssignmentRequired": false, "createdDateTime": iso(sp.created), "description": nil,
		"disabledByMicrosoftStatus": nil, "displayName": sp.DisplayName, "homepage": nil, "loginUrl": nil, "logoutUrl": nil,
		"notes": nil, "notificationEmailAddresses": []any{}, "preferredSingleSignOnMode": nil,
		"preferredTokenSigningKeyThumbprint": nil, "replyUrls": reply, "servicePrincipalNames": names,
		"servicePrincipalType": "Application", "signInAudience": aud, "tags": orEmptyList(tags), "tokenEncryptionKeyId": nil,
		"samlSingleSignOnSettings": nil, "addIns": []any{}, "appRoles": []any{}, "keyCredentials": []any{},
		"oauth2PermissionScopes": []any{}, "passwordCredentials": []any{}, "resourceSpecificApplicationPermissions": []any{},
		"info":              obj{"logoUrl": nil, "marketingUrl": nil, "privacyStatementUrl": nil, "supportUrl": nil, "termsOfServiceUrl": nil},
		"verifiedPublisher": obj{"displayName": nil, "verifiedPublisherId": nil, "addedDateTime": nil},
	}
	if sp.AppID == graphAppID {
		o["appRoles"] = e.graphAppRoles()
		o["oauth2PermissionScopes"] = e.graphPermissionScopes()
	}
	return o
}

func (c *gc) createServicePrincipal() {
	body, ge := c.readObj("servicePrincipal", "appId", "accountEnabled", "appRoleAssignmentRequired", "tags", "notes",
		"description", "displayName")
	if ge != nil {
		c.fail(ge)
		return
	}
	appID := strings.ToLower(strings.TrimSpace(str(body, "appId")))
	a := c.e.appLocked(appID)
	if a == nil || (!a.FirstParty && !a.MultiTenant && a.HomeTenant != c.tenant.ID) {
		c.fail(gerr(400, "Request_BadRequest", "The appId '%s' of the service principal does not reference a valid application object.", str(body, "appId")))
		return
	}
	if c.tenant.sps[a.ClientID] != nil {
		c.fail(gerr(409, "Request_MultipleObjectsWithSameKeyValue", "The service principal cannot be created, updated, or restored because the service principal name %s is already in use.", a.ClientID))
		return
	}
	sp := c.e.ensureSPLocked(c.tenant, a.ClientID, a.DisplayName, true)
	c.entity(201, "servicePrincipals/$entity", c.spJSON(sp))
}

// deleteSP removes a service principal with its grants and assignments, as client and as
// resource.
func (c *gc) deleteSP(sp *servicePrincipal) {
	t := c.tenant
	c.e.deleteSPLocked(t, sp)
	t.grants = filter(t.grants, func(g *permissionGrant) bool { return g.ResourceID != sp.ID })
	t.assigns = filter(t.assigns, func(a *appRoleAssignment) bool { return a.ResourceID != sp.ID })
}

func (c *gc) deleteServicePrincipal() {
	sp := c.servicePrincipal(0)
	if sp == nil {
		return
	}
	a := c.e.appLocked(sp.AppID)
	if sp.AppID == graphAppID || (a != nil && a.FirstParty) {
		c.fail(gerr(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."))
		return
	}
	if a != nil && a.HomeTenant == c.tenant.ID {
		if !c.mayWriteApp(a) {
			return
		}
	} else if !c.requireAdmin() {
		return
	}
	c.deleteSP(sp)
	c.noContent(204)
}

// --- app role assignments ---------------------------------------------------------------

func (c *gc) assignmentJSON(a *appRoleAssignment) obj {
	var pName, rName any
	if sp := c.tenant.spByID[a.PrincipalID]; sp != nil {
		pName = sp.DisplayName
	}
	if sp := c.tenant.spByID[a.ResourceID]; sp != nil {
		rName = sp.DisplayName
	}
	return obj{"id": a.ID, "deletedDateTime": nil, "appRoleId": a.AppRoleID, "createdDateTime": iso(a.Created),
		"principalDisplayName": pName, "principalId": a.PrincipalID, "principalType": "ServicePrincipal",
		"resourceDisplayName": rName, "resourceId": a.ResourceID}
}

// listAssignments lists the assignments of the path's service principal as resource
// (appRoleAssignedTo) or as principal (appRoleAssignments).
func (c *gc) listAssignments(asResource bool) {
	sp := c.servicePrincipal(0)
	if sp == nil {
		return
	}
	var out []obj
	for _, a := range c.tenant.assigns {
		if (asResource && a.ResourceID == sp.ID) || (!asResource && a.PrincipalID == sp.ID) {
			out = append(out, c.assignmentJSON(a))
		}
	}
	rel := "appRoleAssignments"
	if asResource {
		rel = "appRoleAssignedTo"
	}
	c.dirList(out, "servicePrincipals('"+sp.ID+"')/"+rel, nil)
}

func (c *gc) createAssignment(asResource bool) {
	sp := c.servicePrincipal(0)
	if sp == nil || !c.requireAdmin() {
		return
	}
	body, ge := c.readObj("appRoleAssignment", "principalId", "resourceId", "appRoleId", "principalType",
		"principalDisplayName", "resourceDisplayName")
	if ge != nil {
		c.fail(ge)
		return
	}
	pid, rid := strings.ToLower(str(body, "principalId")), strings.ToLower(str(body, "resourceId"))
	if asResource && rid != sp.ID {
		c.fail(badValue("resourceId", "AppRoleAssignment"))
		return
	}
	if !asResource && pid != sp.ID {
		c.fail(badValue("principalId", "AppRoleAssignment"))
		return
	}
	principal, resource := c.spByObjectID(pid), c.spByObjectID(rid)
	if principal == nil {
		if c.tenant.users[pid] != nil {
			c.fail(badValue("principalId", "AppRoleAssignment"))
		} else {
			c.fail(dirNotFound(str(body, "principalId")))
		}
		return
	}
	if resource == nil {
		c.fail(dirNotFound(str(body, "resourceId")))
		return
	}
	roleID := strings.ToLower(str(body, "appRoleId"))
	name, known := c.e.prov.Name(roleID)
	got, ok := c.e.prov.ID(name, graphdata.Application)
	if resource.AppID != graphAppID || !known || !ok || !strings.EqualFold(got, roleID) {
		c.fail(gerr(400, "Request_BadRequest", "Permission being assigned was not found on application '%s'.", resource.AppID))
		return
	}
	for _, a := range c.tenant.assigns {
		if a.PrincipalID == principal.ID && a.ResourceID == resource.ID && strings.EqualFold(a.AppRoleID, roleID) {
			c.fail(gerr(400, "Request_BadRequest", "Permission being assigned already exists on the object"))
			return
		}
	}
	a := c.e.assignRoleLocked(c.tenant, principal, name, true)
	ctx := "servicePrincipals('" + sp.ID + "')/appRoleAssignments/$entity"
	if asResource {
		ctx = "servicePrincipals('" + sp.ID + "')/appRoleAssignedTo/$entity"
	}
	c.entity(201, ctx, c.assignmentJSON(a))
}

func (c *gc) deleteAssignment(asResource bool) {
	sp := c.servicePrincipal(0)
	if sp == nil || !c.requireAdmin() {
		return
	}
	id := c.param(1)
	for _, a := range c.tenant.assigns {
		if a.ID == id && ((asResource && a.ResourceID == sp.ID) || (!asResource && a.PrincipalID == sp.ID)) {
			c.tenant.assigns = filter(c.tenant.assigns, func(x *appRoleAssignment) bool { return x != a })
			c.noContent(204)
			return
		}
	}
	c.fail(dirNotFound(id))
}

// --- delegated permission grants --------------------------------------------------------

func grantJSON(g *permissionGrant) obj {
	return obj{"id": g.ID, "clientId": g.ClientID, "consentType": g.ConsentType, "principalId": nilIfEmpty(g.PrincipalID),
		"resourceId": g.ResourceID, "scope": g.Scope}
}

func (c *gc) grant(i int) *permissionGrant {
	for _, g := range c.tenant.grants {
		if g.ID == c.param(i) {
			return g
		}
	}
	c.fail(dirNotFound(c.param(i)))
	return nil
}

// grantScope validates a space-separated scope value against what the resource publishes:
// Microsoft Graph's delegated permissions and the OpenID Connect scopes; other resources
// publish none in the emulator.
func (c *gc) grantScope(v any, resource *servicePrincipal) (string, *graphErr) {
	s, ok := v.(string)
	if !ok && v != nil {
		return "", badValue("scope", "OAuth2PermissionGrant")
	}
	var out []string
	for _, name := range strings.Fields(s) {
		if resource.AppID != graphAppID {
			return "", badValue("scope", "OAuth2PermissionGrant")
		}
		if oidc[strings.ToLower(name)] {
			out = unionFold(out, []string{strings.ToLower(name)})
			continue
		}
		cn, ok := c.e.delegatedNames[strings.ToLower(name)]
		if !ok {
			return "", badValue("scope", "OAuth2PermissionGrant")
		}
		out = unionFold(out, []string{cn})
	}
	return joinScopes(out), nil
}

func (c *gc) createGrant() {
	if !c.requireAdmin() {
		return
	}
	body, ge := c.readObj("oAuth2PermissionGrant", "clientId", "consentType", "principalId", "resourceId", "scope",
		"startTime", "expiryTime")
	if ge != nil {
		c.fail(ge)
		return
	}
	client := c.spByObjectID(str(body, "clientId"))
	if client == nil {
		c.fail(badValue("clientId", "OAuth2PermissionGrant"))
		return
	}
	resource := c.spByObjectID(str(body, "resourceId"))
	if resource == nil {
		c.fail(badValue("resourceId", "OAuth2PermissionGrant"))
		return
	}
	ct := ""
	switch strings.ToLower(str(body, "consentType")) {
	case "allprincipals":
		ct = "AllPrincipals"
	case "principal":
		ct = "Principal"
	default:
		c.fail(badValue("consentType", "OAuth2PermissionGrant"))
		return
	}
	principal := strings.ToLower(str(body, "principalId"))
	if (ct == "Principal" && c.tenant.users[principal] == nil) || (ct == "AllPrincipals" && principal != "") {
		c.fail(badValue("principalId", "OAuth2PermissionGrant"))
		return
	}
	scope, ge := c.grantScope(body["scope"], resource)
	if ge != nil {
		c.fail(ge)
		return
	}
	for _, g := range c.tenant.grants {
		if g.ClientID == client.ID && g.ResourceID == resource.ID && g.ConsentType == ct && g.PrincipalID == principal {
			c.fail(gerr(409, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists."))
			return
		}
	}
	g := &permissionGrant{ID: newGrantID(), ClientID: client.ID, ConsentType: ct, PrincipalID: principal,
		ResourceID: resource.ID, Scope: scope, byClient: true}
	c.tenant.grants = append(c.tenant.grants, g)
	c.entity(201, "oauth2PermissionGrants/$entity", grantJSON(g))
}

func (c *gc) patchGrant() {
	g := c.grant(0)
	if g == nil || !c.requireAdmin() {
		return
	}
	body, ge := c.readObj("oAuth2PermissionGrant", "clientId", "consentType", "principalId", "resourceId", "scope",
		"startTime", "expiryTime")
	if ge != nil {
		c.fail(ge)
		return
	}
	cur := grantJSON(g)
	for _, k := range []string{"clientId", "consentType", "principalId", "resourceId"} {
		if v, ok := body[k]; ok && !strings.EqualFold(strings.TrimSpace(str(body, k)), str(cur, k)) && !(v == nil && cur[k] == nil) {
			c.fail(gerr(400, "Request_BadRequest", "Property '%s' is read-only and cannot be set.", k))
			return
		}
	}
	if v, ok := body["scope"]; ok {
		scope, ge := c.grantScope(v, c.tenant.spByID[g.ResourceID])
		if ge != nil {
			c.fail(ge)
			return
		}
		g.Scope = scope
	}
	c.noContent(204)
}
