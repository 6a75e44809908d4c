package importer

import (
	"strings"

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

const accountShapes = "expected one of: user, password, client id (delegated sign-in) or tenant, client id, client secret (application sign-in), separated by spaces, tabs, commas or ----"

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
			p.errorf(ln, f, "4 fields but none is a user (name@domain): %s; a 4-field line is user, tenant, client id, client secret", accountShapes)
			return
		}
		u := k.upns[0]
		rest := make([]string, 0, 3)
		for _, i := range others(4, u) {
			rest = append(rest, fields[i])
		}
		if kr := classify(rest); len(kr.upns) > 0 || len(kr.guids) == 0 {
			p.errorf(ln, f, "a 4-field line must be user, tenant, client id, client secret (any order); this one is not: %s", accountShapes)
			return
		}
		shaped := false
		for _, x := range rest {
			shaped = shaped || reSecretValue.MatchString(x)
		}
		if !shaped {
			p.errorf(ln, f, "4 fields, and none has the shape of a client secret value, so it is unclear whether the line holds a password or a secret: write 3 fields instead, user, password, client id (delegated sign-in) or tenant, client id, client secret (application sign-in, then set user)")
			return
		}
		p.account3(ln, rest, fields[u])
	default:
		p.errorf(ln, f, "found %d field(s): %s. One account per line; a password or secret containing a space must be separated by tabs or ----", len(fields), accountShapes)
	}
}

// account3 handles three fields; user is set for a 4-field application line.
func (p *parser) account3(ln int, fields []string, user string) {
	f := FormatAccountTxt
	k := classify(fields)
	switch {
	case len(k.guids) == 0:
		p.errorf(ln, f, "no field is a client id: one field must be the app's Application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000; %s", accountShapes)
	case len(k.guids) == 3:
		p.errorf(ln, f, "all three fields are GUIDs: the client secret must be the secret's Value, not its ID (copy the Value column in the app's \"Certificates & secrets\" page)")
	case user == "" && len(k.upns) > 0 && len(k.guids) == 1:
		u, g := k.upns[0], k.guids[0]
		rest := others(3, u, g)[0]
		upn, id, third := fields[u], fields[g], fields[rest]
		if reSecretValue.MatchString(third) {
			p.ccCandidate(ln, domainOf(upn), id, third, upn,
				"Read as application sign-in because the third field has the shape of a client secret value; if it is the user's password, change type to password (username and password instead of user and client_secret).")
			return
		}
		p.add(Candidate{
			Line: ln, Format: f, Name: nameFromUPN(upn), Type: TypePassword,
			Tenant: domainOf(upn), ClientID: strings.ToLower(id), Username: upn, Password: secret.String(third),
			Note: "Password sign-in: it fails when the account has MFA or security defaults; a refresh token (e5renew login) is sturdier.",
		})
	case len(k.upns) > 0 && len(k.guids) == 2 && user == "":
		p.errorf(ln, f, "a user and two GUIDs but no password or secret: %s", accountShapes)
	case len(k.guids) == 2:
		// tenant id, client id, secret
		rest := others(3, k.guids[0], k.guids[1])[0]
		if isUPN(fields[rest]) {
			p.errorf(ln, f, "two GUIDs and a user but no client secret: %s", accountShapes)
			return
		}
		p.ccCandidate(ln, strings.ToLower(fields[k.guids[0]]), fields[k.guids[1]], fields[rest], user, "")
	default: // one GUID, no user among the fields
		g := k.guids[0]
		tenant := -1
		if len(k.domains) > 0 {
			tenant = k.domains[0]
		}
		if tenant < 0 {
			if user != "" {
				p.errorf(ln, f, "no field is the tenant (its domain such as contoso.onmicrosoft.com, or its id): a 4-field line is user, tenant, client id, client secret")
			} else {
				p.errorf(ln, f, "no field is a user (name@domain) or a tenant (contoso.onmicrosoft.com or its id): %s", accountShapes)
			}
			return
		}
		rest := others(3, g, tenant)[0]
		p.ccCandidate(ln, strings.ToLower(fields[tenant]), fields[g], fields[rest], user, "")
	}
}

func (p *parser) ccCandidate(ln int, tenant, id, sec, user, note string) {
	f := FormatAccountTxt
	if m := checkSecretValue(sec); m != "" {
		p.errorf(ln, f, "%s", m)
		return
	}
	name := nameFromTenant(tenant)
	if user != "" {
		name = nameFromUPN(user)
	} else {
		note = strings.TrimSpace(note + " Application sign-in: the line does not say which user's mailbox and files to work on; set user to a UPN of the tenant.")
	}
	p.add(Candidate{
		Line: ln, Format: f, Name: name, Type: TypeClientCredentials,
		Tenant: tenant, ClientID: strings.ToLower(id), ClientSecret: secret.String(sec), User: user,
		Note: note,
	})
}
