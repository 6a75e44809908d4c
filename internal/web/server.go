// Package web is e5renew's dashboard: every account at a glance, its history, and the
// actions an owner needs (add, pause, resume, run now, settings, remove), server-rendered
// with html/template and a little JavaScript, in English and Chinese, private by default
// (an admin password, sessions in HttpOnly SameSite cookies, CSRF tokens on every form, a
// strict Content-Security-Policy, secrets never sent to the browser).
package web

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/daemon"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Runner is what the dashboard needs of the running daemon.
type Runner interface {
	Config() *config.Config
	Status() daemon.Status
	State(name string) (store.AccountState, bool)
	Pause(ctx context.Context, name, reason string) error
	Resume(ctx context.Context, name string) error
	RunNow(name string) error
	// Expiry is what the daemon's last expiry check found for an account (secret,
	// subscription).
	Expiry(name string) (daemon.Expiry, bool)
}

// Settings keeps the admin password's hash (the state store implements it).
type Settings interface {
	GetSetting(ctx context.Context, key string) (string, bool, error)
	SetSetting(ctx context.Context, key, value string) error
}

// PasswordKey is the setting that holds the admin password's hash.
const PasswordKey = "admin_password"

// Options configure the dashboard.
type Options struct {
	Store    store.Store
	Settings Settings
	Runner   Runner
	// Actions adds accounts (device code, application credentials, import) and changes
	// settings; nil hides those features.
	Actions Actions
	Logger  *slog.Logger
	Version string
	Now     func() time.Time
	// SecureCookies marks cookies Secure (the dashboard is reached over HTTPS).
	SecureCookies bool
	// TrustProxy takes the client address from X-Forwarded-For when the peer is on the
	// loopback interface (a reverse proxy on the same machine).
	TrustProxy bool
	// SessionTTL is how long an idle session lasts (default 12 h).
	SessionTTL time.Duration
}

// Server serves the dashboard.
type Server struct {
	o        Options
	tmpl     map[string]*template.Template
	assets   map[string]asset // by name with hash, e.g. app.3f2a1b.css
	assetURL map[string]string
	sess     *sessions
	limit    *limiter
	mu       sync.Mutex
	devices  map[string]*deviceLogin
}

type asset struct {
	body  []byte
	ctype string
}

// New prepares the dashboard.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.Runner == nil || o.Settings == nil {
		return nil, errors.New("web: a store, settings and the daemon are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	s := &Server{o: o, assets: map[string]asset{}, assetURL: map[string]string{}, sess: newSessions(o.SessionTTL, o.Now),
		limit: newLimiter(o.Now), devices: map[string]*deviceLogin{}}
	if err := s.loadAssets(); err != nil {
		return nil, err
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	return s, nil
}

// loadAssets names each static file after a hash of its content, so browsers may cache
// it for ever.
func (s *Server) loadAssets() error {
	return fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		base := path.Base(p)
		ext := path.Ext(base)
		hashed := strings.TrimSuffix(base, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		ctype := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
			".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}[ext]
		s.assets[hashed] = asset{body: b, ctype: ctype}
		s.assetURL[base] = "/static/" + hashed
		return nil
	})
}

// Handler serves the dashboard; other routes (health, metrics) go to next.
func (s *Server) Handler(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /static/{file}", s.static)
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /lang", s.switchLang)
	if next != nil {
		mux.Handle("GET /healthz", next)
		mux.Handle("GET /metrics", next)
	}
	authed := func(pattern string, h func(w http.ResponseWriter, r *http.Request, p *page)) {
		mux.HandleFunc(pattern, s.requireSession(h))
	}
	authed("POST /logout", s.logout)
	authed("GET /{$}", s.overview)
	authed("GET /accounts/{name}", s.account)
	authed("POST /accounts/{name}/pause", s.pause)
	authed("POST /accounts/{name}/resume", s.resume)
	authed("POST /accounts/{name}/run", s.runNow)
	authed("POST /accounts/{name}/remove", s.remove)
	authed("GET /accounts/{name}/settings", s.settingsPage)
	authed("POST /accounts/{name}/settings", s.saveSettings)
	authed("POST /accounts/{name}/settings/reset", s.resetSettings)
	authed("GET /add", s.addPage)
	authed("POST /add/device", s.startDevice)
	authed("GET /add/device/{id}", s.devicePage)
	authed("GET /add/device/{id}/status", s.deviceStatus)
	authed("POST /add/app", s.addApp)
	authed("POST /add/import", s.addImport)
	authed("GET /catalog", s.catalog)
	authed("GET /channels", s.channels)
	authed("POST /channels/test", s.testChannel)
	return s.secure(mux)
}

// secure sets the headers every answer carries.
func (s *Server) secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.o.SecureCookies {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

const (
	sessionCookie = "e5renew_session"
	langCookie    = "e5renew_lang"
)

// page is what every template gets.
type page struct {
	Lang    i18n.Lang
	Title   string
	CSRF    string
	Flash   string
	Error   string
	Version string
	Path    string
	Asset   map[string]string
	Data    any
}

// T translates for templates: {{.T "key" arg}}.
func (p *page) T(key string, args ...any) string { return T(p.Lang, key, args...) }

// Other is the language the switch offers.
func (p *page) Other() i18n.Lang {
	if p.Lang == i18n.ZH {
		return i18n.EN
	}
	return i18n.ZH
}

// lang picks the language: the switch's cookie, else the browser's Accept-Language.
func lang(r *http.Request) i18n.Lang {
	if c, err := r.Cookie(langCookie); err == nil {
		if l, err := i18n.Parse(c.Value); err == nil && l != "" {
			return l
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return i18n.ZH
		case strings.HasPrefix(tag, "en"):
			return i18n.EN
		}
	}
	return i18n.EN
}

func (s *Server) newPage(r *http.Request, sess *session) *page {
	p := &page{Lang: lang(r), Version: s.o.Version, Path: r.URL.Path, Asset: s.assetURL}
	if sess != nil {
		p.CSRF = sess.csrf
	}
	if f := r.URL.Query().Get("done"); f != "" {
		p.Flash = f
	}
	if e := r.URL.Query().Get("err"); e != "" {
		p.Error = e
	}
	return p
}

// requireSession runs h for a signed-in browser (checking CSRF on state-changing
// requests), and sends anyone else to the login page.
func (s *Server) requireSession(h func(w http.ResponseWriter, r *http.Request, p *page)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var sess *session
		if c, err := r.Cookie(sessionCookie); err == nil {
			sess, _ = s.sess.get(c.Value)
		}
		if sess == nil {
			if r.Method != http.MethodGet || strings.HasSuffix(r.URL.Path, "/status") {
				http.Error(w, "sign in first", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		p := s.newPage(r, sess)
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
			if err := checkCSRF(r, sess); err != nil {
				w.WriteHeader(http.StatusForbidden)
				p.Error = p.T("csrf")
				s.render(w, "error", p)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, p)
	}
}

func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	a, ok := s.assets[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(a.body)
}

func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) {
	l, err := i18n.Parse(r.FormValue("lang"))
	if err != nil || l == "" {
		l = i18n.EN
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.o.SecureCookies})
	back := r.FormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil)
	p.Title = p.T("login.title")
	p.Data = safeNext(r.URL.Query().Get("next"))
	s.render(w, "login", p)
}

func safeNext(n string) string {
	if !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.HasPrefix(n, "/\\") {
		return "/"
	}
	return n
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, nil)
	p.Title = p.T("login.title")
	p.Data = safeNext(r.FormValue("next"))
	addr := clientAddr(r, s.o.TrustProxy)
	if ok, wait := s.limit.allow(addr); !ok {
		w.Header().Set("Retry-After", retryAfter(wait))
		w.WriteHeader(http.StatusTooManyRequests)
		p.Error = p.T("login.wait", int(wait.Seconds())+1)
		s.render(w, "login", p)
		return
	}
	hash, ok, err := s.o.Settings.GetSetting(r.Context(), PasswordKey)
	if err != nil {
		s.o.Logger.Error("dashboard: read the admin password", "err", err)
		http.Error(w, "the state store cannot be read", http.StatusInternalServerError)
		return
	}
	if !ok || !CheckPassword(hash, r.FormValue("password")) {
		s.limit.failed(addr)
		s.o.Logger.Warn("dashboard: wrong password", "client", addr)
		w.WriteHeader(http.StatusUnauthorized)
		p.Error = p.T("login.wrong")
		s.render(w, "login", p)
		return
	}
	s.limit.succeeded(addr)
	id, _ := s.sess.create()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.o.SecureCookies})
	http.Redirect(w, r, p.Data.(string), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ *page) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sess.drop(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.o.SecureCookies})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// EnsurePassword makes sure an admin password exists: when none does, it creates one and
// returns it (to be printed once); otherwise "".
func EnsurePassword(ctx context.Context, st Settings) (string, error) {
	if _, ok, err := st.GetSetting(ctx, PasswordKey); err != nil || ok {
		return "", err
	}
	pw := NewPassword()
	hash, err := HashPassword(pw)
	if err != nil {
		return "", err
	}
	if err := st.SetSetting(ctx, PasswordKey, hash); err != nil {
		return "", err
	}
	return pw, nil
}

// SetPassword replaces the admin password (every browser signed in must sign in again on
// a running dashboard after its restart).
func SetPassword(ctx context.Context, st Settings, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return st.SetSetting(ctx, PasswordKey, hash)
}

// redirect sends the browser to path with a message in its language.
func redirect(w http.ResponseWriter, r *http.Request, to, kind, msg string) {
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	http.Redirect(w, r, to+sep+kind+"="+url.QueryEscape(msg), http.StatusSeeOther)
}

func (s *Server) render(w http.ResponseWriter, name string, p *page) {
	t, ok := s.tmpl[name]
	if !ok {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := t.ExecuteTemplate(w, "layout", p); err != nil {
		s.o.Logger.Error("dashboard: render", "page", name, "err", fmt.Sprint(err))
	}
}
