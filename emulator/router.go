package emulator

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/e5renew/e5renew/internal/graphdata"
)

// workload groups routes that share error shapes, throttling behaviour and licensing.
type workload string

const (
	wlDirectory workload = "directory"
	wlMail      workload = "mail"
	wlCalendar  workload = "calendar"
	wlContacts  workload = "contacts"
	wlDrive     workload = "onedrive"
	wlNotes     workload = "onenote"
	wlTodo      workload = "todo"
	wlSites     workload = "sharepoint"
	wlTeams     workload = "teams"
	wlPresence  workload = "presence"
	wlPeople    workload = "people"
	wlInsights  workload = "insights"
	wlPlanner   workload = "planner"
	wlApps      workload = "applications"
	wlBatch     workload = "batch"
)

// outlook reports whether the workload is served by Exchange Online: the per-mailbox
// concurrency limit and the licence check apply.
func (w workload) outlook() bool {
	switch w {
	case wlMail, wlCalendar, wlContacts, wlTodo:
		return true
	}
	return false
}

// perUserData reports whether the workload reads a user's own data (mailbox, drive,
// notebooks...): a delegated token may only reach its own user's data.
func (w workload) perUserData() bool {
	switch w {
	case wlMail, wlCalendar, wlContacts, wlDrive, wlNotes, wlTodo, wlPlanner, wlInsights, wlPeople:
		return true
	}
	return false
}

type handler func(c *gc)

// route is one method on one path template. Template is written as in the Graph docs
// ("/me/messages/{id}", "/me/drive/root:/{path}:/content") and normalised (lower case,
// every parameter {id}) into key, which is also the permission-table key.
type route struct {
	method   string
	template string
	key      string
	workload workload
	h        handler
	// me is true for the /me form, user for the /users/{id} form of a per-user route.
	me, user bool
	// supplement lists permissions for paths the official data does not list (yet);
	// nil means the official table decides.
	supplement *supplement
	noAuthZ    bool // $batch: the inner requests are checked instead
	created    int  // status of a successful create, for documentation and tests
}

// supplement is a documented permission entry for a path missing from permissions.json.
type supplement struct {
	Delegated   []string
	Application []string
	Source      string
}

type segKind int

const (
	segLit   segKind = iota // literal, matched case-insensitively
	segParam                // {id}
	segFunc                 // name(...) : function call or alternate key, arguments captured
	segPath                 // drive path-based addressing root:/a/b.txt: , item path captured
)

type node struct {
	lit    map[string]*node
	fn     map[string]*node
	param  *node
	path   *node
	routes map[string]*route
}

func newNode() *node { return &node{lit: map[string]*node{}, fn: map[string]*node{}} }

type router struct {
	root   *node
	routes []*route
	perms  *graphdata.Table
}

// parsedPath is a request path split into segments for matching.
type parsedPath struct {
	segs []pseg
}

type pseg struct {
	kind  segKind
	name  string // literal or function name, lower case
	value string // parameter value, function arguments or item path (unescaped)
}

// templateSegs parses a route template.
func templateSegs(t string) []pseg {
	pre, item, tail, hasPath := splitDrivePath(t)
	var out []pseg
	add := func(s string) {
		for _, p := range strings.Split(strings.Trim(s, "/"), "/") {
			if p == "" {
				continue
			}
			switch {
			case strings.HasPrefix(p, "{"):
				out = append(out, pseg{kind: segParam})
			case strings.Contains(p, "("):
				name := strings.ToLower(p[:strings.IndexByte(p, '(')])
				out = append(out, pseg{kind: segFunc, name: name})
			default:
				out = append(out, pseg{kind: segLit, name: strings.ToLower(p)})
			}
		}
	}
	add(pre)
	if hasPath {
		_ = item
		out = append(out, pseg{kind: segPath})
		add(tail)
	}
	return out
}

// splitDrivePath splits "/me/drive/root:/a/b.txt:/content" into "/me/drive/root",
// "a/b.txt", "/content".
func splitDrivePath(p string) (pre, item, tail string, ok bool) {
	i := strings.Index(p, ":/")
	if i < 0 {
		return p, "", "", false
	}
	pre, rest := p[:i], p[i+2:]
	if j := strings.IndexByte(rest, ':'); j >= 0 {
		return pre, rest[:j], rest[j+1:], true
	}
	return pre, rest, "", true
}

// requestSegs parses an escaped request path (version prefix removed).
func requestSegs(escaped string) (parsedPath, error) {
	pre, item, tail, hasPath := splitDrivePath(escaped)
	var pp parsedPath
	add := func(s string) error {
		for _, p := range strings.Split(strings.Trim(s, "/"), "/") {
			if p == "" {
				continue
			}
			u, err := url.PathUnescape(p)
			if err != nil {
				return err
			}
			if i := strings.IndexByte(u, '('); i > 0 && strings.HasSuffix(u, ")") {
				pp.segs = append(pp.segs, pseg{kind: segFunc, name: strings.ToLower(u[:i]), value: u[i+1 : len(u)-1]})
				continue
			}
			pp.segs = append(pp.segs, pseg{kind: segLit, name: strings.ToLower(u), value: u})
		}
		return nil
	}
	if err := add(pre); err != nil {
		return pp, err
	}
	if hasPath {
		u, err := url.PathUnescape(item)
		if err != nil {
			return pp, err
		}
		pp.segs = append(pp.segs, pseg{kind: segPath, value: strings.Trim(u, "/")})
		if err := add(tail); err != nil {
			return pp, err
		}
	}
	return pp, nil
}

func (rt *router) add(r *route) {
	r.key = graphdata.Normalize(r.template)
	if !r.noAuthZ && r.supplement == nil && !rt.perms.Known(r.method, r.key) {
		panic(fmt.Sprintf("emulator: route %s %s is not in the official permission data; add a documented supplement", r.method, r.template))
	}
	n := rt.root
	for _, s := range templateSegs(r.template) {
		switch s.kind {
		case segLit:
			if n.lit[s.name] == nil {
				n.lit[s.name] = newNode()
			}
			n = n.lit[s.name]
		case segFunc:
			if n.fn[s.name] == nil {
				n.fn[s.name] = newNode()
			}
			n = n.fn[s.name]
		case segParam:
			if n.param == nil {
				n.param = newNode()
			}
			n = n.param
		case segPath:
			if n.path == nil {
				n.path = newNode()
			}
			n = n.path
		}
	}
	if n.routes == nil {
		n.routes = map[string]*route{}
	}
	if _, dup := n.routes[r.method]; dup {
		panic("emulator: duplicate route " + r.method + " " + r.template)
	}
	n.routes[r.method] = r
	rt.routes = append(rt.routes, r)
}

// match finds the route for method and path. It returns the captured parameters, or the
// first unmatched segment (for Graph's "Resource not found for the segment" error), or
// methodNotAllowed when the path exists with other methods.
func (rt *router) match(method string, pp parsedPath) (r *route, params []string, badSeg string, methodNotAllowed bool) {
	var best string
	var walk func(n *node, i int, acc []string) (*route, []string, bool)
	walk = func(n *node, i int, acc []string) (*route, []string, bool) {
		if i == len(pp.segs) {
			if n.routes == nil {
				return nil, nil, false
			}
			if r := n.routes[method]; r != nil {
				return r, acc, false
			}
			return nil, nil, true
		}
		s := pp.segs[i]
		var mna bool
		try := func(next *node, v string, capture bool) (*route, []string, bool) {
			if next == nil {
				return nil, nil, false
			}
			a := acc
			if capture {
				a = append(append([]string(nil), acc...), v)
			}
			r, p, m := walk(next, i+1, a)
			if m {
				mna = true
			}
			return r, p, false
		}
		switch s.kind {
		case segPath:
			if r, p, _ := try(n.path, s.value, true); r != nil {
				return r, p, false
			}
		case segFunc:
			if r, p, _ := try(n.fn[s.name], s.value, true); r != nil {
				return r, p, false
			}
		default:
			if r, p, _ := try(n.lit[s.name], "", false); r != nil {
				return r, p, false
			}
			if r, p, _ := try(n.param, s.value, true); r != nil {
				return r, p, false
			}
		}
		if best == "" && !mna && n.lit[s.name] == nil && n.param == nil && n.fn[s.name] == nil {
			best = s.value
			if best == "" {
				best = s.name
			}
		}
		return nil, nil, mna
	}
	r, params, mna := walk(rt.root, 0, nil)
	if r != nil {
		return r, params, "", false
	}
	if best == "" && len(pp.segs) > 0 {
		best = pp.segs[len(pp.segs)-1].value
	}
	return nil, nil, best, mna
}

// Routes lists the method and template of every Graph route the emulator serves, sorted.
func (e *Emulator) Routes() []RouteInfo {
	var out []RouteInfo
	for _, r := range e.router.routes {
		ri := RouteInfo{Method: r.method, Template: r.template, Key: r.key, Workload: string(r.workload), NoAuthZ: r.noAuthZ}
		if r.supplement != nil {
			ri.Supplement = &Supplement{Delegated: r.supplement.Delegated, Application: r.supplement.Application, Source: r.supplement.Source}
		}
		out = append(out, ri)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Template != out[j].Template {
			return out[i].Template < out[j].Template
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// RouteInfo describes a Graph route for tests and documentation.
type RouteInfo struct {
	Method, Template, Key, Workload string
	NoAuthZ                         bool
	Supplement                      *Supplement
}

// Supplement documents permissions for a path missing from the official data.
type Supplement struct {
	Delegated, Application []string
	Source                 string
}

// AcceptedPermissions returns the permissions the emulator accepts for a route in a scheme
// ("DelegatedWork" or "Application"): from the official table, or the route's supplement.
func (e *Emulator) AcceptedPermissions(method, template, scheme string) []string {
	for _, r := range e.router.routes {
		if r.method == method && r.template == template {
			if r.supplement != nil {
				if scheme == string(graphdata.Application) {
					return r.supplement.Application
				}
				return r.supplement.Delegated
			}
			return e.perms.AcceptedBy(method, r.key, graphdata.Scheme(scheme))
		}
	}
	return nil
}
