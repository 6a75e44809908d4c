package emulator

import (
	"net/url"
	"strings"
	"testing"
)

// peopleBy indexes people by a property (id or displayName).
func peopleBy(g gresp, k string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, p := range g.value() {
		out[p[k].(string)] = p
	}
	return out
}

func TestPeople(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	all := h.call(t, tok, "GET", "/v1.0/me/people?$top=50", nil).must(t, 200)
	byID, byName := peopleBy(all, "id"), peopleBy(all, "displayName")
	if _, self := byID[h.alex.ID]; self {
		t.Fatalf("the user is among their own people: %s", all.raw)
	}
	m, ok := byID[h.megan.ID]
	if !ok {
		t.Fatalf("megan missing: %s", all.raw)
	}
	if m["id"] != h.megan.ID || m["userPrincipalName"] != h.megan.UPN || m["personType"].(map[string]any)["subclass"] != "OrganizationUser" {
		t.Fatalf("megan as a person: %v", m)
	}
	se := m["scoredEmailAddresses"].([]any)[0].(map[string]any)
	if se["address"] != h.megan.UPN || se["selectionLikelihood"] != "notSpecified" {
		t.Fatalf("scoredEmailAddresses: %v", se)
	}
	if _, ok := se["relevanceScore"].(float64); !ok {
		t.Fatalf("relevanceScore is not a number: %v", se)
	}
	// Personal contacts (the seed always has these five) come after colleagues.
	fang, ok := byName["Fang Wang"]
	if !ok || fang["personType"].(map[string]any)["subclass"] != "PersonalContact" || fang["companyName"] != "Northwind" {
		t.Fatalf("contact as a person: %v", fang)
	}
	last := all.value()[len(all.value())-1]
	if last["personType"].(map[string]any)["class"] != "Person" {
		t.Fatalf("personType: %v", last)
	}
	if all.value()[0]["personType"].(map[string]any)["subclass"] != "OrganizationUser" {
		t.Fatalf("colleagues are not ranked first: %v", all.value()[0])
	}

	top := h.call(t, tok, "GET", "/v1.0/me/people?$top=2", nil).must(t, 200)
	if len(top.value()) != 2 || top.body["@odata.nextLink"] == nil {
		t.Fatalf("$top=2: %s", top.raw)
	}
	// $search matches names...
	s := h.call(t, tok, "GET", "/v1.0/me/people?$search=megan", nil).must(t, 200)
	if len(s.value()) != 2 { // the colleague and the seeded contact "Megan Bowen"
		t.Fatalf("$search=megan: %s", s.raw)
	}
	// ...and addresses: "northwind" is only in Fang Wang's address.
	nw := h.call(t, tok, "GET", "/v1.0/me/people?$search=%22northwind%22", nil).must(t, 200)
	if len(nw.value()) != 1 || nw.value()[0]["displayName"] != "Fang Wang" {
		t.Fatalf("$search by address: %s", nw.raw)
	}
	// Paging keeps the search: "contoso" matches two contacts' addresses and the tenant users.
	first := h.call(t, tok, "GET", "/v1.0/me/people?$search=contoso&$top=1", nil).must(t, 200)
	next, _ := first.body["@odata.nextLink"].(string)
	if len(first.value()) != 1 || next == "" {
		t.Fatalf("paged search: %s", first.raw)
	}
	u, _ := url.Parse(next)
	if u.Query().Get("$search") != "contoso" {
		t.Fatalf("nextLink lost $search: %s", next)
	}
	seen := 1
	for next != "" {
		p := h.call(t, tok, "GET", next, nil).must(t, 200)
		for _, v := range p.value() {
			if !personMatches(v, "contoso") {
				t.Fatalf("page without the search: %v", v)
			}
			seen++
		}
		next, _ = p.body["@odata.nextLink"].(string)
	}
	if want := len(h.call(t, tok, "GET", "/v1.0/me/people?$search=contoso&$top=100", nil).must(t, 200).value()); seen != want || want < 3 {
		t.Fatalf("paged search saw %d people, one page has %d", seen, want)
	}

	// Mail exchanged raises relevance: megan overtakes the other colleague.
	for i := 0; i < 2; i++ {
		h.call(t, tok, "POST", "/v1.0/me/sendMail", map[string]any{"message": map[string]any{"subject": "hi",
			"toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": h.megan.UPN}}}}}).must(t, 202)
	}
	ranked := h.call(t, tok, "GET", "/v1.0/me/people?$top=1", nil).must(t, 200)
	if ranked.value()[0]["id"] != h.megan.ID {
		t.Fatalf("most relevant after mail: %s", ranked.raw)
	}

	app := h.appToken(t)
	mine := peopleBy(h.call(t, app, "GET", "/v1.0/users/"+h.megan.UPN+"/people?$top=50", nil).must(t, 200), "id")
	if _, ok := mine[h.alex.ID]; !ok {
		t.Fatal("megan's people lack alex")
	}
	if _, ok := mine[h.megan.ID]; ok {
		t.Fatal("megan's people include herself")
	}
	if g := h.call(t, tok, "GET", "/v1.0/users/"+h.megan.UPN+"/people", nil).must(t, 403); g.errCode() != "Authorization_RequestDenied" {
		t.Fatalf("delegated read of megan's people: %s", g.raw)
	}
	h.call(t, app, "GET", "/v1.0/me/people", nil).must(t, 400)
	none := newHarness(t, Options{}, []string{"User.Read"}, nil)
	none.call(t, none.userToken(t, none.alex), "GET", "/v1.0/me/people", nil).must(t, 403)
	// Clean up the sent copies.
	mt := h.userToken(t, h.megan)
	for _, m := range h.call(t, mt, "GET", "/v1.0/me/messages?$filter=subject eq 'hi'", nil).must(t, 200).value() {
		h.call(t, mt, "DELETE", "/v1.0/me/messages/"+m["id"].(string), nil).must(t, 204)
	}
	for _, m := range h.call(t, tok, "GET", "/v1.0/me/messages?$filter=subject eq 'hi'", nil).must(t, 200).value() {
		h.call(t, tok, "DELETE", "/v1.0/me/messages/"+m["id"].(string), nil).must(t, 204)
	}
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d", h.artifacts())
	}
}

func TestPresence(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	me := h.call(t, tok, "GET", "/v1.0/me/presence", nil).must(t, 200)
	if me.body["id"] != h.alex.ID || me.body["availability"] != "Available" || me.body["activity"] != "Available" {
		t.Fatalf("/me/presence: %s", me.raw)
	}
	if !strings.HasSuffix(me.body["@odata.context"].(string), "users('"+h.alex.ID+"')/presence/$entity") {
		t.Fatalf("context: %v", me.body["@odata.context"])
	}
	// Presence of a colleague is readable with a delegated token.
	if g := h.call(t, tok, "GET", "/v1.0/users/"+h.megan.ID+"/presence", nil).must(t, 200); g.body["id"] != h.megan.ID {
		t.Fatalf("megan's presence: %s", g.raw)
	}
	app := h.appToken(t)
	if g := h.call(t, app, "GET", "/v1.0/users/"+h.megan.UPN+"/presence", nil).must(t, 200); g.body["id"] != h.megan.ID {
		t.Fatalf("app presence: %s", g.raw)
	}
	h.call(t, app, "GET", "/v1.0/me/presence", nil).must(t, 400)
	h.call(t, app, "GET", "/v1.0/users/nobody@contoso.onmicrosoft.com/presence", nil).must(t, 404)
	none := newHarness(t, Options{}, []string{"User.Read"}, nil)
	if g := none.call(t, none.userToken(t, none.alex), "GET", "/v1.0/me/presence", nil).must(t, 403); g.errCode() != "Forbidden" {
		t.Fatalf("presence without Presence.Read: %s", g.raw)
	}
}

func TestInsights(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	tr := h.call(t, tok, "GET", "/v1.0/me/insights/trending", nil).must(t, 200)
	if len(tr.value()) != len(seedFiles) {
		t.Fatalf("trending = %d, want one per seeded file: %s", len(tr.value()), tr.raw)
	}
	types := map[string]string{}
	for _, v := range tr.value() {
		vis := v["resourceVisualization"].(map[string]any)
		ref := v["resourceReference"].(map[string]any)
		if ref["type"] != "microsoft.graph.driveItem" || !strings.HasPrefix(ref["id"].(string), "drives/") || !strings.HasPrefix(ref["webUrl"].(string), "https://") {
			t.Fatalf("resourceReference: %v", ref)
		}
		for _, k := range []string{"title", "type", "mediaType", "previewImageUrl", "containerDisplayName", "containerWebUrl"} {
			if s, _ := vis[k].(string); s == "" {
				t.Fatalf("resourceVisualization.%s is empty: %v", k, vis)
			}
		}
		if _, ok := v["weight"].(float64); !ok || v["id"] == "" {
			t.Fatalf("trending item: %v", v)
		}
		types[vis["title"].(string)] = vis["type"].(string)
	}
	if types["Project plan"] != "Word" || types["Budget 2026"] != "Excel" || types["architecture"] != "Image" {
		t.Fatalf("visualization types: %v", types)
	}
	used := h.call(t, tok, "GET", "/v1.0/me/insights/used?$top=2", nil).must(t, 200)
	if len(used.value()) != 2 || used.body["@odata.nextLink"] == nil {
		t.Fatalf("used $top=2: %s", used.raw)
	}
	a := used.value()[0]["lastUsed"].(map[string]any)["lastAccessedDateTime"].(string)
	b := used.value()[1]["lastUsed"].(map[string]any)["lastAccessedDateTime"].(string)
	if a < b {
		t.Fatalf("used is not most recent first: %s < %s", a, b)
	}
	sh := h.call(t, tok, "GET", "/v1.0/me/insights/shared", nil).must(t, 200)
	if len(sh.value()) != 2 { // the seeded files in Documents
		t.Fatalf("shared: %s", sh.raw)
	}
	ls := sh.value()[0]["lastShared"].(map[string]any)
	if ls["sharedBy"].(map[string]any)["address"] != h.alex.UPN || ls["sharingReference"] == nil {
		t.Fatalf("lastShared: %v", ls)
	}
	app := h.appToken(t)
	for _, k := range []string{"trending", "used", "shared"} {
		g := h.call(t, app, "GET", "/v1.0/users/"+h.megan.UPN+"/insights/"+k, nil).must(t, 200)
		if len(g.value()) == 0 || !strings.Contains(g.body["@odata.context"].(string), "users('"+h.megan.ID+"')/insights/"+k) {
			t.Fatalf("app %s: %s", k, g.raw)
		}
	}
	if g := h.call(t, h.userToken(t, h.nolic), "GET", "/v1.0/me/insights/used", nil).must(t, 404); g.errCode() != "ResourceNotFound" {
		t.Fatalf("unlicensed insights: %s", g.raw)
	}
	h.call(t, tok, "GET", "/v1.0/users/"+h.megan.UPN+"/insights/used", nil).must(t, 403)
}

func TestPlannerTasks(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	g := h.call(t, tok, "GET", "/v1.0/me/planner/tasks", nil).must(t, 200)
	if len(g.value()) != 0 || !strings.HasSuffix(g.body["@odata.context"].(string), "users('"+h.alex.ID+"')/planner/tasks") {
		t.Fatalf("planner tasks of a new tenant: %s", g.raw)
	}
	app := h.appToken(t)
	if g := h.call(t, app, "GET", "/v1.0/users/"+h.megan.UPN+"/planner/tasks", nil).must(t, 200); len(g.value()) != 0 {
		t.Fatalf("app planner tasks: %s", g.raw)
	}
	none := newHarness(t, Options{}, []string{"User.Read"}, nil)
	none.call(t, none.userToken(t, none.alex), "GET", "/v1.0/me/planner/tasks", nil).must(t, 403)
}
