package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/store"
)

const (
	benchAccounts = 1000
	benchRounds   = 100 // per account
	benchResults  = 12  // per round
)

var benchStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func benchRound(account string, started time.Time) *store.Round {
	r := &store.Round{Account: account, Started: started, Finished: started.Add(47 * time.Second),
		Verdict: store.VerdictOK, Results: make([]store.ActivityResult, benchResults)}
	for i := range r.Results {
		r.Results[i] = store.ActivityResult{
			Activity: fmt.Sprintf("activity.%02d", i), Workload: "mail", Outcome: store.OutcomeOK,
			Status: 200, RequestID: "3f2c8a1e-6d0b-4c7e-9a55-1b2f0e7d9c41", DurationMs: 180, Calls: 2,
		}
	}
	return r
}

// BenchmarkStore measures SaveRound and LastRounds on a store holding 1,000 accounts with
// 100 rounds of 12 results each (100,000 rounds, 1.2 million results).
func BenchmarkStore(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "bench.db")
	s, err := Open(path, newBox(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	accounts := make([]store.Account, benchAccounts)
	for i := range accounts {
		accounts[i] = store.Account{Name: fmt.Sprintf("user%04d@contoso.onmicrosoft.com", i), Type: "refresh_token", Enabled: true}
	}
	if _, err := s.SyncAccounts(ctx, accounts); err != nil {
		b.Fatal(err)
	}
	// Seeding: the same insert code as SaveRound, one transaction per account.
	t0 := time.Now()
	for _, a := range accounts {
		err := s.write(ctx, func(tx *sql.Tx) error {
			for j := range benchRounds {
				if _, err := s.saveRound(ctx, tx, benchRound(a.Name, benchStart.Add(time.Duration(j)*time.Hour))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d rounds in %v (batched, 100 rounds a transaction)", benchAccounts*benchRounds, time.Since(t0).Round(time.Millisecond))

	var next atomic.Int64
	newRound := func() *store.Round {
		n := next.Add(1)
		return benchRound(accounts[n%benchAccounts].Name, benchStart.Add(benchRounds*time.Hour+time.Duration(n)*time.Second))
	}

	b.Run("SaveRound", func(b *testing.B) {
		for b.Loop() {
			if err := s.SaveRound(ctx, newRound()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rounds/s")
	})
	b.Run("SaveRoundParallel", func(b *testing.B) {
		b.SetParallelism(8) // many accounts in flight
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := s.SaveRound(ctx, newRound()); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rounds/s")
	})
	b.Run("LastRounds", func(b *testing.B) {
		var n int
		for b.Loop() {
			last, err := s.LastRounds(ctx)
			if err != nil {
				b.Fatal(err)
			}
			n += len(last)
		}
		if n != b.N*benchAccounts {
			b.Fatalf("LastRounds returned %d rounds in %d calls, want %d a call", n, b.N, benchAccounts)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rounds/s")
	})
	b.Run("Rounds10", func(b *testing.B) {
		var i, n int
		for b.Loop() {
			rs, err := s.Rounds(ctx, accounts[i%benchAccounts].Name, 10)
			if err != nil {
				b.Fatal(err)
			}
			i++
			n += len(rs)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rounds/s")
	})
}

// dashboardActivities are the activities of the dashboard benchmark's rounds (a round runs
// 10 of them), by workload.
var dashboardActivities = []struct{ name, workload string }{
	{"mail.list", "mail"}, {"mail.send", "mail"}, {"mail.draft", "mail"}, {"mail.search", "mail"},
	{"calendar.list", "calendar"}, {"calendar.create_event", "calendar"},
	{"onedrive.list", "onedrive"}, {"onedrive.upload", "onedrive"}, {"onedrive.create_folder", "onedrive"},
	{"sharepoint.list_sites", "sharepoint"}, {"sharepoint.create_item", "sharepoint"},
	{"teams.list_channels", "teams"}, {"teams.online_meeting", "teams"},
	{"todo.create", "todo"}, {"todo.list", "todo"}, {"onenote.create_page", "onenote"},
	{"contacts.create", "contacts"}, {"users.me", "users"}, {"users.list", "users"}, {"groups.list", "groups"},
}

const (
	dashRounds  = 100 // per account, one every 8 hours: 33 days
	dashResults = 10  // per round: 1,000 accounts hold 100,000 rounds, 1,000,000 results
	dashEvery   = 8 * time.Hour
)

// seedDashboard fills the store with benchAccounts accounts of dashRounds rounds of
// dashResults results each (the newest an hour ago), a state each and 20 state changes
// each, with bulk inserts in a few transactions (not through SaveRound).
func seedDashboard(b *testing.B, s *Store, names []string) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	first := time.Now().Add(-time.Hour - dashRounds*dashEvery)
	var states []store.AccountState
	for _, name := range names {
		states = append(states, store.AccountState{Account: name, NextRun: time.Now().Add(time.Duration(rng.IntN(8*3600)) * time.Second)})
	}
	if err := s.SaveStates(ctx, states); err != nil {
		b.Fatal(err)
	}
	ids := map[string]int64{}
	rows, err := s.r.QueryContext(ctx, `SELECT id, name FROM accounts`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			b.Fatal(err)
		}
		ids[name] = id
	}
	rows.Close()

	// One INSERT of a round's results: 10 rows of 11 values.
	var q strings.Builder
	q.WriteString(`INSERT INTO round_results (round_id, seq, activity, workload, outcome, status, code, request_id,
		message, duration_ms, calls) VALUES `)
	for i := range dashResults {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	// In time order, as the daemon writes them: the newest rounds of all accounts are
	// together at the end of the tables.
	const perTx = 10 // rounds of every account
	for slot := 0; slot < dashRounds; slot += perTx {
		err := s.write(ctx, func(tx *sql.Tx) error {
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
			args := make([]any, 0, 11*dashResults)
			for j := slot; j < slot+perTx; j++ {
				for _, name := range names {
					id := ids[name]
					started := first.Add(time.Duration(j)*dashEvery + time.Duration(rng.IntN(1800))*time.Second)
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
					for k, a := range rng.Perm(len(dashboardActivities))[:dashResults] {
						act := dashboardActivities[a]
						outcome, status, code, reqID, msg := store.OutcomeOK, 200, "", fmt.Sprintf("%08x-6d0b-4c7e-9a55-1b2f0e7d9c41", rng.Uint32()), ""
						switch p := rng.IntN(100); {
						case p < 5:
							outcome, status, code, msg = store.OutcomeFailed, 429, "TooManyRequests", "throttled; retry after 3s"
						case p < 10:
							outcome, status, reqID = store.OutcomeSkipped, 0, ""
						}
						args = append(args, roundID, k, act.name, act.workload, outcome, status, code, reqID, msg,
							50+rng.IntN(200)+rng.IntN(10)*rng.IntN(300), 1+rng.IntN(4))
					}
					if _, err := insResults.ExecContext(ctx, args...); err != nil {
						return err
					}
					if j%5 == 0 { // 20 changes an account
						kind := []string{"paused", "resumed", "backoff", "recovered"}[j/5%4]
						if _, err := insChange.ExecContext(ctx, id, ts(started), kind, "needs_owner", "AADSTS700082", "daemon"); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	// As a long-running store would have them (goose leaves the database unanalyzed).
	if _, err := s.w.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDashboard measures the dashboard's pages on 1,000 accounts with 100 rounds of
// 10 results each (100,000 rounds, 1,000,000 results, over 33 days): the overview
// (LastRoundSummaries, States, RecentVerdicts(10)) and an account's page (RoundStats and
// ActivityStats over 30 days, Rounds(20), Changes(50)), each query alone and each page's
// together.
//
//	go test ./internal/store/sqlite -run '^$' -bench Dashboard -benchtime 20x
func BenchmarkDashboard(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds a million results")
	}
	ctx := context.Background()
	s, err := Open(filepath.Join(b.TempDir(), "bench.db"), newBox(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	names := make([]string, benchAccounts)
	accounts := make([]store.Account, benchAccounts)
	for i := range names {
		names[i] = fmt.Sprintf("user%04d@contoso.onmicrosoft.com", i)
		accounts[i] = store.Account{Name: names[i], Type: "refresh_token", Enabled: true}
	}
	if _, err := s.SyncAccounts(ctx, accounts); err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	seedDashboard(b, s, names)
	b.Logf("seeded %d accounts, %d rounds, %d results in %v", benchAccounts, benchAccounts*dashRounds,
		benchAccounts*dashRounds*dashResults, time.Since(t0).Round(time.Millisecond))

	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		b.Fatal(err)
	}
	check := func(b *testing.B, ok bool, format string, args ...any) {
		if !ok {
			b.Fatalf(format, args...)
		}
	}
	overview := map[string]func(b *testing.B){
		"LastRoundSummaries": func(b *testing.B) {
			m, err := s.LastRoundSummaries(ctx)
			check(b, err == nil && len(m) == benchAccounts, "LastRoundSummaries: %d, %v", len(m), err)
		},
		"States": func(b *testing.B) {
			l, err := s.States(ctx)
			check(b, err == nil && len(l) == benchAccounts, "States: %d, %v", len(l), err)
		},
		"RecentVerdicts10": func(b *testing.B) {
			m, err := s.RecentVerdicts(ctx, 10)
			check(b, err == nil && len(m) == benchAccounts && len(m[names[0]]) == 10, "RecentVerdicts: %d, %v", len(m), err)
		},
	}
	var i int
	account := func() string { i++; return names[(i*7919)%benchAccounts] }
	month := func() time.Time {
		y, m, d := time.Now().In(paris).Date()
		return time.Date(y, m, d-30, 0, 0, 0, 0, paris)
	}
	accountPage := map[string]func(b *testing.B, name string){
		"RoundStats30d": func(b *testing.B, name string) {
			l, err := s.RoundStats(ctx, name, month(), store.Day, paris)
			check(b, err == nil && len(l) == 31, "RoundStats: %d, %v", len(l), err)
		},
		"ActivityStats30d": func(b *testing.B, name string) {
			l, err := s.ActivityStats(ctx, name, month())
			check(b, err == nil && len(l) == len(dashboardActivities), "ActivityStats: %d, %v", len(l), err)
		},
		"Rounds20": func(b *testing.B, name string) {
			l, err := s.Rounds(ctx, name, 20)
			check(b, err == nil && len(l) == 20, "Rounds: %d, %v", len(l), err)
		},
		"Changes50": func(b *testing.B, name string) {
			l, err := s.Changes(ctx, name, 50)
			check(b, err == nil && len(l) == 20, "Changes: %d, %v", len(l), err)
		},
	}
	for _, name := range []string{"LastRoundSummaries", "States", "RecentVerdicts10"} {
		b.Run("Overview/"+name, func(b *testing.B) {
			for b.Loop() {
				overview[name](b)
			}
		})
	}
	b.Run("Overview/Page", func(b *testing.B) {
		for b.Loop() {
			for _, fn := range overview {
				fn(b)
			}
		}
	})
	for _, name := range []string{"RoundStats30d", "ActivityStats30d", "Rounds20", "Changes50"} {
		b.Run("Account/"+name, func(b *testing.B) {
			for b.Loop() {
				accountPage[name](b, account())
			}
		})
	}
	b.Run("Account/Page", func(b *testing.B) {
		for b.Loop() {
			name := account()
			for _, fn := range accountPage {
				fn(b, name)
			}
		}
	})

	// Alternatives measured for the record: LastRounds (with the results), and the verdicts
	// with ROW_NUMBER(), with "id IN (newest n)", or with the rounds started since the n-th
	// newest (one row a round rather than one an account; ties at the start not trimmed).
	b.Run("Compare/LastRounds", func(b *testing.B) {
		for b.Loop() {
			m, err := s.LastRounds(ctx)
			check(b, err == nil && len(m) == benchAccounts, "LastRounds: %d, %v", len(m), err)
		}
	})
	for name, q := range map[string]string{
		"Window": `SELECT a.name, v.verdict FROM (SELECT account_id, verdict, started, id,
			ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY started DESC, id DESC) AS rn FROM rounds) v
			JOIN accounts a ON a.id = v.account_id WHERE v.rn <= $1 ORDER BY v.account_id, v.started, v.id`,
		"IdIn": `SELECT a.name, r.verdict FROM accounts a JOIN rounds r ON r.id IN (SELECT n.id FROM rounds n
			WHERE n.account_id = a.id ORDER BY n.started DESC, n.id DESC LIMIT $1) ORDER BY a.id, r.started, r.id`,
		"StartedSince": `SELECT a.name, r.verdict FROM accounts a JOIN rounds r ON r.account_id = a.id
			AND r.started >= COALESCE((SELECT n.started FROM rounds n WHERE n.account_id = a.id
			ORDER BY n.started DESC, n.id DESC LIMIT 1 OFFSET $1 - 1), '') ORDER BY a.id, r.started, r.id`,
	} {
		b.Run("Compare/RecentVerdicts10"+name, func(b *testing.B) {
			for b.Loop() {
				m, err := queryVerdicts(ctx, s, q, 10)
				check(b, err == nil && len(m) == benchAccounts && len(m[names[0]]) == 10, "%s: %d, %v", name, len(m), err)
			}
		})
	}
}

// queryVerdicts runs a query of (name, verdict) rows, oldest first, as RecentVerdicts.
func queryVerdicts(ctx context.Context, s *Store, q string, n int) (map[string][]string, error) {
	rows, err := s.r.QueryContext(ctx, q, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var name, verdict string
		if err := rows.Scan(&name, &verdict); err != nil {
			return nil, err
		}
		out[name] = append(out[name], verdict)
	}
	return out, rows.Err()
}
