// Package sqlitetest fills a SQLite store with many accounts and rounds quickly, for
// benchmarks of what reads them (the dashboard's pages). It writes the store's tables with
// bulk inserts through a second connection to the store's file rather than through
// SaveRound: a million results take seconds, not minutes.
package sqlitetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, the store's

	"github.com/e5renew/e5renew/internal/store"
	"github.com/e5renew/e5renew/internal/store/sqlite"
)

// Activities are the activities of the seeded rounds (each round runs Options.Results of
// them, drawn at random), with their workloads.
var Activities = []struct{ Name, Workload string }{
	{"mail.list_messages", "mail"}, {"mail.send_self", "mail"}, {"mail.draft", "mail"}, {"mail.inbox", "mail"},
	{"calendar.list_events", "calendar"}, {"calendar.create_event", "calendar"},
	{"onedrive.root_children", "onedrive"}, {"onedrive.upload", "onedrive"}, {"onedrive.create_folder", "onedrive"},
	{"sharepoint.search_sites", "sharepoint"}, {"sharepoint.create_item", "sharepoint"},
	{"teams.joined_teams", "teams"}, {"teams.online_meeting", "teams"},
	{"todo.create", "todo"}, {"todo.list_lists", "todo"}, {"onenote.create_page", "onenote"},
	{"contacts.create", "contacts"}, {"user.profile", "user"}, {"directory.list_users", "directory"}, {"groups.list", "groups"},
}

// Options size the seeded history.
type Options struct {
	// Accounts is the number of accounts (default 1,000), named as Name says.
	Accounts int
	// Rounds is the number of rounds of each account (default 100), one every Every
	// (default 8 hours) with up to half an hour of jitter, the newest an hour before End
	// (default now).
	Rounds int
	Every  time.Duration
	End    time.Time
	// Results is the number of results of each round (default 10, at most
	// len(Activities)).
	Results int
	// ChangeEvery adds a state change every that many rounds of each account (default 5;
	// negative: none).
	ChangeEvery int
	// Seed makes the history reproducible.
	Seed uint64
}

// Name is the name of the i-th seeded account.
func Name(i int) string { return fmt.Sprintf("user%04d@contoso.onmicrosoft.com", i) }

// tsLayout is the store's timestamp format (TEXT, UTC, microseconds): SeedDashboard's rows
// must read back as the store's own.
const tsLayout = "2006-01-02T15:04:05.000000Z"

func ts(t time.Time) string { return t.UTC().Format(tsLayout) }

// SeedDashboard adds o.Accounts accounts to st (in the configuration, enabled, of type
// refresh_token), each with a state (its next round within 8 hours) and o.Rounds rounds of
// o.Results results: verdicts 90% ok, 8% degraded, 2% needing the owner; outcomes 90% ok,
// 5% failed (429 with a request-id), 5% skipped; durations of 50 ms to about 2 s. The rows
// are written in time order, as a daemon would, in transactions of 10 rounds of every
// account, then the database is analyzed, as a long-running store would be. It returns the
// accounts' names.
func SeedDashboard(ctx context.Context, st *sqlite.Store, o Options) ([]string, error) {
	if o.Accounts <= 0 {
		o.Accounts = 1000
	}
	if o.Rounds <= 0 {
		o.Rounds = 100
	}
	if o.Every <= 0 {
		o.Every = 8 * time.Hour
	}
	if o.End.IsZero() {
		o.End = time.Now()
	}
	if o.Results <= 0 {
		o.Results = 10
	}
	if o.ChangeEvery == 0 {
		o.ChangeEvery = 5
	}
	if o.Results > len(Activities) {
		return nil, fmt.Errorf("sqlitetest: %d results a round, at most %d", o.Results, len(Activities))
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed))
	names := make([]string, o.Accounts)
	accounts := make([]store.Account, o.Accounts)
	states := make([]store.AccountState, o.Accounts)
	for i := range names {
		names[i] = Name(i)
		accounts[i] = store.Account{Name: names[i], Type: "refresh_token", Enabled: true}
		states[i] = store.AccountState{Account: names[i], NextRun: o.End.Add(time.Duration(rng.IntN(8*3600)) * time.Second)}
	}
	if _, err := st.SyncAccounts(ctx, accounts); err != nil {
		return nil, err
	}
	if err := st.SaveStates(ctx, states); err != nil {
		return nil, err
	}

	// A second connection to the migrated file; the store's writer is idle meanwhile.
	db, err := sql.Open("sqlite", st.Path()+"?_busy_timeout=10000&_foreign_keys=1&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	ids := make(map[string]int64, len(names))
	rows, err := db.QueryContext(ctx, `SELECT id, name FROM accounts`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return nil, err
		}
		ids[name] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// One INSERT of a round's results: o.Results rows of 11 values. Anonymous parameters:
	// the driver looks the names of numbered ones up at every bind, a third of the time.
	var q strings.Builder
	q.WriteString(`INSERT INTO round_results (round_id, seq, activity, workload, outcome, status, code, request_id,
		message, duration_ms, calls) VALUES `)
	for i := range o.Results {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	first := o.End.Add(-time.Hour - time.Duration(o.Rounds-1)*o.Every - 30*time.Minute)
	const perTx = 10 // rounds of every account
	args := make([]any, 0, 11*o.Results)
	for slot := 0; slot < o.Rounds; slot += perTx {
		err := inTx(ctx, db, func(tx *sql.Tx) error {
			insRound, err := tx.PrepareContext(ctx, `INSERT INTO rounds (account_id, started, finished, verdict, reason, code, message)
				VALUES (?, ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer insRound.Close()
			insResults, err := tx.PrepareContext(ctx, q.String())
			if err != nil {
				return err
			}
			defer insResults.Close()
			insChange, err := tx.PrepareContext(ctx, `INSERT INTO state_changes (account_id, at, kind, reason, message, by_who)
				VALUES (?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer insChange.Close()
			for j := slot; j < min(slot+perTx, o.Rounds); j++ {
				for _, name := range names {
					id := ids[name]
					started := first.Add(time.Duration(j)*o.Every + time.Duration(rng.IntN(1800))*time.Second)
					verdict, reason, code, message := store.VerdictOK, "", "", ""
					switch p := rng.IntN(100); {
					case p < 2:
						verdict, reason, code, message = store.VerdictNeedsOwner, "token", "AADSTS700082", "the refresh token has expired"
					case p < 10:
						verdict, reason, code, message = store.VerdictDegraded, "throttled", "TooManyRequests", "2 of 10 activities failed"
					}
					res, err := insRound.ExecContext(ctx, id, ts(started), ts(started.Add(time.Duration(20+rng.IntN(100))*time.Second)),
						verdict, reason, code, message)
					if err != nil {
						return err
					}
					roundID, err := res.LastInsertId()
					if err != nil {
						return err
					}
					args = args[:0]
					for k, a := range rng.Perm(len(Activities))[:o.Results] {
						act := Activities[a]
						outcome, status, code, reqID, msg := store.OutcomeOK, 200, "", fmt.Sprintf("%08x-6d0b-4c7e-9a55-1b2f0e7d9c41", rng.Uint32()), ""
						switch p := rng.IntN(100); {
						case p < 5:
							outcome, status, code, msg = store.OutcomeFailed, 429, "TooManyRequests", "throttled; retry after 3s"
						case p < 10:
							outcome, status, reqID = store.OutcomeSkipped, 0, ""
						}
						args = append(args, roundID, k, act.Name, act.Workload, outcome, status, code, reqID, msg,
							50+rng.IntN(200)+rng.IntN(10)*rng.IntN(300), 1+rng.IntN(4))
					}
					if _, err := insResults.ExecContext(ctx, args...); err != nil {
						return err
					}
					if o.ChangeEvery > 0 && j%o.ChangeEvery == 0 {
						kind := []string{"paused", "resumed", "backoff", "recovered"}[j/o.ChangeEvery%4]
						if _, err := insChange.ExecContext(ctx, id, ts(started), kind, "needs_owner", "AADSTS700082", "daemon"); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("sqlitetest: seed rounds %d-%d: %w", slot, slot+perTx-1, err)
		}
	}
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		return nil, err
	}
	return names, nil
}

func inTx(ctx context.Context, db *sql.DB, f func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}
