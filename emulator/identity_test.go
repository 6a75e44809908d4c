package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// checkAAD asserts the shape of an identity platform error (protocol.md §1.4).
func checkAAD(t *testing.T, status int, m map[string]any, wantStatus int, wantError string, wantCode int) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d: %v", status, wantStatus, m)
	}
	if m["error"] != wantError {
		t.Fatalf("error %v, want %s: %v", m["error"], wantError, m)
	}
	codes, _ := m["error_codes"].([]any)
	if len(codes) != 1 || int(codes[0].(float64)) != wantCode {
		t.Fatalf("error_codes %v, want [%d]", m["error_codes"], wantCode)
	}
	desc, _ := m["error_description"].(string)
	prefix := "AADSTS" + itoa(wantCode) + ": "
	if !strings.HasPrefix(desc, prefix) || !strings.Contains(desc, "\r\nTrace ID: ") || !strings.Contains(desc, "\r\nCorrelation ID: ") || !strings.Contains(desc, "\r\nTimestamp: ") {
		t.Fatalf("error_description %q is not in the AADSTS format", desc)
	}
	for _, k := range []string{"timestamp", "trace_id", "correlation_id", "error_uri"} {
		if s, _ := m[k].(string); s == "" {
			t.Fatalf("missing %s in %v", k, m)
		}
	}
	if !strings.HasSuffix(m["error_uri"].(string), "error?code="+itoa(wantCode)) {
		t.Fatalf("error_uri %v", m["error_uri"])
	}
}

func (h *harness) password(t *testing.T, tenant, upn, pw, scope string) (int, map[string]any) {
	return h.tokenResp(t, tenant, url.Values{"grant_type": {"password"}, "client_id": {h.app.ClientID}, "username": {upn}, "password": {pw}, "scope": {scope}})
}

func (h *harness) refresh(t *testing.T, rt string) (int, map[string]any) {
	return h.tokenResp(t, h.tenant.Domain, url.Values{"grant_type": {"refresh_token"}, "client_id": {h.app.ClientID}, "refresh_token": {rt}})
}

func decodeJWT(t *testing.T, tok string) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	var hdr, body map[string]any
	for i, dst := range []*map[string]any{&hdr, &body} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("part %d is not base64url: %v", i, err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return hdr, body
}

func TestAccessTokenClaimsAndLifetime(t *testing.T) {
	h := defaultHarness(t)
	seen := map[float64]bool{}
	for i := 0; i < 20; i++ {
		st, m := h.password(t, h.tenant.Domain, h.alex.UPN, testPassword, "User.Read Mail.Read offline_access openid profile")
		if st != 200 {
			t.Fatalf("%d %v", st, m)
		}
		exp := m["expires_in"].(float64)
		if exp < 3600 || exp >= 5400 {
			t.Fatalf("expires_in %v outside 60-90 minutes", exp)
		}
		seen[exp] = true
		if i == 0 {
			if m["token_type"] != "Bearer" || m["refresh_token"] == nil || m["id_token"] == nil || m["ext_expires_in"] == nil {
				t.Fatalf("delegated response fields: %v", m)
			}
			if !strings.Contains(m["scope"].(string), "Mail.Read") {
				t.Fatalf("scope %v", m["scope"])
			}
			hdr, c := decodeJWT(t, m["access_token"].(string))
			if hdr["alg"] != "RS256" || hdr["typ"] != "JWT" || hdr["kid"] == nil {
				t.Fatalf("header %v", hdr)
			}
			for _, k := range []string{"aud", "iss", "tid", "oid", "upn", "scp", "exp", "iat", "nbf", "appid", "uti", "ver"} {
				if c[k] == nil {
					t.Errorf("claim %s missing: %v", k, c)
				}
			}
			if c["tid"] != h.tenant.ID || c["oid"] != h.alex.ID || c["upn"] != h.alex.UPN || c["aud"] != "https://graph.microsoft.com" {
				t.Errorf("claims %v", c)
			}
			if int64(c["exp"].(float64))-int64(c["iat"].(float64)) != int64(exp) {
				t.Errorf("exp-iat %v != expires_in %v", c["exp"].(float64)-c["iat"].(float64), exp)
			}
		}
	}
	if len(seen) < 5 {
		t.Fatalf("lifetimes are not random: %v", seen)
	}
	app := h.appToken(t)
	_, c := decodeJWT(t, app)
	if c["scp"] != nil || len(c["roles"].([]any)) == 0 || c["idtyp"] != "app" {
		t.Fatalf("app token claims %v", c)
	}
}

func TestRefreshTokenRotationKeepsOldValid(t *testing.T) {
	h := defaultHarness(t)
	_, m := h.password(t, h.tenant.Domain, h.alex.UPN, testPassword, "Mail.Read offline_access")
	rt1 := m["refresh_token"].(string)
	st, m2 := h.refresh(t, rt1)
	if st != 200 {
		t.Fatalf("%d %v", st, m2)
	}
	rt2 := m2["refresh_token"].(string)
	if rt2 == "" || rt2 == rt1 {
		t.Fatal("refresh did not rotate the refresh token")
	}
	h.call(t, m2["access_token"].(string), "GET", "/v1.0/me/messages?$top=1", nil).must(t, 200)
	if st, m := h.refresh(t, rt1); st != 200 {
		t.Fatalf("the used refresh token must stay valid (as in reality): %d %v", st, m)
	}
	if st, _ := h.refresh(t, rt2); st != 200 {
		t.Fatal("the rotated token is not valid")
	}
}

func TestStrictRotationInvalidatesSupersededTokens(t *testing.T) {
	h := newHarness(t, Options{StrictRotation: true}, allScopes, allRoles)
	_, m := h.password(t, h.tenant.Domain, h.alex.UPN, testPassword, "Mail.Read offline_access")
	rt1 := m["refresh_token"].(string)
	_, m2 := h.refresh(t, rt1)
	rt2 := m2["refresh_token"].(string)
	// Not yet used: a client that crashed before persisting may still use rt1.
	if st, _ := h.refresh(t, rt1); st != 200 {
		t.Fatal("rt1 refused before its successor was used")
	}
	// Using the access token that came with rt2 proves the client holds rt2.
	h.call(t, m2["access_token"].(string), "GET", "/v1.0/me/messages?$top=1", nil).must(t, 200)
	st, m3 := h.refresh(t, rt1)
	checkAAD(t, st, m3, 400, "invalid_grant", 70000)
	// Redeeming rt2 also retires rt1's other successor chain head.
	_, m4 := h.refresh(t, rt2)
	rt3 := m4["refresh_token"].(string)
	if st, m := h.refresh(t, rt3); st != 200 {
		t.Fatalf("rt3: %d %v", st, m)
	}
	st, m5 := h.refresh(t, rt2)
	checkAAD(t, st, m5, 400, "invalid_grant", 70000)
}

func TestRefreshTokenInactivityAndRevocation(t *testing.T) {
	h := defaultHarness(t)
	_, m := h.password(t, h.tenant.Domain, h.alex.UPN, testPassword, "Mail.Read offline_access")
	rt := m["refresh_token"].(string)
	h.clock.advance(89 * 24 * time.Hour)
	st, m2 := h.refresh(t, rt)
	if st != 200 {
		t.Fatalf("day 89: %d %v", st, m2)
	}
	fresh := m2["refresh_token"].(string)
	h.clock.advance(2 * 24 * time.Hour)
	st, m3 := h.refresh(t, rt)
	checkAAD(t, st, m3, 400, "invalid_grant", 700082)
	if !strings.Contains(m3["error_description"].(string), "inactive for 90.00:00:00") {
		t.Fatalf("700082 text: %v", m3["error_description"])
	}
	if st, _ := h.refresh(t, fresh); st != 200 {
		t.Fatal("a token used within 90 days must keep the chain alive")
	}
	if err := h.e.RevokeSessions(h.tenant.ID, h.alex.UPN); err != nil {
		t.Fatal(err)
	}
	h.clock.advance(time.Second)
	st, m4 := h.refresh(t, fresh)
	checkAAD(t, st, m4, 400, "invalid_grant", 50173)
	st, m5 := h.refresh(t, "not-a-token")
	checkAAD(t, st, m5, 400, "invalid_grant", 9002313)
}

func TestPasswordGrantErrors(t *testing.T) {
	h := defaultHarness(t)
	mfa, _ := h.e.AddUser(h.tenant.ID, UserSpec{UPN: "mfa.user", Password: testPassword, MFA: true})
	dis, _ := h.e.AddUser(h.tenant.ID, UserSpec{UPN: "gone", Password: testPassword, Disabled: true})
	exp, _ := h.e.AddUser(h.tenant.ID, UserSpec{UPN: "old", Password: testPassword, PasswordExpired: true})

	st, m := h.password(t, h.tenant.Domain, h.alex.UPN, "wrong", "User.Read")
	checkAAD(t, st, m, 400, "invalid_grant", 50126)
	st, m = h.password(t, h.tenant.Domain, mfa.UPN, testPassword, "User.Read")
	checkAAD(t, st, m, 400, "invalid_grant", 50076)
	if m["suberror"] != "basic_action" {
		t.Fatalf("50076 suberror %v", m["suberror"])
	}
	st, m = h.password(t, h.tenant.Domain, dis.UPN, testPassword, "User.Read")
	checkAAD(t, st, m, 400, "invalid_grant", 50057)
	st, m = h.password(t, h.tenant.Domain, exp.UPN, testPassword, "User.Read")
	checkAAD(t, st, m, 400, "invalid_grant", 50055)
	st, m = h.password(t, h.tenant.Domain, "nobody@contoso.onmicrosoft.com", testPassword, "User.Read")
	checkAAD(t, st, m, 400, "invalid_grant", 50034)
	st, m = h.password(t, "common", h.alex.UPN, testPassword, "User.Read")
	checkAAD(t, st, m, 400, "invalid_request", 9001023)
	st, m = h.password(t, "consumers", h.alex.UPN, testPassword, "User.Read")
	checkAAD(t, st, m, 400, "invalid_request", 9001023)
	if st, m := h.password(t, "organizations", h.alex.UPN, testPassword, "User.Read"); st != 200 {
		t.Fatalf("organizations: %d %v", st, m)
	}
	st, m = h.password(t, "nosuch.onmicrosoft.com", h.alex.UPN, testPassword, "User.Read")
	checkAAD(t, st, m, 400, "invalid_request", 90002)
	st, m = h.password(t, h.tenant.Domain, h.alex.UPN, testPassword, "Nonsense.Scope")
	checkAAD(t, st, m, 400, "invalid_scope", 70011)
	st, m = h.password(t, h.tenant.Domain, h.alex.UPN, testPassword, "https://outlook.office.com/Mail.Read")
	checkAAD(t, st, m, 400, "invalid_resource", 500011)
}

func TestSmartLockout(t *testing.T) {
	h := newHarness(t, Options{LockoutThreshold: 3, LockoutDuration: 15 * time.Minute}, allScopes, nil)
	for i := 0; i < 2; i++ {
		st, m := h.password(t, h.tenant.Domain, h.megan.UPN, "bad", "User.Read")
		checkAAD(t, st, m, 400, "invalid_grant", 50126)
	}
	st, m := h.password(t, h.tenant.Domain, h.megan.UPN, "bad", "User.Read")
	checkAAD(t, st, m, 400, "invalid_grant", 50053)
	st, m = h.password(t, h.tenant.Domain, h.megan.UPN, testPassword, "User.Read")
	checkAAD(t, st, m, 400, "invalid_grant", 50053)
	if !h.e.Locked(h.tenant.ID, h.megan.UPN) {
		t.Fatal("Locked() = false")
	}
	h.clock.advance(16 * time.Minute)
	if st, m := h.password(t, h.tenant.Domain, h.megan.UPN, testPassword, "User.Read"); st != 200 {
		t.Fatalf("after the lockout: %d %v", st, m)
	}
}

func TestConsentMissing(t *testing.T) {
	h := newHarness(t, Options{}, []string{"User.Read"}, nil)
	st, m := h.password(t, h.tenant.Domain, h.alex.UPN, testPassword, "User.Read Calendars.Read")
	checkAAD(t, st, m, 400, "invalid_grant", 65001)
	if m["suberror"] != "consent_required" {
		t.Fatalf("65001 suberror %v", m["suberror"])
	}
	_, ok := h.password(t, h.tenant.Domain, h.alex.UPN, testPassword, "User.Read offline_access")
	rt := ok["refresh_token"].(string)
	if err := h.e.RevokeConsent(h.tenant.ID, h.app.ClientID); err != nil {
		t.Fatal(err)
	}
	st, m = h.refresh(t, rt)
	checkAAD(t, st, m, 400, "invalid_grant", 65001)
}

func TestClientAuthentication(t *testing.T) {
	h := defaultHarness(t)
	cc := func(tenant, secret string) (int, map[string]any) {
		f := url.Values{"grant_type": {"client_credentials"}, "client_id": {h.app.ClientID}, "scope": {"https://graph.microsoft.com/.default"}}
		if secret != "" {
			f.Set("client_secret", secret)
		}
		return h.tokenResp(t, tenant, f)
	}
	if st, m := cc(h.tenant.ID, h.secret); st != 200 || m["refresh_token"] != nil || m["access_token"] == nil {
		t.Fatalf("client credentials: %d %v", st, m)
	}
	st, m := cc(h.tenant.ID, h.app.Secrets[0].KeyID) // the secret's ID instead of its value
	checkAAD(t, st, m, 401, "invalid_client", 7000215)
	st, m = cc(h.tenant.ID, "")
	checkAAD(t, st, m, 401, "invalid_client", 7000218)
	st, m = cc("common", h.secret)
	checkAAD(t, st, m, 400, "invalid_request", 50059)
	st, m = h.tokenResp(t, h.tenant.ID, url.Values{"grant_type": {"client_credentials"}, "client_id": {h.app.ClientID}, "client_secret": {h.secret}, "scope": {"User.Read"}})
	checkAAD(t, st, m, 400, "invalid_scope", 1002012)
	// HTTP Basic authentication works too.
	req, _ := http.NewRequest("POST", h.srv.URL+"/"+h.tenant.ID+"/oauth2/v2.0/token", strings.NewReader("grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(h.app.ClientID), url.QueryEscape(h.secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("basic auth: %v %v", err, resp.Status)
	}
	resp.Body.Close()

	if err := h.e.ExpireSecrets(h.app.ClientID); err != nil {
		t.Fatal(err)
	}
	st, m = cc(h.tenant.ID, h.secret)
	checkAAD(t, st, m, 401, "invalid_client", 7000222)

	other, _ := h.e.AddTenant(TenantSpec{Domain: "fabrikam.onmicrosoft.com"})
	st, m = cc(other.ID, h.secret)
	checkAAD(t, st, m, 400, "unauthorized_client", 700016)
	st, m = h.tokenResp(t, h.tenant.ID, url.Values{"grant_type": {"nonsense"}, "client_id": {h.app.ClientID}})
	checkAAD(t, st, m, 400, "unsupported_grant_type", 70003)
	st, m = h.tokenResp(t, h.tenant.ID, url.Values{"grant_type": {"password"}})
	checkAAD(t, st, m, 400, "invalid_request", 900144)

	// A public client must not send a secret; a confidential one must.
	pub, _ := h.e.AddApp(h.tenant.ID, AppSpec{PublicClient: true, Scopes: []string{"User.Read"}})
	st, m = h.tokenResp(t, h.tenant.Domain, url.Values{"grant_type": {"password"}, "client_id": {pub.ClientID}, "client_secret": {"x"},
		"username": {h.alex.UPN}, "password": {testPassword}, "scope": {"User.Read"}})
	checkAAD(t, st, m, 401, "invalid_client", 700025)
	conf, _ := h.e.AddApp(h.tenant.ID, AppSpec{Scopes: []string{"User.Read"}, Secrets: []SecretSpec{{Value: "v"}}})
	st, m = h.tokenResp(t, h.tenant.Domain, url.Values{"grant_type": {"password"}, "client_id": {conf.ClientID},
		"username": {h.alex.UPN}, "password": {testPassword}, "scope": {"User.Read"}})
	checkAAD(t, st, m, 401, "invalid_client", 7000218)
}

func TestTokenEndpointRejectsGET(t *testing.T) {
	h := defaultHarness(t)
	resp, err := http.Get(h.srv.URL + "/" + h.tenant.ID + "/oauth2/v2.0/token")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	checkAAD(t, resp.StatusCode, m, 400, "invalid_request", 900561)
}

func (h *harness) deviceCode(t *testing.T, tenant, clientID, scope string) map[string]any {
	t.Helper()
	resp, err := http.PostForm(h.srv.URL+"/"+tenant+"/oauth2/v2.0/devicecode", url.Values{"client_id": {clientID}, "scope": {scope}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	if resp.StatusCode != 200 {
		t.Fatalf("devicecode: %d %v", resp.StatusCode, m)
	}
	return m
}

func (h *harness) pollDevice(t *testing.T, tenant, clientID, code string) (int, map[string]any) {
	return h.tokenResp(t, tenant, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {clientID}, "device_code": {code}})
}

func TestDeviceCodeFlow(t *testing.T) {
	h := defaultHarness(t)
	dc := h.deviceCode(t, "organizations", h.app.ClientID, "User.Read Mail.Read offline_access")
	for _, k := range []string{"device_code", "user_code", "verification_uri", "expires_in", "interval", "message"} {
		if dc[k] == nil {
			t.Fatalf("devicecode response lacks %s: %v", k, dc)
		}
	}
	if dc["verification_uri_complete"] != nil || dc["expires_in"].(float64) != 900 || dc["interval"].(float64) != 5 {
		t.Fatalf("devicecode response: %v", dc)
	}
	code := dc["device_code"].(string)
	st, m := h.pollDevice(t, "organizations", h.app.ClientID, code)
	checkAAD(t, st, m, 400, "authorization_pending", 70016)
	b := &Browser{UPN: h.megan.UPN, Password: testPassword}
	if err := b.EnterDeviceCode(dc["verification_uri"].(string), dc["user_code"].(string)); err != nil {
		t.Fatal(err)
	}
	st, m = h.pollDevice(t, "organizations", h.app.ClientID, code)
	if st != 200 || m["refresh_token"] == nil {
		t.Fatalf("after sign-in: %d %v", st, m)
	}
	_, c := decodeJWT(t, m["access_token"].(string))
	if c["upn"] != h.megan.UPN {
		t.Fatalf("token for %v", c["upn"])
	}
	st, m = h.pollDevice(t, "organizations", h.app.ClientID, code)
	checkAAD(t, st, m, 400, "invalid_grant", 90120)
	st, m = h.pollDevice(t, "organizations", h.app.ClientID, "bogus")
	checkAAD(t, st, m, 400, "bad_verification_code", 70018)

	dc2 := h.deviceCode(t, h.tenant.Domain, h.app.ClientID, "User.Read")
	if err := h.e.DeclineDeviceCode(dc2["user_code"].(string)); err != nil {
		t.Fatal(err)
	}
	st, m = h.pollDevice(t, h.tenant.Domain, h.app.ClientID, dc2["device_code"].(string))
	checkAAD(t, st, m, 400, "authorization_declined", 70000)

	dc3 := h.deviceCode(t, h.tenant.Domain, h.app.ClientID, "User.Read")
	h.clock.advance(16 * time.Minute)
	st, m = h.pollDevice(t, h.tenant.Domain, h.app.ClientID, dc3["device_code"].(string))
	checkAAD(t, st, m, 400, "expired_token", 70020)
}

func TestDeviceCodeSlowDownAndPublicClientRequirement(t *testing.T) {
	h := newHarness(t, Options{DeviceSlowDown: true}, allScopes, nil)
	dc := h.deviceCode(t, h.tenant.ID, h.app.ClientID, "User.Read")
	code := dc["device_code"].(string)
	st, m := h.pollDevice(t, h.tenant.ID, h.app.ClientID, code)
	checkAAD(t, st, m, 400, "authorization_pending", 70016)
	st, m = h.pollDevice(t, h.tenant.ID, h.app.ClientID, code) // immediately again
	if st != 400 || m["error"] != "slow_down" {
		t.Fatalf("fast poll: %d %v", st, m)
	}
	h.clock.advance(11 * time.Second)
	st, m = h.pollDevice(t, h.tenant.ID, h.app.ClientID, code)
	if m["error"] != "authorization_pending" {
		t.Fatalf("poll after the new interval: %d %v", st, m)
	}

	conf, _ := h.e.AddApp(h.tenant.ID, AppSpec{Scopes: []string{"User.Read"}, Secrets: []SecretSpec{{Value: "v"}}})
	dc2 := h.deviceCode(t, h.tenant.ID, conf.ClientID, "User.Read")
	if err := h.e.ApproveDeviceCode(dc2["user_code"].(string), h.alex.UPN, testPassword); err != nil {
		t.Fatal(err)
	}
	st, m = h.pollDevice(t, h.tenant.ID, conf.ClientID, dc2["device_code"].(string))
	checkAAD(t, st, m, 401, "invalid_client", 7000218)
}

func pkcePair(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestAuthorizationCodeWithPKCE(t *testing.T) {
	h := newHarness(t, Options{}, []string{"User.Read"}, nil)
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-more-entropy"
	for _, method := range []string{"S256", "plain"} {
		challenge := verifier
		if method == "S256" {
			challenge = pkcePair(verifier)
		}
		redirect := "http://localhost:49152/"
		q := url.Values{"client_id": {h.app.ClientID}, "response_type": {"code"}, "redirect_uri": {redirect},
			"scope": {"User.Read Mail.Read offline_access"}, "state": {"st-" + method}, "code_challenge": {challenge}, "code_challenge_method": {method}}
		b := &Browser{UPN: h.megan.UPN, Password: testPassword}
		loc, err := b.Authorize(h.srv.URL + "/organizations/oauth2/v2.0/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if loc.Query().Get("state") != "st-"+method || loc.Query().Get("code") == "" {
			t.Fatalf("redirect %v", loc)
		}
		if !strings.HasPrefix(loc.String(), redirect+"?") {
			t.Fatalf("redirected to %v", loc)
		}
		code := loc.Query().Get("code")
		ex := func(v string) (int, map[string]any) {
			return h.tokenResp(t, "organizations", url.Values{"grant_type": {"authorization_code"}, "client_id": {h.app.ClientID},
				"code": {code}, "redirect_uri": {redirect}, "code_verifier": {v}})
		}
		st, m := ex("wrong-verifier-wrong-verifier-wrong-verifier")
		checkAAD(t, st, m, 400, "invalid_grant", 501481)
		st, m = ex(verifier)
		if st != 200 || m["refresh_token"] == nil {
			t.Fatalf("%s exchange: %d %v", method, st, m)
		}
		// Megan consented to Mail.Read for herself on the consent page.
		if !strings.Contains(m["scope"].(string), "Mail.Read") {
			t.Fatalf("scope %v", m["scope"])
		}
		st, m = ex(verifier)
		checkAAD(t, st, m, 400, "invalid_grant", 54005)
	}
	// A redirect URI that is not registered never leaves the sign-in page.
	b := &Browser{UPN: h.megan.UPN, Password: testPassword}
	_, err := b.Authorize(h.srv.URL + "/organizations/oauth2/v2.0/authorize?" + url.Values{"client_id": {h.app.ClientID}, "response_type": {"code"},
		"redirect_uri": {"https://evil.example/cb"}, "scope": {"User.Read"}}.Encode())
	if err == nil || !strings.Contains(err.Error(), "AADSTS50011") {
		t.Fatalf("unregistered redirect: %v", err)
	}
	// The web redirect (rclone's) needs the client secret at the token endpoint.
	loc, err := b.Authorize(h.srv.URL + "/common/oauth2/v2.0/authorize?" + url.Values{"client_id": {h.app.ClientID}, "response_type": {"code"},
		"redirect_uri": {"http://localhost:53682/"}, "scope": {"User.Read offline_access"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	st, m := h.tokenResp(t, "common", url.Values{"grant_type": {"authorization_code"}, "client_id": {h.app.ClientID},
		"code": {loc.Query().Get("code")}, "redirect_uri": {"http://localhost:53682/"}})
	checkAAD(t, st, m, 401, "invalid_client", 7000218)
	loc, _ = b.Authorize(h.srv.URL + "/common/oauth2/v2.0/authorize?" + url.Values{"client_id": {h.app.ClientID}, "response_type": {"code"},
		"redirect_uri": {"http://localhost:53682/"}, "scope": {"User.Read offline_access"}}.Encode())
	st, m = h.tokenResp(t, "common", url.Values{"grant_type": {"authorization_code"}, "client_id": {h.app.ClientID}, "client_secret": {h.secret},
		"code": {loc.Query().Get("code")}, "redirect_uri": {"http://localhost:53682/"}})
	if st != 200 {
		t.Fatalf("web exchange with secret: %d %v", st, m)
	}
	// A refresh token from a confidential flow needs the secret too.
	st, m2 := h.refresh(t, m["refresh_token"].(string))
	checkAAD(t, st, m2, 401, "invalid_client", 7000218)
}

func TestAuthorizeDeclineAndMFA(t *testing.T) {
	h := newHarness(t, Options{}, []string{"User.Read"}, nil)
	mfa, _ := h.e.AddUser(h.tenant.ID, UserSpec{UPN: "mfa.user", Password: testPassword, MFA: true})
	q := url.Values{"client_id": {h.app.ClientID}, "response_type": {"code"}, "redirect_uri": {"http://localhost"}, "scope": {"User.Read Mail.Read"}, "state": {"s"}}
	loc, err := (&Browser{UPN: mfa.UPN, Password: testPassword, Decline: true}).Authorize(h.srv.URL + "/" + h.tenant.ID + "/oauth2/v2.0/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if loc.Query().Get("error") != "access_denied" || !strings.HasPrefix(loc.Query().Get("error_description"), "AADSTS65004") {
		t.Fatalf("decline redirect %v", loc)
	}
	loc, err = (&Browser{UPN: mfa.UPN, Password: testPassword}).Authorize(h.srv.URL + "/" + h.tenant.ID + "/oauth2/v2.0/authorize?" + q.Encode())
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("MFA user interactive sign-in: %v %v", loc, err)
	}
	st, m := h.tokenResp(t, h.tenant.ID, url.Values{"grant_type": {"authorization_code"}, "client_id": {h.app.ClientID},
		"code": {loc.Query().Get("code")}, "redirect_uri": {"http://localhost"}})
	if st != 200 {
		t.Fatalf("%d %v", st, m)
	}
	_, c := decodeJWT(t, m["access_token"].(string))
	if !strings.Contains(strings.Join(toStrings(c["amr"]), " "), "mfa") {
		t.Fatalf("amr %v lacks mfa", c["amr"])
	}
	none := q
	none.Set("prompt", "none")
	loc, _ = (&Browser{}).Authorize(h.srv.URL + "/" + h.tenant.ID + "/oauth2/v2.0/authorize?" + none.Encode())
	if loc == nil || loc.Query().Get("error") != "login_required" {
		t.Fatalf("prompt=none: %v", loc)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestAdminConsent(t *testing.T) {
	h := newHarness(t, Options{}, nil, nil)
	app, _ := h.e.AddApp(h.tenant.ID, AppSpec{Scopes: []string{"User.Read", "Mail.Read"}, Roles: []string{"Mail.Read"}, NoConsent: true,
		RedirectURIs: []string{"https://localhost/consent"}, Secrets: []SecretSpec{{Value: "v"}}})
	cc := func() (int, map[string]any) {
		return h.tokenResp(t, h.tenant.ID, url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {"v"},
			"scope": {"https://graph.microsoft.com/.default"}})
	}
	_, m := cc()
	_, c := decodeJWT(t, m["access_token"].(string))
	if c["roles"] != nil {
		t.Fatalf("roles before consent: %v", c["roles"])
	}
	q := url.Values{"client_id": {app.ClientID}, "redirect_uri": {"https://localhost/consent"}, "scope": {"https://graph.microsoft.com/.default"}, "state": {"42"}}
	_, err := (&Browser{UPN: h.megan.UPN, Password: testPassword}).Authorize(h.srv.URL + "/organizations/v2.0/adminconsent?" + q.Encode())
	if err == nil || !strings.Contains(err.Error(), "AADSTS90094") {
		t.Fatalf("non-admin admin consent: %v", err)
	}
	loc, err := (&Browser{UPN: h.alex.UPN, Password: testPassword}).Authorize(h.srv.URL + "/organizations/v2.0/adminconsent?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if loc.Query().Get("admin_consent") != "True" || loc.Query().Get("tenant") != h.tenant.ID || loc.Query().Get("state") != "42" {
		t.Fatalf("admin consent redirect %v", loc)
	}
	_, m = cc()
	_, c = decodeJWT(t, m["access_token"].(string))
	if strings.Join(toStrings(c["roles"]), ",") != "Mail.Read" {
		t.Fatalf("roles after consent: %v", c["roles"])
	}
	resp, _ := http.Get(h.srv.URL + "/common/v2.0/adminconsent?" + q.Encode())
	if resp.StatusCode != 400 {
		t.Fatalf("admin consent on /common: %d", resp.StatusCode)
	}
	resp.Body.Close()
}

func TestAuthorizationCodeExpires(t *testing.T) {
	h := newHarness(t, Options{}, []string{"User.Read"}, nil)
	q := url.Values{"client_id": {h.app.ClientID}, "response_type": {"code"}, "redirect_uri": {"http://localhost"}, "scope": {"User.Read"}}
	loc, err := (&Browser{UPN: h.alex.UPN, Password: testPassword}).Authorize(h.srv.URL + "/" + h.tenant.ID + "/oauth2/v2.0/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	h.clock.advance(11 * time.Minute) // codes live about ten minutes
	st, m := h.tokenResp(t, h.tenant.ID, url.Values{"grant_type": {"authorization_code"}, "client_id": {h.app.ClientID},
		"code": {loc.Query().Get("code")}, "redirect_uri": {"http://localhost"}})
	checkAAD(t, st, m, 400, "invalid_grant", 70008)
}

func TestDirectorySelectReturnsOnlySelected(t *testing.T) {
	h := defaultHarness(t)
	r := h.call(t, h.userToken(t, h.alex), "GET", "/v1.0/me?$select=displayName", nil).must(t, 200)
	if r.body["displayName"] == nil || r.body["id"] != nil || r.body["mail"] != nil {
		t.Fatalf("$select=displayName on a directory object: %s", r.raw)
	}
	m := h.call(t, h.userToken(t, h.alex), "GET", "/v1.0/me/messages?$top=1&$select=subject", nil).must(t, 200)
	if m.value()[0]["id"] == nil {
		t.Fatalf("Outlook items keep their id under $select: %s", m.raw)
	}
}

// During an identity platform incident the token endpoint answers 503
// temporarily_unavailable (AADSTS90033).
func TestSignInFaults(t *testing.T) {
	h := defaultHarness(t)
	h.e.SetFaults(Faults{SignInErrorRate: 1})
	st, m := h.tokenResp(t, h.tenant.ID, url.Values{"grant_type": {"client_credentials"}, "client_id": {h.app.ClientID},
		"client_secret": {h.secret}, "scope": {"https://graph.microsoft.com/.default"}})
	if st != 503 || m["error"] != "temporarily_unavailable" || !strings.HasPrefix(m["error_description"].(string), "AADSTS90033:") {
		t.Fatalf("%d %v, want 503 temporarily_unavailable AADSTS90033", st, m)
	}
	h.e.SetFaults(Faults{})
	h.appToken(t)
}
