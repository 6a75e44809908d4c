// Package store defines where e5renew keeps its state: the accounts of the configuration,
// rotated refresh tokens (encrypted), the history of rounds, and the cleanup journal.
//
// The store is the bottom layer: it imports nothing of e5renew but internal/secret, and
// callers (auth, activity, round, web) adapt its record types to theirs. Implementations
// live in sub-packages (sqlite; postgres later) and must pass the conformance suite in
// storetest.
//
// Accounts are identified by name, case-insensitively (see FoldName). Every method that
// takes an account name accepts any spelling; records read back carry the spelling of the
// latest configuration. Timestamps are kept in UTC with microsecond precision.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/e5renew/e5renew/internal/secret"
)

// Store keeps e5renew's state. It is safe for concurrent use by many goroutines.
//
// Writes that reach an account the store has never seen (no SyncAccounts named it) create
// the account, outside the configuration (InConfig false, Enabled false), rather than lose
// a token or a journal entry.
type Store interface {
	// SyncAccounts makes the stored accounts match the configuration: it inserts new
	// accounts, updates changed ones, and marks accounts that are no longer configured
	// InConfig=false without deleting them, their token, rounds or journal. Names must be
	// non-empty and unique case-insensitively.
	SyncAccounts(ctx context.Context, accounts []Account) (SyncResult, error)
	// Accounts lists every stored account, configured or not, by name.
	Accounts(ctx context.Context) ([]Account, error)

	// LoadToken returns the account's stored refresh token; false when there is none
	// (unknown account included). A token that does not decrypt is an error wrapping
	// secret.ErrDecrypt.
	LoadToken(ctx context.Context, account string) (Token, bool, error)
	// SaveToken replaces the account's refresh token, encrypted. It is durable when it
	// returns, and it does not give up when ctx is cancelled, so a rotated token is not
	// lost at shutdown. A zero Updated is set to now.
	SaveToken(ctx context.Context, account string, t Token) error

	// SaveRound stores a finished round and its results and sets r.ID. A round is saved
	// once: r.ID must be 0.
	SaveRound(ctx context.Context, r *Round) error
	// Rounds returns the account's newest rounds first (by Started, then ID), with their
	// results; at most limit rounds, or all when limit <= 0. An unknown account has none.
	Rounds(ctx context.Context, account string, limit int) ([]Round, error)
	// LastRounds returns the newest round of every account that has one, with its
	// results, keyed by the account's stored name.
	LastRounds(ctx context.Context) (map[string]Round, error)

	// JournalRecord inserts the entry when e.ID is 0 (setting e.ID, never reusing one, and
	// Created to now when zero) or updates the stored entry (everything but Account and
	// Created); updating an entry that is gone (done) or belongs to another account
	// returns ErrNotFound. It is durable when it returns and, like SaveToken, does not
	// give up when ctx is cancelled.
	JournalRecord(ctx context.Context, e *JournalEntry) error
	// JournalDone removes an entry; removing one that is already gone is not an error.
	JournalDone(ctx context.Context, id int64) error
	// JournalPending lists the account's entries, oldest (lowest ID) first.
	JournalPending(ctx context.Context, account string) ([]JournalEntry, error)

	// LoadState returns the daemon's state of an account; false when there is none.
	LoadState(ctx context.Context, account string) (AccountState, bool, error)
	// SaveState replaces the account's state (durable on return; not cancelled by ctx).
	SaveState(ctx context.Context, s AccountState) error
	// SaveStates replaces several states in one transaction (a daemon starting with
	// thousands of accounts).
	SaveStates(ctx context.Context, states []AccountState) error
	// States returns the state of every account that has one.
	States(ctx context.Context) ([]AccountState, error)

	// RecordChange stores a state change and sets its ID.
	RecordChange(ctx context.Context, c *StateChange) error
	// Changes returns an account's changes (every account's when account is ""), newest
	// first, at most limit (all when limit <= 0).
	Changes(ctx context.Context, account string, limit int) ([]StateChange, error)
	// ChangesAfter returns every change with an ID above afterID, oldest first: the daemon
	// follows what the owner did from another process (pause, resume).
	ChangesAfter(ctx context.Context, afterID int64) ([]StateChange, error)

	// SaveActivityHealth replaces what is known of one activity of one account.
	SaveActivityHealth(ctx context.Context, h ActivityHealth) error
	// ActivityHealth returns what is known of an account's activities.
	ActivityHealth(ctx context.Context, account string) ([]ActivityHealth, error)

	// RecordDelivery stores a notification delivery attempt and sets its ID.
	RecordDelivery(ctx context.Context, d *Delivery) error
	// Deliveries returns the newest deliveries first (all channels when channel is ""),
	// at most limit (all when limit <= 0).
	Deliveries(ctx context.Context, channel string, limit int) ([]Delivery, error)

	// SaveManaged adds or replaces an account e5renew added itself (login, accounts add,
	// import, setup); its credentials are sealed.
	SaveManaged(ctx context.Context, a ManagedAccount) error
	// ManagedAccounts returns them, sorted by name.
	ManagedAccounts(ctx context.Context) ([]ManagedAccount, error)
	// DeleteManaged removes one (ErrNotFound when there is none); its history stays.
	DeleteManaged(ctx context.Context, name string) error

	// GetSetting returns the value of a setting of e5renew itself (the dashboard's
	// password hash...); false when it is not set. Values are stored in clear: seal
	// secrets before, or store only their hashes.
	GetSetting(ctx context.Context, key string) (string, bool, error)
	// SetSetting adds or replaces a setting (durable on return; not cancelled by ctx). The
	// key must not be empty; an empty value is a value.
	SetSetting(ctx context.Context, key, value string) error

	// SaveAccountSettings replaces the settings the dashboard overrides for one account
	// (durable on return; not cancelled by ctx). s.Account is ignored; a zero s.Updated is
	// set to now.
	SaveAccountSettings(ctx context.Context, account string, s AccountSettings) error
	// AccountSettings returns the overrides of every account that has some, keyed by
	// FoldName(account).
	AccountSettings(ctx context.Context) (map[string]AccountSettings, error)
	// DeleteAccountSettings removes an account's overrides; removing none is not an error.
	DeleteAccountSettings(ctx context.Context, account string) error

	// RoundStats aggregates the account's rounds started at or after since, by bucket of
	// their start time (see BucketStart: in loc, UTC when nil; days begin at local
	// midnight). The buckets are contiguous, from since's to now's, those without rounds
	// zero (see FillBuckets), oldest first. An unknown account has only zero buckets.
	// Since must not be zero, and the range must hold at most MaxBuckets buckets.
	RoundStats(ctx context.Context, account string, since time.Time, bucket time.Duration, loc *time.Location) ([]RoundBucket, error)
	// ActivityStats aggregates the results of the account's rounds started at or after
	// since (all of them when since is zero), one ActivityStat per activity and workload,
	// sorted by workload then activity.
	ActivityStats(ctx context.Context, account string, since time.Time) ([]ActivityStat, error)
	// LastRoundSummaries returns the newest round of every account that has one, as
	// LastRounds, but counted rather than with its results (an overview of many accounts).
	LastRoundSummaries(ctx context.Context) (map[string]RoundSummary, error)
	// RecentVerdicts returns the verdicts of the newest n rounds (n > 0) of every account
	// that has rounds, oldest first (newest last), keyed by the account's stored name.
	RecentVerdicts(ctx context.Context, n int) (map[string][]string, error)

	// PurgeAccount deletes what the store keeps of an account: its rounds and their
	// results, state, changes, activity health, settings, managed record and token, in one
	// transaction, and records a ChangeAccounts change (Reason "purged", By "owner") so
	// that a running daemon reloads its accounts; that change and the account's name (as
	// Accounts lists it) are all that is left. It refuses (nothing is deleted):
	//   - an unknown account: ErrNotFound;
	//   - an account with pending journal entries, objects still to delete in the tenant:
	//     ErrJournalPending;
	//   - an account in the configuration that e5renew does not manage (it comes from the
	//     configuration file and may be running): ErrInConfig. Call PurgeAccount rather than
	//     DeleteManaged then PurgeAccount: after DeleteManaged the account stays in the
	//     configuration until the next SyncAccounts.
	PurgeAccount(ctx context.Context, name string) error

	// Close releases the store; it must not be used afterwards.
	Close() error
}

// ManagedAccount is an account e5renew added itself, kept in the store rather than in the
// configuration file.
type ManagedAccount struct {
	Name     string
	Type     string // refresh_token, client_credentials or password
	Tenant   string
	ClientID string
	// User is the mailbox an application account works on; Username the sign-in name of a
	// password account.
	User, Username string
	Scopes         []string
	ClientSecret   secret.String
	RefreshToken   secret.String // the token that started the chain (rotations are in tokens)
	Password       secret.String
	// SecretExpires is when the client secret expires, when known (setup, doctor, the owner).
	SecretExpires time.Time
	// Source says how it was added: login, login-browser, accounts-add, import, setup.
	Source  string
	Created time.Time
	Updated time.Time
}

// CredentialsAD is the associated data a managed account's credentials are sealed with
// (bound to the account whatever the spelling of its name).
func CredentialsAD(account string) string { return "account:" + FoldName(account) + "|credentials" }

// AccountState is what the daemon keeps about an account between rounds.
type AccountState struct {
	Account string
	// NextRun is when the next round is planned; zero when none is.
	NextRun time.Time
	// Paused accounts run no round. PauseReason is PauseNeedsOwner or PauseByOwner.
	Paused       bool
	PauseReason  string
	PauseCode    string
	PauseMessage string
	PausedAt     time.Time
	// PauseUntil ends a needs-owner pause by itself (a long backoff); zero: until resumed.
	PauseUntil time.Time
	// Failures counts consecutive transient failures (exponential backoff); Degraded
	// consecutive degraded rounds.
	Failures int
	Degraded int
	// Fingerprint identifies the credentials the account was paused with: new credentials
	// in the configuration lift a needs-owner pause.
	Fingerprint string
	// Notified is the key of the last problem the owner was told about (one message per
	// new problem, one when it is resolved).
	Notified string
	Updated  time.Time
}

// ChangeAccounts is the state change a command records when it adds, replaces or removes
// an account e5renew manages, so that a running daemon reloads its accounts.
const ChangeAccounts = "accounts_changed"

// Pause reasons.
const (
	PauseNeedsOwner = "needs_owner"
	PauseByOwner    = "owner"
)

// StateChange records why an account's state changed.
type StateChange struct {
	ID      int64
	Account string
	At      time.Time
	// Kind: paused, resumed, backoff, recovered, degrading, demoted, restored,
	// pause_requested, resume_requested...
	Kind    string
	Reason  string
	Message string
	// By is who changed it: daemon, owner or config.
	By string
}

// ActivityHealth is what is known of one activity of one account: consecutive failures
// and, when they keep coming (403/404), a demotion until a time.
type ActivityHealth struct {
	Account      string
	Activity     string
	Failures     int
	LastCode     string
	LastStatus   int
	DemotedUntil time.Time
	Updated      time.Time
}

// Delivery is one attempt to deliver a notification.
type Delivery struct {
	ID      int64
	At      time.Time
	Channel string
	Kind    string
	Account string
	OK      bool
	Error   string
}

// Account is one account of the configuration, as the store knows it.
type Account struct {
	Name     string // unique, case-insensitively
	Type     string
	Tenant   string
	ClientID string
	User     string
	Enabled  bool

	// Kept by the store; ignored by SyncAccounts.
	FirstSeen time.Time // first stored
	LastSeen  time.Time // last time SyncAccounts found it in the configuration
	InConfig  bool      // in the configuration of the latest SyncAccounts
}

// SyncResult lists, by name, what SyncAccounts changed. Each list is sorted.
type SyncResult struct {
	// Added are accounts that were not in the configuration before: new ones, and ones
	// that come back after being removed.
	Added []string
	// Updated are accounts that stayed in the configuration with a field changed (the
	// spelling of the name included).
	Updated []string
	// Removed are accounts that were in the configuration and are not any more.
	Removed []string
}

// Token is an account's refresh token kept between runs.
type Token struct {
	RefreshToken secret.String
	// Seed fingerprints the configured refresh token that started this chain.
	Seed    string
	Updated time.Time
}

// Verdicts of a round.
const (
	VerdictOK         = "ok"
	VerdictDegraded   = "degraded"
	VerdictNeedsOwner = "needs_owner"
)

// Outcomes of one activity in a round.
const (
	OutcomeOK      = "ok"
	OutcomeFailed  = "failed"
	OutcomeSkipped = "skipped"
)

// Round is one round of calls for one account.
type Round struct {
	ID       int64
	Account  string
	Started  time.Time
	Finished time.Time // zero when the round did not finish
	Verdict  string    // VerdictOK, VerdictDegraded or VerdictNeedsOwner
	Reason   string
	Code     string
	Message  string
	Results  []ActivityResult // in the order given
}

// ActivityResult is what one activity did in a round.
type ActivityResult struct {
	Activity   string
	Workload   string
	Outcome    string // OutcomeOK, OutcomeFailed or OutcomeSkipped
	Status     int    // HTTP status of the deciding call, 0 when none
	Code       string
	RequestID  string
	Message    string
	DurationMs int64
	Calls      int
}

// JournalEntry is one object a round creates, journaled before the creating call (it
// mirrors activity.Entry).
type JournalEntry struct {
	ID       int64
	Account  string
	Activity string
	Kind     string
	Marker   string
	Ref      string
	ObjectID string
	Created  time.Time
	Attempts int
	LastErr  string
}

// ErrNotFound is returned when a record to update does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrJournalPending is returned by PurgeAccount for an account whose journal still lists
// objects to delete in its tenant.
var ErrJournalPending = errors.New("store: objects created in the tenant are still to be deleted")

// ErrInConfig is returned by PurgeAccount for an account of the configuration file.
var ErrInConfig = errors.New("store: the account is in the configuration")

// FoldName returns the key that identifies an account name: two names have the same key
// exactly when strings.EqualFold says they are equal.
func FoldName(name string) string {
	return strings.Map(func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < m {
				m = f
			}
		}
		return m
	}, name)
}

// TokenAD is the associated data a refresh token is sealed with: the same as the token
// file's, so a sealed value is bound to its account and field.
func TokenAD(account string) string { return "account:" + account + "|refresh_token" }

// ValidateAccounts checks the accounts given to SyncAccounts.
func ValidateAccounts(accounts []Account) error {
	seen := make(map[string]string, len(accounts))
	for i, a := range accounts {
		if a.Name == "" {
			return fmt.Errorf("store: account %d has no name", i+1)
		}
		k := FoldName(a.Name)
		if prev, dup := seen[k]; dup {
			return fmt.Errorf("store: accounts %q and %q have the same name (names are case-insensitive)", prev, a.Name)
		}
		seen[k] = a.Name
	}
	return nil
}

// ValidateRound checks a round given to SaveRound.
func ValidateRound(r *Round) error {
	if r == nil {
		return errors.New("store: nil round")
	}
	if r.ID != 0 {
		return fmt.Errorf("store: round %d is already saved", r.ID)
	}
	if r.Account == "" {
		return errors.New("store: round has no account")
	}
	if r.Started.IsZero() {
		return fmt.Errorf("store: round of %s has no start time", r.Account)
	}
	switch r.Verdict {
	case VerdictOK, VerdictDegraded, VerdictNeedsOwner:
	default:
		return fmt.Errorf("store: round of %s: unknown verdict %q", r.Account, r.Verdict)
	}
	for i, x := range r.Results {
		switch x.Outcome {
		case OutcomeOK, OutcomeFailed, OutcomeSkipped:
		default:
			return fmt.Errorf("store: round of %s: result %d (%s): unknown outcome %q", r.Account, i+1, x.Activity, x.Outcome)
		}
	}
	return nil
}

// ValidateJournalEntry checks an entry given to JournalRecord.
func ValidateJournalEntry(e *JournalEntry) error {
	if e == nil {
		return errors.New("store: nil journal entry")
	}
	if e.Account == "" {
		return errors.New("store: journal entry has no account")
	}
	if e.Kind == "" {
		return fmt.Errorf("store: journal entry of %s has no kind", e.Account)
	}
	return nil
}
