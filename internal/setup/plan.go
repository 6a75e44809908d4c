package setup

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/graphdata"
	"github.com/e5renew/e5renew/internal/i18n"
)

// Permission is one Microsoft Graph permission the app asks for.
type Permission struct {
	Name string // as Microsoft spells it: "Mail.ReadWrite"
	ID   string // the GUID Microsoft Graph publishes for it (provisioningInfo.json)
	// Type is "Scope" (delegated, oauth2PermissionScopes) or "Role" (application, appRoles),
	// as requiredResourceAccess writes it.
	Type string
	// AdminConsent is true when only an administrator can consent (always for a Role).
	AdminConsent bool
	Description  string // Microsoft's admin display name, English
}

// Delegated reports whether p is a delegated permission (type Scope).
func (p Permission) Delegated() bool { return p.Type == TypeScope }

// The two resourceAccess types.
const (
	TypeScope = "Scope"
	TypeRole  = "Role"
)

// OpenIDScopes are added to every delegated grant: offline_access for the refresh token
// e5renew keeps, openid and profile for the sign-in itself. Granting them up front means no
// user sees a consent prompt at `e5renew login`.
var OpenIDScopes = []string{"offline_access", "openid", "profile"}

// DefaultScopes is the least set of delegated permissions every activity in e5renew's
// catalog needs (activity.MinimalPermissions), without the OpenID scopes.
func DefaultScopes() []string { return append([]string(nil), defaults().scopes...) }

// DefaultRoles is the least set of application permissions every activity available
// app-only needs.
func DefaultRoles() []string { return append([]string(nil), defaults().roles...) }

// defaults computes the default permissions once: the catalog is fixed at init.
var defaults = sync.OnceValue(func() struct{ scopes, roles []string } {
	return struct{ scopes, roles []string }{activity.MinimalPermissions(activity.All(), true), activity.MinimalPermissions(activity.All(), false)}
})

// Plan is exactly what Run makes sure exists. NewPlan builds it without any network call.
type Plan struct {
	DisplayName          string
	SignInAudience       string // AzureADMyOrg
	FallbackPublicClient bool   // isFallbackPublicClient: device code sign-in without a secret
	RedirectURIs         []string
	Tag                  string
	Notes                string
	// Scopes are the delegated permissions (OpenID scopes included), Roles the application
	// permissions (empty unless Application). Both sorted by name, OpenID scopes last.
	Scopes []Permission
	Roles  []Permission
	// Application mode: roles are assigned and a client secret is added.
	Application    bool
	SecretLifetime time.Duration // 0: no secret
}

// NewPlan resolves the configuration into a plan: defaults applied, permission names
// checked against Microsoft's official data and turned into GUIDs.
func NewPlan(cfg Config) (*Plan, error) {
	cfg = cfg.withDefaults()
	if cfg.SecretLifetime < 0 {
		return nil, configError(i18n.Text{
			EN: "the secret lifetime cannot be negative (0 means no secret)",
			ZH: "客户端密码有效期不能为负数（0 表示不创建密码）"})
	}
	if strings.TrimSpace(cfg.DisplayName) == "" || len(cfg.DisplayName) > 256 {
		return nil, configError(i18n.Text{EN: "the app's display name must have 1 to 256 characters", ZH: "应用显示名称须为 1 到 256 个字符"})
	}
	p := &Plan{
		DisplayName: strings.TrimSpace(cfg.DisplayName), SignInAudience: "AzureADMyOrg", FallbackPublicClient: true,
		RedirectURIs: []string{RedirectURI}, Tag: Tag, Notes: Notes,
		Application: cfg.Application,
	}
	if cfg.Application {
		p.SecretLifetime = cfg.SecretLifetime
	}
	var err error
	if p.Scopes, err = resolve(cfg.Scopes, true); err != nil {
		return nil, err
	}
	if cfg.Application {
		if p.Roles, err = resolve(cfg.Roles, false); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// resolve turns names into permissions of one kind, sorted, duplicates removed; the OpenID
// scopes are appended to delegated lists.
func resolve(names []string, delegated bool) ([]Permission, error) {
	prov, err := graphdata.LoadProvisioning()
	if err != nil {
		return nil, err
	}
	tab := graphdata.MustLoad()
	scheme, typ := graphdata.Application, TypeRole
	if delegated {
		scheme, typ = graphdata.DelegatedWork, TypeScope
	}
	seen := map[string]bool{}
	var out, oidc []Permission
	for _, raw := range names {
		n := strings.TrimSpace(raw)
		if n == "" {
			continue
		}
		canon, ok := prov.Canonical(n)
		if !ok {
			return nil, configError(i18n.Text{
				EN: fmt.Sprintf("%q is not a Microsoft Graph permission", n),
				ZH: fmt.Sprintf("%q 不是 Microsoft Graph 权限", n)})
		}
		id, ok := prov.ID(canon, scheme)
		if !ok {
			kind := i18n.Text{EN: "an application permission", ZH: "应用程序权限"}
			if delegated {
				kind = i18n.Text{EN: "a delegated permission", ZH: "委托的权限"}
			}
			return nil, configError(i18n.Text{
				EN: fmt.Sprintf("Microsoft Graph has no %s named %s", kind.EN, canon),
				ZH: fmt.Sprintf("Microsoft Graph 没有名为 %s 的%s", canon, kind.ZH)})
		}
		if seen[strings.ToLower(canon)] {
			continue
		}
		seen[strings.ToLower(canon)] = true
		pm := Permission{Name: canon, ID: strings.ToLower(id), Type: typ, AdminConsent: !delegated}
		if pi, ok := tab.Info(canon, scheme); ok {
			pm.Description = pi.AdminDisplayName
			if delegated {
				pm.AdminConsent = pi.RequiresAdminConsent
			}
		}
		if isOpenID(canon) {
			oidc = append(oidc, pm)
		} else {
			out = append(out, pm)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if delegated {
		for _, n := range OpenIDScopes {
			if !seen[n] {
				id, _ := prov.ID(n, graphdata.DelegatedWork)
				oidc = append(oidc, Permission{Name: n, ID: id, Type: TypeScope, Description: openIDDescriptions[n]})
			}
		}
		sort.SliceStable(oidc, func(i, j int) bool { return oidcRank(oidc[i].Name) < oidcRank(oidc[j].Name) })
	}
	return append(out, oidc...), nil
}

var openIDDescriptions = map[string]string{
	"offline_access": "Maintain access to data you have given it access to",
	"openid":         "Sign users in",
	"profile":        "View users' basic profile",
	"email":          "View users' email address",
}

func isOpenID(name string) bool { _, ok := openIDDescriptions[strings.ToLower(name)]; return ok }

func oidcRank(n string) int {
	for i, x := range []string{"offline_access", "openid", "profile", "email"} {
		if x == n {
			return i
		}
	}
	return 99
}

// Names lists permission names.
func Names(ps []Permission) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

// ScopeString is the scope of the delegated grant: the names, space-separated.
func (p *Plan) ScopeString() string { return strings.Join(Names(p.Scopes), " ") }

// SecretName is the display name of a secret created at t: "e5renew 2026-11-02".
func SecretName(t time.Time) string { return SecretPrefix + t.UTC().Format("2006-01-02") }

// resourceAccess is requiredResourceAccess' entry for Microsoft Graph.
func (p *Plan) resourceAccess() []resourceAccess {
	var out []resourceAccess
	for _, s := range append(append([]Permission(nil), p.Scopes...), p.Roles...) {
		out = append(out, resourceAccess{ID: s.ID, Type: s.Type})
	}
	return out
}

// ApplicationBody is the body of POST /applications.
func (p *Plan) ApplicationBody() map[string]any {
	return map[string]any{
		"displayName":            p.DisplayName,
		"signInAudience":         p.SignInAudience,
		"isFallbackPublicClient": p.FallbackPublicClient,
		"publicClient":           map[string]any{"redirectUris": p.RedirectURIs},
		"tags":                   []string{p.Tag},
		"notes":                  p.Notes,
		"requiredResourceAccess": []requiredResourceAccess{{ResourceAppID: graphdata.GraphAppID, ResourceAccess: p.resourceAccess()}},
	}
}

// Describe returns the plan as text in lang: the application's properties, every
// permission with its GUID and type, the secret, the consent grants, then the manual steps
// in the Microsoft Entra admin center for owners who prefer to do it by hand.
func Describe(cfg Config, lang i18n.Lang) (string, error) {
	p, err := NewPlan(cfg)
	if err != nil {
		return "", err
	}
	return p.Describe(lang), nil
}

// Describe returns the plan as text in lang (see the package function Describe).
func (p *Plan) Describe(lang i18n.Lang) string {
	zh := lang == i18n.ZH
	t := func(en, cn string, args ...any) string {
		if zh {
			return fmt.Sprintf(cn, args...)
		}
		return fmt.Sprintf(en, args...)
	}
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	line(t("e5renew app registration: what `e5renew setup` creates or repairs", "e5renew 应用注册：`e5renew setup` 将创建或修复的内容"))
	line("")
	line(t("1. Application (POST /v1.0/applications)", "1. 应用程序（POST /v1.0/applications）"))
	line(fmt.Sprintf("   displayName               %s", p.DisplayName))
	line(fmt.Sprintf("   signInAudience            %s  %s", p.SignInAudience, t("(accounts in this organizational directory only)", "（仅此组织目录中的帐户）")))
	line(fmt.Sprintf("   isFallbackPublicClient    %t  %s", p.FallbackPublicClient, t("(\"Allow public client flows\": device code sign-in without a secret)", "（“允许公共客户端流”：无需密码即可使用设备代码登录）")))
	line(fmt.Sprintf("   publicClient.redirectUris %s  %s", strings.Join(p.RedirectURIs, ", "), t("(platform \"Mobile and desktop applications\")", "（平台“移动和桌面应用程序”）")))
	line(fmt.Sprintf("   tags                      %s  %s", p.Tag, t("(how e5renew recognises its app on the next run)", "（e5renew 下次运行时据此识别自己的应用）")))
	line(fmt.Sprintf("   notes                     %s", p.Notes))
	line("")
	line(t("2. Microsoft Graph permissions (requiredResourceAccess, resourceAppId %s)", "2. Microsoft Graph 权限（requiredResourceAccess，resourceAppId %s）", graphdata.GraphAppID))
	line(t("   type   kind         permission                          id                                    admin consent",
		"   type   类型         权限                                id                                    需要管理员同意"))
	for _, pm := range append(append([]Permission(nil), p.Scopes...), p.Roles...) {
		kind := t("delegated  ", "委托        ")
		if pm.Type == TypeRole {
			kind = t("application", "应用程序    ")
		}
		admin := t("no", "否")
		if pm.AdminConsent {
			admin = t("yes", "是")
		}
		line(fmt.Sprintf("   %-6s %s  %-35s %s  %s", pm.Type, kind, pm.Name, pm.ID, admin))
	}
	line("")
	line(t("3. Client secret", "3. 客户端密码"))
	switch {
	case !p.Application:
		line(t("   none: application mode was not asked for (delegated sign-in needs no secret)", "   无：未要求应用程序模式（委托登录不需要密码）"))
	case p.SecretLifetime == 0:
		line(t("   none: a secret lifetime of 0 was asked for", "   无：指定的密码有效期为 0"))
	default:
		line(t("   POST /v1.0/applications/{id}/addPassword, displayName \"%s<date>\", endDateTime = the run's time + %s;",
			"   POST /v1.0/applications/{id}/addPassword，displayName 为 \"%s<日期>\"，endDateTime = 运行时间 + %s；",
			SecretPrefix, lifetimeText(p.SecretLifetime, zh)))
		line(t("   only when no e5renew secret is valid for more than %s. Its value is shown once, by this run only.",
			"   仅在没有剩余有效期超过 %s的 e5renew 密码时创建。密码值只在本次运行中显示一次。", lifetimeText(renewMargin(p.SecretLifetime), zh)))
	}
	line("")
	line(t("4. Service principal (enterprise application): POST /v1.0/servicePrincipals {\"appId\": \"<the app's appId>\"}",
		"4. 服务主体（企业应用程序）：POST /v1.0/servicePrincipals {\"appId\": \"<应用的 appId>\"}"))
	line("")
	line(t("5. Admin consent", "5. 管理员同意"))
	line(t("   delegated: one oauth2PermissionGrant, consentType AllPrincipals (every user), resource Microsoft Graph's service principal,",
		"   委托：一个 oauth2PermissionGrant，consentType 为 AllPrincipals（所有用户），资源为 Microsoft Graph 的服务主体，"))
	line(fmt.Sprintf("     scope \"%s\"", p.ScopeString()))
	line(t("     (an existing grant keeps its other scopes)", "     （已有授权中的其他 scope 保持不变）"))
	if len(p.Roles) > 0 {
		line(t("   application: one appRoleAssignedTo assignment on Microsoft Graph's service principal per role (%d):",
			"   应用程序：在 Microsoft Graph 的服务主体上为每个角色创建一个 appRoleAssignedTo 分配（共 %d 个）：", len(p.Roles)))
		for _, r := range p.Roles {
			line(fmt.Sprintf("     %-35s appRoleId %s", r.Name, r.ID))
		}
	} else {
		line(t("   application: none (application mode was not asked for)", "   应用程序：无（未要求应用程序模式）"))
	}
	line("")
	line(t("Who can run it: a Global Administrator of the tenant (or a Privileged Role Administrator), signed in with",
		"谁可以运行：租户的全局管理员（或特权角色管理员），通过设备代码使用 Microsoft 第一方公共客户端"))
	line(t("the device code flow through Microsoft's first-party Azure CLI client (%s), which holds",
		"Azure CLI（%s）登录，该客户端已预授权", AzureCLIClientID))
	line(t("Application.ReadWrite.All, AppRoleAssignment.ReadWrite.All and DelegatedPermissionGrant.ReadWrite.All.",
		"Application.ReadWrite.All、AppRoleAssignment.ReadWrite.All 和 DelegatedPermissionGrant.ReadWrite.All。"))
	line("")
	b.WriteString(p.manualSteps(zh))
	return b.String()
}

// manualSteps are the same changes made by hand in the Microsoft Entra admin center.
func (p *Plan) manualSteps(zh bool) string {
	var b strings.Builder
	n := 0
	step := func(en, cn string, args ...any) {
		n++
		s := en
		if zh {
			s = cn
		}
		fmt.Fprintf(&b, "  %d. %s\n", n, fmt.Sprintf(s, args...))
	}
	sub := func(s string) { fmt.Fprintf(&b, "     %s\n", s) }
	if zh {
		b.WriteString("手动步骤（喜欢使用 Azure 门户的所有者）：\n")
	} else {
		b.WriteString("Manual steps (for owners who prefer the Azure portal):\n")
	}
	step("Sign in to https://entra.microsoft.com (or https://portal.azure.com > Microsoft Entra ID) as a Global Administrator of the tenant.",
		"以租户全局管理员身份登录 https://entra.microsoft.com（或 https://portal.azure.com > Microsoft Entra ID）。")
	step("Applications > App registrations > New registration. Name: %s. Supported account types: \"Accounts in this organizational directory only\". Redirect URI: platform \"Public client/native (mobile & desktop)\", %s. Register.",
		"应用程序 > 应用注册 > 新注册。名称：%s。受支持的帐户类型：“仅此组织目录中的帐户”。重定向 URI：平台选“公共客户端/本机(移动和桌面)”，填写 %s。点击“注册”。",
		p.DisplayName, strings.Join(p.RedirectURIs, ", "))
	step("Authentication: set \"Allow public client flows\" to Yes. Save.",
		"身份验证：将“允许公共客户端流”设为“是”。保存。")
	step("Manifest: add \"%s\" to the \"tags\" list and save, so that `e5renew setup` recognises the app later (without the tag it adopts an app with the same name).",
		"清单：在 \"tags\" 列表中加入 \"%s\" 并保存，以便 `e5renew setup` 以后能识别该应用（没有该标记时，它会接管同名的应用）。", p.Tag)
	step("API permissions > Add a permission > Microsoft Graph > Delegated permissions: select",
		"API 权限 > 添加权限 > Microsoft Graph > 委托的权限：勾选")
	sub(strings.Join(Names(p.Scopes), ", "))
	if len(p.Roles) > 0 {
		step("API permissions > Add a permission > Microsoft Graph > Application permissions: select",
			"API 权限 > 添加权限 > Microsoft Graph > 应用程序权限：勾选")
		sub(strings.Join(Names(p.Roles), ", "))
	}
	step("Click \"Grant admin consent for <your tenant>\" and confirm: every permission's status shows \"Granted\".",
		"点击“代表 <你的租户> 授予管理员同意”并确认：每个权限的状态都显示“已授予”。")
	if p.Application && p.SecretLifetime > 0 {
		step("Certificates & secrets > Client secrets > New client secret. Description: %s<today's date>. Expires: %s (or the closest choice). Copy the Value at once (not the Secret ID): it is shown only once.",
			"证书和密码 > 客户端密码 > 新客户端密码。说明：%s<今天的日期>。截止期限：%s（或最接近的选项）。立即复制“值”（不是“机密 ID”）：它只显示一次。",
			SecretPrefix, lifetimeText(p.SecretLifetime, zh))
	}
	if p.Application && p.SecretLifetime > 0 {
		step("Overview: copy the Application (client) ID and the Directory (tenant) ID, and give them with the secret's value to e5renew.",
			"概述：复制“应用程序(客户端) ID”和“目录(租户) ID”，连同密码值一起提供给 e5renew。")
	} else {
		step("Overview: copy the Application (client) ID and the Directory (tenant) ID, and give them to e5renew.",
			"概述：复制“应用程序(客户端) ID”和“目录(租户) ID”，提供给 e5renew。")
	}
	return b.String()
}

// lifetimeText writes a lifetime in days, with years or months when it is a whole number
// of them (a year counted as 365 days).
func lifetimeText(d time.Duration, zh bool) string {
	days := int(d / (24 * time.Hour))
	switch {
	case d%(24*time.Hour) != 0 || days == 0:
		return d.String()
	case days%365 == 0:
		if zh {
			return fmt.Sprintf("%d 年（%d 天）", days/365, days)
		}
		if days == 365 {
			return "1 year (365 days)"
		}
		return fmt.Sprintf("%d years (%d days)", days/365, days)
	case days%30 == 0:
		if zh {
			return fmt.Sprintf("%d 个月（%d 天）", days/30, days)
		}
		if days == 30 {
			return "1 month (30 days)"
		}
		return fmt.Sprintf("%d months (%d days)", days/30, days)
	}
	if zh {
		return fmt.Sprintf("%d 天", days)
	}
	if days == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", days)
}
