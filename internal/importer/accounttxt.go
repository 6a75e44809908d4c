package importer

import (
	"strings"

	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/secret"
)

// Account.txt of the old Microsoft 365 E5 Renew (closed source): one account per line, the
// type told from the fields. Its exact layout is not published; these lines are accepted,
// in any order, with fields separated by "----", tabs, commas or spaces (the first of
// those found on the line):
//
//	user, password, client id           -> password (delegated) sign-in
//	tenant, client id, client secret    -> client_credentials (application) sign-in
//	user, client id, client secret      -> client_credentials for that user, when the
//	                                       secret has the shape of an Entra ID secret value
//	user, tenant, client id, secret     -> client_credentials for that user (same condition)
//
// A GUID is a client id (with two GUIDs and no user: tenant first, then client id), a
// field with an @ is the user, a dotted name is the tenant's domain.

func splitAccountFields(s string) []string {
	var parts []string
	switch {
	case strings.Contains(s, "----"):
		parts = strings.Split(s, "----")
	case strings.Contains(s, "\t"):
		parts = strings.Split(s, "\t")
	case strings.ContainsAny(s, ",，"):
		parts = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' })
	default:
		parts = strings.Fields(s)
	}
	out := parts[:0]
	for _, f := range parts {
		f = unquote(strings.TrimSpace(f))
		f = strings.TrimSpace(f)
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

type fieldKinds struct {
	guids, upns, domains []int
}

func classify(fields []string) fieldKinds {
	var k fieldKinds
	for i, f := range fields {
		switch {
		case isGUID(f):
			k.guids = append(k.guids, i)
		case isUPN(f):
			k.upns = append(k.upns, i)
		case isDomain(f):
			k.domains = append(k.domains, i)
		}
	}
	return k
}

// looksLikeAccount tells an Account.txt line among other text: 3 or 4 fields, a GUID and a
// user, a domain or a second GUID.
func looksLikeAccount(s string) bool {
	f := splitAccountFields(s)
	if len(f) < 3 || len(f) > 4 {
		return false
	}
	k := classify(f)
	return len(k.guids) >= 1 && (len(k.upns) > 0 || len(k.domains) > 0 || len(k.guids) >= 2)
}

// accountShapes says what an Account.txt line must hold; messages end with it.
var accountShapes = i18n.Text{
	EN: "expected one of: user, password, client id (delegated sign-in) or tenant, client id, client secret (application sign-in), separated by spaces, tabs, commas or ----",
	ZH: "每行应为“用户, 密码, 客户端 ID”（委托登录）或“租户, 客户端 ID, 客户端密码”（应用程序登录）之一，字段之间用空格、Tab、逗号或 ---- 分隔",
}

func others(n int, skip ...int) []int {
	var out []int
next:
	for i := 0; i < n; i++ {
		for _, s := range skip {
			if i == s {
				continue next
			}
		}
		out = append(out, i)
	}
	return out
}

func domainOf(upn string) string {
	_, d, _ := strings.Cut(upn, "@")
	return strings.ToLower(d)
}

// accountLine parses one Account.txt line.
func (p *parser) accountLine(ln int, s string) {
	f := FormatAccountTxt
	fields := splitAccountFields(s)
	switch len(fields) {
	case 3:
		p.account3(ln, fields, "")
	case 4:
		k := classify(fields)
		if len(k.upns) == 0 {
			p.errorf(ln, f, i18n.Text{
				EN: "4 fields but none is a user (name@domain): %s; a 4-field line is user, tenant, client id, client secret",
				ZH: "有 4 个字段，但没有一个是用户（name@domain）：%s；4 个字段的行应为“用户, 租户, 客户端 ID, 客户端密码”",
			}, accountShapes)
			return
		}
		u := k.upns[0]
		rest := make([]string, 0, 3)
		for _, i := range others(4, u) {
			rest = append(rest, fields[i])
		}
		if kr := classify(rest); len(kr.upns) > 0 || len(kr.guids) == 0 {
			p.errorf(ln, f, i18n.Text{
				EN: "a 4-field line must be user, tenant, client id, client secret (any order); this one is not: %s",
				ZH: "4 个字段的行必须是“用户, 租户, 客户端 ID, 客户端密码”（顺序不限），这一行不是：%s",
			}, accountShapes)
			return
		}
		shaped := false
		for _, x := range rest {
			shaped = shaped || reSecretValue.MatchString(x)
		}
		if !shaped {
			p.errorf(ln, f, i18n.Text{
				EN: "4 fields, and none has the shape of a client secret value, so it is unclear whether the line holds a password or a secret: write 3 fields instead, user, password, client id (delegated sign-in) or tenant, client id, client secret (application sign-in, then set user)",
				ZH: "有 4 个字段，但没有一个形如客户端密码的值，无法判断这一行写的是用户密码还是客户端密码：请改写成 3 个字段，“用户, 密码, 客户端 ID”（委托登录）或“租户, 客户端 ID, 客户端密码”（应用程序登录，之后再设置 user）",
			})
			return
		}
		p.account3(ln, rest, fields[u])
	default:
		p.errorf(ln, f, i18n.Text{
			EN: "found %d field(s): %s. One account per line; a password or secret containing a space must be separated by tabs or ----",
			ZH: "找到 %d 个字段。%s。每行只写一个账号；密码或客户端密码中含有空格时，字段之间须用 Tab 或 ---- 分隔",
		}, len(fields), accountShapes)
	}
}

// account3 handles three fields; user is set for a 4-field application line.
func (p *parser) account3(ln int, fields []string, user string) {
	f := FormatAccountTxt
	k := classify(fields)
	switch {
	case len(k.guids) == 0:
		p.errorf(ln, f, i18n.Text{
			EN: "no field is a client id: one field must be the app's Application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000; %s",
			ZH: "没有一个字段是客户端 ID：其中一个字段必须是应用的“应用程序(客户端) ID”，即形如 00000000-0000-0000-0000-000000000000 的 GUID；%s",
		}, accountShapes)
	case len(k.guids) == 3:
		p.errorf(ln, f, i18n.Text{
			EN: "all three fields are GUIDs: the client secret must be the secret's Value, not its ID (copy the Value column in the app's \"Certificates & secrets\" page)",
			ZH: "三个字段都是 GUID：客户端密码必须是它的“值”，而不是“机密 ID”（请在应用的“证书和密码”页面复制“值”一列）",
		})
	case user == "" && len(k.upns) > 0 && len(k.guids) == 1:
		u, g := k.upns[0], k.guids[0]
		rest := others(3, u, g)[0]
		upn, id, third := fields[u], fields[g], fields[rest]
		if reSecretValue.MatchString(third) {
			p.ccCandidate(ln, domainOf(upn), id, third, upn, i18n.Text{
				EN: "Read as application sign-in because the third field has the shape of a client secret value; if it is the user's password, change type to password (username and password instead of user and client_secret).",
				ZH: "第三个字段形如客户端密码的值，因此按应用程序登录读取；如果它其实是用户的密码，请把 type 改为 password（用 username 和 password 代替 user 和 client_secret）。",
			})
			return
		}
		p.add(Candidate{
			Line: ln, Format: f, Name: nameFromUPN(upn), Type: TypePassword,
			Tenant: domainOf(upn), ClientID: strings.ToLower(id), Username: upn, Password: secret.String(third),
			NoteText: i18n.Text{
				EN: "Password sign-in: it fails when the account has MFA or security defaults; a refresh token (e5renew login) is sturdier.",
				ZH: "密码登录：账号启用了多重身份验证（MFA）或安全默认值时会失败；使用刷新令牌（e5renew login）更可靠。",
			},
		})
	case len(k.upns) > 0 && len(k.guids) == 2 && user == "":
		p.errorf(ln, f, i18n.Text{
			EN: "a user and two GUIDs but no password or secret: %s",
			ZH: "有一个用户和两个 GUID，但没有密码或客户端密码：%s",
		}, accountShapes)
	case len(k.guids) == 2:
		// tenant id, client id, secret
		rest := others(3, k.guids[0], k.guids[1])[0]
		if isUPN(fields[rest]) {
			p.errorf(ln, f, i18n.Text{
				EN: "two GUIDs and a user but no client secret: %s",
				ZH: "有两个 GUID 和一个用户，但没有客户端密码：%s",
			}, accountShapes)
			return
		}
		p.ccCandidate(ln, strings.ToLower(fields[k.guids[0]]), fields[k.guids[1]], fields[rest], user, i18n.Text{})
	default: // one GUID, no user among the fields
		g := k.guids[0]
		tenant := -1
		if len(k.domains) > 0 {
			tenant = k.domains[0]
		}
		if tenant < 0 {
			if user != "" {
				p.errorf(ln, f, i18n.Text{
					EN: "no field is the tenant (its domain such as contoso.onmicrosoft.com, or its id): a 4-field line is user, tenant, client id, client secret",
					ZH: "没有一个字段是租户（租户域名如 contoso.onmicrosoft.com，或租户 ID）：4 个字段的行应为“用户, 租户, 客户端 ID, 客户端密码”",
				})
			} else {
				p.errorf(ln, f, i18n.Text{
					EN: "no field is a user (name@domain) or a tenant (contoso.onmicrosoft.com or its id): %s",
					ZH: "没有一个字段是用户（name@domain）或租户（contoso.onmicrosoft.com 这样的域名或租户 ID）：%s",
				}, accountShapes)
			}
			return
		}
		rest := others(3, g, tenant)[0]
		p.ccCandidate(ln, strings.ToLower(fields[tenant]), fields[g], fields[rest], user, i18n.Text{})
	}
}

func (p *parser) ccCandidate(ln int, tenant, id, sec, user string, note i18n.Text) {
	f := FormatAccountTxt
	if m, ok := checkSecretValue(sec); !ok {
		p.errorf(ln, f, m)
		return
	}
	name := nameFromTenant(tenant)
	if user != "" {
		name = nameFromUPN(user)
	} else {
		note = joinNotes(note, i18n.Text{
			EN: "Application sign-in: the line does not say which user's mailbox and files to work on; set user to a UPN of the tenant.",
			ZH: "应用程序登录：这一行没有说明要操作哪个用户的邮箱和文件；请把 user 设为该租户中某个用户的 UPN。",
		})
	}
	p.add(Candidate{
		Line: ln, Format: f, Name: name, Type: TypeClientCredentials,
		Tenant: tenant, ClientID: strings.ToLower(id), ClientSecret: secret.String(sec), User: user,
		NoteText: note,
	})
}
