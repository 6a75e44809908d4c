package daemon

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/e5renew/e5renew/internal/auth"
)

// Metrics are the daemon's Prometheus metrics, in a registry of their own (no global
// state: two daemons in one test process do not mix).
type Metrics struct {
	Registry   *prometheus.Registry
	rounds     *prometheus.CounterVec
	activities *prometheus.CounterVec
	signIns    *prometheus.CounterVec
	lag        prometheus.Histogram
	running    prometheus.Gauge
	accounts   *prometheus.GaugeVec
	notifies   *prometheus.CounterVec
}

// NewMetrics registers the metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		rounds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "e5renew_rounds_total", Help: "Rounds run, by verdict (ok, degraded, needs_owner, interrupted).",
		}, []string{"verdict"}),
		activities: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "e5renew_activity_results_total", Help: "Activity results, by workload and outcome (ok, failed, skipped).",
		}, []string{"workload", "outcome"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "e5renew_token_refreshes_total", Help: "Token requests to the identity platform, by sign-in type and result (ok, needs_owner, transient).",
		}, []string{"type", "result"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "e5renew_scheduler_lag_seconds",
			Help:    "How late rounds start compared with their planned time.",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300},
		}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "e5renew_rounds_running", Help: "Rounds in flight.",
		}),
		accounts: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "e5renew_accounts", Help: "Accounts by state (active, paused_needs_owner, paused_by_owner, backing_off).",
		}, []string{"state"}),
		notifies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "e5renew_notifications_total", Help: "Notifications queued, by kind.",
		}, []string{"kind"}),
	}
	m.Registry.MustRegister(m.rounds, m.activities, m.signIns, m.lag, m.running, m.accounts, m.notifies,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// SignIn counts a token request (wire it to auth.Common.OnSignIn).
func (m *Metrics) SignIn(kind auth.Kind, err error) {
	result := "ok"
	switch {
	case err == nil:
	case auth.IsNeedsOwner(err):
		result = "needs_owner"
	default:
		result = "transient"
	}
	m.signIns.WithLabelValues(string(kind), result).Inc()
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
