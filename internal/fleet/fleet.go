// Package fleet wires a configuration and a state store into accounts ready to run rounds:
// sign-in sources that keep rotated tokens in the store, Graph clients that share the
// per-mailbox limit, the cleanup journal, and each account's activity selection.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/round"
	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
	"github.com/e5renew/e5renew/internal/store/sqlite"
)

// OpenStore opens the state store of a configuration: e5renew.db in the data directory,
// encrypted with the key file beside it (created on first use) or E5RENEW_KEY.
func OpenStore(cfg *config.Config) (store.Store, error) {
	st, _, err := OpenState(cfg)
	return st, err
}

// OpenState is OpenStore that also returns the box sealing the store's secrets (for
// credential fingerprints).
func OpenState(cfg *config.Config) (store.Store, *secret.Box, error) {
	dir := cfg.DataPath()
	key, err := secret.LoadKey(filepath.Join(dir, "key"))
	if err != nil {
		return nil, nil, err
	}
	box, err := secret.NewBox(key)
	if err != nil {
		return nil, nil, err
	}
	st, err := sqlite.Open(filepath.Join(dir, "e5renew.db"), box)
	if err != nil {
		return nil, nil, fmt.Errorf("open the state store in %s: %w", dir, err)
	}
	return st, box, nil
}

// Options configure a fleet.
type Options struct {
	Config *config.Config
	Store  store.Store
	Getenv func(string) (string, bool)
	// HTTPClient is shared by sign-in and Graph; nil: a client with a 60 s timeout.
	HTTPClient *http.Client
	Logger     *slog.Logger
	Lang       i18n.Lang
	// Graph tunes the Graph clients (retries, waits); BaseURL and the limiter are set here.
	Graph graph.Options
	// Auth tunes sign-in (clock, sleeps).
	Auth auth.Common
	// Box, when set, fingerprints each member's credentials (Member.Fingerprint).
	Box *secret.Box
}

// Member is one configured account, ready to run.
type Member struct {
	Config  config.Account
	Account round.Account
	Options round.Options
	// Fingerprint identifies the credentials (a keyed hash; empty without Options.Box):
	// when it changes, an account paused for its owner runs again.
	Fingerprint string
}

// Fleet is every enabled account of a configuration.
type Fleet struct {
	opts    Options
	members []*Member
	Limiter *graph.MailboxLimiter
	Sync    store.SyncResult
}

// New syncs the configuration's accounts into the store and builds each enabled account.
// An activity name in the configuration that the catalog does not know is an error naming
// the file, line and account.
func New(ctx context.Context, o Options) (*Fleet, error) {
	if o.Getenv == nil {
		o.Getenv = os.LookupEnv
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	cfg := o.Config
	if err := MergeManaged(ctx, cfg, o.Store); err != nil {
		return nil, err
	}
	if len(cfg.Accounts) == 0 {
		return nil, fmt.Errorf("no accounts in %s: add one with `e5renew login`, `e5renew accounts add`, `e5renew import`, or in the file (see the README)", cfg.Path)
	}
	ep, err := cfg.ResolveEndpoints(o.Getenv)
	if err != nil {
		return nil, err
	}
	var recs []store.Account
	for _, a := range cfg.Accounts {
		recs = append(recs, store.Account{Name: a.Name, Type: a.Type, Tenant: a.Tenant, ClientID: a.ClientID, User: firstNonEmpty(a.User, a.Username), Enabled: !a.Disabled})
	}
	sync, err := o.Store.SyncAccounts(ctx, recs)
	if err != nil {
		return nil, fmt.Errorf("record the configured accounts: %w", err)
	}
	f := &Fleet{opts: o, Limiter: graph.NewMailboxLimiter(graph.DefaultMailboxConcurrency), Sync: sync}
	var problems []string
	for i := range cfg.Accounts {
		a := cfg.Accounts[i]
		if a.Disabled {
			continue
		}
		sel, err := selection(cfg, &a)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		src, err := newSource(o, a, ep)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		gopts := o.Graph
		gopts.BaseURL, gopts.HTTPClient, gopts.Limiter, gopts.Logger = ep.Graph, o.HTTPClient, f.Limiter, o.Logger
		pmin, pmax := cfg.EffectivePause(&a)
		f.members = append(f.members, &Member{
			Config: a,
			Account: round.Account{Name: a.Name, Source: src, Graph: graph.New(src, gopts), User: a.User,
				Journal: Journal{S: o.Store}, Loc: cfg.Location(&a)},
			Options: round.Options{Selection: sel, PauseMin: pmin, PauseMax: pmax, Lang: o.Lang, Logger: o.Logger},
		})
		if o.Box != nil {
			f.members[len(f.members)-1].Fingerprint = o.Box.Fingerprint(a.Type, a.Tenant, a.ClientID, a.ClientSecret.Reveal(),
				a.RefreshToken.Reveal(), a.Username, a.Password.Reveal(), a.User)
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return f, nil
}

// MergeManaged adds the accounts e5renew added itself (kept encrypted in the store) to
// cfg.Accounts, replacing those merged before, and applies the settings edited in the
// dashboard (ApplyOverrides). An account both in the file and in the store is an error that
// says how to resolve it.
func MergeManaged(ctx context.Context, cfg *config.Config, st store.Store) error {
	managed, err := st.ManagedAccounts(ctx)
	if err != nil {
		return err
	}
	kept := cfg.Accounts[:0:0]
	for _, a := range cfg.Accounts {
		if !a.Managed {
			kept = append(kept, a)
		}
	}
	for _, m := range managed {
		for _, a := range kept {
			if strings.EqualFold(a.Name, m.Name) {
				where := cfg.Path
				if a.Line > 0 {
					where = fmt.Sprintf("%s:%d", cfg.Path, a.Line)
				}
				return fmt.Errorf("%s: account %s is also one e5renew added (%s): keep one — remove it from the file, or run `e5renew accounts remove %s`", where, a.Name, m.Source, m.Name)
			}
		}
		a := config.Account{Name: m.Name, Type: m.Type, Tenant: m.Tenant, ClientID: m.ClientID, ClientSecret: m.ClientSecret,
			RefreshToken: m.RefreshToken, Username: m.Username, Password: m.Password, User: m.User, Scopes: m.Scopes,
			Managed: true, SecretExpires: m.SecretExpires, SetupApp: m.Source == "setup"}
		kept = append(kept, a)
	}
	cfg.Accounts = kept
	return applyStoredOverrides(ctx, cfg, st)
}

func selection(cfg *config.Config, a *config.Account) (round.Selection, error) {
	acts := cfg.EffectiveActivities(a)
	sel := round.DefaultSelection()
	if acts.Always != nil {
		sel.Always = acts.Always
	}
	if acts.Random != "" {
		lo, hi, err := config.ParseIntRange(acts.Random)
		if err != nil {
			return sel, err
		}
		sel.RandomMin, sel.RandomMax = lo, hi
	}
	sel.Include, sel.Exclude = acts.Include, acts.Exclude
	if err := sel.Validate(); err != nil {
		where := cfg.Path
		if acts.Line > 0 {
			where = fmt.Sprintf("%s:%d", cfg.Path, acts.Line)
		}
		return sel, fmt.Errorf("%s: account %s: activities: %v", where, a.Name, err)
	}
	return sel, nil
}

func newSource(o Options, a config.Account, ep auth.Endpoints) (auth.Source, error) {
	c := o.Auth
	c.Account, c.Endpoints, c.HTTPClient, c.Logger = a.Name, ep, o.HTTPClient, o.Logger
	switch a.Kind() {
	case auth.KindRefreshToken:
		return auth.NewRefreshSource(auth.RefreshOptions{Common: c, Tenant: a.Tenant, ClientID: a.ClientID, ClientSecret: a.ClientSecret,
			RefreshToken: a.RefreshToken, Store: Tokens{S: o.Store}})
	case auth.KindClientCredentials:
		return auth.NewAppSource(auth.AppOptions{Common: c, Tenant: a.Tenant, ClientID: a.ClientID, ClientSecret: a.ClientSecret})
	case auth.KindPassword:
		return auth.NewPasswordSource(auth.PasswordOptions{Common: c, Tenant: a.Tenant, ClientID: a.ClientID, ClientSecret: a.ClientSecret,
			Username: a.Username, Password: a.Password, Scopes: a.Scopes})
	}
	return nil, fmt.Errorf("account %s: unknown type %q", a.Name, a.Type)
}

// Members returns the enabled accounts, or the named ones (case-insensitive).
func (f *Fleet) Members(names ...string) ([]*Member, error) {
	if len(names) == 0 {
		return f.members, nil
	}
	var out []*Member
	for _, n := range names {
		var found *Member
		for _, m := range f.members {
			if strings.EqualFold(m.Config.Name, n) {
				found = m
			}
		}
		if found == nil {
			var known []string
			for _, m := range f.members {
				known = append(known, m.Config.Name)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("no enabled account named %q; the enabled accounts are: %s", n, strings.Join(known, ", "))
		}
		out = append(out, found)
	}
	return out, nil
}

// RunOnce runs one round for each member, at most concurrency accounts at a time, saves
// every round in the store and returns the results in the order of members. onDone, when
// set, is called as each round finishes.
func (f *Fleet) RunOnce(ctx context.Context, members []*Member, concurrency int, seed uint64, onDone func(*round.Result)) ([]*round.Result, error) {
	if concurrency <= 0 {
		concurrency = 16
	}
	results := make([]*round.Result, len(members))
	errs := make([]error, len(members))
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, m := range members {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int, m *Member) {
			defer wg.Done()
			defer func() { <-sem }()
			o := m.Options
			if seed != 0 {
				o.Rand = rand.New(rand.NewPCG(seed, uint64(i)))
			}
			r := round.Run(ctx, m.Account, o)
			results[i] = r
			if err := f.opts.Store.SaveRound(context.WithoutCancel(ctx), ToStore(r)); err != nil {
				errs[i] = fmt.Errorf("account %s: save the round: %w", m.Config.Name, err)
			}
			if onDone != nil {
				mu.Lock()
				onDone(r)
				mu.Unlock()
			}
		}(i, m)
	}
	wg.Wait()
	return results, errors.Join(errs...)
}

// ToStore converts a round result for the store.
func ToStore(r *round.Result) *store.Round {
	sr := &store.Round{Account: r.Account, Started: r.Started, Finished: r.Finished, Verdict: string(r.Verdict), Reason: r.Reason, Code: r.Code, Message: r.Message}
	for _, a := range r.Activities {
		sr.Results = append(sr.Results, store.ActivityResult{Activity: a.Name, Workload: a.Workload, Outcome: string(a.Outcome), Status: a.Status,
			Code: a.Code, RequestID: a.RequestID, Message: a.Message, DurationMs: a.Duration.Milliseconds(), Calls: a.Calls})
	}
	return sr
}

// Tokens adapts the store to auth.TokenStore.
type Tokens struct{ S store.Store }

// LoadToken implements auth.TokenStore.
func (t Tokens) LoadToken(ctx context.Context, account string) (auth.StoredToken, bool, error) {
	st, ok, err := t.S.LoadToken(ctx, account)
	if err != nil || !ok {
		return auth.StoredToken{}, ok, err
	}
	return auth.StoredToken{RefreshToken: st.RefreshToken, Seed: st.Seed, Updated: st.Updated}, true, nil
}

// SaveToken implements auth.TokenStore.
func (t Tokens) SaveToken(ctx context.Context, account string, tok auth.StoredToken) error {
	return t.S.SaveToken(ctx, account, store.Token{RefreshToken: tok.RefreshToken, Seed: tok.Seed, Updated: tok.Updated})
}

// Journal adapts the store to activity.Journal.
type Journal struct{ S store.Store }

// Record implements activity.Journal.
func (j Journal) Record(ctx context.Context, e *activity.Entry) error {
	se := store.JournalEntry{ID: e.ID, Account: e.Account, Activity: e.Activity, Kind: e.Kind, Marker: e.Marker, Ref: e.Ref,
		ObjectID: e.ObjectID, Created: e.Created, Attempts: e.Attempts, LastErr: e.LastErr}
	if err := j.S.JournalRecord(ctx, &se); err != nil {
		return err
	}
	e.ID = se.ID
	return nil
}

// Done implements activity.Journal.
func (j Journal) Done(ctx context.Context, e *activity.Entry) error {
	return j.S.JournalDone(ctx, e.ID)
}

// Pending implements activity.Journal.
func (j Journal) Pending(ctx context.Context, account string) ([]*activity.Entry, error) {
	list, err := j.S.JournalPending(ctx, account)
	if err != nil {
		return nil, err
	}
	out := make([]*activity.Entry, 0, len(list))
	for _, e := range list {
		out = append(out, &activity.Entry{ID: e.ID, Account: e.Account, Activity: e.Activity, Kind: e.Kind, Marker: e.Marker, Ref: e.Ref,
			ObjectID: e.ObjectID, Created: e.Created, Attempts: e.Attempts, LastErr: e.LastErr})
	}
	return out, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
