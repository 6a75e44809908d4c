package emulator

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
)

func (e *Emulator) registerPeople(rt *router) {
	rt.perUser("GET", "/people", wlPeople, (*gc).listPeople)
	rt.perUser("GET", "/presence", wlPresence, func(c *gc) {
		p := obj{}
		for k, v := range c.ud().presence {
			p[k] = v
		}
		p["id"] = c.user.ID
		c.entity(200, c.userCtx()+"/presence/$entity", p)
	})
	for _, kind := range []string{"trending", "used", "shared"} {
		rt.perUser("GET", "/insights/"+kind, wlInsights, func(c *gc) { c.listInsights(kind) })
	}
	rt.perUser("GET", "/planner/tasks", wlPlanner, func(c *gc) {
		c.list(c.ud().plannerTasks.objs(nil), listOpts{context: c.userCtx() + "/planner/tasks"})
	})
}

// --- people ------------------------------------------------------------------------------

// mailInteractions counts the messages of a mailbox sent by or to each address (lower case).
func mailInteractions(d *userData) map[string]int {
	n := map[string]int{}
	addr := func(v any) string {
		o, _ := v.(obj)
		ea, _ := o["emailAddress"].(obj)
		return strings.ToLower(str(ea, "address"))
	}
	for _, m := range d.messages.items {
		seen := map[string]bool{addr(m.o["from"]): true}
		for _, k := range []string{"toRecipients", "ccRecipients", "bccRecipients"} {
			for _, r := range listOr(m.o[k]) {
				seen[addr(r)] = true
			}
		}
		for a := range seen {
			if a != "" {
				n[a]++
			}
		}
	}
	return n
}

// personID derives a stable GUID for a person who is not a directory user.
func personID(seed string) string {
	h := sha1.Sum([]byte("person:" + seed))
	s := hex.EncodeToString(h[:16])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// relevantPeople builds the Person objects relevant to a user: the other users of the tenant and
// the user's personal contacts, most relevant (most mail exchanged) first.
func (c *gc) relevantPeople() []obj {
	d := c.ud()
	mail := mailInteractions(d)
	var out []obj
	known := map[string]bool{strings.ToLower(c.user.UPN): true}
	for _, id := range c.tenant.userOrder {
		u := c.tenant.users[id]
		if u == nil || u == c.user || u.Disabled {
			continue
		}
		upn := strings.ToLower(u.UPN)
		known[upn] = true
		score := 8.0 + 5*float64(mail[upn])
		out = append(out, obj{"id": u.ID, "displayName": u.DisplayName, "givenName": personStr(u.GivenName), "surname": personStr(u.Surname),
			"birthday": "", "personNotes": "", "isFavorite": false, "jobTitle": personStr(u.JobTitle), "companyName": nil,
			"yomiCompany": "", "department": nil, "officeLocation": nil, "profession": "", "userPrincipalName": u.UPN,
			"imAddress": "sip:" + upn, "phones": []any{}, "postalAddresses": []any{}, "websites": []any{},
			"scoredEmailAddresses": []any{obj{"address": u.UPN, "relevanceScore": score, "selectionLikelihood": "notSpecified"}},
			"personType":           obj{"class": "Person", "subclass": "OrganizationUser"}})
	}
	for _, ct := range d.contacts.items {
		var scored []any
		best := 0.0
		for _, a := range listOr(ct.o["emailAddresses"]) {
			ea, _ := a.(obj)
			addr := strings.ToLower(strings.TrimSpace(str(ea, "address")))
			if addr == "" || known[addr] {
				continue
			}
			known[addr] = true
			score := 2.0 + 5*float64(mail[addr])
			if score > best {
				best = score
			}
			scored = append(scored, obj{"address": str(ea, "address"), "relevanceScore": score, "selectionLikelihood": "notSpecified"})
		}
		if len(scored) == 0 {
			continue
		}
		var phones []any
		for _, p := range listOr(ct.o["businessPhones"]) {
			phones = append(phones, obj{"type": "business", "number": p})
		}
		if m := str(ct.o, "mobilePhone"); m != "" {
			phones = append(phones, obj{"type": "mobile", "number": m})
		}
		if phones == nil {
			phones = []any{}
		}
		out = append(out, obj{"id": personID(ct.id), "displayName": str(ct.o, "displayName"), "givenName": ct.o["givenName"],
			"surname": ct.o["surname"], "birthday": "", "personNotes": "", "isFavorite": false, "jobTitle": ct.o["jobTitle"],
			"companyName": ct.o["companyName"], "yomiCompany": "", "department": ct.o["department"], "officeLocation": ct.o["officeLocation"],
			"profession": "", "userPrincipalName": "", "imAddress": nil, "phones": phones, "postalAddresses": []any{}, "websites": []any{},
			"scoredEmailAddresses": scored, "personType": obj{"class": "Person", "subclass": "PersonalContact"}})
	}
	topScore := func(p obj) float64 {
		l := listOr(p["scoredEmailAddresses"])
		if len(l) == 0 {
			return 0
		}
		s, _ := l[0].(obj)["relevanceScore"].(float64)
		return s
	}
	sort.SliceStable(out, func(i, j int) bool {
		si, sj := topScore(out[i]), topScore(out[j])
		if si != sj {
			return si > sj
		}
		return strings.ToLower(str(out[i], "displayName")) < strings.ToLower(str(out[j], "displayName"))
	})
	return out
}

func personStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// personMatches is the People API's $search: a name or an email address containing the
// text (the service matches word prefixes fuzzily; containment is the emulator's rule).
func personMatches(p obj, s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return true
	}
	for _, k := range []string{"displayName", "givenName", "surname", "userPrincipalName"} {
		if strings.Contains(strings.ToLower(str(p, k)), s) {
			return true
		}
	}
	for _, a := range listOr(p["scoredEmailAddresses"]) {
		if strings.Contains(strings.ToLower(str(a.(obj), "address")), s) {
			return true
		}
	}
	return false
}

// listPeople writes /people. $search is applied here (names and addresses) rather than by
// c.list, whose generic search reads names only; the nextLink keeps the $search.
func (c *gc) listPeople() {
	all := c.relevantPeople()
	search, hasSearch := c.query["$search"]
	if hasSearch {
		var kept []obj
		s := strings.Trim(strings.TrimSpace(c.query.Get("$search")), `"`)
		for _, p := range all {
			if personMatches(p, s) {
				kept = append(kept, p)
			}
		}
		all = kept
		c.query.Del("$search")
	}
	c.list(all, listOpts{context: c.userCtx() + "/people", pageSize: 10, maxTop: 1000})
	if !hasSearch {
		return
	}
	c.query["$search"] = search
	if c.status != 200 {
		return
	}
	var resp map[string]any
	if json.Unmarshal(c.outBody, &resp) != nil {
		return
	}
	next, ok := resp["@odata.nextLink"].(string)
	if !ok {
		return
	}
	u, err := url.Parse(next)
	if err != nil {
		return
	}
	q := u.Query()
	q["$search"] = search
	u.RawQuery = q.Encode()
	resp["@odata.nextLink"] = u.String()
	c.writeJSON(200, resp)
}

// --- insights ----------------------------------------------------------------------------

// insightType maps a file name to resourceVisualization.type.
func insightType(name string) string {
	switch strings.ToLower(strings.TrimPrefix(path.Ext(name), ".")) {
	case "doc", "docx", "docm", "dotx", "rtf":
		return "Word"
	case "xls", "xlsx", "xlsm", "xlsb":
		return "Excel"
	case "ppt", "pptx", "pptm", "ppsx":
		return "PowerPoint"
	case "pdf":
		return "Pdf"
	case "one", "onetoc2":
		return "OneNote"
	case "vsd", "vsdx":
		return "Visio"
	case "txt", "md", "log":
		return "Text"
	case "csv":
		return "Csv"
	case "xml":
		return "Xml"
	case "png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "svg", "heic":
		return "Image"
	case "mp4", "mov", "avi", "wmv", "mkv":
		return "Video"
	case "mp3", "wav", "m4a", "wma":
		return "Audio"
	case "zip", "7z", "rar", "gz", "tar":
		return "Archive"
	case "htm", "html", "aspx":
		return "Web"
	}
	return "Other"
}

// listInsights derives trending, used and shared insights from the user's OneDrive files.
func (c *gc) listInsights(kind string) {
	d := c.ud()
	driveID := str(d.drive, "id")
	site, _ := d.drive["@webUrl"].(string)
	container := str(d.drive, "webUrl")
	now := c.e.now()
	type entry struct {
		at time.Time
		o  obj
	}
	var entries []entry
	for _, it := range d.driveItems.items {
		file, ok := it.o["file"].(obj)
		if !ok {
			continue
		}
		name := str(it.o, "name")
		modified, err := time.Parse(time.RFC3339, str(it.o, "lastModifiedDateTime"))
		if err != nil {
			modified = it.created
		}
		ref := obj{"webUrl": str(it.o, "webUrl"), "id": "drives/" + driveID + "/items/" + it.id, "type": "microsoft.graph.driveItem"}
		vis := obj{"title": strings.TrimSuffix(name, path.Ext(name)), "type": insightType(name), "mediaType": str(file, "mimeType"),
			"previewImageUrl": site + "/_api/v2.0/drives/" + driveID + "/items/" + it.id + "/thumbnails/0/small/thumbnailContent",
			"previewText":     "", "containerWebUrl": container + "/Forms/All.aspx", "containerDisplayName": c.user.DisplayName,
			"containerType": "OneDriveBusiness"}
		o := obj{"id": b64url([]byte(kind + ":" + it.id)), "resourceVisualization": vis, "resourceReference": ref}
		switch kind {
		case "trending":
			days := now.Sub(modified).Hours() / 24
			if days < 0 {
				days = 0
			}
			o["weight"] = float64(int(1000/(1+days))) / 100
		case "used":
			o["lastUsed"] = obj{"lastAccessedDateTime": iso(modified), "lastModifiedDateTime": iso(modified)}
		case "shared":
			// Files with a sharing facet, and the seeded files of subfolders, which stand for
			// what the user shared with colleagues before the emulator started.
			root := d.driveItems.get(it.parent)
			seededShare := it.artifact == "" && root != nil && root.parent != ""
			if it.o["shared"] == nil && !seededShare {
				continue
			}
			o["lastShared"] = obj{"sharedDateTime": iso(modified), "sharingSubject": name, "sharingType": "Link",
				"sharedBy":         obj{"displayName": c.user.DisplayName, "address": c.user.UPN, "id": c.user.ID},
				"sharingReference": obj{"webUrl": str(it.o, "webUrl"), "id": "drives/" + driveID + "/items/" + it.id, "type": "microsoft.graph.driveItem"}}
		}
		entries = append(entries, entry{modified, o})
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].at.After(entries[j].at) })
	out := make([]obj, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.o)
	}
	c.list(out, listOpts{context: c.userCtx() + "/insights/" + kind})
}
