package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
)

type stats struct {
	mu        sync.Mutex
	requests  map[string]int64
	tokens    map[string]int64
	tokenErrs map[string]int64
	denials   map[string]int64
	faults    map[string]int64
}

func newStats() *stats {
	return &stats{requests: map[string]int64{}, tokens: map[string]int64{}, tokenErrs: map[string]int64{},
		denials: map[string]int64{}, faults: map[string]int64{}}
}

func (s *stats) request(method, template string, status int) {
	s.mu.Lock()
	s.requests[fmt.Sprintf("%s %s %d", method, template, status)]++
	s.mu.Unlock()
}

func (s *stats) token(grant string) {
	s.mu.Lock()
	s.tokens[grant]++
	s.mu.Unlock()
}

func (s *stats) tokenError(code int) {
	s.mu.Lock()
	s.tokenErrs[fmt.Sprintf("AADSTS%d", code)]++
	s.mu.Unlock()
}

func (s *stats) denied(k string) {
	s.mu.Lock()
	s.denials[k]++
	s.mu.Unlock()
}

func (s *stats) fault(k string) {
	s.mu.Lock()
	s.faults[k]++
	s.mu.Unlock()
}

// Stats is what GET /_emulator/stats returns.
type Stats struct {
	// Requests counts Graph requests by "METHOD template status", for example
	// "GET /me/messages 200".
	Requests map[string]int64 `json:"requests"`
	// TokensIssued counts successful token responses by grant type.
	TokensIssued map[string]int64 `json:"tokensIssued"`
	// TokenErrors counts token endpoint errors by AADSTS code.
	TokenErrors map[string]int64 `json:"tokenErrors"`
	// PermissionDenials counts 403s by "METHOD template".
	PermissionDenials map[string]int64 `json:"permissionDenials"`
	// Faults counts injected faults: throttled, serverError, dropped, mailboxConcurrency.
	Faults map[string]int64 `json:"faults"`
	// LiveArtifacts counts objects created by clients and not yet deleted, by user (UPN)
	// and kind.
	LiveArtifacts map[string]map[string]int `json:"liveArtifacts"`
	// LiveArtifactsTotal is the sum of LiveArtifacts.
	LiveArtifactsTotal int `json:"liveArtifactsTotal"`
	// PermanentArtifacts counts client-created containers that Microsoft Graph offers no way
	// to delete (no DELETE in the official permission data): OneNote notebooks and sections,
	// SharePoint lists. A well-behaved client creates them once and reuses them.
	PermanentArtifacts map[string]map[string]int `json:"permanentArtifacts"`
}

// permanentKinds are artifact kinds with no DELETE in permissions.json.
var permanentKinds = map[string]bool{"notebook": true, "onenoteSection": true, "list": true}

// Stats returns a snapshot of what the emulator has seen.
func (e *Emulator) Stats() Stats {
	s := e.stats
	s.mu.Lock()
	out := Stats{Requests: copyMap(s.requests), TokensIssued: copyMap(s.tokens), TokenErrors: copyMap(s.tokenErrs),
		PermissionDenials: copyMap(s.denials), Faults: copyMap(s.faults), LiveArtifacts: map[string]map[string]int{},
		PermanentArtifacts: map[string]map[string]int{}}
	add := func(who, kind string, n int) {
		m := out.LiveArtifacts
		if permanentKinds[kind] {
			m = out.PermanentArtifacts
		}
		if m[who] == nil {
			m[who] = map[string]int{}
		}
		m[who][kind] += n
		if !permanentKinds[kind] {
			out.LiveArtifactsTotal += n
		}
	}
	s.mu.Unlock()
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, t := range e.tenants {
		for _, u := range t.users {
			if u.data == nil {
				continue
			}
			for kind, n := range u.data.liveArtifacts() {
				add(u.UPN, kind, n)
			}
		}
		if t.data != nil {
			for key, n := range t.data.liveArtifacts() {
				who, kind, _ := strings.Cut(key, "|")
				add(who, kind, n)
			}
		}
		for _, a := range e.apps {
			if a.HomeTenant == t.ID && a.CreatedBy != "" {
				add(a.CreatedBy, "application", 1)
			}
		}
	}
	return out
}

func copyMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// RequestCount sums Requests entries whose key starts with prefix ("GET /me" counts every
// status of that route).
func (s Stats) RequestCount(prefix string) int64 {
	var n int64
	for k, v := range s.Requests {
		if strings.HasPrefix(k, prefix+" ") || k == prefix {
			n += v
		}
	}
	return n
}

func (e *Emulator) serveInspection(w http.ResponseWriter, r *http.Request) {
	sub := strings.TrimPrefix(r.URL.Path, "/_emulator")
	switch {
	case strings.HasPrefix(sub, "/download/"):
		e.serveDownload(w, r)
		return
	case strings.HasPrefix(sub, "/upload/"):
		e.serveUpload(w, r)
		return
	}
	switch sub {
	case "/stats":
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(e.Stats())
	case "/routes":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(e.Routes())
	default:
		http.NotFound(w, r)
	}
}

// mailboxLimiter counts in-flight Outlook requests per app and mailbox.
type mailboxLimiter struct {
	mu       sync.Mutex
	inflight map[string]int
}

func newMailboxLimiter() *mailboxLimiter { return &mailboxLimiter{inflight: map[string]int{}} }

func (m *mailboxLimiter) acquire(key string, limit int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.inflight[key] >= limit {
		return false
	}
	m.inflight[key]++
	return true
}

func (m *mailboxLimiter) release(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.inflight[key]--; m.inflight[key] <= 0 {
		delete(m.inflight, key)
	}
}

// sortedKeys is used by pages and tests for stable output.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
