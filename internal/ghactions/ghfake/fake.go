// Package ghfake is a local fake of the few GitHub REST API endpoints that the GitHub
// Actions mode uses, behaving like api.github.com as far as the documentation and
// observed answers tell:
//
//	GET  /repos/{owner}/{repo}/actions/secrets/public-key
//	PUT  /repos/{owner}/{repo}/actions/secrets/{secret_name}
//	GET  /repos/{owner}/{repo}/actions/workflows/{workflow_id}
//	PUT  /repos/{owner}/{repo}/actions/workflows/{workflow_id}/enable
//
// Each repository has a real Curve25519 key pair; a secret written through the API is
// opened with the private key (libsodium's sealed box) and kept in plain text, so tests
// can assert what was written. Tokens model classic personal access tokens (scopes,
// reported in X-OAuth-Scopes), fine-grained personal access tokens (per-repository
// permissions) and the GITHUB_TOKEN of a workflow (which has no secrets permission at
// all). Errors carry GitHub's JSON body ({"message", "documentation_url", "status"}).
// Faults (server errors, rate limits) can be injected, and every request is recorded.
//
// The fake imports nothing of the client it serves, so it checks the client rather
// than mirroring it.
package ghfake

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/nacl/box"
)

// Perm is a fine-grained permission level.
type Perm int

// Permission levels.
const (
	NoAccess Perm = iota
	Read
	Write
)

func (p Perm) String() string {
	switch p {
	case Read:
		return "read"
	case Write:
		return "write"
	}
	return "none"
}

// Kind is the kind of a token.
type Kind int

// Token kinds.
const (
	// Classic is a personal access token (classic), ghp_…: scopes, reported in the
	// X-OAuth-Scopes response header.
	Classic Kind = iota + 1
	// FineGrained is a fine-grained personal access token, github_pat_…: permissions per
	// repository, no X-OAuth-Scopes header.
	FineGrained
	// Actions is the GITHUB_TOKEN of a workflow run, ghs_…: valid for its own repository
	// only, with the permissions of the workflow's `permissions:` key, among which there
	// is no secrets permission.
	Actions
)

// Token describes what a token may do.
type Token struct {
	Kind Kind
	// Scopes of a Classic token, e.g. "repo", "public_repo", "workflow".
	Scopes []string
	// Secrets and Actions are the repository permissions of a FineGrained token, and
	// (Actions only) of an Actions token. An Actions token never has Secrets.
	Secrets Perm
	Actions Perm
	// Repos are the repositories ("owner/name") a FineGrained token was given; empty
	// means all repositories. An Actions token has exactly one.
	Repos []string
	// Expires, when set, is sent in the GitHub-Authentication-Token-Expiration header.
	Expires time.Time
}

// ClassicToken is a classic personal access token with scopes.
func ClassicToken(scopes ...string) Token { return Token{Kind: Classic, Scopes: scopes} }

// FineGrainedToken is a fine-grained personal access token with the Secrets and Actions
// repository permissions on repos (all repositories when none is given).
func FineGrainedToken(secrets, actions Perm, repos ...string) Token {
	return Token{Kind: FineGrained, Secrets: secrets, Actions: actions, Repos: repos}
}

// ActionsToken is the GITHUB_TOKEN of a workflow running in repo, with the workflow's
// `actions:` permission.
func ActionsToken(repo string, actions Perm) Token {
	return Token{Kind: Actions, Actions: actions, Repos: []string{repo}}
}

// Workflow is a workflow of a repository.
type Workflow struct {
	ID    int64
	Name  string
	Path  string // ".github/workflows/e5renew.yml"
	State string // "active", "disabled_inactivity", "disabled_manually", "disabled_fork", "deleted"
}

// Fault is an answer given instead of the real one, to the next Times requests that
// match Method and Path (empty matches all; Path matches a suffix of the URL path).
type Fault struct {
	Method string
	Path   string
	Times  int // default 1
	Status int
	Header map[string]string
	Body   string
}

// ServerError fails the next times requests with status (500, 502, 503…).
func ServerError(status, times int) Fault {
	body := `{"message":"Server Error"}`
	if status == http.StatusBadGateway || status == http.StatusGatewayTimeout {
		body = "<html><body><h1>" + fmt.Sprint(status) + "</h1> Unicorn! The server is taking too long.</body></html>"
	}
	return Fault{Times: times, Status: status, Body: body}
}

// SecondaryRateLimit answers the next times requests with GitHub's secondary rate limit
// error: 403 with Retry-After (seconds; none when retryAfter < 0).
func SecondaryRateLimit(retryAfter, times int) Fault {
	f := Fault{Times: times, Status: http.StatusForbidden,
		Body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits","status":"403"}`}
	if retryAfter >= 0 {
		f.Header = map[string]string{"Retry-After": fmt.Sprint(retryAfter)}
	}
	return f
}

// PrimaryRateLimit answers the next times requests with the primary rate limit error:
// 403, X-RateLimit-Remaining 0 and X-RateLimit-Reset at reset.
func PrimaryRateLimit(reset time.Time, times int) Fault {
	return Fault{Times: times, Status: http.StatusForbidden,
		Header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": fmt.Sprint(reset.Unix()), "X-RateLimit-Used": "5000"},
		Body:   `{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits","status":"403"}`}
}

// Request is a request the fake received.
type Request struct {
	Method string
	Path   string // the escaped URL path
	Token  string // from the Authorization header ("" when none)
	Header http.Header
	Body   []byte
	Status int // the status answered
}

type secretValue struct {
	value            string
	created, updated time.Time
}

type repo struct {
	name      string // as added, "Owner/Name"
	private   bool
	keyID     string
	pub, priv *[32]byte
	secrets   map[string]*secretValue // upper-case names
	workflows []*Workflow
}

// Fake is the fake API; it is an http.Handler.
type Fake struct {
	// Now tells the time (rate limit reset, secret dates); default time.Now. Set it
	// before serving.
	Now func() time.Time

	mu     sync.Mutex
	repos  map[string]*repo // lower-case "owner/name"
	tokens map[string]Token
	faults []*Fault
	reqs   []Request
	nextID int64
	calls  int
}

// New returns an empty fake.
func New() *Fake {
	return &Fake{repos: map[string]*repo{}, tokens: map[string]Token{}, nextID: 161335}
}

// Start serves the fake on a loopback port until the test ends and returns its base
// URL (no trailing slash).
func (f *Fake) Start(tb testing.TB) string {
	tb.Helper()
	srv := httptest.NewServer(f)
	tb.Cleanup(srv.Close)
	return srv.URL
}

func (f *Fake) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// AddRepo adds a repository "owner/name" with a new key pair.
func (f *Fake) AddRepo(fullName string, private bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := &repo{name: fullName, private: private, secrets: map[string]*secretValue{}}
	f.rotate(r)
	f.repos[strings.ToLower(fullName)] = r
}

// AddToken makes token known with what it may do.
func (f *Fake) AddToken(token string, t Token) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[token] = t
}

// RotateKey gives the repository a new key pair and key id, as GitHub may do.
func (f *Fake) RotateKey(fullName string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rotate(f.mustRepo(fullName))
}

func (f *Fake) rotate(r *repo) {
	pub, priv, err := box.GenerateKey(rand.Reader)
	if err != nil {
		panic("ghfake: " + err.Error())
	}
	r.pub, r.priv = pub, priv
	var id [9]byte
	_, _ = rand.Read(id[:])
	// GitHub's key ids are long decimal strings.
	n := uint64(0)
	for _, b := range id[:8] {
		n = n<<8 | uint64(b)
	}
	r.keyID = fmt.Sprintf("%d", n%1e18+1e17)
}

// PublicKey returns the repository's key id and public key.
func (f *Fake) PublicKey(fullName string) (keyID string, key [32]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(fullName)
	return r.keyID, *r.pub
}

// Secret returns the plain text of a secret written to the repository (names are not
// case-sensitive).
func (f *Fake) Secret(fullName, name string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.mustRepo(fullName).secrets[strings.ToUpper(name)]
	if !ok {
		return "", false
	}
	return s.value, true
}

// SetSecret stores a secret directly, as if it had been created before.
func (f *Fake) SetSecret(fullName, name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	f.mustRepo(fullName).secrets[strings.ToUpper(name)] = &secretValue{value: value, created: now, updated: now}
}

// AddWorkflow adds a workflow to the repository; a zero ID gets the next free one,
// which is returned. An empty State is "active".
func (f *Fake) AddWorkflow(fullName string, w Workflow) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(fullName)
	if w.ID == 0 {
		f.nextID++
		w.ID = f.nextID
	}
	if w.State == "" {
		w.State = "active"
	}
	r.workflows = append(r.workflows, &w)
	return w.ID
}

// WorkflowState returns a workflow's state ("" when there is no such workflow).
func (f *Fake) WorkflowState(fullName string, id int64) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, w := range f.mustRepo(fullName).workflows {
		if w.ID == id {
			return w.State
		}
	}
	return ""
}

// SetWorkflowState changes a workflow's state, e.g. to "disabled_inactivity" as GitHub
// does after 60 days without activity in a public repository.
func (f *Fake) SetWorkflowState(fullName string, id int64, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, w := range f.mustRepo(fullName).workflows {
		if w.ID == id {
			w.State = state
			return
		}
	}
	panic("ghfake: no workflow " + fmt.Sprint(id))
}

// Inject queues a fault; faults are used in the order injected.
func (f *Fake) Inject(fl Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl.Times <= 0 {
		fl.Times = 1
	}
	f.faults = append(f.faults, &fl)
}

// Requests returns the requests received so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

func (f *Fake) mustRepo(fullName string) *repo {
	r, ok := f.repos[strings.ToLower(fullName)]
	if !ok {
		panic("ghfake: no repository " + fullName)
	}
	return r
}

var validName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidSecretName reports whether GitHub accepts name for a secret: only letters,
// digits and underscores, not starting with a digit, and not starting with GITHUB_
// (names are not case-sensitive, so neither is the prefix).
func ValidSecretName(name string) bool {
	return validName.MatchString(name) && !strings.HasPrefix(strings.ToUpper(name), "GITHUB_")
}
