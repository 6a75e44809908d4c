package web

import (
	"fmt"
	"html/template"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/report"
	"github.com/e5renew/e5renew/internal/store"
)

func (s *Server) parseTemplates() error {
	funcs := template.FuncMap{}
	s.tmpl = map[string]*template.Template{}
	for _, name := range []string{"error", "login", "overview", "account", "catalog", "channels", "add", "device", "settings"} {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("web: template %s: %w", name, err)
		}
		s.tmpl[name] = t
	}
	return nil
}

// verdictClass maps a verdict to a colour class.
func verdictClass(v string) string {
	switch v {
	case store.VerdictOK:
		return "ok"
	case store.VerdictDegraded:
		return "warn"
	case store.VerdictNeedsOwner:
		return "fail"
	}
	return "none"
}

func verdictText(lang i18n.Lang, v string) string {
	if v == "" {
		return T(lang, "never")
	}
	return T(lang, "verdict."+v)
}

// nextText says when an account runs next, or why it does not, with a colour class for
// the states worth one.
func nextText(lang i18n.Lang, st store.AccountState, ok bool, now time.Time) (string, string) {
	switch {
	case !ok:
		return "–", ""
	case st.Paused && st.PauseReason == store.PauseByOwner:
		return T(lang, "state.paused_owner"), "info"
	case st.Paused:
		return T(lang, "state.paused_needs"), "fail"
	case st.Failures > 0:
		return report.NextRun(st, now, lang), "warn"
	}
	return report.NextRun(st, now, lang), ""
}

// problemText says why an account needs its owner, in the page's language when the
// AADSTS code is a known one (the stored message is in the daemon's language).
func problemText(lang i18n.Lang, st store.AccountState) string {
	if msg, ok := auth.Explain(st.PauseCode, lang); ok {
		return st.PauseCode + " " + msg
	}
	return strings.TrimSpace(st.PauseCode + " " + st.PauseMessage)
}

// daysBadge says how many days are left until t, coloured by how close it is.
func daysBadge(lang i18n.Lang, t, now time.Time) (string, string) {
	if t.IsZero() {
		return "", ""
	}
	days := int(t.Sub(now).Hours() / 24)
	switch {
	case days < 0:
		return T(lang, "expired"), "fail"
	case days < 7:
		return T(lang, "days.left", days), "fail"
	case days < 30:
		return T(lang, "days.left", days), "warn"
	}
	return T(lang, "days.left", days), "ok"
}

type overviewRow struct {
	Name, Type string
	Managed    bool
	// Spark draws the newest rounds' verdicts, oldest first.
	Spark                      template.HTML
	Verdict, VerdictClass      string
	Problem                    string
	Last, LastCounts           string
	Next, StateClass, RowClass string
	Secret, SecretClass        string
	Sub, SubClass              string
	key                        string // lower-case name, to sort
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, p *page) {
	ctx := r.Context()
	now := s.o.Now()
	cfg := s.o.Runner.Config()
	// Counted summaries and verdicts only: LastRounds would load every result of every
	// account's newest round. The two queries run side by side (the store reads through
	// a pool of connections): with a thousand accounts each takes tens of milliseconds.
	type verdictsResult struct {
		m   map[string][]string
		err error
	}
	recentCh := make(chan verdictsResult, 1)
	go func() {
		m, err := s.o.Store.RecentVerdicts(ctx, sparkRounds)
		recentCh <- verdictsResult{m, err}
	}()
	summaries, err := s.o.Store.LastRoundSummaries(ctx)
	rv := <-recentCh
	if err == nil {
		err = rv.err
	}
	if err != nil {
		s.fail(w, p, err)
		return
	}
	verdicts := rv.m
	// Keyed by the stored spelling of the names: look them up whatever the spelling.
	last := make(map[string]store.RoundSummary, len(summaries))
	for k, v := range summaries {
		last[store.FoldName(k)] = v
	}
	recent := make(map[string][]string, len(verdicts))
	for k, v := range verdicts {
		recent[store.FoldName(k)] = v
	}
	status := s.o.Runner.Status()
	data := struct {
		Accounts, Healthy, Degraded, Paused, Running int
		Rows                                         []overviewRow
	}{Running: status.Running}
	data.Rows = make([]overviewRow, 0, len(cfg.Accounts))
	for _, a := range cfg.Accounts {
		if a.Disabled {
			continue
		}
		key := store.FoldName(a.Name)
		row := overviewRow{Name: a.Name, Type: a.Type, Managed: a.Managed, key: strings.ToLower(a.Name)}
		st, ok := s.o.Runner.State(a.Name)
		row.Next, row.StateClass = nextText(p.Lang, st, ok, now)
		lr, hasLast := last[key]
		row.Verdict, row.VerdictClass = verdictText(p.Lang, lr.Verdict), verdictClass(lr.Verdict)
		row.Last = T(p.Lang, "never")
		if hasLast {
			row.Last = report.Ago(now.Sub(lr.Started), p.Lang)
			row.LastCounts = countsText(p.Lang, lr.OK, lr.Failed, lr.Skipped)
		}
		row.Spark = sparkline(p.Lang, recent[key])
		switch {
		case ok && st.Paused:
			data.Paused++
			row.RowClass = "paused"
			if st.PauseReason == store.PauseNeedsOwner {
				row.Problem = problemText(p.Lang, st)
			}
		case ok && (st.Degraded > 0 || st.Failures > 0):
			data.Degraded++
		default:
			data.Healthy++
		}
		secretEnd := a.SecretExpires
		if ex, ok := s.o.Runner.Expiry(a.Name); ok {
			if !ex.Secret.IsZero() {
				secretEnd = ex.Secret
			}
			if !ex.Subscription.IsZero() {
				row.Sub, row.SubClass = daysBadge(p.Lang, ex.Subscription, now)
			}
		}
		if !secretEnd.IsZero() {
			row.Secret, row.SecretClass = daysBadge(p.Lang, secretEnd, now)
		}
		data.Rows = append(data.Rows, row)
		data.Accounts++
	}
	sort.Slice(data.Rows, func(i, j int) bool { return data.Rows[i].key < data.Rows[j].key })
	p.Title, p.Data = p.T("ov.title"), data
	s.render(w, "overview", p)
}

func (s *Server) fail(w http.ResponseWriter, p *page, err error) {
	s.o.Logger.Error("dashboard", "err", err)
	w.WriteHeader(http.StatusInternalServerError)
	p.Error = err.Error()
	s.render(w, "error", p)
}

// findAccount returns the configured account of the path's name, answering 404 when
// there is none.
func (s *Server) findAccount(w http.ResponseWriter, r *http.Request, p *page) (*config.Config, *config.Account, bool) {
	cfg := s.o.Runner.Config()
	a, ok := cfg.Account(r.PathValue("name"))
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		p.Error = p.T("noaccount", r.PathValue("name"))
		s.render(w, "error", p)
		return nil, nil, false
	}
	return cfg, a, true
}

type rangeLink struct {
	Key, Label string
	Current    bool
}

var ranges = []struct {
	key  string
	days int
}{{"7d", 7}, {"30d", 30}, {"90d", 90}, {"365d", 365}}

type roundView struct {
	Verdict, Class, When, Summary, Message string
	Open                                   bool
	Results                                []resultView
}

type resultView struct {
	store.ActivityResult
	OutcomeText string
}

type changeView struct {
	When, Kind, Reason, Message, By string
}

func (s *Server) account(w http.ResponseWriter, r *http.Request, p *page) {
	cfg, a, ok := s.findAccount(w, r, p)
	if !ok {
		return
	}
	ctx := r.Context()
	now := s.o.Now()
	// The range asked for; 30 days by default, and for anything unknown.
	cur, days := r.URL.Query().Get("range"), 0
	for _, rg := range ranges {
		if rg.key == cur {
			days = rg.days
		}
	}
	if days == 0 {
		cur, days = "30d", 30
	}
	var links []rangeLink
	for _, rg := range ranges {
		links = append(links, rangeLink{Key: rg.key, Label: p.T("range." + rg.key), Current: rg.key == cur})
	}
	rounds, err := s.o.Store.Rounds(ctx, a.Name, 20)
	if err != nil {
		s.fail(w, p, err)
		return
	}
	changes, err := s.o.Store.Changes(ctx, a.Name, 30)
	if err != nil {
		s.fail(w, p, err)
		return
	}
	st, hasState := s.o.Runner.State(a.Name)
	data := struct {
		Name, Type, User, Schedule, Verdict, VerdictClass, Problem, Next, StateClass string
		Managed, Paused                                                              bool
		Ranges                                                                       []rangeLink
		Charts                                                                       accountChartsData
		Rounds                                                                       []roundView
		Plan                                                                         []string
		Changes                                                                      []changeView
	}{Name: a.Name, Type: a.Type, User: firstNonEmpty(a.User, a.Username), Managed: a.Managed, Ranges: links,
		Paused: hasState && st.Paused}
	data.Next, data.StateClass = nextText(p.Lang, st, hasState, now)
	if hasState && st.Paused && st.PauseReason == store.PauseNeedsOwner {
		data.Problem = problemText(p.Lang, st)
	}
	if len(rounds) > 0 {
		data.Verdict, data.VerdictClass = verdictText(p.Lang, rounds[0].Verdict), verdictClass(rounds[0].Verdict)
	} else {
		data.Verdict, data.VerdictClass = p.T("never"), "none"
	}
	loc := cfg.Location(a)
	for i, rd := range rounds {
		var okN, failN, skipN int
		rv := roundView{Verdict: verdictText(p.Lang, rd.Verdict), Class: verdictClass(rd.Verdict), Open: i == 0,
			When: rd.Started.In(loc).Format("2006-01-02 15:04:05"), Message: strings.TrimSpace(rd.Code + " " + rd.Message)}
		for _, x := range rd.Results {
			switch x.Outcome {
			case store.OutcomeOK:
				okN++
			case store.OutcomeFailed:
				failN++
			default:
				skipN++
			}
			rv.Results = append(rv.Results, resultView{ActivityResult: x, OutcomeText: p.T("outcome." + x.Outcome)})
		}
		rv.Summary = fmt.Sprintf("%d %s · %d %s · %d %s", okN, p.T("outcome.ok"), failN, p.T("outcome.failed"), skipN, p.T("outcome.skipped"))
		data.Rounds = append(data.Rounds, rv)
	}
	for _, c := range changes {
		data.Changes = append(data.Changes, changeView{When: c.At.In(loc).Format("2006-01-02 15:04"), Kind: c.Kind, Reason: c.Reason,
			Message: c.Message, By: c.By})
	}
	if spec, err := cfg.Spec(a); err == nil {
		data.Schedule = spec.String()
		if hasState && !st.Paused && st.NextRun.After(now) {
			times := append([]time.Time{st.NextRun}, spec.Plan(st.NextRun, 4, rand.New(rand.NewPCG(uint64(now.UnixNano()), 1)))...)
			layout := "2006-01-02 Mon 15:04"
			for i := 1; i < len(times); i++ {
				if times[i].Sub(times[i-1]) < time.Minute { // seconds apart (the emulated tenant's)
					layout += ":05"
					break
				}
			}
			for _, t := range times {
				data.Plan = append(data.Plan, t.In(spec.Location()).Format(layout))
			}
		}
	}
	if data.Charts, err = s.accountCharts(ctx, p.Lang, a.Name, days, now, loc); err != nil {
		s.fail(w, p, err)
		return
	}
	p.Title, p.Data = a.Name, data
	s.render(w, "account", p)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func (s *Server) pause(w http.ResponseWriter, r *http.Request, p *page) {
	_, a, ok := s.findAccount(w, r, p)
	if !ok {
		return
	}
	if err := s.o.Runner.Pause(r.Context(), a.Name, ""); err != nil {
		redirect(w, r, "/accounts/"+a.Name, "err", err.Error())
		return
	}
	redirect(w, r, "/accounts/"+a.Name, "done", p.T("done.paused", a.Name))
}

func (s *Server) resume(w http.ResponseWriter, r *http.Request, p *page) {
	_, a, ok := s.findAccount(w, r, p)
	if !ok {
		return
	}
	if err := s.o.Runner.Resume(r.Context(), a.Name); err != nil {
		redirect(w, r, "/accounts/"+a.Name, "err", err.Error())
		return
	}
	redirect(w, r, "/accounts/"+a.Name, "done", p.T("done.resumed", a.Name))
}

func (s *Server) runNow(w http.ResponseWriter, r *http.Request, p *page) {
	_, a, ok := s.findAccount(w, r, p)
	if !ok {
		return
	}
	if err := s.o.Runner.RunNow(a.Name); err != nil {
		redirect(w, r, "/accounts/"+a.Name, "err", p.T("err.paused", a.Name))
		return
	}
	redirect(w, r, "/accounts/"+a.Name, "done", p.T("done.run", a.Name))
}

type catalogRow struct {
	Name, Workload, What, RW, Delegated, App, Accounts string
}

func (s *Server) catalog(w http.ResponseWriter, r *http.Request, p *page) {
	cfg := s.o.Runner.Config()
	workloads := map[string]bool{}
	var rows []catalogRow
	for _, act := range activity.All() {
		workloads[string(act.Workload)] = true
		rw := "R"
		if act.Write {
			rw = "W"
		}
		var can []string
		for _, a := range cfg.Accounts {
			delegated := a.Type != "client_credentials"
			if !delegated && !act.AppOnly() {
				continue
			}
			can = append(can, a.Name)
		}
		rows = append(rows, catalogRow{Name: act.Name, Workload: string(act.Workload), What: act.Title.In(p.Lang), RW: rw,
			Delegated: strings.Join(act.Delegated, " "), App: strings.Join(act.Application, " "), Accounts: summarize(can, 4)})
	}
	p.Title = p.T("cat.title")
	p.Data = struct {
		Activities, Workloads int
		Rows                  []catalogRow
	}{len(rows), len(workloads), rows}
	s.render(w, "catalog", p)
}

// summarize lists names, at most n, then "+k".
func summarize(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" +%d", len(names)-n)
}
