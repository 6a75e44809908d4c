// Package service wires a configuration into a running daemon: the state store, the
// notification channels, the accounts, the HTTP endpoints (/healthz, /metrics), reloads
// on SIGHUP and a graceful stop. `e5renew serve` and `e5renew demo` both run it.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/clock"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/daemon"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/notify/channels"
	"github.com/e5renew/e5renew/internal/round"
	"github.com/e5renew/e5renew/internal/store"
)

// Options configure a service.
type Options struct {
	Config *config.Config
	// ConfigPath is re-read on each Reload signal; empty: Config.Path.
	ConfigPath string
	// Listen overrides daemon.listen ("" keeps it; "-" or "off" serves no HTTP).
	Listen  string
	Logger  *slog.Logger
	Getenv  func(string) (string, bool)
	Lang    i18n.Lang
	Version string
	// Reload receives a value for each reload request (SIGHUP).
	Reload <-chan struct{}
	// Ready, when set, is called with the HTTP address once the service listens.
	Ready func(addr string)
	// OnRound is passed to the daemon (the demo prints rounds).
	OnRound func(res *round.Result, st store.AccountState, interrupted bool)
	// HTTPClient is used for sign-in, Graph and notifications; nil: 60 s timeouts.
	HTTPClient *http.Client
	Clock      clock.Waiter
	// AdminPassword, when set, replaces the dashboard's password at start (the demo's).
	AdminPassword string
	// OnPassword is called with the dashboard password generated on the first start (none
	// was set): it is shown once, then only its hash is kept.
	OnPassword func(password string)
}

// NewLogger makes the daemon's logger: text or JSON on w, at level.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.ToUpper(firstNonEmpty(level, "info")))); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	o := &slog.HandlerOptions{Level: lv}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, fmt.Errorf("log format %q: use text or json", format)
}

// Channels builds the configured notification channels.
func Channels(cfg *config.Config, hc *http.Client) ([]notify.Notifier, error) {
	var out []notify.Notifier
	for i, ch := range cfg.Notifications.Channels {
		t, ok := channels.Lookup(ch.Type)
		if !ok {
			return nil, fmt.Errorf("notifications.channels[%d]: unknown type %q", i, ch.Type)
		}
		n, err := t.Build(ch.Settings, hc)
		if err != nil {
			return nil, fmt.Errorf("notifications.channels[%d] (%s): %w", i, ch.Name, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// NewManager builds the notification manager of a configuration, recording deliveries in st.
func NewManager(cfg *config.Config, st store.Store, hc *http.Client, log *slog.Logger) (*notify.Manager, error) {
	chans, err := Channels(cfg, hc)
	if err != nil {
		return nil, err
	}
	return notify.NewManager(chans, notify.ManagerOptions{Recorder: Recorder{S: st}, Logger: log})
}

// Recorder records deliveries in a store.
type Recorder struct{ S store.Store }

// RecordDelivery implements notify.Recorder.
func (r Recorder) RecordDelivery(ctx context.Context, channel, kind, account string, at time.Time, err error) error {
	d := &store.Delivery{At: at, Channel: channel, Kind: kind, Account: account, OK: err == nil}
	if err != nil {
		d.Error = err.Error()
	}
	return r.S.RecordDelivery(ctx, d)
}

// Run runs the service until ctx ends, then stops gracefully.
func Run(ctx context.Context, o Options) error {
	cfg := o.Config
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	log := o.Logger
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if o.ConfigPath == "" {
		o.ConfigPath = cfg.Path
	}
	st, box, err := fleet.OpenState(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	mgr, err := NewManager(cfg, st, o.HTTPClient, log)
	if err != nil {
		return err
	}
	metrics := daemon.NewMetrics()
	build := func(ctx context.Context, cfg *config.Config) (*fleet.Fleet, error) {
		return fleet.New(ctx, fleet.Options{Config: cfg, Store: st, Box: box, Getenv: o.Getenv, HTTPClient: o.HTTPClient,
			Logger: log, Lang: cfg.Lang(), Auth: auth.Common{OnSignIn: metrics.SignIn}})
	}
	accountsChanged := make(chan struct{}, 1)
	d, err := daemon.New(ctx, daemon.Options{Config: cfg, Store: st, Fleet: build, Logger: log, Metrics: metrics,
		Notifier: mgr, Version: o.Version, OnRound: o.OnRound, Clock: o.Clock,
		OnAccountsChanged: func() {
			select {
			case accountsChanged <- struct{}{}:
			default:
			}
		}})
	if err != nil {
		return err
	}

	// Reloads come from SIGHUP, from other commands' changes and from the dashboard: one
	// at a time.
	var reloadMu sync.Mutex
	doReload := func(ctx context.Context) error {
		reloadMu.Lock()
		defer reloadMu.Unlock()
		return reload(ctx, d, mgr, o)
	}

	listen := firstNonEmpty(o.Listen, cfg.DaemonSettings().Listen)
	var srv *http.Server
	if listen != "-" && listen != "off" {
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w (choose another address with --listen or daemon.listen)", listen, err)
		}
		addr := ln.Addr().String()
		if host, _, _ := net.SplitHostPort(addr); !net.ParseIP(host).IsLoopback() {
			log.Warn("listening on a public address: the dashboard (behind its password), /metrics and /healthz are reachable from the network; prefer 127.0.0.1 behind a reverse proxy with HTTPS", "addr", addr)
		}
		dash, err := dashboard(ctx, o, st, d, mgr, doReload)
		if err != nil {
			ln.Close()
			return err
		}
		srv = &http.Server{Handler: dash.Handler(d.Handler()), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("HTTP server stopped", "err", err)
			}
		}()
		log.Info("listening", "addr", addr, "dashboard", DashboardURL(cfg, addr), "healthz", "http://"+addr+"/healthz", "metrics", "http://"+addr+"/metrics")
		if o.Ready != nil {
			o.Ready(addr)
		}
	} else if o.Ready != nil {
		o.Ready("")
	}

	mctx, stopNotify := context.WithCancel(context.WithoutCancel(ctx))
	notified := make(chan struct{})
	go func() { mgr.Run(mctx, 15*time.Second); close(notified) }()

	rctx, stopReload := context.WithCancel(ctx)
	defer stopReload()
	go func() {
		for {
			select {
			case <-rctx.Done():
				return
			case <-o.Reload:
				if err := doReload(rctx); err != nil {
					log.Error("configuration not reloaded; the previous one stays in force", "err", err)
				}
			case <-accountsChanged:
				log.Info("accounts added or removed by another e5renew command: reloading")
				if err := doReload(rctx); err != nil {
					log.Error("accounts not reloaded", "err", err)
				}
			}
		}
	}()

	runErr := d.Run(ctx)
	stopReload()
	stopNotify()
	<-notified
	mgr.Close()
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
	}
	return runErr
}

func reload(ctx context.Context, d *daemon.Daemon, mgr *notify.Manager, o Options) error {
	cfg, err := config.Load(o.ConfigPath)
	if err != nil {
		return err
	}
	chans, err := Channels(cfg, o.HTTPClient)
	if err != nil {
		return err
	}
	if err := d.Reload(ctx, cfg); err != nil {
		return err
	}
	return mgr.SetChannels(chans)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
