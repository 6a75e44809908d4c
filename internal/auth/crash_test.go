package auth_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/secret"
)

func TestMain(m *testing.M) {
	if os.Getenv("E5RENEW_CRASH_CHILD") == "1" {
		os.Exit(crashChild())
	}
	os.Exit(m.Run())
}

// crashChild refreshes tokens in a loop as e5renew would: sign in (rotating and persisting
// the refresh token), use the access token on Graph, force the next refresh. It prints one
// line per completed cycle. Exit 3: sign-in failed; 4: Graph refused the token.
func crashChild() int {
	key, _ := base64.StdEncoding.DecodeString(os.Getenv("CRASH_KEY"))
	box, err := secret.NewBox(key)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	base := os.Getenv("CRASH_URL")
	src, err := auth.NewRefreshSource(auth.RefreshOptions{
		Common:       auth.Common{Account: "crash", Endpoints: auth.Endpoints{Authority: base, Graph: base}},
		ClientID:     os.Getenv("CRASH_CLIENT"),
		RefreshToken: secret.String(os.Getenv("CRASH_SEED")),
		Store:        auth.NewFileStore(os.Getenv("CRASH_STORE"), box),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	limit, _ := strconv.Atoi(os.Getenv("CRASH_ITERATIONS"))
	for i := 0; limit == 0 || i < limit; i++ {
		tok, err := src.Token(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, "sign-in:", err)
			return 3
		}
		req, _ := http.NewRequest("GET", base+"/v1.0/me/messages?$top=1", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			fmt.Fprintln(os.Stderr, "graph:", err, resp)
			return 4
		}
		resp.Body.Close()
		src.Invalidate()
		fmt.Println("cycle", i)
	}
	return 0
}

// TestRotationSurvivesSIGKILL kills a real subprocess with SIGKILL at random points while it
// refreshes under --strict-rotation (where a superseded refresh token is dead as soon as its
// successor's access token is used), restarts it from what it stored, many times, and
// checks it always continues.
func TestRotationSurvivesSIGKILL(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("skipping: SIGKILL semantics are tested on Unix")
	}
	runs := 30
	if testing.Short() {
		runs = 8
	}
	if s := os.Getenv("E5RENEW_CRASH_RUNS"); s != "" {
		runs, _ = strconv.Atoi(s)
	}
	em := emulator.New(emulator.Options{StrictRotation: true})
	ten, _ := em.AddTenant(emulator.TenantSpec{Domain: "crash.onmicrosoft.com"})
	u, _ := em.AddUser(ten.ID, emulator.UserSpec{UPN: "crash", Password: pw})
	app, err := em.AddApp(ten.ID, emulator.AppSpec{PublicClient: true, Scopes: []string{"User.Read", "Mail.Read"}})
	if err != nil {
		t.Fatal(err)
	}
	seed, err := em.IssueRefreshToken(ten.ID, app.ClientID, u.UPN, []string{"Mail.Read"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em.Handler())
	defer srv.Close()
	dir := t.TempDir()
	env := append(os.Environ(), "E5RENEW_CRASH_CHILD=1", "CRASH_URL="+srv.URL, "CRASH_CLIENT="+app.ClientID, "CRASH_SEED="+seed,
		"CRASH_STORE="+filepath.Join(dir, "tokens.json"), "CRASH_KEY="+base64.StdEncoding.EncodeToString(secret.GenerateKey()))

	var cycles atomic.Int64
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	killedMidway := 0
	for i := 0; i < runs; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = env
		out, _ := cmd.StdoutPipe()
		var stderr safeBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan struct{}, 1000)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				cycles.Add(1)
				lines <- struct{}{}
			}
			close(lines)
		}()
		// Let it complete 0-3 cycles, then kill it at a random moment (often inside a
		// refresh: each cycle is a few milliseconds).
		wantCycles := rng.IntN(4)
		deadline := time.After(10 * time.Second)
		for n := 0; n < wantCycles; n++ {
			select {
			case _, ok := <-lines:
				if !ok {
					n = wantCycles
				}
			case <-deadline:
				t.Fatalf("run %d: the child made no progress; stderr: %s", i, stderr.String())
			}
		}
		time.Sleep(time.Duration(rng.IntN(4000)) * time.Microsecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("run %d: child ended without being killed: %v; stderr: %s", i, err, stderr.String())
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("run %d: the child failed by itself (exit %d) before the kill; stderr: %s", i, ee.ExitCode(), stderr.String())
		}
		if wantCycles > 0 {
			killedMidway++
		}
	}
	// A final, undisturbed run continues from whatever the killed runs stored.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(env, "CRASH_ITERATIONS=3")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("after %d kills the stored token no longer works: %v\n%s", runs, err, out)
	}
	st := em.Stats()
	if st.TokensIssued["refresh_token"] < int64(killedMidway) {
		t.Fatalf("only %d refreshes happened in %d runs", st.TokensIssued["refresh_token"], runs)
	}
	if st.TokenErrors["AADSTS70000"] != 0 {
		t.Fatalf("a superseded refresh token was presented %d times: the rotated token was lost", st.TokenErrors["AADSTS70000"])
	}
	t.Logf("%d kills, %d completed cycles, %d refreshes", runs, cycles.Load(), st.TokensIssued["refresh_token"])
}
