package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
	"github.com/e5renew/e5renew/internal/store/migrations"
	"github.com/e5renew/e5renew/internal/store/storetest"
	"github.com/pressly/goose/v3"
)

func newBox(t testing.TB) *secret.Box {
	t.Helper()
	b, err := secret.NewBox(secret.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	box := newBox(t)
	var dirs sync.Map // *testing.T -> directory: the same t reopens the same file
	storetest.Run(t, func(t *testing.T) store.Store {
		dir, _ := dirs.LoadOrStore(t, t.TempDir())
		s, err := Open(filepath.Join(dir.(string), "state", "e5renew.db"), box)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func open(t *testing.T, path string, box *secret.Box, opts ...Option) *Store {
	t.Helper()
	s, err := Open(path, box, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The refresh token is never on disk in clear, in the database or in its WAL.
func TestTokenEncryptedOnDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e5renew.db")
	s := open(t, path, newBox(t))
	ctx := t.Context()
	const rt = "0.AXEAtokentokentoken-PLAINTEXT-MARKER-1234567890"
	if _, err := s.SyncAccounts(ctx, []store.Account{{Name: "alice"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveToken(ctx, "alice", store.Token{RefreshToken: rt, Seed: "seed"}); err != nil {
		t.Fatal(err)
	}
	// An account added by e5renew itself: its secret, token and password are sealed too.
	if err := s.SaveManaged(ctx, store.ManagedAccount{Name: "bob", Type: "password", ClientSecret: "PLAINTEXT-MARKER-secret",
		RefreshToken: "PLAINTEXT-MARKER-rt", Password: "PLAINTEXT-MARKER-pw"}); err != nil {
		t.Fatal(err)
	}
	// check reads the database and its WAL; sealedIn names the file that must hold the
	// sealed value, so the test looks where the token really went.
	check := func(when, sealedIn string) {
		t.Helper()
		for _, p := range []string{path, path + "-wal"} {
			b, err := os.ReadFile(p)
			if errors.Is(err, os.ErrNotExist) && p != sealedIn {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, needle := range []string{rt, "PLAINTEXT-MARKER"} {
				if bytes.Contains(b, []byte(needle)) {
					t.Errorf("%s: %s holds the refresh token in clear", when, filepath.Base(p))
				}
			}
			if p == sealedIn && !bytes.Contains(b, []byte("x1:")) {
				t.Errorf("%s: %s does not hold the sealed token", when, filepath.Base(p))
			}
		}
	}
	check("open", path+"-wal") // committed, not yet checkpointed
	var sealed string
	if err := s.w.QueryRow(`SELECT refresh_token FROM tokens`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, "x1:") || strings.Contains(sealed, rt) {
		t.Errorf("stored token %q is not sealed", sealed)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check("closed", path) // the last connection checkpointed the WAL into the file
}

// A token sealed for one account does not open for another: copied in the database from
// alice's row to bob's, it fails to decrypt rather than sign bob in with alice's token.
func TestTokenBoundToAccount(t *testing.T) {
	box := newBox(t)
	s := open(t, filepath.Join(t.TempDir(), "e5renew.db"), box)
	ctx := t.Context()
	if _, err := s.SyncAccounts(ctx, []store.Account{{Name: "alice"}, {Name: "bob"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveToken(ctx, "alice", store.Token{RefreshToken: "alice-token"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveToken(ctx, "bob", store.Token{RefreshToken: "bob-token"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`UPDATE tokens SET refresh_token =
		(SELECT t.refresh_token FROM tokens t JOIN accounts a ON a.id = t.account_id WHERE a.name = 'alice')
		WHERE account_id = (SELECT id FROM accounts WHERE name = 'bob')`); err != nil {
		t.Fatal(err)
	}
	tok, ok, err := s.LoadToken(ctx, "bob")
	if !errors.Is(err, secret.ErrDecrypt) || ok || !tok.RefreshToken.IsZero() {
		t.Errorf("LoadToken(bob) with alice's sealed token = %v, %v, %v; want ErrDecrypt", tok.RefreshToken.Reveal(), ok, err)
	}
	if tok, ok, err := s.LoadToken(ctx, "alice"); err != nil || !ok || tok.RefreshToken.Reveal() != "alice-token" {
		t.Errorf("LoadToken(alice) = %v, %v", ok, err)
	}
	// The associated data is the token file's: a value sealed by auth.FileStore for alice
	// opens here for alice and for nobody else.
	sealed := box.Seal([]byte("from-file"), "account:alice|refresh_token")
	if _, err := box.Open(sealed, store.TokenAD("bob")); !errors.Is(err, secret.ErrDecrypt) {
		t.Errorf("alice's value opened for bob: %v", err)
	}
	if p, err := box.Open(sealed, store.TokenAD("alice")); err != nil || string(p) != "from-file" {
		t.Errorf("alice's value with TokenAD(alice) = %q, %v", p, err)
	}
	// Another key does not open it either.
	other := open(t, s.Path(), newBox(t))
	if _, _, err := other.LoadToken(ctx, "alice"); !errors.Is(err, secret.ErrDecrypt) {
		t.Errorf("LoadToken with another key: %v, want ErrDecrypt", err)
	}
}

func TestFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	dir := filepath.Join(t.TempDir(), "state", "deeper")
	path := filepath.Join(dir, "e5renew.db")
	s := open(t, path, newBox(t))
	if err := s.SaveToken(t.Context(), "a", store.Token{RefreshToken: "x"}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, filepath.Dir(dir): 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %o, want %o", p, got, want)
		}
	}

	// A file someone else created readable by others is restricted on open.
	loose := filepath.Join(t.TempDir(), "loose.db")
	if err := os.WriteFile(loose, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o644); err != nil {
		t.Fatal(err)
	}
	open(t, loose, newBox(t))
	if fi, err := os.Stat(loose); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("loose file mode after open: %v, %v", fi.Mode().Perm(), err)
	}
}

func TestSettings(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "e5renew.db"), newBox(t))
	ctx := t.Context()
	for _, tc := range []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.w, "journal_mode", "wal"},
		{s.w, "synchronous", "2"}, // FULL
		{s.w, "foreign_keys", "1"},
		{s.w, "busy_timeout", "10000"},
		{s.r, "journal_mode", "wal"},
		{s.r, "query_only", "1"},
		{s.r, "busy_timeout", "10000"},
	} {
		var got string
		if err := tc.db.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s = %s, want %s", tc.pragma, got, tc.want)
		}
	}
	if _, err := s.r.ExecContext(ctx, `DELETE FROM accounts`); err == nil {
		t.Error("the read pool can write")
	}
}

func TestTimestampsUTC(t *testing.T) {
	at := time.Date(2025, 6, 1, 8, 30, 0, 999999999, time.FixedZone("X", -5*3600))
	s := open(t, filepath.Join(t.TempDir(), "e5renew.db"), newBox(t), WithClock(func() time.Time { return at }))
	ctx := t.Context()
	if _, err := s.SyncAccounts(ctx, []store.Account{{Name: "a"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveRound(ctx, &store.Round{Account: "a", Started: at, Verdict: store.VerdictOK}); err != nil {
		t.Fatal(err)
	}
	var seen, started string
	if err := s.r.QueryRowContext(ctx, `SELECT a.first_seen, r.started FROM accounts a JOIN rounds r ON r.account_id = a.id`).Scan(&seen, &started); err != nil {
		t.Fatal(err)
	}
	const want = "2025-06-01T13:30:00.999999Z"
	if seen != want || started != want {
		t.Errorf("stored %q and %q, want %q (UTC, microseconds)", seen, started, want)
	}
	list, err := s.Accounts(ctx)
	if err != nil || len(list) != 1 || !list[0].FirstSeen.Equal(at.Truncate(time.Microsecond)) {
		t.Errorf("Accounts = %+v, %v", list, err)
	}
}

// Two stores on one file (the daemon and a CLI command) write without "database is
// locked" errors: the busy timeout waits for the other's lock.
func TestTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e5renew.db")
	box := newBox(t)
	a := open(t, path, box)
	b := open(t, path, box)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i, s := range []*Store{a, b} {
		wg.Go(func() {
			for j := range 30 {
				r := &store.Round{Account: []string{"x", "y"}[i], Started: time.Now(), Verdict: store.VerdictOK,
					Results: []store.ActivityResult{{Activity: "a", Outcome: store.OutcomeOK}}}
				if err := s.SaveRound(ctx, r); err != nil {
					errs <- err
					return
				}
				if err := s.JournalRecord(ctx, &store.JournalEntry{Account: "x", Kind: "k", Marker: string(rune('a' + j))}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, name := range []string{"x", "y"} {
		if rs, err := a.Rounds(ctx, name, 0); err != nil || len(rs) != 30 {
			t.Errorf("rounds of %s = %d, %v; want 30", name, len(rs), err)
		}
	}
	if p, err := b.JournalPending(ctx, "x"); err != nil || len(p) != 60 {
		t.Errorf("journal = %d, %v; want 60", len(p), err)
	}
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e5renew.db")
	s := open(t, path, newBox(t))
	var version int64
	if err := s.r.QueryRow(`SELECT MAX(version_id) FROM goose_db_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(migrations.SQLite(), ".")
	if err != nil {
		t.Fatal(err)
	}
	if version != int64(len(entries)) {
		t.Errorf("schema version %d, want %d (one per migration)", version, len(entries))
	}
	s.Close()

	// A database from a newer e5renew is refused, not damaged.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, 1)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if s, err := Open(path, newBox(t)); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open of a newer schema: %v, want refused", err)
	}
}

func TestOpenErrors(t *testing.T) {
	box := newBox(t)
	for _, path := range []string{"", ":memory:", "file:x.db", filepath.Join(t.TempDir(), "a?b.db")} {
		if s, err := Open(path, box); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "x.db"), nil); err == nil {
		t.Error("Open without a key succeeded")
	}
}

// The queries behind Rounds and LastRounds use the indexes, not a scan of all rounds.
func TestQueryPlans(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "e5renew.db"), newBox(t))
	ctx := context.Background()
	plan := func(q string, args ...any) string {
		rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			b.WriteString(detail + "\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if b.Len() == 0 {
			t.Fatalf("no plan for %s", q)
		}
		return b.String()
	}
	p := plan(`SELECT ` + roundColumns + ` FROM accounts a JOIN rounds r ON r.id = ` + newestRound)
	if !strings.Contains(p, "rounds_account_started") || strings.Contains(p, "USE TEMP B-TREE FOR ORDER BY") {
		t.Errorf("LastRounds plan does not walk the index:\n%s", p)
	}
	p = plan(`SELECT ` + resultColumns + ` FROM round_results WHERE round_id IN (SELECT ` + newestRound + ` FROM accounts a) ORDER BY round_id, seq`)
	if strings.Contains(p, "SCAN round_results") {
		t.Errorf("LastRounds results plan scans all results:\n%s", p)
	}
	t.Logf("plan:\n%s", p)

	// The dashboard's: index ranges of the rounds of an account, in the index's order; no
	// scan of every round or result.
	for _, tc := range []struct {
		name, query string
		args        []any
		want        string
	}{
		{"RoundStats", roundStatsQuery, []any{"x", "2025"}, "rounds_account_started (account_id=? AND started>?)"},
		{"ActivityStats", activityStatsQuery, []any{"x", "2025"}, "rounds_account_started (account_id=? AND started>?)"},
		{"LastRoundSummaries", lastSummariesQuery, nil, "rounds_account_started (account_id=?)"},
		{"RecentVerdicts", recentVerdictsQuery, []any{10}, "rounds_account_started (account_id=?)"},
	} {
		p := plan(tc.query, tc.args...)
		// Sorting the n verdicts of an account is fine.
		q := strings.ReplaceAll(p, "USE TEMP B-TREE FOR group_concat(ORDER BY)", "")
		bad := false
		for _, s := range []string{"SCAN r\n", "SCAN n\n", "SCAN rounds", "SCAN x", "SCAN round_results", "TEMP B-TREE"} {
			bad = bad || strings.Contains(q, s)
		}
		if bad || !strings.Contains(q, tc.want) {
			t.Errorf("%s plan does not use %s, scans a table or sorts:\n%s", tc.name, tc.want, p)
		}
		t.Logf("%s plan:\n%s", tc.name, p)
	}
}

// TestUpgradeFromFirstSchema opens a database made by the first release (schema 1, with a
// token and a round) and checks that the upgrade keeps them and adds the daemon's tables.
func TestUpgradeFromFirstSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "e5renew.db")
	box := newBox(t)
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, raw, migrations.SQLite())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO accounts (id, name, name_key, first_seen, last_seen)
		VALUES (1, 'alice', $1, '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z')`, store.FoldName("alice")); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO tokens (account_id, refresh_token, updated) VALUES (1, $1, '2025-01-01T00:00:00.000000Z')`,
		box.Seal([]byte("rt-old"), store.TokenAD("alice"))); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO rounds (account_id, started, verdict) VALUES (1, '2025-01-01T00:00:00.000000Z', 'ok')`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	s := open(t, path, box)
	tok, ok, err := s.LoadToken(ctx, "alice")
	if err != nil || !ok || tok.RefreshToken.Reveal() != "rt-old" {
		t.Fatalf("token after the upgrade = %v, %v, %v", ok, err, tok.Updated)
	}
	if rs, err := s.Rounds(ctx, "alice", 0); err != nil || len(rs) != 1 {
		t.Fatalf("rounds after the upgrade = %d, %v; want the one", len(rs), err)
	}
	if err := s.SaveState(ctx, store.AccountState{Account: "alice", Paused: true}); err != nil {
		t.Fatalf("SaveState after the upgrade: %v", err)
	}
}
