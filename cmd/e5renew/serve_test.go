package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/schedule"
	"github.com/e5renew/e5renew/internal/store"
)

// The test binary is also e5renew: with E5RENEW_TEST_MAIN set it runs main() with the
// arguments after "--", so tests can start, signal and kill -9 a real process.
func TestMain(m *testing.M) {
	if os.Getenv("E5RENEW_TEST_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"e5renew"}, os.Args[i+1:]...)
				break
			}
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// proc is a running `e5renew serve`.
type proc struct {
	cmd  *exec.Cmd
	logs *syncBuf
	addr chan string
	done chan error
}

func startServe(t *testing.T, cfgPath string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"-test.run=^$", "--", "serve", "-c", cfgPath, "--listen", "127.0.0.1:0", "--log-format", "json", "--log-level", "debug"}, extra...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "E5RENEW_TEST_MAIN=1", "E5RENEW_AUTHORITY_URL=", "E5RENEW_GRAPH_URL=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &syncBuf{}, addr: make(chan string, 1), done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.logs.Write([]byte(line + "\n"))
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				p.addr <- rec.Addr
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *proc) waitAddr(t *testing.T) string {
	t.Helper()
	select {
	case a := <-p.addr:
		return a
	case err := <-p.done:
		t.Fatalf("serve exited: %v\n%s", err, p.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start:\n%s", p.logs.String())
	}
	return ""
}

func (p *proc) wait(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(within):
		t.Fatalf("serve did not exit within %v:\n%s", within, p.logs.String())
	}
	return nil
}

// serveFixture writes a configuration for n accounts (and the broken ones) scheduled
// every lo-hi.
func serveFixture(t *testing.T, emo emulator.Options, n int, broken bool, interval string) *fixture {
	t.Helper()
	f := newFixture(t, emo, n)
	if !broken {
		f.cfg.Accounts = f.cfg.Accounts[:n]
	}
	f.cfg.Defaults.Activities.Random = "1-3"
	f.cfg.Defaults.Schedule = schedule.Config{Interval: interval, TimeZone: "UTC"}
	f.writeConfig(t)
	return f
}

func (f *fixture) rounds(t *testing.T) map[string][]store.Round {
	t.Helper()
	st, err := fleet.OpenStore(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string][]store.Round{}
	for _, a := range f.cfg.Accounts {
		rs, err := st.Rounds(context.Background(), a.Name, 0)
		if err != nil {
			t.Fatal(err)
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].Started.Before(rs[j].Started) })
		out[a.Name] = rs
	}
	return out
}

// kill -9 at random moments, again and again: no rotated refresh token is lost (strict
// rotation would refuse a stale one) and no round runs twice (consecutive rounds of an
// account are never closer than the schedule's minimum).
func TestServeSurvivesKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills e5renew several times")
	}
	f := serveFixture(t, emulator.Options{StrictRotation: true, Faults: emulator.Faults{Latency: 5 * time.Millisecond}}, 3, false, "1s-2s")
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 5 {
		p := startServe(t, f.cfgPath)
		p.waitAddr(t)
		time.Sleep(time.Duration(1200+r.IntN(2500)) * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := p.wait(t, 10*time.Second); err == nil {
			t.Fatalf("run %d: serve exited cleanly after SIGKILL?", i)
		}
	}
	p := startServe(t, f.cfgPath)
	p.waitAddr(t)
	time.Sleep(4 * time.Second)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.wait(t, 60*time.Second); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, p.logs.String())
	}

	total := 0
	for name, rs := range f.rounds(t) {
		total += len(rs)
		if len(rs) < 5 {
			t.Errorf("%s: only %d rounds over six runs", name, len(rs))
		}
		for i, r := range rs {
			if r.Verdict == store.VerdictNeedsOwner {
				t.Errorf("%s: round %d needs the owner (%s %s): a rotated token was lost", name, i+1, r.Code, r.Message)
			}
			if i > 0 {
				// The interval is 1-2 s; a round run twice would start within milliseconds of
				// the first. Half a second leaves room for a loaded machine's scheduling.
				if gap := r.Started.Sub(rs[i-1].Started); gap < 500*time.Millisecond {
					t.Errorf("%s: rounds %d and %d started %v apart: a round ran twice", name, i, i+1, gap)
				}
			}
		}
	}
	t.Logf("%d rounds over 5 kills and a graceful stop", total)
	if st := f.em.Stats(); st.LiveArtifactsTotal != 0 {
		t.Errorf("left behind after the last run: %v", st.LiveArtifacts)
	}
}

// SIGTERM lets the round in flight clean up and saves it; a second signal exits at once,
// and what that left behind is deleted by the next run.
func TestServeStopsGracefullyAndASecondSignalExitsAtOnce(t *testing.T) {
	f := serveFixture(t, emulator.Options{Faults: emulator.Faults{Latency: 300 * time.Millisecond}}, 1, false, "1s-2s")
	f.cfg.Defaults.Activities = config.Activities{Always: []string{"mail.draft", "onedrive.create_folder"}, Random: "0"}
	f.writeConfig(t)
	name := f.cfg.Accounts[0].Name

	p := startServe(t, f.cfgPath)
	p.waitAddr(t)
	waitLog(t, p, `"msg":"graph"`, `"method":"POST"`, 30*time.Second) // something was created
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.wait(t, 60*time.Second); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, p.logs.String())
	}
	if rs := f.rounds(t)[name]; len(rs) == 0 {
		t.Fatalf("the round in flight was not saved:\n%s", p.logs.String())
	}
	if st := f.em.Stats(); st.LiveArtifactsTotal != 0 {
		t.Errorf("left behind: %v (the round in flight must clean up)", st.LiveArtifacts)
	}
	if !strings.Contains(p.logs.String(), `"msg":"daemon stopped"`) {
		t.Errorf("no 'daemon stopped' in the log")
	}

	// Now the cleanup would take long: the second signal does not wait for it.
	f.em.SetFaults(emulator.Faults{Latency: 300 * time.Millisecond})
	p = startServe(t, f.cfgPath)
	p.waitAddr(t)
	waitLog(t, p, `"msg":"graph"`, `"method":"POST"`, 30*time.Second)
	f.em.SetFaults(emulator.Faults{Latency: 30 * time.Second})
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.wait(t, 10*time.Second); err == nil {
		t.Error("exit status 0 after a second signal; want the signal's")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the second signal took %v to end the process", d)
	}

	// The next run deletes what the interrupted cleanup left (the journal survived).
	f.em.SetFaults(emulator.Faults{})
	p = startServe(t, f.cfgPath)
	p.waitAddr(t)
	waitLog(t, p, `"msg":"round finished"`, "", 30*time.Second)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.wait(t, 60*time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if st := f.em.Stats(); st.LiveArtifactsTotal != 0 {
		t.Errorf("left behind after the next run: %v", st.LiveArtifacts)
	}
}

// waitLog waits for a log line containing both parts.
func waitLog(t *testing.T, p *proc, part1, part2 string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, l := range strings.Split(p.logs.String(), "\n") {
			if strings.Contains(l, part1) && strings.Contains(l, part2) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q and %q:\n%s", part1, part2, p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type webhookSink struct {
	mu   sync.Mutex
	msgs []map[string]any
}

func (w *webhookSink) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err == nil {
		w.mu.Lock()
		w.msgs = append(w.msgs, m)
		w.mu.Unlock()
	}
	rw.WriteHeader(204)
}

func (w *webhookSink) kinds() map[string][]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string][]string{}
	for _, m := range w.msgs {
		k, _ := m["kind"].(string)
		a, _ := m["account"].(string)
		out[k] = append(out[k], a)
	}
	return out
}

// The service end to end: health, metrics, one message per broken account, the
// started/stopped messages, and a SIGHUP that adds an account.
func TestServeHealthMetricsNotificationsAndReload(t *testing.T) {
	f := serveFixture(t, emulator.Options{}, 2, true, "1s-2s")
	sink := &webhookSink{}
	hook := httptest.NewServer(sink)
	t.Cleanup(hook.Close)
	all := f.cfg.Accounts
	f.cfg.Accounts = []config.Account{all[0], all[2], all[3]} // one healthy, two broken
	data, err := f.cfg.Marshal("test")
	if err != nil {
		t.Fatal(err)
	}
	notif := fmt.Sprintf("notifications:\n  language: en\n  channels:\n    - type: webhook\n      name: sink\n      url: %s/hook\n", hook.URL)
	if err := os.WriteFile(f.cfgPath, append(data, []byte(notif)...), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, f.cfgPath)
	addr := p.waitAddr(t)

	deadline := time.Now().Add(30 * time.Second)
	for len(sink.kinds()["needs_owner"]) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // more rounds: still one message per broken account
	k := sink.kinds()
	sort.Strings(k["needs_owner"])
	if fmt.Sprint(k["needs_owner"]) != fmt.Sprint([]string{all[2].Name, all[3].Name}) || len(k["started"]) != 1 {
		t.Errorf("messages %v, want started and one needs_owner per broken account", k)
	}

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		Status   string `json:"status"`
		Accounts int    `json:"accounts"`
		Paused   int    `json:"paused"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if resp.StatusCode != 200 || health.Status != "ok" || health.Accounts != 3 || health.Paused != 2 {
		t.Errorf("healthz %d %+v", resp.StatusCode, health)
	}
	// The healthy account's first round may still be running on a loaded machine: wait
	// for it to be counted before checking every series.
	var body []byte
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err = http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), `e5renew_rounds_total{verdict="ok"}`) || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{`e5renew_rounds_total{verdict="ok"}`, `e5renew_rounds_total{verdict="needs_owner"} 2`,
		`e5renew_activity_results_total{outcome="ok",workload="mail"}`, `e5renew_token_refreshes_total{result="ok",type="refresh_token"}`,
		`e5renew_token_refreshes_total{result="needs_owner"`, `e5renew_accounts{state="paused_needs_owner"} 2`,
		`e5renew_scheduler_lag_seconds_bucket`, `e5renew_notifications_total{kind="needs_owner"} 2`, "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// Reload: the second healthy account joins.
	f.cfg.Accounts = []config.Account{all[0], all[1], all[2], all[3]}
	data, _ = f.cfg.Marshal("test")
	if err := os.WriteFile(f.cfgPath, append(data, []byte(notif)...), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, p, `"msg":"configuration reloaded"`, "", 30*time.Second)
	waitLog(t, p, `"msg":"round finished"`, `"account":"`+all[1].Name+`"`, 30*time.Second)

	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.wait(t, 60*time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if k := sink.kinds(); len(k["stopped"]) != 1 {
		t.Errorf("stopped messages: %v\n%s", k, p.logs.String())
	}
	// No secret in any message or log line.
	sink.mu.Lock()
	raw, _ := json.Marshal(sink.msgs)
	sink.mu.Unlock()
	for _, a := range all {
		for _, s := range []string{a.RefreshToken.Reveal(), a.ClientSecret.Reveal(), a.Password.Reveal()} {
			if s != "" && (strings.Contains(string(raw), s) || strings.Contains(p.logs.String(), s)) {
				t.Errorf("a secret of %s leaked into a message or the log", a.Name)
			}
		}
	}
}
