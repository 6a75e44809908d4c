package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// purge deletes an account's history (the store's PurgeAccount, when it has one).
func (s *Server) purge(ctx context.Context, name string) error {
	type purger interface {
		PurgeAccount(ctx context.Context, name string) error
	}
	if p, ok := s.o.Store.(purger); ok {
		return p.PurgeAccount(ctx, name)
	}
	return errors.New("this store cannot purge history")
}

// accountCharts fills the account page's charts and per-activity table.
func (s *Server) accountCharts(r *http.Request, p *page, name string, since time.Time, loc *time.Location,
	rounds, activities, workloads *template.HTML, table *[]activityView) {
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, p *page) {
	cfg, a, ok := s.findAccount(w, r, p)
	if !ok {
		return
	}
	eff := cfg.EffectiveSchedule(a)
	acts := cfg.EffectiveActivities(a)
	p.Title = p.T("set.title", a.Name)
	p.Data = struct {
		Name            string
		S               struct{ Interval, Hours, Days, TimeZone, Cron, Random string }
		Eff             struct{ Interval, Hours, Days, TimeZone, Cron string }
		Always, Exclude string
	}{Name: a.Name,
		Eff:    struct{ Interval, Hours, Days, TimeZone, Cron string }{eff.Interval, eff.Hours, eff.Days, eff.TimeZone, eff.Cron},
		Always: strings.Join(acts.Always, " "), Exclude: strings.Join(acts.Exclude, " ")}
	s.render(w, "settings", p)
}

func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request, p *page) {
	_, a, ok := s.findAccount(w, r, p)
	if !ok {
		return
	}
	redirect(w, r, "/accounts/"+a.Name+"/settings", "err", "not available yet")
}
