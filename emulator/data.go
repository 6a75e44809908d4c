package emulator

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"
)

// item is one Graph resource held by the emulator.
type item struct {
	id       string
	o        obj
	parent   string // id of the container: mail folder, calendar, list, section, drive folder...
	artifact string // kind, when a client created it; "" for seed data
	blob     []byte // file content or page HTML
	created  time.Time
}

// coll is an ordered collection of items.
type coll struct {
	items []*item
	byID  map[string]*item
}

func newColl() *coll { return &coll{byID: map[string]*item{}} }

func (c *coll) add(it *item) *item {
	it.o["id"] = it.id
	c.items = append(c.items, it)
	c.byID[it.id] = it
	return it
}

// get finds an item; GUID-like ids match case-insensitively, as the directory does.
func (c *coll) get(id string) *item {
	if it := c.byID[id]; it != nil {
		return it
	}
	if isGUID(id) {
		for k, it := range c.byID {
			if strings.EqualFold(k, id) {
				return it
			}
		}
	}
	return nil
}

func (c *coll) del(id string) *item {
	it := c.get(id)
	if it == nil {
		return nil
	}
	delete(c.byID, it.id)
	for i, x := range c.items {
		if x == it {
			c.items = append(c.items[:i], c.items[i+1:]...)
			break
		}
	}
	return it
}

// where lists items matching keep (all when keep is nil), in creation order.
func (c *coll) where(keep func(*item) bool) []*item {
	var out []*item
	for _, it := range c.items {
		if keep == nil || keep(it) {
			out = append(out, it)
		}
	}
	return out
}

// objs returns the JSON objects of items matching keep.
func (c *coll) objs(keep func(*item) bool) []obj {
	var out []obj
	for _, it := range c.items {
		if keep == nil || keep(it) {
			out = append(out, it.o)
		}
	}
	return out
}

func (c *coll) countArtifacts(into map[string]int) {
	for _, it := range c.items {
		if it.artifact != "" {
			into[it.artifact]++
		}
	}
}

// dropTree deletes folder id with its subfolders and everything they contain (a mail
// folder with its messages, a contact folder with its contacts).
func dropTree(folders, contents *coll, id string) {
	for _, it := range contents.where(inParent(id)) {
		contents.del(it.id)
	}
	for _, child := range folders.where(inParent(id)) {
		dropTree(folders, contents, child.id)
	}
	folders.del(id)
}

func inParent(p string) func(*item) bool {
	return func(it *item) bool { return it.parent == p }
}

// userData is everything a user owns in Exchange, OneDrive, OneNote, To Do and Teams.
// It is seeded on first use, so an emulator with thousands of users stays small until
// they are used.
type userData struct {
	mailFolders     *coll
	messages        *coll
	rules           *coll
	categories      *coll
	mailboxSettings obj
	calendars       *coll
	events          *coll
	contactFolders  *coll
	contacts        *coll
	drive           obj
	driveItems      *coll
	notebooks       *coll
	sections        *coll
	pages           *coll
	todoLists       *coll
	todoTasks       *coll
	onlineMeetings  *coll
	chats           *coll
	plannerTasks    *coll
	presence        obj
}

func (d *userData) liveArtifacts() map[string]int {
	m := map[string]int{}
	for _, c := range []*coll{d.mailFolders, d.messages, d.rules, d.categories, d.calendars, d.events, d.contactFolders,
		d.contacts, d.driveItems, d.notebooks, d.sections, d.pages, d.todoLists, d.todoTasks, d.onlineMeetings, d.chats, d.plannerTasks} {
		if c != nil {
			c.countArtifacts(m)
		}
	}
	return m
}

// ud returns a user's data, seeding it on first use. Call with e.mu held.
func (e *Emulator) ud(u *User) *userData {
	if u.data == nil {
		u.data = e.seedUserData(u)
	}
	return u.data
}

// tenantData is what a tenant shares: groups, teams, sites, devices, the organisation
// and its subscriptions.
type tenantData struct {
	org           obj
	skus          *coll
	subscriptions *coll
	domains       *coll
	groups        *coll
	members       map[string][]string // group id -> user ids
	channels      *coll               // parent = team (group) id
	sites         *coll
	lists         *coll // parent = site id
	listItems     *coll // parent = list id
	devices       *coll
	rootSite      string
	// creators maps an artifact item id to the UPN of the user on whose behalf it was
	// created, for the live-artifact statistics.
	creators map[string]string
}

func (d *tenantData) liveArtifacts() map[string]int {
	m := map[string]int{}
	for _, c := range []*coll{d.groups, d.channels, d.sites, d.lists, d.listItems, d.devices} {
		for _, it := range c.items {
			if it.artifact != "" {
				m[d.creators[it.id]+"|"+it.artifact]++
			}
		}
	}
	return m
}

// td returns a tenant's shared data, seeding it on first use. Call with e.mu held.
func (e *Emulator) td(t *Tenant) *tenantData {
	if t.data == nil {
		t.data = e.seedTenantData(t)
	}
	return t.data
}

// --- identifiers that look like the real ones -------------------------------------------

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// outlookID looks like an Exchange item id ("AAMkAGI2...AAA=").
func outlookID() string {
	return "AAMkAG" + strings.TrimRight(b64url(randBytes(42)), "=") + "AAA="
}

// driveItemID looks like a OneDrive for Business item id ("01BYE5RZ...").
func driveItemID() string {
	return "01" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(randBytes(20))[:32]
}

// oneNoteID looks like a OneNote id ("1-0fd8ba3b...!12-816f7725-...").
func oneNoteID(n int) string {
	return "1-" + strings.ReplaceAll(newGUID(), "-", "") + "!" + itoa(n) + "-" + newGUID()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

// iso formats a time as Graph does ("2026-11-22T03:04:05Z").
func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// isoFrac formats with seven fractional digits, as Outlook's dateTimeTimeZone does.
func isoFrac(t time.Time) string { return t.Format("2006-01-02T15:04:05.0000000") }

func etag() string { return `W/"` + b64url(randBytes(12)) + `"` }

// emailAddr builds Graph's emailAddress object.
func emailAddr(name, addr string) obj {
	return obj{"emailAddress": obj{"name": name, "address": addr}}
}

func (e *Emulator) pick(list []string) string { return list[e.intn(len(list))] }
