package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store/sqlite"
)

// Seeded opens a new store in a temporary directory of tb, fills it with SeedDashboard
// (logging how long that took) and closes it when tb ends. It returns the store and the
// accounts' names.
func Seeded(tb testing.TB, o Options) (*sqlite.Store, []string) {
	tb.Helper()
	box, err := secret.NewBox(secret.GenerateKey())
	if err != nil {
		tb.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(tb.TempDir(), "seeded.db"), box)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	t0 := time.Now()
	names, err := SeedDashboard(context.Background(), st, o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("seeded %d accounts, %d rounds of %d results each in %v", len(names), o.Rounds, o.Results, time.Since(t0).Round(time.Millisecond))
	return st, names
}
