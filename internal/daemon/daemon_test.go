package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/clock"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/notify"
	"github.com/e5renew/e5renew/internal/sandbox"
	"github.com/e5renew/e5renew/internal/schedule"
	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
	"github.com/e5renew/e5renew/internal/store/sqlite"
)

// start is a Monday morning.
var start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// inbox is a notification channel that keeps what it gets.
type inbox struct {
	mu  sync.Mutex
	got []notify.Message
}

func (i *inbox) Name() string { return "inbox" }
func (i *inbox) Type() string { return "test" }
func (i *inbox) Send(_ context.Context, m notify.Message) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.got = append(i.got, m)
	return nil
}

func (i *inbox) messages(kind notify.Kind, account string) []notify.Message {
	i.mu.Lock()
	defer i.mu.Unlock()
	var out []notify.Message
	for _, m := range i.got {
		if m.Kind == kind && (account == "" || m.Account == account) {
			out = append(out, m)
		}
	}
	return out
}

// env is an emulated tenant, a store, a fake clock and a daemon over them.
type env struct {
	em      *emulator.Emulator
	url     string
	cfg     *config.Config
	dir     string
	st      store.Store
	box     *secret.Box
	clk     *clock.Fake
	inbox   *inbox
	mgr     *notify.Manager
	metrics *Metrics
	d       *Daemon
	cancel  context.CancelFunc
	done    chan error
	logs    *syncBuffer
	poll    time.Duration
	// accountsChanged counts the daemon's calls of OnAccountsChanged.
	accountsChanged atomic.Int32
	synced          bool
	// graphSleep replaces the Graph client's waits between retries (nil: real).
	graphSleep func(ctx context.Context, d time.Duration) error
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv makes n working accounts (plus the two broken ones when broken) scheduled every
// 10 to 20 minutes in UTC.
func newEnv(t *testing.T, n int, broken bool, emo emulator.Options) *env {
	return newEnvClock(t, n, broken, emo, false)
}

// newEnvClock is newEnv where, with synced, the emulated tenant and sign-in also live on
// the fake clock (dates such as a secret's end are then on the daemon's time line). The
// broken-on-purpose accounts need the real clock: their secret expired "yesterday".
func newEnvClock(t *testing.T, n int, broken bool, emo emulator.Options, synced bool) *env {
	t.Helper()
	clk := clock.NewFake(start)
	if synced {
		emo.Now = clk.Now
	}
	e := &env{em: emulator.New(emo), dir: t.TempDir(), clk: clk, inbox: &inbox{}, logs: &syncBuffer{}, poll: time.Hour, synced: synced}
	srv := httptest.NewServer(e.em.Handler())
	t.Cleanup(srv.Close)
	e.url = srv.URL
	cfg, _, err := sandbox.Populate(e.em, sandbox.Options{Accounts: n, Broken: broken, Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Path = filepath.Join(e.dir, "e5renew.yaml")
	cfg.Defaults.Schedule = schedule.Config{Interval: "10m-20m", TimeZone: "UTC"}
	cfg.Defaults.Activities.Random = "2-3"
	cfg.Daemon.Concurrency = 4
	e.cfg = cfg
	e.box, err = secret.NewBox(secret.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	e.st, err = sqlite.Open(filepath.Join(e.dir, "state", "e5renew.db"), e.box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	return e
}

func (e *env) authNow() func() time.Time {
	if e.synced {
		return e.clk.Now
	}
	return nil
}

func (e *env) fleet(ctx context.Context, cfg *config.Config) (*fleet.Fleet, error) {
	return fleet.New(ctx, fleet.Options{Config: cfg, Store: e.st, Box: e.box, Lang: i18n.EN,
		Getenv: func(string) (string, bool) { return "", false }, Auth: auth.Common{OnSignIn: e.metrics.SignIn, Sleep: e.graphSleep, Now: e.authNow()},
		Graph: graph.Options{Sleep: e.graphSleep}})
}

// start runs a daemon (a new one each call: a restart).
func (e *env) start(t *testing.T) {
	t.Helper()
	var err error
	e.metrics = NewMetrics()
	e.mgr, err = notify.NewManager([]notify.Notifier{e.inbox}, notify.ManagerOptions{Sleep: func(ctx context.Context, d time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.d, err = New(t.Context(), Options{Config: e.cfg, Store: e.st, Fleet: e.fleet, Clock: e.clk, Logger: log,
		Metrics: e.metrics, Notifier: e.mgr, Version: "test", Seed: 42, PollChanges: e.poll,
		OnAccountsChanged: func() { e.accountsChanged.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.done = make(chan error, 1)
	go e.mgr.Run(ctx, 5*time.Second)
	go func() { e.done <- e.d.Run(ctx) }()
	t.Cleanup(func() { e.stop(t) })
	e.settle(t)
}

// stop shuts the daemon down as a signal would.
func (e *env) stop(t *testing.T) {
	t.Helper()
	if e.cancel == nil {
		return
	}
	e.cancel()
	e.cancel = nil
	select {
	case err := <-e.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon did not stop")
	}
	e.mgr.Close()
}

// settle waits until no round runs and none is due.
func (e *env) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !e.d.quiet(time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not settle:\n%s", e.logs.String())
		}
		time.Sleep(time.Millisecond)
	}
	for e.mgr.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// advance moves the fake clock to `to`, waking the daemon at every time it waits for.
func (e *env) advance(t *testing.T, to time.Time) {
	t.Helper()
	e.settle(t)
	for {
		w, ok := e.clk.NextWake()
		if !ok || w.After(to) {
			e.clk.Set(to)
			e.settle(t)
			return
		}
		e.clk.Set(w)
		e.settle(t)
	}
}

func (e *env) rounds(t *testing.T, account string) []store.Round {
	t.Helper()
	rs, err := e.st.Rounds(context.Background(), account, 0)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Started.Before(rs[j].Started) })
	return rs
}

func (e *env) state(t *testing.T, account string) store.AccountState {
	t.Helper()
	s, ok, err := e.st.LoadState(context.Background(), account)
	if err != nil || !ok {
		t.Fatalf("state of %s: %v, %v", account, ok, err)
	}
	return s
}

func (e *env) changes(t *testing.T, account string) []string {
	t.Helper()
	cs, err := e.st.Changes(context.Background(), account, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(cs) - 1; i >= 0; i-- {
		out = append(out, cs[i].Kind+":"+cs[i].Reason)
	}
	return out
}

// checkGaps asserts that an account's rounds started between lo and hi apart (the
// schedule), and returns how many it had.
func checkGaps(t *testing.T, name string, rs []store.Round, lo, hi time.Duration) {
	t.Helper()
	for i := 1; i < len(rs); i++ {
		gap := rs[i].Started.Sub(rs[i-1].Started)
		if gap < lo || gap > hi {
			t.Errorf("%s: rounds %d and %d are %v apart, want %v to %v", name, i, i+1, gap, lo, hi)
		}
	}
}

func TestEachAccountRunsOnItsOwnIrregularSchedule(t *testing.T) {
	e := newEnv(t, 3, false, emulator.Options{StrictRotation: true})
	e.start(t)
	e.advance(t, start.Add(6*time.Hour))
	var firsts []time.Time
	for _, a := range e.cfg.Accounts {
		rs := e.rounds(t, a.Name)
		// The first round comes soon after start (a new account), then every 10-20 min.
		if len(rs) < 6*60/20 || len(rs) > 6*60/10+1 {
			t.Errorf("%s: %d rounds in 6 hours, want %d to %d", a.Name, len(rs), 6*60/20, 6*60/10+1)
		}
		if first := rs[0].Started.Sub(start); first < schedule.ResumeDelayMin || first > schedule.ResumeDelayMax {
			t.Errorf("%s: first round %v after start, want %v to %v", a.Name, first, schedule.ResumeDelayMin, schedule.ResumeDelayMax)
		}
		firsts = append(firsts, rs[0].Started)
		checkGaps(t, a.Name, rs, 10*time.Minute, 20*time.Minute)
		var gaps []time.Duration
		for i := 1; i < len(rs); i++ {
			gaps = append(gaps, rs[i].Started.Sub(rs[i-1].Started))
		}
		if len(gaps) > 3 && allEqual(gaps) {
			t.Errorf("%s: every gap is %v: not irregular", a.Name, gaps[0])
		}
		for _, r := range rs {
			if r.Verdict != store.VerdictOK {
				t.Errorf("%s: round at %v: %s %s", a.Name, r.Started, r.Verdict, r.Message)
			}
		}
		st := e.state(t, a.Name)
		if !st.NextRun.After(e.clk.Now()) || st.Paused {
			t.Errorf("%s: state %+v, want a planned next run", a.Name, st)
		}
	}
	if firsts[0].Equal(firsts[1]) && firsts[1].Equal(firsts[2]) {
		t.Error("accounts fired together")
	}
	if st := e.em.Stats(); st.LiveArtifactsTotal != 0 {
		t.Errorf("left behind: %v", st.LiveArtifacts)
	}
	if n := len(e.inbox.messages(notify.Started, "")); n != 1 {
		t.Errorf("%d started messages, want 1", n)
	}
}

func allEqual(ds []time.Duration) bool {
	for _, d := range ds[1:] {
		if d != ds[0] {
			return false
		}
	}
	return true
}

func TestWorkingHoursAndDaysAreRespected(t *testing.T) {
	e := newEnv(t, 2, false, emulator.Options{})
	e.cfg.Defaults.Schedule = schedule.Config{Interval: "30m-90m", Hours: "09:00-12:00,14:00-18:00", Days: "mon-sat", TimeZone: "Asia/Shanghai"}
	e.start(t)
	e.advance(t, start.Add(8*24*time.Hour))
	loc, _ := time.LoadLocation("Asia/Shanghai")
	for _, a := range e.cfg.Accounts {
		rs := e.rounds(t, a.Name)
		if len(rs) < 20 {
			t.Fatalf("%s: only %d rounds in 8 days", a.Name, len(rs))
		}
		for _, r := range rs[1:] { // the first is the catch-up after start
			l := r.Started.In(loc)
			mins := l.Hour()*60 + l.Minute()
			inWindow := (mins >= 9*60 && mins < 12*60) || (mins >= 14*60 && mins < 18*60)
			if !inWindow || l.Weekday() == time.Sunday {
				t.Errorf("%s: round at %v (%s), outside the working hours and days", a.Name, l, l.Weekday())
			}
		}
	}
}

func TestNeedsOwnerPausesWithoutRetryingSignIn(t *testing.T) {
	e := newEnv(t, 1, true, emulator.Options{})
	e.cfg.Daemon.NeedsOwnerRetry = "24h"
	e.start(t)
	e.advance(t, start.Add(3*time.Hour))
	broken := []string{e.cfg.Accounts[1].Name, e.cfg.Accounts[2].Name} // expired secret, MFA
	for _, name := range broken {
		rs := e.rounds(t, name)
		if len(rs) != 1 || rs[0].Verdict != store.VerdictNeedsOwner {
			t.Fatalf("%s: %d rounds (%+v), want exactly one that needs the owner and no retry", name, len(rs), rs)
		}
		st := e.state(t, name)
		if !st.Paused || st.PauseReason != store.PauseNeedsOwner || st.PauseUntil.Sub(rs[0].Started) < 24*time.Hour-time.Minute {
			t.Errorf("%s: state %+v, want paused for a day", name, st)
		}
		if got := e.inbox.messages(notify.NeedsOwner, name); len(got) != 1 {
			t.Errorf("%s: %d needs-owner messages, want 1", name, len(got))
		}
		if ch := e.changes(t, name); len(ch) != 1 || !strings.HasPrefix(ch[0], ChangePaused+":") {
			t.Errorf("%s: changes %v, want one pause", name, ch)
		}
	}
	msg := e.inbox.messages(notify.NeedsOwner, broken[0])[0]
	if !strings.Contains(msg.Text, "AADSTS7000222") || !strings.Contains(msg.Text, "e5renew accounts resume "+broken[0]) {
		t.Errorf("message lacks the code or what to do:\n%s", msg.Text)
	}
	for _, a := range e.cfg.Accounts {
		for _, s := range []string{a.ClientSecret.Reveal(), a.Password.Reveal(), a.RefreshToken.Reveal()} {
			if s != "" && strings.Contains(msg.Full()+e.logs.String(), s) {
				t.Errorf("a secret of %s is in a message or the log", a.Name)
			}
		}
	}
	// A day later, one more try each; still broken: paused again, not told again.
	e.advance(t, start.Add(28*time.Hour))
	for _, name := range broken {
		rs := e.rounds(t, name)
		if len(rs) != 2 {
			t.Errorf("%s: %d rounds after a day, want 2 (one retry)", name, len(rs))
		}
		if got := e.inbox.messages(notify.NeedsOwner, name); len(got) != 1 {
			t.Errorf("%s: %d needs-owner messages after the retry, want still 1", name, len(got))
		}
	}
	// The healthy account ran all along.
	if rs := e.rounds(t, e.cfg.Accounts[0].Name); len(rs) < 28*60/20 {
		t.Errorf("healthy account: %d rounds", len(rs))
	}
}

func TestNewCredentialsLiftThePause(t *testing.T) {
	e := newEnv(t, 0, true, emulator.Options{})
	e.cfg.Daemon.NeedsOwnerRetry = "never"
	e.start(t)
	e.advance(t, start.Add(time.Hour))
	name := e.cfg.Accounts[0].Name // the expired secret
	if st := e.state(t, name); !st.Paused || !st.PauseUntil.IsZero() || !st.NextRun.IsZero() {
		t.Fatalf("state %+v, want paused until the owner acts", st)
	}
	e.advance(t, start.Add(10*24*time.Hour))
	if rs := e.rounds(t, name); len(rs) != 1 {
		t.Fatalf("%d rounds in 10 days while paused, want 1", len(rs))
	}
	// The owner adds a new secret and puts it in the configuration; the reload resumes.
	acct, _ := e.cfg.Account(name)
	value, _, err := e.em.AddSecret(acct.ClientID, emulator.SecretSpec{Value: "new-secret-value-" + strings.Repeat("z", 20)})
	if err != nil {
		t.Fatal(err)
	}
	acct.ClientSecret = secret.String(value)
	if err := e.d.Reload(t.Context(), e.cfg); err != nil {
		t.Fatal(err)
	}
	e.advance(t, e.clk.Now().Add(time.Hour))
	rs := e.rounds(t, name)
	if len(rs) < 3 || rs[1].Verdict != store.VerdictOK {
		t.Fatalf("after new credentials: %d rounds, second %+v\n%s", len(rs), rs[1], e.logs.String())
	}
	if got := e.inbox.messages(notify.Recovered, name); len(got) != 1 {
		t.Errorf("%d recovered messages, want 1", len(got))
	}
	ch := e.changes(t, name)
	want := []string{"paused:client_secret_expired", "resumed:credentials_changed", "recovered:"}
	if fmt.Sprint(ch) != fmt.Sprint(want) {
		t.Errorf("changes %v, want %v", ch, want)
	}
	// The MFA account is still paused: its credentials did not change.
	if st := e.state(t, e.cfg.Accounts[1].Name); !st.Paused {
		t.Errorf("the MFA account was resumed: %+v", st)
	}
}

func TestOwnerPausesAndResumesFromAnotherProcess(t *testing.T) {
	e := newEnv(t, 2, false, emulator.Options{})
	e.poll = time.Minute
	e.start(t)
	e.advance(t, start.Add(time.Hour))
	name := e.cfg.Accounts[0].Name
	// `e5renew accounts pause` writes to the store; the daemon reads it at its next poll.
	if err := RequestPause(t.Context(), e.st, name, "travelling", e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	before := len(e.rounds(t, name))
	e.advance(t, e.clk.Now().Add(2*time.Hour))
	paused := len(e.rounds(t, name))
	if paused > before+1 { // one round may start before the poll (every minute) sees the pause
		t.Errorf("%d rounds while paused by the owner", paused-before)
	}
	e.advance(t, e.clk.Now().Add(5*time.Hour))
	if got := len(e.rounds(t, name)); got != paused {
		t.Errorf("%d rounds while paused by the owner", got-paused)
	}
	if st := e.state(t, name); !st.Paused || st.PauseReason != store.PauseByOwner || st.PauseMessage != "travelling" {
		t.Errorf("state %+v", st)
	}
	if _, err := RequestResume(t.Context(), e.st, name, e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	e.advance(t, e.clk.Now().Add(2*time.Hour))
	if got := len(e.rounds(t, name)); got < paused+3 {
		t.Errorf("only %d rounds after resuming", got-paused)
	}
	ch := e.changes(t, name)
	if fmt.Sprint(ch) != fmt.Sprint([]string{"pause_requested:", "resume_requested:"}) {
		t.Errorf("changes %v", ch)
	}
	// The other account never stopped.
	if rs := e.rounds(t, e.cfg.Accounts[1].Name); len(rs) < 9*60/20 {
		t.Errorf("other account: %d rounds", len(rs))
	}
}

func TestRestartResumesThePlanAndRunsMissedRoundsOnce(t *testing.T) {
	e := newEnv(t, 3, false, emulator.Options{StrictRotation: true})
	e.start(t)
	e.advance(t, start.Add(2*time.Hour))
	planned := map[string]time.Time{}
	for _, a := range e.cfg.Accounts {
		planned[a.Name] = e.state(t, a.Name).NextRun
	}
	e.stop(t)

	// A quick restart keeps the stored plan.
	e.start(t)
	for _, a := range e.cfg.Accounts {
		if got := e.state(t, a.Name).NextRun; !got.Equal(planned[a.Name]) {
			t.Errorf("%s: next run %v after a restart, want the stored %v", a.Name, got, planned[a.Name])
		}
	}
	e.stop(t)

	// Down for a day: each account catches up once, soon, then follows its schedule.
	counts := map[string]int{}
	for _, a := range e.cfg.Accounts {
		counts[a.Name] = len(e.rounds(t, a.Name))
	}
	e.clk.Set(start.Add(26 * time.Hour))
	e.start(t)
	back := e.clk.Now()
	e.advance(t, back.Add(9*time.Minute)) // before any regular round could follow
	for _, a := range e.cfg.Accounts {
		rs := e.rounds(t, a.Name)
		if len(rs) != counts[a.Name]+1 {
			t.Errorf("%s: %d rounds in the first minutes after a day away, want exactly 1 (no burst)", a.Name, len(rs)-counts[a.Name])
			continue
		}
		if d := rs[len(rs)-1].Started.Sub(back); d < schedule.ResumeDelayMin || d > schedule.ResumeDelayMax {
			t.Errorf("%s: caught up %v after the restart", a.Name, d)
		}
	}
	e.advance(t, back.Add(3*time.Hour))
	for _, a := range e.cfg.Accounts {
		rs := e.rounds(t, a.Name)
		checkGaps(t, a.Name, rs[counts[a.Name]:], 10*time.Minute, 20*time.Minute)
		// Strict rotation: every round signed in, so no rotated token was lost.
		for _, r := range rs {
			if r.Verdict != store.VerdictOK {
				t.Errorf("%s: %s at %v: %s", a.Name, r.Verdict, r.Started, r.Message)
			}
		}
	}
}

func TestTransientFailuresBackOffAndRecover(t *testing.T) {
	for _, outage := range []struct {
		name   string
		faults emulator.Faults
	}{
		{"sign-in", emulator.Faults{SignInErrorRate: 1}},
		{"graph", emulator.Faults{ErrorRate: 1, RetryAfterMax: time.Millisecond}},
	} {
		t.Run(outage.name, func(t *testing.T) {
			e := newEnv(t, 1, false, emulator.Options{})
			e.cfg.Daemon.Backoff = "1m-8m"
			e.cfg.Defaults.Activities.Random = "1"
			// Graph's retries wait on the fake clock too (the daemon's clock drives rounds).
			e.graphSleep = func(ctx context.Context, d time.Duration) error { return nil }
			if outage.name == "sign-in" {
				// Access tokens live an hour: a sign-in outage shows when one is needed,
				// here the very first.
				e.em.SetFaults(outage.faults)
			}
			e.start(t)
			name := e.cfg.Accounts[0].Name
			var ok int
			if outage.name == "graph" {
				e.advance(t, start.Add(30*time.Minute))
				ok = len(e.rounds(t, name))
				e.em.SetFaults(outage.faults)
			}
			e.advance(t, e.clk.Now().Add(time.Hour))
			rs := e.rounds(t, name)[ok:]
			if len(rs) < 8 {
				for _, r := range rs {
					t.Logf("%v %s %s", r.Started, r.Verdict, r.Message)
				}
				t.Fatalf("%d rounds in an hour of outage, want retries backing off from 1m to 8m", len(rs))
			}
			for i := 2; i < len(rs); i++ {
				gap := rs[i].Started.Sub(rs[i-1].Started)
				if gap < 30*time.Second || gap > 8*time.Minute {
					t.Errorf("retry %d after %v, want within the 1m-8m backoff (with jitter)", i, gap)
				}
			}
			st := e.state(t, name)
			if st.Paused || st.Failures < 8 {
				t.Errorf("state %+v, want backing off, not paused", st)
			}
			if got := e.inbox.messages(notify.Degrading, name); len(got) != 1 {
				t.Errorf("%d degrading messages during the outage, want 1", len(got))
			}
			e.em.SetFaults(emulator.Faults{})
			e.advance(t, e.clk.Now().Add(time.Hour))
			st = e.state(t, name)
			if st.Failures != 0 || st.Notified != "" {
				t.Errorf("state after the outage %+v", st)
			}
			if got := e.inbox.messages(notify.Recovered, name); len(got) != 1 {
				t.Errorf("%d recovered messages, want 1", len(got))
			}
			if ch := e.changes(t, name); len(ch) != 3 || !strings.HasPrefix(ch[0], "backoff:") || !strings.HasPrefix(ch[1], "degrading:") || ch[2] != "recovered:" {
				t.Errorf("changes %v, want backoff, degrading, recovered", ch)
			}
		})
	}
}

func TestActivitiesFailing404AreDemotedNotTheAccount(t *testing.T) {
	e := newEnv(t, 0, false, emulator.Options{})
	ten, err := e.em.AddTenant(emulator.TenantSpec{Domain: "newbie.onmicrosoft.com"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.em.AddUser(ten.ID, emulator.UserSpec{UPN: "newbie", Password: "Pass-word-1!", NoDrive: true})
	if err != nil {
		t.Fatal(err)
	}
	app, err := e.em.AddApp(ten.ID, emulator.AppSpec{DisplayName: "e5renew", PublicClient: true, Scopes: sandbox.DelegatedScopes()})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := e.em.IssueRefreshToken(ten.ID, app.ClientID, u.UPN, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.cfg.Accounts = []config.Account{{Name: "newbie", Type: "refresh_token", ClientID: app.ClientID, RefreshToken: secret.String(rt),
		Activities: &config.Activities{Always: []string{"user.profile", "onedrive.drive"}, Random: "0"}}}
	e.start(t)
	e.advance(t, start.Add(3*time.Hour))
	rs := e.rounds(t, "newbie")
	tried := 0
	for _, r := range rs {
		for _, x := range r.Results {
			if x.Activity == "onedrive.drive" {
				tried++
				if x.Status != 404 {
					t.Errorf("onedrive.drive: %d %s", x.Status, x.Code)
				}
			}
		}
	}
	if tried != 3 {
		t.Errorf("onedrive.drive tried %d times in %d rounds, want 3 then demoted", tried, len(rs))
	}
	if len(rs) < 8 {
		t.Errorf("%d rounds: the account must keep running", len(rs))
	}
	if st := e.state(t, "newbie"); st.Paused || st.Notified != "" {
		t.Errorf("state %+v: a demoted activity must not pause or alarm", st)
	}
	hs, err := e.st.ActivityHealth(t.Context(), "newbie")
	if err != nil || len(hs) != 1 || hs[0].DemotedUntil.IsZero() || hs[0].LastStatus != 404 {
		t.Fatalf("health %+v, %v", hs, err)
	}
	if ch := e.changes(t, "newbie"); len(ch) != 1 || ch[0] != "demoted:onedrive.drive" {
		t.Errorf("changes %v", ch)
	}
	if n := len(e.inbox.messages(notify.Degrading, "")); n != 0 {
		t.Errorf("%d degrading messages for a demoted activity", n)
	}
}

func TestReloadAddsAndRemovesAccounts(t *testing.T) {
	e := newEnv(t, 3, false, emulator.Options{})
	all := e.cfg.Accounts
	e.cfg.Accounts = all[:2]
	e.start(t)
	e.advance(t, start.Add(time.Hour))
	if n := len(e.rounds(t, all[2].Name)); n != 0 {
		t.Fatalf("an unconfigured account ran %d rounds", n)
	}
	cfg := *e.cfg
	cfg.Accounts = []config.Account{all[1], all[2]}
	if err := e.d.Reload(t.Context(), &cfg); err != nil {
		t.Fatal(err)
	}
	removed := len(e.rounds(t, all[0].Name))
	e.advance(t, start.Add(3*time.Hour))
	if n := len(e.rounds(t, all[0].Name)); n != removed {
		t.Errorf("a removed account ran %d more rounds", n-removed)
	}
	if n := len(e.rounds(t, all[2].Name)); n < 5 {
		t.Errorf("the added account ran %d rounds", n)
	}
	if e.d.Accounts() != 2 {
		t.Errorf("%d accounts after the reload", e.d.Accounts())
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	e := newEnv(t, 8, false, emulator.Options{Faults: emulator.Faults{Latency: 20 * time.Millisecond}})
	e.cfg.Daemon.Concurrency = 2
	e.start(t)
	var peak int
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stopWatch:
				return
			default:
			}
			peak = max(peak, e.d.Status().Running)
			time.Sleep(100 * time.Microsecond)
		}
	}()
	// All eight are new, planned within five minutes: jump past that, so that all are
	// due at once.
	e.clk.Set(start.Add(10 * time.Minute))
	e.settle(t)
	close(stopWatch)
	<-watched
	if peak > 2 {
		t.Errorf("%d rounds ran at once, want at most 2", peak)
	}
	if peak < 2 {
		t.Errorf("never more than %d round at once: the bound was not reached, the test proves nothing", peak)
	}
	for _, a := range e.cfg.Accounts {
		if len(e.rounds(t, a.Name)) != 1 {
			t.Errorf("%s: %d rounds, want 1", a.Name, len(e.rounds(t, a.Name)))
		}
	}
	// They started late (waiting for room): the lag is measured.
	if n := testutilCount(t, e.metrics, "e5renew_scheduler_lag_seconds"); n != 8 {
		t.Errorf("lag observed %d times, want 8", n)
	}
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}

// testutilCount returns the sample count of a histogram in the registry.
func testutilCount(t *testing.T, m *Metrics, name string) uint64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestDailyDigest(t *testing.T) {
	e := newEnv(t, 1, true, emulator.Options{})
	e.cfg.Notifications.Digest = "09:30"
	e.cfg.Notifications.TimeZone = "Asia/Shanghai" // 01:30 UTC
	e.start(t)
	e.advance(t, start.Add(24*time.Hour)) // Monday 08:00 UTC to Tuesday 08:00 UTC
	got := e.inbox.messages(notify.Digest, "")
	if len(got) != 1 {
		t.Fatalf("%d digests in a day, want 1", len(got))
	}
	if want := time.Date(2026, 3, 3, 1, 30, 0, 0, time.UTC); !got[0].Time.Equal(want) {
		t.Errorf("digest at %v, want %v (09:30 in Shanghai)", got[0].Time, want)
	}
	for _, w := range []string{"3 accounts: 1 healthy, 0 degraded, 2 paused", e.cfg.Accounts[1].Name + ": AADSTS7000222"} {
		if !strings.Contains(got[0].Text, w) {
			t.Errorf("digest lacks %q:\n%s", w, got[0].Text)
		}
	}
	rs := len(e.rounds(t, e.cfg.Accounts[0].Name))
	if !strings.Contains(got[0].Text, fmt.Sprintf("Last 24 hours: %d rounds", rs+2-countAfter(e.rounds(t, e.cfg.Accounts[0].Name), got[0].Time))) {
		t.Errorf("digest round count: %s (healthy account ran %d rounds in all)", got[0].Text, rs)
	}
	e.advance(t, start.Add(48*time.Hour))
	if n := len(e.inbox.messages(notify.Digest, "")); n != 2 {
		t.Errorf("%d digests in two days, want 2", n)
	}
}

// countAfter counts the rounds that started after t.
func countAfter(rs []store.Round, t time.Time) int {
	n := 0
	for _, r := range rs {
		if r.Started.After(t) {
			n++
		}
	}
	return n
}

// Another process (e5renew login, accounts add, import) added an account: the daemon asks
// for a reload at its next look at the store.
func TestAccountsChangedElsewhereAskForAReload(t *testing.T) {
	e := newEnv(t, 1, false, emulator.Options{})
	e.poll = time.Minute
	e.start(t)
	e.advance(t, start.Add(10*time.Minute))
	if n := e.accountsChanged.Load(); n != 0 {
		t.Fatalf("%d reloads asked before any change", n)
	}
	if err := e.st.RecordChange(t.Context(), &store.StateChange{Account: "newbie", Kind: store.ChangeAccounts, Reason: "login", By: ByOwner}); err != nil {
		t.Fatal(err)
	}
	e.advance(t, e.clk.Now().Add(2*time.Minute))
	if n := e.accountsChanged.Load(); n != 1 {
		t.Errorf("%d reloads asked, want 1", n)
	}
}

// The owner hears 30 and 7 days before a client secret expires and before the
// subscription's next lifecycle date, once per threshold.
func TestExpiryWarnings(t *testing.T) {
	e := newEnvClock(t, 3, false, emulator.Options{}, true)
	e.cfg.Defaults.Schedule = schedule.Config{Interval: "6h-12h", TimeZone: "UTC"}
	app, pw := &e.cfg.Accounts[1], &e.cfg.Accounts[2]
	end := start.Add(20*24*time.Hour + time.Hour)
	value, _, err := e.em.AddSecret(app.ClientID, emulator.SecretSpec{Value: "Qq1~expiring-" + strings.Repeat("e", 27), End: end})
	if err != nil {
		t.Fatal(err)
	}
	app.ClientSecret = secret.String(value)
	if err := e.em.SetDeveloperSubscription(pw.Tenant, "Enabled", start.Add(5*24*time.Hour+time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.start(t)
	e.advance(t, start.Add(2*time.Minute))
	if got := e.inbox.messages(notify.Expiring, app.Name); len(got) != 1 || !strings.Contains(got[0].Title, "expires in 20 days") {
		t.Fatalf("secret warnings %+v, want one at 20 days", got)
	}
	if got := e.inbox.messages(notify.Expiring, pw.Name); len(got) != 1 || !strings.Contains(got[0].Title, "in 5 days") || !strings.Contains(got[0].Text, "advisory") {
		t.Fatalf("subscription warnings %+v, want one at 5 days", got)
	}
	if got := e.inbox.messages(notify.Expiring, e.cfg.Accounts[0].Name); len(got) != 0 {
		t.Errorf("a healthy account was warned: %+v", got)
	}
	// What was found is kept for the dashboard.
	if ex, ok := e.d.Expiry(strings.ToUpper(app.Name)); !ok || !ex.Secret.Equal(end) || ex.Checked.IsZero() {
		t.Errorf("Expiry(%s) = %+v, %v; want the secret's end %v", app.Name, ex, ok, end)
	}
	if ex, ok := e.d.Expiry(pw.Name); !ok || !ex.Subscription.Equal(start.Add(5*24*time.Hour+time.Hour)) || ex.SubscriptionStatus != "Enabled" {
		t.Errorf("Expiry(%s) = %+v, %v; want the subscription's date", pw.Name, ex, ok)
	}
	if _, ok := e.d.Expiry("nobody"); ok {
		t.Error("Expiry of an unknown account found")
	}
	// The following days: nothing new until the secret is within 7 days.
	e.advance(t, start.Add(10*24*time.Hour))
	if got := e.inbox.messages(notify.Expiring, app.Name); len(got) != 1 {
		t.Errorf("%d secret warnings after 10 days, want still 1", len(got))
	}
	e.advance(t, start.Add(15*24*time.Hour))
	got := e.inbox.messages(notify.Expiring, app.Name)
	if len(got) != 2 || !strings.Contains(got[1].Title, "expires in 5 days") && !strings.Contains(got[1].Title, "expires in 6 days") {
		t.Errorf("secret warnings %+v, want a second one under 7 days", got)
	}
	if n := len(e.inbox.messages(notify.Expiring, pw.Name)); n != 1 {
		t.Errorf("%d subscription warnings, want 1 (its date passed)", n)
	}
}

func TestRunNow(t *testing.T) {
	e := newEnv(t, 1, false, emulator.Options{})
	e.start(t)
	e.advance(t, start.Add(10*time.Minute))
	name := e.cfg.Accounts[0].Name
	before := len(e.rounds(t, name))
	if err := e.d.RunNow(name); err != nil {
		t.Fatal(err)
	}
	e.settle(t)
	rs := e.rounds(t, name)
	if len(rs) != before+1 || !rs[len(rs)-1].Started.Equal(e.clk.Now()) {
		t.Fatalf("%d rounds (was %d), last at %v; want one now", len(rs), before, rs[len(rs)-1].Started)
	}
	if err := e.d.Pause(t.Context(), name, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.d.RunNow(name); !errors.Is(err, ErrPaused) {
		t.Errorf("RunNow of a paused account: %v", err)
	}
	if err := e.d.RunNow("nobody"); err == nil {
		t.Error("RunNow of an unknown account succeeded")
	}
}
