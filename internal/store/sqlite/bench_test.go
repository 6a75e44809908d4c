package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
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
