package main

import (
	"os"
	"strings"
	"testing"

	"github.com/e5renew/e5renew/internal/ghactions/ghfake"
)

// `login --github-secret MS_TOKEN_2` signs in and seals the refresh token (and the
// matching CLIENT_ID_2) into the repository's secrets: nothing is shown, nothing is written
// on this machine. A token that cannot write secrets is refused before the sign-in.
func TestLoginToGitHubSecret(t *testing.T) {
	lf := newLoginFixture(t)
	gh := ghfake.New()
	lf.env["GITHUB_API_URL"] = gh.Start(t)
	gh.AddRepo("alice/e5", true)
	gh.AddToken("ghp_logintest0123456789abcdefghijklmnop", ghfake.ClassicToken("repo"))
	gh.AddToken("ghp_publiconly0123456789abcdefghijklmno", ghfake.ClassicToken("public_repo"))

	lf.env["GH_TOKEN"] = "ghp_publiconly0123456789abcdefghijklmno"
	if _, _, err := runWith(t, lf.deps(), "login", "-c", lf.newCfg, "--client-id", lf.clientID, "--github-secret", "MS_TOKEN_2", "--github-repo", "alice/e5"); err == nil ||
		!strings.Contains(err.Error(), `"repo"`) {
		t.Fatalf("a token without repo: %v", err)
	}
	if len(lf.em.PendingDeviceCodes()) != 0 {
		t.Fatal("the sign-in started although the token cannot write the secret")
	}

	lf.env["GH_TOKEN"] = "ghp_logintest0123456789abcdefghijklmnop"
	approved := lf.approveWhenAsked(t, false)
	out, errOut, err := runWith(t, lf.deps(), "login", "-c", lf.newCfg, "--client-id", lf.clientID, "--tenant", lf.upn[strings.Index(lf.upn, "@")+1:],
		"--github-secret", "ms_token_2", "--github-repo", "alice/e5")
	if err != nil {
		t.Fatalf("login: %v\n%s%s", err, out, errOut)
	}
	if err := <-approved; err != nil {
		t.Fatal(err)
	}
	rt, ok := gh.Secret("alice/e5", "MS_TOKEN_2")
	if !ok || len(rt) < 20 {
		t.Fatal("no refresh token in MS_TOKEN_2")
	}
	if id, _ := gh.Secret("alice/e5", "CLIENT_ID_2"); id != lf.clientID {
		t.Fatalf("CLIENT_ID_2 is %q", id)
	}
	if strings.Contains(out+errOut, rt) || !strings.Contains(out, "Saved the refresh token to the secret MS_TOKEN_2 of alice/e5") {
		t.Fatalf("output:\n%s", out)
	}
	if _, err := os.Stat(lf.newCfg); !os.IsNotExist(err) {
		t.Fatal("a configuration file was created on this machine")
	}
}
