package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func run(t *testing.T, ctx context.Context, args ...string) (*syncBuf, chan error) {
	t.Helper()
	out := &syncBuf{}
	d := &deps{stdout: out, stderr: out, getenv: func(string) (string, bool) { return "", false }, lang: i18n.EN}
	cmd := newRootCommand(d)
	cmd.SetArgs(args)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	return out, done
}

// The emulator command serves until stopped and writes a configuration that e5renew's own
// sign-in and Graph client can use for every account.
func TestEmulatorCommandWritesAUsableConfig(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "e5renew.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	out, done := run(t, ctx, "emulator", "--addr", "127.0.0.1:0", "--accounts", "6", "--broken", "--write-config", cfgPath, "--strict-rotation", "--interval", "5s-20s")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "Ctrl+C") {
		if time.Now().After(deadline) {
			t.Fatalf("emulator did not start: %s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	fi, err := os.Stat(cfgPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v %v", fi, err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatalf("the written configuration does not load: %v", err)
	}
	if len(cfg.Accounts) != 8 {
		t.Fatalf("%d accounts, want 6 + 2 broken", len(cfg.Accounts))
	}
	// --interval: the accounts run every 5 to 20 seconds (allowed against the emulator).
	if spec, err := cfg.Spec(&cfg.Accounts[0]); err != nil || spec.Interval().Min != 5*time.Second || spec.Interval().Max != 20*time.Second {
		t.Errorf("schedule %v, %v; want every 5s-20s", spec, err)
	}
	kinds := map[string]int{}
	ep, err := cfg.ResolveEndpoints(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cfg.Accounts {
		kinds[a.Type]++
		c := auth.Common{Account: a.Name, Endpoints: ep}
		var src auth.Source
		switch a.Kind() {
		case auth.KindRefreshToken:
			src, err = auth.NewRefreshSource(auth.RefreshOptions{Common: c, Tenant: a.Tenant, ClientID: a.ClientID, RefreshToken: a.RefreshToken, Store: auth.NewMemoryStore()})
		case auth.KindClientCredentials:
			src, err = auth.NewAppSource(auth.AppOptions{Common: c, Tenant: a.Tenant, ClientID: a.ClientID, ClientSecret: a.ClientSecret})
		default:
			src, err = auth.NewPasswordSource(auth.PasswordOptions{Common: c, Tenant: a.Tenant, ClientID: a.ClientID, Username: a.Username, Password: a.Password})
		}
		if err != nil {
			t.Fatal(err)
		}
		path := "/me/messages"
		if a.Kind() == auth.KindClientCredentials {
			path = "/users/" + a.User + "/messages"
		}
		_, err = graph.New(src, graph.Options{BaseURL: ep.Graph}).Get(context.Background(), path, nil, nil, "")
		broken := strings.HasSuffix(a.Name, "-expired") || strings.HasSuffix(a.Name, "-mfa")
		switch {
		case broken && !auth.IsNeedsOwner(err):
			t.Errorf("%s is broken on purpose but got %v", a.Name, err)
		case !broken && err != nil:
			t.Errorf("%s: %v", a.Name, err)
		}
	}
	if kinds["refresh_token"] != 2 || kinds["client_credentials"] != 3 || kinds["password"] != 3 {
		t.Fatalf("sign-in types %v", kinds)
	}
	// Running again onto the same file is fine; onto someone else's file is refused.
	other := filepath.Join(dir, "mine.yaml")
	_ = os.WriteFile(other, []byte("accounts: []\n"), 0o600)
	_, done2 := run(t, context.Background(), "emulator", "--addr", "127.0.0.1:0", "--write-config", other)
	if err := <-done2; err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("overwrote a foreign file: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("emulator exit: %v", err)
	}
}

func TestEmulatorRejectsBadRates(t *testing.T) {
	_, done := run(t, context.Background(), "emulator", "--throttle-rate", "1.5")
	if err := <-done; err == nil || !strings.Contains(err.Error(), "between 0 and 1") {
		t.Fatalf("bad rate: %v", err)
	}
	_, done = run(t, context.Background(), "emulator", "--interval", "20s-5s")
	if err := <-done; err == nil || !strings.Contains(err.Error(), "--interval") || !strings.Contains(err.Error(), "shorter duration first") {
		t.Fatalf("bad interval: %v", err)
	}
}

func TestDemoRunsAndSummarises(t *testing.T) {
	out, done := run(t, context.Background(), "demo", "--duration", "2s", "--listen", "127.0.0.1:0")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"emulated Microsoft 365 tenant", "refresh_token", "client_credentials", "password", "Summary", "client secret expired",
		"Dashboard: http://127.0.0.1:", "(password: ", "sign in to the emulated tenant as megan.bowen@contoso.onmicrosoft.com with the password Demo-"} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q:\n%s", want, s)
		}
	}
}
