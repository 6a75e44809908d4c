// Package activity is e5renew's catalog: what a developer's test app would do with
// Microsoft Graph, one small declaration per activity. Each declares its workload, the calls
// it makes (method, path, version), the permissions it needs for delegated and application
// sign-in, whether it writes, and how to remove what it creates. A test proves every call is
// listed under the declared permission in Microsoft's official permission data.
package activity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/graphdata"
	"github.com/e5renew/e5renew/internal/i18n"
)

// Workload groups activities by Microsoft 365 service.
type Workload string

// The workloads.
const (
	User         Workload = "user"
	Directory    Workload = "directory"
	Organization Workload = "organization"
	Groups       Workload = "groups"
	Devices      Workload = "devices"
	Mail         Workload = "mail"
	Mailbox      Workload = "mailbox"
	Calendar     Workload = "calendar"
	Contacts     Workload = "contacts"
	OneDrive     Workload = "onedrive"
	OneNote      Workload = "onenote"
	ToDo         Workload = "todo"
	SharePoint   Workload = "sharepoint"
	Teams        Workload = "teams"
	People       Workload = "people"
	Presence     Workload = "presence"
	Insights     Workload = "insights"
	Planner      Workload = "planner"
)

// Call is one Graph request an activity may make, in its delegated form: per-user paths
// start with /me (application accounts call /users/{id} instead); others are global.
type Call struct {
	Method  string
	Path    string // template with {id} for ids: "/me/messages/{id}"
	Version string // "v1.0" when empty
}

// Activity is one catalog entry.
type Activity struct {
	Name     string // stable: "<workload>.<verb>", e.g. "mail.send_self"
	Workload Workload
	Title    i18n.Text
	Write    bool
	Calls    []Call
	// Delegated and Application are the least-privileged permissions the activity needs
	// with a delegated or an application token. Application is empty when the activity is
	// not available app-only; AppNote says why.
	Delegated   []string
	Application []string
	AppNote     string
	// Run performs the activity. Objects it creates go through x.Create so the journal
	// knows them before the creating call is sent.
	Run func(ctx context.Context, x *Exec) error
}

// AppOnly reports whether the activity can run with an application token.
func (a *Activity) AppOnly() bool { return len(a.Application) > 0 }

// Permissions returns the declared permissions for the scheme.
func (a *Activity) Permissions(delegated bool) []string {
	if delegated {
		return a.Delegated
	}
	return a.Application
}

// AppPath turns a delegated path into its application form.
func AppPath(p string) string {
	if p == "/me" || strings.HasPrefix(p, "/me/") {
		return "/users/{id}" + strings.TrimPrefix(p, "/me")
	}
	return p
}

var (
	regMu    sync.Mutex
	registry = map[string]*Activity{}
)

// register adds activities to the catalog at init time.
func register(as ...*Activity) {
	regMu.Lock()
	defer regMu.Unlock()
	for _, a := range as {
		if a.Name == "" || a.Run == nil || len(a.Calls) == 0 || len(a.Delegated) == 0 {
			panic("activity: incomplete declaration " + a.Name)
		}
		if _, dup := registry[a.Name]; dup {
			panic("activity: duplicate name " + a.Name)
		}
		registry[a.Name] = a
	}
}

// All returns the catalog sorted by workload and name.
func All() []*Activity {
	regMu.Lock()
	defer regMu.Unlock()
	out := make([]*Activity, 0, len(registry))
	for _, a := range registry {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Workload != out[j].Workload {
			return out[i].Workload < out[j].Workload
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Lookup finds an activity by name.
func Lookup(name string) (*Activity, bool) {
	regMu.Lock()
	defer regMu.Unlock()
	a, ok := registry[name]
	return a, ok
}

// Workloads lists the workloads that have activities.
func Workloads() []Workload {
	seen := map[Workload]bool{}
	var out []Workload
	for _, a := range All() {
		if !seen[a.Workload] {
			seen[a.Workload] = true
			out = append(out, a.Workload)
		}
	}
	return out
}

// Supplements are permissions for Graph paths missing from Microsoft's permission data
// (protocol.md §4.1: /directory/subscriptions). The emulator carries the same supplement.
var Supplements = map[string]struct{ Delegated, Application []string }{
	"GET /directory/subscriptions": {Delegated: []string{"Organization.Read.All", "Directory.Read.All"},
		Application: []string{"Organization.Read.All", "Directory.Read.All", "Organization.ReadWrite.All"}},
}

// Runnable reports whether a token holding perms (scp or roles) may make every call of the
// activity, and if not, which declared permission is missing. The official table decides,
// so a token with a higher-privileged permission than the declared one also qualifies.
func (a *Activity) Runnable(tab *graphdata.Table, delegated bool, perms []string) (bool, []string) {
	if !delegated && !a.AppOnly() {
		return false, nil
	}
	if !callsAccepted(tab, a.Calls, delegated, perms) {
		return false, a.Permissions(delegated)
	}
	return true, nil
}

// callsAccepted reports whether a token holding perms may make every one of calls, written
// in their delegated form (/me/...; an application token makes them on /users/{id}).
func callsAccepted(tab *graphdata.Table, calls []Call, delegated bool, perms []string) bool {
	scheme := graphdata.DelegatedWork
	if !delegated {
		scheme = graphdata.Application
	}
	for _, c := range calls {
		p := c.Path
		if !delegated {
			p = AppPath(p)
		}
		if !callAccepted(tab, c.Method, p, scheme, perms) {
			return false
		}
	}
	return true
}

func callAccepted(tab *graphdata.Table, method, path string, scheme graphdata.Scheme, perms []string) bool {
	if s, ok := Supplements[method+" "+graphdata.Normalize(path)]; ok {
		list := s.Delegated
		if scheme == graphdata.Application {
			list = s.Application
		}
		for _, p := range perms {
			for _, l := range list {
				if strings.EqualFold(p, l) {
					return true
				}
			}
		}
		return false
	}
	return tab.Accepts(method, path, scheme, perms)
}

// --- execution -------------------------------------------------------------------------

// Exec is what an activity runs with: the Graph client of the account, where the user's
// resources are, randomness, content, the clock and the cleanup journal.
type Exec struct {
	Graph   *graph.Client
	Account string
	// Me is "/me" for delegated accounts and "/users/{upn}" for application accounts.
	Me string
	// Mailbox keys the per-mailbox concurrency limit (the user's UPN or id).
	Mailbox string
	// UPN is the user's address (messages to oneself go there).
	UPN     string
	AppOnly bool
	Rand    *rand.Rand
	Content *Content
	Now     func() time.Time
	Loc     *time.Location
	Journal Journal
	// Round identifies the round, for markers and logs.
	Round string
	// BeforeCall, when set, runs before every Graph call (the round's random pause between
	// calls, so activity looks human rather than scripted).
	BeforeCall func(ctx context.Context) error

	shared *containerCache // shared by the forks of one round's Exec

	mu      sync.Mutex
	calls   int
	lastReq string
}

type containerCache struct {
	mu sync.Mutex
	m  map[string]string
}

// Fork returns an Exec for one activity: the same account, clients and per-round container
// cache, with its own call statistics and its own random source (drawn from x's, so a
// seeded round stays repeatable). Activities of a round run concurrently, and a rand.Rand
// is not safe for concurrent use: fork before starting them.
func (x *Exec) Fork() *Exec {
	x.mu.Lock()
	if x.shared == nil {
		x.shared = &containerCache{}
	}
	r := rand.New(rand.NewPCG(x.Rand.Uint64(), x.Rand.Uint64()))
	x.mu.Unlock()
	return &Exec{Graph: x.Graph, Account: x.Account, Me: x.Me, Mailbox: x.Mailbox, UPN: x.UPN, AppOnly: x.AppOnly, Rand: r,
		Content: &Content{R: r}, Now: x.Now, Loc: x.Loc, Journal: x.Journal, Round: x.Round, BeforeCall: x.BeforeCall, shared: x.shared}
}

// P returns a per-user path: x.P("/messages") is "/me/messages" or "/users/{upn}/messages".
func (x *Exec) P(suffix string) string { return x.Me + suffix }

// Do sends a request, applying the mailbox limit to per-user paths, and remembers the last
// request-id for the report.
func (x *Exec) Do(ctx context.Context, r graph.Request) (*graph.Response, error) {
	if strings.HasPrefix(r.Path, x.Me+"/") || r.Path == x.Me {
		r.Mailbox = x.Mailbox
	}
	if x.BeforeCall != nil {
		if err := x.BeforeCall(ctx); err != nil {
			return nil, err
		}
	}
	resp, err := x.Graph.Do(ctx, r)
	x.mu.Lock()
	x.calls++
	if resp != nil && resp.RequestID != "" { // a followed redirect (downloads) carries none
		x.lastReq = resp.RequestID
	}
	if ge, ok := graph.AsError(err); ok && ge.RequestID != "" {
		x.lastReq = ge.RequestID
	}
	x.mu.Unlock()
	return resp, err
}

// Get sends a GET and decodes the answer into out (which may be nil).
func (x *Exec) Get(ctx context.Context, path string, q url.Values, out any) error {
	resp, err := x.Do(ctx, graph.Request{Method: "GET", Path: path, Query: q})
	if err != nil {
		return err
	}
	if out != nil {
		return resp.JSON(out)
	}
	return nil
}

// Send sends a request with a JSON body (nil for none) and decodes the answer into out.
func (x *Exec) Send(ctx context.Context, method, path string, body, out any) error {
	resp, err := x.Do(ctx, graph.Request{Method: method, Path: path, Body: body})
	if err != nil {
		return err
	}
	if out != nil && len(resp.Body) > 0 {
		return resp.JSON(out)
	}
	return nil
}

// Stats returns the calls made and the last request-id seen.
func (x *Exec) Stats() (calls int, lastRequestID string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.calls, x.lastReq
}

// Q builds query values from pairs: Q("$top", "5", "$select", "id").
func Q(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

// Container returns the id of a per-round container (folder, list, notebook...), calling
// ensure once per round for each key.
func (x *Exec) Container(ctx context.Context, key string, ensure func() (string, error)) (string, error) {
	x.mu.Lock()
	if x.shared == nil {
		x.shared = &containerCache{}
	}
	c := x.shared
	x.mu.Unlock()
	// Holding the cache lock while ensuring makes concurrent activities wait for one
	// container instead of creating two.
	c.mu.Lock()
	defer c.mu.Unlock()
	if id, ok := c.m[key]; ok {
		return id, nil
	}
	id, err := ensure()
	if err != nil {
		return "", err
	}
	if c.m == nil {
		c.m = map[string]string{}
	}
	c.m[key] = id
	return id, nil
}

// ErrSkip makes an activity report itself as skipped with a reason (for example: the user
// has no team to list channels of).
type ErrSkip struct{ Reason string }

func (e *ErrSkip) Error() string { return "skipped: " + e.Reason }

// Skip returns an ErrSkip.
func Skip(format string, args ...any) error { return &ErrSkip{Reason: fmt.Sprintf(format, args...)} }

// IsSkip reports whether err asks to skip.
func IsSkip(err error) (string, bool) {
	var s *ErrSkip
	if errors.As(err, &s) {
		return s.Reason, true
	}
	return "", false
}

// each reads a collection page by page, following @odata.nextLink, and calls fn for each
// item decoded into a T, up to limit items (0: all). Pages go through x.Do, so they count
// and pause like any other call of the round.
func each[T any](ctx context.Context, x *Exec, path string, q url.Values, limit int, fn func(T) error) error {
	return x.Graph.ListWith(ctx, x.Do, graph.Request{Method: "GET", Path: path, Query: q}, limit, func(raw json.RawMessage) error {
		var it T
		if err := json.Unmarshal(raw, &it); err != nil {
			return err
		}
		return fn(it)
	})
}

// list is a helper for collection answers.
type list[T any] struct {
	Value []T `json:"value"`
}

// idOnly decodes the id of an object.
type idOnly struct {
	ID string `json:"id"`
}
