package schedule_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/schedule"
)

// benchFleet builds n accounts with varied schedules: random intervals between 500 s and
// 86,400 s under several windows, days and zones, and one in five on a cron.
func benchFleet(tb testing.TB, n int) []schedule.Spec {
	hours := []string{"", "09:00-18:00", "08:00-12:00,13:30-19:00", "22:00-02:00", "07:00-09:00,12:00-13:00,18:00-23:00"}
	days := []string{"", "mon-sat", "mon-fri", "sat,sun", "mon,wed,fri"}
	zones := []string{"UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York"}
	crons := []schedule.Config{
		{Cron: "0 8-18 * * 1-6"}, // Office365Auto
		{Cron: "*/30 * * * *", Hours: "09:00-18:00"},
		{Cron: "15 9,13,17 * * 1-5", Spread: "30m"},
		{Cron: "@hourly", Days: "mon-sat"},
	}
	r := rng(42)
	specs := make([]schedule.Spec, 0, n)
	for i := range n {
		zone := zones[i%len(zones)]
		var c schedule.Config
		if i%5 == 4 {
			c = crons[(i/5)%len(crons)]
			c.TimeZone = zone
		} else {
			lo := 500 + r.IntN(86400-500)
			hi := lo + r.IntN(86400-lo+1)
			c = schedule.Config{
				Interval: fmt.Sprintf("%ds-%ds", lo, hi),
				Hours:    hours[r.IntN(len(hours))],
				Days:     days[r.IntN(len(days))],
				TimeZone: zone,
			}
		}
		specs = append(specs, mustSpec(tb, c))
	}
	return specs
}

// BenchmarkSimulatedWeek plans one week (across Europe's spring-forward night) for 10,000
// accounts: every round each would run, as the daemon computes them one after another.
func BenchmarkSimulatedWeek(b *testing.B) {
	const accounts = 10000
	specs := benchFleet(b, accounts)
	start := time.Date(2025, 3, 26, 0, 0, 0, 0, time.UTC)
	end := start.Add(7 * 24 * time.Hour)
	rounds := 0
	for b.Loop() {
		rounds = 0
		for i, s := range specs {
			r := rng(uint64(i))
			for t := s.Next(start, r); t.Before(end); t = s.Next(t, r) {
				rounds++
			}
		}
	}
	b.ReportMetric(accounts, "accounts")
	b.ReportMetric(float64(rounds), "rounds/week")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rounds), "ns/round")
}

// BenchmarkBuildFleet is the cost of parsing and checking 10,000 schedules (start-up).
func BenchmarkBuildFleet(b *testing.B) {
	for b.Loop() {
		benchFleet(b, 10000)
	}
}
