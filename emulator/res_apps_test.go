package emulator

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// claimsOf decodes an access token's payload (the test trusts the emulator's signature).
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func rolesOf(m map[string]any) []string {
	var out []string
	for _, r := range listOr(m["roles"]) {
		out = append(out, r.(string))
	}
	return out
}

const (
	idUserRead    = "e1fe6dd8-ba31-4d61-89e7-88639da4683d" // User.Read (Scope)
	idMailRead    = "570282fd-fa5c-430d-a7fd-fc8dc98a9dca" // Mail.Read (Scope)
	idOpenID      = "37f7f235-527c-4136-accd-4a02d197296e" // openid (Scope)
	idUserReadAll = "df021288-bdef-4463-88db-98f22de89214" // User.Read.All (Role)
)

func (h *harness) graphSPID(t *testing.T, tok string) string {
	t.Helper()
	r := h.call(t, tok, "GET", "/v1.0/servicePrincipals?$filter="+url.QueryEscape("appId eq '"+graphAppID+"'")+"&$select=id,appRoles,oauth2PermissionScopes", nil).must(t, 200)
	if len(r.value()) != 1 {
		t.Fatalf("Graph service principal: %s", r.raw)
	}
	return r.value()[0]["id"].(string)
}

// TestAppRegistrationGrantsTakeEffect registers an app through Graph as protocol.md §5
// describes and proves the token endpoint honours what was granted: delegated scopes in scp
// of a password-grant token, an app role in roles of a client-credentials token.
func TestAppRegistrationGrantsTakeEffect(t *testing.T) {
	h := defaultHarness(t)
	admin := h.userToken(t, h.alex)

	created := h.call(t, admin, "POST", "/v1.0/applications", map[string]any{
		"displayName": "e5-keepalive", "signInAudience": "AzureADMyOrg", "isFallbackPublicClient": true,
		"publicClient": map[string]any{"redirectUris": []any{"http://localhost"}},
		"requiredResourceAccess": []any{map[string]any{"resourceAppId": graphAppID, "resourceAccess": []any{
			map[string]any{"id": idUserRead, "type": "Scope"}, map[string]any{"id": idMailRead, "type": "Scope"},
			map[string]any{"id": idOpenID, "type": "Scope"}, map[string]any{"id": idUserReadAll, "type": "Role"}}}},
	}).must(t, 201)
	objID, appID := created.body["id"].(string), created.body["appId"].(string)
	if !isGUID(objID) || !isGUID(appID) || objID == appID || created.body["isFallbackPublicClient"] != true ||
		created.body["signInAudience"] != "AzureADMyOrg" || len(created.body["passwordCredentials"].([]any)) != 0 ||
		created.body["publisherDomain"] != h.tenant.Domain {
		t.Fatalf("created application: %s", created.raw)
	}
	rra := created.body["requiredResourceAccess"].([]any)
	access := rra[0].(map[string]any)["resourceAccess"].([]any)
	if len(rra) != 1 || len(access) != 4 {
		t.Fatalf("requiredResourceAccess: %v", rra)
	}
	if h.e.Stats().LiveArtifacts[h.alex.UPN]["application"] != 1 {
		t.Fatalf("stats: %v", h.e.Stats().LiveArtifacts)
	}
	list := h.call(t, admin, "GET", "/v1.0/applications?$filter="+url.QueryEscape("appId eq '"+appID+"'"), nil).must(t, 200)
	if ids(list.value())[0] != objID || len(list.value()) != 1 {
		t.Fatalf("filter by appId: %s", list.raw)
	}
	byName := h.call(t, admin, "GET", "/v1.0/applications?$filter="+url.QueryEscape("displayName eq 'e5-keepalive'")+"&$select=id,appId", nil).must(t, 200)
	if len(byName.value()) != 1 {
		t.Fatalf("filter by displayName: %s", byName.raw)
	}
	alt := h.call(t, admin, "GET", "/v1.0/applications(appId='"+appID+"')", nil).must(t, 200)
	if alt.body["id"] != objID {
		t.Fatalf("appId form: %s", alt.raw)
	}

	// Nothing is consented yet: the new app cannot get a token.
	st, m := h.tokenResp(t, h.tenant.Domain, url.Values{"grant_type": {"password"}, "client_id": {appID},
		"username": {h.megan.UPN}, "password": {testPassword}, "scope": {"https://graph.microsoft.com/.default"}})
	if st == 200 {
		t.Fatalf("token without a service principal: %v", m)
	}

	sp := h.call(t, admin, "POST", "/v1.0/servicePrincipals", map[string]any{"appId": appID}).must(t, 201)
	spID := sp.body["id"].(string)
	if sp.body["appId"] != appID || sp.body["appOwnerOrganizationId"] != h.tenant.ID || sp.body["displayName"] != "e5-keepalive" {
		t.Fatalf("service principal: %s", sp.raw)
	}
	dup := h.call(t, admin, "POST", "/v1.0/servicePrincipals", map[string]any{"appId": appID}).must(t, 409)
	if dup.errCode() != "Request_MultipleObjectsWithSameKeyValue" {
		t.Fatalf("duplicate SP: %s", dup.raw)
	}
	graphSP := h.graphSPID(t, admin)
	gsp := h.call(t, admin, "GET", "/v1.0/servicePrincipals/"+graphSP, nil).must(t, 200)
	foundRole, foundScope := false, false
	for _, r := range gsp.body["appRoles"].([]any) {
		ro := r.(map[string]any)
		if ro["id"] == idUserReadAll && ro["value"] == "User.Read.All" && ro["isEnabled"] == true {
			foundRole = ro["allowedMemberTypes"].([]any)[0] == "Application"
		}
	}
	for _, s := range gsp.body["oauth2PermissionScopes"].([]any) {
		so := s.(map[string]any)
		if so["id"] == idUserRead && so["value"] == "User.Read" && so["type"] == "User" {
			foundScope = true
		}
		if so["value"] == "Directory.Read.All" && so["type"] != "Admin" {
			t.Fatalf("Directory.Read.All needs admin consent: %v", so)
		}
	}
	if !foundRole || !foundScope {
		t.Fatal("Graph's service principal lacks User.Read.All or User.Read")
	}

	grant := h.call(t, admin, "POST", "/v1.0/oauth2PermissionGrants", map[string]any{"clientId": spID, "consentType": "AllPrincipals",
		"resourceId": graphSP, "scope": "User.Read mail.read"}).must(t, 201)
	gid := grant.body["id"].(string)
	if grant.body["scope"] != "User.Read Mail.Read" || grant.body["principalId"] != nil || grant.body["consentType"] != "AllPrincipals" {
		t.Fatalf("grant: %s", grant.raw)
	}
	d := h.call(t, admin, "POST", "/v1.0/oauth2PermissionGrants", map[string]any{"clientId": spID, "consentType": "AllPrincipals",
		"resourceId": graphSP, "scope": "User.Read"}).must(t, 409)
	if d.errCode() != "Request_MultipleObjectsWithSameKeyValue" {
		t.Fatalf("duplicate grant: %s", d.raw)
	}
	gl := h.call(t, admin, "GET", "/v1.0/oauth2PermissionGrants?$filter="+url.QueryEscape("clientId eq '"+spID+"'"), nil).must(t, 200)
	if len(gl.value()) != 1 || gl.value()[0]["id"] != gid {
		t.Fatalf("grants of the client: %s", gl.raw)
	}
	h.call(t, admin, "GET", "/v1.0/servicePrincipals/"+spID+"/oauth2PermissionGrants", nil).must(t, 200)

	// The grant is in the next token at once.
	st, m = h.tokenResp(t, h.tenant.Domain, url.Values{"grant_type": {"password"}, "client_id": {appID},
		"username": {h.megan.UPN}, "password": {testPassword}, "scope": {"https://graph.microsoft.com/.default offline_access"}})
	if st != 200 {
		t.Fatalf("password grant for the new app: %d %v", st, m)
	}
	scp := strings.Fields(claimsOf(t, m["access_token"].(string))["scp"].(string))
	if !containsFold(scp, "User.Read") || !containsFold(scp, "Mail.Read") || containsFold(scp, "Mail.ReadWrite") {
		t.Fatalf("scp = %v", scp)
	}
	h.call(t, m["access_token"].(string), "GET", "/v1.0/me", nil).must(t, 200)

	h.call(t, admin, "PATCH", "/v1.0/oauth2PermissionGrants/"+gid, map[string]any{"scope": "User.Read"}).must(t, 204)
	st, m = h.tokenResp(t, h.tenant.Domain, url.Values{"grant_type": {"password"}, "client_id": {appID},
		"username": {h.megan.UPN}, "password": {testPassword}, "scope": {"https://graph.microsoft.com/.default"}})
	if st != 200 || containsFold(strings.Fields(claimsOf(t, m["access_token"].(string))["scp"].(string)), "Mail.Read") {
		t.Fatalf("after narrowing the grant: %d %v", st, m)
	}
	if g := h.call(t, admin, "GET", "/v1.0/oauth2PermissionGrants/"+gid, nil).must(t, 200); g.body["scope"] != "User.Read" {
		t.Fatalf("patched grant: %s", g.raw)
	}

	// Application permission: assign User.Read.All, add a secret, get an app-only token.
	asg := h.call(t, admin, "POST", "/v1.0/servicePrincipals/"+graphSP+"/appRoleAssignedTo", map[string]any{
		"principalId": spID, "resourceId": graphSP, "appRoleId": idUserReadAll}).must(t, 201)
	aid := asg.body["id"].(string)
	if asg.body["principalType"] != "ServicePrincipal" || asg.body["principalDisplayName"] != "e5-keepalive" ||
		asg.body["resourceDisplayName"] != "Microsoft Graph" || asg.body["appRoleId"] != idUserReadAll {
		t.Fatalf("assignment: %s", asg.raw)
	}
	again := h.call(t, admin, "POST", "/v1.0/servicePrincipals/"+graphSP+"/appRoleAssignedTo", map[string]any{
		"principalId": spID, "resourceId": graphSP, "appRoleId": idUserReadAll}).must(t, 400)
	if again.errCode() != "Request_BadRequest" || !strings.Contains(again.raw2(), "already exists") {
		t.Fatalf("duplicate assignment: %s", again.raw)
	}
	if got := h.call(t, admin, "GET", "/v1.0/servicePrincipals/"+spID+"/appRoleAssignments", nil).must(t, 200).value(); len(got) != 1 || got[0]["id"] != aid {
		t.Fatalf("appRoleAssignments: %v", got)
	}
	if got := ids(h.call(t, admin, "GET", "/v1.0/servicePrincipals(appId='"+graphAppID+"')/appRoleAssignedTo", nil).must(t, 200).value()); !containsFold(got, aid) {
		t.Fatalf("appRoleAssignedTo: %v", got)
	}

	before := h.clock.t
	pw := h.call(t, admin, "POST", "/v1.0/applications/"+objID+"/addPassword", map[string]any{"passwordCredential": map[string]any{"displayName": "k"}}).must(t, 200)
	secret, keyID := pw.body["secretText"].(string), pw.body["keyId"].(string)
	if len(secret) < 30 || pw.body["hint"] != secret[:3] || pw.body["displayName"] != "k" || !isGUID(keyID) ||
		pw.body["endDateTime"] != iso(before.AddDate(2, 0, 0)) || pw.body["startDateTime"] != iso(before) {
		t.Fatalf("addPassword: %s", pw.raw)
	}
	ga := h.call(t, admin, "GET", "/v1.0/applications/"+objID, nil).must(t, 200)
	creds := ga.body["passwordCredentials"].([]any)
	if len(creds) != 1 || creds[0].(map[string]any)["secretText"] != nil || creds[0].(map[string]any)["keyId"] != keyID {
		t.Fatalf("passwordCredentials must not reveal the secret: %v", creds)
	}
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {secret},
		"scope": {"https://graph.microsoft.com/.default"}}
	st, m = h.tokenResp(t, h.tenant.ID, cc)
	if st != 200 {
		t.Fatalf("client credentials: %d %v", st, m)
	}
	if roles := rolesOf(claimsOf(t, m["access_token"].(string))); len(roles) != 1 || roles[0] != "User.Read.All" {
		t.Fatalf("roles = %v", roles)
	}
	users := h.call(t, m["access_token"].(string), "GET", "/v1.0/users", nil).must(t, 200)
	if len(users.value()) != 3 {
		t.Fatalf("app-only users: %s", users.raw)
	}

	h.call(t, admin, "DELETE", "/v1.0/servicePrincipals/"+graphSP+"/appRoleAssignedTo/"+aid, nil).must(t, 204)
	h.call(t, admin, "DELETE", "/v1.0/servicePrincipals/"+graphSP+"/appRoleAssignedTo/"+aid, nil).must(t, 404)
	st, m = h.tokenResp(t, h.tenant.ID, cc)
	if st != 200 || len(rolesOf(claimsOf(t, m["access_token"].(string)))) != 0 {
		t.Fatalf("roles after removing the assignment: %d %v", st, m)
	}
	h.call(t, admin, "POST", "/v1.0/applications(appId='"+appID+"')/removePassword", map[string]any{"keyId": keyID}).must(t, 204)
	h.call(t, admin, "POST", "/v1.0/applications/"+objID+"/removePassword", map[string]any{"keyId": keyID}).must(t, 404)
	if st, _ = h.tokenResp(t, h.tenant.ID, cc); st != 401 {
		t.Fatalf("removed secret still works: %d", st)
	}

	h.call(t, admin, "DELETE", "/v1.0/oauth2PermissionGrants/"+gid, nil).must(t, 204)
	h.call(t, admin, "GET", "/v1.0/oauth2PermissionGrants/"+gid, nil).must(t, 404)
	h.call(t, admin, "DELETE", "/v1.0/applications(appId='"+appID+"')", nil).must(t, 204)
	h.call(t, admin, "GET", "/v1.0/applications/"+objID, nil).must(t, 404)
	if h.call(t, admin, "GET", "/v1.0/servicePrincipals(appId='"+appID+"')", nil).must(t, 404).errCode() != "Request_ResourceNotFound" {
		t.Fatal("the service principal outlived its application")
	}
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}
	if st, _ = h.tokenResp(t, h.tenant.Domain, url.Values{"grant_type": {"password"}, "client_id": {appID},
		"username": {h.megan.UPN}, "password": {testPassword}, "scope": {"https://graph.microsoft.com/.default"}}); st == 200 {
		t.Fatal("a deleted application still gets tokens")
	}
}

func TestAppRegistrationValidation(t *testing.T) {
	h := defaultHarness(t)
	admin := h.userToken(t, h.alex)
	cases := []struct {
		body map[string]any
		code string
	}{
		{map[string]any{"signInAudience": "AzureADMyOrg"}, "Request_BadRequest"},
		{map[string]any{"displayName": "x", "colour": "blue"}, "RequestBodyRead"},
		{map[string]any{"displayName": "x", "signInAudience": "Everyone"}, "Request_BadRequest"},
		{map[string]any{"displayName": "x", "web": map[string]any{"redirectUris": []any{"http://example.com/cb"}}}, "Request_BadRequest"},
		{map[string]any{"displayName": "x", "requiredResourceAccess": []any{map[string]any{"resourceAppId": graphAppID,
			"resourceAccess": []any{map[string]any{"id": idUserReadAll, "type": "Scope"}}}}}, "Request_BadRequest"},
		{map[string]any{"displayName": "x", "requiredResourceAccess": []any{map[string]any{"resourceAppId": graphAppID,
			"resourceAccess": []any{map[string]any{"id": newGUID(), "type": "Role"}}}}}, "Request_BadRequest"},
		{map[string]any{"displayName": "x", "requiredResourceAccess": []any{map[string]any{"resourceAppId": graphAppID,
			"resourceAccess": []any{map[string]any{"id": idUserRead, "type": "Delegated"}}}}}, "Request_BadRequest"},
		{map[string]any{"displayName": "x", "passwordCredentials": []any{map[string]any{"displayName": "k"}}}, "Request_BadRequest"},
	}
	for i, tc := range cases {
		r := h.call(t, admin, "POST", "/v1.0/applications", tc.body).must(t, 400)
		if r.errCode() != tc.code {
			t.Fatalf("case %d: %s", i, r.raw)
		}
	}
	if h.artifacts() != 0 {
		t.Fatal("a rejected application was created")
	}
	h.call(t, admin, "GET", "/v1.0/applications/"+newGUID(), nil).must(t, 404)
	h.call(t, admin, "GET", "/v1.0/servicePrincipals/"+newGUID(), nil).must(t, 404)
	sp := h.call(t, admin, "POST", "/v1.0/servicePrincipals", map[string]any{"appId": newGUID()}).must(t, 400)
	if !strings.Contains(sp.raw2(), "does not reference a valid application object") {
		t.Fatalf("SP for an unknown app: %s", sp.raw)
	}
	graphSP := h.graphSPID(t, admin)
	spn := h.call(t, admin, "GET", "/v1.0/servicePrincipals?$select=id,appId&$filter="+url.QueryEscape("servicePrincipalNames/any(x:x eq 'https://graph.microsoft.com')"), nil).must(t, 200)
	if got := ids(spn.value()); len(got) != 1 || got[0] != graphSP {
		t.Fatalf("lambda filter on servicePrincipalNames: %s", spn.raw)
	}
	cnt := h.call(t, admin, "GET", "/v1.0/servicePrincipals?$count=true&$select=id", nil, "ConsistencyLevel", "eventual").must(t, 200)
	if cnt.body["@odata.count"] != float64(4) {
		t.Fatalf("service principals: Graph, two first-party clients and the test app: %s", cnt.raw)
	}
	g := h.call(t, admin, "DELETE", "/v1.0/servicePrincipals/"+graphSP, nil).must(t, 403)
	if g.errCode() != "Authorization_RequestDenied" {
		t.Fatalf("deleting Graph's SP: %s", g.raw)
	}
	own := h.call(t, admin, "GET", "/v1.0/servicePrincipals(appId='"+h.app.ClientID+"')", nil).must(t, 200).body["id"].(string)
	for i, body := range []map[string]any{
		{"clientId": own, "consentType": "AllPrincipals", "resourceId": graphSP, "scope": "User.Read Not.A.Scope"},
		{"clientId": own, "consentType": "Principal", "resourceId": graphSP, "scope": "User.Read"},
		{"clientId": own, "consentType": "AllPrincipals", "principalId": h.megan.ID, "resourceId": graphSP, "scope": "User.Read"},
		{"clientId": own, "consentType": "Everyone", "resourceId": graphSP, "scope": "User.Read"},
		{"clientId": newGUID(), "consentType": "AllPrincipals", "resourceId": graphSP, "scope": "User.Read"},
		{"clientId": graphSP, "consentType": "AllPrincipals", "resourceId": own, "scope": "User.Read"},
	} {
		r := h.call(t, admin, "POST", "/v1.0/oauth2PermissionGrants", body).must(t, 400)
		if r.errCode() != "Request_BadRequest" {
			t.Fatalf("grant case %d: %s", i, r.raw)
		}
	}
	// A per-user grant for megan adds to what she consented; removing it restores the list.
	pg := h.call(t, admin, "POST", "/v1.0/oauth2PermissionGrants", map[string]any{"clientId": own, "consentType": "Principal",
		"principalId": h.megan.ID, "resourceId": graphSP, "scope": "openid Tasks.Read"}).must(t, 201)
	if pg.body["principalId"] != h.megan.ID || pg.body["scope"] != "openid Tasks.Read" {
		t.Fatalf("principal grant: %s", pg.raw)
	}
	h.call(t, admin, "PATCH", "/v1.0/oauth2PermissionGrants/"+pg.body["id"].(string), map[string]any{"scope": "Bogus.Scope"}).must(t, 400)
	h.call(t, admin, "PATCH", "/v1.0/oauth2PermissionGrants/"+pg.body["id"].(string), map[string]any{"clientId": graphSP}).must(t, 400)
	h.call(t, admin, "DELETE", "/v1.0/oauth2PermissionGrants/"+pg.body["id"].(string), nil).must(t, 204)
	bad := h.call(t, admin, "POST", "/v1.0/servicePrincipals/"+graphSP+"/appRoleAssignedTo", map[string]any{
		"principalId": own, "resourceId": graphSP, "appRoleId": idUserRead}).must(t, 400)
	if !strings.Contains(bad.raw2(), "Permission being assigned was not found") {
		t.Fatalf("delegated id as app role: %s", bad.raw)
	}
	h.call(t, admin, "POST", "/v1.0/servicePrincipals/"+graphSP+"/appRoleAssignedTo", map[string]any{
		"principalId": own, "resourceId": own, "appRoleId": idUserReadAll}).must(t, 400)
	h.call(t, admin, "POST", "/v1.0/servicePrincipals/"+graphSP+"/appRoleAssignedTo", map[string]any{
		"principalId": newGUID(), "resourceId": graphSP, "appRoleId": idUserReadAll}).must(t, 404)
}

// TestAppRegistrationNonAdmin: users may register and manage their own applications but
// need an administrator role to consent or assign app roles, and cannot touch other
// people's applications.
func TestAppRegistrationNonAdmin(t *testing.T) {
	h := defaultHarness(t)
	mt := h.userToken(t, h.megan)
	admin := h.userToken(t, h.alex)
	graphSP := h.graphSPID(t, mt)
	own := h.call(t, mt, "GET", "/v1.0/servicePrincipals(appId='"+h.app.ClientID+"')", nil).must(t, 200).body["id"].(string)
	for _, r := range []gresp{
		h.call(t, mt, "POST", "/v1.0/oauth2PermissionGrants", map[string]any{"clientId": own, "consentType": "AllPrincipals", "resourceId": graphSP, "scope": "User.Read"}),
		h.call(t, mt, "POST", "/v1.0/servicePrincipals/"+graphSP+"/appRoleAssignedTo", map[string]any{"principalId": own, "resourceId": graphSP, "appRoleId": idUserReadAll}),
		h.call(t, mt, "PATCH", "/v1.0/applications/"+h.app.ObjectID, map[string]any{"displayName": "hijacked"}),
		h.call(t, mt, "POST", "/v1.0/applications/"+h.app.ObjectID+"/addPassword", nil),
		h.call(t, mt, "DELETE", "/v1.0/servicePrincipals/"+own, nil),
	} {
		r.must(t, 403)
		if r.errCode() != "Authorization_RequestDenied" || !strings.Contains(r.raw2(), "Insufficient privileges") {
			t.Fatalf("non-admin: %s", r.raw)
		}
	}
	grants := h.call(t, admin, "GET", "/v1.0/oauth2PermissionGrants", nil).must(t, 200)
	if len(grants.value()) != 1 {
		t.Fatalf("a forbidden grant was created: %s", grants.raw)
	}

	app := h.call(t, mt, "POST", "/v1.0/applications", map[string]any{"displayName": "megan's app", "tags": []any{"e5"},
		"web": map[string]any{"redirectUris": []any{"https://localhost:8443/cb"}, "implicitGrantSettings": map[string]any{"enableIdTokenIssuance": true}}}).must(t, 201)
	id := app.body["id"].(string)
	if app.body["signInAudience"] != "AzureADandPersonalMicrosoftAccount" || app.body["isFallbackPublicClient"] != nil ||
		app.body["api"].(map[string]any)["requestedAccessTokenVersion"] != float64(2) {
		t.Fatalf("defaults: %s", app.raw)
	}
	if h.e.Stats().LiveArtifacts[h.megan.UPN]["application"] != 1 {
		t.Fatalf("stats: %v", h.e.Stats().LiveArtifacts)
	}
	h.call(t, mt, "PATCH", "/v1.0/applications/"+id, map[string]any{"displayName": "renamed", "isFallbackPublicClient": true,
		"signInAudience": "AzureADMyOrg", "notes": "n"}).must(t, 204)
	got := h.call(t, mt, "GET", "/v1.0/applications/"+id, nil).must(t, 200)
	web := got.body["web"].(map[string]any)
	if got.body["displayName"] != "renamed" || got.body["isFallbackPublicClient"] != true || got.body["notes"] != "n" ||
		got.body["tags"].([]any)[0] != "e5" || web["redirectUris"].([]any)[0] != "https://localhost:8443/cb" ||
		web["implicitGrantSettings"].(map[string]any)["enableIdTokenIssuance"] != true || got.body["signInAudience"] != "AzureADMyOrg" {
		t.Fatalf("after PATCH: %s", got.raw)
	}
	h.call(t, mt, "PATCH", "/v1.0/applications/"+id, map[string]any{"displayName": ""}).must(t, 400)
	sp := h.call(t, mt, "POST", "/v1.0/servicePrincipals", map[string]any{"appId": app.body["appId"]}).must(t, 201)
	h.call(t, mt, "DELETE", "/v1.0/servicePrincipals/"+sp.body["id"].(string), nil).must(t, 204)
	h.call(t, mt, "DELETE", "/v1.0/applications/"+id, nil).must(t, 204)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}
}

// TestAppRegistrationAppOnly: an application with Application.ReadWrite.OwnedBy manages
// only the applications it created; Application.ReadWrite.All manages any.
func TestAppRegistrationAppOnly(t *testing.T) {
	h := newHarness(t, Options{}, []string{"User.Read"}, []string{"Application.ReadWrite.OwnedBy", "Application.Read.All"})
	tok := h.appToken(t)
	lst := h.call(t, tok, "GET", "/v1.0/applications", nil).must(t, 200)
	if got := ids(lst.value()); len(got) != 1 || got[0] != h.app.ObjectID {
		t.Fatalf("applications: %v", got)
	}
	h.call(t, tok, "PATCH", "/v1.0/applications/"+h.app.ObjectID, map[string]any{"notes": "x"}).must(t, 403)
	a := h.call(t, tok, "POST", "/v1.0/applications", map[string]any{"displayName": "child"}).must(t, 201)
	h.call(t, tok, "PATCH", "/v1.0/applications/"+a.body["id"].(string), map[string]any{"notes": "mine"}).must(t, 204)
	pw := h.call(t, tok, "POST", "/v1.0/applications/"+a.body["id"].(string)+"/addPassword", map[string]any{
		"passwordCredential": map[string]any{"endDateTime": h.clock.t.Add(30 * 24 * time.Hour).Format(time.RFC3339)}}).must(t, 200)
	if pw.body["endDateTime"] != iso(h.clock.t.Add(30*24*time.Hour)) {
		t.Fatalf("custom end: %s", pw.raw)
	}
	h.call(t, tok, "POST", "/v1.0/applications/"+a.body["id"].(string)+"/addPassword", map[string]any{
		"passwordCredential": map[string]any{"endDateTime": "2000-01-01T00:00:00Z"}}).must(t, 400)
	if h.artifacts() != 1 {
		t.Fatalf("live artifacts = %d", h.artifacts())
	}
	h.call(t, tok, "DELETE", "/v1.0/applications/"+a.body["id"].(string), nil).must(t, 204)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}
	// Application.ReadWrite.OwnedBy does not reach grants.
	h.call(t, tok, "GET", "/v1.0/oauth2PermissionGrants", nil).must(t, 403)
}

// bootstrapToken signs a user in with the device code flow through a Microsoft first-party
// public client asking for /.default, as app registration tooling does (protocol.md §5.1).
func (h *harness) bootstrapToken(t *testing.T, clientID string, u *User) string {
	t.Helper()
	dc := h.deviceCode(t, "organizations", clientID, "https://graph.microsoft.com/.default offline_access openid profile")
	if err := h.e.ApproveDeviceCode(dc["user_code"].(string), u.UPN, testPassword); err != nil {
		t.Fatal(err)
	}
	st, m := h.pollDevice(t, "organizations", clientID, dc["device_code"].(string))
	if st != 200 {
		t.Fatalf("device code sign-in with %s: %d %v", clientID, st, m)
	}
	return m["access_token"].(string)
}

// TestAppRegistrationBootstrapClients: the Azure CLI's token carries its pre-authorised
// Graph set for any user (scp), Global Administrators also the role (wids); Graph decides
// with the permission table and the directory role. The Graph Command Line Tools' token
// holds only User.Read until someone consents, so app registration calls answer 403 with
// Graph's error JSON. transitiveMemberOf tells a client the user's directory roles with the
// Azure CLI's User.Read.All, which memberOf does not accept.
func TestAppRegistrationBootstrapClients(t *testing.T) {
	const azureCLI, graphCLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "14d82eec-204b-4c2f-b7e8-296a70dab67e"
	h := newHarness(t, Options{}, []string{"User.Read"}, nil)
	admin := h.bootstrapToken(t, azureCLI, h.alex)
	c := claimsOf(t, admin)
	scp := strings.Fields(c["scp"].(string))
	for _, s := range []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "User.Read.All"} {
		if !containsFold(scp, s) {
			t.Fatalf("Azure CLI scp lacks %s: %v", s, scp)
		}
	}
	if containsFold(scp, "Mail.Read") || c["appid"] != azureCLI {
		t.Fatalf("Azure CLI token: %v", c)
	}
	if w := listOr(c["wids"]); len(w) != 1 || w[0] != globalAdminTemplate {
		t.Fatalf("wids of a global administrator: %v", c["wids"])
	}
	h.call(t, admin, "GET", "/v1.0/me/memberOf", nil).must(t, 403)
	roles := func(tok string) []string {
		var out []string
		for _, o := range h.call(t, tok, "GET", "/v1.0/me/transitiveMemberOf", nil).must(t, 200).value() {
			if o["@odata.type"] == "#microsoft.graph.directoryRole" {
				out = append(out, o["roleTemplateId"].(string))
			}
		}
		return out
	}
	if r := roles(admin); len(r) != 1 || r[0] != globalAdminTemplate {
		t.Fatalf("admin's roles: %v", r)
	}
	graphSP := h.graphSPID(t, admin)
	app := h.call(t, admin, "POST", "/v1.0/applications", map[string]any{"displayName": "bootstrap"}).must(t, 201)
	sp := h.call(t, admin, "POST", "/v1.0/servicePrincipals", map[string]any{"appId": app.body["appId"]}).must(t, 201)
	spID := sp.body["id"].(string)

	// A user who is not an administrator gets the same scp but no role: Graph refuses consent.
	user := h.bootstrapToken(t, azureCLI, h.megan)
	if uc := claimsOf(t, user); uc["scp"] != c["scp"] || uc["wids"] != nil {
		t.Fatalf("non-admin Azure CLI token: %v", uc)
	}
	if r := roles(user); len(r) != 0 {
		t.Fatalf("megan's roles: %v", r)
	}
	for _, r := range []gresp{
		h.call(t, user, "POST", "/v1.0/oauth2PermissionGrants", map[string]any{"clientId": spID, "consentType": "AllPrincipals", "resourceId": graphSP, "scope": "User.Read"}),
		h.call(t, user, "POST", "/v1.0/servicePrincipals/"+graphSP+"/appRoleAssignedTo", map[string]any{"principalId": spID, "resourceId": graphSP, "appRoleId": idUserReadAll}),
	} {
		if r.must(t, 403).errCode() != "Authorization_RequestDenied" {
			t.Fatalf("non-admin consent: %s", r.raw)
		}
	}

	// The Graph Command Line Tools hold User.Read only: no app registration call passes.
	weak := h.bootstrapToken(t, graphCLI, h.alex)
	if s := claimsOf(t, weak)["scp"]; s != "User.Read openid profile" {
		t.Fatalf("Graph CLI scp: %v", s)
	}
	for _, r := range []gresp{
		h.call(t, weak, "GET", "/v1.0/applications", nil),
		h.call(t, weak, "POST", "/v1.0/applications", map[string]any{"displayName": "x"}),
		h.call(t, weak, "GET", "/v1.0/servicePrincipals?$filter="+url.QueryEscape("appId eq '"+graphAppID+"'"), nil),
		h.call(t, weak, "POST", "/v1.0/oauth2PermissionGrants", map[string]any{"clientId": spID, "consentType": "AllPrincipals", "resourceId": graphSP, "scope": "User.Read"}),
	} {
		r.must(t, 403)
		inner, _ := r.body["error"].(map[string]any)["innerError"].(map[string]any)
		if r.errCode() != "Authorization_RequestDenied" || inner["request-id"] == nil || inner["date"] == nil {
			t.Fatalf("missing scope: %s", r.raw)
		}
	}
	if r := roles(weak); len(r) != 1 {
		t.Fatalf("transitiveMemberOf with User.Read: %v", r)
	}
}
