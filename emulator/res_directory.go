package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The directory workload: users, the organisation and its licences, groups, devices
// (protocol.md §3 rows 1, 2, 16-20, §4).

// userDefaultProps is the property set Graph v1.0 returns for a user without $select.
var userDefaultProps = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
	"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}

// userNullProps are user properties the emulator knows but has no value for: they are
// returned as null when $select names them.
var userNullProps = []string{"ageGroup", "city", "companyName", "consentProvidedForMinor", "country", "creationType",
	"deletedDateTime", "department", "employeeHireDate", "employeeId", "employeeLeaveDateTime", "employeeOrgData",
	"employeeType", "externalUserState", "externalUserStateChangeDateTime", "faxNumber", "isResourceAccount",
	"legalAgeGroupClassification", "onPremisesDistinguishedName", "onPremisesDomainName", "onPremisesExtensionAttributes",
	"onPremisesImmutableId", "onPremisesLastSyncDateTime", "onPremisesSamAccountName", "onPremisesSecurityIdentifier",
	"onPremisesSyncEnabled", "onPremisesUserPrincipalName", "passwordPolicies", "passwordProfile", "postalCode",
	"preferredDataLocation", "preferredName", "showInAddressList", "state", "streetAddress", "aboutMe", "birthday",
	"hireDate", "mySite"}

// globalAdminTemplate is the role template id of the Global Administrator role.
const globalAdminTemplate = "62e90394-69f5-4237-9190-012177145e10"

func (e *Emulator) registerDirectory(rt *router) {
	rt.perUser("GET", "", wlDirectory, (*gc).getUser)
	rt.global("GET", "/users", wlDirectory, (*gc).listUsers)
	rt.perUser("GET", "/memberOf", wlDirectory, (*gc).listMemberOf)
	// transitiveMemberOf also lists groups and directory roles reached through nested
	// groups; no group nests another in the emulator, so it equals memberOf. Clients use it
	// to learn a user's directory roles: it accepts User.Read.All, which memberOf does not.
	rt.perUser("GET", "/transitiveMemberOf", wlDirectory, (*gc).listMemberOf)
	rt.perUser("GET", "/licenseDetails", wlDirectory, (*gc).listLicenseDetails)
	rt.perUser("GET", "/manager", wlDirectory, (*gc).getManager)
	rt.perUser("GET", "/directReports", wlDirectory, (*gc).listDirectReports)
	rt.perUser("GET", "/registeredDevices", wlDirectory, (*gc).listUserDevices)
	rt.perUser("GET", "/ownedDevices", wlDirectory, (*gc).listUserDevices)

	rt.global("GET", "/organization", wlDirectory, func(c *gc) {
		c.dirList([]obj{c.td().org}, "organization", nil)
	})
	rt.global("GET", "/organization/{id}", wlDirectory, func(c *gc) {
		if !strings.EqualFold(c.param(0), c.tenant.ID) {
			c.fail(dirNotFound(c.param(0)))
			return
		}
		c.entity(200, c.selCtx("organization")+"/$entity", c.td().org)
	})
	rt.global("GET", "/subscribedSkus", wlDirectory, func(c *gc) {
		c.refreshConsumedUnits()
		c.dirList(c.td().skus.objs(nil), "subscribedSkus", nil)
	})
	rt.global("GET", "/subscribedSkus/{id}", wlDirectory, func(c *gc) {
		c.refreshConsumedUnits()
		it := c.td().skus.get(c.param(0))
		if it == nil {
			c.fail(dirNotFound(c.param(0)))
			return
		}
		c.entity(200, "subscribedSkus/$entity", it.o)
	})
	// /directory/subscriptions is newer than the official permission data (protocol.md §4.1).
	subs := &supplement{Delegated: []string{"Organization.Read.All", "Directory.Read.All"},
		Application: []string{"Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All"},
		Source:      "protocol.md §4.1, GD directory-list-subscriptions-permissions.md"}
	rt.add(&route{method: "GET", template: "/directory/subscriptions", workload: wlDirectory, supplement: subs, h: func(c *gc) {
		c.dirList(c.td().subscriptions.objs(nil), "directory/subscriptions", nil)
	}})
	getSub := func(c *gc) {
		key := c.param(0)
		if k, v, ok := strings.Cut(key, "="); ok && strings.EqualFold(strings.TrimSpace(k), "commerceSubscriptionId") {
			key = strings.Trim(strings.TrimSpace(v), "'")
		}
		for _, it := range c.td().subscriptions.items {
			if strings.EqualFold(it.id, key) || strings.EqualFold(str(it.o, "commerceSubscriptionId"), key) {
				c.entity(200, c.selCtx("directory/subscriptions")+"/$entity", it.o)
				return
			}
		}
		c.fail(dirNotFound(key))
	}
	rt.add(&route{method: "GET", template: "/directory/subscriptions/{id}", workload: wlDirectory, supplement: subs, h: getSub})
	rt.add(&route{method: "GET", template: "/directory/subscriptions(commerceSubscriptionId='{commerceSubscriptionId}')",
		workload: wlDirectory, supplement: subs, h: getSub})

	rt.global("GET", "/domains", wlDirectory, func(c *gc) {
		c.dirList(c.td().domains.objs(nil), "domains", nil)
	})
	rt.global("GET", "/domains/{id}", wlDirectory, func(c *gc) {
		for _, it := range c.td().domains.items {
			if strings.EqualFold(it.id, c.param(0)) {
				c.entity(200, c.selCtx("domains")+"/$entity", it.o)
				return
			}
		}
		c.fail(dirNotFound(c.param(0)))
	})

	rt.global("GET", "/groups", wlDirectory, func(c *gc) {
		c.dirList(c.td().groups.objs(nil), c.selCtx("groups"), nil)
	})
	rt.global("GET", "/groups/{id}", wlDirectory, func(c *gc) {
		if g := c.group(0); g != nil {
			c.entity(200, c.selCtx("groups")+"/$entity", g.o)
		}
	})
	rt.global("GET", "/groups/{id}/members", wlDirectory, func(c *gc) {
		g := c.group(0)
		if g == nil {
			return
		}
		var out []obj
		for _, uid := range c.td().members[g.id] {
			if u := c.tenant.users[uid]; u != nil {
				out = append(out, typed("#microsoft.graph.user", c.userObj(u)))
			}
		}
		if !c.checkSelect("user", out) {
			return
		}
		c.dirList(out, "directoryObjects", userDefaultProps)
	})

	rt.global("GET", "/devices", wlDirectory, func(c *gc) {
		c.dirList(c.td().devices.objs(nil), c.selCtx("devices"), nil)
	})
	rt.global("GET", "/devices/{id}", wlDirectory, func(c *gc) {
		it := c.td().devices.get(c.param(0))
		if it == nil {
			c.fail(dirNotFound(c.param(0)))
			return
		}
		c.entity(200, c.selCtx("devices")+"/$entity", it.o)
	})
}

// dirNotFound is the directory's 404.
func dirNotFound(id string) *graphErr {
	return gerr(404, "Request_ResourceNotFound", "Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)
}

// selCtx appends the $select list to an @odata.context entity set, as Graph writes it:
// "users(displayName,mail)".
func (c *gc) selCtx(set string) string {
	if s := c.query.Get("$select"); s != "" {
		return set + "(" + s + ")"
	}
	return set
}

// typed returns a copy of o with an @odata.type annotation, as directoryObject collections
// carry it.
func typed(t string, o obj) obj {
	out := obj{"@odata.type": t}
	for k, v := range o {
		out[k] = v
	}
	return out
}

// group resolves the i-th parameter as a group or fails with the directory's 404.
func (c *gc) group(i int) *item {
	g := c.td().groups.get(c.param(i))
	if g == nil {
		c.fail(dirNotFound(c.param(i)))
	}
	return g
}

// refreshConsumedUnits counts the licensed users, so subscribedSkus follows the tenant.
func (c *gc) refreshConsumedUnits() {
	n := 0
	for _, u := range c.tenant.users {
		if !u.Unlicensed {
			n++
		}
	}
	for _, it := range c.td().skus.items {
		it.o["consumedUnits"] = n
	}
}

// --- users ------------------------------------------------------------------------------

// userObj is the full user resource; callers project it to the default set or $select.
func (c *gc) userObj(u *User) obj {
	t := c.tenant
	d := c.td()
	created, _ := time.Parse("2006-01-02T15:04:05Z", str(d.org, "createdDateTime"))
	for i, id := range t.userOrder {
		if id == u.ID {
			created = created.Add(time.Duration(i+1) * time.Minute)
			break
		}
	}
	validFrom := created
	if !u.tokensValidFrom.IsZero() {
		validFrom = u.tokensValidFrom
	}
	local := strings.SplitN(u.UPN, "@", 2)[0]
	var mail any
	licenses, plans, proxies, im := []any{}, []any{}, []any{}, []any{}
	if !u.Unlicensed {
		mail = u.UPN
		licenses = []any{obj{"disabledPlans": []any{}, "skuId": DeveloperPackSKU}}
		for _, it := range d.skus.items {
			for _, p := range listOr(it.o["servicePlans"]) {
				po, _ := p.(obj)
				plans = append(plans, obj{"assignedDateTime": iso(created), "capabilityStatus": "Enabled",
					"service": strings.ToLower(strings.SplitN(str(po, "servicePlanName"), "_", 2)[0]), "servicePlanId": po["servicePlanId"]})
			}
		}
		proxies = []any{"SMTP:" + u.UPN}
		im = []any{u.UPN}
	}
	o := obj{
		"id": u.ID, "businessPhones": []any{}, "displayName": u.DisplayName, "givenName": nilIfEmpty(u.GivenName),
		"jobTitle": nilIfEmpty(u.JobTitle), "mail": mail, "mobilePhone": nil, "officeLocation": nil, "preferredLanguage": "zh-CN",
		"surname": nilIfEmpty(u.Surname), "userPrincipalName": u.UPN,
		"accountEnabled": !u.Disabled, "assignedLicenses": licenses, "assignedPlans": plans, "createdDateTime": iso(created),
		"identities":  []any{obj{"signInType": "userPrincipalName", "issuer": t.Domain, "issuerAssignedId": u.UPN}},
		"imAddresses": im, "lastPasswordChangeDateTime": iso(created), "mailNickname": local, "otherMails": []any{},
		"provisionedPlans": []any{}, "proxyAddresses": proxies, "securityIdentifier": sidOf(u.ID),
		"signInSessionsValidFromDateTime": iso(validFrom), "usageLocation": "US", "userType": "Member",
		"onPremisesProvisioningErrors": []any{}, "serviceProvisioningErrors": []any{}, "interests": []any{},
		"pastProjects": []any{}, "responsibilities": []any{}, "schools": []any{}, "skills": []any{},
	}
	for _, k := range userNullProps {
		if _, ok := o[k]; !ok {
			o[k] = nil
		}
	}
	return o
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// sidOf derives the cloud security identifier Entra ID gives an object ("S-1-12-1-...").
func sidOf(id string) string {
	b, err := hex.DecodeString(strings.ReplaceAll(id, "-", ""))
	if err != nil || len(b) != 16 {
		return ""
	}
	parts := []string{"S-1-12-1"}
	for i := 0; i < 16; i += 4 {
		parts = append(parts, strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[i:i+4])), 10))
	}
	return strings.Join(parts, "-")
}

// checkSelect rejects $select properties the resource does not have, as the directory does.
func (c *gc) checkSelect(typeName string, sample []obj) bool {
	sel := c.query.Get("$select")
	if sel == "" || len(sample) == 0 {
		return true
	}
	for _, f := range strings.Split(sel, ",") {
		f = strings.TrimSpace(f)
		if f == "" || f == "*" {
			continue
		}
		if lookupKey(sample[0], f) == "" {
			c.fail(gerr(400, "Request_BadRequest", "Could not find a property named '%s' on type 'Microsoft.DirectoryServices.%s'.", f, strings.ToUpper(typeName[:1])+typeName[1:]))
			return false
		}
	}
	return true
}

// lookupKey returns the key of o that matches k case-insensitively, or "".
func lookupKey(o obj, k string) string {
	for key := range o {
		if strings.EqualFold(key, k) {
			return key
		}
	}
	return ""
}

// project keeps the given properties (and annotations) of o.
func projectProps(o obj, props []string) obj {
	out := obj{}
	for k, v := range o {
		if strings.HasPrefix(k, "@odata.") || containsFold(props, k) {
			out[k] = v
		}
	}
	return out
}

// userReadScopes are the delegated permissions that read users other than the caller;
// User.Read alone reads only the signed-in user, even through /users/{id}.
var userReadScopes = []string{"User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All",
	"Directory.ReadWrite.All", "Directory.AccessAsUser.All"}

func (c *gc) getUser() {
	if c.tok.delegated() && c.user != c.caller {
		held := strings.Fields(c.tok.Scp)
		ok := false
		for _, p := range userReadScopes {
			ok = ok || containsFold(held, p)
		}
		if !ok {
			c.e.stats.denied(c.method + " " + c.route.template)
			c.fail(forbidden(wlDirectory))
			return
		}
	}
	full := c.userObj(c.user)
	if !c.checkSelect("user", []obj{full}) {
		return
	}
	if c.query.Get("$select") == "" {
		full = projectProps(full, userDefaultProps)
	}
	c.entity(200, c.selCtx("users")+"/$entity", full)
}

func (c *gc) listUsers() {
	var out []obj
	for _, u := range c.tenant.Users() {
		out = append(out, c.userObj(u))
	}
	if !c.checkSelect("user", out) {
		return
	}
	c.dirList(out, c.selCtx("users"), userDefaultProps)
}

func (c *gc) listMemberOf() {
	d := c.td()
	var out []obj
	for _, g := range d.groups.items {
		if containsFold(d.members[g.id], c.user.ID) {
			out = append(out, typed("#microsoft.graph.group", g.o))
		}
	}
	if c.user.Admin {
		out = append(out, obj{"@odata.type": "#microsoft.graph.directoryRole", "id": derivedGUID(c.tenant.ID, "role:"+globalAdminTemplate),
			"deletedDateTime": nil, "displayName": "Global Administrator", "roleTemplateId": globalAdminTemplate,
			"description": "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities."})
	}
	c.dirList(out, "directoryObjects", nil)
}

func (c *gc) listLicenseDetails() {
	var out []obj
	if !c.user.Unlicensed {
		for _, it := range c.td().skus.items {
			sum := sha256.Sum256([]byte(c.user.ID + "|" + str(it.o, "skuId")))
			out = append(out, obj{"id": b64url(sum[:])[:43], "skuId": it.o["skuId"], "skuPartNumber": it.o["skuPartNumber"],
				"servicePlans": it.o["servicePlans"]})
		}
	}
	c.dirList(out, c.userCtx()+"/licenseDetails", nil)
}

// managerOf is the emulator's reporting line: the tenant's first user manages everyone else.
func (c *gc) managerOf(u *User) *User {
	if len(c.tenant.userOrder) == 0 || c.tenant.userOrder[0] == u.ID {
		return nil
	}
	return c.tenant.users[c.tenant.userOrder[0]]
}

func (c *gc) getManager() {
	m := c.managerOf(c.user)
	if m == nil {
		c.fail(dirNotFound("manager"))
		return
	}
	full := typed("#microsoft.graph.user", c.userObj(m))
	if !c.checkSelect("user", []obj{full}) {
		return
	}
	if c.query.Get("$select") == "" {
		full = projectProps(full, userDefaultProps)
	}
	c.entity(200, "directoryObjects/$entity", full)
}

func (c *gc) listDirectReports() {
	var out []obj
	for _, u := range c.tenant.Users() {
		if m := c.managerOf(u); m != nil && m.ID == c.user.ID {
			out = append(out, typed("#microsoft.graph.user", c.userObj(u)))
		}
	}
	if !c.checkSelect("user", out) {
		return
	}
	c.dirList(out, "directoryObjects", userDefaultProps)
}

// listUserDevices serves registeredDevices and ownedDevices: the tenant's seeded devices
// belong to its first user.
func (c *gc) listUserDevices() {
	var out []obj
	if len(c.tenant.userOrder) > 0 && c.tenant.userOrder[0] == c.user.ID {
		for _, it := range c.td().devices.items {
			out = append(out, typed("#microsoft.graph.device", it.o))
		}
	}
	c.dirList(out, "directoryObjects", nil)
}

// derivedGUID is a stable GUID derived from a tenant and a name.
func derivedGUID(tenant, name string) string {
	sum := sha256.Sum256([]byte(tenant + "|" + name))
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// --- directory query rules --------------------------------------------------------------

// dirQueryCheck applies the directory's query rules (GD concepts/aad-advanced-queries.md):
// $count is ignored and $search refused without ConsistencyLevel: eventual; ne, not and endsWith, and $filter
// together with $orderby, are advanced queries that need the header and $count=true too.
func (c *gc) dirQueryCheck() *graphErr {
	eventual := strings.EqualFold(strings.TrimSpace(c.header.Get("ConsistencyLevel")), "eventual")
	count := strings.EqualFold(c.query.Get("$count"), "true")
	if count && !eventual {
		// Graph silently ignores ?$count=true without the header (aad-advanced-queries.md).
		c.query.Del("$count")
		count = false
	}
	if c.query.Get("$search") != "" && !eventual {
		return gerr(400, "Request_UnsupportedQuery", "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'")
	}
	if f := c.query.Get("$filter"); f != "" && !(eventual && count) {
		for _, clause := range splitKeyword(splitKeywordJoin(f), " and ") {
			if prop := advancedFilterProp(strings.TrimSpace(clause)); prop != "" {
				return gerr(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property '%s' of resource '%s'.", prop, c.dirResource())
			}
		}
		if c.query.Get("$orderby") != "" {
			return gerr(400, "Request_UnsupportedQuery", "Sorting not supported for current query.")
		}
	}
	if t := c.query.Get("$top"); t != "" {
		if n, err := strconv.Atoi(t); err == nil && (n < 1 || n > 999) {
			return gerr(400, "Request_BadRequest", "Invalid page size specified: '%d'. Must be between 1 and 999 inclusive.", n)
		}
	}
	return nil
}

// advancedFilterProp returns the property of a filter clause that only advanced queries
// support (ne, not, endsWith), or "".
func advancedFilterProp(cl string) string {
	lc := strings.ToLower(cl)
	arg := func(s string) string {
		s = strings.TrimSpace(s)
		if i := strings.IndexByte(s, '('); i >= 0 {
			s = s[i+1:]
		}
		if f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ')' }); len(f) > 0 {
			return f[0]
		}
		return "$filter"
	}
	switch {
	case strings.HasPrefix(lc, "endswith("):
		return arg(cl)
	case strings.HasPrefix(lc, "not ") || strings.HasPrefix(lc, "not("):
		rest := strings.TrimLeft(strings.TrimSpace(cl[3:]), "( ")
		if strings.Contains(strings.SplitN(rest, " ", 2)[0], "(") {
			return arg(rest)
		}
		if f := strings.Fields(rest); len(f) > 0 {
			return f[0]
		}
	}
	if f := strings.Fields(cl); len(f) >= 3 && strings.EqualFold(f[1], "ne") {
		return f[0]
	}
	return ""
}

// splitKeywordJoin turns top-level " or " into " and " so that every clause is examined.
func splitKeywordJoin(f string) string { return strings.Join(splitKeyword(f, " or "), " and ") }

// dirResource names the directory resource of the route for error messages.
func (c *gc) dirResource() string {
	segs := strings.Split(strings.Trim(c.route.template, "/"), "/")
	switch strings.ToLower(segs[len(segs)-1]) {
	case "groups":
		return "Group"
	case "devices", "registereddevices", "owneddevices":
		return "Device"
	case "applications":
		return "Application"
	case "serviceprincipals":
		return "ServicePrincipal"
	case "oauth2permissiongrants":
		return "OAuth2PermissionGrant"
	}
	return "User"
}

var reLambda = regexp.MustCompile(`(?i)^([a-z0-9_/]+)/any\(\s*([a-z_][a-z0-9_]*)\s*:\s*(.+)\)$`)
var reEndsWith = regexp.MustCompile(`(?i)^endswith\(\s*([a-z0-9_/]+)\s*,\s*'((?:[^']|'')*)'\s*\)$`)
var reBareGUID = regexp.MustCompile(`(?i)\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)

// splitLambdas takes the lambda clauses ("resourceProvisioningOptions/any(x:x eq 'Team')")
// and endsWith clauses out of an 'and' filter and returns them as predicates, with the
// rest of the filter.
func splitLambdas(f string) (string, []func(obj) bool, error) {
	clauses := splitKeyword(f, " and ")
	var rest []string
	var preds []func(obj) bool
	for _, cl := range clauses {
		cl = strings.TrimSpace(cl)
		if m := reEndsWith.FindStringSubmatch(cl); m != nil {
			if len(splitKeyword(f, " or ")) > 1 {
				return "", nil, fmt.Errorf("endsWith cannot be combined with 'or'")
			}
			prop, suffix := m[1], strings.ToLower(strings.ReplaceAll(m[2], "''", "'"))
			preds = append(preds, func(o obj) bool {
				s, _ := lookupPath(o, prop).(string)
				return strings.HasSuffix(strings.ToLower(s), suffix)
			})
			continue
		}
		m := reLambda.FindStringSubmatch(cl)
		if m == nil {
			rest = append(rest, cl)
			continue
		}
		if len(splitKeyword(f, " or ")) > 1 {
			return "", nil, fmt.Errorf("lambda operators cannot be combined with 'or'")
		}
		prop, v, inner := m[1], m[2], strings.TrimSpace(m[3])
		inner = reBareGUID.ReplaceAllString(inner, "'$1'")
		var sub string
		switch {
		case strings.HasPrefix(inner, v+"/"):
			sub = strings.TrimPrefix(inner, v+"/")
		case strings.HasPrefix(inner, v+" "):
			sub = "_v" + strings.TrimPrefix(inner, v)
		default:
			return "", nil, fmt.Errorf("unsupported lambda expression %q", cl)
		}
		p, err := parseClause(sub)
		if err != nil {
			return "", nil, err
		}
		preds = append(preds, func(o obj) bool {
			for _, el := range listOr(lookupPath(o, prop)) {
				eo, ok := el.(obj)
				if !ok {
					eo = obj{"_v": el}
				}
				if p(eo) {
					return true
				}
			}
			return false
		})
	}
	return strings.Join(rest, " and "), preds, nil
}

// dirList writes a directory collection: the directory's query rules, page size 100 (at
// most 999), lambda filters, and the default property set when defaults is given and the
// request has no $select.
func (c *gc) dirList(items []obj, context string, defaults []string) {
	if ge := c.dirQueryCheck(); ge != nil {
		c.fail(ge)
		return
	}
	orig := c.query
	q := url.Values{}
	for k, v := range orig {
		q[k] = append([]string(nil), v...)
	}
	if f := q.Get("$filter"); f != "" {
		rest, preds, err := splitLambdas(f)
		if err != nil {
			c.fail(gerr(400, "BadRequest", "Invalid filter clause: %s", err.Error()))
			return
		}
		for _, p := range preds {
			var kept []obj
			for _, it := range items {
				if p(it) {
					kept = append(kept, it)
				}
			}
			items = kept
		}
		if rest == "" {
			q.Del("$filter")
		} else {
			q.Set("$filter", rest)
		}
	}
	if q.Get("$select") == "" && defaults != nil {
		q.Set("$select", strings.Join(defaults, ","))
	}
	if items == nil {
		items = []obj{}
	}
	c.query = q
	c.list(items, listOpts{context: context, pageSize: 100, maxTop: 999})
	c.query = orig
	c.restoreNextLink()
}

// restoreNextLink rewrites an @odata.nextLink written from an adjusted query so that it
// carries the client's own query options.
func (c *gc) restoreNextLink() {
	if c.status != 200 || !bytes.Contains(c.outBody, []byte(`"@odata.nextLink"`)) {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(c.outBody))
	dec.UseNumber()
	var m obj
	if err := dec.Decode(&m); err != nil {
		return
	}
	link, _ := m["@odata.nextLink"].(string)
	u, err := url.Parse(link)
	if err != nil {
		return
	}
	lq := u.Query()
	q := url.Values{}
	for k, v := range c.query {
		if k != "$skip" && k != "$skiptoken" {
			q[k] = v
		}
	}
	if q.Get("$top") == "" && lq.Get("$top") != "" {
		q.Set("$top", lq.Get("$top"))
	}
	q.Set("$skiptoken", lq.Get("$skiptoken"))
	m["@odata.nextLink"] = c.base + c.rawPath() + "?" + q.Encode()
	c.writeJSON(200, m)
}
