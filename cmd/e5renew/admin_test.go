package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/web"
)

// runCmdIn runs the root command with stdin and environment variables.
func runCmdIn(t *testing.T, stdin string, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	d := &deps{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, lang: i18n.EN,
		getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		logger: slog.New(slog.DiscardHandler)}
	cmd := newRootCommand(d)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String() + errOut.String(), err
}

func storedHash(t *testing.T, f *fixture) string {
	t.Helper()
	st, err := fleet.OpenStore(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, _, err := st.GetSetting(t.Context(), web.PasswordKey)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestAdminSetPassword(t *testing.T) {
	f := newFixture(t, emulator.Options{}, 1)
	// Too short, or nothing: refused, nothing stored.
	if _, err := runCmdIn(t, "short\n", nil, "admin", "set-password", "-c", f.cfgPath); err == nil || !strings.Contains(err.Error(), "at least 10") {
		t.Errorf("short password: %v", err)
	}
	if _, err := runCmdIn(t, "", nil, "admin", "set-password", "-c", f.cfgPath); err == nil || !strings.Contains(err.Error(), "no password on standard input") {
		t.Errorf("empty input: %v", err)
	}
	if _, err := runCmdIn(t, "", nil, "admin", "set-password", "-c", f.cfgPath, "--password-env", "PW"); err == nil || !strings.Contains(err.Error(), "PW") {
		t.Errorf("unset variable: %v", err)
	}
	if h := storedHash(t, f); h != "" {
		t.Fatalf("a refused password was stored: %q", h)
	}
	// Piped: the line without its newline; spaces inside are kept.
	out, err := runCmdIn(t, "correct horse battery\n", nil, "admin", "set-password", "-c", f.cfgPath)
	if err != nil || !strings.Contains(out, "password changed") {
		t.Fatalf("set-password: %v\n%s", err, out)
	}
	h := storedHash(t, f)
	if !web.CheckPassword(h, "correct horse battery") || strings.Contains(h, "correct horse") {
		t.Fatalf("stored %q: not a hash of the password", h)
	}
	// From the environment; the old one stops working.
	if _, err := runCmdIn(t, "", map[string]string{"PW": "staple-of-Ω-12"}, "admin", "set-password", "-c", f.cfgPath, "--password-env", "PW"); err != nil {
		t.Fatal(err)
	}
	h = storedHash(t, f)
	if !web.CheckPassword(h, "staple-of-Ω-12") || web.CheckPassword(h, "correct horse battery") {
		t.Error("the password from --password-env did not replace the old one")
	}
}

var passwordLine = regexp.MustCompile(`Dashboard password \(shown this once; only its hash is kept\): (\S+)`)

// TestServeDashboard: the first start generates the dashboard's password and prints it
// once (never into the JSON log); with it the dashboard shows the accounts; nothing but
// the login page is served without it; the next start prints no password, and one set
// with `admin set-password` works.
func TestServeDashboard(t *testing.T) {
	f := serveFixture(t, emulator.Options{}, 2, false, "1h-2h")
	p := startServe(t, f.cfgPath, "--lang", "en")
	addr := p.waitAddr(t)
	waitLog(t, p, "Dashboard password", "", 10*time.Second)
	m := passwordLine.FindStringSubmatch(p.logs.String())
	if m == nil {
		t.Fatalf("no password printed:\n%s", p.logs.String())
	}
	pw := m[1]
	for _, line := range strings.Split(p.logs.String(), "\n") {
		if strings.HasPrefix(line, "{") && strings.Contains(line, pw) {
			t.Errorf("the password is in a log record: %s", line)
		}
	}
	base := "http://" + addr
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("GET / without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	login := func(pw string) (int, string) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"password": {pw}, "next": {"/"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	code, body := login(pw)
	if code != 200 || !strings.Contains(body, f.cfg.Accounts[0].Name) || !strings.Contains(body, f.cfg.Accounts[1].Name) {
		t.Fatalf("overview after sign-in: %d\n%s", code, body)
	}
	if code, body := login("not the password"); code != http.StatusUnauthorized || strings.Contains(body, f.cfg.Accounts[0].Name) {
		t.Errorf("wrong password: %d", code)
	}
	_ = p.cmd.Process.Kill()
	<-p.done

	if _, err := runCmdIn(t, "a-new-password-for-test\n", nil, "admin", "set-password", "-c", f.cfgPath); err != nil {
		t.Fatal(err)
	}
	p = startServe(t, f.cfgPath, "--lang", "en")
	addr = p.waitAddr(t)
	base = "http://" + addr
	if code, _ := login("a-new-password-for-test"); code != 200 {
		t.Errorf("the password set with admin set-password: %d", code)
	}
	if code, _ := login(pw); code == 200 {
		t.Error("the first password still works")
	}
	if strings.Contains(p.logs.String(), "Dashboard password") {
		t.Errorf("a password was printed again:\n%s", p.logs.String())
	}
}
