package emulator

import (
	"fmt"
	"net/url"
	"testing"
)

// listAll follows @odata.nextLink from path and returns every item.
func (h *harness) listAll(t *testing.T, tok, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for pages := 0; path != ""; pages++ {
		if pages > 50 {
			t.Fatalf("%s: more than 50 pages", path)
		}
		g := h.call(t, tok, "GET", path, nil).must(t, 200)
		out = append(out, g.value()...)
		path, _ = g.body["@odata.nextLink"].(string)
	}
	return out
}

// countNamed counts items whose property prop is one of names, and fails on any item that
// has (or lacks) createdDateTime against what Graph's resource type defines.
func countNamed(t *testing.T, what string, items []map[string]any, prop string, names map[string]bool, created bool) int {
	t.Helper()
	n := 0
	for _, it := range items {
		if _, has := it["createdDateTime"]; has != created {
			t.Errorf("%s: createdDateTime present = %v, want %v: %v", what, has, created, it)
		}
		if s, _ := it[prop].(string); names[s] {
			n++
		}
	}
	return n
}

// The collections e5renew's sweeps list answer with Graph's shape: paging through
// @odata.nextLink under a small $top, $select honoured, and createdDateTime exactly where the
// resource type has one (driveItem, message, event, listItem, onenotePage; not mailFolder,
// contactFolder, calendar, todoTaskList, messageRule, outlookCategory). Delegated (/me) and
// application (/users/{id}) forms alike.
func TestSweepListingsHaveGraphsShape(t *testing.T) {
	// Listing rules and categories takes MailboxSettings.Read: ReadWrite does not list them.
	h := newHarness(t, Options{}, append(allScopes, "MailboxSettings.Read"), append(allRoles, "MailboxSettings.Read"))
	forms := map[string]string{"delegated": h.userToken(t, h.alex), "app": h.appToken(t)}
	for form, tok := range forms {
		me := "/v1.0/me"
		if form == "app" {
			me = "/v1.0/users/" + url.PathEscape(h.alex.UPN)
		}
		t.Run(form, func(t *testing.T) {
			names := map[string]bool{}
			for i := 0; i < 7; i++ {
				names[fmt.Sprintf("e5renew-1c2a3b4-%s%07x", form[:1], i)] = true
			}
			for name := range names {
				h.call(t, tok, "POST", me+"/drive/root/children", map[string]any{"name": name, "folder": map[string]any{}}).must(t, 201)
				h.call(t, tok, "POST", me+"/mailFolders", map[string]any{"displayName": name}).must(t, 201)
				h.call(t, tok, "POST", me+"/contactFolders", map[string]any{"displayName": name}).must(t, 201)
				h.call(t, tok, "POST", me+"/calendars", map[string]any{"name": name}).must(t, 201)
				h.call(t, tok, "POST", me+"/todo/lists", map[string]any{"displayName": name}).must(t, 201)
				h.call(t, tok, "POST", me+"/outlook/masterCategories", map[string]any{"displayName": name, "color": "preset1"}).must(t, 201)
				h.call(t, tok, "POST", me+"/mailFolders/inbox/messageRules", map[string]any{"displayName": name, "sequence": 3,
					"actions": map[string]any{"markAsRead": true}}).must(t, 201)
				h.call(t, tok, "POST", me+"/messages", map[string]any{"subject": "draft",
					"internetMessageHeaders": []any{map[string]any{"name": "x-e5renew-id", "value": name}}}).must(t, 201)
				ev := calEvent("sync", "2026-11-05T10:00:00", "2026-11-05T10:30:00", "UTC")
				ev["transactionId"] = name
				h.call(t, tok, "POST", me+"/events", ev).must(t, 201)
			}

			drive := h.listAll(t, tok, me+"/drive/root/children?$select=id,name,folder,createdDateTime&$top=3")
			if n := countNamed(t, "driveItem", drive, "name", names, true); n != len(names) {
				t.Errorf("drive root children: %d of %d folders", n, len(names))
			}
			for _, it := range drive {
				if _, ok := it["size"]; ok {
					t.Fatalf("$select=id,name,folder,createdDateTime returned size: %v", it)
				}
			}
			for _, c := range []struct{ what, path, prop string }{
				{"mailFolder", "/mailFolders?$select=id,displayName&$top=3", "displayName"},
				{"mailFolder", "/mailFolders?$top=4", "displayName"},
				{"contactFolder", "/contactFolders?$select=id,displayName&$top=3", "displayName"},
				{"contactFolder", "/contactFolders?$top=4", "displayName"},
				{"calendar", "/calendars?$select=id,name&$top=3", "name"},
				{"calendar", "/calendars", "name"},
				{"todoTaskList", "/todo/lists?$top=3", "displayName"},
				{"messageRule", "/mailFolders/inbox/messageRules", "displayName"},
				{"outlookCategory", "/outlook/masterCategories", "displayName"},
			} {
				if n := countNamed(t, c.what, h.listAll(t, tok, me+c.path), c.prop, names, false); n != len(names) {
					t.Errorf("%s: %d of %d", c.path, n, len(names))
				}
			}

			drafts := h.listAll(t, tok, me+"/mailFolders/drafts/messages?$select=id,internetMessageHeaders,createdDateTime&$top=2&$orderby=receivedDateTime%20desc")
			found := 0
			for _, m := range drafts {
				hs, _ := m["internetMessageHeaders"].([]any)
				for _, x := range hs {
					if hv, _ := x.(map[string]any); hv["name"] == "x-e5renew-id" && names[hv["value"].(string)] {
						found++
					}
				}
			}
			if countNamed(t, "message", drafts, "", nil, true); found != len(names) {
				t.Errorf("drafts with the marker header: %d of %d", found, len(names))
			}

			view := h.listAll(t, tok, me+"/calendar/calendarView?startDateTime=2026-10-01T00:00:00Z&endDateTime=2026-12-01T00:00:00Z"+
				"&$select=id,transactionId,createdDateTime&$top=2")
			if n := countNamed(t, "event", view, "transactionId", names, true); n != len(names) {
				t.Errorf("calendarView by transactionId: %d of %d", n, len(names))
			}
		})
	}
}

// The SharePoint and OneNote listings a sweep makes: the e5renew list's items with their
// Title and createdDateTime, pages in e5renew's section with theirs.
func TestSweepListingsOfSharePointAndOneNote(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	site := h.call(t, tok, "GET", "/v1.0/sites/root", nil).must(t, 200).body["id"].(string)
	lst := h.call(t, tok, "POST", "/v1.0/sites/"+site+"/lists", map[string]any{"displayName": "e5renew",
		"list": map[string]any{"template": "genericList"}}).must(t, 201).body["id"].(string)
	for i := 0; i < 5; i++ {
		h.call(t, tok, "POST", "/v1.0/sites/"+site+"/lists/"+lst+"/items", map[string]any{"fields": map[string]any{
			"Title": fmt.Sprintf("Task %d (e5renew-1c2a3b4-%08x)", i, i)}}).must(t, 201)
	}
	found := 0
	for _, l := range h.listAll(t, tok, "/v1.0/sites/"+site+"/lists?$select=id,displayName,list&$top=100") {
		if l["displayName"] == "e5renew" && l["id"] == lst {
			found++
		}
	}
	if found != 1 {
		t.Fatalf("the e5renew list listed %d times", found)
	}
	items := h.listAll(t, tok, "/v1.0/sites/"+site+"/lists/"+lst+"/items?$expand=fields($select=Title)&$top=2")
	if len(items) != 5 {
		t.Fatalf("items: %d, want 5", len(items))
	}
	for _, it := range items {
		f, _ := it["fields"].(map[string]any)
		if _, ok := it["createdDateTime"]; !ok || f["Title"] == nil || f["Modified"] != nil {
			t.Fatalf("item without createdDateTime, or fields not as selected: %v", it)
		}
	}

	nb := h.call(t, tok, "POST", "/v1.0/me/onenote/notebooks", map[string]any{"displayName": "e5renew"}).must(t, 201).body["id"].(string)
	sec := h.call(t, tok, "POST", "/v1.0/me/onenote/notebooks/"+nb+"/sections", map[string]any{"displayName": "e5renew"}).must(t, 201).body["id"].(string)
	for i := 0; i < 3; i++ {
		h.call(t, tok, "POST", "/v1.0/me/onenote/sections/"+sec+"/pages",
			fmt.Sprintf("<html><head><title>Notes · e5renew-1c2a3b4-%08x</title></head><body><p>x</p></body></html>", i), "Content-Type", "text/html").must(t, 201)
	}
	if got := h.listAll(t, tok, "/v1.0/me/onenote/notebooks?$filter=displayName%20eq%20'e5renew'&$select=id,displayName"); len(got) != 1 || got[0]["id"] != nb {
		t.Fatalf("notebook by name: %v", got)
	}
	if got := h.listAll(t, tok, "/v1.0/me/onenote/notebooks/"+nb+"/sections?$filter=displayName%20eq%20'e5renew'&$select=id,displayName"); len(got) != 1 || got[0]["id"] != sec {
		t.Fatalf("section by name: %v", got)
	}
	pages := h.listAll(t, tok, "/v1.0/me/onenote/sections/"+sec+"/pages?$select=id,title,createdDateTime&$top=2")
	if len(pages) != 3 {
		t.Fatalf("pages: %d, want 3", len(pages))
	}
	for _, p := range pages {
		if _, ok := p["createdDateTime"]; !ok || p["title"] == nil || p["contentUrl"] != nil {
			t.Fatalf("page without createdDateTime or title, or $select ignored: %v", p)
		}
	}
}
