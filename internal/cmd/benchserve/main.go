// Command benchserve measures `e5renew serve` with many accounts against the emulated
// tenant: resident memory, CPU while idle between rounds and while busy, and scheduling lag
// (planned versus actual start). The emulator runs in this process; e5renew serve runs as
// its own process (built from ./cmd/e5renew), so its figures are its own.
//
//	go run ./internal/cmd/benchserve -accounts 10000
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/sandbox"
	"github.com/e5renew/e5renew/internal/schedule"
)

func main() {
	accounts := flag.Int("accounts", 10000, "accounts to serve")
	interval := flag.String("interval", "5m-10m", "the accounts' schedule during the busy phase")
	busy := flag.Duration("busy", 3*time.Minute, "how long to measure while rounds fire")
	idle := flag.Duration("idle", time.Minute, "how long to measure CPU while no round is due")
	keep := flag.Bool("keep", false, "keep the working directory")
	flag.Parse()
	if err := run(*accounts, *interval, *busy, *idle, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "benchserve:", err)
		os.Exit(1)
	}
}

func run(accounts int, interval string, busy, idle time.Duration, keep bool) error {
	if runtime.GOOS != "linux" {
		return errors.New("benchserve reads /proc: run it on Linux")
	}
	dir, err := os.MkdirTemp("", "e5renew-bench-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	bin := filepath.Join(dir, "e5renew")
	fmt.Println("building e5renew …")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/e5renew").CombinedOutput(); err != nil {
		return fmt.Errorf("build (run from the repository root): %v\n%s", err, out)
	}

	em := emulator.New(emulator.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: em.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	fmt.Printf("seeding %d accounts in the emulated tenant …\n", accounts)
	start := time.Now()
	cfg, _, err := sandbox.Populate(em, sandbox.Options{Accounts: accounts, Endpoint: base})
	if err != nil {
		return err
	}
	fmt.Printf("  %v\n", time.Since(start).Round(time.Millisecond))
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Defaults.Activities.Random = "2-4"
	cfgPath := filepath.Join(dir, "e5renew.yaml")

	// Phase 1, idle: every round is planned outside the working hours (which end before
	// now and start after the measurement), so the daemon only waits.
	now := time.Now().UTC()
	from, to := now.Add(2*time.Hour), now.Add(3*time.Hour)
	cfg.Defaults.Schedule = schedule.Config{Interval: interval, TimeZone: "UTC",
		Hours: fmt.Sprintf("%02d:%02d-%02d:%02d", from.Hour(), from.Minute(), to.Hour(), to.Minute())}
	if err := write(cfg.Marshal, cfgPath); err != nil {
		return err
	}
	p, err := startServe(bin, cfgPath)
	if err != nil {
		return err
	}
	startup := p.ready.Sub(p.started)
	time.Sleep(5 * time.Second) // let start-up work settle
	idleCPU, err := cpuOver(p.pid, idle)
	if err != nil {
		return err
	}
	idleRSS, err := rss(p.pid)
	if err != nil {
		return err
	}
	if err := p.stop(); err != nil {
		return err
	}

	// Phase 2, busy: all day, every interval, from a fresh state (new accounts run their
	// first round 30 s to 5 min after start, then every interval).
	cfg.Defaults.Schedule = schedule.Config{Interval: interval, TimeZone: "UTC"}
	cfg.DataDir = filepath.Join(dir, "data-busy")
	if err := write(cfg.Marshal, cfgPath); err != nil {
		return err
	}
	p, err = startServe(bin, cfgPath)
	if err != nil {
		return err
	}
	fmt.Printf("measuring %v of rounds …\n", busy)
	busyCPU, peakRSS, err := sample(p.pid, busy)
	if err != nil {
		return err
	}
	metrics, err := scrape(p.addr)
	if err != nil {
		return err
	}
	if err := p.stop(); err != nil {
		return err
	}
	lag := parseHistogram(metrics, "e5renew_scheduler_lag_seconds")
	rounds := sumCounter(metrics, "e5renew_rounds_total")

	fmt.Println()
	fmt.Printf("e5renew serve, %d accounts (%s, %d CPUs)\n", accounts, runtime.GOARCH, runtime.NumCPU())
	fmt.Printf("  start-up to listening:          %v\n", startup.Round(time.Millisecond))
	fmt.Printf("  idle (no round due), %v:       CPU %.2f %% of a core, RSS %.1f MB\n", idle, idleCPU*100, idleRSS)
	fmt.Printf("  busy (interval %s), %v:   %d rounds (%.1f/s), CPU %.1f %% of a core, peak RSS %.1f MB\n",
		interval, busy, int(rounds), rounds/busy.Seconds(), busyCPU*100, peakRSS)
	fmt.Printf("  scheduling lag (from the histogram, %d rounds): p50 %s, p99 %s, max bucket %s\n",
		lag.count, fmtSec(lag.quantile(0.5)), fmtSec(lag.quantile(0.99)), fmtSec(lag.maxBound()))
	return nil
}

func write(marshal func(string) ([]byte, error), path string) error {
	b, err := marshal("benchserve")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

type proc struct {
	cmd            *exec.Cmd
	pid            int
	addr           string
	started, ready time.Time
}

func startServe(bin, cfgPath string) (*proc, error) {
	cmd := exec.Command(bin, "serve", "-c", cfgPath, "--listen", "127.0.0.1:0", "--log-format", "json", "--log-level", "info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, started: time.Now()}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.pid = cmd.Process.Pid
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			l := sc.Text()
			if strings.Contains(l, `"msg":"listening"`) {
				if i := strings.Index(l, `"addr":"`); i >= 0 {
					rest := l[i+8:]
					addr <- rest[:strings.Index(rest, `"`)]
				}
			}
			if strings.Contains(l, `"level":"ERROR"`) {
				fmt.Fprintln(os.Stderr, "serve:", l)
			}
		}
	}()
	select {
	case p.addr = <-addr:
		p.ready = time.Now()
	case <-time.After(5 * time.Minute):
		_ = cmd.Process.Kill()
		return nil, errors.New("serve did not start within 5 minutes")
	}
	return p, nil
}

func (p *proc) stop() error {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(2 * time.Minute):
		_ = p.cmd.Process.Kill()
		return errors.New("serve did not stop within 2 minutes")
	}
}

// cpuTime is the process's user+system CPU time.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks, nil
}

func cpuOver(pid int, d time.Duration) (float64, error) {
	c0, err := cpuTime(pid)
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	time.Sleep(d)
	c1, err := cpuTime(pid)
	if err != nil {
		return 0, err
	}
	return (c1 - c0).Seconds() / time.Since(t0).Seconds(), nil
}

// rss is the resident set in MB.
func rss(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024, nil
		}
	}
	return 0, errors.New("no VmRSS")
}

// sample measures CPU over d and the peak RSS, sampled every second.
func sample(pid int, d time.Duration) (cpu, peak float64, err error) {
	c0, err := cpuTime(pid)
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	for time.Since(t0) < d {
		time.Sleep(time.Second)
		r, err := rss(pid)
		if err != nil {
			return 0, 0, err
		}
		peak = math.Max(peak, r)
	}
	c1, err := cpuTime(pid)
	if err != nil {
		return 0, 0, err
	}
	return (c1 - c0).Seconds() / time.Since(t0).Seconds(), peak, nil
}

func scrape(addr string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

type histogram struct {
	bounds []float64
	counts []float64 // cumulative
	count  int
}

func parseHistogram(text, name string) histogram {
	var h histogram
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, name+"_bucket{") {
			if strings.HasPrefix(l, name+"_count ") {
				v, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
				h.count = int(v)
			}
			continue
		}
		le := l[strings.Index(l, `le="`)+4:]
		le = le[:strings.Index(le, `"`)]
		v, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
		b := math.Inf(1)
		if le != "+Inf" {
			b, _ = strconv.ParseFloat(le, 64)
		}
		h.bounds = append(h.bounds, b)
		h.counts = append(h.counts, v)
	}
	idx := make([]int, len(h.bounds))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return h.bounds[idx[i]] < h.bounds[idx[j]] })
	b2, c2 := make([]float64, len(idx)), make([]float64, len(idx))
	for i, j := range idx {
		b2[i], c2[i] = h.bounds[j], h.counts[j]
	}
	h.bounds, h.counts = b2, c2
	return h
}

// quantile interpolates linearly inside the bucket, as Prometheus's histogram_quantile.
func (h histogram) quantile(q float64) float64 {
	if len(h.counts) == 0 || h.counts[len(h.counts)-1] == 0 {
		return math.NaN()
	}
	rank := q * h.counts[len(h.counts)-1]
	prevB, prevC := 0.0, 0.0
	for i, c := range h.counts {
		if c >= rank {
			if math.IsInf(h.bounds[i], 1) {
				return prevB
			}
			if c == prevC {
				return h.bounds[i]
			}
			return prevB + (h.bounds[i]-prevB)*(rank-prevC)/(c-prevC)
		}
		prevB, prevC = h.bounds[i], c
	}
	return prevB
}

// maxBound is the upper bound of the highest bucket that holds a sample.
func (h histogram) maxBound() float64 {
	last, prev := 0.0, 0.0
	for i, c := range h.counts {
		if c > prev {
			last = h.bounds[i]
		}
		prev = c
	}
	return last
}

func sumCounter(text, name string) float64 {
	var sum float64
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, name+"{") || strings.HasPrefix(l, name+" ") {
			v, _ := strconv.ParseFloat(strings.Fields(l)[len(strings.Fields(l))-1], 64)
			sum += v
		}
	}
	return sum
}

func fmtSec(s float64) string {
	switch {
	case math.IsNaN(s):
		return "n/a"
	case math.IsInf(s, 1):
		return "> 60 s"
	case s < 1:
		return fmt.Sprintf("%.1f ms", s*1000)
	}
	return fmt.Sprintf("%.2f s", s)
}
