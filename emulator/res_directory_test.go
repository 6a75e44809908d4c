package emulator

import (
	"net/url"
	"sort"
	"strings"
	"testing"
)

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		if !strings.HasPrefix(k, "@") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func ids(list []map[string]any) []string {
	var out []string
	for _, o := range list {
		out = append(out, o["id"].(string))
	}
	return out
}

func TestDirectoryMeDefaultPropertiesAndSelect(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	me := h.call(t, tok, "GET", "/v1.0/me", nil).must(t, 200)
	if me.body["id"] != h.alex.ID || me.body["userPrincipalName"] != h.alex.UPN || me.body["mail"] != h.alex.UPN {
		t.Fatalf("/me: %s", me.raw)
	}
	want := append([]string(nil), userDefaultProps...)
	sort.Strings(want)
	if got := keysOf(me.body); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("/me returned %v, want the v1.0 default set %v", got, want)
	}
	if !strings.HasSuffix(me.body["@odata.context"].(string), "/v1.0/$metadata#users/$entity") {
		t.Fatalf("context %v", me.body["@odata.context"])
	}
	sel := h.call(t, tok, "GET", "/v1.0/me?$select=accountEnabled,usageLocation,assignedLicenses,createdDateTime", nil).must(t, 200)
	if sel.body["accountEnabled"] != true || sel.body["usageLocation"] != "US" || sel.body["createdDateTime"] == nil {
		t.Fatalf("$select: %s", sel.raw)
	}
	lic := sel.body["assignedLicenses"].([]any)
	if len(lic) != 1 || lic[0].(map[string]any)["skuId"] != DeveloperPackSKU {
		t.Fatalf("assignedLicenses: %v", lic)
	}
	if _, ok := sel.body["displayName"]; ok {
		t.Fatal("$select returned an unselected property")
	}
	if !strings.Contains(sel.body["@odata.context"].(string), "#users(accountEnabled,usageLocation,assignedLicenses,createdDateTime)/$entity") {
		t.Fatalf("context %v", sel.body["@odata.context"])
	}
	bad := h.call(t, tok, "GET", "/v1.0/me?$select=displayName,favouriteColour", nil).must(t, 400)
	if bad.errCode() != "Request_BadRequest" || !strings.Contains(bad.raw2(), "favouriteColour") {
		t.Fatalf("unknown $select: %s", bad.raw)
	}
	// An unlicensed user has no mailbox and no licence.
	nl := h.call(t, h.userToken(t, h.nolic), "GET", "/v1.0/me?$select=mail,assignedLicenses", nil).must(t, 200)
	if nl.body["mail"] != nil || len(nl.body["assignedLicenses"].([]any)) != 0 {
		t.Fatalf("unlicensed user: %s", nl.raw)
	}
}

func TestDirectoryUsersByIDAndUPN(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	for _, key := range []string{h.megan.ID, strings.ToUpper(h.megan.ID), h.megan.UPN} {
		u := h.call(t, tok, "GET", "/v1.0/users/"+key, nil).must(t, 200)
		if u.body["id"] != h.megan.ID || u.body["displayName"] != h.megan.DisplayName {
			t.Fatalf("GET /users/%s: %s", key, u.raw)
		}
	}
	nf := h.call(t, tok, "GET", "/v1.0/users/nobody@contoso.onmicrosoft.com", nil).must(t, 404)
	if nf.errCode() != "Request_ResourceNotFound" || !strings.Contains(nf.raw2(), "nobody@contoso.onmicrosoft.com") {
		t.Fatalf("unknown user: %s", nf.raw)
	}
	app := h.appToken(t)
	u := h.call(t, app, "GET", "/v1.0/users/"+h.alex.UPN+"?$select=id,jobTitle", nil).must(t, 200)
	if u.body["id"] != h.alex.ID || u.body["jobTitle"] != h.alex.JobTitle {
		t.Fatalf("app-only GET user: %s", u.raw)
	}
	h.call(t, app, "GET", "/v1.0/me", nil).must(t, 400)

	// User.Read reads the signed-in user only, also through /users/{id}.
	lh := newHarness(t, Options{}, []string{"User.Read"}, nil)
	lt := lh.userToken(t, lh.alex)
	lh.call(t, lt, "GET", "/v1.0/users/"+lh.alex.UPN, nil).must(t, 200)
	if lh.call(t, lt, "GET", "/v1.0/users/"+lh.megan.UPN, nil).must(t, 403).errCode() != "Authorization_RequestDenied" {
		t.Fatal("User.Read read another user")
	}
	lh.call(t, lt, "GET", "/v1.0/users", nil).must(t, 403)
}

func TestDirectoryListUsersPagingAndQueries(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	all := h.call(t, tok, "GET", "/v1.0/users", nil).must(t, 200)
	if got := ids(all.value()); len(got) != 3 || got[0] != h.alex.ID {
		t.Fatalf("users: %v", got)
	}
	if _, ok := all.value()[0]["accountEnabled"]; ok {
		t.Fatal("list returned non-default properties without $select")
	}
	if _, ok := all.body["@odata.nextLink"]; ok {
		t.Fatal("nextLink on a short list")
	}
	p1 := h.call(t, tok, "GET", "/v1.0/users?$top=2", nil).must(t, 200)
	next, _ := p1.body["@odata.nextLink"].(string)
	if len(p1.value()) != 2 || next == "" {
		t.Fatalf("$top=2: %s", p1.raw)
	}
	nu, _ := url.Parse(next)
	if nu.Query().Get("$select") != "" || nu.Query().Get("$top") != "2" {
		t.Fatalf("nextLink carries the wrong options: %s", next)
	}
	p2 := h.call(t, tok, "GET", next, nil).must(t, 200)
	if got := ids(p2.value()); len(got) != 1 || got[0] != h.nolic.ID {
		t.Fatalf("second page: %v", got)
	}
	if _, ok := p2.value()[0]["accountEnabled"]; ok {
		t.Fatal("second page lost the default property set")
	}
	f := h.call(t, tok, "GET", "/v1.0/users?$filter=startswith(displayName,'Meg')&$select=id,displayName,accountEnabled", nil).must(t, 200)
	if got := f.value(); len(got) != 1 || got[0]["id"] != h.megan.ID || got[0]["accountEnabled"] != true {
		t.Fatalf("startswith filter: %s", f.raw)
	}
	eq := h.call(t, tok, "GET", "/v1.0/users?$filter=userPrincipalName eq '"+h.nolic.UPN+"'", nil).must(t, 200)
	if got := ids(eq.value()); len(got) != 1 || got[0] != h.nolic.ID {
		t.Fatalf("eq filter: %v", got)
	}
	lic := h.call(t, tok, "GET", "/v1.0/users?$filter=assignedLicenses/any(x:x/skuId eq "+DeveloperPackSKU+")", nil).must(t, 200)
	if got := ids(lic.value()); len(got) != 2 {
		t.Fatalf("licensed users: %v", got)
	}

	cnt := h.call(t, tok, "GET", "/v1.0/users?$count=true", nil).must(t, 200)
	if _, ok := cnt.body["@odata.count"]; ok || len(cnt.value()) != 3 {
		t.Fatalf("$count without ConsistencyLevel must be ignored: %s", cnt.raw)
	}
	cnt = h.call(t, tok, "GET", "/v1.0/users?$count=true&$top=1", nil, "ConsistencyLevel", "eventual").must(t, 200)
	if cnt.body["@odata.count"] != float64(3) || len(cnt.value()) != 1 {
		t.Fatalf("$count with ConsistencyLevel: %s", cnt.raw)
	}
	s := h.call(t, tok, "GET", `/v1.0/users?$search="displayName:megan"`, nil).must(t, 400)
	if s.errCode() != "Request_UnsupportedQuery" {
		t.Fatalf("$search without ConsistencyLevel: %s", s.raw)
	}
	s = h.call(t, tok, "GET", `/v1.0/users?$search="displayName:megan"`, nil, "ConsistencyLevel", "eventual").must(t, 200)
	if got := ids(s.value()); len(got) != 1 || got[0] != h.megan.ID {
		t.Fatalf("$search: %v", got)
	}
	ne := h.call(t, tok, "GET", "/v1.0/users?$filter=displayName ne 'Megan Bowen'", nil).must(t, 400)
	if ne.errCode() != "Request_UnsupportedQuery" || !strings.Contains(ne.raw2(), "'displayName'") {
		t.Fatalf("ne without advanced query: %s", ne.raw)
	}
	ne = h.call(t, tok, "GET", "/v1.0/users?$filter=displayName ne 'Megan Bowen'&$count=true", nil, "ConsistencyLevel", "eventual").must(t, 200)
	if len(ne.value()) != 2 || ne.body["@odata.count"] != float64(2) {
		t.Fatalf("ne as advanced query: %s", ne.raw)
	}
	ew := h.call(t, tok, "GET", "/v1.0/users?$filter=endswith(mail,'@contoso.onmicrosoft.com')", nil).must(t, 400)
	if ew.errCode() != "Request_UnsupportedQuery" || !strings.Contains(ew.raw2(), "'mail'") {
		t.Fatalf("endsWith without advanced query: %s", ew.raw)
	}
	ew = h.call(t, tok, "GET", "/v1.0/users?$filter=endswith(mail,'@CONTOSO.onmicrosoft.com')&$count=true", nil, "ConsistencyLevel", "eventual").must(t, 200)
	if ew.body["@odata.count"] != float64(2) {
		t.Fatalf("endsWith as advanced query (the unlicensed user has no mail): %s", ew.raw)
	}
	ob := h.call(t, tok, "GET", "/v1.0/users?$filter=accountEnabled eq true&$orderby=displayName", nil).must(t, 400)
	if ob.errCode() != "Request_UnsupportedQuery" {
		t.Fatalf("$filter with $orderby: %s", ob.raw)
	}
	top := h.call(t, tok, "GET", "/v1.0/users?$top=1000", nil).must(t, 400)
	if top.errCode() != "Request_BadRequest" || !strings.Contains(top.raw2(), "between 1 and 999") {
		t.Fatalf("$top=1000: %s", top.raw)
	}
	h.call(t, tok, "GET", "/v1.0/users?$top=999", nil).must(t, 200)
	h.call(t, tok, "GET", "/v1.0/users?top=5", nil).must(t, 400)
	h.call(t, h.appToken(t), "GET", "/v1.0/users?$select=id,displayName", nil).must(t, 200)
}

func TestDirectoryMembershipLicencesManagerDevices(t *testing.T) {
	h := defaultHarness(t)
	at, mt := h.userToken(t, h.alex), h.userToken(t, h.megan)
	mo := h.call(t, at, "GET", "/v1.0/me/memberOf", nil).must(t, 200)
	groups, roles := 0, 0
	for _, o := range mo.value() {
		switch o["@odata.type"] {
		case "#microsoft.graph.group":
			groups++
		case "#microsoft.graph.directoryRole":
			roles++
			if o["roleTemplateId"] != globalAdminTemplate {
				t.Fatalf("role: %v", o)
			}
		default:
			t.Fatalf("memberOf item without a directory type: %v", o)
		}
	}
	if groups != 4 || roles != 1 {
		t.Fatalf("alex memberOf: %d groups, %d roles", groups, roles)
	}
	mm := h.call(t, mt, "GET", "/v1.0/me/memberOf", nil).must(t, 200)
	if len(mm.value()) != 1 || mm.value()[0]["displayName"] != "All Company" {
		t.Fatalf("megan memberOf: %s", mm.raw)
	}
	app := h.appToken(t)
	am := h.call(t, app, "GET", "/v1.0/users/"+h.megan.ID+"/memberOf?$select=displayName", nil).must(t, 200)
	if len(am.value()) != 1 {
		t.Fatalf("app-only memberOf: %s", am.raw)
	}

	ld := h.call(t, at, "GET", "/v1.0/me/licenseDetails", nil).must(t, 200)
	if v := ld.value(); len(v) != 1 || v[0]["skuId"] != DeveloperPackSKU || v[0]["skuPartNumber"] != "DEVELOPERPACK_E5" || len(v[0]["servicePlans"].([]any)) == 0 {
		t.Fatalf("licenseDetails: %s", ld.raw)
	}
	if !strings.HasSuffix(ld.body["@odata.context"].(string), "users('"+h.alex.ID+"')/licenseDetails") {
		t.Fatalf("context: %v", ld.body["@odata.context"])
	}
	nl := h.call(t, app, "GET", "/v1.0/users/"+h.nolic.UPN+"/licenseDetails", nil).must(t, 200)
	if len(nl.value()) != 0 {
		t.Fatalf("unlicensed user has licence details: %s", nl.raw)
	}

	none := h.call(t, at, "GET", "/v1.0/me/manager", nil).must(t, 404)
	if none.errCode() != "Request_ResourceNotFound" || !strings.Contains(none.raw2(), "Resource 'manager' does not exist") {
		t.Fatalf("no manager: %s", none.raw)
	}
	mgr := h.call(t, mt, "GET", "/v1.0/me/manager", nil).must(t, 200)
	if mgr.body["id"] != h.alex.ID || mgr.body["@odata.type"] != "#microsoft.graph.user" {
		t.Fatalf("manager: %s", mgr.raw)
	}
	h.call(t, app, "GET", "/v1.0/users/"+h.megan.UPN+"/manager", nil).must(t, 200)
	dr := h.call(t, at, "GET", "/v1.0/me/directReports", nil).must(t, 200)
	if got := ids(dr.value()); len(got) != 2 || got[0] != h.megan.ID || got[1] != h.nolic.ID {
		t.Fatalf("directReports: %v", got)
	}
	if got := ids(h.call(t, app, "GET", "/v1.0/users/"+h.alex.UPN+"/directReports?$select=id,displayName", nil).must(t, 200).value()); len(got) != 2 {
		t.Fatalf("app-only directReports: %v", got)
	}
	if len(h.call(t, mt, "GET", "/v1.0/me/directReports", nil).must(t, 200).value()) != 0 {
		t.Fatal("megan has direct reports")
	}

	for _, rel := range []string{"registeredDevices", "ownedDevices"} {
		d := h.call(t, at, "GET", "/v1.0/me/"+rel, nil).must(t, 200)
		if len(d.value()) != 3 || d.value()[0]["@odata.type"] != "#microsoft.graph.device" {
			t.Fatalf("%s: %s", rel, d.raw)
		}
		if len(h.call(t, mt, "GET", "/v1.0/me/"+rel, nil).must(t, 200).value()) != 0 {
			t.Fatalf("megan has %s", rel)
		}
		if len(h.call(t, app, "GET", "/v1.0/users/"+h.alex.ID+"/"+rel, nil).must(t, 200).value()) != 3 {
			t.Fatalf("app-only %s", rel)
		}
	}
}

func TestDirectoryOrganizationSkusSubscriptionsDomains(t *testing.T) {
	h := defaultHarness(t)
	tok, app := h.userToken(t, h.alex), h.appToken(t)
	org := h.call(t, tok, "GET", "/v1.0/organization", nil).must(t, 200)
	if v := org.value(); len(v) != 1 || v[0]["id"] != h.tenant.ID || v[0]["displayName"] != "Contoso" {
		t.Fatalf("organization: %s", org.raw)
	}
	h.call(t, app, "GET", "/v1.0/organization/"+h.tenant.ID, nil).must(t, 200)
	if h.call(t, tok, "GET", "/v1.0/organization/"+newGUID(), nil).must(t, 404).errCode() != "Request_ResourceNotFound" {
		t.Fatal("unknown organization id")
	}

	skus := h.call(t, tok, "GET", "/v1.0/subscribedSkus", nil).must(t, 200)
	sku := skus.value()[0]
	if sku["skuPartNumber"] != "DEVELOPERPACK_E5" || sku["consumedUnits"] != float64(2) || sku["capabilityStatus"] != "Enabled" {
		t.Fatalf("subscribedSkus: %s", skus.raw)
	}
	h.call(t, app, "GET", "/v1.0/subscribedSkus/"+sku["id"].(string), nil).must(t, 200)
	h.call(t, app, "GET", "/v1.0/subscribedSkus/"+h.tenant.ID+"_"+newGUID(), nil).must(t, 404)

	subs := h.call(t, tok, "GET", "/v1.0/directory/subscriptions", nil).must(t, 200)
	sub := subs.value()[0]
	if sub["skuId"] != DeveloperPackSKU || sub["status"] != "Enabled" || sub["nextLifecycleDateTime"] == nil ||
		sub["id"] != sku["subscriptionIds"].([]any)[0] {
		t.Fatalf("directory/subscriptions: %s", subs.raw)
	}
	one := h.call(t, app, "GET", "/v1.0/directory/subscriptions/"+sub["id"].(string), nil).must(t, 200)
	if one.body["commerceSubscriptionId"] != sub["commerceSubscriptionId"] {
		t.Fatalf("subscription by id: %s", one.raw)
	}
	alt := h.call(t, app, "GET", "/v1.0/directory/subscriptions(commerceSubscriptionId='"+sub["commerceSubscriptionId"].(string)+"')", nil).must(t, 200)
	if alt.body["id"] != sub["id"] {
		t.Fatalf("subscription by commerceSubscriptionId: %s", alt.raw)
	}
	h.call(t, app, "GET", "/v1.0/directory/subscriptions/"+newGUID(), nil).must(t, 404)
	if got := h.e.AcceptedPermissions("GET", "/directory/subscriptions", "DelegatedWork"); strings.Join(got, " ") != "Organization.Read.All Directory.Read.All" {
		t.Fatalf("supplement: %v", got)
	}

	dom := h.call(t, tok, "GET", "/v1.0/domains", nil).must(t, 200)
	if v := dom.value(); len(v) != 1 || v[0]["id"] != "contoso.onmicrosoft.com" || v[0]["isDefault"] != true {
		t.Fatalf("domains: %s", dom.raw)
	}
	h.call(t, app, "GET", "/v1.0/domains/Contoso.onmicrosoft.com", nil).must(t, 200)
	h.call(t, app, "GET", "/v1.0/domains/fabrikam.com", nil).must(t, 404)

	// Without the permissions the directory answers its own 403.
	lh := newHarness(t, Options{}, []string{"User.Read"}, []string{"User.ReadBasic.All"})
	for _, tk := range []string{lh.userToken(t, lh.alex), lh.appToken(t)} {
		d := lh.call(t, tk, "GET", "/v1.0/directory/subscriptions", nil).must(t, 403)
		if d.errCode() != "Authorization_RequestDenied" {
			t.Fatalf("403 shape: %s", d.raw)
		}
		lh.call(t, tk, "GET", "/v1.0/subscribedSkus", nil).must(t, 403)
	}
	// GET /organization accepts User.Read for a delegated caller.
	lh.call(t, lh.userToken(t, lh.alex), "GET", "/v1.0/organization", nil).must(t, 200)
}

func TestDirectoryGroupsAndDevices(t *testing.T) {
	h := defaultHarness(t)
	tok, app := h.userToken(t, h.alex), h.appToken(t)
	gs := h.call(t, tok, "GET", "/v1.0/groups", nil).must(t, 200)
	if len(gs.value()) != 4 {
		t.Fatalf("groups: %s", gs.raw)
	}
	teamsFilter := "/v1.0/groups?$filter=" + url.QueryEscape("resourceProvisioningOptions/Any(x:x eq 'Team')")
	teams := h.call(t, app, "GET", teamsFilter+"&$select=id,displayName", nil).must(t, 200)
	if len(teams.value()) != 2 {
		t.Fatalf("team groups: %s", teams.raw)
	}
	p1 := h.call(t, app, "GET", teamsFilter+"&$top=1", nil).must(t, 200)
	next, _ := p1.body["@odata.nextLink"].(string)
	if len(p1.value()) != 1 || !strings.Contains(next, "resourceProvisioningOptions") {
		t.Fatalf("paged lambda filter lost the filter: %s", p1.raw)
	}
	p2 := h.call(t, app, "GET", next, nil).must(t, 200)
	if len(p2.value()) != 1 || p2.value()[0]["id"] == p1.value()[0]["id"] || p2.body["@odata.nextLink"] != nil {
		t.Fatalf("second page: %s", p2.raw)
	}
	var dev map[string]any
	for _, g := range gs.value() {
		if g["displayName"] == "Developers" {
			dev = g
		}
	}
	one := h.call(t, tok, "GET", "/v1.0/groups/"+dev["id"].(string), nil).must(t, 200)
	if one.body["mailNickname"] != "developers" {
		t.Fatalf("group: %s", one.raw)
	}
	if h.call(t, tok, "GET", "/v1.0/groups/"+newGUID(), nil).must(t, 404).errCode() != "Request_ResourceNotFound" {
		t.Fatal("unknown group")
	}
	mem := h.call(t, app, "GET", "/v1.0/groups/"+dev["id"].(string)+"/members", nil).must(t, 200)
	if got := ids(mem.value()); len(got) != 2 || got[0] != h.alex.ID || got[1] != h.nolic.ID {
		t.Fatalf("members: %v", got)
	}
	if m := mem.value()[0]; m["@odata.type"] != "#microsoft.graph.user" || m["accountEnabled"] != nil {
		t.Fatalf("member object: %v", m)
	}
	h.call(t, app, "GET", "/v1.0/groups/"+newGUID()+"/members", nil).must(t, 404)

	ds := h.call(t, tok, "GET", "/v1.0/devices?$filter=operatingSystem eq 'iOS'", nil).must(t, 200)
	if len(ds.value()) != 1 || ds.value()[0]["displayName"] != "iPhone" {
		t.Fatalf("devices filter: %s", ds.raw)
	}
	d := h.call(t, app, "GET", "/v1.0/devices/"+ds.value()[0]["id"].(string), nil).must(t, 200)
	if d.body["operatingSystem"] != "iOS" {
		t.Fatalf("device: %s", d.raw)
	}
	h.call(t, app, "GET", "/v1.0/devices/"+newGUID(), nil).must(t, 404)
}

func TestAdvancedFilterProp(t *testing.T) {
	for in, want := range map[string]string{
		"displayName ne 'x'":                "displayName",
		"endswith(mail,'@x.com')":           "mail",
		"endsWith( userPrincipalName, 'x')": "userPrincipalName",
		"NOT startsWith(displayName, 'C')":  "displayName",
		"not(companyName eq 'Microsoft')":   "companyName",
		"notes eq 'x'":                      "",
		"displayName eq 'not ne'":           "",
		"endswith()":                        "$filter",
	} {
		if got := advancedFilterProp(in); got != want {
			t.Errorf("advancedFilterProp(%q) = %q, want %q", in, got, want)
		}
	}
}
