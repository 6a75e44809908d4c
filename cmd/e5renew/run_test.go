package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/round"
	"github.com/e5renew/e5renew/internal/sandbox"
)

// fixture is an emulated tenant with accounts of every sign-in type (two broken) and a
// configuration for them in a temporary directory.
type fixture struct {
	em      *emulator.Emulator
	srv     *httptest.Server
	dir     string
	cfgPath string
	cfg     *config.Config
}

func newFixture(t *testing.T, opts emulator.Options, accounts int) *fixture {
	t.Helper()
	f := &fixture{em: emulator.New(opts), dir: t.TempDir()}
	f.srv = httptest.NewServer(f.em.Handler())
	t.Cleanup(f.srv.Close)
	cfg, _, err := sandbox.Populate(f.em, sandbox.Options{Accounts: accounts, Broken: true, Endpoint: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Defaults.Activities.Random = "30"
	f.cfg = cfg
	f.cfgPath = filepath.Join(f.dir, "e5renew.yaml")
	cfg.Path = f.cfgPath
	f.writeConfig(t)
	return f
}

func (f *fixture) writeConfig(t *testing.T) {
	t.Helper()
	b, err := f.cfg.Marshal("test")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// runCmd runs the root command in-process with captured output and a debug-level log.
func runCmd(t *testing.T, args ...string) (stdout, logs string, err error) {
	t.Helper()
	var out, errOut, logBuf bytes.Buffer
	d := &deps{stdout: &out, stderr: &errOut, getenv: func(string) (string, bool) { return "", false }, lang: i18n.EN,
		logger: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	cmd := newRootCommand(d)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), logBuf.String() + errOut.String(), err
}

func TestRunOnceRunsEveryAccountAndReportsNeedsOwner(t *testing.T) {
	f := newFixture(t, emulator.Options{StrictRotation: true}, 3)
	out, _, err := runCmd(t, "run", "--once", "-c", f.cfgPath)
	if ec, ok := err.(exitCode); !ok || int(ec) != exitNeedsOwner {
		t.Fatalf("exit %v, want %d (two accounts need their owner):\n%s", err, exitNeedsOwner, out)
	}
	for _, want := range []string{"contoso", "fabrikam", "northwind", "tailspin-expired", "AADSTS7000222", "woodgrove-mfa", "AADSTS50076", "5 accounts: 3 ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if st := f.em.Stats(); st.LiveArtifactsTotal != 0 {
		t.Fatalf("left behind: %v", st.LiveArtifacts)
	}
	// Run only the healthy accounts, as JSON: exit 0, and the rotated refresh token stored
	// by the first run is what the second uses (strict rotation would refuse the old one).
	out, _, err = runCmd(t, "run", "--once", "-c", f.cfgPath, "--json", "--account", "contoso,fabrikam", "--account", "northwind")
	if err != nil {
		t.Fatalf("healthy accounts: %v\n%s", err, out)
	}
	var results []round.Result
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if len(results) != 3 {
		t.Fatalf("%d results", len(results))
	}
	for _, r := range results {
		if r.Verdict != round.OK || len(r.Activities) < 10 {
			t.Fatalf("%s: %s with %d activities: %+v", r.Account, r.Verdict, len(r.Activities), r.Activities)
		}
	}
	if _, _, err := runCmd(t, "run", "--once", "-c", f.cfgPath, "--account", "nobody"); err == nil || !strings.Contains(err.Error(), "the enabled accounts are") {
		t.Fatalf("unknown account: %v", err)
	}
	if _, _, err := runCmd(t, "run", "-c", f.cfgPath); err == nil || !strings.Contains(err.Error(), "--once") {
		t.Fatalf("run without --once: %v", err)
	}
}

// No secret (refresh tokens, rotated ones included, client secrets, passwords) appears in
// the state files or in the output and logs of a full run.
func TestNoSecretInStateFilesOrLogs(t *testing.T) {
	f := newFixture(t, emulator.Options{}, 6)
	var captured strings.Builder
	for i := 0; i < 2; i++ {
		out, logs, _ := runCmd(t, "run", "--once", "-c", f.cfgPath, "--verbose")
		captured.WriteString(out + logs)
		out, logs, _ = runCmd(t, "run", "--once", "-c", f.cfgPath, "--json")
		captured.WriteString(out + logs)
	}
	out, logs, _ := runCmd(t, "accounts", "list", "-c", f.cfgPath)
	captured.WriteString(out + logs)

	var secrets []string
	for _, a := range f.cfg.Accounts {
		for _, s := range []string{a.RefreshToken.Reveal(), a.ClientSecret.Reveal(), a.Password.Reveal()} {
			if s != "" {
				secrets = append(secrets, s)
			}
		}
	}
	st, err := fleet.OpenStore(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range f.cfg.Accounts {
		if tok, ok, _ := st.LoadToken(context.Background(), a.Name); ok {
			secrets = append(secrets, tok.RefreshToken.Reveal()) // the rotated tokens
		}
	}
	st.Close()
	if len(secrets) < 10 {
		t.Fatalf("only %d secrets to look for", len(secrets))
	}
	files, _ := filepath.Glob(filepath.Join(f.cfg.DataPath(), "*"))
	var blobs []string
	for _, p := range files {
		if filepath.Base(p) == "key" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, string(b))
	}
	if len(blobs) == 0 {
		t.Fatal("no state files found")
	}
	blobs = append(blobs, captured.String())
	for _, s := range secrets {
		// A prefix long enough to be unique, so a truncated copy is caught too.
		probe := s
		if len(probe) > 24 {
			probe = probe[len(probe)-24:]
		}
		for i, b := range blobs {
			if strings.Contains(b, probe) {
				t.Fatalf("a secret (…%s) appears in %s", probe[len(probe)-6:], map[bool]string{true: "the output or logs", false: files[min(i, len(files)-1)]}[i == len(blobs)-1])
			}
		}
	}
}

// Removing an account from the configuration keeps its history; `accounts list` says so.
func TestRemovedAccountKeepsHistory(t *testing.T) {
	f := newFixture(t, emulator.Options{}, 2)
	if _, _, err := runCmd(t, "run", "--once", "-c", f.cfgPath, "--account", "contoso"); err != nil {
		t.Fatal(err)
	}
	f.cfg.Accounts = f.cfg.Accounts[1:] // drop contoso
	f.writeConfig(t)
	out, _, err := runCmd(t, "accounts", "list", "-c", f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "contoso") {
			line = l
		}
	}
	if !strings.Contains(line, "removed from the configuration") || !strings.Contains(line, "ok") || !strings.Contains(line, "just now") {
		t.Fatalf("removed account line %q in:\n%s", line, out)
	}
}
