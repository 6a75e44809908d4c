package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/graphdata"
)

// OneDrive for Business (protocol.md §3 rows 12-14): the signed-in user's drive, items by id
// and by path, folders with conflict behaviours, simple uploads up to 4 MB, resumable upload
// sessions and pre-authenticated download URLs served from the emulator's own host.

const (
	simpleUploadMax   = 4 << 20  // driveitem-put-content: "only supports files up to 4MB"
	uploadFragmentMax = 60 << 20 // createUploadSession: "less than 60 MiB" per request
	downloadURLLife   = time.Hour
	uploadSessionLife = 15 * time.Minute // extended by every fragment
	drivePageSize     = 200
)

// drv is the drive a request addresses and its owner.
type drv struct {
	d *userData
	u *User
}

func (v *drv) id() string { return str(v.d.drive, "id") }

type driveHandler func(c *gc, v *drv, p []string)

func (e *Emulator) registerDrive(rt *router) {
	// per adds the /me/drive and /users/{id}/drive forms; both are in the official data.
	per := func(method, suffix string, h driveHandler) {
		rt.perUser(method, "/drive"+suffix, wlDrive, func(c *gc) { h(c, &drv{d: c.ud(), u: c.user}, c.params) })
	}
	// global adds the /drives/{drive-id} form. Where the official data lacks it, the
	// permissions of the /users/{id}/drive form apply (protocol.md §3: "accept both").
	global := func(method, suffix string, h driveHandler) {
		tmpl := "/drives/{id}" + suffix
		r := &route{method: method, template: tmpl, workload: wlDrive, h: func(c *gc) {
			if v := c.driveByID(c.param(0)); v != nil {
				h(c, v, c.params[1:])
			}
		}}
		if !e.perms.Known(method, tmpl) {
			equiv := "/users/{id}/drive" + suffix
			r.supplement = &supplement{
				Delegated:   e.perms.AcceptedBy(method, equiv, graphdata.DelegatedWork),
				Application: e.perms.AcceptedBy(method, equiv, graphdata.Application),
				Source:      "protocol.md §3: the /drives/{id} form of " + equiv,
			}
		}
		rt.add(r)
	}
	both := func(method, suffix string, h driveHandler) {
		per(method, suffix, h)
		global(method, suffix, h)
	}

	per("GET", "", func(c *gc, v *drv, _ []string) { c.entity(200, c.userCtx()+"/drive/$entity", driveOut(v.d)) })
	rt.global("GET", "/drives/{id}", wlDrive, (*gc).getDriveByID)

	both("GET", "/root", func(c *gc, v *drv, _ []string) { c.driveEntity(v, 200, v.d.driveRoot()) })
	both("GET", "/root/children", func(c *gc, v *drv, _ []string) { c.driveChildren(v, v.d.driveRoot()) })
	both("POST", "/root/children", func(c *gc, v *drv, _ []string) { c.createDriveChild(v, v.d.driveRoot()) })
	both("GET", "/items/{id}", func(c *gc, v *drv, p []string) {
		if it := c.driveItem(v, p[0]); it != nil {
			c.driveEntity(v, 200, it)
		}
	})
	both("PATCH", "/items/{id}", func(c *gc, v *drv, p []string) {
		if it := c.driveItem(v, p[0]); it != nil {
			c.patchDriveItem(v, it)
		}
	})
	both("DELETE", "/items/{id}", func(c *gc, v *drv, p []string) {
		if it := c.driveItem(v, p[0]); it != nil {
			c.deleteDriveItem(v, it)
		}
	})
	both("GET", "/items/{id}/children", func(c *gc, v *drv, p []string) {
		if it := c.driveItem(v, p[0]); it != nil {
			c.driveChildren(v, it)
		}
	})
	both("POST", "/items/{id}/children", func(c *gc, v *drv, p []string) {
		if it := c.driveItem(v, p[0]); it != nil {
			c.createDriveChild(v, it)
		}
	})
	both("GET", "/recent", (*gc).driveRecent)
	both("GET", "/root/search(q={q})", func(c *gc, v *drv, p []string) { c.searchDrive(v, p[0]) })
	both("GET", "/root:/{path}", func(c *gc, v *drv, p []string) {
		if it := c.drivePath(v, p[0]); it != nil {
			c.driveEntity(v, 200, it)
		}
	})

	// Content: simple upload, replace, download.
	both("PUT", "/root:/{path}:/content", func(c *gc, v *drv, p []string) { c.driveUploadAt(v, v.d.driveRoot(), p[0]) })
	both("PUT", "/items/{id}:/{path}:/content", func(c *gc, v *drv, p []string) {
		if parent := c.driveItem(v, p[0]); parent != nil {
			c.driveUploadAt(v, parent, p[1])
		}
	})
	both("PUT", "/items/{id}/content", func(c *gc, v *drv, p []string) {
		if it := c.driveItem(v, p[0]); it != nil {
			c.replaceDriveContent(v, it)
		}
	})
	both("GET", "/items/{id}/content", func(c *gc, v *drv, p []string) {
		if it := c.driveItem(v, p[0]); it != nil {
			c.redirectDownload(v, it)
		}
	})
	both("GET", "/root:/{path}:/content", func(c *gc, v *drv, p []string) {
		if it := c.drivePath(v, p[0]); it != nil {
			c.redirectDownload(v, it)
		}
	})

	// Resumable uploads.
	per("POST", "/root:/{path}:/createUploadSession", func(c *gc, v *drv, p []string) { c.createUploadSession(v, v.d.driveRoot(), p[0], nil) })
	per("POST", "/items/{id}:/{path}:/createUploadSession", func(c *gc, v *drv, p []string) {
		if parent := c.driveItem(v, p[0]); parent != nil {
			c.createUploadSession(v, parent, p[1], nil)
		}
	})
	both("POST", "/items/{id}/createUploadSession", func(c *gc, v *drv, p []string) {
		if it := c.driveItem(v, p[0]); it != nil {
			c.createUploadSession(v, nil, "", it)
		}
	})
}

// --- errors -------------------------------------------------------------------------------

func driveNotFound() *graphErr { return gerr(404, "itemNotFound", "Item not found") }

func drivePathNotFound() *graphErr {
	return gerr(404, "itemNotFound", "The resource could not be found.")
}

func driveInvalid(format string, args ...any) *graphErr {
	return gerr(400, "invalidRequest", format, args...)
}

func driveNameExists() *graphErr {
	return gerr(409, "nameAlreadyExists", "An item with the same name already exists under the parent.")
}

// --- resolution ---------------------------------------------------------------------------

// driveByID resolves /drives/{drive-id} to the owner of a personal drive in the caller's
// tenant. Only users whose data exists can own a drive id a client has seen. A delegated
// caller may only reach their own drive.
func (c *gc) driveByID(id string) *drv {
	for _, uid := range c.tenant.userOrder {
		u := c.tenant.users[uid]
		if u == nil || u.data == nil || u.data.drive == nil || str(u.data.drive, "id") != id {
			continue
		}
		if u.Unlicensed || u.NoDrive {
			break
		}
		if c.tok.delegated() && u != c.caller {
			c.fail(forbidden(wlDrive))
			return nil
		}
		c.user = u
		return &drv{d: u.data, u: u}
	}
	c.fail(driveNotFound())
	return nil
}

// getDriveByID answers GET /drives/{id}: a personal drive, or a site's document library.
func (c *gc) getDriveByID() {
	id := c.param(0)
	if lib := c.siteDriveByID(id); lib != nil {
		c.entity(200, "drives/$entity", lib)
		return
	}
	if v := c.driveByID(id); v != nil {
		c.entity(200, "drives/$entity", driveOut(v.d))
	}
}

// driveOut is the drive resource without the emulator's hidden keys.
func driveOut(d *userData) obj {
	out := obj{}
	for k, v := range d.drive {
		if !strings.HasPrefix(k, "@") {
			out[k] = v
		}
	}
	return out
}

func (d *userData) driveRoot() *item {
	for _, it := range d.driveItems.items {
		if it.o["@wk"] == "root" {
			return it
		}
	}
	return nil
}

func isDriveFolder(it *item) bool {
	_, ok := it.o["folder"].(obj)
	return ok
}

// driveItem resolves an item id ("root" is an alias of the root folder) or fails.
func (c *gc) driveItem(v *drv, id string) *item {
	if strings.EqualFold(id, "root") {
		return v.d.driveRoot()
	}
	it := v.d.driveItems.get(id)
	if it == nil {
		c.fail(driveNotFound())
	}
	return it
}

func (d *userData) childByName(parent, name string) *item {
	for _, it := range d.driveItems.items {
		if it.parent == parent && strings.EqualFold(str(it.o, "name"), name) {
			return it
		}
	}
	return nil
}

// itemAtPath finds an item by its path below from ("" is from itself).
func (d *userData) itemAtPath(from *item, p string) *item {
	cur := from
	for _, seg := range strings.Split(strings.Trim(p, "/"), "/") {
		if seg == "" {
			continue
		}
		if cur = d.childByName(cur.id, seg); cur == nil {
			return nil
		}
	}
	return cur
}

// drivePath resolves a path below the root or fails.
func (c *gc) drivePath(v *drv, p string) *item {
	it := v.d.itemAtPath(v.d.driveRoot(), p)
	if it == nil {
		c.fail(drivePathNotFound())
	}
	return it
}

// --- output -------------------------------------------------------------------------------

// driveItemOut is the JSON of an item: hidden keys removed and, for files, a short-lived
// pre-authenticated download URL, as Graph returns in @microsoft.graph.downloadUrl.
func (c *gc) driveItemOut(v *drv, it *item) obj {
	out := obj{}
	for k, val := range it.o {
		if k != "@wk" {
			out[k] = val
		}
	}
	if !isDriveFolder(it) && it.o["root"] == nil {
		out["@microsoft.graph.downloadUrl"] = c.downloadURL(v, it)
	}
	return out
}

func (c *gc) driveEntity(v *drv, status int, it *item) {
	c.entity(status, "drives('"+v.id()+"')/items/$entity", c.driveItemOut(v, it))
}

func (c *gc) driveList(v *drv, items []*item, ctx string) {
	out := make([]obj, 0, len(items))
	for _, it := range items {
		out = append(out, c.driveItemOut(v, it))
	}
	c.list(out, listOpts{context: ctx, pageSize: drivePageSize, maxTop: 999})
}

func (c *gc) driveChildren(v *drv, parent *item) {
	kids := v.d.driveItems.where(inParent(parent.id))
	sort.SliceStable(kids, func(i, j int) bool {
		return strings.ToLower(str(kids[i].o, "name")) < strings.ToLower(str(kids[j].o, "name"))
	})
	c.driveList(v, kids, "drives('"+v.id()+"')/items('"+parent.id+"')/children")
}

func (c *gc) driveRecent(v *drv, _ []string) {
	files := v.d.driveItems.where(func(it *item) bool { return !isDriveFolder(it) && it.o["root"] == nil })
	sort.SliceStable(files, func(i, j int) bool {
		return str(files[i].o, "lastModifiedDateTime") > str(files[j].o, "lastModifiedDateTime")
	})
	c.driveList(v, files, "Collection(driveItem)")
}

// searchDrive matches q (the function argument "q='text'") against names and text content.
func (c *gc) searchDrive(v *drv, arg string) {
	q := strings.TrimSpace(arg)
	if k, val, ok := strings.Cut(q, "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
		q = strings.TrimSpace(val)
	}
	if len(q) >= 2 && q[0] == '\'' && q[len(q)-1] == '\'' {
		q = strings.ReplaceAll(q[1:len(q)-1], "''", "'")
	}
	q = strings.ToLower(q)
	hits := v.d.driveItems.where(func(it *item) bool {
		if it.o["root"] != nil {
			return false
		}
		if q == "" || strings.Contains(strings.ToLower(str(it.o, "name")), q) {
			return true
		}
		return len(it.blob) < 1<<20 && bytes.Contains(bytes.ToLower(it.blob), []byte(q))
	})
	c.driveList(v, hits, "Collection(driveItem)")
}

// --- changes ------------------------------------------------------------------------------

// driveChanged refreshes child counts, quota and folder sizes after a change.
func (d *userData) driveChanged() {
	d.refreshDriveCounts()
	var size func(it *item) int
	size = func(it *item) int {
		if !isDriveFolder(it) {
			return len(it.blob)
		}
		n := 0
		for _, ch := range d.driveItems.where(inParent(it.id)) {
			n += size(ch)
		}
		return n
	}
	for _, it := range d.driveItems.items {
		if isDriveFolder(it) {
			it.o["size"] = size(it)
		}
	}
}

// relink refreshes webUrl and parentReference of an item and its descendants.
func (d *userData) relink(it *item) {
	d.setDriveItemLinks(it)
	for _, ch := range d.driveItems.where(inParent(it.id)) {
		d.relink(ch)
	}
}

// touchDriveItem records a modification: new eTag (and cTag when the content changed), times and
// the modifying identity.
func (c *gc) touchDriveItem(it *item, content bool) {
	now := iso(c.e.now())
	it.o["eTag"] = bumpVersionTag(str(it.o, "eTag"))
	it.o["@odata.etag"] = it.o["eTag"]
	if content {
		it.o["cTag"] = bumpVersionTag(str(it.o, "cTag"))
	}
	it.o["lastModifiedDateTime"] = now
	if fsi, ok := it.o["fileSystemInfo"].(obj); ok {
		fsi["lastModifiedDateTime"] = now
	}
	it.o["lastModifiedBy"] = c.driveIdentity()
}

// bumpVersionTag increments the version of an eTag or cTag written `"{GUID},N"` or `"c:{GUID},N"`.
func bumpVersionTag(tag string) string {
	body := strings.Trim(tag, `"`)
	i := strings.LastIndexByte(body, ',')
	if i < 0 {
		return `"{` + strings.ToUpper(newGUID()) + `},1"`
	}
	n, _ := strconv.Atoi(body[i+1:])
	return `"` + body[:i] + "," + strconv.Itoa(n+1) + `"`
}

// driveIdentity is the createdBy/lastModifiedBy identity of the caller.
func (c *gc) driveIdentity() obj {
	if c.tok.delegated() && c.caller != nil {
		return obj{"user": obj{"email": c.caller.UPN, "id": c.caller.ID, "displayName": c.caller.DisplayName}}
	}
	return obj{"application": obj{"id": c.app.ClientID, "displayName": c.app.DisplayName}, "user": obj{"displayName": "SharePoint App"}}
}

// newDriveChild creates a client-made item in parent.
func (c *gc) newDriveChild(v *drv, parent *item, name string, folder bool, content []byte) *item {
	now := c.e.now()
	it := c.e.newDriveItem(v.d, v.u, parent.id, name, folder, content, now)
	if !folder {
		setFileFacet(it, content)
	}
	it.o["createdBy"] = c.driveIdentity()
	it.o["lastModifiedBy"] = c.driveIdentity()
	c.created(it, "driveItem")
	return it
}

// setFileFacet sets the file facet: MIME type from the extension and a real QuickXorHash.
func setFileFacet(it *item, content []byte) {
	mt := mime.TypeByExtension(strings.ToLower(path.Ext(str(it.o, "name"))))
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	if mt == "" {
		mt = "application/octet-stream"
	}
	it.o["file"] = obj{"mimeType": mt, "hashes": obj{"quickXorHash": base64.StdEncoding.EncodeToString(quickXorHash(content))}}
	it.o["size"] = len(content)
}

// quickXorHash is OneDrive's QuickXorHash: every byte is XORed into a 160-bit register at
// bit 11*i (mod 160), and the length is XORed into the last eight bytes (little endian).
func quickXorHash(b []byte) []byte {
	var reg [20]byte
	for i, x := range b {
		bit := (i * 11) % 160
		lo, sh := bit/8, uint(bit%8)
		reg[lo] ^= x << sh
		if sh > 0 {
			reg[(lo+1)%20] ^= x >> (8 - sh)
		}
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
	for i := range n {
		reg[12+i] ^= n[i]
	}
	return reg[:]
}

var reservedDriveNames = map[string]bool{".lock": true, "con": true, "prn": true, "aux": true, "nul": true, "desktop.ini": true}

// checkDriveName applies OneDrive for Business naming rules.
func checkDriveName(n string) *graphErr {
	bad := func(msg string) *graphErr {
		ge := driveInvalid("%s", msg)
		ge.inner = map[string]any{"code": "invalidPath"}
		return ge
	}
	switch {
	case strings.TrimSpace(n) == "":
		return driveInvalid("The name of the item must be provided.")
	case strings.TrimSpace(n) != n:
		return bad("The provided name cannot contain leading, or trailing, spaces.")
	case strings.ContainsAny(n, `"*:<>?/\|`):
		return bad("The provided name contains invalid characters.")
	case strings.HasSuffix(n, "."), strings.HasPrefix(n, "~$"), strings.Contains(strings.ToLower(n), "_vti_"):
		return bad("The provided name is not allowed.")
	}
	l := strings.ToLower(n)
	if reservedDriveNames[l] || (len(l) == 4 && (strings.HasPrefix(l, "com") || strings.HasPrefix(l, "lpt")) && l[3] >= '0' && l[3] <= '9') {
		return bad("The provided name is not allowed.")
	}
	return nil
}

// conflictBehavior reads "@microsoft.graph.conflictBehavior" from a body or the query.
func (c *gc) conflictBehavior(body obj, def string) (string, *graphErr) {
	b := def
	if s := str(body, "@microsoft.graph.conflictBehavior"); s != "" {
		b = s
	} else if s := c.query.Get("@microsoft.graph.conflictBehavior"); s != "" {
		b = s
	}
	switch strings.ToLower(b) {
	case "fail", "replace", "rename":
		return strings.ToLower(b), nil
	}
	return "", driveInvalid("Invalid value '%s' for @microsoft.graph.conflictBehavior.", b)
}

// uniqueName appends " 1", " 2"... before the extension of a file name (after a folder's
// name) until no sibling has it, as OneDrive's rename conflict behaviour does.
func (d *userData) uniqueName(parent, name string, folder bool) string {
	base, ext := name, ""
	if !folder {
		ext = path.Ext(name)
		base = strings.TrimSuffix(name, ext)
	}
	for n := 1; ; n++ {
		cand := base + " " + strconv.Itoa(n) + ext
		if d.childByName(parent, cand) == nil {
			return cand
		}
	}
}

func (d *userData) deleteTree(it *item) {
	for _, ch := range d.driveItems.where(inParent(it.id)) {
		d.deleteTree(ch)
	}
	d.driveItems.del(it.id)
}

func isAncestor(d *userData, anc, it *item) bool {
	for cur := it; cur != nil; cur = d.driveItems.get(cur.parent) {
		if cur == anc {
			return true
		}
		if cur.parent == "" {
			break
		}
	}
	return false
}

// driveIfMatch applies an If-Match header against the item's eTag or cTag.
func (c *gc) driveIfMatch(it *item) bool {
	m := strings.TrimSpace(c.header.Get("If-Match"))
	if m == "" || m == "*" || m == str(it.o, "eTag") || m == str(it.o, "cTag") {
		return true
	}
	c.fail(gerr(412, "resourceModified", "ETag does not match current item's value"))
	return false
}

// --- folders, rename, move, delete ---------------------------------------------------------

var driveItemProps = []string{"name", "folder", "file", "description", "fileSystemInfo", "parentReference"}

// createDriveChild answers POST .../children: a folder (or an empty file) in parent.
func (c *gc) createDriveChild(v *drv, parent *item) {
	if !isDriveFolder(parent) {
		c.fail(driveInvalid("The parent item is not a folder."))
		return
	}
	body, ge := c.readObj("driveItem", driveItemProps...)
	if ge != nil {
		c.fail(ge)
		return
	}
	name := str(body, "name")
	if ge := checkDriveName(name); ge != nil {
		c.fail(ge)
		return
	}
	_, folder := body["folder"].(obj)
	_, file := body["file"].(obj)
	if folder == file {
		c.fail(driveInvalid("Exactly one of the folder and file facets must be provided."))
		return
	}
	behavior, ge := c.conflictBehavior(body, "fail")
	if ge != nil {
		c.fail(ge)
		return
	}
	d := v.d
	if ex := d.childByName(parent.id, name); ex != nil {
		switch behavior {
		case "fail":
			c.fail(driveNameExists())
			return
		case "rename":
			name = d.uniqueName(parent.id, name, folder)
		case "replace":
			d.deleteTree(ex)
		}
	}
	it := c.newDriveChild(v, parent, name, folder, nil)
	if desc := str(body, "description"); desc != "" {
		it.o["description"] = desc
	}
	d.driveChanged()
	c.driveEntity(v, 201, it)
}

func (c *gc) patchDriveItem(v *drv, it *item) {
	if !c.driveIfMatch(it) {
		return
	}
	body, ge := c.readObj("driveItem", "name", "description", "fileSystemInfo", "parentReference")
	if ge != nil {
		c.fail(ge)
		return
	}
	d := v.d
	if it.o["root"] != nil && (body["name"] != nil || body["parentReference"] != nil) {
		c.fail(driveInvalid("The root folder cannot be renamed or moved."))
		return
	}
	parent := d.driveItems.get(it.parent)
	if pr, ok := body["parentReference"].(obj); ok {
		if did := str(pr, "driveId"); did != "" && did != v.id() {
			c.fail(driveInvalid("Moving items between drives is not supported by this endpoint; use copy."))
			return
		}
		var dest *item
		switch {
		case str(pr, "id") != "":
			if dest = c.driveItem(v, str(pr, "id")); dest == nil {
				return
			}
		case str(pr, "path") != "":
			p := strings.TrimPrefix(str(pr, "path"), "/drive/root:")
			if dest = d.itemAtPath(d.driveRoot(), p); dest == nil {
				c.fail(drivePathNotFound())
				return
			}
		}
		if dest != nil {
			if !isDriveFolder(dest) {
				c.fail(driveInvalid("The destination is not a folder."))
				return
			}
			if isAncestor(d, it, dest) {
				c.fail(driveInvalid("An item cannot be moved into itself or one of its descendants."))
				return
			}
			parent = dest
		}
	}
	name := str(it.o, "name")
	if n, ok := body["name"]; ok {
		s, _ := n.(string)
		if ge := checkDriveName(s); ge != nil {
			c.fail(ge)
			return
		}
		name = s
	}
	if parent != nil && (parent.id != it.parent || !strings.EqualFold(name, str(it.o, "name"))) {
		if ex := d.childByName(parent.id, name); ex != nil && ex != it {
			behavior, ge := c.conflictBehavior(body, "fail")
			if ge != nil {
				c.fail(ge)
				return
			}
			switch behavior {
			case "fail":
				c.fail(driveNameExists())
				return
			case "rename":
				name = d.uniqueName(parent.id, name, isDriveFolder(it))
			case "replace":
				d.deleteTree(ex)
			}
		}
	}
	if parent != nil {
		it.parent = parent.id
	}
	it.o["name"] = name
	if desc, ok := body["description"]; ok {
		it.o["description"] = desc
	}
	if fsi, ok := body["fileSystemInfo"].(obj); ok {
		if cur, ok := it.o["fileSystemInfo"].(obj); ok {
			merge(cur, fsi)
		}
	}
	c.touchDriveItem(it, false)
	d.relink(it)
	d.driveChanged()
	c.driveEntity(v, 200, it)
}

func (c *gc) deleteDriveItem(v *drv, it *item) {
	if it.o["root"] != nil {
		c.fail(gerr(403, "accessDenied", "The root folder cannot be deleted."))
		return
	}
	if !c.driveIfMatch(it) {
		return
	}
	v.d.deleteTree(it)
	v.d.driveChanged()
	c.noContent(204)
}

// --- simple upload and download -----------------------------------------------------------

// driveUploadAt answers PUT .../{parent}:/{relative path}:/content: missing folders on the way
// are created, an existing file is replaced (200) unless the conflict behaviour says
// otherwise, and a new file answers 201.
func (c *gc) driveUploadAt(v *drv, parent *item, rel string) {
	if len(c.body) > simpleUploadMax {
		c.fail(driveTooLarge())
		return
	}
	behavior, ge := c.conflictBehavior(nil, "replace")
	if ge != nil {
		c.fail(ge)
		return
	}
	segs := strings.Split(strings.Trim(rel, "/"), "/")
	for _, s := range segs {
		if ge := checkDriveName(s); ge != nil {
			c.fail(ge)
			return
		}
	}
	d := v.d
	folder := parent
	if !isDriveFolder(folder) {
		c.fail(driveInvalid("The parent item is not a folder."))
		return
	}
	for _, s := range segs[:len(segs)-1] {
		next := d.childByName(folder.id, s)
		if next == nil {
			next = c.newDriveChild(v, folder, s, true, nil)
		} else if !isDriveFolder(next) {
			c.fail(driveNameExists())
			d.driveChanged()
			return
		}
		folder = next
	}
	name := segs[len(segs)-1]
	content := append([]byte(nil), c.body...)
	if ex := d.childByName(folder.id, name); ex != nil {
		switch {
		case behavior == "fail", isDriveFolder(ex):
			c.fail(driveNameExists())
			d.driveChanged()
			return
		case behavior == "rename":
			name = d.uniqueName(folder.id, name, false)
		default:
			if !c.driveIfMatch(ex) {
				return
			}
			c.setDriveContent(ex, content)
			d.driveChanged()
			c.driveEntity(v, 200, ex)
			return
		}
	}
	it := c.newDriveChild(v, folder, name, false, content)
	d.driveChanged()
	c.driveEntity(v, 201, it)
}

func driveTooLarge() *graphErr {
	return &graphErr{status: 413, code: "invalidRequest", message: "The request size exceeds the maximum limit. Use an upload session for files larger than 4 MB.",
		inner: map[string]any{"code": "maxFileSizeExceeded"}}
}

func (c *gc) setDriveContent(it *item, content []byte) {
	it.blob = content
	setFileFacet(it, content)
	c.touchDriveItem(it, true)
}

// replaceDriveContent answers PUT /items/{id}/content.
func (c *gc) replaceDriveContent(v *drv, it *item) {
	if isDriveFolder(it) || it.o["root"] != nil {
		c.fail(driveInvalid("Content can only be uploaded to a file."))
		return
	}
	if len(c.body) > simpleUploadMax {
		c.fail(driveTooLarge())
		return
	}
	if !c.driveIfMatch(it) {
		return
	}
	c.setDriveContent(it, append([]byte(nil), c.body...))
	v.d.driveChanged()
	c.driveEntity(v, 200, it)
}

// driveToken is the sealed content of a download or upload URL.
type driveToken struct {
	T string `json:"t"` // tenant
	U string `json:"u"` // drive owner
	I string `json:"i"` // item or upload session
	X int64  `json:"x"` // expiry (unix)
}

func (e *Emulator) sealDriveToken(purpose string, tk driveToken) string {
	plain, _ := json.Marshal(tk)
	nonce := make([]byte, e.rtKey.NonceSize())
	_, _ = rand.Read(nonce)
	return b64url(e.rtKey.Seal(nonce, nonce, plain, []byte(purpose)))
}

func (e *Emulator) openDriveToken(purpose, s string) (*driveToken, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	n := e.rtKey.NonceSize()
	if err != nil || len(raw) < n {
		return nil, false
	}
	plain, err := e.rtKey.Open(nil, raw[:n], raw[n:], []byte(purpose))
	if err != nil {
		return nil, false
	}
	var tk driveToken
	if json.Unmarshal(plain, &tk) != nil {
		return nil, false
	}
	return &tk, true
}

// emulatorOrigin is scheme://host of the request, where the emulator serves its download and
// upload URLs (the real service uses the tenant's SharePoint host).
func (c *gc) emulatorOrigin() string { return strings.TrimSuffix(c.base, "/"+c.ver) }

func (c *gc) downloadURL(v *drv, it *item) string {
	tok := c.e.sealDriveToken("drive-download", driveToken{T: c.tenant.ID, U: v.u.ID, I: it.id, X: c.e.now().Add(downloadURLLife).Unix()})
	return c.emulatorOrigin() + "/_emulator/download/" + tok
}

// redirectDownload answers GET .../content with 302 to the pre-authenticated URL.
func (c *gc) redirectDownload(v *drv, it *item) {
	if isDriveFolder(it) || it.o["root"] != nil {
		c.fail(driveNotFound())
		return
	}
	c.outHdr.Set("Location", c.downloadURL(v, it))
	c.noContent(302)
}

// writeSPError writes an error from the emulated SharePoint host (download and upload URLs).
func writeSPError(w http.ResponseWriter, status int, code, innerCode, msg string) {
	e := map[string]any{"code": code, "message": msg}
	if innerCode != "" {
		e["innerError"] = map[string]any{"code": innerCode}
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// serveDownload serves /_emulator/download/<token>: the pre-authenticated download URL of a
// file. It needs no bearer token, expires after an hour and honours Range requests.
func (e *Emulator) serveDownload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeSPError(w, 405, "notSupported", "", "The HTTP method is not supported for a download URL.")
		return
	}
	_, tokStr, _ := strings.Cut(r.URL.Path, "/_emulator/download/")
	tk, ok := e.openDriveToken("drive-download", tokStr)
	if !ok {
		writeSPError(w, 401, "unauthenticated", "", "The download URL is not valid.")
		return
	}
	if e.now().Unix() > tk.X {
		writeSPError(w, 401, "unauthenticated", "", "The download URL has expired.")
		return
	}
	e.mu.RLock()
	var (
		blob       []byte
		name, mt   string
		tag        string
		mod        time.Time
		found, dir bool
	)
	if t := e.tenants[tk.T]; t != nil {
		if u := t.users[tk.U]; u != nil && u.data != nil {
			if it := u.data.driveItems.get(tk.I); it != nil {
				found, dir = true, isDriveFolder(it)
				blob, name, tag = it.blob, str(it.o, "name"), str(it.o, "cTag")
				if f, ok := it.o["file"].(obj); ok {
					mt = str(f, "mimeType")
				}
				mod, _ = time.Parse(time.RFC3339, str(it.o, "lastModifiedDateTime"))
			}
		}
	}
	e.mu.RUnlock()
	if !found || dir {
		writeSPError(w, 404, "itemNotFound", "", "The file does not exist.")
		return
	}
	if mt == "" {
		mt = "application/octet-stream"
	}
	w.Header().Set("Content-Type", mt)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	w.Header().Set("ETag", tag)
	http.ServeContent(w, r, name, mod, bytes.NewReader(blob))
}

// --- resumable upload sessions -------------------------------------------------------------

type uploadSession struct {
	id       string
	parent   string // folder of a new file
	name     string
	target   string // file being replaced (update by id)
	conflict string
	total    int64 // declared size; -1 until the first fragment
	data     []byte
	exp      time.Time
	deferred bool
	complete bool
	by       obj
}

// driveUploads returns the drive's upload sessions, dropping expired ones. They live in a hidden
// key of the drive object.
func (e *Emulator) driveUploads(d *userData) map[string]*uploadSession {
	m, _ := d.drive["@uploads"].(map[string]*uploadSession)
	if m == nil {
		m = map[string]*uploadSession{}
		d.drive["@uploads"] = m
	}
	now := e.now()
	for k, s := range m {
		if now.After(s.exp) {
			delete(m, k)
		}
	}
	return m
}

var uploadableProps = []string{"@microsoft.graph.conflictBehavior", "name", "description", "fileSize", "fileSystemInfo", "driveItemSource", "mediaSource"}

// createUploadSession answers POST ...:/createUploadSession (a new file rel below parent) and
// POST /items/{id}/createUploadSession (new content for target).
func (c *gc) createUploadSession(v *drv, parent *item, rel string, target *item) {
	var req struct {
		Item        obj   `json:"item"`
		DeferCommit *bool `json:"deferCommit"`
	}
	if len(bytes.TrimSpace(c.body)) > 0 {
		var raw obj
		if ge := c.decode(&raw); ge != nil {
			c.fail(ge)
			return
		}
		for k := range raw {
			if k != "item" && k != "deferCommit" && !strings.HasPrefix(k, "@") {
				c.fail(gerr(400, "RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.driveItemUploadableProperties'. Make sure to only use property names that are defined by the type.", k))
				return
			}
		}
		_ = json.Unmarshal(c.body, &req)
		for k := range req.Item {
			if !containsFold(uploadableProps, k) {
				c.fail(gerr(400, "RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.driveItemUploadableProperties'. Make sure to only use property names that are defined by the type.", k))
				return
			}
		}
	}
	behavior, ge := c.conflictBehavior(req.Item, "fail")
	if ge != nil {
		c.fail(ge)
		return
	}
	d := v.d
	s := &uploadSession{id: newGUID(), conflict: behavior, total: -1, exp: c.e.now().Add(uploadSessionLife), by: c.driveIdentity()}
	if req.DeferCommit != nil {
		s.deferred = *req.DeferCommit
	}
	if f, ok := req.Item["fileSize"].(float64); ok {
		if q, _ := d.drive["quota"].(obj); q != nil {
			if rem, ok := q["remaining"].(int64); ok && int64(f) > rem {
				c.fail(gerr(507, "quotaLimitReached", "Insufficient Space Available"))
				return
			}
		}
		s.total = int64(f)
	}
	if target != nil {
		if isDriveFolder(target) || target.o["root"] != nil {
			c.fail(driveInvalid("Content can only be uploaded to a file."))
			return
		}
		if !c.driveIfMatch(target) {
			return
		}
		s.target, s.conflict = target.id, "replace"
	} else {
		if !isDriveFolder(parent) {
			c.fail(driveInvalid("The parent item is not a folder."))
			return
		}
		segs := strings.Split(strings.Trim(rel, "/"), "/")
		for _, seg := range segs {
			if ge := checkDriveName(seg); ge != nil {
				c.fail(ge)
				return
			}
		}
		if n := str(req.Item, "name"); n != "" && n != segs[len(segs)-1] {
			c.fail(driveInvalid("The name in the request body does not match the name in the path."))
			return
		}
		folder := parent
		for _, seg := range segs[:len(segs)-1] {
			next := d.childByName(folder.id, seg)
			if next == nil {
				next = c.newDriveChild(v, folder, seg, true, nil)
			} else if !isDriveFolder(next) {
				c.fail(driveNameExists())
				d.driveChanged()
				return
			}
			folder = next
		}
		d.driveChanged()
		s.parent, s.name = folder.id, segs[len(segs)-1]
	}
	c.e.driveUploads(d)[s.id] = s
	tok := c.e.sealDriveToken("drive-upload", driveToken{T: c.tenant.ID, U: v.u.ID, I: s.id})
	c.writeJSON(200, obj{
		"@odata.context":     c.context("microsoft.graph.uploadSession"),
		"uploadUrl":          c.emulatorOrigin() + "/_emulator/upload/" + tok,
		"expirationDateTime": iso(s.exp),
		"nextExpectedRanges": []any{"0-"},
	})
}

func (s *uploadSession) status() map[string]any {
	next := []any{strconv.Itoa(len(s.data)) + "-"}
	if s.total >= 0 && int64(len(s.data)) >= s.total {
		next = []any{}
	}
	return map[string]any{"expirationDateTime": iso(s.exp), "nextExpectedRanges": next}
}

func writeUploadJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// parseContentRange reads "bytes start-end/total".
func parseContentRange(h string) (start, end, total int64, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(h), "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, 0, false
	}
	a, b, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, 0, false
	}
	var err1, err2, err3 error
	start, err1 = strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	end, err2 = strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	total, err3 = strconv.ParseInt(strings.TrimSpace(tot), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || start < 0 || end < start || total <= 0 {
		return 0, 0, 0, false
	}
	return start, end, total, true
}

// serveUpload serves /_emulator/upload/<token>, an upload session's uploadUrl: PUT fragments
// with Content-Range in order (202 until complete, then 201/200 with the driveItem), GET the
// status, DELETE to cancel, POST to commit a deferred session. Like the real upload URL it
// takes no bearer token, and answers 401 when one is sent.
func (e *Emulator) serveUpload(w http.ResponseWriter, r *http.Request) {
	_, tokStr, _ := strings.Cut(r.URL.Path, "/_emulator/upload/")
	tk, ok := e.openDriveToken("drive-upload", tokStr)
	if !ok {
		writeSPError(w, 404, "itemNotFound", "uploadSessionNotFound", "The upload session was not found.")
		return
	}
	var body []byte
	if r.Method == http.MethodPut {
		if r.Header.Get("Authorization") != "" {
			writeSPError(w, 401, "unauthenticated", "", "Do not send an Authorization header to an upload URL; it is pre-authenticated.")
			return
		}
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, uploadFragmentMax+1))
		if err != nil {
			writeSPError(w, 400, "invalidRequest", "", "The request body could not be read.")
			return
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var d *userData
	var owner *User
	if t := e.tenants[tk.T]; t != nil {
		if u := t.users[tk.U]; u != nil && u.data != nil {
			d, owner = u.data, u
		}
	}
	var s *uploadSession
	if d != nil {
		s = e.driveUploads(d)[tk.I]
	}
	if s == nil {
		writeSPError(w, 404, "itemNotFound", "uploadSessionNotFound", "The upload session was not found or has expired.")
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeUploadJSON(w, 200, s.status())
		return
	case http.MethodDelete:
		delete(e.driveUploads(d), s.id)
		w.WriteHeader(204)
		return
	case http.MethodPost:
		if !s.complete {
			writeSPError(w, 400, "invalidRequest", "uploadSessionIncomplete", "The upload session is incomplete.")
			return
		}
		e.commitUpload(w, d, owner, s)
		return
	case http.MethodPut:
	default:
		w.Header().Set("Allow", "GET, PUT, POST, DELETE")
		writeSPError(w, 405, "notSupported", "", "The HTTP method is not supported for an upload URL.")
		return
	}
	if len(body) > uploadFragmentMax {
		writeSPError(w, 413, "invalidRequest", "maxFragmentLengthExceeded", "The fragment exceeds the maximum fragment length of 60 MiB.")
		return
	}
	start, end, total, ok := parseContentRange(r.Header.Get("Content-Range"))
	if !ok {
		writeSPError(w, 400, "invalidRequest", "invalidParameterFormat", "The Content-Range header is missing or malformed; expected 'bytes start-end/total'.")
		return
	}
	switch {
	case int64(len(body)) != end-start+1:
		writeSPError(w, 400, "invalidRequest", "", "The Content-Range header length does not match the provided number of bytes.")
		return
	case s.total >= 0 && total != s.total:
		writeSPError(w, 400, "invalidRequest", "fragmentLengthMismatch", "Declared total size for this fragment is different from that of the upload session.")
		return
	case end >= total:
		writeSPError(w, 416, "invalidRange", "", "The fragment extends past the declared file size.")
		return
	case start < int64(len(s.data)):
		writeSPError(w, 416, "invalidRange", "fragmentOverlap", "Uploaded fragment overlaps with existing data.")
		return
	case start > int64(len(s.data)):
		writeSPError(w, 416, "invalidRange", "fragmentOutOfOrder", "Uploaded fragment is out of order.")
		return
	}
	s.total = total
	s.data = append(s.data, body...)
	s.exp = e.now().Add(uploadSessionLife)
	if int64(len(s.data)) < s.total {
		writeUploadJSON(w, 202, s.status())
		return
	}
	s.complete = true
	if s.deferred {
		writeUploadJSON(w, 202, s.status())
		return
	}
	e.commitUpload(w, d, owner, s)
}

// commitUpload turns a complete session into the file (an artifact when new).
func (e *Emulator) commitUpload(w http.ResponseWriter, d *userData, owner *User, s *uploadSession) {
	var it *item
	status := 201
	if s.target != "" {
		if it = d.driveItems.get(s.target); it == nil {
			delete(e.driveUploads(d), s.id)
			writeSPError(w, 404, "itemNotFound", "", "The item being updated no longer exists.")
			return
		}
		status = 200
	} else {
		parent := d.driveItems.get(s.parent)
		if parent == nil {
			delete(e.driveUploads(d), s.id)
			writeSPError(w, 404, "itemNotFound", "", "The destination folder no longer exists.")
			return
		}
		name := s.name
		if ex := d.childByName(parent.id, name); ex != nil {
			switch {
			case s.conflict == "fail" || isDriveFolder(ex):
				// The session is kept until it expires, as the real service does.
				writeSPError(w, 409, "nameAlreadyExists", "", "Another file exists with the same name as the uploaded session. You can redirect the upload session to use a new filename by calling PUT with the new metadata and @microsoft.graph.sourceUrl attribute.")
				return
			case s.conflict == "rename":
				name = d.uniqueName(parent.id, name, false)
			default:
				it, status = ex, 200
			}
		}
		if it == nil {
			it = e.newDriveItem(d, owner, parent.id, name, false, nil, e.now())
			it.o["createdBy"] = s.by
			it.artifact = "driveItem"
		}
	}
	content := s.data
	it.blob = content
	setFileFacet(it, content)
	now := iso(e.now())
	it.o["eTag"] = bumpVersionTag(str(it.o, "eTag"))
	it.o["@odata.etag"] = it.o["eTag"]
	it.o["cTag"] = bumpVersionTag(str(it.o, "cTag"))
	it.o["lastModifiedDateTime"] = now
	it.o["lastModifiedBy"] = s.by
	delete(e.driveUploads(d), s.id)
	d.driveChanged()
	out := obj{}
	for k, v := range it.o {
		if k != "@wk" {
			out[k] = v
		}
	}
	writeUploadJSON(w, status, out)
}
