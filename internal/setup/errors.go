package setup

import (
	"errors"
	"fmt"
	"strings"

	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/graphdata"
	"github.com/e5renew/e5renew/internal/i18n"
)

// Reason classifies a setup failure.
type Reason string

// The reasons.
const (
	// ReasonPermissionMissing: the administrator's token lacks a Graph permission.
	ReasonPermissionMissing Reason = "permission_missing"
	// ReasonRoleMissing: the signed-in user holds no directory role that may grant admin
	// consent.
	ReasonRoleMissing Reason = "role_missing"
	// ReasonForbidden: Graph answered 403 and the cause (token or role) is not known.
	ReasonForbidden Reason = "forbidden"
	// ReasonAppNotFound: Config.ClientID names no application in the tenant.
	ReasonAppNotFound Reason = "app_not_found"
	// ReasonAmbiguous: several applications could be e5renew's.
	ReasonAmbiguous Reason = "ambiguous"
	// ReasonNotPublished: Microsoft Graph's service principal does not offer a permission.
	ReasonNotPublished Reason = "permission_not_published"
	// ReasonConfig: the configuration is invalid (an unknown permission name...).
	ReasonConfig Reason = "invalid_config"
	// ReasonGraph: another Graph failure (network, throttling beyond retries, 5xx...).
	ReasonGraph Reason = "graph"
)

// Error is a failed setup. Error() gives English and Chinese; Message one language. It
// never contains a token or a secret.
type Error struct {
	Reason Reason
	Step   StepKind // empty for checks made before any change
	// Method and Path are the refused Graph call, the path as a template
	// ("/servicePrincipals/{id}/appRoleAssignedTo").
	Method, Path string
	Status       int
	Code         string // Graph error code, e.g. Authorization_RequestDenied
	RequestID    string
	// Permissions are the missing permissions (PermissionMissing, NotPublished), or those
	// the token would need if it is the cause (Forbidden); Accepted every permission the
	// official data accepts for the call.
	Permissions []string
	Accepted    []string
	Delegated   bool     // Permissions are delegated (Scope) ones
	Roles       []string // directory roles that may grant the consent
	ClientID    string   // AppNotFound
	Name        string   // Ambiguous: the display name
	Candidates  []string // Ambiguous: client ids
	Text        i18n.Text
	Err         error
}

var roleNamesZH = map[string]string{
	"Global Administrator": "全局管理员", "Privileged Role Administrator": "特权角色管理员",
	"Cloud Application Administrator": "云应用程序管理员", "Application Administrator": "应用程序管理员",
}

func configError(t i18n.Text) *Error { return &Error{Reason: ReasonConfig, Text: t} }

// AsError finds an *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	s := "e5renew setup: " + e.Message(i18n.EN) + " / " + e.Message(i18n.ZH)
	if e.RequestID != "" && !strings.Contains(s, e.RequestID) {
		s += " (request-id " + e.RequestID + ")"
	}
	return s
}

// Message says in lang what went wrong and what to do.
func (e *Error) Message(lang i18n.Lang) string {
	zh := lang == i18n.ZH
	t := func(en, cn string, args ...any) string {
		if zh {
			return fmt.Sprintf(cn, args...)
		}
		return fmt.Sprintf(en, args...)
	}
	call := ""
	if e.Method != "" {
		call = e.Method + " " + e.Path
	}
	kind := t("delegated", "委托")
	if !e.Delegated {
		kind = t("application", "应用程序")
	}
	signIn := t("Sign in through e5renew setup as a Global Administrator of the tenant (in a Microsoft 365 developer sandbox: the admin account created with it, admin@<name>.onmicrosoft.com); it uses Microsoft's Azure CLI client, which holds Application.ReadWrite.All, AppRoleAssignment.ReadWrite.All and DelegatedPermissionGrant.ReadWrite.All. Or register the app by hand in the Microsoft Entra admin center (the setup plan lists the manual steps).",
		"请通过 e5renew setup 以租户全局管理员身份登录（Microsoft 365 开发者沙盒中即随沙盒创建的管理员账号 admin@<名称>.onmicrosoft.com）；它使用 Microsoft 的 Azure CLI 客户端，该客户端已获 Application.ReadWrite.All、AppRoleAssignment.ReadWrite.All 和 DelegatedPermissionGrant.ReadWrite.All 预授权。也可以在 Microsoft Entra 管理中心手动注册应用（设置计划中列有手动步骤）。")
	after := t(" Nothing was changed.", "未做任何更改。")
	if e.Step != "" {
		after = t(" Run setup again afterwards: it continues where it stopped.", "之后请再次运行 setup：它会从中断处继续。")
	}
	var rl []string
	for _, r := range e.Roles {
		if n, ok := roleNamesZH[r]; ok && zh {
			r = n + "（" + r + "）"
		}
		rl = append(rl, r)
	}
	roles := strings.Join(rl, t(" or ", "或"))
	switch e.Reason {
	case ReasonPermissionMissing:
		plural := ""
		if len(e.Permissions) > 1 {
			plural = "s"
		}
		s := t("the administrator's sign-in token lacks the Microsoft Graph %s permission%s %s", "管理员的登录令牌缺少 Microsoft Graph %s权限%s %s",
			kind, t(plural, ""), strings.Join(e.Permissions, t(" and ", " 和 ")))
		if call != "" {
			s += t(" (needed for %s; accepted: %s)", "（%s 需要；可接受：%s）", call, strings.Join(e.Accepted, ", "))
		}
		return s + t(". ", "。") + signIn + after
	case ReasonRoleMissing:
		var s string
		if zh {
			s = fmt.Sprintf("登录的用户不是%s：只有他们才能代表整个租户授予管理员同意", roles)
			if call != "" {
				s += fmt.Sprintf("（Microsoft Graph 以 %d %s 拒绝了 %s）", e.Status, e.Code, call)
			}
		} else {
			s = fmt.Sprintf("the signed-in user is not a %s: only they may grant admin consent for the whole tenant", roles)
			if call != "" {
				s += fmt.Sprintf(" (Microsoft Graph refused %s with %d %s)", call, e.Status, e.Code)
			}
		}
		return s + t(". ", "。") + signIn + after
	case ReasonForbidden:
		if zh {
			return fmt.Sprintf("Microsoft Graph 以 %d %s 拒绝了 %s：要么登录令牌缺少%s权限 %s（可接受：%s），要么登录的用户不是%s。", e.Status, e.Code, call,
				kind, strings.Join(e.Permissions, " 和 "), strings.Join(e.Accepted, ", "), roles) + signIn + after
		}
		return fmt.Sprintf("Microsoft Graph refused %s with %d %s: either the sign-in token lacks the %s permission %s (accepted: %s), or the signed-in user is not a %s. ",
			call, e.Status, e.Code, kind, strings.Join(e.Permissions, " and "), strings.Join(e.Accepted, ", "), roles) + signIn + after
	case ReasonAppNotFound:
		return t("no application with client id %s exists in this tenant (was it deleted?). Leave the client id empty to register a new app.",
			"此租户中不存在客户端 ID 为 %s 的应用程序（是否已被删除？）。不指定客户端 ID 即可注册新应用。", e.ClientID)
	case ReasonAmbiguous:
		return t("several applications could be e5renew's %q (client ids %s). Give the client id of the one to use, or rename or delete the others.",
			"有多个应用程序可能是 e5renew 的 %q（客户端 ID %s）。请指定要使用的客户端 ID，或重命名、删除其他应用。", e.Name, strings.Join(e.Candidates, ", "))
	case ReasonNotPublished:
		return t("Microsoft Graph's service principal in this tenant does not offer the %s permission %s. Remove it from the configuration.",
			"此租户中 Microsoft Graph 的服务主体不提供%s权限 %s。请从配置中删除它。", kind, strings.Join(e.Permissions, ", "))
	case ReasonConfig:
		return e.Text.In(lang)
	}
	s := t("Microsoft Graph failed", "Microsoft Graph 调用失败")
	if e.Step != "" {
		s += t(" at step %s", "（步骤：%s）", stepText(e.Step).In(lang))
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s + t(". ", "。") + t("Run setup again later: it continues where it stopped.", "请稍后再次运行 setup：它会从中断处继续。")
}

// graphError turns a failed Graph call into an *Error, explaining a 403 with the official
// permission data and what is known about the token and the user's role.
func (r *runner) graphError(step StepKind, method, template string, err error) error {
	ge, ok := graph.AsError(err)
	if !ok {
		return &Error{Step: step, Method: method, Path: template, Reason: ReasonGraph, Err: err}
	}
	e := &Error{Step: step, Method: method, Path: template, Status: ge.Status, Code: ge.Code, RequestID: ge.RequestID,
		Delegated: r.scheme == graphdata.DelegatedWork, Roles: consentRoleNames(r.plan.Application), Err: err}
	if ge.Status != 403 {
		e.Reason = ReasonGraph
		return e
	}
	tab := graphdata.MustLoad()
	e.Accepted = tab.AcceptedBy(method, template, r.scheme)
	var held []string
	if r.cfg.Token != nil {
		held = r.cfg.Token.Permissions()
	}
	e.Permissions = missingPermissions([]apiCall{{method, template}}, r.scheme, held)
	switch {
	case r.cfg.Token != nil && len(e.Permissions) > 0:
		e.Reason = ReasonPermissionMissing
	case r.cfg.Token != nil && r.role != roleOK:
		// The token holds what the call needs: the directory role is missing.
		e.Reason = ReasonRoleMissing
	case r.role == roleOK && r.cfg.Token == nil:
		e.Reason = ReasonPermissionMissing
	default:
		e.Reason = ReasonForbidden
		if len(e.Permissions) == 0 {
			e.Permissions = e.Accepted
		}
	}
	return e
}

type apiCall struct{ method, path string }

// calls lists every Graph call a run may make.
func (r *runner) calls() []apiCall {
	c := []apiCall{
		{"GET", "/servicePrincipals"}, {"GET", "/applications"}, {"POST", "/applications"}, {"PATCH", "/applications/{id}"},
		{"POST", "/servicePrincipals"}, {"GET", "/oauth2PermissionGrants"}, {"POST", "/oauth2PermissionGrants"},
		{"PATCH", "/oauth2PermissionGrants/{id}"}, {"GET", "/servicePrincipals/{id}/appRoleAssignments"},
	}
	if r.plan.Application {
		c = append(c, apiCall{"POST", "/servicePrincipals/{id}/appRoleAssignedTo"})
		if r.plan.SecretLifetime > 0 {
			c = append(c, apiCall{"POST", "/applications/{id}/addPassword"})
		}
	}
	return c
}

// bootstrapPermissions are the permissions to ask for, in this order: what the Azure CLI
// client is pre-authorised for.
var bootstrapPermissions = []string{"Application.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"}

// missingPermissions names the permissions to add to held so that every call is accepted
// in scheme, preferring the bootstrap permissions, then each call's least privileged one.
func missingPermissions(calls []apiCall, scheme graphdata.Scheme, held []string) []string {
	tab := graphdata.MustLoad()
	cur := append([]string(nil), held...)
	var out []string
	for _, c := range calls {
		if tab.Accepts(c.method, c.path, scheme, cur) {
			continue
		}
		pick := ""
		for _, p := range bootstrapPermissions {
			if tab.Accepts(c.method, c.path, scheme, append(append([]string(nil), cur...), p)) {
				pick = p
				break
			}
		}
		if pick == "" {
			for _, p := range tab.AcceptedBy(c.method, c.path, scheme) {
				if tab.Accepts(c.method, c.path, scheme, append(append([]string(nil), cur...), p)) {
					pick = p
					break
				}
			}
		}
		if pick == "" {
			continue
		}
		cur = append(cur, pick)
		out = append(out, pick)
	}
	return out
}
