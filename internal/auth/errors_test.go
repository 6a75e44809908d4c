package auth

import (
	"fmt"
	"strings"
	"testing"

	"github.com/e5renew/e5renew/internal/i18n"
)

func body(errValue string, code int, desc string) []byte {
	return []byte(fmt.Sprintf(`{"error":%q,"error_description":%q,"error_codes":[%d],"trace_id":"t","correlation_id":"c"}`, errValue, desc, code))
}

func TestClassifyUsesErrorAndCodesNotText(t *testing.T) {
	cases := []struct {
		status int
		body   []byte
		class  Class
		reason Reason
	}{
		{400, body("invalid_grant", 700082, "AADSTS700082: expired"), NeedsOwner, ReasonRefreshExpired},
		// The same code with a misleading description classifies the same way.
		{400, body("invalid_grant", 700082, "AADSTS50126: wrong password, temporarily unavailable"), NeedsOwner, ReasonRefreshExpired},
		{400, body("invalid_grant", 50173, ""), NeedsOwner, ReasonRefreshRevoked},
		{400, body("invalid_grant", 50126, ""), NeedsOwner, ReasonBadPassword},
		{400, body("invalid_grant", 50076, ""), NeedsOwner, ReasonMFARequired},
		{400, body("invalid_grant", 65001, ""), NeedsOwner, ReasonConsentMissing},
		{401, body("invalid_client", 7000215, ""), NeedsOwner, ReasonSecretInvalid},
		{401, body("invalid_client", 7000222, ""), NeedsOwner, ReasonSecretExpired},
		{400, body("unauthorized_client", 700016, ""), NeedsOwner, ReasonAppNotFound},
		{400, body("invalid_request", 9001023, ""), NeedsOwner, ReasonTenantInvalid},
		{400, body("invalid_request", 90002, ""), NeedsOwner, ReasonTenantInvalid},
		{400, body("authorization_pending", 70016, ""), Pending, ReasonPending},
		{400, body("slow_down", 70016, ""), Pending, ReasonSlowDown},
		{400, body("expired_token", 70020, ""), NeedsOwner, ReasonDeviceExpired},
		{400, body("authorization_declined", 70000, ""), NeedsOwner, ReasonDeviceDeclined},
		{400, body("temporarily_unavailable", 0, ""), Transient, ReasonServiceUnavailable},
		{503, body("temporarily_unavailable", 90033, ""), Transient, ReasonServiceUnavailable},
		{400, body("invalid_grant", 123456789, "unknown"), NeedsOwner, ReasonRefreshInvalid},
		{400, body("weird_error", 123456789, ""), NeedsOwner, ReasonBadRequest},
		{503, []byte("<html>Service Unavailable</html>"), Transient, ReasonServiceUnavailable},
		{429, []byte(""), Transient, ReasonThrottled},
		{400, body("invalid_request", 90055, ""), Transient, ReasonThrottled},
	}
	for _, c := range cases {
		e := classifyResponse("op", "acct", c.status, c.body)
		if e.Class != c.class || e.Reason != c.reason {
			t.Errorf("%d %s: got %s/%s, want %s/%s", c.status, c.body, e.Class, e.Reason, c.class, c.reason)
		}
		if e.Description != "" && strings.Contains(e.Description, "\r") {
			t.Errorf("description keeps the trace lines: %q", e.Description)
		}
	}
}

func TestEveryReasonHasBothLanguages(t *testing.T) {
	seen := map[Reason]bool{}
	for _, cr := range codeReasons {
		seen[cr.r] = true
	}
	for _, er := range errorReasons {
		seen[er.r] = true
	}
	seen[ReasonNetwork] = true
	for r := range seen {
		tx, ok := reasonTexts[r]
		if !ok || tx.EN == "" || tx.ZH == "" || tx.EN == tx.ZH {
			t.Errorf("reason %s lacks an English or Chinese message", r)
		}
		e := &Error{Op: "x", Reason: r}
		if e.Message(i18n.ZH) != tx.ZH {
			t.Errorf("Message(zh) for %s", r)
		}
	}
}

func TestErrorStringNamesAccountCodeAndFix(t *testing.T) {
	e := classifyResponse("refresh token sign-in", "alice", 400, body("invalid_grant", 700082, "x"))
	s := e.Error()
	for _, want := range []string{"account alice", "AADSTS700082", "invalid_grant", "e5renew login", "[trace t]"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
}

// Explain gives a stored AADSTS code's meaning in either language, as Message does for the
// error itself, and nothing for codes it does not know.
func TestExplain(t *testing.T) {
	e := &Error{Codes: []int{50076}, OAuthError: "invalid_grant"}
	classify(e)
	for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
		for _, code := range []string{"AADSTS50076", "aadsts50076", "50076"} {
			got, ok := Explain(code, lang)
			if !ok || got != e.Message(lang) {
				t.Errorf("Explain(%q, %v) = %q, %v; want %q", code, lang, got, ok, e.Message(lang))
			}
		}
	}
	if en, _ := Explain("AADSTS50076", i18n.EN); en == "" || en == func() string { s, _ := Explain("AADSTS50076", i18n.ZH); return s }() {
		t.Error("the two languages give the same text")
	}
	for _, code := range []string{"", "AADSTS", "AADSTS99999999", "HTTP 500", "ErrorAccessDenied"} {
		if got, ok := Explain(code, i18n.EN); ok {
			t.Errorf("Explain(%q) = %q, want nothing", code, got)
		}
	}
}
