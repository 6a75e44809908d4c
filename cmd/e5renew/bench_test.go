package main

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/sandbox"
)

// BenchmarkRunOnce measures the wall time of `e5renew run --once` as a user runs it (the
// real binary, process start included) for 10 accounts with 12 activities each, against
// the emulated tenant adding 50 ms of latency to every request. Target: under 1 s.
//
//	go test ./cmd/e5renew -run '^$' -bench RunOnce -benchtime 10x
func BenchmarkRunOnce(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "e5renew")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	em := emulator.New(emulator.Options{Faults: emulator.Faults{Latency: 50 * time.Millisecond, MailboxConcurrency: 4}})
	srv := httptest.NewServer(em.Handler())
	defer srv.Close()
	cfg, _, err := sandbox.Populate(em, sandbox.Options{Accounts: 10, Endpoint: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	cfg.Defaults.Activities.Random = "9" // plus the 3 that always run: 12 per account
	data, _ := cfg.Marshal("benchmark")
	cfgPath := filepath.Join(dir, "e5renew.yaml")
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		b.Fatal(err)
	}
	run := func() time.Duration {
		start := time.Now()
		cmd := exec.Command(bin, "run", "--once", "-c", cfgPath)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("run --once: %v\n%s", err, out)
		}
		return time.Since(start)
	}
	run() // create the state store and key first, as a user's first run does
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		total += run()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/run")
	if st := em.Stats(); st.LiveArtifactsTotal != 0 {
		b.Fatalf("left behind: %v", st.LiveArtifacts)
	}
}
