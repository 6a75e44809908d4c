package emulator

import (
	"sort"
	"strings"
)

// newGraphRouter registers every Graph route the emulator serves. Each route's template
// must appear in the official permission data (checked at registration) unless it carries
// a documented supplement.
func newGraphRouter(e *Emulator) *router {
	rt := &router{root: newNode(), perms: e.perms}
	e.registerMail(rt)
	e.registerCalendar(rt)
	e.registerContacts(rt)
	e.registerTodo(rt)
	e.registerDrive(rt)
	e.registerNotes(rt)
	e.registerSites(rt)
	e.registerDirectory(rt)
	e.registerTeams(rt)
	e.registerPeople(rt)
	e.registerApps(rt)
	e.registerBatch(rt)
	return rt
}

// perUser registers a route in its /me form and its /users/{id} form.
func (rt *router) perUser(method, suffix string, w workload, h handler) {
	rt.add(&route{method: method, template: "/me" + suffix, workload: w, h: h, me: true})
	rt.add(&route{method: method, template: "/users/{id}" + suffix, workload: w, h: h, user: true})
}

// global registers a route that is not below a user.
func (rt *router) global(method, template string, w workload, h handler) {
	rt.add(&route{method: method, template: template, workload: w, h: h})
}

// --- helpers shared by the resource handlers -------------------------------------------

// ud is the addressed user's data.
func (c *gc) ud() *userData { return c.e.ud(c.user) }

// td is the tenant's shared data.
func (c *gc) td() *tenantData { return c.e.td(c.tenant) }

// userCtx is the @odata.context prefix for the addressed user, "users('id')".
func (c *gc) userCtx() string { return "users('" + c.user.ID + "')" }

// param returns the i-th path parameter after the user id.
func (c *gc) param(i int) string {
	if i < len(c.params) {
		return c.params[i]
	}
	return ""
}

// readObj decodes a JSON object body and rejects properties the type does not define, as
// Graph does ("The property 'x' does not exist on type 'microsoft.graph.message'").
func (c *gc) readObj(typeName string, allowed ...string) (obj, *graphErr) {
	var body obj
	if ge := c.decode(&body); ge != nil {
		return nil, ge
	}
	if body == nil {
		return nil, gerr(400, "BadRequest", "Empty Payload. JSON content expected.")
	}
	for k := range body {
		if strings.HasPrefix(k, "@") || containsFold(allowed, k) {
			continue
		}
		if strings.Contains(k, "@") { // instance annotations such as "@microsoft.graph.conflictBehavior"
			continue
		}
		return nil, gerr(400, "RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.%s'. Make sure to only use property names that are defined by the type.", k, typeName)
	}
	return body, nil
}

// str reads a string property.
func str(o obj, k string) string {
	s, _ := o[k].(string)
	return s
}

// merge copies the allowed keys of src into dst.
func merge(dst, src obj) {
	for k, v := range src {
		if !strings.HasPrefix(k, "@") {
			dst[k] = v
		}
	}
}

// artifactKind labels objects created by clients in the statistics.
func (c *gc) created(it *item, kind string) *item {
	it.artifact = kind
	return it
}

// itemsObjs returns the objects of items.
func itemsObjs(items []*item) []obj {
	out := make([]obj, 0, len(items))
	for _, it := range items {
		out = append(out, it.o)
	}
	return out
}

// newest sorts objects by a date property, newest first, as Outlook lists do by default.
func newest(items []obj, prop string) []obj {
	out := append([]obj(nil), items...)
	sort.SliceStable(out, func(i, j int) bool { return str(out[i], prop) > str(out[j], prop) })
	return out
}
