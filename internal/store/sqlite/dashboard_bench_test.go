package sqlite_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/store"
	"github.com/e5renew/e5renew/internal/store/sqlite"
	"github.com/e5renew/e5renew/internal/store/sqlite/sqlitetest"
)

// BenchmarkDashboard measures the dashboard's pages on 1,000 accounts with 100 rounds of
// 10 results each (seeded by sqlitetest.SeedDashboard, as the web benchmark's) (100,000 rounds, 1,000,000 results, over 33 days): the overview
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
	const accounts, rounds, results = 1000, 100, 10
	s, names := sqlitetest.Seeded(b, sqlitetest.Options{Accounts: accounts, Rounds: rounds, Results: results, Seed: 1})

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
			check(b, err == nil && len(m) == accounts, "LastRoundSummaries: %d, %v", len(m), err)
		},
		"States": func(b *testing.B) {
			l, err := s.States(ctx)
			check(b, err == nil && len(l) == accounts, "States: %d, %v", len(l), err)
		},
		"RecentVerdicts10": func(b *testing.B) {
			m, err := s.RecentVerdicts(ctx, 10)
			check(b, err == nil && len(m) == accounts && len(m[names[0]]) == 10, "RecentVerdicts: %d, %v", len(m), err)
		},
	}
	var i int
	account := func() string { i++; return names[(i*7919)%accounts] }
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
			check(b, err == nil && len(l) == len(sqlitetest.Activities), "ActivityStats: %d, %v", len(l), err)
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
			check(b, err == nil && len(m) == accounts, "LastRounds: %d, %v", len(m), err)
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
				m, err := queryVerdicts(ctx, sqlite.ReadDB(s), q, 10)
				check(b, err == nil && len(m) == accounts && len(m[names[0]]) == 10, "%s: %d, %v", name, len(m), err)
			}
		})
	}
}

// queryVerdicts runs a query of (name, verdict) rows, oldest first, as RecentVerdicts.
func queryVerdicts(ctx context.Context, db *sql.DB, q string, n int) (map[string][]string, error) {
	rows, err := db.QueryContext(ctx, q, n)
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
