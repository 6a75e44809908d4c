// Package emulator is an emulated Microsoft 365 tenant: the Microsoft identity platform v2.0
// endpoints (token, devicecode, authorize, adminconsent) and Microsoft Graph (/v1.0 and
// /beta) with stateful, seeded per-user data, built from ../shared/docs/protocol.md and
// Microsoft's official permission data.
//
// It exists so that e5renew can be tested, and shown, without ever reaching Microsoft. Its
// fidelity decides what the tests are worth, so it reproduces the ugly parts too: 401 for
// invalid_client, AADSTS codes and texts, refresh-token rotation and inactivity, 400 for /me
// with an app-only token, 403 from the official permission table, OData envelopes and paging,
// $batch semantics, throttling with fractional Retry-After, and dropped connections.
//
// The emulator imports nothing from e5renew's client side. Use New, seed it with AddTenant,
// AddUser and AddApp (or Seed), and serve Handler; GET /_emulator/stats reports what it saw.
package emulator

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/e5renew/e5renew/internal/graphdata"
)

const graphAppID = graphdata.GraphAppID

// Options configure an emulator. The zero value is a faithful emulator with no faults.
type Options struct {
	// Now is the emulator's clock; nil means time.Now. Tests move it to expire tokens.
	Now func() time.Time
	// StrictRotation makes a refresh token invalid as soon as the client shows it has its
	// successor: by calling Graph with an access token issued with the successor, or by
	// redeeming the successor. A client that does not persist rotated tokens is caught on
	// its next start; a client that persists them before use never notices.
	StrictRotation bool
	// Faults injected into Graph requests.
	Faults Faults
	// Seed makes random choices repeatable when non-zero.
	Seed uint64
	// Logger receives one line per request at debug level; nil discards.
	Logger *slog.Logger
	// DeviceCodeInterval is the polling interval the devicecode endpoint announces
	// (default 5s); polls faster than it answer slow_down when DeviceSlowDown is set.
	DeviceCodeInterval time.Duration
	DeviceCodeLifetime time.Duration // default 15 minutes
	DeviceSlowDown     bool
	// LockoutThreshold failed password sign-ins lock an account for LockoutDuration
	// (defaults 10 and 15 minutes).
	LockoutThreshold int
	LockoutDuration  time.Duration
	// RefreshInactivity is how long an unused refresh token lives (default 90 days).
	RefreshInactivity time.Duration
	// SigningKey signs access tokens; nil uses a key generated once per process.
	SigningKey *rsa.PrivateKey
}

// Faults are failures injected into Graph requests; all are off in the zero value.
type Faults struct {
	Latency      time.Duration `json:"latency"`      // added to every request
	ThrottleRate float64       `json:"throttleRate"` // fraction answered 429
	ErrorRate    float64       `json:"errorRate"`    // fraction answered 503 or 504
	DropRate     float64       `json:"dropRate"`     // fraction whose connection is closed without an answer
	// SignInErrorRate is the fraction of token requests answered 503 temporarily_unavailable
	// (AADSTS90033, "a transient error"), as during an identity platform incident.
	SignInErrorRate float64 `json:"signInErrorRate"`
	// MailboxConcurrency limits concurrent Outlook requests (mail, calendar, contacts, mailbox
	// settings, To Do) per app and mailbox, answering 429 ApplicationThrottled beyond it.
	// Microsoft's limit is 4; 0 turns the check off.
	MailboxConcurrency int `json:"mailboxConcurrency"`
	// RetryAfterMax bounds the Retry-After values sent with 429 and 503 (default 2s).
	RetryAfterMax time.Duration `json:"retryAfterMax"`
}

// Emulator is an emulated Microsoft 365 cloud holding any number of tenants.
type Emulator struct {
	opts   Options
	log    *slog.Logger
	faults atomic.Pointer[Faults]

	mu             sync.RWMutex
	tenants        map[string]*Tenant
	tenantByDomain map[string]*Tenant
	apps           map[string]*App
	firstParty     []*App
	codes          map[string]*authCode
	devices        map[string]*deviceGrant // by device_code
	userCodes      map[string]*deviceGrant // by user_code
	flows          map[string]*loginFlow   // interactive sign-ins in progress
	usedRT         map[string]time.Time    // strict rotation: superseded refresh token ids
	atParent       map[string]rtLink       // strict rotation: access token uti -> refresh token it superseded

	perms          *graphdata.Table
	prov           *graphdata.Provisioning
	delegatedNames map[string]string // lower-case -> canonical
	appNames       map[string]string
	router         *router

	key   *rsa.PrivateKey
	kid   string
	rtKey cipher.AEAD

	rndMu sync.Mutex
	rnd   *mrand.Rand

	stats *stats
	mbox  *mailboxLimiter
}

type rtLink struct {
	parent string
	exp    time.Time
}

// New creates an empty emulator with Microsoft's first-party clients registered.
func New(opts Options) *Emulator {
	perms := graphdata.MustLoad()
	prov, err := graphdata.LoadProvisioning()
	if err != nil {
		panic("emulator: embedded provisioning data is corrupt: " + err.Error())
	}
	if opts.DeviceCodeInterval <= 0 {
		opts.DeviceCodeInterval = 5 * time.Second
	}
	if opts.DeviceCodeLifetime <= 0 {
		opts.DeviceCodeLifetime = 15 * time.Minute
	}
	if opts.LockoutThreshold <= 0 {
		opts.LockoutThreshold = 10
	}
	if opts.LockoutDuration <= 0 {
		opts.LockoutDuration = 15 * time.Minute
	}
	if opts.RefreshInactivity <= 0 {
		opts.RefreshInactivity = 90 * 24 * time.Hour
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	key := opts.SigningKey
	if key == nil {
		key = processKey()
	}
	seed1, seed2 := opts.Seed, opts.Seed^0x9e3779b97f4a7c15
	if opts.Seed == 0 {
		seed1, seed2 = mrand.Uint64(), mrand.Uint64()
	}
	e := &Emulator{
		opts: opts, log: log,
		tenants: map[string]*Tenant{}, tenantByDomain: map[string]*Tenant{}, apps: map[string]*App{},
		codes: map[string]*authCode{}, devices: map[string]*deviceGrant{}, userCodes: map[string]*deviceGrant{},
		usedRT: map[string]time.Time{}, atParent: map[string]rtLink{},
		perms: perms, prov: prov,
		delegatedNames: map[string]string{}, appNames: map[string]string{},
		key: key, kid: keyID(key),
		rnd:   mrand.New(mrand.NewPCG(seed1, seed2)),
		stats: newStats(),
		mbox:  newMailboxLimiter(),
	}
	for _, n := range perms.Permissions(graphdata.DelegatedWork) {
		e.delegatedNames[strings.ToLower(n)] = n
	}
	for _, n := range perms.Permissions(graphdata.Application) {
		e.appNames[strings.ToLower(n)] = n
	}
	var k [32]byte
	_, _ = rand.Read(k[:])
	block, _ := aes.NewCipher(k[:])
	e.rtKey, _ = cipher.NewGCM(block)
	f := opts.Faults
	e.faults.Store(&f)
	e.firstParty = firstPartyApps()
	e.router = newGraphRouter(e)
	return e
}

// SetFaults replaces the injected faults; safe while serving.
func (e *Emulator) SetFaults(f Faults) { e.faults.Store(&f) }

// Faults returns the injected faults.
func (e *Emulator) Faults() Faults { return *e.faults.Load() }

func (e *Emulator) now() time.Time {
	if e.opts.Now != nil {
		return e.opts.Now()
	}
	return time.Now()
}

func (e *Emulator) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	e.rndMu.Lock()
	defer e.rndMu.Unlock()
	return e.rnd.Float64() < p
}

func (e *Emulator) intn(n int) int {
	if n <= 1 {
		return 0
	}
	e.rndMu.Lock()
	defer e.rndMu.Unlock()
	return e.rnd.IntN(n)
}

func (e *Emulator) float() float64 {
	e.rndMu.Lock()
	defer e.rndMu.Unlock()
	return e.rnd.Float64()
}

// Handler serves the identity platform, Graph and the inspection endpoints.
func (e *Emulator) Handler() http.Handler {
	return http.HandlerFunc(e.serveHTTP)
}

func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch strings.ToLower(first) {
	case "v1.0", "beta":
		e.serveGraph(w, r)
	case "_emulator":
		e.serveInspection(w, r)
	case "devicelogin":
		e.serveDeviceLogin(w, r)
	case "error":
		e.serveErrorLookup(w, r)
	case "", "favicon.ico":
		e.serveIndex(w, r)
	default:
		e.sleepLatency(r)
		e.serveIdentity(w, r)
	}
	e.log.Debug("emulator request", "method", r.Method, "path", r.URL.Path, "took", time.Since(start))
}

func (e *Emulator) sleepLatency(r *http.Request) {
	if d := e.Faults().Latency; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
	}
}

// newGUID returns a random (version 4) GUID in lower case.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}

// newSecretValue looks like a real client secret value: 40 characters with a "~".
func newSecretValue() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
	var b [40]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	b[3] = '8'
	b[4] = 'Q'
	b[5] = '~'
	return string(b[:])
}

// newGrantID looks like the base64 ids Graph gives grants and assignments.
func newGrantID() string {
	var b [33]byte
	_, _ = rand.Read(b[:])
	return strings.TrimRight(b64url(b[:]), "=")
}

// firstPartyApps are Microsoft's public clients that exist in every tenant
// (protocol.md §5.1).
func firstPartyApps() []*App {
	return []*App{
		{
			ClientID: "14d82eec-204b-4c2f-b7e8-296a70dab67e", DisplayName: "Microsoft Graph Command Line Tools",
			PublicClient: true, FirstParty: true, MultiTenant: true,
			NativeRedirs:  []string{"http://localhost", "https://login.microsoftonline.com/common/oauth2/nativeclient"},
			PreAuthorized: []string{"User.Read"},
		},
		{
			ClientID: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", DisplayName: "Microsoft Azure CLI",
			PublicClient: true, FirstParty: true, MultiTenant: true,
			NativeRedirs: []string{"http://localhost"},
			PreAuthorized: []string{"Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "AuditLog.Read.All",
				"DelegatedPermissionGrant.ReadWrite.All", "Directory.AccessAsUser.All", "Group.ReadWrite.All",
				"User.Read.All", "User.ReadWrite.All"},
		},
	}
}

// String describes the emulator briefly.
func (e *Emulator) String() string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return fmt.Sprintf("emulator(%d tenants, %d apps)", len(e.tenants), len(e.apps))
}
