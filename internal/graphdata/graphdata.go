// Package graphdata gives access to Microsoft's official Microsoft Graph permission data
// (microsoftgraph/microsoft-graph-devx-content, permissions/new/permissions.json and
// provisioningInfo.json), embedded unchanged (gzip-compressed) so the binary needs no network.
//
// The same table serves three purposes: the emulated tenant checks every Graph request against
// it, the activity catalog declares its permissions from it, and automated app registration
// takes the permission GUIDs from it. Tests prove the embedded copies equal the files in
// ../shared/graph-data.
package graphdata

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
)

//go:embed permissions.json.gz
var permissionsGz []byte

//go:embed provisioningInfo.json.gz
var provisioningGz []byte

// GraphAppID is the application (client) id of Microsoft Graph, the resource every
// permission in this table belongs to.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// Scheme is a permission scheme as the official data names it.
type Scheme string

// The schemes used by the official data.
const (
	DelegatedWork     Scheme = "DelegatedWork"
	DelegatedPersonal Scheme = "DelegatedPersonal"
	Application       Scheme = "Application"
)

// Grant says that one permission is accepted for one method and path in some schemes.
type Grant struct {
	Permission string
	Schemes    []Scheme
	// Least lists the schemes in which this permission is marked least privileged.
	Least []Scheme
	// AlsoRequires lists permissions of which the caller must hold at least one as well.
	AlsoRequires []string
}

// HasScheme reports whether the grant applies to the scheme s.
func (g Grant) HasScheme(s Scheme) bool {
	for _, x := range g.Schemes {
		if x == s {
			return true
		}
	}
	return false
}

// IsLeast reports whether the grant is marked least privileged for scheme s.
func (g Grant) IsLeast(s Scheme) bool {
	for _, x := range g.Least {
		if x == s {
			return true
		}
	}
	return false
}

// PermissionInfo describes one permission in one scheme.
type PermissionInfo struct {
	Name                 string
	Scheme               Scheme
	AdminDisplayName     string
	RequiresAdminConsent bool
	PrivilegeLevel       int // 1 (least) to 5, as the data rates it
}

// Table is the parsed permission data, keyed by method and normalised path.
type Table struct {
	grants map[string][]Grant
	info   map[string]map[Scheme]PermissionInfo
}

type rawFile struct {
	Permissions map[string]struct {
		Schemes map[Scheme]struct {
			AdminDisplayName     string `json:"adminDisplayName"`
			RequiresAdminConsent bool   `json:"requiresAdminConsent"`
			PrivilegeLevel       int    `json:"privilegeLevel"`
		} `json:"schemes"`
		PathSets []struct {
			SchemeKeys []Scheme          `json:"schemeKeys"`
			Methods    []string          `json:"methods"`
			Paths      map[string]string `json:"paths"`
		} `json:"pathSets"`
	} `json:"permissions"`
}

var (
	loadOnce sync.Once
	loaded   *Table
	loadErr  error
)

// Load returns the table parsed from the embedded official data. It is parsed once.
func Load() (*Table, error) {
	loadOnce.Do(func() {
		var raw []byte
		raw, loadErr = gunzip(permissionsGz)
		if loadErr == nil {
			loaded, loadErr = Parse(raw)
		}
	})
	return loaded, loadErr
}

// MustLoad is Load for callers that cannot continue without the table (the data is embedded,
// so a failure is a build defect, not a runtime condition).
func MustLoad() *Table {
	t, err := Load()
	if err != nil {
		panic("graphdata: embedded permission data is corrupt: " + err.Error())
	}
	return t
}

// PermissionsJSON returns the embedded permissions.json exactly as published.
func PermissionsJSON() ([]byte, error) { return gunzip(permissionsGz) }

// ProvisioningJSON returns the embedded provisioningInfo.json exactly as published.
func ProvisioningJSON() ([]byte, error) { return gunzip(provisioningGz) }

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// Parse builds a table from the contents of a permissions.json file.
func Parse(data []byte) (*Table, error) {
	var f rawFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse permissions.json: %w", err)
	}
	if len(f.Permissions) == 0 {
		return nil, fmt.Errorf("parse permissions.json: no permissions found")
	}
	t := &Table{grants: map[string][]Grant{}, info: map[string]map[Scheme]PermissionInfo{}}
	for name, p := range f.Permissions {
		infos := map[Scheme]PermissionInfo{}
		t.info[strings.ToLower(name)] = infos
		for s, si := range p.Schemes {
			infos[s] = PermissionInfo{Name: name, Scheme: s, AdminDisplayName: si.AdminDisplayName, RequiresAdminConsent: si.RequiresAdminConsent, PrivilegeLevel: si.PrivilegeLevel}
		}
		for _, ps := range p.PathSets {
			for path, marker := range ps.Paths {
				least, also := parseMarker(marker)
				np := Normalize(path)
				for _, m := range ps.Methods {
					k := key(m, np)
					t.grants[k] = mergeGrant(t.grants[k], Grant{
						Permission:   name,
						Schemes:      append([]Scheme(nil), ps.SchemeKeys...),
						Least:        least,
						AlsoRequires: also,
					})
				}
			}
		}
	}
	for k := range t.grants {
		g := t.grants[k]
		sort.Slice(g, func(i, j int) bool { return g[i].Permission < g[j].Permission })
	}
	return t, nil
}

// mergeGrant adds g to gs, merging with an existing grant for the same permission (the same
// permission may reach one normalised path through several pathSets or path spellings).
func mergeGrant(gs []Grant, g Grant) []Grant {
	for i := range gs {
		if gs[i].Permission != g.Permission {
			continue
		}
		gs[i].Schemes = unionSchemes(gs[i].Schemes, g.Schemes)
		gs[i].Least = unionSchemes(gs[i].Least, g.Least)
		for _, a := range g.AlsoRequires {
			if !contains(gs[i].AlsoRequires, a) {
				gs[i].AlsoRequires = append(gs[i].AlsoRequires, a)
			}
		}
		return gs
	}
	return append(gs, g)
}

func unionSchemes(a, b []Scheme) []Scheme {
	for _, s := range b {
		found := false
		for _, x := range a {
			if x == s {
				found = true
				break
			}
		}
		if !found {
			a = append(a, s)
		}
	}
	return a
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseMarker reads "least=DelegatedWork,Application;AlsoRequires=A,B".
func parseMarker(m string) (least []Scheme, also []string) {
	for _, part := range strings.Split(m, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(k) {
		case "least":
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					least = append(least, Scheme(s))
				}
			}
		case "alsorequires":
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					also = append(also, s)
				}
			}
		}
	}
	return least, also
}

func key(method, normPath string) string { return strings.ToUpper(method) + " " + normPath }

var (
	reParam      = regexp.MustCompile(`\{[^{}]*\}`)
	reKeyLiteral = regexp.MustCompile(`\(([a-z0-9_]+)='[^']*'\)`)
)

// Normalize turns a Graph path template or a path from the official data into the form used
// as a table key: no version prefix or query, lowercase, every parameter written {id}, and
// path-based drive addressing (root:/folder/file.txt:/content) written root:/{id}:/content.
func Normalize(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	p = strings.ToLower(strings.TrimSpace(p))
	for _, v := range []string{"/v1.0/", "/beta/"} {
		if strings.HasPrefix(p, v) {
			p = p[len(v)-1:]
		}
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	p = reParam.ReplaceAllString(p, "{id}")
	p = reKeyLiteral.ReplaceAllString(p, "($1={id})")
	p = normalizeDrivePath(p)
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

// normalizeDrivePath rewrites path-based addressing: the item path after "root:/" (or
// "items/{id}:/") becomes {id}, up to the closing colon if there is one.
func normalizeDrivePath(p string) string {
	i := strings.Index(p, ":/")
	if i < 0 {
		return p
	}
	rest := p[i+2:]
	if j := strings.IndexByte(rest, ':'); j >= 0 {
		return p[:i] + ":/{id}" + rest[j:]
	}
	return p[:i] + ":/{id}"
}

// Grants returns the permissions accepted for method and path (a template or a path from the
// official data; it is normalised here).
func (t *Table) Grants(method, path string) []Grant {
	return t.grants[key(method, Normalize(path))]
}

// Known reports whether the official data lists method and path at all.
func (t *Table) Known(method, path string) bool {
	return len(t.Grants(method, path)) > 0
}

// Accepts reports whether a caller holding the permissions held (scp or roles of a token) in
// scheme s may call method on path, honouring AlsoRequires markers.
func (t *Table) Accepts(method, path string, s Scheme, held []string) bool {
	return acceptsGrants(t.Grants(method, path), s, held)
}

func acceptsGrants(grants []Grant, s Scheme, held []string) bool {
	has := func(p string) bool {
		for _, h := range held {
			if strings.EqualFold(h, p) {
				return true
			}
		}
		return false
	}
	for _, g := range grants {
		if !g.HasScheme(s) || !has(g.Permission) {
			continue
		}
		if len(g.AlsoRequires) == 0 {
			return true
		}
		for _, a := range g.AlsoRequires {
			if has(a) {
				return true
			}
		}
	}
	return false
}

// AcceptedBy lists the permissions accepted for method and path in scheme s, least
// privileged first.
func (t *Table) AcceptedBy(method, path string, s Scheme) []string {
	var least, other []string
	for _, g := range t.Grants(method, path) {
		if !g.HasScheme(s) {
			continue
		}
		if g.IsLeast(s) {
			least = append(least, g.Permission)
		} else {
			other = append(other, g.Permission)
		}
	}
	return append(least, other...)
}

// Info describes a permission in a scheme.
func (t *Table) Info(name string, s Scheme) (PermissionInfo, bool) {
	pi, ok := t.info[strings.ToLower(name)][s]
	return pi, ok
}

// Permissions lists the names of every permission that exists in scheme s.
func (t *Table) Permissions(s Scheme) []string {
	var out []string
	for _, m := range t.info {
		if pi, ok := m[s]; ok {
			out = append(out, pi.Name)
		}
	}
	sort.Strings(out)
	return out
}

// Len is the number of distinct (method, normalised path) keys.
func (t *Table) Len() int { return len(t.grants) }
