package daemon

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/doctor"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/store"
)

// ChangeExpiryWarned records that the owner was warned of an expiry, so that each
// threshold is announced once per date.
const ChangeExpiryWarned = "expiry_warned"

// How often the expiry checks run, and how long after start the first does.
const (
	ExpiryCheckEvery = 24 * time.Hour
	expiryFirstAfter = time.Minute
)

// checkExpiry runs the doctor's expiry checks (client secret, subscription) on every
// account and warns the owner when a date is closer than a threshold (d.mu not held).
func (d *Daemon) checkExpiry(ctx context.Context) {
	d.mu.Lock()
	cfg := d.cfg
	var members []*fleet.Member
	for _, a := range d.accounts {
		if a.member != nil && !(a.state.Paused && a.state.PauseReason == store.PauseNeedsOwner) {
			members = append(members, a.member)
		}
	}
	d.mu.Unlock()
	warn := cfg.WantsEvent("expiring")
	now := d.clk.Now()
	thresholds := cfg.ExpiryWarnings()
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			acct := doctor.Account{Name: m.Config.Name, Type: m.Config.Type, Source: m.Account.Source, Graph: m.Account.Graph,
				User: m.Config.User, ClientID: m.Config.ClientID, ClientSecret: m.Config.ClientSecret, SecretExpires: m.Config.SecretExpires}
			r := doctor.Run(ctx, acct, doctor.Options{Lang: cfg.NotifyLang(), Now: now, WarnDays: thresholds[0],
				Only: []string{"client-secret", "subscription"}})
			if !r.SignedIn {
				return // the rounds tell the owner about that
			}
			e := Expiry{Checked: now, Secret: r.SecretExpires}
			if s := r.Subscription; s != nil {
				e.Subscription, e.SubscriptionStatus = s.NextLifecycle, s.Status
			}
			d.mu.Lock()
			d.expiry[store.FoldName(m.Config.Name)] = e
			d.mu.Unlock()
			if !warn {
				return
			}
			if !r.SecretExpires.IsZero() {
				d.warnExpiry(ctx, cfg, m, "secret", r.SecretExpires, now, thresholds, func(days int) notify.Message {
					return notify.SecretExpiringMsg(cfg.NotifyLang(), m.Config.Name, r.SecretExpires, days)
				})
			}
			if s := r.Subscription; s != nil && !s.NextLifecycle.IsZero() {
				d.warnExpiry(ctx, cfg, m, "subscription", s.NextLifecycle, now, thresholds, func(days int) notify.Message {
					return notify.SubscriptionExpiringMsg(cfg.NotifyLang(), m.Config.Name, s.NextLifecycle, s.Status, days)
				})
			}
		})
	}
	wg.Wait()
}

// Expiry is what the last daily expiry check of an account found.
type Expiry struct {
	Checked time.Time
	// Secret is when the client secret expires (zero: unknown).
	Secret time.Time
	// Subscription is the developer subscription's next lifecycle date, advisory (zero:
	// unknown), and SubscriptionStatus its status (Enabled, Warning...).
	Subscription       time.Time
	SubscriptionStatus string
}

// Expiry returns what the last expiry check found for an account (checks run a minute after
// start, then daily); false when none has run for it or it could not sign in.
func (d *Daemon) Expiry(name string) (Expiry, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.expiry[store.FoldName(name)]
	return e, ok
}

// warnExpiry sends one message for the smallest threshold the date is within, unless it
// was sent already for this date.
func (d *Daemon) warnExpiry(ctx context.Context, cfg *config.Config, m *fleet.Member, what string, date, now time.Time,
	thresholds []int, msg func(days int) notify.Message) {
	left := date.Sub(now)
	if left <= 0 {
		return // expired: sign-in fails and the owner hears of that
	}
	daysLeft := int(left.Hours() / 24)
	crossed := 0
	for _, t := range thresholds {
		if daysLeft < t {
			crossed = t
		}
	}
	if crossed == 0 {
		return
	}
	key := fmt.Sprintf("%s:%s:%d", what, date.UTC().Format("2006-01-02"), crossed)
	past, err := d.o.Store.Changes(ctx, m.Config.Name, 200)
	if err != nil {
		d.log.Warn("could not read state changes", "account", m.Config.Name, "err", err)
		return
	}
	for _, c := range past {
		if c.Kind == ChangeExpiryWarned && c.Reason == key {
			return
		}
	}
	d.record(&store.StateChange{Account: m.Config.Name, At: now, Kind: ChangeExpiryWarned, Reason: key, By: ByDaemon})
	message := msg(daysLeft)
	if u := cfg.Notifications.PublicURL; u != "" {
		message.URL = u
	}
	d.notify(message, m.Config.Notify)
}
