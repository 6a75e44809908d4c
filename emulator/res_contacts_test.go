package emulator

import (
	"strings"
	"testing"
)

func TestContactsLifecycle(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	seeded := h.call(t, tok, "GET", "/v1.0/me/contacts?$top=50", nil).must(t, 200).value()
	if len(seeded) < 5 {
		t.Fatalf("seeded contacts = %d", len(seeded))
	}
	root, _ := seeded[0]["parentFolderId"].(string)
	if root == "" {
		t.Fatalf("seeded contact without parentFolderId: %v", seeded[0])
	}
	for _, c := range seeded {
		if c["parentFolderId"] != root {
			t.Fatalf("default-folder contacts disagree on parentFolderId: %v vs %s", c["parentFolderId"], root)
		}
	}
	if p := h.call(t, tok, "GET", "/v1.0/me/contacts", nil).must(t, 200); len(p.value()) > 10 {
		t.Fatalf("Outlook page size is 10, got %d", len(p.value()))
	}

	c := h.call(t, tok, "POST", "/v1.0/me/contacts", map[string]any{"givenName": "T", "surname": "Renew",
		"emailAddresses": []any{map[string]any{"address": "t@example.com"}}, "businessPhones": []any{"+1 555 0100"}}).must(t, 201)
	id := c.body["id"].(string)
	if c.body["displayName"] != "T Renew" || c.body["parentFolderId"] != root {
		t.Fatalf("created contact: %s", c.raw)
	}
	ea := c.body["emailAddresses"].([]any)[0].(map[string]any)
	if ea["address"] != "t@example.com" || ea["name"] != "t@example.com" {
		t.Fatalf("email address: %v", ea)
	}
	if c.body["homeAddress"] == nil || c.body["categories"] == nil || c.body["changeKey"] == "" {
		t.Fatalf("contact defaults missing: %s", c.raw)
	}
	if h.artifacts() != 1 {
		t.Fatalf("live artifacts = %d", h.artifacts())
	}
	named := h.call(t, tok, "POST", "/v1.0/me/contacts", map[string]any{"displayName": "张伟 (work)", "givenName": "伟"}).must(t, 201)
	if named.body["displayName"] != "张伟 (work)" {
		t.Fatalf("explicit displayName: %s", named.raw)
	}
	if g := h.call(t, tok, "GET", "/v1.0/me/contacts/"+id+"?$select=displayName", nil).must(t, 200); g.body["displayName"] != "T Renew" || g.body["surname"] != nil {
		t.Fatalf("GET with $select: %s", g.raw)
	}
	p := h.call(t, tok, "PATCH", "/v1.0/me/contacts/"+id, map[string]any{"jobTitle": "Tester", "homeAddress": map[string]any{"city": "Shanghai"}}).must(t, 200)
	if p.body["jobTitle"] != "Tester" || p.body["homeAddress"].(map[string]any)["city"] != "Shanghai" || p.body["displayName"] != "T Renew" {
		t.Fatalf("patched contact: %s", p.raw)
	}
	if n := len(h.call(t, tok, "GET", "/v1.0/me/contacts?$top=50", nil).must(t, 200).value()); n != len(seeded)+2 {
		t.Fatalf("contacts after create = %d, want %d", n, len(seeded)+2)
	}
	for _, x := range []string{id, named.body["id"].(string)} {
		h.call(t, tok, "DELETE", "/v1.0/me/contacts/"+x, nil).must(t, 204)
	}
	nf := h.call(t, tok, "GET", "/v1.0/me/contacts/"+id, nil).must(t, 404)
	if nf.errCode() != "ErrorItemNotFound" {
		t.Fatalf("deleted contact: %s", nf.raw)
	}
	h.call(t, tok, "PATCH", "/v1.0/me/contacts/"+id, map[string]any{"jobTitle": "x"}).must(t, 404)
	h.call(t, tok, "DELETE", "/v1.0/me/contacts/"+id, nil).must(t, 404)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}
}

func TestContactsValidation(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	for _, tc := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"givenName": "x", "nickNam": "typo"}, "'nickNam' does not exist on type 'microsoft.graph.contact'"},
		{map[string]any{"givenName": "x", "emailAddresses": "t@example.com"}, "A 'StartArray' node was expected"},
		{map[string]any{"givenName": "x", "emailAddresses": []any{"t@example.com"}}, "A 'StartObject' node was expected"},
		{map[string]any{"givenName": "x", "emailAddresses": []any{map[string]any{"email": "t@example.com"}}}, "'email' does not exist on type 'microsoft.graph.emailAddress'"},
		{map[string]any{"givenName": "x", "businessPhones": []any{5550100}}, "Edm.String"},
		{map[string]any{"givenName": 7}, "Edm.String"},
		{map[string]any{"givenName": "x", "homeAddress": map[string]any{"town": "x"}}, "microsoft.graph.physicalAddress"},
		{map[string]any{"givenName": "x", "birthday": "someday"}, "Edm.DateTimeOffset"},
	} {
		g := h.call(t, tok, "POST", "/v1.0/me/contacts", tc.body).must(t, 400)
		if g.errCode() != "RequestBodyRead" || !strings.Contains(g.raw2(), tc.want) {
			t.Fatalf("%v: %s", tc.body, g.raw)
		}
	}
	h.call(t, tok, "POST", "/v1.0/me/contacts", "not json").must(t, 415)
	// Property names are matched without regard to case, as Graph does.
	cs := h.call(t, tok, "POST", "/v1.0/me/contacts", map[string]any{"GivenName": "Case", "SURNAME": "Insensitive"}).must(t, 201)
	if cs.body["givenName"] != "Case" || cs.body["displayName"] != "Case Insensitive" {
		t.Fatalf("case-insensitive properties: %s", cs.raw)
	}
	h.call(t, tok, "DELETE", "/v1.0/me/contacts/"+cs.body["id"].(string), nil).must(t, 204)
	if h.artifacts() != 0 {
		t.Fatalf("refused contacts left %d artifacts", h.artifacts())
	}
}

func TestContactFolders(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	root := h.call(t, tok, "GET", "/v1.0/me/contacts?$top=1", nil).must(t, 200).value()[0]["parentFolderId"].(string)
	if n := len(h.call(t, tok, "GET", "/v1.0/me/contactFolders", nil).must(t, 200).value()); n != 0 {
		t.Fatalf("a new mailbox lists %d contact folders, want none (the default folder is not a child)", n)
	}
	f := h.call(t, tok, "POST", "/v1.0/me/contactFolders", map[string]any{"displayName": "e5renew"}).must(t, 201)
	fid := f.body["id"].(string)
	if f.body["parentFolderId"] != root || f.body["displayName"] != "e5renew" {
		t.Fatalf("created folder: %s", f.raw)
	}
	dup := h.call(t, tok, "POST", "/v1.0/me/contactFolders", map[string]any{"displayName": "E5Renew"}).must(t, 409)
	if dup.errCode() != "ErrorFolderExists" {
		t.Fatalf("duplicate folder: %s", dup.raw)
	}
	if g := h.call(t, tok, "POST", "/v1.0/me/contactFolders", map[string]any{"displayName": " "}).must(t, 400); g.errCode() != "ErrorInvalidRequest" {
		t.Fatalf("empty folder name: %s", g.raw)
	}
	h.call(t, tok, "POST", "/v1.0/me/contactFolders", map[string]any{"name": "x"}).must(t, 400)
	list := h.call(t, tok, "GET", "/v1.0/me/contactFolders", nil).must(t, 200)
	if len(list.value()) != 1 || list.value()[0]["id"] != fid {
		t.Fatalf("folders: %s", list.raw)
	}
	if g := h.call(t, tok, "GET", "/v1.0/me/contactFolders/"+fid, nil).must(t, 200); g.body["displayName"] != "e5renew" {
		t.Fatalf("GET folder: %s", g.raw)
	}
	if g := h.call(t, tok, "PATCH", "/v1.0/me/contactFolders/"+fid, map[string]any{"displayName": "e5renew 2"}).must(t, 200); g.body["displayName"] != "e5renew 2" {
		t.Fatalf("PATCH folder: %s", g.raw)
	}
	sub := h.call(t, tok, "POST", "/v1.0/me/contactFolders", map[string]any{"displayName": "nested", "parentFolderId": fid}).must(t, 201)
	if sub.body["parentFolderId"] != fid {
		t.Fatalf("nested folder: %s", sub.raw)
	}
	ct := h.call(t, tok, "POST", "/v1.0/me/contactFolders/"+fid+"/contacts", map[string]any{"givenName": "In", "surname": "Folder"}).must(t, 201)
	cid := ct.body["id"].(string)
	if ct.body["parentFolderId"] != fid {
		t.Fatalf("contact in folder: %s", ct.raw)
	}
	in := h.call(t, tok, "GET", "/v1.0/me/contactFolders/"+fid+"/contacts", nil).must(t, 200)
	if len(in.value()) != 1 || in.value()[0]["id"] != cid {
		t.Fatalf("folder contacts: %s", in.raw)
	}
	for _, c := range h.call(t, tok, "GET", "/v1.0/me/contacts?$top=100", nil).must(t, 200).value() {
		if c["id"] == cid {
			t.Fatal("/me/contacts lists a contact of another folder")
		}
	}
	h.call(t, tok, "GET", "/v1.0/me/contacts/"+cid, nil).must(t, 200)
	// The default folder can be read by id but not deleted.
	if g := h.call(t, tok, "GET", "/v1.0/me/contactFolders/"+root, nil).must(t, 200); g.body["displayName"] != "Contacts" {
		t.Fatalf("default folder: %s", g.raw)
	}
	if g := h.call(t, tok, "DELETE", "/v1.0/me/contactFolders/"+root, nil).must(t, 403); g.errCode() != "ErrorDeleteDistinguishedFolder" {
		t.Fatalf("deleting the default folder: %s", g.raw)
	}
	if h.artifacts() != 3 {
		t.Fatalf("live artifacts = %d, want 2 folders and a contact", h.artifacts())
	}
	h.call(t, tok, "DELETE", "/v1.0/me/contactFolders/"+fid, nil).must(t, 204)
	h.call(t, tok, "GET", "/v1.0/me/contacts/"+cid, nil).must(t, 404)
	h.call(t, tok, "GET", "/v1.0/me/contactFolders/"+sub.body["id"].(string), nil).must(t, 404)
	if g := h.call(t, tok, "GET", "/v1.0/me/contactFolders/"+fid+"/contacts", nil).must(t, 404); g.errCode() != "ErrorItemNotFound" {
		t.Fatalf("contacts of a deleted folder: %s", g.raw)
	}
	h.call(t, tok, "POST", "/v1.0/me/contactFolders/"+fid+"/contacts", map[string]any{"givenName": "x"}).must(t, 404)
	h.call(t, tok, "DELETE", "/v1.0/me/contactFolders/"+fid, nil).must(t, 404)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after deleting the folder", h.artifacts())
	}
}

func TestContactsApplicationAndBoundaries(t *testing.T) {
	h := defaultHarness(t)
	app := h.appToken(t)
	megan := "/v1.0/users/" + h.megan.ID
	if n := len(h.call(t, app, "GET", megan+"/contacts", nil).must(t, 200).value()); n < 5 {
		t.Fatalf("megan's contacts = %d", n)
	}
	c := h.call(t, app, "POST", megan+"/contacts", map[string]any{"givenName": "App", "emailAddresses": []any{map[string]any{"address": "app@example.com", "name": "App"}}}).must(t, 201)
	id := c.body["id"].(string)
	if !strings.Contains(c.body["@odata.context"].(string), "users('"+h.megan.ID+"')/contacts/$entity") {
		t.Fatalf("context: %v", c.body["@odata.context"])
	}
	h.call(t, app, "GET", megan+"/contacts/"+id, nil).must(t, 200)
	h.call(t, app, "PATCH", megan+"/contacts/"+id, map[string]any{"companyName": "Contoso"}).must(t, 200)
	f := h.call(t, app, "POST", megan+"/contactFolders", map[string]any{"displayName": "app folder"}).must(t, 201).body["id"].(string)
	h.call(t, app, "GET", megan+"/contactFolders", nil).must(t, 200)
	h.call(t, app, "GET", megan+"/contactFolders/"+f, nil).must(t, 200)
	h.call(t, app, "PATCH", megan+"/contactFolders/"+f, map[string]any{"displayName": "app folder 2"}).must(t, 200)
	h.call(t, app, "POST", megan+"/contactFolders/"+f+"/contacts", map[string]any{"surname": "Only"}).must(t, 201)
	if v := h.call(t, app, "GET", megan+"/contactFolders/"+f+"/contacts", nil).must(t, 200).value(); len(v) != 1 || v[0]["displayName"] != "Only" {
		t.Fatalf("folder contacts: %v", v)
	}
	if h.artifacts() != 3 {
		t.Fatalf("live artifacts = %d", h.artifacts())
	}
	h.call(t, app, "DELETE", megan+"/contacts/"+id, nil).must(t, 204)
	h.call(t, app, "DELETE", megan+"/contactFolders/"+f, nil).must(t, 204)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}

	tok := h.userToken(t, h.alex)
	if g := h.call(t, tok, "GET", megan+"/contacts", nil).must(t, 403); g.errCode() != "ErrorAccessDenied" {
		t.Fatalf("delegated read of megan's contacts: %s", g.raw)
	}
	if g := h.call(t, h.userToken(t, h.nolic), "GET", "/v1.0/me/contactFolders", nil).must(t, 404); g.errCode() != "MailboxNotEnabledForRESTAPI" {
		t.Fatalf("unlicensed: %s", g.raw)
	}
	ro := newHarness(t, Options{}, []string{"User.Read", "Contacts.Read"}, nil)
	rt := ro.userToken(t, ro.alex)
	ro.call(t, rt, "GET", "/v1.0/me/contacts", nil).must(t, 200)
	if g := ro.call(t, rt, "POST", "/v1.0/me/contacts", map[string]any{"givenName": "x"}).must(t, 403); g.errCode() != "ErrorAccessDenied" {
		t.Fatalf("read-only token created a contact: %s", g.raw)
	}
}
