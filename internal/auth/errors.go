package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/e5renew/e5renew/internal/i18n"
)

// Class says who must act on a sign-in failure.
type Class int

const (
	// Transient failures (network, 5xx, throttling) go away by themselves: retry later.
	Transient Class = iota
	// NeedsOwner failures (expired or revoked token, wrong secret, missing consent, MFA,
	// locked account...) never go away by retrying; retrying can lock the account.
	NeedsOwner
	// Pending is the device code flow waiting for the user (authorization_pending, slow_down).
	Pending
)

func (c Class) String() string {
	switch c {
	case NeedsOwner:
		return "needs-owner"
	case Pending:
		return "pending"
	}
	return "transient"
}

// Reason is a stable key for what went wrong.
type Reason string

// The reasons sign-in failures are classified into.
const (
	ReasonRefreshExpired     Reason = "refresh_token_expired"
	ReasonRefreshRevoked     Reason = "refresh_token_revoked"
	ReasonRefreshInvalid     Reason = "refresh_token_invalid"
	ReasonBadPassword        Reason = "bad_password"
	ReasonAccountLocked      Reason = "account_locked"
	ReasonPasswordExpired    Reason = "password_expired"
	ReasonAccountDisabled    Reason = "account_disabled"
	ReasonUserNotFound       Reason = "user_not_found"
	ReasonMFARequired        Reason = "mfa_required"
	ReasonConsentMissing     Reason = "consent_missing"
	ReasonInvalidScope       Reason = "invalid_scope"
	ReasonSecretInvalid      Reason = "client_secret_invalid"
	ReasonSecretExpired      Reason = "client_secret_expired"
	ReasonSecretRequired     Reason = "client_secret_required"
	ReasonPublicClientSecret Reason = "public_client_with_secret"
	ReasonAppNotFound        Reason = "app_not_found"
	ReasonTenantInvalid      Reason = "tenant_invalid"
	ReasonBadRequest         Reason = "bad_request"
	ReasonDeviceExpired      Reason = "device_code_expired"
	ReasonDeviceDeclined     Reason = "device_code_declined"
	ReasonPending            Reason = "authorization_pending"
	ReasonSlowDown           Reason = "slow_down"
	ReasonThrottled          Reason = "throttled"
	ReasonServiceUnavailable Reason = "service_unavailable"
	ReasonNetwork            Reason = "network"
)

// Error is a failed token request, classified.
type Error struct {
	Op            string // what was being done: "refresh token", "client credentials", ...
	Account       string
	Status        int    // HTTP status, 0 for network errors
	OAuthError    string // the "error" member
	Codes         []int  // "error_codes"
	SubError      string
	Description   string // "error_description" (never contains a secret)
	TraceID       string
	CorrelationID string
	Class         Class
	Reason        Reason
	Err           error // the underlying error for network failures
}

// Code is the first AADSTS code, or 0.
func (e *Error) Code() int {
	if len(e.Codes) > 0 {
		return e.Codes[0]
	}
	return 0
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Account != "" {
		fmt.Fprintf(&b, "account %s: ", e.Account)
	}
	fmt.Fprintf(&b, "%s failed: ", e.Op)
	switch {
	case e.Code() != 0:
		fmt.Fprintf(&b, "AADSTS%d %s: ", e.Code(), e.OAuthError)
	case e.OAuthError != "":
		fmt.Fprintf(&b, "%s: ", e.OAuthError)
	case e.Status != 0:
		fmt.Fprintf(&b, "HTTP %d: ", e.Status)
	}
	b.WriteString(e.Message(i18n.EN))
	if e.Err != nil && e.Class == Transient && e.Reason == ReasonNetwork {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	if e.TraceID != "" {
		fmt.Fprintf(&b, " [trace %s]", e.TraceID)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// NeedsOwner reports whether only the account's owner can fix this.
func (e *Error) NeedsOwner() bool { return e.Class == NeedsOwner }

// Message says, in the language asked, what happened and what to do.
func (e *Error) Message(lang i18n.Lang) string {
	if t, ok := reasonTexts[e.Reason]; ok {
		return t.In(lang)
	}
	return reasonTexts[ReasonBadRequest].In(lang)
}

// Explain says, in lang, what an AADSTS error code ("AADSTS50076" or "50076") means and
// what to do; false for a code it does not know.
func Explain(code string, lang i18n.Lang) (string, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(code)), "AADSTS"))
	if err != nil {
		return "", false
	}
	cr, ok := codeReasons[n]
	if !ok {
		return "", false
	}
	t, ok := reasonTexts[cr.r]
	return t.In(lang), ok
}

// AsError finds an *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsNeedsOwner reports whether err is a sign-in failure only the owner can fix.
func IsNeedsOwner(err error) bool {
	e, ok := AsError(err)
	return ok && e.NeedsOwner()
}

var reasonTexts = map[Reason]i18n.Text{
	ReasonRefreshExpired: {
		EN: "the refresh token expired after 90 days without use. Sign in again (e5renew login) to get a new one; e5renew keeps it alive from then on.",
		ZH: "刷新令牌因 90 天未使用已过期。请重新登录（e5renew login）获取新令牌，之后 e5renew 会自动保持其有效。"},
	ReasonRefreshRevoked: {
		EN: "the refresh token was revoked (password changed or reset, or sessions revoked by an administrator). Sign in again (e5renew login).",
		ZH: "刷新令牌已被吊销（密码被修改或重置，或管理员吊销了会话）。请重新登录（e5renew login）。"},
	ReasonRefreshInvalid: {
		EN: "the refresh token is not valid for this app (copied incompletely, issued to another client id, or already replaced). Sign in again (e5renew login) or paste the whole token again.",
		ZH: "刷新令牌对此应用无效（复制不完整、属于其他客户端 ID，或已被替换）。请重新登录（e5renew login）或重新粘贴完整的令牌。"},
	ReasonBadPassword: {
		EN: "the user name or password is wrong. Correct the password in the configuration; e5renew will not try again until then, because repeated failures lock the account.",
		ZH: "用户名或密码错误。请在配置中更正密码；在此之前 e5renew 不会再尝试，因为多次失败会锁定账号。"},
	ReasonAccountLocked: {
		EN: "the account is locked after too many failed sign-ins. Wait for the lock to end (usually 15 minutes), check the password, then resume the account.",
		ZH: "由于登录失败次数过多，账号已被锁定。请等待锁定结束（通常 15 分钟），检查密码后再恢复该账号。"},
	ReasonPasswordExpired: {
		EN: "the password has expired. Sign in at https://portal.office.com to set a new one, then update the configuration.",
		ZH: "密码已过期。请登录 https://portal.office.com 设置新密码，然后更新配置。"},
	ReasonAccountDisabled: {
		EN: "the user account is disabled. Enable it in the Microsoft 365 admin center.",
		ZH: "用户账号已被禁用。请在 Microsoft 365 管理中心启用它。"},
	ReasonUserNotFound: {
		EN: "the user does not exist in this tenant. Check the user name and the tenant in the configuration.",
		ZH: "该租户中不存在此用户。请检查配置中的用户名和租户。"},
	ReasonMFARequired: {
		EN: "multi-factor authentication or Conditional Access blocks password sign-in. Use a device code sign-in instead (e5renew login), which handles MFA.",
		ZH: "多重身份验证（MFA）或条件访问阻止了密码登录。请改用设备代码登录（e5renew login），它支持 MFA。"},
	ReasonConsentMissing: {
		EN: "the app has no consent for the requested permissions. Grant admin consent for the app (e5renew setup does it), or sign in again to consent.",
		ZH: "应用尚未获得所请求权限的同意。请为应用授予管理员同意（e5renew setup 可自动完成），或重新登录并同意。"},
	ReasonInvalidScope: {
		EN: "a requested permission (scope) is not valid. Check the scopes in the configuration.",
		ZH: "请求的权限（scope）无效。请检查配置中的 scopes。"},
	ReasonSecretInvalid: {
		EN: "the client secret is wrong. Use the secret's Value, not its Secret ID (a common mistake), or create a new secret.",
		ZH: "客户端密码错误。请使用密码的“值”，而不是“机密 ID”（常见错误），或新建一个客户端密码。"},
	ReasonSecretExpired: {
		EN: "the client secret has expired. Create a new secret for the app (Certificates & secrets, or e5renew setup) and update the configuration.",
		ZH: "客户端密码已过期。请为应用创建新的客户端密码（证书和密码，或使用 e5renew setup）并更新配置。"},
	ReasonSecretRequired: {
		EN: "the app requires a client secret for this sign-in. Add client_secret to the account, or enable \"Allow public client flows\" on the app.",
		ZH: "此登录方式要求提供客户端密码。请为账号添加 client_secret，或在应用中启用“允许公共客户端流”。"},
	ReasonPublicClientSecret: {
		EN: "the app is a public client and must not send a secret. Remove client_secret from the account.",
		ZH: "该应用是公共客户端，不能发送客户端密码。请从账号配置中删除 client_secret。"},
	ReasonAppNotFound: {
		EN: "the app (client id) was not found in this tenant. Check the client id and tenant, or register the app again (e5renew setup).",
		ZH: "在此租户中找不到该应用（客户端 ID）。请检查客户端 ID 和租户，或重新注册应用（e5renew setup）。"},
	ReasonTenantInvalid: {
		EN: "the tenant is wrong for this sign-in (not found, or /common where a tenant is required). Set the tenant to the domain or tenant id.",
		ZH: "此登录方式的租户不正确（不存在，或需要具体租户却使用了 /common）。请将 tenant 设为域名或租户 ID。"},
	ReasonBadRequest: {
		EN: "the identity platform rejected the request. Check the account's configuration.",
		ZH: "身份平台拒绝了该请求。请检查账号配置。"},
	ReasonDeviceExpired: {
		EN: "the sign-in code expired before it was used. Start the sign-in again.",
		ZH: "登录代码在使用前已过期。请重新开始登录。"},
	ReasonDeviceDeclined: {
		EN: "the sign-in was declined. Start again and accept the sign-in.",
		ZH: "登录被拒绝。请重新开始并接受登录。"},
	ReasonPending:   {EN: "waiting for the user to sign in.", ZH: "正在等待用户登录。"},
	ReasonSlowDown:  {EN: "polling too fast; slowing down.", ZH: "轮询过快，正在放慢。"},
	ReasonThrottled: {EN: "the identity platform is throttling requests; e5renew will retry later.", ZH: "身份平台正在限流；e5renew 稍后会重试。"},
	ReasonServiceUnavailable: {
		EN: "the identity platform is temporarily unavailable; e5renew will retry later.",
		ZH: "身份平台暂时不可用；e5renew 稍后会重试。"},
	ReasonNetwork: {EN: "the identity platform could not be reached; e5renew will retry later.", ZH: "无法连接身份平台；e5renew 稍后会重试。"},
}

// codeReasons maps AADSTS codes to reasons and classes. Classification uses `error` and
// `error_codes` only, never the description text (protocol.md §1.4).
var codeReasons = map[int]struct {
	r Reason
	c Class
}{
	70008: {ReasonRefreshExpired, NeedsOwner}, 700082: {ReasonRefreshExpired, NeedsOwner}, 700084: {ReasonRefreshExpired, NeedsOwner},
	50173: {ReasonRefreshRevoked, NeedsOwner}, 50089: {ReasonRefreshRevoked, NeedsOwner}, 70043: {ReasonRefreshRevoked, NeedsOwner},
	70000: {ReasonRefreshInvalid, NeedsOwner}, 9002313: {ReasonRefreshInvalid, NeedsOwner}, 54005: {ReasonRefreshInvalid, NeedsOwner},
	501481: {ReasonRefreshInvalid, NeedsOwner},
	50126:  {ReasonBadPassword, NeedsOwner}, 50053: {ReasonAccountLocked, NeedsOwner},
	50055: {ReasonPasswordExpired, NeedsOwner}, 50144: {ReasonPasswordExpired, NeedsOwner},
	50057: {ReasonAccountDisabled, NeedsOwner}, 50034: {ReasonUserNotFound, NeedsOwner}, 50020: {ReasonUserNotFound, NeedsOwner},
	50076: {ReasonMFARequired, NeedsOwner}, 50079: {ReasonMFARequired, NeedsOwner}, 50072: {ReasonMFARequired, NeedsOwner},
	50074: {ReasonMFARequired, NeedsOwner}, 53003: {ReasonMFARequired, NeedsOwner}, 530035: {ReasonMFARequired, NeedsOwner},
	50158: {ReasonMFARequired, NeedsOwner},
	65001: {ReasonConsentMissing, NeedsOwner}, 65004: {ReasonConsentMissing, NeedsOwner}, 65002: {ReasonConsentMissing, NeedsOwner},
	650057: {ReasonConsentMissing, NeedsOwner}, 90094: {ReasonConsentMissing, NeedsOwner}, 90095: {ReasonConsentMissing, NeedsOwner},
	70011: {ReasonInvalidScope, NeedsOwner}, 1002012: {ReasonInvalidScope, NeedsOwner}, 500011: {ReasonInvalidScope, NeedsOwner},
	7000215: {ReasonSecretInvalid, NeedsOwner}, 70002: {ReasonSecretInvalid, NeedsOwner}, 700027: {ReasonSecretInvalid, NeedsOwner},
	7000222: {ReasonSecretExpired, NeedsOwner}, 7000218: {ReasonSecretRequired, NeedsOwner}, 700025: {ReasonPublicClientSecret, NeedsOwner},
	700016: {ReasonAppNotFound, NeedsOwner}, 50194: {ReasonAppNotFound, NeedsOwner},
	90002: {ReasonTenantInvalid, NeedsOwner}, 50059: {ReasonTenantInvalid, NeedsOwner}, 9001023: {ReasonTenantInvalid, NeedsOwner},
	90130: {ReasonTenantInvalid, NeedsOwner}, 900023: {ReasonTenantInvalid, NeedsOwner},
	70016: {ReasonPending, Pending}, 70019: {ReasonDeviceExpired, NeedsOwner}, 70020: {ReasonDeviceExpired, NeedsOwner},
	70018: {ReasonDeviceExpired, NeedsOwner}, 90120: {ReasonDeviceExpired, NeedsOwner},
	90055: {ReasonThrottled, Transient}, 50196: {ReasonThrottled, Transient},
}

// errorReasons classifies by the OAuth `error` value when no code is known.
var errorReasons = map[string]struct {
	r Reason
	c Class
}{
	"authorization_pending":   {ReasonPending, Pending},
	"slow_down":               {ReasonSlowDown, Pending},
	"expired_token":           {ReasonDeviceExpired, NeedsOwner},
	"bad_verification_code":   {ReasonDeviceExpired, NeedsOwner},
	"authorization_declined":  {ReasonDeviceDeclined, NeedsOwner},
	"access_denied":           {ReasonDeviceDeclined, NeedsOwner},
	"invalid_grant":           {ReasonRefreshInvalid, NeedsOwner},
	"invalid_client":          {ReasonSecretInvalid, NeedsOwner},
	"unauthorized_client":     {ReasonAppNotFound, NeedsOwner},
	"invalid_scope":           {ReasonInvalidScope, NeedsOwner},
	"invalid_resource":        {ReasonInvalidScope, NeedsOwner},
	"consent_required":        {ReasonConsentMissing, NeedsOwner},
	"interaction_required":    {ReasonMFARequired, NeedsOwner},
	"invalid_request":         {ReasonBadRequest, NeedsOwner},
	"unsupported_grant_type":  {ReasonBadRequest, NeedsOwner},
	"temporarily_unavailable": {ReasonServiceUnavailable, Transient},
	"server_error":            {ReasonServiceUnavailable, Transient},
}

// tokenErrorBody is the identity platform's error JSON.
type tokenErrorBody struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	Codes         []int  `json:"error_codes"`
	SubError      string `json:"suberror"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
}

// classifyResponse builds a classified Error from a token endpoint answer.
func classifyResponse(op, account string, status int, body []byte) *Error {
	e := &Error{Op: op, Account: account, Status: status}
	var b tokenErrorBody
	if json.Unmarshal(body, &b) == nil {
		e.OAuthError, e.Codes, e.SubError, e.TraceID, e.CorrelationID = b.Error, b.Codes, b.SubError, b.TraceID, b.CorrelationID
		e.Description = firstLine(b.Description)
	}
	classify(e)
	return e
}

func classify(e *Error) {
	// Device flow states are named by the error value; their codes are shared with
	// other failures (authorization_declined carries 70000, as an invalid grant does).
	switch e.OAuthError {
	case "authorization_pending", "slow_down", "authorization_declined", "expired_token", "bad_verification_code":
		er := errorReasons[e.OAuthError]
		e.Reason, e.Class = er.r, er.c
		return
	}
	for _, c := range e.Codes {
		if cr, ok := codeReasons[c]; ok {
			e.Reason, e.Class = cr.r, cr.c
			return
		}
	}
	if er, ok := errorReasons[e.OAuthError]; ok {
		e.Reason, e.Class = er.r, er.c
		return
	}
	switch {
	case e.Status == http.StatusTooManyRequests:
		e.Reason, e.Class = ReasonThrottled, Transient
	case e.Status >= 500 || e.Status == 0:
		e.Reason, e.Class = ReasonServiceUnavailable, Transient
	default:
		// An unknown 4xx: retrying would repeat it, and repeated sign-in failures can lock
		// the account, so the owner must look.
		e.Reason, e.Class = ReasonBadRequest, NeedsOwner
	}
}

// networkError wraps a transport failure.
func networkError(op, account string, err error) *Error {
	return &Error{Op: op, Account: account, Class: Transient, Reason: ReasonNetwork, Err: err}
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}
