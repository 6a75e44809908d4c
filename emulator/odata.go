package emulator

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// obj is a Graph resource as JSON properties.
type obj = map[string]any

// listOpts describe a collection's paging.
type listOpts struct {
	context  string // @odata.context fragment, e.g. "users('id')/messages"
	pageSize int    // default page size
	maxTop   int    // largest $top accepted
}

// list writes a collection with $filter, $search, $orderby, $count, $top/$skip/$skiptoken
// paging and $select applied, in the OData envelope.
func (c *gc) list(items []obj, o listOpts) {
	if o.pageSize == 0 {
		o.pageSize = 100
	}
	if o.maxTop == 0 {
		o.maxTop = 999
	}
	if f := c.query.Get("$filter"); f != "" {
		pred, err := parseFilter(f)
		if err != nil {
			c.fail(gerr(400, "BadRequest", "Invalid filter clause: %s", err.Error()))
			return
		}
		var kept []obj
		for _, it := range items {
			if pred(it) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if s := strings.Trim(c.query.Get("$search"), `"`); s != "" {
		var kept []obj
		for _, it := range items {
			if matchesSearch(it, s) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if ob := c.query.Get("$orderby"); ob != "" {
		field, dir, _ := strings.Cut(strings.TrimSpace(ob), " ")
		desc := strings.EqualFold(strings.TrimSpace(dir), "desc")
		sorted := append([]obj(nil), items...)
		sort.SliceStable(sorted, func(i, j int) bool {
			a, b := fmt.Sprint(lookupPath(sorted[i], field)), fmt.Sprint(lookupPath(sorted[j], field))
			if desc {
				return a > b
			}
			return a < b
		})
		items = sorted
	}
	total := len(items)
	size := o.pageSize
	if t := c.query.Get("$top"); t != "" {
		n, _ := strconv.Atoi(t)
		if n > o.maxTop {
			c.fail(gerr(400, "BadRequest", "Invalid page size specified: '%d'. Must be between 1 and %d inclusive.", n, o.maxTop))
			return
		}
		if n > 0 {
			size = n
		}
	}
	skip := 0
	if s := c.query.Get("$skip"); s != "" {
		skip, _ = strconv.Atoi(s)
	}
	if st := c.query.Get("$skiptoken"); st != "" {
		b, err := base64.RawURLEncoding.DecodeString(st)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(b), "o:") {
			c.fail(gerr(400, "BadRequest", "The $skiptoken is invalid or has expired."))
			return
		}
		skip = n
	}
	if skip > len(items) {
		skip = len(items)
	}
	end := skip + size
	if end > len(items) {
		end = len(items)
	}
	page := items[skip:end]
	out := make([]obj, 0, len(page))
	for _, it := range page {
		out = append(out, c.project(it))
	}
	resp := obj{"@odata.context": c.context(o.context), "value": out}
	if strings.EqualFold(c.query.Get("$count"), "true") {
		resp["@odata.count"] = total
	}
	if end < len(items) {
		q := url.Values{}
		for k, v := range c.query {
			if k != "$skip" && k != "$skiptoken" {
				q[k] = v
			}
		}
		if c.query.Get("$top") == "" {
			q.Set("$top", strconv.Itoa(size))
		}
		q.Set("$skiptoken", base64.RawURLEncoding.EncodeToString([]byte("o:"+strconv.Itoa(end))))
		resp["@odata.nextLink"] = c.base + c.rawPath() + "?" + q.Encode()
	}
	c.writeJSON(200, resp)
}

// entity writes one resource with $select applied.
func (c *gc) entity(status int, context string, it obj) {
	out := c.project(it)
	withCtx := obj{"@odata.context": c.context(context)}
	for k, v := range out {
		withCtx[k] = v
	}
	c.writeJSON(status, withCtx)
}

// project applies $select. Outlook, OneDrive and the other workloads always return id and
// @odata annotations; directory objects return only what was selected.
func (c *gc) project(it obj) obj {
	sel := c.query.Get("$select")
	if sel == "" {
		return it
	}
	directory := c.route != nil && (c.route.workload == wlDirectory || c.route.workload == wlApps)
	out := obj{}
	for _, f := range strings.Split(sel, ",") {
		f = strings.TrimSpace(f)
		for k, v := range it {
			if strings.EqualFold(k, f) {
				out[k] = v
			}
		}
	}
	for k, v := range it {
		if (k == "id" && !directory) || strings.HasPrefix(k, "@odata.") {
			out[k] = v
		}
	}
	return out
}

func lookupPath(it obj, path string) any {
	var cur any = it
	for _, p := range strings.Split(path, "/") {
		m, ok := cur.(obj)
		if !ok {
			return nil
		}
		var found any
		for k, v := range m {
			if strings.EqualFold(k, p) {
				found = v
				break
			}
		}
		cur = found
	}
	return cur
}

func matchesSearch(it obj, s string) bool {
	s = strings.ToLower(s)
	if i := strings.IndexByte(s, ':'); i > 0 {
		s = s[i+1:]
	}
	for _, k := range []string{"subject", "displayName", "name", "bodyPreview", "title", "mail", "userPrincipalName"} {
		if v, ok := it[k].(string); ok && strings.Contains(strings.ToLower(v), s) {
			return true
		}
	}
	return false
}

// parseFilter supports the small OData subset real clients of these endpoints use:
// comparisons (eq, ne, gt, ge, lt, le) of a property path with a string, number, boolean or
// null literal, startswith(prop,'x'), and 'and'/'or' without parentheses ('and' binds
// tighter). Anything else is a 400, as Graph answers for unsupported filters.
func parseFilter(f string) (func(obj) bool, error) {
	var ors []func(obj) bool
	for _, orPart := range splitKeyword(f, " or ") {
		var ands []func(obj) bool
		for _, clause := range splitKeyword(orPart, " and ") {
			p, err := parseClause(strings.TrimSpace(clause))
			if err != nil {
				return nil, err
			}
			ands = append(ands, p)
		}
		ors = append(ors, func(it obj) bool {
			for _, a := range ands {
				if !a(it) {
					return false
				}
			}
			return true
		})
	}
	return func(it obj) bool {
		for _, o := range ors {
			if o(it) {
				return true
			}
		}
		return false
	}, nil
}

// splitKeyword splits on a keyword outside single quotes.
func splitKeyword(s, kw string) []string {
	var out []string
	inQ := false
	last := 0
	lower := strings.ToLower(s)
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			inQ = !inQ
		}
		if !inQ && strings.HasPrefix(lower[i:], kw) {
			out = append(out, s[last:i])
			last = i + len(kw)
			i += len(kw) - 1
		}
	}
	return append(out, s[last:])
}

func parseClause(cl string) (func(obj) bool, error) {
	lc := strings.ToLower(cl)
	if strings.HasPrefix(lc, "startswith(") && strings.HasSuffix(cl, ")") {
		inner := cl[len("startswith(") : len(cl)-1]
		prop, lit, ok := strings.Cut(inner, ",")
		if !ok {
			return nil, fmt.Errorf("startswith needs two arguments")
		}
		val, err := literal(strings.TrimSpace(lit))
		if err != nil {
			return nil, err
		}
		prop = strings.TrimSpace(prop)
		return func(it obj) bool {
			s, _ := lookupPath(it, prop).(string)
			vs, _ := val.(string)
			return strings.HasPrefix(strings.ToLower(s), strings.ToLower(vs))
		}, nil
	}
	parts := strings.SplitN(cl, " ", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("unsupported expression %q", cl)
	}
	prop, op := parts[0], strings.ToLower(parts[1])
	val, err := literal(strings.TrimSpace(parts[2]))
	if err != nil {
		return nil, err
	}
	cmp := func(it obj) int {
		got := lookupPath(it, prop)
		switch v := val.(type) {
		case nil:
			if got == nil {
				return 0
			}
			return 1
		case float64:
			g, ok := toFloat(got)
			if !ok {
				return 2
			}
			switch {
			case g < v:
				return -1
			case g > v:
				return 1
			}
			return 0
		case bool:
			if b, ok := got.(bool); ok && b == v {
				return 0
			}
			return 2
		default:
			return strings.Compare(strings.ToLower(fmt.Sprint(got)), strings.ToLower(v.(string)))
		}
	}
	switch op {
	case "eq":
		return func(it obj) bool { return cmp(it) == 0 }, nil
	case "ne":
		return func(it obj) bool { return cmp(it) != 0 }, nil
	case "gt":
		return func(it obj) bool { return cmp(it) == 1 }, nil
	case "ge":
		return func(it obj) bool { r := cmp(it); return r == 0 || r == 1 }, nil
	case "lt":
		return func(it obj) bool { return cmp(it) == -1 }, nil
	case "le":
		return func(it obj) bool { r := cmp(it); return r == 0 || r == -1 }, nil
	}
	return nil, fmt.Errorf("unsupported operator %q", op)
}

func literal(s string) (any, error) {
	switch {
	case strings.HasPrefix(s, "'") && strings.HasSuffix(s, "'") && len(s) >= 2:
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	case s == "null":
		return nil, nil
	case s == "true" || s == "false":
		return s == "true", nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, nil
	}
	// Dates and GUIDs appear unquoted in some filters.
	if len(s) > 0 && (s[0] >= '0' && s[0] <= '9') {
		return s, nil
	}
	return nil, fmt.Errorf("unsupported literal %q", s)
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}
