// Package daemon runs e5renew as a service: every account on its own irregular schedule,
// one round at a time per account and a bounded number overall, paused when its owner
// must act, backed off on passing failures, its failing activities demoted, and the owner
// told in their channels. Every decision is kept in the store, so a restart resumes the
// plan and the pauses.
package daemon

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/e5renew/e5renew/internal/clock"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/round"
	"github.com/e5renew/e5renew/internal/schedule"
	"github.com/e5renew/e5renew/internal/store"
)

// Options configure a daemon.
type Options struct {
	Config *config.Config
	Store  store.Store
	// Fleet builds the accounts of a configuration (New and Reload call it).
	Fleet func(ctx context.Context, cfg *config.Config) (*fleet.Fleet, error)
	// Clock is the time; nil: the system clock.
	Clock   clock.Waiter
	Logger  *slog.Logger
	Metrics *Metrics
	// Notifier sends the owner's messages; nil: none.
	Notifier *notify.Manager
	Version  string
	// Seed makes the schedule's randomness repeatable (tests); 0: random.
	Seed uint64
	// PollChanges is how often the store is read for pauses and resumes made by another
	// process (default 2 s).
	PollChanges time.Duration
	// OnAccountsChanged, when set, is called when another process added, replaced or
	// removed an account (e5renew login, accounts add, import): the service reloads.
	OnAccountsChanged func()
	// OnRound, when set, is called after each round with the account's new state (the
	// demo prints rounds with it).
	OnRound func(res *round.Result, st store.AccountState, interrupted bool)
}

// Daemon is a running service.
type Daemon struct {
	o       Options
	clk     clock.Waiter
	log     *slog.Logger
	metrics *Metrics

	mu       sync.Mutex
	cfg      *config.Config
	policy   Policy
	set      config.DaemonSettings
	accounts map[string]*account // by store.FoldName
	plan     planHeap
	rng      *rand.Rand
	running  int
	// background counts checks in flight (expiry), so tests on a fake clock wait for them.
	background int
	lastSeen   int64             // the newest state change applied
	expiry     map[string]Expiry // by store.FoldName: the last expiry checks' findings
	digest     digestCounters
	stopping   bool

	wake    chan struct{}
	syncReq chan chan bool
	rounds  sync.WaitGroup
	// roundCtx is cancelled at shutdown: rounds stop their activities and clean up.
	roundCtx    context.Context
	cancelRound context.CancelFunc
	started     time.Time
}

// account is what the daemon knows of one account.
type account struct {
	name   string
	member *fleet.Member
	spec   schedule.Spec
	sched  schedule.Config
	state  store.AccountState
	health map[string]store.ActivityHealth

	running bool
	removed bool
	index   int // in the plan heap; -1 when not planned
	due     time.Time
	// saveMu orders this account's state writes.
	saveMu sync.Mutex
}

type digestCounters struct {
	rounds, calls, failed int
	next                  time.Time
}

// New loads the accounts and their stored state; Run starts the service.
func New(ctx context.Context, o Options) (*Daemon, error) {
	if o.Config == nil || o.Store == nil || o.Fleet == nil {
		return nil, errors.New("daemon: a configuration, a store and a fleet builder are required")
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	if o.PollChanges <= 0 {
		o.PollChanges = 2 * time.Second
	}
	seed := o.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	d := &Daemon{o: o, clk: o.Clock, log: o.Logger, metrics: o.Metrics, accounts: map[string]*account{}, expiry: map[string]Expiry{},
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), wake: make(chan struct{}, 1),
		syncReq: make(chan chan bool)}
	d.roundCtx, d.cancelRound = context.WithCancel(context.WithoutCancel(ctx))
	changes, err := o.Store.Changes(ctx, "", 1)
	if err != nil {
		return nil, err
	}
	if len(changes) > 0 {
		d.lastSeen = changes[0].ID
	}
	if err := d.load(ctx, o.Config); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Daemon) policyOf(cfg *config.Config) (Policy, config.DaemonSettings) {
	s := cfg.DaemonSettings()
	return Policy{NeedsOwnerRetry: s.NeedsOwnerRetry, BackoffMin: s.BackoffMin, BackoffMax: s.BackoffMax,
		DemoteAfter: s.DemoteAfter, DemoteFor: s.DemoteFor, DegradedAfter: cfg.DegradedAfter()}, s
}

// load builds the accounts of cfg and merges them with what the daemon and the store
// know: the first load and every reload.
func (d *Daemon) load(ctx context.Context, cfg *config.Config) error {
	fl, err := d.o.Fleet(ctx, cfg)
	if err != nil {
		return err
	}
	members, _ := fl.Members()
	specs := make([]schedule.Spec, len(members))
	scheds := make([]schedule.Config, len(members))
	for i, m := range members {
		a, _ := cfg.Account(m.Config.Name)
		scheds[i] = cfg.EffectiveSchedule(a)
		if specs[i], err = scheds[i].Spec(); err != nil {
			return fmt.Errorf("account %s: schedule: %w", m.Config.Name, err)
		}
	}
	stored, err := d.o.Store.States(ctx)
	if err != nil {
		return err
	}
	byName := make(map[string]store.AccountState, len(stored))
	for _, st := range stored {
		byName[store.FoldName(st.Account)] = st
	}
	health := map[string][]store.ActivityHealth{}
	for _, m := range members {
		key := store.FoldName(m.Config.Name)
		if _, known := d.accounts[key]; known {
			continue
		}
		hs, err := d.o.Store.ActivityHealth(ctx, m.Config.Name)
		if err != nil {
			return err
		}
		health[key] = hs
	}

	now := d.clk.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cfg = cfg
	d.policy, d.set = d.policyOf(cfg)
	var save []store.AccountState
	var changes []store.StateChange
	seen := map[string]bool{}
	for i, m := range members {
		key := store.FoldName(m.Config.Name)
		seen[key] = true
		a, known := d.accounts[key]
		if !known {
			a = &account{name: m.Config.Name, index: -1, health: map[string]store.ActivityHealth{}}
			for _, h := range health[key] {
				a.health[h.Activity] = h
			}
			if st, ok := byName[key]; ok {
				a.state = st
			}
			a.state.Account = m.Config.Name
			d.accounts[key] = a
		}
		oldSched := a.sched
		a.member, a.spec, a.sched, a.name, a.removed = m, specs[i], scheds[i], m.Config.Name, false
		a.state.Account = m.Config.Name
		st := &a.state
		before := *st

		// New credentials lift a pause that waits for the owner.
		if st.Paused && st.PauseReason == store.PauseNeedsOwner && m.Fingerprint != "" && st.Fingerprint != "" && st.Fingerprint != m.Fingerprint {
			d.unpause(a, now)
			changes = append(changes, store.StateChange{Account: a.name, At: now, Kind: ChangeResumed, Reason: "credentials_changed", By: ByConfig})
		}
		switch {
		case st.Paused && st.PauseReason == store.PauseByOwner:
			st.NextRun = time.Time{}
		case st.Paused:
			st.NextRun = st.PauseUntil
		case !known:
			st.NextRun = schedule.Resume(st.NextRun, now, a.spec, d.rng)
		case oldSched != a.sched && !a.running:
			st.NextRun = a.spec.Next(now, d.rng)
		}
		if !a.running {
			d.replan(a)
		}
		if *st != before {
			st.Updated = now
			save = append(save, *st)
		}
	}
	for key, a := range d.accounts {
		if !seen[key] {
			a.removed = true
			d.unplan(a)
			if !a.running {
				delete(d.accounts, key)
			}
		}
	}
	d.metricsStates()
	if len(save) > 0 {
		if err := d.o.Store.SaveStates(ctx, save); err != nil {
			return err
		}
	}
	for i := range changes {
		if err := d.o.Store.RecordChange(ctx, &changes[i]); err != nil {
			return err
		}
	}
	d.poke()
	return nil
}

// unpause clears a pause (the caller records why) and plans a run soon.
func (d *Daemon) unpause(a *account, now time.Time) {
	st := &a.state
	st.Paused, st.PauseReason, st.PauseCode, st.PauseMessage, st.PauseUntil = false, "", "", "", time.Time{}
	st.Failures = 0
	st.NextRun = schedule.Resume(time.Time{}, now, a.spec, d.rng)
	if a.member != nil {
		a.member.Account.Source.Reset()
	}
}

// replan puts the account in the plan at state.NextRun (or takes it out when none).
func (d *Daemon) replan(a *account) {
	if a.state.NextRun.IsZero() || a.removed {
		d.unplan(a)
		return
	}
	a.due = a.state.NextRun
	if a.index >= 0 {
		heap.Fix(&d.plan, a.index)
	} else {
		heap.Push(&d.plan, a)
	}
}

func (d *Daemon) unplan(a *account) {
	if a.index >= 0 {
		heap.Remove(&d.plan, a.index)
	}
}

// poke wakes the dispatcher.
func (d *Daemon) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Reload applies a new configuration: accounts added, removed or changed; rounds in
// flight finish with the settings they started with.
func (d *Daemon) Reload(ctx context.Context, cfg *config.Config) error {
	if err := d.load(ctx, cfg); err != nil {
		return err
	}
	d.log.Info("configuration reloaded", "accounts", d.Accounts())
	return nil
}

// Accounts returns how many accounts the daemon runs.
func (d *Daemon) Accounts() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.accounts)
}

// Run dispatches rounds until ctx ends, then lets the rounds in flight clean up (within
// daemon.shutdown_timeout), saves everything and returns.
func (d *Daemon) Run(ctx context.Context) error {
	d.started = d.clk.Now()
	d.mu.Lock()
	d.digest.next = d.nextDigest(d.started)
	n := len(d.accounts)
	d.mu.Unlock()
	d.log.Info("daemon started", "accounts", n, "version", d.o.Version)
	if d.cfg.WantsEvent("started") {
		host, _ := os.Hostname()
		d.notify(notify.StartedMsg(d.cfg.NotifyLang(), d.o.Version, n, host), nil)
	}
	poll := d.clk.After(d.o.PollChanges)
	expiry := d.clk.After(expiryFirstAfter)
	arm := func() <-chan time.Time {
		if wait := d.dispatch(); wait >= 0 {
			return d.clk.After(wait)
		}
		return nil
	}
	timer := arm()
	for {
		select {
		case <-ctx.Done():
			return d.shutdown(ctx)
		case <-timer:
			timer = arm()
		case <-d.wake:
			timer = arm()
		case <-poll:
			if err := d.followChanges(ctx); err != nil {
				d.log.Warn("could not read state changes", "err", err)
			}
			poll = d.clk.After(d.o.PollChanges)
			timer = arm()
		case <-expiry:
			d.mu.Lock()
			d.background++
			d.mu.Unlock()
			d.rounds.Add(1)
			go func() {
				defer d.rounds.Done()
				d.checkExpiry(d.roundCtx)
				d.mu.Lock()
				d.background--
				d.mu.Unlock()
				d.poke()
			}()
			expiry = d.clk.After(ExpiryCheckEvery)
			timer = arm()
		case reply := <-d.syncReq:
			timer = arm()
			reply <- d.idle()
		}
	}
}

// idle reports whether nothing runs, nothing is due and no wake-up is pending.
func (d *Daemon) idle() bool {
	now := d.clk.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.running == 0 && d.background == 0 && (len(d.plan) == 0 || now.Before(d.plan[0].due)) && len(d.wake) == 0
}

// quiet asks the dispatcher, between two of its waits, whether it is idle (tests on a
// fake clock advance it then); false when the dispatcher does not answer in time.
func (d *Daemon) quiet(timeout time.Duration) bool {
	reply := make(chan bool, 1)
	select {
	case d.syncReq <- reply:
		return <-reply
	case <-time.After(timeout):
		return false
	}
}

// dispatch starts every round that is due while there is room, sends the digest when due,
// and returns how long to wait for the next (-1: nothing planned).
func (d *Daemon) dispatch() time.Duration {
	now := d.clk.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.digest.next.IsZero() && !now.Before(d.digest.next) {
		d.sendDigest(now)
		d.digest.next = d.nextDigest(now)
	}
	for len(d.plan) > 0 && !now.Before(d.plan[0].due) {
		if d.running >= d.set.Concurrency {
			return -1 // a finishing round wakes the dispatcher
		}
		a := heap.Pop(&d.plan).(*account)
		d.start(a, now)
	}
	wait := time.Duration(-1)
	if len(d.plan) > 0 {
		wait = d.plan[0].due.Sub(now)
	}
	if !d.digest.next.IsZero() {
		if w := d.digest.next.Sub(now); wait < 0 || w < wait {
			wait = w
		}
	}
	return wait
}

// start runs a round of a due account (d.mu held).
func (d *Daemon) start(a *account, now time.Time) {
	planned := a.due
	st := &a.state
	probe := false
	if st.Paused {
		if st.PauseReason != store.PauseNeedsOwner || st.PauseUntil.IsZero() || now.Before(st.PauseUntil) {
			return // not due after all: stays out of the plan until resumed
		}
		probe = true // the long backoff passed: one more try
		a.member.Account.Source.Reset()
	}
	next := a.spec.Next(now, d.rng)
	st.NextRun = next
	st.Updated = now
	a.running = true
	d.running++
	d.metrics.running.Set(float64(d.running))
	d.metrics.lag.Observe(max(0, now.Sub(planned)).Seconds())
	snapshot := *st
	member := a.member
	opts := member.Options
	opts.Now, opts.Sleep = d.clk.Now, d.clk.Sleep
	if demoted := Demoted(a.health, now); len(demoted) > 0 {
		opts.Selection.Exclude = append(append([]string(nil), opts.Selection.Exclude...), demoted...)
		opts.Selection.Always = without(opts.Selection.Always, demoted)
	}
	opts.CleanupTimeout = d.set.ShutdownTimeout
	health := make(map[string]store.ActivityHealth, len(a.health))
	for k, v := range a.health {
		health[k] = v
	}
	policy := d.policy
	d.rounds.Add(1)
	go func() {
		defer d.rounds.Done()
		// The planned next run is stored before the round starts: a crash during the
		// round does not run it again after a restart.
		a.saveMu.Lock()
		err := d.o.Store.SaveState(d.roundCtx, snapshot)
		a.saveMu.Unlock()
		if err != nil {
			d.log.Error("could not save the plan; the round is not run", "account", a.name, "err", err)
			d.finish(a, nil, Decision{State: snapshot}, nil)
			return
		}
		if probe {
			c := store.StateChange{Account: a.name, At: now, Kind: ChangeRetry, Reason: snapshot.PauseReason, By: ByDaemon}
			d.record(&c)
		}
		res := round.Run(d.roundCtx, member.Account, opts)
		d.afterRound(a, member, res, next, health, policy)
	}()
}

func without(list, drop []string) []string {
	var out []string
	for _, x := range list {
		keep := true
		for _, y := range drop {
			keep = keep && x != y
		}
		if keep {
			out = append(out, x)
		}
	}
	return out
}

// afterRound stores the round and applies the policy's decision.
func (d *Daemon) afterRound(a *account, member *fleet.Member, res *round.Result, next time.Time, health map[string]store.ActivityHealth, policy Policy) {
	ctx := context.WithoutCancel(d.roundCtx)
	interrupted := d.roundCtx.Err() != nil
	sr := fleet.ToStore(res)
	if interrupted {
		sr.Reason, sr.Message = "interrupted", "the daemon stopped during the round"
	}
	if err := d.o.Store.SaveRound(ctx, sr); err != nil {
		d.log.Error("could not save a round", "account", a.name, "err", err)
	}
	verdict := string(res.Verdict)
	if interrupted {
		verdict = "interrupted"
	}
	d.metrics.rounds.WithLabelValues(verdict).Inc()
	calls := 0
	for _, x := range res.Activities {
		d.metrics.activities.WithLabelValues(x.Workload, string(x.Outcome)).Inc()
		calls += x.Calls
	}
	d.mu.Lock()
	st := a.state
	d.digest.rounds++
	d.digest.calls += calls
	if res.Verdict != round.OK {
		d.digest.failed++
	}
	d.mu.Unlock()
	if interrupted {
		d.finish(a, res, Decision{State: st}, nil)
		return
	}
	dec := policy.After(st, health, res, d.clk.Now(), next, member.Fingerprint, d.lockedRand())
	d.finish(a, res, dec, member)
}

func (d *Daemon) lockedRand() *rand.Rand {
	d.mu.Lock()
	seed := d.rng.Uint64()
	d.mu.Unlock()
	return rand.New(rand.NewPCG(seed, seed>>1))
}

// finish applies a decision: state, health, changes, events; then replans the account.
func (d *Daemon) finish(a *account, res *round.Result, dec Decision, member *fleet.Member) {
	ctx := context.WithoutCancel(d.roundCtx)
	d.mu.Lock()
	// An owner's pause or resume that arrived during the round wins over the decision.
	if a.state.Paused && a.state.PauseReason == store.PauseByOwner {
		dec.State.Paused, dec.State.PauseReason, dec.State.NextRun = true, store.PauseByOwner, time.Time{}
	}
	a.state = dec.State
	for _, h := range dec.Health {
		a.health[h.Activity] = h
	}
	a.running = false
	if a.removed {
		if cur, ok := d.accounts[store.FoldName(a.name)]; ok && cur == a {
			delete(d.accounts, store.FoldName(a.name))
		}
	} else {
		d.replan(a)
	}
	d.metricsStates()
	cfg := d.cfg
	d.mu.Unlock()

	d.saveState(ctx, a)
	d.mu.Lock()
	snapshot := a.state
	d.mu.Unlock()
	for _, h := range dec.Health {
		if err := d.o.Store.SaveActivityHealth(ctx, h); err != nil {
			d.log.Error("could not save activity health", "account", a.name, "activity", h.Activity, "err", err)
		}
	}
	for i := range dec.Changes {
		d.record(&dec.Changes[i])
	}
	if res != nil && d.o.OnRound != nil {
		d.o.OnRound(res, snapshot, member == nil)
	}
	if res != nil {
		ok, failed, skipped := res.Counts()
		d.log.Info("round finished", "account", a.name, "verdict", string(res.Verdict), "ok", ok, "failed", failed,
			"skipped", skipped, "next", snapshot.NextRun.Format(time.RFC3339), "reason", res.Reason)
	}
	for _, e := range dec.Events {
		d.event(cfg, member, e)
	}
	d.mu.Lock()
	d.running--
	d.metrics.running.Set(float64(d.running))
	d.mu.Unlock()
	d.poke()
}

// record stores a state change and logs it.
func (d *Daemon) record(c *store.StateChange) {
	if err := d.o.Store.RecordChange(context.WithoutCancel(d.roundCtx), c); err != nil {
		d.log.Error("could not record a state change", "account", c.Account, "kind", c.Kind, "err", err)
		return
	}
	d.log.Info("account state changed", "account", c.Account, "change", c.Kind, "reason", c.Reason, "by", c.By)
}

// event turns a policy event into a message for the account's channels.
func (d *Daemon) event(cfg *config.Config, member *fleet.Member, e Event) {
	if !cfg.WantsEvent(e.Kind) {
		return
	}
	lang := cfg.NotifyLang()
	var m notify.Message
	switch e.Kind {
	case "needs_owner":
		m = notify.NeedsOwnerMsg(lang, e.Account, e.Code, e.Message, e.RetryAt, cfg.NotifyLocation())
	case "recovered":
		m = notify.RecoveredMsg(lang, e.Account, e.Lasted)
	case "degrading":
		var fs []notify.Failing
		for _, f := range e.Failing {
			fs = append(fs, notify.Failing{Activity: f.Activity, Problem: f.Problem})
		}
		m = notify.DegradingMsg(lang, e.Account, cfg.DegradedAfter(), fs)
	default:
		return
	}
	if u := cfg.Notifications.PublicURL; u != "" {
		m.URL = u
	}
	var only []string
	if member != nil {
		only = member.Config.Notify
	}
	d.notify(m, only)
}

func (d *Daemon) notify(m notify.Message, only []string) {
	d.metrics.notifies.WithLabelValues(string(m.Kind)).Inc()
	if d.o.Notifier == nil {
		return
	}
	m.Time = d.clk.Now()
	d.o.Notifier.Notify(m, only...)
}

// metricsStates updates the account gauges (d.mu held).
func (d *Daemon) metricsStates() {
	var active, needs, owner, backoff float64
	for _, a := range d.accounts {
		switch {
		case a.state.Paused && a.state.PauseReason == store.PauseByOwner:
			owner++
		case a.state.Paused:
			needs++
		case a.state.Failures > 0:
			backoff++
		default:
			active++
		}
	}
	d.metrics.accounts.WithLabelValues("active").Set(active)
	d.metrics.accounts.WithLabelValues("paused_needs_owner").Set(needs)
	d.metrics.accounts.WithLabelValues("paused_by_owner").Set(owner)
	d.metrics.accounts.WithLabelValues("backing_off").Set(backoff)
}

// nextDigest is the next daily digest time after now (zero: no digest).
func (d *Daemon) nextDigest(now time.Time) time.Time {
	cfg := d.cfg
	if cfg.Notifications.Digest == "" || !cfg.WantsEvent("digest") {
		return time.Time{}
	}
	mins, err := config.ParseClock(cfg.Notifications.Digest)
	if err != nil {
		return time.Time{}
	}
	loc := cfg.NotifyLocation()
	l := now.In(loc)
	t := time.Date(l.Year(), l.Month(), l.Day(), mins/60, mins%60, 0, 0, loc)
	if !t.After(now) {
		t = time.Date(l.Year(), l.Month(), l.Day()+1, mins/60, mins%60, 0, 0, loc)
	}
	return t
}

// sendDigest sends the daily summary (d.mu held).
func (d *Daemon) sendDigest(now time.Time) {
	data := notify.DigestData{Accounts: len(d.accounts), Rounds: d.digest.rounds, Calls: d.digest.calls,
		FailedRounds: d.digest.failed, Problems: map[string]string{}}
	lang := d.cfg.NotifyLang()
	for _, a := range d.accounts {
		st := a.state
		switch {
		case st.Paused && st.PauseReason == store.PauseByOwner:
			data.Paused++
			data.Problems[a.name] = pausedByOwnerText.In(lang)
		case st.Paused:
			data.Paused++
			data.Problems[a.name] = firstNonEmpty(st.PauseCode, st.PauseReason) + " " + st.PauseMessage
		case st.Degraded > 0 || st.Failures > 0:
			data.Degraded++
		default:
			data.Healthy++
		}
	}
	d.digest.rounds, d.digest.calls, d.digest.failed = 0, 0, 0
	d.notify(notify.DigestMsg(lang, data), nil)
}

// shutdown stops dispatching, cancels the rounds in flight after letting them clean up,
// and waits for their state to be saved.
func (d *Daemon) shutdown(ctx context.Context) error {
	d.mu.Lock()
	d.stopping = true
	running := d.running
	timeout := d.set.ShutdownTimeout
	d.mu.Unlock()
	d.log.Info("stopping: rounds in flight stop their activities and clean up", "running", running, "timeout", timeout.String())
	if d.cfg.WantsEvent("stopped") {
		d.notify(notify.StoppedMsg(d.cfg.NotifyLang(), stoppedText.In(d.cfg.NotifyLang())), nil)
	}
	d.cancelRound()
	done := make(chan struct{})
	go func() { d.rounds.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-time.After(timeout + 5*time.Second):
		err = fmt.Errorf("daemon: %d rounds did not finish their cleanup in time; their journals are retried by the next rounds", running)
	}
	d.log.Info("daemon stopped")
	return err
}

var stoppedText = i18n.Text{EN: "It was asked to stop (a signal or a restart)", ZH: "收到停止请求（信号或重启）"}

// Stopping reports whether the daemon is shutting down.
func (d *Daemon) Stopping() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stopping
}

// Handler serves /healthz and /metrics.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", d.metrics.Handler())
	mux.HandleFunc("GET /healthz", d.healthz)
	return mux
}
