package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/importer"
	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/onboard"
	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
)

// Actions is what adding and changing accounts needs beyond the store and the daemon.
type Actions interface {
	// Env is an onboarding environment with the current configuration (the accounts
	// e5renew added merged in) and endpoints.
	Env(ctx context.Context, lang i18n.Lang) (onboard.Env, error)
	// Notifier sends the channels' test messages; nil when none is configured.
	Notifier() *notify.Manager
	// DefaultClientID is the app `e5renew setup` registered, if exactly one.
	DefaultClientID() string
	// Reload makes the running daemon take the accounts and settings just saved.
	Reload(ctx context.Context) error
}

func (s *Server) actions(w http.ResponseWriter, p *page) (Actions, bool) {
	if s.o.Actions == nil {
		w.WriteHeader(http.StatusNotFound)
		p.Error = p.T("notfound")
		s.render(w, "error", p)
		return nil, false
	}
	return s.o.Actions, true
}

type importLine struct{ Class, Text string }

type addData struct {
	ClientID    string
	ImportLines []importLine
}

func (s *Server) addPage(w http.ResponseWriter, r *http.Request, p *page) {
	act, ok := s.actions(w, p)
	if !ok {
		return
	}
	p.Title, p.Data = p.T("add.title"), addData{ClientID: act.DefaultClientID()}
	s.render(w, "add", p)
}

func (s *Server) addApp(w http.ResponseWriter, r *http.Request, p *page) {
	act, ok := s.actions(w, p)
	if !ok {
		return
	}
	env, err := act.Env(r.Context(), p.Lang)
	if err != nil {
		redirect(w, r, "/add", "err", err.Error())
		return
	}
	in := onboard.AppInput{Tenant: r.PostFormValue("tenant"), ClientID: r.PostFormValue("client_id"), User: r.PostFormValue("user"),
		Name: strings.TrimSpace(r.PostFormValue("name")), ClientSecret: secret.String(strings.TrimSpace(r.PostFormValue("client_secret"))),
		Source: "dashboard"}
	labels := onboard.Labels{Tenant: p.T("f.tenant"), ClientID: p.T("f.clientid"), User: p.T("f.user")}
	added, err := env.AddApp(r.Context(), in, labels)
	if err != nil {
		redirect(w, r, "/add", "err", err.Error())
		return
	}
	s.reload(r.Context())
	redirect(w, r, "/accounts/"+added.Name, "done", p.T("done.added", added.Name))
}

func (s *Server) addImport(w http.ResponseWriter, r *http.Request, p *page) {
	act, ok := s.actions(w, p)
	if !ok {
		return
	}
	env, err := act.Env(r.Context(), p.Lang)
	if err != nil {
		redirect(w, r, "/add", "err", err.Error())
		return
	}
	cands, lineErrs := importer.Parse([]byte(r.PostFormValue("text")))
	user := strings.TrimSpace(r.PostFormValue("user"))
	type line struct {
		n int
		importLine
	}
	var lines []line
	for _, le := range lineErrs {
		lines = append(lines, line{le.Line, importLine{"fail", T(p.Lang, "importfail", le.Line, le.Message(p.Lang))}})
	}
	imported := 0
	for _, c := range cands {
		added, err := env.ImportOne(r.Context(), c, user, false, false)
		if err != nil {
			lines = append(lines, line{c.Line, importLine{"fail", T(p.Lang, "importfail", c.Line, err.Error())}})
			continue
		}
		imported++
		lines = append(lines, line{c.Line, importLine{"ok", T(p.Lang, "importok", c.Line, added.Name)}})
	}
	for i := 1; i < len(lines); i++ {
		for j := i; j > 0 && lines[j].n < lines[j-1].n; j-- {
			lines[j], lines[j-1] = lines[j-1], lines[j]
		}
	}
	if imported > 0 {
		s.reload(r.Context())
	}
	data := addData{ClientID: act.DefaultClientID()}
	for _, l := range lines {
		data.ImportLines = append(data.ImportLines, l.importLine)
	}
	p.Flash = p.T("imp.result", imported, len(lines)-imported)
	p.Title, p.Data = p.T("add.title"), data
	s.render(w, "add", p)
}

// deviceLogin is a device code sign-in started from the browser.
type deviceLogin struct {
	mu      sync.Mutex
	code    *auth.DeviceCode
	done    bool
	name    string
	err     string
	expires time.Time
}

func (s *Server) startDevice(w http.ResponseWriter, r *http.Request, p *page) {
	act, ok := s.actions(w, p)
	if !ok {
		return
	}
	env, err := act.Env(r.Context(), p.Lang)
	if err != nil {
		redirect(w, r, "/add", "err", err.Error())
		return
	}
	clientID := strings.TrimSpace(r.PostFormValue("client_id"))
	if !onboard.IsGUID(clientID) {
		redirect(w, r, "/add", "err", p.T("f.clientid")+": GUID")
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name != "" && !onboard.ValidName(name) {
		redirect(w, r, "/add", "err", name)
		return
	}
	flow := &auth.DeviceFlow{Common: auth.Common{Endpoints: env.Endpoints, HTTPClient: &http.Client{Timeout: 60 * time.Second}, Logger: s.o.Logger},
		Tenant: strings.TrimSpace(r.PostFormValue("tenant")), ClientID: clientID}
	dc, err := flow.Start(r.Context())
	if err != nil {
		redirect(w, r, "/add", "err", err.Error())
		return
	}
	id := NewPassword() // a random, URL-safe identifier
	dl := &deviceLogin{code: dc, expires: dc.ExpiresAt}
	s.mu.Lock()
	for k, v := range s.devices { // forget old ones
		if time.Since(v.expires) > time.Hour {
			delete(s.devices, k)
		}
	}
	s.devices[id] = dl
	s.mu.Unlock()
	lang := p.Lang
	go func() {
		ctx, cancel := context.WithDeadline(context.Background(), dc.ExpiresAt.Add(time.Minute))
		defer cancel()
		g, err := flow.Wait(ctx, dc, nil)
		var added *onboard.Added
		if err == nil {
			env.Lang = lang
			added, err = env.SaveDelegated(ctx, g, clientID, "", name, "dashboard")
		}
		if err == nil {
			s.reload(ctx) // before "done": the account's page then exists
		}
		dl.mu.Lock()
		defer dl.mu.Unlock()
		dl.done = true
		if err != nil {
			dl.err = err.Error()
			if ae, ok := auth.AsError(err); ok {
				dl.err = ae.Message(lang)
			}
			return
		}
		dl.name = added.Name
	}()
	http.Redirect(w, r, "/add/device/"+id, http.StatusSeeOther)
}

func (s *Server) device(id string) (*deviceLogin, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[id]
	return d, ok
}

func (s *Server) devicePage(w http.ResponseWriter, r *http.Request, p *page) {
	dl, ok := s.device(r.PathValue("id"))
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		p.Error = p.T("notfound")
		s.render(w, "error", p)
		return
	}
	dl.mu.Lock()
	code := dl.code
	state := p.T("dev.waiting")
	if dl.done {
		state = deviceState(p.Lang, dl)
	}
	dl.mu.Unlock()
	var qrURL template.URL
	if svg, err := onboard.QRSVG(code.VerificationURI); err == nil {
		// A data: URL of an SVG made here, not from input: the CSP allows data: images.
		qrURL = template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(svg))
	}
	p.Title = p.T("dev.title")
	p.Data = struct {
		ID, URL, Code, State string
		QR                   template.URL
	}{r.PathValue("id"), code.VerificationURI, code.UserCode, state, qrURL}
	s.render(w, "device", p)
}

func deviceState(lang i18n.Lang, dl *deviceLogin) string {
	if dl.err != "" {
		return T(lang, "dev.failed", dl.err)
	}
	return T(lang, "dev.done", dl.name)
}

func (s *Server) deviceStatus(w http.ResponseWriter, r *http.Request, p *page) {
	dl, ok := s.device(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	dl.mu.Lock()
	out := struct {
		Done     bool   `json:"done"`
		Text     string `json:"text"`
		Redirect string `json:"redirect,omitempty"`
	}{Done: dl.done, Text: p.T("dev.waiting")}
	if dl.done {
		out.Text = deviceState(p.Lang, dl)
		if dl.err == "" {
			out.Redirect = "/accounts/" + dl.name + "?done=" + urlQueryEscape(p.T("done.added", dl.name))
		}
	}
	dl.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *Server) remove(w http.ResponseWriter, r *http.Request, p *page) {
	cfg, a, ok := s.findAccount(w, r, p)
	if !ok {
		return
	}
	if !a.Managed {
		redirect(w, r, "/accounts/"+a.Name, "err", p.T("err.infile", a.Name))
		return
	}
	_ = cfg
	if err := onboard.Remove(r.Context(), s.o.Store, a.Name, s.o.Now()); err != nil && !errors.Is(err, store.ErrNotFound) {
		redirect(w, r, "/accounts/"+a.Name, "err", err.Error())
		return
	}
	if r.PostFormValue("purge") == "1" {
		if err := s.o.Store.PurgeAccount(r.Context(), a.Name); err != nil {
			redirect(w, r, "/", "err", err.Error())
			return
		}
	}
	s.reload(r.Context())
	redirect(w, r, "/", "done", p.T("done.removed", a.Name))
}

type channelRow struct {
	Name, Type, Last, Class string
}

func (s *Server) channels(w http.ResponseWriter, r *http.Request, p *page) {
	var rows []channelRow
	if s.o.Actions != nil && s.o.Actions.Notifier() != nil {
		deliveries, _ := s.o.Store.Deliveries(r.Context(), "", 500)
		for _, c := range s.o.Actions.Notifier().Channels() {
			row := channelRow{Name: c.Name(), Type: c.Type()}
			for _, d := range deliveries {
				if d.Channel != c.Name() {
					continue
				}
				when := d.At.Local().Format("2006-01-02 15:04")
				if d.OK {
					row.Last, row.Class = p.T("ch.ok", when), "ok"
				} else {
					row.Last, row.Class = p.T("ch.failed", when, d.Error), "fail"
				}
				break
			}
			rows = append(rows, row)
		}
	}
	p.Title = p.T("ch.title")
	p.Data = struct{ Rows []channelRow }{rows}
	s.render(w, "channels", p)
}

func (s *Server) testChannel(w http.ResponseWriter, r *http.Request, p *page) {
	act, ok := s.actions(w, p)
	if !ok || act.Notifier() == nil {
		return
	}
	name := r.PostFormValue("channel")
	res, err := act.Notifier().Send(r.Context(), notify.TestMsg(p.Lang, name), []string{name})
	switch {
	case err != nil:
		redirect(w, r, "/channels", "err", err.Error())
	case res[0].Err != nil:
		redirect(w, r, "/channels", "err", p.T("ch.testfail", name, res[0].Err.Error()))
	default:
		redirect(w, r, "/channels", "done", p.T("ch.tested", name))
	}
}
