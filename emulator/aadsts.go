package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// aadError is an identity platform error as the token endpoint returns it (protocol.md §1.4).
type aadError struct {
	Status   int    // 400, or 401 for invalid_client
	Error    string // OAuth error value
	Code     int    // AADSTS code
	Message  string // text after "AADSTS<code>: "
	SubError string // suberror, if any
	Claims   string
}

func (a *aadError) String() string { return fmt.Sprintf("AADSTS%d %s", a.Code, a.Error) }

// newAAD builds an error; invalid_client answers 401 as the real service does.
func newAAD(errValue string, code int, format string, args ...any) *aadError {
	status := http.StatusBadRequest
	if errValue == "invalid_client" {
		status = http.StatusUnauthorized
	}
	return &aadError{Status: status, Error: errValue, Code: code, Message: fmt.Sprintf(format, args...)}
}

func (a *aadError) withSub(s string) *aadError { a.SubError = s; return a }

// The errors the emulator produces, one constructor each, with the real texts where known.
// errTransient is the answer during an incident: 503 temporarily_unavailable.
func errTransient() *aadError {
	a := newAAD("temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
	a.Status = http.StatusServiceUnavailable
	return a
}

func errMissingParam(name string) *aadError {
	return newAAD("invalid_request", 900144, "The request body must contain the following parameter: '%s'.", name)
}

func errTenantNotFound(t string) *aadError {
	return newAAD("invalid_request", 90002, "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", t)
}

func errNoTenantInfo() *aadError {
	return newAAD("invalid_request", 50059, "No tenant-identifying information found in either the request or implied by any provided credentials.")
}

func errROPCOnCommon() *aadError {
	return newAAD("invalid_request", 9001023, "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.")
}

func errUnsupportedGrant(g string) *aadError {
	return newAAD("unsupported_grant_type", 70003, "The app requested an unsupported grant type '%s'.", g)
}

func errAppNotFound(clientID, tenant string) *aadError {
	return newAAD("unauthorized_client", 700016, "Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, tenant)
}

func errInvalidSecret(clientID string) *aadError {
	return newAAD("invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID)
}

func errSecretExpired(clientID string) *aadError {
	return newAAD("invalid_client", 7000222, "The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", clientID)
}

func errSecretRequired() *aadError {
	return newAAD("invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
}

func errPublicClientSecret() *aadError {
	return newAAD("invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")
}

func errUserNotFound(tenant string) *aadError {
	return newAAD("invalid_grant", 50034, "The user account {EUII Hidden} does not exist in the %s directory. To sign into this application, the account must be added to the directory.", tenant)
}

func errBadPassword() *aadError {
	return newAAD("invalid_grant", 50126, "Error validating credentials due to invalid username or password.")
}

func errMFARequired() *aadError {
	return newAAD("invalid_grant", 50076, "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '%s'.", graphAppID).withSub("basic_action")
}

func errUserDisabled() *aadError {
	return newAAD("invalid_grant", 50057, "The user account is disabled.")
}

func errUserLocked() *aadError {
	return newAAD("invalid_grant", 50053, "Your account is locked because the user tried to sign in too many times with an incorrect user ID or password.")
}

func errPasswordExpired() *aadError {
	return newAAD("invalid_grant", 50055, "The password is expired.")
}

func errConsentMissing(clientID string, scopes []string) *aadError {
	return newAAD("invalid_grant", 65001, "The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", clientID, strings.Join(scopes, " ")).withSub("consent_required")
}

func errInvalidScope(scope string) *aadError {
	return newAAD("invalid_scope", 70011, "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope %s is not valid.", scope)
}

func errClientCredsScope(scope string) *aadError {
	return newAAD("invalid_scope", 1002012, "The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope)
}

func errResourceNotFound(res, tenant string) *aadError {
	return newAAD("invalid_resource", 500011, "The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", res, tenant)
}

func errMalformedGrant() *aadError {
	return newAAD("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
}

func errGrantInvalid(why string) *aadError {
	return newAAD("invalid_grant", 70000, "Provided grant is invalid or malformed. %s", why)
}

func errRTInactive(issued time.Time) *aadError {
	return newAAD("invalid_grant", 700082, "The refresh token has expired due to inactivity. The token was issued on %s and was inactive for 90.00:00:00.", issued.UTC().Format("2006-01-02T15:04:05.0000000Z"))
}

func errRTRevoked(issued, validFrom time.Time) *aadError {
	return newAAD("invalid_grant", 50173, "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '%s' and the TokensValidFrom date (before which tokens are not valid) for this user is '%s'.",
		issued.UTC().Format("2006-01-02T15:04:05.0000000Z"), validFrom.UTC().Format("2006-01-02T15:04:05.0000000Z"))
}

func errCodeRedeemed() *aadError {
	return newAAD("invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
}

func errCodeExpired() *aadError {
	return newAAD("invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
}

func errVerifierMismatch() *aadError {
	return newAAD("invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
}

func errRedirectMismatch() *aadError {
	return newAAD("invalid_grant", 70000, "Provided grant is invalid or malformed. The redirect_uri does not match the one used in the authorization request.")
}

func errPending() *aadError {
	return newAAD("authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
}

func errSlowDown() *aadError {
	return newAAD("slow_down", 70016, "OAuth 2.0 device flow error. Polling too frequently; increase the interval by 5 seconds.")
}

func errBadDeviceCode() *aadError {
	return newAAD("bad_verification_code", 70018, "The provided value for the input parameter 'device_code' is not valid.")
}

func errDeviceExpired() *aadError {
	return newAAD("expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired.")
}

func errDeviceDeclined() *aadError {
	return newAAD("authorization_declined", 70000, "The end user denied the authorization request.")
}

func errDeviceRedeemed() *aadError {
	return newAAD("invalid_grant", 90120, "The provided value for the input parameter 'device_code' is not valid. The device request was already authorized or declined.")
}

func errStrictRotation() *aadError {
	return newAAD("invalid_grant", 70000, "Provided grant is invalid or malformed. This refresh token was superseded by its successor (the emulator runs with --strict-rotation: a refresh token is invalid once the client has used the token that replaced it).")
}

func errPostOnly(method string) *aadError {
	return newAAD("invalid_request", 900561, "The endpoint only accepts POST, OPTIONS requests. Received a %s request.", method)
}

func errAdminConsentCommon() *aadError {
	return newAAD("invalid_request", 90130, "Application is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.")
}

// writeAAD writes the error body exactly as protocol.md §1.4 shows it.
func (e *Emulator) writeAAD(w http.ResponseWriter, a *aadError) {
	now := e.now().UTC()
	ts := now.Format("2006-01-02 15:04:05Z")
	trace, corr := newGUID(), newGUID()
	body := map[string]any{
		"error":             a.Error,
		"error_description": fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", a.Code, a.Message, trace, corr, ts),
		"error_codes":       []int{a.Code},
		"timestamp":         ts,
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         "https://login.microsoftonline.com/error?code=" + fmt.Sprint(a.Code),
	}
	if a.SubError != "" {
		body["suberror"] = a.SubError
	}
	if a.Claims != "" {
		body["claims"] = a.Claims
	}
	e.stats.tokenError(a.Code)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("x-ms-request-id", trace)
	if a.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm=""`)
	}
	w.WriteHeader(a.Status)
	_ = json.NewEncoder(w).Encode(body)
}
