package service

import (
	"context"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/daemon"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/onboard"
	"github.com/e5renew/e5renew/internal/store"
	"github.com/e5renew/e5renew/internal/web"
)

// dashboard prepares the web dashboard of a running daemon: the admin password first
// (replaced by o.AdminPassword, or generated and handed to o.OnPassword on the first start).
func dashboard(ctx context.Context, o Options, st store.Store, d *daemon.Daemon, mgr *notify.Manager, reload func(context.Context) error) (*web.Server, error) {
	if o.AdminPassword != "" {
		if err := web.SetPassword(ctx, st, o.AdminPassword); err != nil {
			return nil, err
		}
	} else {
		pw, err := web.EnsurePassword(ctx, st)
		if err != nil {
			return nil, err
		}
		if pw != "" && o.OnPassword != nil {
			o.OnPassword(pw)
		}
	}
	public := o.Config.Notifications.PublicURL
	return web.New(web.Options{Store: st, Settings: st, Runner: d, Logger: o.Logger, Version: o.Version,
		Actions:       &actions{o: o, d: d, st: st, mgr: mgr, reload: reload},
		SecureCookies: strings.HasPrefix(public, "https://"),
		// Behind a reverse proxy (a public URL is configured), the client's address is in
		// X-Forwarded-For when the proxy runs on this machine.
		TrustProxy: public != ""})
}

// DashboardURL is the address to open the dashboard at: the configured public URL, else
// the listening address (the loopback one when listening on every interface).
func DashboardURL(cfg *config.Config, addr string) string {
	if u := cfg.Notifications.PublicURL; u != "" {
		return u
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return (&url.URL{Scheme: "http", Host: net.JoinHostPort(host, port), Path: "/"}).String()
}

// actions lets the dashboard add accounts and test channels with the running daemon's
// configuration.
type actions struct {
	o      Options
	d      *daemon.Daemon
	st     store.Store
	mgr    *notify.Manager
	reload func(context.Context) error
}

// Reload makes the daemon take the accounts and settings the dashboard just saved.
func (a *actions) Reload(ctx context.Context) error { return a.reload(ctx) }

func (a *actions) Env(_ context.Context, lang i18n.Lang) (onboard.Env, error) {
	cfg := a.d.Config()
	getenv := a.o.Getenv
	if getenv == nil {
		getenv = os.LookupEnv
	}
	ep, err := cfg.ResolveEndpoints(getenv)
	if err != nil {
		return onboard.Env{}, err
	}
	return onboard.Env{Store: a.st, Config: cfg, Endpoints: ep, HTTP: a.o.HTTPClient, Logger: a.o.Logger, Lang: lang}, nil
}

func (a *actions) Notifier() *notify.Manager {
	if len(a.mgr.Channels()) == 0 {
		return nil
	}
	return a.mgr
}

// DefaultClientID is the app to sign in with (onboard.DefaultClientID).
func (a *actions) DefaultClientID() string {
	return onboard.DefaultClientID(a.d.Config())
}
