package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/store"
)

var pausedByOwnerText = i18n.Text{EN: "paused by its owner", ZH: "已被所有者暂停"}

// RequestPause pauses an account on the owner's behalf: its state is saved and the request
// recorded, so a daemon running in another process follows it within seconds, and one
// started later finds it. reason is the owner's note (may be empty).
func RequestPause(ctx context.Context, st store.Store, account, reason string, now time.Time) error {
	s, _, err := st.LoadState(ctx, account)
	if err != nil {
		return err
	}
	s.Account = account
	s.Paused, s.PauseReason, s.PauseCode, s.PauseMessage = true, store.PauseByOwner, "", reason
	s.PausedAt, s.PauseUntil, s.NextRun, s.Updated = now, time.Time{}, time.Time{}, now
	if err := st.SaveState(ctx, s); err != nil {
		return err
	}
	return st.RecordChange(ctx, &store.StateChange{Account: account, At: now, Kind: ChangePauseRequested, Message: reason, By: ByOwner})
}

// RequestResume resumes an account on the owner's behalf (whatever paused it): a running
// daemon plans a round soon; one started later finds the account active.
func RequestResume(ctx context.Context, st store.Store, account string, now time.Time) (was store.AccountState, err error) {
	s, _, err := st.LoadState(ctx, account)
	if err != nil {
		return s, err
	}
	was = s
	s.Account = account
	s.Paused, s.PauseReason, s.PauseCode, s.PauseMessage = false, "", "", ""
	s.PauseUntil, s.Failures, s.Updated = time.Time{}, 0, now
	s.NextRun = now
	if err := st.SaveState(ctx, s); err != nil {
		return was, err
	}
	return was, st.RecordChange(ctx, &store.StateChange{Account: account, At: now, Kind: ChangeResumeRequested, By: ByOwner})
}

// followChanges applies the owner's pauses and resumes recorded since the last look.
func (d *Daemon) followChanges(ctx context.Context) error {
	d.mu.Lock()
	after := d.lastSeen
	d.mu.Unlock()
	changes, err := d.o.Store.ChangesAfter(ctx, after)
	if err != nil {
		return err
	}
	for _, c := range changes {
		d.mu.Lock()
		d.lastSeen = max(d.lastSeen, c.ID)
		d.mu.Unlock()
		if c.By != ByOwner {
			continue
		}
		switch c.Kind {
		case ChangePauseRequested:
			d.applyPause(ctx, c.Account, c.Message, c.At)
		case ChangeResumeRequested:
			d.applyResume(ctx, c.Account)
		case store.ChangeAccounts:
			if d.o.OnAccountsChanged != nil {
				d.o.OnAccountsChanged()
			}
		}
	}
	return nil
}

func (d *Daemon) applyPause(ctx context.Context, name, reason string, at time.Time) {
	d.mu.Lock()
	a, ok := d.accounts[store.FoldName(name)]
	if !ok {
		d.mu.Unlock()
		return
	}
	st := &a.state
	st.Paused, st.PauseReason, st.PauseCode, st.PauseMessage = true, store.PauseByOwner, "", reason
	st.PausedAt, st.PauseUntil, st.NextRun = at, time.Time{}, time.Time{}
	d.unplan(a)
	d.metricsStates()
	d.mu.Unlock()
	d.saveState(ctx, a)
	d.log.Info("account paused by its owner", "account", a.name)
}

// saveState stores the account's current state (writes of one account are ordered).
func (d *Daemon) saveState(ctx context.Context, a *account) {
	a.saveMu.Lock()
	defer a.saveMu.Unlock()
	d.mu.Lock()
	snapshot := a.state
	d.mu.Unlock()
	if err := d.o.Store.SaveState(context.WithoutCancel(ctx), snapshot); err != nil {
		d.log.Error("could not save the account's state", "account", a.name, "err", err)
	}
}

func (d *Daemon) applyResume(ctx context.Context, name string) {
	now := d.clk.Now()
	d.mu.Lock()
	a, ok := d.accounts[store.FoldName(name)]
	if !ok {
		d.mu.Unlock()
		return
	}
	d.unpause(a, now)
	if !a.running {
		d.replan(a)
	}
	d.metricsStates()
	next := a.state.NextRun
	d.mu.Unlock()
	d.saveState(ctx, a)
	d.log.Info("account resumed by its owner", "account", a.name, "next", next.Format(time.RFC3339))
	d.poke()
}

// Pause pauses an account now (the dashboard's button); RequestPause for other processes.
func (d *Daemon) Pause(ctx context.Context, name, reason string) error {
	if !d.has(name) {
		return fmt.Errorf("no account named %q", name)
	}
	now := d.clk.Now()
	if err := RequestPause(ctx, d.o.Store, name, reason, now); err != nil {
		return err
	}
	d.applyPause(ctx, name, reason, now)
	return nil
}

// Resume resumes an account now.
func (d *Daemon) Resume(ctx context.Context, name string) error {
	if !d.has(name) {
		return fmt.Errorf("no account named %q", name)
	}
	if _, err := RequestResume(ctx, d.o.Store, name, d.clk.Now()); err != nil {
		return err
	}
	d.applyResume(ctx, name)
	return nil
}

// ErrPaused is returned by RunNow for a paused account.
var ErrPaused = errors.New("the account is paused: resume it first")

// RunNow plans a round of the account for now (the dashboard's "run now"); a round
// already running is not doubled.
func (d *Daemon) RunNow(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.accounts[store.FoldName(name)]
	if !ok {
		return fmt.Errorf("no account named %q", name)
	}
	if a.state.Paused {
		return ErrPaused
	}
	if a.running {
		return nil
	}
	a.state.NextRun = d.clk.Now()
	d.replan(a)
	d.poke()
	return nil
}

// Config is the configuration in force (after reloads), with the accounts e5renew added.
func (d *Daemon) Config() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

func (d *Daemon) has(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.accounts[store.FoldName(name)]
	return ok
}

// Status is a snapshot of the daemon for /healthz and the dashboard.
type Status struct {
	Status   string    `json:"status"` // ok or stopping
	Version  string    `json:"version"`
	Started  time.Time `json:"started"`
	Accounts int       `json:"accounts"`
	Running  int       `json:"running"`
	Paused   int       `json:"paused"`
	// NextRun is the earliest planned round.
	NextRun time.Time `json:"nextRun,omitzero"`
}

// Status returns a snapshot.
func (d *Daemon) Status() Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := Status{Status: "ok", Version: d.o.Version, Started: d.started, Accounts: len(d.accounts), Running: d.running}
	if d.stopping {
		s.Status = "stopping"
	}
	for _, a := range d.accounts {
		if a.state.Paused {
			s.Paused++
		}
	}
	if len(d.plan) > 0 {
		s.NextRun = d.plan[0].due
	}
	return s
}

// State returns what the daemon holds of an account (false when it has none).
func (d *Daemon) State(name string) (store.AccountState, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.accounts[store.FoldName(name)]
	if !ok {
		return store.AccountState{}, false
	}
	return a.state, true
}

func (d *Daemon) healthz(w http.ResponseWriter, r *http.Request) {
	s := d.Status()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if s.Status != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(s)
}

// planHeap orders accounts by their next run.
type planHeap []*account

func (h planHeap) Len() int           { return len(h) }
func (h planHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h planHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *planHeap) Push(x any) {
	a := x.(*account)
	a.index = len(*h)
	*h = append(*h, a)
}
func (h *planHeap) Pop() any {
	old := *h
	a := old[len(old)-1]
	old[len(old)-1] = nil
	a.index = -1
	*h = old[:len(old)-1]
	return a
}
