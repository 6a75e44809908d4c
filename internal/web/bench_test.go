package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/store"
	"github.com/e5renew/e5renew/internal/store/sqlite/sqlitetest"
)

const (
	benchAccounts = 1000
	benchRounds   = 100 // per account, one every 8 hours: 33 days
	benchResults  = 10  // per round: 1,000,000 results in all
)

// BenchmarkRender measures the server side of the dashboard's pages (the store's queries,
// the charts, the templates; no network) on 1,000 accounts with 100 rounds of 10 results
// each (100,000 rounds, 1,000,000 results) in a SQLite store, through the real handler
// with a signed-in session. The target is under 100 ms a page.
//
//	go test ./internal/web -run '^$' -bench Render -benchtime 20x
func BenchmarkRender(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds a million results")
	}
	ctx := context.Background()
	st, names := sqlitetest.Seeded(b, sqlitetest.Options{Accounts: benchAccounts, Rounds: benchRounds, Results: benchResults, Seed: 1})

	states, err := st.States(ctx)
	if err != nil {
		b.Fatal(err)
	}
	runner := &fakeRunner{cfg: &config.Config{Path: "e5renew.yaml", Defaults: config.Defaults{TimeZone: "Europe/Paris"}},
		states: map[string]store.AccountState{}}
	for _, s := range states {
		runner.states[store.FoldName(s.Account)] = s
	}
	for i, name := range names {
		a := config.Account{Name: name, Type: "refresh_token", ClientID: "11111111-2222-3333-4444-555555555555", Managed: i%2 == 0}
		if i%10 == 0 {
			a.Type, a.SecretExpires = "client_credentials", time.Now().Add(time.Duration(i)*time.Hour)
		}
		runner.cfg.Accounts = append(runner.cfg.Accounts, a)
	}
	ws, err := New(Options{Store: st, Settings: &memSettings{m: map[string]string{}}, Runner: runner, Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	h := ws.Handler(nil)
	id, _ := ws.sess.create()
	render := func(b *testing.B, path string) string {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: id})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d\n%s", path, rec.Code, rec.Body.String())
		}
		return rec.Body.String()
	}

	// What the pages show, checked once.
	body := render(b, "/")
	if n := strings.Count(body, `data-account="`); n != benchAccounts {
		b.Fatalf("overview: %d rows, want %d", n, benchAccounts)
	}
	if n := strings.Count(body, `aria-label="Last 10 rounds:`); n != benchAccounts {
		b.Fatalf("overview: %d sparklines of 10 rounds, want %d", n, benchAccounts)
	}
	body = render(b, "/accounts/"+names[0])
	if strings.Count(body, `class="chart chart-stacked`) != 2 || !strings.Contains(body, `class="chart chart-hbars`) ||
		strings.Count(body, `<tr data-activity="`) != len(sqlitetest.Activities) {
		b.Fatalf("account page: no charts or activity table")
	}

	b.Run("Overview", func(b *testing.B) {
		var size int
		for b.Loop() {
			size = len(render(b, "/"))
		}
		b.ReportMetric(float64(size), "bytes/page")
	})
	for _, rg := range []string{"7d", "30d", "90d", "365d"} {
		b.Run("Account"+rg, func(b *testing.B) {
			var i, size int
			for b.Loop() {
				i++
				size = len(render(b, "/accounts/"+names[(i*7919)%benchAccounts]+"?range="+rg))
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
	b.Run("Settings", func(b *testing.B) {
		for b.Loop() {
			render(b, "/accounts/"+names[1]+"/settings")
		}
	})
}
