package web

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"time"

	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/store"
	"github.com/e5renew/e5renew/internal/web/chart"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// reload asks the running daemon to take the accounts and settings just saved into
// account now, so the next page shows them; without Actions (tests), or when it fails, the
// daemon notices the recorded change within seconds.
func (s *Server) reload(ctx context.Context) {
	if s.o.Actions == nil {
		return
	}
	if err := s.o.Actions.Reload(ctx); err != nil {
		s.o.Logger.Warn("dashboard: the daemon did not reload its accounts; it will on its next check", "err", err)
	}
}

// accountChartsData is what the account page shows of a range: rounds and activity
// outcomes over time, success rates by workload and the per-activity table.
type accountChartsData struct {
	// HasRounds is false when no round started in the range (the page says so instead of
	// drawing empty charts).
	HasRounds                        bool
	Rounds, RoundsLegend             template.HTML
	Activities, ActivitiesLegend     template.HTML
	Workloads                        template.HTML
	Table                            []activityView
	RoundCount, ResultCount          int
	RangeFrom, RangeTo               string
	Bucket                           string
	roundsOK, roundsDeg, roundsOwner int
}

// activityView is one row of the account page's per-activity table.
type activityView struct {
	Name, Workload            string
	Runs, OK, Failed, Skipped int
	// Rate is the share of the runs that ran (not skipped) and succeeded, "–" when none
	// ran; Class colours it (ok, warn, fail, none).
	Rate, Class string
	// Latency is "avg / p95" of the successful runs, "–" without any.
	Latency string
	Fail    *failureView
}

type failureView struct {
	When, Status, Code, RequestID, Message string
}

// Success rates at or above these are ok, then warn; below, fail.
const (
	rateOK   = 95.0
	rateWarn = 80.0
)

// rate returns the success rate in percent of ok runs out of ok+failed, and whether any
// ran at all.
func rate(ok, failed int) (float64, bool) {
	if ok+failed == 0 {
		return 0, false
	}
	return 100 * float64(ok) / float64(ok+failed), true
}

// rateText formats a rate: "100%", "97.3%", "0%"; "–" when nothing ran.
func rateText(r float64, ran bool) string {
	if !ran {
		return "–"
	}
	if r == 100 || r == 0 {
		return strconv.Itoa(int(r)) + "%"
	}
	return strconv.FormatFloat(r, 'f', 1, 64) + "%"
}

// rateClass is the colour class of a rate (without its prefix: ok, warn, fail, none).
func rateClass(r float64, ran bool) string {
	switch {
	case !ran:
		return "none"
	case r >= rateOK:
		return "ok"
	case r >= rateWarn:
		return "warn"
	}
	return "fail"
}

// seriesClass is a chart class of a colour class.
func seriesClass(c string) string {
	if c == "none" {
		return "s-skip"
	}
	return "s-" + c
}

// chartRange returns the start of an account page's range of days ending today (in loc)
// and the size of its buckets: 6 hours for a week, a day for longer ranges. The range
// holds whole local days, today's included.
func chartRange(days int, now time.Time, loc *time.Location) (time.Time, time.Duration) {
	bucket := store.Day
	if days < 30 {
		bucket = 6 * time.Hour
	}
	y, m, d := now.In(loc).Date()
	return store.StartOfDay(y, m, d-days+1, loc), bucket
}

// accountCharts aggregates the account's rounds of the last days (in loc) into the
// account page's charts and per-activity table.
func (s *Server) accountCharts(ctx context.Context, lang i18n.Lang, name string, days int, now time.Time, loc *time.Location) (accountChartsData, error) {
	var out accountChartsData
	since, bucket := chartRange(days, now, loc)
	buckets, err := s.o.Store.RoundStats(ctx, name, since, bucket, loc)
	if err != nil {
		return out, err
	}
	label := func(t time.Time) string { return t.Format("2006-01-02") }
	out.Bucket = T(lang, "chart.per.day")
	if bucket < store.Day {
		label = func(t time.Time) string { return t.Format("01-02 15:04") }
		out.Bucket = T(lang, "chart.per.6h")
	}
	out.RangeFrom, out.RangeTo = since.Format("2006-01-02"), now.In(loc).Format("2006-01-02")
	var actOK, actFailed, actSkipped int
	rounds := make([]chart.Bucket, len(buckets))
	acts := make([]chart.Bucket, len(buckets))
	for i, b := range buckets {
		l := label(b.Start)
		rounds[i] = chart.Bucket{Start: b.Start, Label: l, Values: []float64{float64(b.OK), float64(b.Degraded), float64(b.NeedsOwner)}}
		acts[i] = chart.Bucket{Start: b.Start, Label: l,
			Values: []float64{float64(b.ActivityOK), float64(b.ActivityFailed), float64(b.ActivitySkipped)}}
		out.RoundCount += b.Rounds
		out.roundsOK += b.OK
		out.roundsDeg += b.Degraded
		out.roundsOwner += b.NeedsOwner
		out.ResultCount += b.Activities
		actOK += b.ActivityOK
		actFailed += b.ActivityFailed
		actSkipped += b.ActivitySkipped
	}
	out.HasRounds = out.RoundCount > 0
	if !out.HasRounds {
		return out, nil
	}
	roundSeries := []chart.Series{{Name: T(lang, "series.rounds.ok"), Class: "s-ok"},
		{Name: T(lang, "series.rounds.deg"), Class: "s-warn"}, {Name: T(lang, "series.rounds.owner"), Class: "s-fail"}}
	actSeries := []chart.Series{{Name: T(lang, "outcome.ok"), Class: "s-ok"},
		{Name: T(lang, "outcome.failed"), Class: "s-fail"}, {Name: T(lang, "outcome.skipped"), Class: "s-skip"}}
	empty := T(lang, "chart.nodata")
	out.Rounds = chart.StackedBars(rounds, roundSeries, chart.Options{Class: "chart-rounds",
		Title: T(lang, "chart.rounds.title", out.Bucket), Empty: empty,
		Desc: T(lang, "chart.rounds.desc", out.RangeFrom, out.RangeTo, out.RoundCount, out.roundsOK, out.roundsDeg, out.roundsOwner)})
	out.RoundsLegend = chart.Legend(roundSeries)
	out.Activities = chart.StackedBars(acts, actSeries, chart.Options{Class: "chart-activities",
		Title: T(lang, "chart.acts.title", out.Bucket), Empty: empty,
		Desc: T(lang, "chart.acts.desc", out.RangeFrom, out.RangeTo, out.ResultCount, actOK, actFailed, actSkipped)})
	out.ActivitiesLegend = chart.Legend(actSeries)

	stats, err := s.o.Store.ActivityStats(ctx, name, since)
	if err != nil {
		return out, err
	}
	type workload struct {
		name                      string
		runs, ok, failed, skipped int
	}
	var wls []*workload
	byName := map[string]*workload{}
	for _, st := range stats {
		r, ran := rate(st.OK, st.Failed)
		v := activityView{Name: st.Activity, Workload: st.Workload, Runs: st.Runs, OK: st.OK, Failed: st.Failed, Skipped: st.Skipped,
			Rate: rateText(r, ran), Class: rateClass(r, ran), Latency: "–"}
		if st.OK > 0 {
			v.Latency = T(lang, "latency", st.AvgMs, st.P95Ms)
		}
		if f := st.LastFailure; !f.At.IsZero() {
			fv := &failureView{When: f.At.In(loc).Format("2006-01-02 15:04"), Code: f.Code, RequestID: f.RequestID, Message: f.Message}
			if f.Status != 0 {
				fv.Status = strconv.Itoa(f.Status)
			}
			v.Fail = fv
		}
		out.Table = append(out.Table, v)
		w := byName[st.Workload]
		if w == nil {
			w = &workload{name: st.Workload}
			byName[st.Workload] = w
			wls = append(wls, w)
		}
		w.runs += st.Runs
		w.ok += st.OK
		w.failed += st.Failed
		w.skipped += st.Skipped
	}
	bars := make([]chart.Bar, 0, len(wls))
	for _, w := range wls {
		r, ran := rate(w.ok, w.failed)
		label := w.name
		if label == "" {
			label = T(lang, "unknown")
		}
		bars = append(bars, chart.Bar{Label: label, Value: r, Class: seriesClass(rateClass(r, ran)),
			Text:  T(lang, "wl.text", rateText(r, ran), w.runs),
			Title: T(lang, "wl.title", label, rateText(r, ran), w.ok, w.failed, w.skipped)})
	}
	out.Workloads = chart.HBars(bars, 100, chart.Options{Class: "chart-workloads", Title: T(lang, "chart.wl.title"),
		Desc: T(lang, "chart.wl.desc", out.RangeFrom, out.RangeTo), Empty: T(lang, "chart.wl.none")})
	return out, nil
}

// sparkWidth is the width of the overview's sparklines: room for sparkRounds squares, so
// that the column lines up whatever each account has.
const (
	sparkRounds = 10
	sparkWidth  = sparkRounds*chart.SparkCell + (sparkRounds-1)*chart.SparkCell/4
)

// sparkline draws an account's newest verdicts (oldest first), with an accessible name
// that counts them.
func sparkline(lang i18n.Lang, verdicts []string) template.HTML {
	points := make([]chart.Point, len(verdicts))
	var ok, deg, owner int
	desc := ""
	for i, v := range verdicts {
		switch v {
		case store.VerdictOK:
			ok++
		case store.VerdictDegraded:
			deg++
		case store.VerdictNeedsOwner:
			owner++
		}
		text := verdictText(lang, v)
		points[i] = chart.Point{Class: seriesClass(verdictClass(v)), Title: text}
		if i > 0 {
			desc += T(lang, "list.sep")
		}
		desc += text
	}
	o := chart.Options{Width: sparkWidth, Empty: T(lang, "spark.none"), Title: T(lang, "spark.none")}
	if len(verdicts) > 0 {
		o.Title = T(lang, "spark.label", len(verdicts), ok, deg, owner)
		o.Desc = T(lang, "spark.desc", desc)
	}
	return chart.Sparkline(points, o)
}

// countsText says how a round's activities ended.
func countsText(lang i18n.Lang, ok, failed, skipped int) string {
	return fmt.Sprintf("%d %s · %d %s · %d %s", ok, T(lang, "outcome.ok"), failed, T(lang, "outcome.failed"), skipped, T(lang, "outcome.skipped"))
}
