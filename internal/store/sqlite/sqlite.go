// Package sqlite is the store on one SQLite file, through the pure-Go modernc.org/sqlite
// driver (no cgo).
//
// The file is in WAL mode. Writes go through one connection (database/sql queues the
// writers, so goroutines never fight over SQLite's lock inside the process) and every
// commit is synced (synchronous=FULL), so a method that writes is durable when it returns.
// Reads go through a pool of read-only connections and do not wait for writers. A busy
// timeout covers other processes (the CLI next to the daemon).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
	"github.com/e5renew/e5renew/internal/store/migrations"
)

// busyTimeoutMs is how long a statement waits for another process's lock.
const busyTimeoutMs = 10000

// Store is a store.Store on one SQLite file.
type Store struct {
	path string
	box  *secret.Box
	now  func() time.Time
	w    *sql.DB // one connection: every write
	r    *sql.DB // read-only connections
}

var _ store.Store = (*Store)(nil)

// Option changes how Open sets up the store.
type Option func(*options)

type options struct {
	now     func() time.Time
	readers int
}

// WithClock sets the clock that stamps FirstSeen, LastSeen and default times.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithReaders sets the number of read connections (default: the number of CPUs, at least 4).
func WithReaders(n int) Option { return func(o *options) { o.readers = n } }

// Open opens the store in the file at path, creating it (mode 0600, in a directory created
// with mode 0700) and bringing its schema up to date. Refresh tokens are sealed with box.
func Open(path string, box *secret.Box, opts ...Option) (*Store, error) {
	o := options{now: time.Now, readers: max(4, runtime.NumCPU())}
	for _, f := range opts {
		f(&o)
	}
	if box == nil {
		return nil, errors.New("store: no encryption key")
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("store: %q is not a database file path", path)
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: database path %q must not contain '?' or '#'", path)
	}
	if err := prepareFile(path); err != nil {
		return nil, err
	}

	s := &Store{path: path, box: box, now: o.now}
	var err error
	s.w, err = sql.Open("sqlite", path+"?"+strings.Join([]string{
		"_busy_timeout=" + strconv.Itoa(busyTimeoutMs),
		"_journal_mode=WAL",
		"_synchronous=FULL",
		"_foreign_keys=1",
		"_txlock=immediate", // take the write lock at BEGIN: no lock upgrade, no deadlock
	}, "&"))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)

	ctx := context.Background()
	if err := s.w.PingContext(ctx); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := migrate(ctx, s.w); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}

	s.r, err = sql.Open("sqlite", path+"?"+strings.Join([]string{
		"_busy_timeout=" + strconv.Itoa(busyTimeoutMs),
		"_query_only=1",
		"_foreign_keys=1",
	}, "&"))
	if err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.r.SetMaxOpenConns(o.readers)
	s.r.SetMaxIdleConns(o.readers)
	if err := s.r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return s, nil
}

// prepareFile creates the database file with mode 0600 (SQLite gives its -wal and -shm
// files the same mode) and tightens the mode of files created by someone else.
func prepareFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("store: create directory of %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("store: restrict %s to its owner: %w", p, err)
			}
		}
	}
	return nil
}

// migrate brings the schema up to date with goose's provider (no global state).
func migrate(ctx context.Context, db *sql.DB) error {
	p, err := goose.NewProvider(goose.DialectSQLite3, db, migrations.SQLite())
	if err != nil {
		return fmt.Errorf("schema migrations: %w", err)
	}
	// Never p.Close(): it would close db.
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if current > target {
		return fmt.Errorf("the database has schema version %d, newer than this e5renew knows (%d): run a newer e5renew, or restore a backup made for this version", current, target)
	}
	if current == target {
		return nil
	}
	if _, err := p.Up(ctx); err != nil {
		// Another process may have migrated concurrently, making ours fail: fine if
		// nothing is left to do.
		if pending, perr := p.HasPending(ctx); perr == nil && !pending {
			return nil
		}
		return fmt.Errorf("schema migration: %w", err)
	}
	return nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	return errors.Join(errs...)
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Timestamps are TEXT, UTC, fixed width, microseconds: they sort as they compare.
const tsLayout = "2006-01-02T15:04:05.000000Z"

func ts(t time.Time) string { return t.UTC().Format(tsLayout) }

func nullTS(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: ts(t), Valid: true}
}

func parseTS(s string) (time.Time, error) {
	t, err := time.Parse(tsLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("damaged timestamp %q: %w", s, err)
	}
	return t, nil
}

func parseNullTS(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return parseTS(s.String)
}

func (s *Store) nowUTC() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// write runs fn in a write transaction.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// read runs fn in a read transaction: one snapshot for several queries.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	return fn(tx)
}

// account returns the id and stored name of an account, creating it (outside the
// configuration) when unknown.
func (s *Store) account(ctx context.Context, tx *sql.Tx, name string) (int64, string, error) {
	if name == "" {
		return 0, "", errors.New("no account name")
	}
	key := store.FoldName(name)
	var id int64
	var stored string
	err := tx.QueryRowContext(ctx, `SELECT id, name FROM accounts WHERE name_key = $1`, key).Scan(&id, &stored)
	if err == nil {
		return id, stored, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, "", err
	}
	now := ts(s.nowUTC())
	err = tx.QueryRowContext(ctx, `INSERT INTO accounts (name, name_key, first_seen, last_seen)
		VALUES ($1, $2, $3, $4) RETURNING id`, name, key, now, now).Scan(&id)
	if err != nil {
		return 0, "", err
	}
	return id, name, nil
}

// SyncAccounts implements store.Store.
func (s *Store) SyncAccounts(ctx context.Context, accounts []store.Account) (store.SyncResult, error) {
	var res store.SyncResult
	if err := store.ValidateAccounts(accounts); err != nil {
		return res, err
	}
	type row struct {
		id       int64
		a        store.Account
		inConfig bool
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		res = store.SyncResult{}
		rows, err := tx.QueryContext(ctx, `SELECT id, name, name_key, type, tenant, client_id, user_name, enabled, in_config FROM accounts`)
		if err != nil {
			return err
		}
		existing := map[string]*row{}
		for rows.Next() {
			var r row
			var key string
			if err := rows.Scan(&r.id, &r.a.Name, &key, &r.a.Type, &r.a.Tenant, &r.a.ClientID, &r.a.User, &r.a.Enabled, &r.inConfig); err != nil {
				rows.Close()
				return err
			}
			existing[key] = &r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}

		now := ts(s.nowUTC())
		configured := make(map[string]bool, len(accounts))
		for _, a := range accounts {
			key := store.FoldName(a.Name)
			configured[key] = true
			r, ok := existing[key]
			if !ok {
				if _, err := tx.ExecContext(ctx, `INSERT INTO accounts
					(name, name_key, type, tenant, client_id, user_name, enabled, in_config, first_seen, last_seen)
					VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)`,
					a.Name, key, a.Type, a.Tenant, a.ClientID, a.User, boolInt(a.Enabled), now); err != nil {
					return err
				}
				res.Added = append(res.Added, a.Name)
				continue
			}
			changed := r.a.Name != a.Name || r.a.Type != a.Type || r.a.Tenant != a.Tenant ||
				r.a.ClientID != a.ClientID || r.a.User != a.User || r.a.Enabled != a.Enabled
			switch {
			case !r.inConfig:
				res.Added = append(res.Added, a.Name)
			case changed:
				res.Updated = append(res.Updated, a.Name)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET name = $1, type = $2, tenant = $3,
				client_id = $4, user_name = $5, enabled = $6, in_config = 1, last_seen = $7 WHERE id = $8`,
				a.Name, a.Type, a.Tenant, a.ClientID, a.User, boolInt(a.Enabled), now, r.id); err != nil {
				return err
			}
			if r.a.Name != a.Name {
				if err := s.reseal(ctx, tx, r.id, r.a.Name, a.Name); err != nil {
					return err
				}
			}
		}
		for key, r := range existing {
			if r.inConfig && !configured[key] {
				if _, err := tx.ExecContext(ctx, `UPDATE accounts SET in_config = 0 WHERE id = $1`, r.id); err != nil {
					return err
				}
				res.Removed = append(res.Removed, r.a.Name)
			}
		}
		return nil
	})
	if err != nil {
		return store.SyncResult{}, fmt.Errorf("store: sync accounts: %w", err)
	}
	sortNames(res.Added)
	sortNames(res.Updated)
	sortNames(res.Removed)
	return res, nil
}

// reseal binds an account's token to the new spelling of its name. A token that does not
// open is left as it is: LoadToken reports it.
func (s *Store) reseal(ctx context.Context, tx *sql.Tx, id int64, oldName, newName string) error {
	var sealed string
	err := tx.QueryRowContext(ctx, `SELECT refresh_token FROM tokens WHERE account_id = $1`, id).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	plain, err := s.box.Open(sealed, store.TokenAD(oldName))
	if err != nil {
		return nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE tokens SET refresh_token = $1 WHERE account_id = $2`,
		s.box.Seal(plain, store.TokenAD(newName)), id)
	return err
}

func sortNames(names []string) {
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(store.FoldName(a), store.FoldName(b)) })
}

// Accounts implements store.Store.
func (s *Store) Accounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, type, tenant, client_id, user_name, enabled, in_config,
		first_seen, last_seen FROM accounts ORDER BY name_key`)
	if err != nil {
		return nil, fmt.Errorf("store: list accounts: %w", err)
	}
	defer rows.Close()
	var out []store.Account
	for rows.Next() {
		var a store.Account
		var first, last string
		if err := rows.Scan(&a.Name, &a.Type, &a.Tenant, &a.ClientID, &a.User, &a.Enabled, &a.InConfig, &first, &last); err != nil {
			return nil, fmt.Errorf("store: list accounts: %w", err)
		}
		if a.FirstSeen, err = parseTS(first); err != nil {
			return nil, fmt.Errorf("store: account %s: %w", a.Name, err)
		}
		if a.LastSeen, err = parseTS(last); err != nil {
			return nil, fmt.Errorf("store: account %s: %w", a.Name, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list accounts: %w", err)
	}
	return out, nil
}

// LoadToken implements store.Store.
func (s *Store) LoadToken(ctx context.Context, account string) (store.Token, bool, error) {
	var name, sealed, seed, updated string
	err := s.r.QueryRowContext(ctx, `SELECT a.name, t.refresh_token, t.seed, t.updated
		FROM tokens t JOIN accounts a ON a.id = t.account_id WHERE a.name_key = $1`,
		store.FoldName(account)).Scan(&name, &sealed, &seed, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, false, nil
	}
	if err != nil {
		return store.Token{}, false, fmt.Errorf("store: load token of %s: %w", account, err)
	}
	plain, err := s.box.Open(sealed, store.TokenAD(name))
	if err != nil {
		return store.Token{}, false, fmt.Errorf("store: refresh token of %s: %w", account, err)
	}
	u, err := parseTS(updated)
	if err != nil {
		return store.Token{}, false, fmt.Errorf("store: refresh token of %s: %w", account, err)
	}
	return store.Token{RefreshToken: secret.String(plain), Seed: seed, Updated: u}, true, nil
}

// SaveToken implements store.Store.
func (s *Store) SaveToken(ctx context.Context, account string, t store.Token) error {
	ctx = context.WithoutCancel(ctx)
	updated := t.Updated
	if updated.IsZero() {
		updated = s.nowUTC()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		id, name, err := s.account(ctx, tx, account)
		if err != nil {
			return err
		}
		sealed := s.box.Seal([]byte(t.RefreshToken.Reveal()), store.TokenAD(name))
		_, err = tx.ExecContext(ctx, `INSERT INTO tokens (account_id, refresh_token, seed, updated)
			VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO UPDATE SET
			refresh_token = excluded.refresh_token, seed = excluded.seed, updated = excluded.updated`,
			id, sealed, t.Seed, ts(updated))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save token of %s: %w", account, err)
	}
	return nil
}

const roundColumns = `r.id, a.name, r.started, r.finished, r.verdict, r.reason, r.code, r.message`

const resultColumns = `round_id, activity, workload, outcome, status, code, request_id, message, duration_ms, calls`

// resultsPerInsert bounds the rows of one INSERT (11 parameters a row).
const resultsPerInsert = 64

// SaveRound implements store.Store.
func (s *Store) SaveRound(ctx context.Context, r *store.Round) error {
	if err := store.ValidateRound(r); err != nil {
		return err
	}
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) (err error) {
		id, err = s.saveRound(ctx, tx, r)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save round of %s: %w", r.Account, err)
	}
	r.ID = id
	return nil
}

func (s *Store) saveRound(ctx context.Context, tx *sql.Tx, r *store.Round) (int64, error) {
	accountID, _, err := s.account(ctx, tx, r.Account)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO rounds (account_id, started, finished, verdict, reason, code, message)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		accountID, ts(r.Started), nullTS(r.Finished), r.Verdict, r.Reason, r.Code, r.Message).Scan(&id)
	if err != nil {
		return 0, err
	}
	for start := 0; start < len(r.Results); start += resultsPerInsert {
		chunk := r.Results[start:min(start+resultsPerInsert, len(r.Results))]
		var q strings.Builder
		q.WriteString(`INSERT INTO round_results (round_id, seq, activity, workload, outcome, status, code,
			request_id, message, duration_ms, calls) VALUES `)
		args := make([]any, 0, 11*len(chunk))
		for i, x := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(")
			for c := range 11 {
				if c > 0 {
					q.WriteString(", ")
				}
				q.WriteString("$" + strconv.Itoa(len(args)+c+1))
			}
			q.WriteString(")")
			args = append(args, id, start+i, x.Activity, x.Workload, x.Outcome, x.Status, x.Code,
				x.RequestID, x.Message, x.DurationMs, x.Calls)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// Rounds implements store.Store.
func (s *Store) Rounds(ctx context.Context, account string, limit int) ([]store.Round, error) {
	sel := `SELECT r.id FROM rounds r JOIN accounts a ON a.id = r.account_id
		WHERE a.name_key = $1 ORDER BY r.started DESC, r.id DESC`
	args := []any{store.FoldName(account)}
	if limit > 0 {
		sel += ` LIMIT $2`
		args = append(args, limit)
	}
	var out []store.Round
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.queryRounds(ctx, tx,
			`SELECT `+roundColumns+` FROM rounds r JOIN accounts a ON a.id = r.account_id
			WHERE r.id IN (`+sel+`) ORDER BY r.started DESC, r.id DESC`,
			`SELECT `+resultColumns+` FROM round_results WHERE round_id IN (`+sel+`) ORDER BY round_id, seq`,
			args)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: rounds of %s: %w", account, err)
	}
	return out, nil
}

// newestRound is the id of an account's newest round (correlated with accounts a); it walks
// the (account_id, started) index backwards and stops at the first row.
const newestRound = `(SELECT n.id FROM rounds n WHERE n.account_id = a.id ORDER BY n.started DESC, n.id DESC LIMIT 1)`

// LastRounds implements store.Store.
func (s *Store) LastRounds(ctx context.Context) (map[string]store.Round, error) {
	var rounds []store.Round
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		rounds, err = s.queryRounds(ctx, tx,
			`SELECT `+roundColumns+` FROM accounts a JOIN rounds r ON r.id = `+newestRound,
			`SELECT `+resultColumns+` FROM round_results WHERE round_id IN (SELECT `+newestRound+` FROM accounts a)
			ORDER BY round_id, seq`,
			nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: last rounds: %w", err)
	}
	out := make(map[string]store.Round, len(rounds))
	for _, r := range rounds {
		out[r.Account] = r
	}
	return out, nil
}

// queryRounds runs a query of rounds (roundColumns) and one of their results
// (resultColumns, ordered by round_id, seq) with the same arguments, and joins them.
func (s *Store) queryRounds(ctx context.Context, tx *sql.Tx, roundsQuery, resultsQuery string, args []any) ([]store.Round, error) {
	rows, err := tx.QueryContext(ctx, roundsQuery, args...)
	if err != nil {
		return nil, err
	}
	var out []store.Round
	index := map[int64]int{}
	for rows.Next() {
		var r store.Round
		var started string
		var finished sql.NullString
		if err := rows.Scan(&r.ID, &r.Account, &started, &finished, &r.Verdict, &r.Reason, &r.Code, &r.Message); err != nil {
			rows.Close()
			return nil, err
		}
		if r.Started, err = parseTS(started); err != nil {
			rows.Close()
			return nil, fmt.Errorf("round %d: %w", r.ID, err)
		}
		if r.Finished, err = parseNullTS(finished); err != nil {
			rows.Close()
			return nil, fmt.Errorf("round %d: %w", r.ID, err)
		}
		index[r.ID] = len(out)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}

	rows, err = tx.QueryContext(ctx, resultsQuery, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var roundID int64
		var x store.ActivityResult
		if err := rows.Scan(&roundID, &x.Activity, &x.Workload, &x.Outcome, &x.Status, &x.Code,
			&x.RequestID, &x.Message, &x.DurationMs, &x.Calls); err != nil {
			return nil, err
		}
		if i, ok := index[roundID]; ok {
			out[i].Results = append(out[i].Results, x)
		}
	}
	return out, rows.Err()
}

// JournalRecord implements store.Store.
func (s *Store) JournalRecord(ctx context.Context, e *store.JournalEntry) error {
	if err := store.ValidateJournalEntry(e); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	if e.ID != 0 {
		res, err := s.w.ExecContext(ctx, `UPDATE journal SET activity = $1, kind = $2, marker = $3, ref = $4,
			object_id = $5, attempts = $6, last_err = $7
			WHERE id = $8 AND account_id = (SELECT id FROM accounts WHERE name_key = $9)`,
			e.Activity, e.Kind, e.Marker, e.Ref, e.ObjectID, e.Attempts, e.LastErr, e.ID, store.FoldName(e.Account))
		if err != nil {
			return fmt.Errorf("store: journal entry %d of %s: %w", e.ID, e.Account, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("store: journal entry %d of %s: %w", e.ID, e.Account, err)
		} else if n == 0 {
			return fmt.Errorf("store: journal entry %d of %s: %w", e.ID, e.Account, store.ErrNotFound)
		}
		return nil
	}
	created := e.Created
	if created.IsZero() {
		created = s.nowUTC()
	}
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		accountID, _, err := s.account(ctx, tx, e.Account)
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO journal
			(account_id, activity, kind, marker, ref, object_id, created, attempts, last_err)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			accountID, e.Activity, e.Kind, e.Marker, e.Ref, e.ObjectID, ts(created), e.Attempts, e.LastErr).Scan(&id)
	})
	if err != nil {
		return fmt.Errorf("store: journal %s for %s: %w", e.Kind, e.Account, err)
	}
	e.ID = id
	e.Created = created
	return nil
}

// JournalDone implements store.Store.
func (s *Store) JournalDone(ctx context.Context, id int64) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM journal WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: remove journal entry %d: %w", id, err)
	}
	return nil
}

// JournalPending implements store.Store.
func (s *Store) JournalPending(ctx context.Context, account string) ([]store.JournalEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT j.id, a.name, j.activity, j.kind, j.marker, j.ref, j.object_id,
		j.created, j.attempts, j.last_err FROM journal j JOIN accounts a ON a.id = j.account_id
		WHERE a.name_key = $1 ORDER BY j.id`, store.FoldName(account))
	if err != nil {
		return nil, fmt.Errorf("store: journal of %s: %w", account, err)
	}
	defer rows.Close()
	var out []store.JournalEntry
	for rows.Next() {
		var e store.JournalEntry
		var created string
		if err := rows.Scan(&e.ID, &e.Account, &e.Activity, &e.Kind, &e.Marker, &e.Ref, &e.ObjectID,
			&created, &e.Attempts, &e.LastErr); err != nil {
			return nil, fmt.Errorf("store: journal of %s: %w", account, err)
		}
		if e.Created, err = parseTS(created); err != nil {
			return nil, fmt.Errorf("store: journal entry %d: %w", e.ID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: journal of %s: %w", account, err)
	}
	return out, nil
}
