package emulator

import (
	"net/url"
	"strings"
	"testing"
)

func TestSitesRootSearchAndDrives(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	root := h.call(t, tok, "GET", "/v1.0/sites/root", nil).must(t, 200)
	id := root.body["id"].(string)
	parts := strings.Split(id, ",")
	if len(parts) != 3 || parts[0] != "contoso.sharepoint.com" || root.body["root"] == nil {
		t.Fatalf("root site: %s", root.raw)
	}
	for _, alias := range []string{url.PathEscape(id), "root", "contoso.sharepoint.com", parts[0] + "," + parts[1]} {
		if g := h.call(t, tok, "GET", "/v1.0/sites/"+alias, nil).must(t, 200); g.body["id"] != id {
			t.Fatalf("GET /sites/%s gave %v", alias, g.body["id"])
		}
	}
	dev := h.call(t, tok, "GET", "/v1.0/sites/contoso.sharepoint.com:/sites/developers", nil).must(t, 200)
	if dev.body["displayName"] != "Developers" {
		t.Fatalf("site by path: %s", dev.raw)
	}
	if g := h.call(t, tok, "GET", "/v1.0/sites/contoso.sharepoint.com:/", nil).must(t, 200); g.body["id"] != id {
		t.Fatalf("root by path: %s", g.raw)
	}
	if r := h.call(t, tok, "GET", "/v1.0/sites/contoso.sharepoint.com:/sites/none", nil).must(t, 404); r.errCode() != "itemNotFound" {
		t.Fatalf("unknown site path: %s", r.raw)
	}
	if r := h.call(t, tok, "GET", "/v1.0/sites/contoso.sharepoint.com,"+newGUID()+","+newGUID(), nil).must(t, 404); r.errCode() != "itemNotFound" {
		t.Fatalf("unknown site: %s", r.raw)
	}
	if s := h.call(t, tok, "GET", "/v1.0/sites?search=develop", nil).must(t, 200); len(s.value()) != 1 || s.value()[0]["name"] != "Developers" {
		t.Fatalf("search: %s", s.raw)
	}
	if s := h.call(t, tok, "GET", "/v1.0/sites?search=*", nil).must(t, 200); len(s.value()) != 2 {
		t.Fatalf("search=*: %s", s.raw)
	}
	if s := h.call(t, tok, "GET", "/v1.0/sites?search=nothing-like-this", nil).must(t, 200); len(s.value()) != 0 {
		t.Fatalf("search without hits: %s", s.raw)
	}
	lists := h.call(t, tok, "GET", "/v1.0/sites/root/lists", nil).must(t, 200)
	if len(lists.value()) != 3 {
		t.Fatalf("seeded lists: %s", lists.raw)
	}
	drive := h.call(t, tok, "GET", "/v1.0/sites/root/drive", nil).must(t, 200)
	if drive.body["driveType"] != "documentLibrary" || drive.body["name"] != "Documents" || !strings.HasPrefix(drive.body["id"].(string), "b!") {
		t.Fatalf("site drive: %s", drive.raw)
	}
	drives := h.call(t, tok, "GET", "/v1.0/sites/"+url.PathEscape(id)+"/drives", nil).must(t, 200)
	if len(drives.value()) != 1 || drives.value()[0]["id"] != drive.body["id"] {
		t.Fatalf("site drives: %s", drives.raw)
	}
	devDrive := h.call(t, tok, "GET", "/v1.0/sites/"+url.PathEscape(dev.body["id"].(string))+"/drive", nil).must(t, 200)
	if devDrive.body["id"] == drive.body["id"] || devDrive.body["driveType"] != "documentLibrary" {
		t.Fatalf("default library of a site without lists: %s", devDrive.raw)
	}
	byID := h.call(t, h.appToken(t), "GET", "/v1.0/drives/"+drive.body["id"].(string), nil).must(t, 200)
	if byID.body["name"] != "Documents" {
		t.Fatalf("GET /drives/{library id}: %s", byID.raw)
	}
	narrow := newHarness(t, Options{}, []string{"User.Read"}, nil)
	if r := narrow.call(t, narrow.userToken(t, narrow.alex), "GET", "/v1.0/sites/root", nil).must(t, 403); r.errCode() != "accessDenied" {
		t.Fatalf("no Sites scope: %s", r.raw)
	}
}

func TestSitesListsAndItems(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	body := map[string]any{"displayName": "e5renew runs", "columns": []any{map[string]any{"name": "Note", "text": map[string]any{}}},
		"list": map[string]any{"template": "genericList"}}
	l := h.call(t, tok, "POST", "/v1.0/sites/root/lists", body).must(t, 201)
	lid := l.body["id"].(string)
	if l.body["displayName"] != "e5renew runs" || l.body["name"] != "e5renewruns" || l.body["list"].(map[string]any)["template"] != "genericList" {
		t.Fatalf("created list: %s", l.raw)
	}
	if _, leaked := l.body["@columns"]; leaked {
		t.Fatalf("hidden key leaked: %s", l.raw)
	}
	if r := h.call(t, tok, "POST", "/v1.0/sites/root/lists", body).must(t, 409); r.errCode() != "nameAlreadyExists" {
		t.Fatalf("duplicate list: %s", r.raw)
	}
	if r := h.call(t, tok, "POST", "/v1.0/sites/root/lists", map[string]any{"name": "Books"}).must(t, 400); !strings.Contains(r.raw2(), "provide 'displayName'") {
		t.Fatalf("name instead of displayName: %s", r.raw)
	}
	if r := h.call(t, tok, "POST", "/v1.0/sites/root/lists", map[string]any{"displayName": "x", "list": map[string]any{"template": "generic"}}).must(t, 400); r.errCode() != "invalidRequest" {
		t.Fatalf("bad template: %s", r.raw)
	}
	byTitle := h.call(t, tok, "GET", "/v1.0/sites/root/lists/e5renew%20runs?$expand=columns", nil).must(t, 200)
	if byTitle.body["id"] != lid || len(byTitle.body["columns"].([]any)) != 2 {
		t.Fatalf("list by title with columns: %s", byTitle.raw)
	}
	if r := h.call(t, tok, "GET", "/v1.0/sites/root/lists/"+newGUID(), nil).must(t, 404); r.errCode() != "itemNotFound" {
		t.Fatalf("unknown list: %s", r.raw)
	}
	base := "/v1.0/sites/root/lists/" + lid + "/items"
	one := h.call(t, tok, "POST", base, map[string]any{"fields": map[string]any{"Title": "first", "Note": "n1"}}).must(t, 201)
	if one.body["id"] != "1" || one.body["fields"].(map[string]any)["Title"] != "first" {
		t.Fatalf("created item: %s", one.raw)
	}
	two := h.call(t, tok, "POST", base, map[string]any{"fields": map[string]any{"Title": "second"}}).must(t, 201)
	if two.body["id"] != "2" {
		t.Fatalf("second item id: %v", two.body["id"])
	}
	if r := h.call(t, tok, "POST", base, map[string]any{"fields": map[string]any{"Bogus": 1}}).must(t, 400); !strings.Contains(r.raw2(), "Field 'Bogus' is not recognized") {
		t.Fatalf("unknown field: %s", r.raw)
	}
	if r := h.call(t, tok, "POST", base, map[string]any{"title": "x"}).must(t, 400); r.errCode() != "RequestBodyRead" {
		t.Fatalf("unknown property: %s", r.raw)
	}
	plain := h.call(t, tok, "GET", base, nil).must(t, 200)
	if len(plain.value()) != 2 || plain.value()[0]["fields"] != nil {
		t.Fatalf("items without $expand: %s", plain.raw)
	}
	expanded := h.call(t, tok, "GET", base+"?$expand=fields", nil).must(t, 200)
	if f := expanded.value()[0]["fields"].(map[string]any); f["Title"] != "first" || f["Note"] != "n1" || f["ContentType"] != "Item" {
		t.Fatalf("items with fields: %s", expanded.raw)
	}
	sel := h.call(t, tok, "GET", base+"/1?expand=fields($select=Note)", nil).must(t, 200)
	if f := sel.body["fields"].(map[string]any); f["Note"] != "n1" || f["Title"] != nil {
		t.Fatalf("fields($select=Note): %s", sel.raw)
	}
	patched := h.call(t, tok, "PATCH", base+"/1", map[string]any{"fields": map[string]any{"Title": "renamed"}}).must(t, 200)
	if f := patched.body["fields"].(map[string]any); f["Title"] != "renamed" || f["Note"] != "n1" || f["_UIVersionString"] != "2.0" {
		t.Fatalf("patched item: %s", patched.raw)
	}
	if patched.body["eTag"] == one.body["eTag"] {
		t.Fatal("eTag unchanged after PATCH")
	}
	fields := h.call(t, tok, "PATCH", base+"/1/fields", map[string]any{"Note": "n2"}).must(t, 200)
	if fields.body["Note"] != "n2" || fields.body["Title"] != "renamed" {
		t.Fatalf("PATCH fields: %s", fields.raw)
	}
	if r := h.call(t, tok, "PATCH", base+"/1/fields", map[string]any{"Nope": 1}).must(t, 400); r.errCode() != "invalidRequest" {
		t.Fatalf("PATCH unknown field: %s", r.raw)
	}
	if r := h.call(t, tok, "DELETE", base+"/1", nil, "If-Match", one.body["eTag"].(string)).must(t, 412); r.errCode() != "resourceModified" {
		t.Fatalf("stale If-Match: %s", r.raw)
	}
	if r := h.call(t, tok, "GET", base+"/99", nil).must(t, 404); r.errCode() != "itemNotFound" {
		t.Fatalf("unknown item: %s", r.raw)
	}
	if st := h.e.Stats(); st.PermanentArtifacts[h.alex.UPN]["list"] != 1 || st.LiveArtifacts[h.alex.UPN]["listItem"] != 2 {
		t.Fatalf("artifacts: %v", st.LiveArtifacts)
	}
	h.call(t, tok, "DELETE", base+"/1", nil).must(t, 204)
	h.call(t, tok, "GET", base+"/1", nil).must(t, 404)
	three := h.call(t, tok, "POST", base, map[string]any{"fields": map[string]any{"Title": "third"}}).must(t, 201)
	if three.body["id"] != "3" {
		t.Fatalf("item ids are reused: %v", three.body["id"])
	}
	// Deleting the list deletes its remaining items; the statistics return to zero.
	h.call(t, tok, "DELETE", "/v1.0/sites/root/lists/"+lid, nil).must(t, 204)
	h.call(t, tok, "GET", "/v1.0/sites/root/lists/"+lid, nil).must(t, 404)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}
}

func TestSitesAppTokensAndPermissions(t *testing.T) {
	h := defaultHarness(t)
	app := h.appToken(t)
	l := h.call(t, app, "POST", "/v1.0/sites/root/lists", map[string]any{"displayName": "app list"}).must(t, 201)
	lid := l.body["id"].(string)
	if l.body["createdBy"].(map[string]any)["application"] == nil {
		t.Fatalf("createdBy of an app-made list: %v", l.body["createdBy"])
	}
	it := h.call(t, app, "POST", "/v1.0/sites/root/lists/"+lid+"/items", map[string]any{"fields": map[string]any{"Title": "x"}}).must(t, 201)
	if st := h.e.Stats(); st.LiveArtifacts["app:"+h.app.ClientID]["listItem"] != 1 {
		t.Fatalf("app artifacts: %v", st.LiveArtifacts)
	}
	h.call(t, app, "GET", "/v1.0/sites/root/lists/"+lid+"/items/"+it.body["id"].(string), nil).must(t, 200)
	docs := h.call(t, app, "GET", "/v1.0/sites/root/lists/Documents", nil).must(t, 200)
	if r := h.call(t, app, "POST", "/v1.0/sites/root/lists/"+docs.body["id"].(string)+"/items", map[string]any{"fields": map[string]any{"Title": "f"}}).must(t, 400); !strings.Contains(r.raw2(), "OneDrive API") {
		t.Fatalf("item in a document library: %s", r.raw)
	}
	h.call(t, app, "DELETE", "/v1.0/sites/root/lists/"+lid, nil).must(t, 204)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}
	if got := h.e.AcceptedPermissions("DELETE", "/sites/{id}/lists/{id}", "DelegatedWork"); !containsFold(got, "Sites.Manage.All") {
		t.Fatalf("DELETE list supplement: %v", got)
	}

	// Creating a list needs Sites.Manage.All delegated; Sites.ReadWrite.All writes items.
	rw := newHarness(t, Options{}, []string{"User.Read", "Sites.ReadWrite.All"}, nil)
	tok := rw.userToken(t, rw.alex)
	if r := rw.call(t, tok, "POST", "/v1.0/sites/root/lists", map[string]any{"displayName": "nope"}).must(t, 403); r.errCode() != "accessDenied" {
		t.Fatalf("create list without Sites.Manage.All: %s", r.raw)
	}
	events := rw.call(t, tok, "GET", "/v1.0/sites/root/lists/Events", nil).must(t, 200)
	ev := rw.call(t, tok, "POST", "/v1.0/sites/root/lists/"+events.body["id"].(string)+"/items", map[string]any{"fields": map[string]any{"Title": "standup", "Location": "room"}}).must(t, 201)
	rw.call(t, tok, "DELETE", "/v1.0/sites/root/lists/"+events.body["id"].(string)+"/items/"+ev.body["id"].(string), nil).must(t, 204)
	if r := rw.call(t, tok, "DELETE", "/v1.0/sites/root/lists/"+events.body["id"].(string), nil).must(t, 403); r.errCode() != "accessDenied" {
		t.Fatalf("delete list without Sites.Manage.All: %s", r.raw)
	}
	read := newHarness(t, Options{}, []string{"User.Read", "Sites.Read.All"}, nil)
	rtok := read.userToken(t, read.alex)
	read.call(t, rtok, "GET", "/v1.0/sites/root/lists", nil).must(t, 200)
	if r := read.call(t, rtok, "POST", "/v1.0/sites/root/lists/Events/items", map[string]any{"fields": map[string]any{"Title": "x"}}).must(t, 403); r.errCode() != "accessDenied" {
		t.Fatalf("write with Sites.Read.All: %s", r.raw)
	}
}
