package emulator

import (
	"crypto/sha256"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/e5renew/e5renew/internal/graphdata"
)

// SharePoint (protocol.md §3 row 15): sites of the tenant, their lists and list items, and
// each site's document libraries as drives. Lists and items created by clients are
// artifacts attributed to the caller.

const sitesPageSize = 200

// listTemplates are the list templates a client may create (listInfo.template).
var listTemplates = map[string]bool{"genericList": true, "documentLibrary": true, "survey": true, "links": true, "announcements": true,
	"contacts": true, "events": true, "tasks": true, "discussionBoard": true, "pictureLibrary": true, "issueTracking": true,
	"customGrid": true}

func (e *Emulator) registerSites(rt *router) {
	rt.global("GET", "/sites/root", wlSites, func(c *gc) { c.siteEntity(c.td().sites.get(c.td().rootSite)) })
	rt.global("GET", "/sites/{id}", wlSites, func(c *gc) {
		if s := c.spSite(c.param(0)); s != nil {
			c.siteEntity(s)
		}
	})
	rt.global("GET", "/sites/{id}:/{path}", wlSites, func(c *gc) {
		if s := c.siteByPath(c.param(0), c.param(1)); s != nil {
			c.siteEntity(s)
		}
	})
	rt.global("GET", "/sites", wlSites, (*gc).searchSites)

	rt.global("GET", "/sites/{id}/lists", wlSites, func(c *gc) {
		if s := c.spSite(c.param(0)); s != nil {
			var out []obj
			for _, l := range c.td().lists.where(inParent(s.id)) {
				out = append(out, c.spListOut(l))
			}
			c.list(out, listOpts{context: "sites('" + s.id + "')/lists", pageSize: sitesPageSize})
		}
	})
	rt.global("POST", "/sites/{id}/lists", wlSites, func(c *gc) {
		if s := c.spSite(c.param(0)); s != nil {
			c.createSPList(s)
		}
	})
	rt.global("GET", "/sites/{id}/lists/{id}", wlSites, func(c *gc) {
		if s, l := c.spList(); l != nil {
			c.entity(200, "sites('"+s.id+"')/lists/$entity", c.spListOut(l))
		}
	})
	// DELETE of a list is documented (and in the OpenAPI paths) but missing from
	// permissions.json: it takes the permissions of creating one.
	post := graphdata.Normalize("/sites/{id}/lists")
	rt.add(&route{method: "DELETE", template: "/sites/{id}/lists/{id}", workload: wlSites, h: (*gc).deleteSPList, supplement: &supplement{
		Delegated:   append(e.perms.AcceptedBy("POST", post, graphdata.DelegatedWork), "Sites.FullControl.All"),
		Application: append(e.perms.AcceptedBy("POST", post, graphdata.Application), "Sites.FullControl.All"),
		Source:      "protocol.md §3 (OpenAPI paths list DELETE /sites/{id}/lists/{id}); permissions of POST /sites/{id}/lists",
	}})

	rt.global("GET", "/sites/{id}/lists/{id}/items", wlSites, func(c *gc) {
		if s, l := c.spList(); l != nil {
			var out []obj
			for _, it := range c.td().listItems.where(inParent(l.id)) {
				out = append(out, c.listItemOut(s, l, it, c.spExpandFields()))
			}
			c.list(out, listOpts{context: "sites('" + s.id + "')/lists('" + l.id + "')/items", pageSize: sitesPageSize})
		}
	})
	rt.global("POST", "/sites/{id}/lists/{id}/items", wlSites, func(c *gc) {
		if s, l := c.spList(); l != nil {
			c.createSPListItem(s, l)
		}
	})
	rt.global("GET", "/sites/{id}/lists/{id}/items/{id}", wlSites, func(c *gc) {
		if s, l, it := c.spListItem(); it != nil {
			c.entity(200, "sites('"+s.id+"')/lists('"+l.id+"')/items/$entity", c.listItemOut(s, l, it, c.spExpandFields()))
		}
	})
	rt.global("PATCH", "/sites/{id}/lists/{id}/items/{id}", wlSites, func(c *gc) {
		if s, l, it := c.spListItem(); it != nil {
			c.patchSPListItem(s, l, it, false)
		}
	})
	rt.global("PATCH", "/sites/{id}/lists/{id}/items/{id}/fields", wlSites, func(c *gc) {
		if s, l, it := c.spListItem(); it != nil {
			c.patchSPListItem(s, l, it, true)
		}
	})
	rt.global("DELETE", "/sites/{id}/lists/{id}/items/{id}", wlSites, func(c *gc) {
		if _, _, it := c.spListItem(); it != nil {
			if !c.spIfMatch(it) {
				return
			}
			td := c.td()
			td.listItems.del(it.id)
			delete(td.creators, it.id)
			c.noContent(204)
		}
	})

	rt.global("GET", "/sites/{id}/drive", wlSites, func(c *gc) {
		if s := c.spSite(c.param(0)); s != nil {
			c.entity(200, "drives/$entity", c.siteDrives(s)[0])
		}
	})
	rt.global("GET", "/sites/{id}/drives", wlSites, func(c *gc) {
		if s := c.spSite(c.param(0)); s != nil {
			c.list(c.siteDrives(s), listOpts{context: "drives", pageSize: sitesPageSize})
		}
	})
}

// --- errors and resolution ----------------------------------------------------------------

func spSiteNotFound() *graphErr {
	return gerr(404, "itemNotFound", "Requested site could not be found")
}
func spListNotFound() *graphErr { return gerr(404, "itemNotFound", "List not found") }
func spItemNotFound() *graphErr { return gerr(404, "itemNotFound", "Item not found") }

// spSite resolves a site id: "root", the composite "hostname,siteCollectionId,webId" (or its
// first two parts), or the bare hostname (the root site).
func (c *gc) spSite(id string) *item {
	td := c.td()
	if strings.EqualFold(id, "root") {
		return td.sites.get(td.rootSite)
	}
	parts := strings.Split(id, ",")
	for _, s := range td.sites.items {
		sp := strings.Split(s.id, ",")
		switch {
		case strings.EqualFold(s.id, id):
			return s
		case len(parts) == 2 && len(sp) == 3 && strings.EqualFold(sp[0], parts[0]) && strings.EqualFold(sp[1], parts[1]):
			return s
		}
	}
	if len(parts) == 1 {
		if root := td.sites.get(td.rootSite); root != nil && strings.EqualFold(siteHost(root), id) {
			return root
		}
	}
	c.fail(spSiteNotFound())
	return nil
}

func siteHost(s *item) string {
	sc, _ := s.o["siteCollection"].(obj)
	return str(sc, "hostname")
}

// siteByPath resolves GET /sites/{hostname}:/{server-relative-path}.
func (c *gc) siteByPath(host, p string) *item {
	want := "/" + strings.Trim(p, "/")
	for _, s := range c.td().sites.items {
		if !strings.EqualFold(siteHost(s), host) {
			continue
		}
		u, err := url.Parse(str(s.o, "webUrl"))
		if err != nil {
			continue
		}
		if strings.EqualFold("/"+strings.Trim(u.Path, "/"), want) {
			return s
		}
	}
	c.fail(spSiteNotFound())
	return nil
}

func (c *gc) siteEntity(s *item) {
	if s == nil {
		c.fail(spSiteNotFound())
		return
	}
	c.entity(200, "sites/$entity", withoutHiddenKeys(s.o))
}

// searchSites answers GET /sites?search=...: sites whose names, description or URL contain
// the text ("*" or no search lists every site).
func (c *gc) searchSites() {
	q := strings.ToLower(strings.Trim(strings.TrimSpace(c.query.Get("search")), `"`))
	var out []obj
	for _, s := range c.td().sites.items {
		hit := q == "" || q == "*"
		for _, k := range []string{"displayName", "name", "description", "webUrl"} {
			if !hit && q != "" && strings.Contains(strings.ToLower(str(s.o, k)), q) {
				hit = true
			}
		}
		if hit {
			out = append(out, withoutHiddenKeys(s.o))
		}
	}
	c.list(out, listOpts{context: "sites", pageSize: sitesPageSize})
}

// spList resolves /sites/{id}/lists/{id}; a list is addressed by id or by its title.
func (c *gc) spList() (*item, *item) {
	s := c.spSite(c.param(0))
	if s == nil {
		return nil, nil
	}
	id := c.param(1)
	for _, l := range c.td().lists.where(inParent(s.id)) {
		if strings.EqualFold(l.id, id) || strings.EqualFold(str(l.o, "displayName"), id) || strings.EqualFold(str(l.o, "name"), id) {
			return s, l
		}
	}
	c.fail(spListNotFound())
	return s, nil
}

func (c *gc) spListItem() (*item, *item, *item) {
	s, l := c.spList()
	if l == nil {
		return nil, nil, nil
	}
	it := c.td().listItems.get(l.id + "/" + c.param(2))
	if it == nil {
		c.fail(spItemNotFound())
		return nil, nil, nil
	}
	return s, l, it
}

// spIdentity is the createdBy/lastModifiedBy identity of the caller, and the name the
// live-artifact statistics attribute a creation to.
func (c *gc) spIdentity() (obj, string) {
	if c.tok.delegated() && c.caller != nil {
		return obj{"user": obj{"email": c.caller.UPN, "id": c.caller.ID, "displayName": c.caller.DisplayName}}, c.caller.UPN
	}
	return obj{"application": obj{"id": c.app.ClientID, "displayName": c.app.DisplayName}, "user": obj{"displayName": "SharePoint App"}}, "app:" + c.app.ClientID
}

func (c *gc) spIfMatch(it *item) bool {
	m := strings.TrimSpace(c.header.Get("If-Match"))
	if m == "" || m == "*" || m == str(it.o, "eTag") {
		return true
	}
	c.fail(gerr(412, "resourceModified", "The resource has changed since the caller last read it; usually an eTag mismatch"))
	return false
}

// spExpand reports which relationships $expand (or SharePoint's expand) names, with their
// nested options ("fields($select=Title)" gives fields -> "$select=Title").
func (c *gc) spExpand() map[string]string {
	raw := c.query.Get("$expand")
	if raw == "" {
		raw = c.query.Get("expand")
	}
	out := map[string]string{}
	depth, start := 0, 0
	flush := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		name, opts := s, ""
		if i := strings.IndexByte(s, '('); i >= 0 && strings.HasSuffix(s, ")") {
			name, opts = s[:i], s[i+1:len(s)-1]
		}
		out[strings.ToLower(strings.TrimSpace(name))] = opts
	}
	for i, r := range raw {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				flush(raw[start:i])
				start = i + 1
			}
		}
	}
	flush(raw[start:])
	return out
}

// spExpandFields returns nil when fields are not expanded, else the $select inside it
// (empty selects every field).
func (c *gc) spExpandFields() []string {
	opts, ok := c.spExpand()["fields"]
	if !ok {
		return nil
	}
	sel := []string{}
	for _, part := range strings.Split(opts, ";") {
		k, v, _ := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if strings.EqualFold(k, "$select") || strings.EqualFold(k, "select") {
			for _, f := range strings.Split(v, ",") {
				if f = strings.TrimSpace(f); f != "" {
					sel = append(sel, f)
				}
			}
		}
	}
	return sel
}

// --- lists --------------------------------------------------------------------------------

func (c *gc) spListOut(l *item) obj {
	out := withoutHiddenKeys(l.o)
	if _, ok := c.spExpand()["columns"]; ok {
		cols, _ := l.o["@columns"].([]any)
		out["columns"] = append([]any{}, cols...)
	}
	return out
}

func (c *gc) createSPList(s *item) {
	body, ge := c.readObj("list", "displayName", "description", "columns", "list", "name", "contentTypes")
	if ge != nil {
		c.fail(ge)
		return
	}
	if _, ok := body["name"]; ok {
		c.fail(gerr(400, "invalidRequest", "Cannot define a 'name' for a list as it is assigned by the server. Instead, provide 'displayName'"))
		return
	}
	name := strings.TrimSpace(str(body, "displayName"))
	if name == "" {
		c.fail(gerr(400, "invalidRequest", "The list displayName must be provided."))
		return
	}
	info, _ := body["list"].(obj)
	tmpl := firstNonEmpty(str(info, "template"), "genericList")
	if !listTemplates[tmpl] {
		c.fail(gerr(400, "invalidRequest", "One of the provided arguments is not acceptable."))
		return
	}
	for k := range info {
		if !containsFold([]string{"template", "hidden", "contentTypesEnabled"}, k) {
			c.fail(gerr(400, "RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.listInfo'. Make sure to only use property names that are defined by the type.", k))
			return
		}
	}
	cols := []any{obj{"id": "fa564e0f-0c70-4ab9-b863-0177e6ddd247", "name": "Title", "displayName": "Title", "columnGroup": "Custom Columns",
		"description": "", "enforceUniqueValues": false, "hidden": false, "indexed": false, "readOnly": false, "required": true,
		"text": obj{"allowMultipleLines": false, "appendChangesToExistingText": false, "linesForEditing": 0, "maxLength": 255}}}
	if raw, ok := body["columns"]; ok {
		list, ok := raw.([]any)
		if !ok {
			c.fail(gerr(400, "invalidRequest", "The columns property must be a collection of columnDefinition."))
			return
		}
		seen := map[string]bool{"title": true}
		for _, x := range list {
			col, _ := x.(obj)
			cn := str(col, "name")
			if cn == "" {
				c.fail(gerr(400, "invalidRequest", "A column definition must have a name."))
				return
			}
			if seen[strings.ToLower(cn)] {
				c.fail(gerr(409, "nameAlreadyExists", "A duplicate field name \"%s\" was found.", cn))
				return
			}
			seen[strings.ToLower(cn)] = true
			def := obj{"id": newGUID(), "displayName": cn, "columnGroup": "Custom Columns", "description": "", "enforceUniqueValues": false,
				"hidden": false, "indexed": false, "readOnly": false, "required": false}
			merge(def, col)
			cols = append(cols, def)
		}
	}
	td := c.td()
	for _, l := range td.lists.where(inParent(s.id)) {
		if strings.EqualFold(str(l.o, "displayName"), name) {
			c.fail(gerr(409, "nameAlreadyExists", "A list, survey, discussion board, or document library with the specified title already exists in this website.  Please choose another title."))
			return
		}
	}
	now := c.e.now()
	who, creator := c.spIdentity()
	urlName := strings.ReplaceAll(name, " ", "")
	web := strings.TrimSuffix(str(s.o, "webUrl"), "/") + "/Lists/" + urlName
	if tmpl == "documentLibrary" {
		web = strings.TrimSuffix(str(s.o, "webUrl"), "/") + "/" + urlName
	}
	hidden, _ := info["hidden"].(bool)
	lid := newGUID()
	l := td.lists.add(&item{id: lid, parent: s.id, created: now, o: obj{
		"@odata.etag": `"` + lid + `,0"`, "eTag": `"` + lid + `,0"`, "displayName": name, "name": urlName, "description": str(body, "description"),
		"createdDateTime": iso(now), "lastModifiedDateTime": iso(now), "webUrl": web, "createdBy": who, "lastModifiedBy": who,
		"parentReference": obj{"siteId": s.id}, "list": obj{"contentTypesEnabled": false, "hidden": hidden, "template": tmpl},
		"@columns": cols, "@next": 1,
	}})
	c.created(l, "list")
	td.creators[l.id] = creator
	c.entity(201, "sites('"+s.id+"')/lists/$entity", c.spListOut(l))
}

func (c *gc) deleteSPList() {
	_, l := c.spList()
	if l == nil {
		return
	}
	if !c.spIfMatch(l) {
		return
	}
	td := c.td()
	for _, it := range td.listItems.where(inParent(l.id)) {
		td.listItems.del(it.id)
		delete(td.creators, it.id)
	}
	td.lists.del(l.id)
	delete(td.creators, l.id)
	c.noContent(204)
}

// --- list items ---------------------------------------------------------------------------

// checkListFields rejects fields the list does not define. Lists the emulator seeded accept any
// field; lists a client created know Title and their columns.
func checkListFields(l *item, fields obj) *graphErr {
	cols, ok := l.o["@columns"].([]any)
	if !ok {
		return nil
	}
	known := map[string]bool{}
	for _, x := range cols {
		col, _ := x.(obj)
		known[str(col, "name")] = true
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if strings.Contains(k, "@") {
			continue
		}
		if !known[k] {
			return gerr(400, "invalidRequest", "Field '%s' is not recognized", k)
		}
	}
	return nil
}

func (c *gc) createSPListItem(s *item, l *item) {
	if info, _ := l.o["list"].(obj); str(info, "template") == "documentLibrary" || str(info, "template") == "webPageLibrary" {
		c.fail(gerr(400, "invalidRequest", "Files and folders should only be added to a DocumentLibrary via the OneDrive API"))
		return
	}
	body, ge := c.readObj("listItem", "fields", "contentType")
	if ge != nil {
		c.fail(ge)
		return
	}
	fields := obj{}
	if raw, ok := body["fields"]; ok {
		f, ok := raw.(obj)
		if !ok {
			c.fail(gerr(400, "invalidRequest", "The fields property must be an object."))
			return
		}
		fields = f
	}
	if ge := checkListFields(l, fields); ge != nil {
		c.fail(ge)
		return
	}
	td := c.td()
	n, _ := l.o["@next"].(int)
	if n == 0 {
		n = 1 + len(td.listItems.where(inParent(l.id)))
	}
	l.o["@next"] = n + 1
	now := c.e.now()
	who, creator := c.spIdentity()
	guid := newGUID()
	stored := obj{}
	for k, v := range fields {
		if !strings.Contains(k, "@") {
			stored[k] = v
		}
	}
	it := td.listItems.add(&item{id: l.id + "/" + strconv.Itoa(n), parent: l.id, created: now, o: obj{
		"@odata.etag": `"` + guid + `,1"`, "eTag": `"` + guid + `,1"`, "createdDateTime": iso(now), "lastModifiedDateTime": iso(now),
		"webUrl": str(l.o, "webUrl") + "/DispForm.aspx?ID=" + strconv.Itoa(n), "createdBy": who, "lastModifiedBy": who,
		"parentReference": obj{"id": l.id, "siteId": s.id}, "contentType": obj{"id": "0x0100" + strings.ToUpper(strings.ReplaceAll(guid, "-", "")), "name": "Item"},
		"@fields": stored, "@version": 1,
	}})
	it.o["id"] = strconv.Itoa(n)
	c.created(it, "listItem")
	td.creators[it.id] = creator
	l.o["lastModifiedDateTime"] = iso(now)
	c.entity(201, "sites('"+s.id+"')/lists('"+l.id+"')/items/$entity", c.listItemOut(s, l, it, []string{}))
}

// listItemOut is a listItem; fields are included when sel is non-nil (only the selected
// ones when sel is not empty).
func (c *gc) listItemOut(s, l, it *item, sel []string) obj {
	out := withoutHiddenKeys(it.o)
	if sel == nil {
		return out
	}
	out["fields@odata.context"] = c.context("sites('" + s.id + "')/lists('" + l.id + "')/items('" + str(it.o, "id") + "')/fields/$entity")
	out["fields"] = listItemFields(it, sel)
	return out
}

// listItemFields is the fieldValueSet: the client's values and SharePoint's system fields.
func listItemFields(it *item, sel []string) obj {
	user, _ := it.o["@fields"].(obj)
	ver, _ := it.o["@version"].(int)
	title := user["Title"]
	f := obj{"@odata.etag": it.o["eTag"], "id": it.o["id"], "ContentType": "Item", "Modified": it.o["lastModifiedDateTime"],
		"Created": it.o["createdDateTime"], "AuthorLookupId": "6", "EditorLookupId": "6", "_UIVersionString": strconv.Itoa(max(ver, 1)) + ".0",
		"Attachments": false, "Edit": "", "ItemChildCount": "0", "FolderChildCount": "0", "_ComplianceFlags": "", "_ComplianceTag": "",
		"_ComplianceTagWrittenTime": "", "_ComplianceTagUserId": ""}
	if title != nil {
		f["LinkTitleNoMenu"], f["LinkTitle"] = title, title
	}
	for k, v := range user {
		f[k] = v
	}
	if len(sel) == 0 {
		return f
	}
	out := obj{"@odata.etag": f["@odata.etag"]}
	for _, name := range sel {
		for k, v := range f {
			if strings.EqualFold(k, name) {
				out[k] = v
			}
		}
	}
	return out
}

func (c *gc) patchSPListItem(s, l, it *item, fieldsOnly bool) {
	if !c.spIfMatch(it) {
		return
	}
	var fields obj
	if fieldsOnly {
		if ge := c.decode(&fields); ge != nil {
			c.fail(ge)
			return
		}
	} else {
		body, ge := c.readObj("listItem", "fields", "contentType")
		if ge != nil {
			c.fail(ge)
			return
		}
		if raw, ok := body["fields"]; ok {
			if fields, ok = raw.(obj); !ok {
				c.fail(gerr(400, "invalidRequest", "The fields property must be an object."))
				return
			}
		}
	}
	if ge := checkListFields(l, fields); ge != nil {
		c.fail(ge)
		return
	}
	stored, _ := it.o["@fields"].(obj)
	if stored == nil {
		stored = obj{}
		it.o["@fields"] = stored
	}
	for k, v := range fields {
		if !strings.Contains(k, "@") {
			stored[k] = v
		}
	}
	who, _ := c.spIdentity()
	ver, _ := it.o["@version"].(int)
	it.o["@version"] = ver + 1
	it.o["eTag"] = bumpVersionTag(str(it.o, "eTag"))
	it.o["@odata.etag"] = it.o["eTag"]
	it.o["lastModifiedDateTime"] = iso(c.e.now())
	it.o["lastModifiedBy"] = who
	if fieldsOnly {
		c.entity(200, "sites('"+s.id+"')/lists('"+l.id+"')/items('"+str(it.o, "id")+"')/fields/$entity", listItemFields(it, nil))
		return
	}
	c.entity(200, "sites('"+s.id+"')/lists('"+l.id+"')/items/$entity", c.listItemOut(s, l, it, []string{}))
}

// --- document libraries as drives ----------------------------------------------------------

// siteDrives lists a site's document libraries as drives; a site without one still has its
// default "Documents" library.
func (c *gc) siteDrives(s *item) []obj {
	var out []obj
	for _, l := range c.td().lists.where(inParent(s.id)) {
		if info, _ := l.o["list"].(obj); str(info, "template") == "documentLibrary" {
			out = append(out, libraryDrive(s, l.id, str(l.o, "displayName"), str(l.o, "description"), str(l.o, "webUrl"), str(l.o, "createdDateTime"), str(l.o, "lastModifiedDateTime")))
		}
	}
	if len(out) == 0 {
		web := strings.TrimSuffix(str(s.o, "webUrl"), "/") + "/Shared%20Documents"
		out = append(out, libraryDrive(s, s.id+"|Documents", "Documents", "", web, str(s.o, "createdDateTime"), str(s.o, "lastModifiedDateTime")))
	}
	return out
}

func libraryDrive(s *item, key, name, desc, web, created, modified string) obj {
	sum := sha256.Sum256([]byte("library|" + key))
	if name == "Documents" {
		web = strings.TrimSuffix(str(s.o, "webUrl"), "/") + "/Shared%20Documents"
	}
	return obj{"id": "b!" + b64url(sum[:]) + b64url(sum[:12]), "driveType": "documentLibrary", "name": name, "description": desc,
		"createdDateTime": created, "lastModifiedDateTime": modified, "webUrl": web,
		"createdBy": obj{"user": obj{"displayName": "System Account"}},
		"owner":     obj{"user": obj{"displayName": "System Account"}},
		"quota":     obj{"deleted": 0, "remaining": int64(27487790694400), "state": "normal", "total": int64(27487790694400), "used": 0}}
}

// siteDriveByID finds a document library drive by id in the caller's tenant.
func (c *gc) siteDriveByID(id string) obj {
	if !strings.HasPrefix(id, "b!") {
		return nil
	}
	for _, s := range c.td().sites.items {
		for _, d := range c.siteDrives(s) {
			if str(d, "id") == id {
				return d
			}
		}
	}
	return nil
}
