package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/ghactions/ghfake"
	"github.com/e5renew/e5renew/internal/ghrun"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/sandbox"
)

// In a workflow (GITHUB_ACTIONS=true) `run --once` takes its accounts from the secrets
// without a configuration file, writes the rotated token back, and exits 0; a run whose
// token cannot be saved exits 2, the status that turns the run red.
func TestRunOnceInGitHubActions(t *testing.T) {
	em := emulator.New(emulator.Options{})
	srv := httptest.NewServer(em.Handler())
	t.Cleanup(srv.Close)
	cfg, _, err := sandbox.Populate(em, sandbox.Options{Accounts: 1, Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Accounts[0] // a refresh-token account of a public client
	gh := ghfake.New()
	ghURL := gh.Start(t)
	gh.AddRepo("o/r", false)
	gh.AddToken("ghp_cmdtest0123456789abcdefghijklmnopqrs", ghfake.ClassicToken("repo"))
	run := func(ghToken string, args ...string) (string, error) {
		secrets, _ := json.Marshal(map[string]string{"MS_TOKEN": a.RefreshToken.Reveal(), "CLIENT_ID": a.ClientID, "GH_TOKEN": ghToken})
		env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "o/r", "GITHUB_API_URL": ghURL,
			"E5RENEW_AUTHORITY_URL": srv.URL, "E5RENEW_GRAPH_URL": srv.URL, ghrun.EnvSecrets: string(secrets)}
		var out bytes.Buffer
		d := &deps{stdout: &out, stderr: &out, getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, lang: i18n.EN,
			logger: slog.New(slog.DiscardHandler), tuneGitHub: func(o *ghrun.Options) {
				noWait := func(context.Context, time.Duration) error { return nil }
				o.StateDir = t.TempDir()
				o.Graph = graph.Options{MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Sleep: noWait}
				o.Auth = auth.Common{Sleep: noWait}
			}}
		cmd := newRootCommand(d)
		cmd.SetArgs(append([]string{"run", "--once", "-c", t.TempDir() + "/none.yaml"}, args...))
		err := cmd.ExecuteContext(context.Background())
		return out.String(), err
	}
	out, err := run("ghp_cmdtest0123456789abcdefghijklmnopqrs")
	if err != nil || !strings.Contains(out, "GitHub Actions mode: 1 accounts") || !strings.Contains(out, "to the secret MS_TOKEN") {
		t.Fatalf("exit %v:\n%s", err, out)
	}
	if v, ok := gh.Secret("o/r", "MS_TOKEN"); !ok || v == a.RefreshToken.Reveal() {
		t.Fatal("the rotated token was not written back")
	}
	if out, err := run(""); err != exitCode(exitNeedsOwner) || !strings.Contains(out, "GH_TOKEN") {
		t.Fatalf("without GH_TOKEN: exit %v:\n%s", err, out)
	}
	if _, err := run("x", "--json"); err == nil || !strings.Contains(err.Error(), "--json is not available") {
		t.Fatalf("--json: %v", err)
	}
	if _, err := run("x", "--github=false"); err == nil || !strings.Contains(err.Error(), "none.yaml not found") {
		t.Fatalf("--github=false should read the configuration file: %v", err)
	}
}
