package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// Password hashing: argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane), slow enough
// that a stolen state store does not give the password away, light enough for a small box.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	// MinPasswordLength is the shortest admin password accepted.
	MinPasswordLength = 10
)

// HashPassword returns an encoded argon2id hash of password.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", fmt.Errorf("the password must have at least %d characters", MinPasswordLength)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches an encoded hash, in constant time.
func CheckPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// NewPassword generates a password people can type: 4 groups of 5 letters and digits.
func NewPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789" // no 0/o, 1/l/i
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic("web: no randomness: " + err.Error())
	}
	var out strings.Builder
	for i, c := range b {
		if i > 0 && i%5 == 0 {
			out.WriteByte('-')
		}
		out.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return out.String()
}

// sessions keeps signed-in browsers in memory: a restart signs everyone out, which is
// acceptable for a single-owner dashboard and leaves nothing to steal on disk.
type sessions struct {
	mu   sync.Mutex
	m    map[string]*session // by the SHA-256 of the cookie value
	ttl  time.Duration
	now  func() time.Time
	csrf []byte // key for CSRF tokens
}

type session struct {
	expires time.Time
	csrf    string
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic("web: no randomness: " + err.Error())
	}
	return &sessions{m: map[string]*session{}, ttl: ttl, now: now, csrf: key}
}

func hashID(id string) string {
	h := sha256.Sum256([]byte(id))
	return string(h[:])
}

// create starts a session and returns the cookie value.
func (s *sessions) create() (id string, sess *session) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("web: no randomness: " + err.Error())
	}
	id = base64.RawURLEncoding.EncodeToString(b)
	mac := hmac.New(sha256.New, s.csrf)
	mac.Write(b)
	sess = &session{expires: s.now().Add(s.ttl), csrf: base64.RawURLEncoding.EncodeToString(mac.Sum(nil))}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, v := range s.m { // forget expired sessions now and then
		if now.After(v.expires) {
			delete(s.m, k)
		}
	}
	s.m[hashID(id)] = sess
	return id, sess
}

// get returns the live session of a cookie value, sliding its expiry.
func (s *sessions) get(id string) (*session, bool) {
	if id == "" {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[hashID(id)]
	if !ok {
		return nil, false
	}
	now := s.now()
	if now.After(sess.expires) {
		delete(s.m, hashID(id))
		return nil, false
	}
	sess.expires = now.Add(s.ttl)
	return sess, true
}

func (s *sessions) drop(id string) {
	s.mu.Lock()
	delete(s.m, hashID(id))
	s.mu.Unlock()
}

// dropAll signs every browser out (the password changed).
func (s *sessions) dropAll() {
	s.mu.Lock()
	s.m = map[string]*session{}
	s.mu.Unlock()
}

// limiter slows down password guessing: per client address, a few attempts, then a wait
// that doubles with each failure.
type limiter struct {
	mu    sync.Mutex
	fails map[string]*failures
	now   func() time.Time
}

type failures struct {
	n     int
	until time.Time
	last  time.Time
}

const freeAttempts = 5

func newLimiter(now func() time.Time) *limiter {
	return &limiter{fails: map[string]*failures{}, now: now}
}

// allow reports whether addr may try now, and if not, how long to wait.
func (l *limiter) allow(addr string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.fails[addr]
	if f == nil {
		return true, 0
	}
	if now := l.now(); now.Before(f.until) {
		return false, f.until.Sub(now)
	}
	return true, 0
}

func (l *limiter) failed(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f := l.fails[addr]
	if f == nil || now.Sub(f.last) > time.Hour {
		f = &failures{}
		l.fails[addr] = f
	}
	f.n++
	f.last = now
	if f.n >= freeAttempts {
		wait := time.Second << min(f.n-freeAttempts, 10) // 1 s … 17 min
		f.until = now.Add(wait)
	}
	if len(l.fails) > 10000 { // bounded memory under a flood of addresses
		for k, v := range l.fails {
			if now.Sub(v.last) > 10*time.Minute {
				delete(l.fails, k)
			}
		}
	}
}

func (l *limiter) succeeded(addr string) {
	l.mu.Lock()
	delete(l.fails, addr)
	l.mu.Unlock()
}

// clientAddr is the address rate limits apply to: the TCP peer, or X-Forwarded-For's last
// hop when the peer is a trusted reverse proxy on the loopback interface.
func clientAddr(r *http.Request, trustProxy bool) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if trustProxy && net.ParseIP(host).IsLoopback() {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			return strings.TrimSpace(parts[len(parts)-1])
		}
	}
	return host
}

var errCSRF = errors.New("the form expired or did not come from this dashboard: reload the page and try again")

// checkCSRF verifies a state-changing request: the session's token in the form (or the
// X-CSRF-Token header), and an Origin, when sent, of this site.
func checkCSRF(r *http.Request, sess *session) error {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if !sameOrigin(o, r) {
			return errCSRF
		}
	}
	tok := r.Header.Get("X-CSRF-Token")
	if tok == "" {
		tok = r.PostFormValue("csrf")
	}
	if sess == nil || subtle.ConstantTimeCompare([]byte(tok), []byte(sess.csrf)) != 1 {
		return errCSRF
	}
	return nil
}

func sameOrigin(origin string, r *http.Request) bool {
	host := r.Host
	if fh := r.Header.Get("X-Forwarded-Host"); fh != "" {
		host = fh
	}
	o := strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")
	return strings.EqualFold(o, host)
}

func retryAfter(d time.Duration) string { return strconv.Itoa(int(d.Seconds()) + 1) }
