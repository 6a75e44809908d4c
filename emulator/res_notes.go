package emulator

import (
	"bytes"
	"errors"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"time"
)

// OneNote (protocol.md §3 rows 25-26): notebooks, sections and pages of the addressed user.
// Pages are created from HTML (or a multipart request with a "Presentation" part) and kept
// in OneNote's own output HTML. OneNote's errors carry numeric codes (GD
// concepts/onenote-error-codes.md). There is no DELETE for notebooks or sections.

// oneNoteAppOnlyCutoff is when the OneNote API stopped accepting app-only tokens ("The
// Microsoft Graph OneNote API will no longer support app-only authentication effective
// March 31, 2025", GD integrate-with-onenote; the 401 40001 text is from
// microsoftgraph/msgraph-sdk-dotnet issue #2939).
var oneNoteAppOnlyCutoff = time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC)

const (
	notesPageSize    = 20  // pages: "the default value is 20"
	notesMaxTop      = 100 // pages: "the maximum value is 100" (error 20129)
	notesListSize    = 100
	notebookNameMax  = 128
	notesEntityMax   = 50
	notebookBadChars = `?*\/:<>|'"`
	sectionBadChars  = `?*\/:<>|&#"%~`
)

func (e *Emulator) registerNotes(rt *router) {
	on := func(method, suffix string, h handler) {
		rt.perUser(method, "/onenote"+suffix, wlNotes, func(c *gc) {
			if c.notesAppOnly() {
				return
			}
			h(c)
		})
	}
	on("GET", "/notebooks", func(c *gc) {
		c.notesList(c.ud().notebooks.where(nil), (*gc).notebookOut, "/onenote/notebooks", notesListSize, 1000)
	})
	on("POST", "/notebooks", (*gc).createNotebook)
	on("GET", "/notebooks/{id}", func(c *gc) {
		if nb := c.notesGet(c.ud().notebooks, c.param(0)); nb != nil {
			c.entity(200, c.userCtx()+"/onenote/notebooks/$entity", c.notebookOut(nb))
		}
	})
	on("GET", "/notebooks/{id}/sections", func(c *gc) {
		if nb := c.notesGet(c.ud().notebooks, c.param(0)); nb != nil {
			c.notesList(c.ud().sections.where(inParent(nb.id)), (*gc).sectionOut, "/onenote/notebooks('"+nb.id+"')/sections", notesListSize, 1000)
		}
	})
	on("POST", "/notebooks/{id}/sections", func(c *gc) {
		if nb := c.notesGet(c.ud().notebooks, c.param(0)); nb != nil {
			c.createNotesSection(nb)
		}
	})
	on("GET", "/sections", func(c *gc) {
		c.notesList(c.ud().sections.where(nil), (*gc).sectionOut, "/onenote/sections", notesListSize, 1000)
	})
	on("GET", "/sections/{id}", func(c *gc) {
		if sec := c.notesGet(c.ud().sections, c.param(0)); sec != nil {
			c.entity(200, c.userCtx()+"/onenote/sections/$entity", c.sectionOut(sec))
		}
	})
	on("GET", "/sections/{id}/pages", func(c *gc) {
		if sec := c.notesGet(c.ud().sections, c.param(0)); sec != nil {
			c.listNotesPages(c.ud().pages.where(inParent(sec.id)), "/onenote/sections('"+sec.id+"')/pages")
		}
	})
	on("POST", "/sections/{id}/pages", func(c *gc) {
		if sec := c.notesGet(c.ud().sections, c.param(0)); sec != nil {
			c.createNotesPage(sec)
		}
	})
	on("GET", "/pages", func(c *gc) { c.listNotesPages(c.ud().pages.where(nil), "/onenote/pages") })
	on("POST", "/pages", func(c *gc) {
		if sec := c.defaultNotesSection(); sec != nil {
			c.createNotesPage(sec)
		}
	})
	on("GET", "/pages/{id}", func(c *gc) {
		if pg := c.notesGet(c.ud().pages, c.param(0)); pg != nil {
			c.entity(200, c.userCtx()+"/onenote/pages/$entity", c.pageOut(pg))
		}
	})
	on("GET", "/pages/{id}/content", func(c *gc) {
		if pg := c.notesGet(c.ud().pages, c.param(0)); pg != nil {
			c.raw(200, "text/html", pg.blob)
		}
	})
	on("DELETE", "/pages/{id}", func(c *gc) {
		d := c.ud()
		pg := c.notesGet(d.pages, c.param(0))
		if pg == nil {
			return
		}
		d.pages.del(pg.id)
		if sec := d.sections.get(pg.parent); sec != nil {
			sec.o["lastModifiedDateTime"] = iso(c.e.now())
		}
		c.noContent(204)
	})
}

// notesAppOnly refuses app-only tokens after OneNote dropped them.
func (c *gc) notesAppOnly() bool {
	if c.tok.delegated() || c.e.now().Before(oneNoteAppOnlyCutoff) {
		return false
	}
	c.fail(gerr(401, "40001", "The request does not contain a valid authentication token. Detailed error information: To improve the security of our customers' data, this API will no longer support app-only tokens starting from March 31st 2025. Customers may still call these APIs using delegated (app+user) tokens. Please refer to this link: https://learn.microsoft.com/en-us/graph/auth-v2-user"))
	return true
}

func notesNotFound() *graphErr {
	return gerr(404, "20102", "The specified resource ID does not exist.")
}

func (c *gc) notesGet(col *coll, id string) *item {
	it := col.get(id)
	if it == nil {
		c.fail(notesNotFound())
	}
	return it
}

// notesSelf is the absolute URL of a OneNote entity, as its "self" property.
func (c *gc) notesSelf(kind, id string) string {
	return c.base + "/users/" + c.user.ID + "/onenote/" + kind + "/" + id
}

func withoutHiddenKeys(o obj) obj {
	out := obj{}
	for k, v := range o {
		if !strings.HasPrefix(k, "@") || strings.HasPrefix(k, "@odata.") {
			out[k] = v
		}
	}
	return out
}

func (c *gc) notebookOut(nb *item) obj {
	out := withoutHiddenKeys(nb.o)
	out["self"] = c.notesSelf("notebooks", nb.id)
	out["sectionsUrl"] = c.notesSelf("notebooks", nb.id) + "/sections"
	out["sectionGroupsUrl"] = c.notesSelf("notebooks", nb.id) + "/sectionGroups"
	return out
}

func (c *gc) sectionOut(sec *item) obj {
	out := withoutHiddenKeys(sec.o)
	out["self"] = c.notesSelf("sections", sec.id)
	out["pagesUrl"] = c.notesSelf("sections", sec.id) + "/pages"
	if nb := c.ud().notebooks.get(sec.parent); nb != nil {
		out["parentNotebook@odata.context"] = c.context(c.userCtx() + "/onenote/sections('" + sec.id + "')/parentNotebook/$entity")
		out["parentNotebook"] = obj{"id": nb.id, "displayName": nb.o["displayName"], "self": c.notesSelf("notebooks", nb.id)}
	}
	return out
}

func (c *gc) pageOut(pg *item) obj {
	out := withoutHiddenKeys(pg.o)
	out["self"] = c.notesSelf("pages", pg.id)
	out["contentUrl"] = c.notesSelf("pages", pg.id) + "/content"
	if sec := c.ud().sections.get(pg.parent); sec != nil {
		out["parentSection@odata.context"] = c.context(c.userCtx() + "/onenote/pages('" + pg.id + "')/parentSection/$entity")
		out["parentSection"] = obj{"id": sec.id, "displayName": sec.o["displayName"], "self": c.notesSelf("sections", sec.id)}
	}
	return out
}

func (c *gc) notesList(items []*item, out func(*gc, *item) obj, ctx string, size, maxTop int) {
	objs := make([]obj, 0, len(items))
	for _, it := range items {
		objs = append(objs, out(c, it))
	}
	c.list(objs, listOpts{context: c.userCtx() + ctx, pageSize: size, maxTop: maxTop})
}

// listNotesPages lists pages newest first, 20 a page, at most 100 with $top.
func (c *gc) listNotesPages(pages []*item, ctx string) {
	if t := c.query.Get("$top"); t != "" {
		if n := notesAtoi(t); n > notesMaxTop {
			c.fail(gerr(400, "20129", "The top query value is too high. The maximum value for pages is %d.", notesMaxTop))
			return
		}
	}
	objs := make([]obj, 0, len(pages))
	for _, pg := range pages {
		objs = append(objs, c.pageOut(pg))
	}
	if c.query.Get("$orderby") == "" {
		objs = newest(objs, "lastModifiedDateTime")
	}
	c.list(objs, listOpts{context: c.userCtx() + ctx, pageSize: notesPageSize, maxTop: notesMaxTop})
}

func notesAtoi(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int(r-'0')
		if n > 1<<30 {
			return n
		}
	}
	return n
}

// checkNotesName applies OneNote's naming rules (errors 20152, 20115/20153, 20154, 20155).
func checkNotesName(name string, notebook bool) *graphErr {
	bad, max, code := sectionBadChars, notesEntityMax, "20153"
	if notebook {
		bad, max, code = notebookBadChars, notebookNameMax, "20115"
	}
	switch {
	case strings.TrimSpace(name) == "":
		return gerr(400, "20152", "There is no name value specified for the entity. The name must be defined, and it cannot contain whitespaces only.")
	case strings.HasPrefix(name, " "):
		return gerr(400, "20154", "The entity name cannot start with a space.")
	case strings.ContainsAny(name, bad):
		return gerr(400, code, "The name contains invalid characters. The name cannot contain any of the following characters: %s", strings.Join(strings.Split(bad, ""), " "))
	case len([]rune(name)) > max:
		return gerr(400, "20155", "The entity name is too long. The maximum length is %d characters.", max)
	}
	return nil
}

func duplicateNotesName() *graphErr {
	return gerr(409, "20117", "An item with this name already exists in this location.")
}

func (c *gc) createNotebook() {
	body, ge := c.readObj("notebook", "displayName")
	if ge != nil {
		c.fail(ge)
		return
	}
	name := str(body, "displayName")
	if ge := checkNotesName(name, true); ge != nil {
		c.fail(ge)
		return
	}
	d := c.ud()
	for _, nb := range d.notebooks.items {
		if strings.EqualFold(str(nb.o, "displayName"), name) {
			c.fail(duplicateNotesName())
			return
		}
	}
	now := c.e.now()
	u := c.user
	host := strings.SplitN(u.tenant.Domain, ".", 2)[0]
	who := obj{"user": obj{"id": u.ID, "displayName": u.DisplayName}}
	nb := d.notebooks.add(&item{id: oneNoteID(1 + len(d.notebooks.items)), created: now, o: obj{
		"displayName": name, "isDefault": false, "userRole": "Owner", "isShared": false,
		"createdDateTime": iso(now), "lastModifiedDateTime": iso(now), "createdBy": who, "lastModifiedBy": who,
		"links": obj{"oneNoteClientUrl": obj{"href": "onenote:https://" + host + "-my.sharepoint.com/Documents/Notebooks/" + name},
			"oneNoteWebUrl": obj{"href": "https://" + host + "-my.sharepoint.com/Documents/Notebooks/" + name}},
	}})
	c.created(nb, "notebook")
	c.entity(201, c.userCtx()+"/onenote/notebooks/$entity", c.notebookOut(nb))
}

func (c *gc) createNotesSection(nb *item) {
	body, ge := c.readObj("onenoteSection", "displayName")
	if ge != nil {
		c.fail(ge)
		return
	}
	name := str(body, "displayName")
	if ge := checkNotesName(name, false); ge != nil {
		c.fail(ge)
		return
	}
	d := c.ud()
	for _, s := range d.sections.where(inParent(nb.id)) {
		if strings.EqualFold(str(s.o, "displayName"), name) {
			c.fail(duplicateNotesName())
			return
		}
	}
	sec := c.newNotesSection(nb, name)
	c.entity(201, c.userCtx()+"/onenote/sections/$entity", c.sectionOut(sec))
}

func (c *gc) newNotesSection(nb *item, name string) *item {
	d := c.ud()
	now := c.e.now()
	sec := c.e.addSection(d, c.user, nb, name, now, "onenoteSection")
	sec.o["isDefault"] = false
	nb.o["lastModifiedDateTime"] = iso(now)
	return sec
}

// defaultNotesSection is where POST /onenote/pages creates pages: the section named by the
// sectionName query option (created when missing) or the default section of the default
// notebook.
func (c *gc) defaultNotesSection() *item {
	d := c.ud()
	var nb *item
	for _, n := range d.notebooks.items {
		if b, _ := n.o["isDefault"].(bool); b {
			nb = n
			break
		}
	}
	if nb == nil && len(d.notebooks.items) > 0 {
		nb = d.notebooks.items[0]
	}
	if nb == nil {
		c.fail(gerr(404, "20102", "The user has no default notebook."))
		return nil
	}
	if name := c.query.Get("sectionName"); name != "" {
		for _, s := range d.sections.where(inParent(nb.id)) {
			if strings.EqualFold(str(s.o, "displayName"), name) {
				return s
			}
		}
		if ge := checkNotesName(name, false); ge != nil {
			c.fail(ge)
			return nil
		}
		return c.newNotesSection(nb, name)
	}
	secs := d.sections.where(inParent(nb.id))
	for _, s := range secs {
		if b, _ := s.o["isDefault"].(bool); b {
			return s
		}
	}
	if len(secs) > 0 {
		return secs[0]
	}
	return c.newNotesSection(nb, "Quick Notes")
}

// notesPresentation extracts the page HTML from a text/html, application/xhtml+xml or
// multipart/form-data request.
func (c *gc) notesPresentation() ([]byte, *graphErr) {
	ct := c.header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		return nil, gerr(400, "20132", "The request content is invalid. Specify the Content-Type header (text/html or multipart/form-data) and a body.")
	}
	isHTML := func(t string) bool { return t == "text/html" || t == "application/xhtml+xml" }
	switch {
	case isHTML(mt):
		if len(bytes.TrimSpace(c.body)) == 0 {
			return nil, gerr(400, "20132", "The request content is invalid: the body is empty.")
		}
		return c.body, nil
	case mt == "multipart/form-data":
		if params["boundary"] == "" {
			return nil, gerr(400, "20011", "The multipart request is malformed: no boundary was specified.")
		}
		mr := multipart.NewReader(bytes.NewReader(c.body), params["boundary"])
		var pres []byte
		seen := map[string]bool{}
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, gerr(400, "20011", "The multipart request is malformed.")
			}
			name := p.FormName()
			if name == "" {
				return nil, gerr(400, "20010", "The Content-Disposition header was not supplied for a part.")
			}
			if seen[name] {
				if name == "Presentation" {
					return nil, gerr(400, "20002", "The request contains two or more \"Presentation\" parts. Exactly one is required.")
				}
				return nil, gerr(400, "20009", "The request contains parts with duplicate names. Part names must be unique.")
			}
			seen[name] = true
			b, err := io.ReadAll(p)
			if err != nil {
				return nil, gerr(400, "20011", "The multipart request is malformed.")
			}
			if name == "Presentation" {
				pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
				if !isHTML(pt) {
					return nil, gerr(400, "20003", "The content type of the \"Presentation\" part can be only text/html or application/xhtml+xml.")
				}
				pres = b
			}
		}
		if pres == nil {
			return nil, gerr(400, "20001", "The request is missing the required \"Presentation\" part. Exactly one is required.")
		}
		return pres, nil
	}
	return nil, gerr(400, "20131", "The Content-Type '%s' is invalid for creating a page. Use 'text/html', 'application/xhtml+xml' or 'multipart/form-data'.", mt)
}

// htmlTagContent returns the text between <tag ...> and </tag> (case-insensitive).
func htmlTagContent(doc, tag string) (string, bool) {
	low := strings.ToLower(doc)
	i := strings.Index(low, "<"+tag)
	for i >= 0 {
		after := low[i+1+len(tag):]
		if after != "" && (after[0] == '>' || after[0] == ' ' || after[0] == '\t' || after[0] == '\n' || after[0] == '\r' || after[0] == '/') {
			break
		}
		next := strings.Index(after, "<"+tag)
		if next < 0 {
			return "", false
		}
		i += 1 + len(tag) + next
	}
	if i < 0 {
		return "", false
	}
	gt := strings.IndexByte(low[i:], '>')
	if gt < 0 {
		return "", false
	}
	start := i + gt + 1
	end := strings.Index(low[start:], "</"+tag)
	if end < 0 {
		return doc[start:], true
	}
	return doc[start : start+end], true
}

// oneNoteHTML renders a page as OneNote's output HTML: the title, the creation time and
// the body wrapped in the default absolutely positioned outline.
func oneNoteHTML(title, body string, created time.Time) string {
	return `<html lang="en-US">` + "\n\t<head>\n\t\t<title>" + html.EscapeString(title) + "</title>\n" +
		"\t\t" + `<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />` + "\n" +
		"\t\t" + `<meta name="created" content="` + created.UTC().Format("2006-01-02T15:04:05.0000000") + `" />` + "\n\t</head>\n" +
		"\t" + `<body data-absolute-enabled="true" style="font-family:Calibri;font-size:11pt">` + "\n" +
		"\t\t" + `<div id="div:{` + newGUID() + `}{1}" data-id="_default" style="position:absolute;left:48px;top:120px;width:624px">` +
		strings.TrimSpace(body) + "</div>\n\t</body>\n</html>\n"
}

func (c *gc) createNotesPage(sec *item) {
	doc, ge := c.notesPresentation()
	if ge != nil {
		c.fail(ge)
		return
	}
	src := string(doc)
	title, _ := htmlTagContent(src, "title")
	title = strings.TrimSpace(html.UnescapeString(title))
	body, ok := htmlTagContent(src, "body")
	if !ok {
		body = src
		if h, ok := htmlTagContent(src, "head"); ok {
			body = strings.Replace(body, h, "", 1)
		}
	}
	now := c.e.now()
	d := c.ud()
	pg := c.e.addPage(d, c.user, sec, title, oneNoteHTML(title, body, now), now, "onenotePage")
	pg.o["createdByAppId"] = c.app.ClientID
	pg.o["lastModifiedDateTime"] = iso(now)
	pg.o["links"] = obj{"oneNoteClientUrl": obj{"href": "onenote:" + c.notesSelf("pages", pg.id)}, "oneNoteWebUrl": obj{"href": c.notesSelf("pages", pg.id)}}
	sec.o["lastModifiedDateTime"] = iso(now)
	c.entity(201, c.userCtx()+"/onenote/pages/$entity", c.pageOut(pg))
}
