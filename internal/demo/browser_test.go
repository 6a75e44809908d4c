package demo_test

// Browser tests: the real demo (emulated tenant, real daemon, real dashboard) driven by a
// headless Chromium through the DevTools protocol, as a person would use it.
//
// They skip when no Chromium is found (E5RENEW_CHROME names one), unless
// E5RENEW_REQUIRE_BROWSER=1, as in CI. Screenshots of the main pages go to the test's
// artifact directory (kept with `go test -artifacts -outputdir DIR`). With
// E5RENEW_UPDATE_SCREENSHOTS=DIR (relative to the repository's root), the README's
// screenshots (1280×800, light and dark) are written to DIR as well:
//
//	E5RENEW_UPDATE_SCREENSHOTS=docs/screenshots go test -count=1 -run TestBrowser ./internal/demo/
//
// The Chinese pages need a CJK font to be legible (Debian: fonts-noto-cjk or
// fonts-wqy-microhei); the tests read the text from the page, not from the pixels.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/e5renew/e5renew/internal/demo"
	"github.com/e5renew/e5renew/internal/i18n"
)

const (
	testPassword = "browser-test-password"
	// The viewport of every page, and the size of the README's screenshots.
	viewWidth, viewHeight = 1280, 800
)

// The accounts the demo creates (3 working ones, 2 broken on purpose).
var demoAccounts = []string{"contoso", "fabrikam", "northwind", "tailspin-expired", "woodgrove-mfa"}

// syncBuffer is the demo's output, read while the demo writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// findChrome returns the browser to drive, or skips (fails with E5RENEW_REQUIRE_BROWSER=1).
func findChrome(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("E5RENEW_CHROME"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("E5RENEW_CHROME=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	msg := "no Chromium found (looked for chromium, chromium-browser, google-chrome on PATH and /usr/bin/chromium): " +
		"install one (Debian: apt-get install chromium) or set E5RENEW_CHROME to its path"
	if os.Getenv("E5RENEW_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + " (E5RENEW_REQUIRE_BROWSER=1)")
	}
	t.Skip(msg)
	return ""
}

// startDemo runs the demo until the test ends, and returns the dashboard's URL.
func startDemo(t *testing.T, out *syncBuffer) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- demo.Run(ctx, demo.Options{Listen: "127.0.0.1:0", Password: testPassword, Out: out, Lang: i18n.EN,
			Interval: "2s-4s", Ready: func(url string) { ready <- url }})
	}()
	stop := func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("the demo ended with an error: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("the demo did not stop within 30 s of its context's end")
		}
	}
	select {
	case url := <-ready:
		return url, stop
	case err := <-done:
		cancel()
		t.Fatalf("the demo ended before its dashboard listened: %v\n%s", err, out.String())
	case <-time.After(30 * time.Second):
		stop()
		t.Fatalf("the dashboard did not listen within 30 s\n%s", out.String())
	}
	return "", nil
}

var tryAddLine = regexp.MustCompile(`(?m)sign in to the emulated tenant as (\S+@\S+) with the password (\S+)\.\s*$`)

// browser is one tab of a headless Chromium and what the test needs to drive it.
type browser struct {
	ctx       context.Context // the tab; every action runs in a context derived from it
	base      string          // the dashboard's URL, without the final slash
	artifacts string          // where screenshots go
	update    string          // E5RENEW_UPDATE_SCREENSHOTS
}

func newBrowser(t *testing.T, chrome, base string) (*browser, func()) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true), // localhost only, whatever the environment says
		chromedp.WindowSize(viewWidth, viewHeight),
		chromedp.Flag("lang", "en-US"),
		chromedp.Env("LANGUAGE=en_US"),
	)
	if os.Geteuid() == 0 { // Chromium refuses to run as root with its sandbox (CI may run as root)
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	// The first action starts the browser, bound to ctx (no deadline, see chromedp.NewContext).
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(viewWidth, viewHeight)); err != nil {
		cancel()
		acancel()
		t.Fatalf("start %s: %v", chrome, err)
	}
	update := os.Getenv("E5RENEW_UPDATE_SCREENSHOTS")
	if update != "" && !filepath.IsAbs(update) {
		update = filepath.Join("..", "..", update) // tests run in internal/demo
	}
	b := &browser{ctx: ctx, base: strings.TrimSuffix(base, "/"), artifacts: t.ArtifactDir(), update: update}
	b.colorScheme(t, "light")
	return b, func() {
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		_ = chromedp.Cancel(cctx)
		cancel()
		acancel()
	}
}

// do runs actions in the tab with a deadline.
func (b *browser) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v\npage: %s", what, err, b.pageText())
	}
}

// submit clicks sel and waits for the page the click leads to; it returns the HTTP status
// of that page (after redirects).
func (b *browser) submit(t *testing.T, sel string) int64 {
	t.Helper()
	// A mark on the current document tells when another one replaced it.
	if _, err := eval[bool](b, "window.__e5renewOld = true"); err != nil {
		t.Fatalf("before clicking %s: %v", sel, err)
	}
	b.do(t, "click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	b.waitJS(t, "the page after clicking "+sel, `!window.__e5renewOld && document.readyState === "complete"`, 20*time.Second, false)
	status, err := eval[int64](b, `performance.getEntriesByType("navigation")[0].responseStatus || 0`)
	if err != nil {
		t.Fatalf("the status of the page after clicking %s: %v", sel, err)
	}
	return status
}

func (b *browser) open(t *testing.T, path string) {
	t.Helper()
	b.do(t, "open "+path, chromedp.Navigate(b.base+path))
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr))
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("read %s: %v\npage: %s", sel, err, b.pageText())
	}
	return strings.TrimSpace(s)
}

// pageText is the visible text of the page, for failure messages.
func (b *browser) pageText() string {
	loc, _ := eval[string](b, "location.href")
	s, err := eval[string](b, "document.body ? document.body.innerText : ''")
	if err != nil {
		return loc + ": " + err.Error()
	}
	if len(s) > 3000 {
		s = s[:3000] + "…"
	}
	return loc + "\n" + s
}

// waitJS waits until a JavaScript expression is true, evaluating it every 100 ms; each
// time reload is set, the page is loaded again first (what a person does to see news).
func (b *browser) waitJS(t *testing.T, what, expr string, timeout time.Duration, reload bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if ok, err := eval[bool](b, expr); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s\npage: %s", timeout, what, b.pageText())
		}
		if reload {
			ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
			_ = chromedp.Do(ctx, chromedp.Sleep(300*time.Millisecond), chromedp.Reload())
			cancel()
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// contains is a JavaScript expression: the page's visible text contains s.
func contains(s string) string {
	return fmt.Sprintf("document.body.innerText.includes(%q)", s)
}

func (b *browser) colorScheme(t *testing.T, scheme string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
		t.Fatalf("emulate prefers-color-scheme: %s: %v", scheme, err)
	}
}

// screenshot saves the whole page as name.png among the test's artifacts; readme: also the
// viewport (1280×800) as name.png in E5RENEW_UPDATE_SCREENSHOTS, when set. dark: with
// prefers-color-scheme: dark.
func (b *browser) screenshot(t *testing.T, name string, dark, readme bool) {
	t.Helper()
	if dark {
		b.colorScheme(t, "dark")
		defer b.colorScheme(t, "light")
	}
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.artifacts, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	if !readme || b.update == "" {
		return
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(viewWidth, viewHeight)); err != nil {
		t.Fatal(err)
	}
	png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(b.update, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.update, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// watchConsole collects what the page reports in its console: exceptions and CSP
// violations are errors of the dashboard.
func watchConsole(b *browser) (stop func() []chromedp.ConsoleMessage) {
	ctx, cancel := context.WithCancel(b.ctx)
	messages := chromedp.Console(ctx)
	var mu sync.Mutex
	var got []chromedp.ConsoleMessage
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			got = append(got, m)
			mu.Unlock()
		}
	}()
	return func() []chromedp.ConsoleMessage {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

func TestBrowser(t *testing.T) {
	chrome := findChrome(t)
	started := time.Now()
	out := &syncBuffer{}
	url, stopDemo := startDemo(t, out)
	defer stopDemo()
	m := tryAddLine.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the demo's output does not say which emulated user can sign in:\n%s", out.String())
	}
	upn, upnPassword := m[1], m[2]
	t.Logf("demo ready in %s", time.Since(started).Round(time.Millisecond))

	b, closeBrowser := newBrowser(t, chrome, url)
	defer closeBrowser()
	stopConsole := watchConsole(b)
	t.Logf("demo and browser ready in %s", time.Since(started).Round(time.Millisecond))

	step := func(name string, f func(t *testing.T)) bool {
		t0 := time.Now()
		ok := t.Run(name, f)
		t.Logf("%s: %s", name, time.Since(t0).Round(time.Millisecond))
		return ok
	}

	if !step("login", func(t *testing.T) {
		b.open(t, "/")
		b.waitJS(t, "the login page", `location.pathname === "/login"`, 10*time.Second, false)
		b.do(t, "the password field", chromedp.WaitVisible(chromedp.CSS("#password")))
		b.screenshot(t, "login", false, false)
		b.do(t, "type a wrong password", chromedp.SendKeys(chromedp.CSS("#password"), "not-the-password"))
		if status := b.submit(t, "#login"); status != 401 {
			t.Errorf("a wrong password answers %d, want 401", status)
		}
		if msg := b.text(t, ".flash.err"); !strings.Contains(msg, "Wrong password") {
			t.Errorf("after a wrong password the page says %q", msg)
		}
		b.do(t, "type the password", chromedp.SendKeys(chromedp.CSS("#password"), testPassword))
		if status := b.submit(t, "#login"); status != 200 {
			t.Errorf("signing in ends on a page with status %d", status)
		}
		b.waitJS(t, "the overview", `location.pathname === "/" && !!document.querySelector("#accounts")`, 10*time.Second, false)
	}) {
		t.FailNow() // nothing else works signed out
	}

	step("overview", func(t *testing.T) {
		for _, name := range demoAccounts {
			b.do(t, "the row of "+name, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-account=%q] a.acct`, name))))
		}
		// The broken accounts' first rounds need their owner: they are paused, with the
		// reason shown; every other account has a verdict.
		b.waitJS(t, "the broken accounts paused, needing their owner, and a verdict for every account", `(() => {
			const rows = [...document.querySelectorAll("#accounts tbody tr")];
			const paused = rows.filter(r => r.classList.contains("paused") && r.querySelector(".b-fail") && r.querySelector(".err-text"));
			const named = n => paused.some(r => r.dataset.account === n);
			return named("tailspin-expired") && named("woodgrove-mfa") && rows.every(r => !r.querySelector(".b-none"));
		})()`, 40*time.Second, true)
		totals := b.text(t, "#totals")
		if !strings.Contains(totals, "2 paused") {
			t.Errorf("the totals say %q, want 2 paused", totals)
		}
		for _, n := range []string{"tailspin-expired", "woodgrove-mfa"} {
			state := b.text(t, fmt.Sprintf(`tr[data-account=%q]`, n))
			if !strings.Contains(state, "paused: needs you") {
				t.Errorf("the row of %s says %q, want paused: needs you", n, state)
			}
		}
		b.screenshot(t, "overview", false, true)
		b.screenshot(t, "overview-dark", true, true)
	})

	step("account", func(t *testing.T) {
		b.open(t, "/")
		if status := b.submit(t, `tr[data-account="contoso"] a.acct`); status != 200 {
			t.Errorf("the account page answers %d", status)
		}
		if h := b.text(t, "#account-name"); !strings.HasPrefix(h, "contoso") {
			t.Errorf("the account page's heading is %q", h)
		}
		b.do(t, "a round of contoso", chromedp.WaitVisible(chromedp.CSS("details.round summary")))
		b.screenshot(t, "account", false, true)
	})

	step("pause-resume", func(t *testing.T) {
		b.open(t, "/accounts/contoso")
		b.submit(t, "#pause")
		if msg := b.text(t, ".flash.ok"); !strings.Contains(msg, "contoso is paused") {
			t.Errorf("after pausing the page says %q", msg)
		}
		if next := b.text(t, "#next-run"); !strings.Contains(next, "paused by you") {
			t.Errorf("a paused account's next round: %q", next)
		}
		b.do(t, "the resume button, and no run-now button", chromedp.WaitVisible(chromedp.CSS("#resume")),
			chromedp.WaitNotPresent(chromedp.CSS("#run-now")))
		b.open(t, "/")
		if row := b.text(t, `tr[data-account="contoso"]`); !strings.Contains(row, "paused by you") {
			t.Errorf("the overview's row of the paused contoso: %q", row)
		}
		b.open(t, "/accounts/contoso")
		b.submit(t, "#resume")
		if msg := b.text(t, ".flash.ok"); !strings.Contains(msg, "contoso is resumed") {
			t.Errorf("after resuming the page says %q", msg)
		}
		b.do(t, "the run-now and pause buttons", chromedp.WaitVisible(chromedp.CSS("#run-now")), chromedp.WaitVisible(chromedp.CSS("#pause")))
		if next := b.text(t, "#next-run"); strings.Contains(next, "paused") {
			t.Errorf("a resumed account's next round: %q", next)
		}
	})

	step("run-now", func(t *testing.T) {
		b.open(t, "/accounts/contoso")
		// The newest round's start, to the second: a round after the click is newer.
		before, err := eval[string](b, `(document.querySelector("details.round summary") || {textContent: ""}).textContent`)
		if err != nil {
			t.Fatal(err)
		}
		clicked := time.Now()
		b.submit(t, "#run-now")
		if msg := b.text(t, ".flash.ok"); !strings.Contains(msg, "A round of contoso starts now") {
			t.Errorf("after run now the page says %q", msg)
		}
		stamp := clicked.Add(-time.Second).Format("2006-01-02 15:04:05") // the page shows seconds, in the account's zone (local here)
		b.waitJS(t, "a round started after the click", fmt.Sprintf(`(() => {
			const s = document.querySelector("details.round[open] summary");
			if (!s) return false;
			const m = s.textContent.match(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
			return !!m && m[0] >= %q && s.textContent !== %q && !!document.querySelector("details.round[open] table.results tbody tr");
		})()`, stamp, before), 20*time.Second, true)
	})

	step("add-device", func(t *testing.T) {
		b.open(t, "/")
		b.submit(t, `header a[href="/add"]`)
		b.do(t, "the device code form", chromedp.WaitVisible(chromedp.CSS("#add-device")))
		clientID, err := eval[string](b, `document.querySelector("#d-client").value`)
		if err != nil || !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(clientID) {
			t.Fatalf("the device code form's client id is %q (%v), want the demo app's", clientID, err)
		}
		b.screenshot(t, "add", false, true)
		b.submit(t, "#device-start")
		code := b.text(t, "#user-code")
		verify, err := eval[string](b, `document.querySelector("#device a[href]").href`)
		if err != nil || code == "" {
			t.Fatalf("the device page shows code %q and link %q (%v)", code, verify, err)
		}
		if state := b.text(t, "#device-state"); !strings.Contains(state, "Waiting") {
			t.Errorf("before the sign-in the device page says %q", state)
		}
		b.screenshot(t, "device", false, false)
		// The QR code of the verification page is an SVG image made here, which the CSP
		// lets load (a refused image has no natural width).
		if w, err := eval[float64](b, `(document.querySelector(".qr img") || {}).naturalWidth || 0`); err != nil || w == 0 {
			t.Errorf("the device page's QR code did not load (width %v, %v)", w, err)
		}

		// Sign in on the emulated Microsoft page, in another tab, as a person would.
		signIn(t, b, verify, code, upn, upnPassword)

		// Back on the dashboard, the page learns of the sign-in and shows the new account.
		b.waitJS(t, "the device page to report the new account", `location.pathname.startsWith("/accounts/")`, 30*time.Second, false)
		b.do(t, "the account page", chromedp.WaitVisible(chromedp.CSS("main")))
		// The dashboard reloads the daemon before it reports the sign-in done: the new
		// account's page exists at once.
		if missing, _ := eval[bool](b, `!document.querySelector("#account-name")`); missing {
			t.Fatalf("the page after the sign-in does not know the new account: %s", b.pageText())
		}
		name := strings.Fields(b.text(t, "#account-name"))[0]
		if msg := b.text(t, ".flash.ok"); !strings.Contains(msg, name+" is added") {
			t.Errorf("after the device code sign-in the page says %q", msg)
		}
		if !strings.HasPrefix(name, "megan.bowen") {
			t.Errorf("the new account is named %q, not after megan.bowen", name)
		}
		// The device page itself, loaded again, says the sign-in is done.
		b.do(t, "back to the device page", chromedp.NavigateBack())
		b.waitJS(t, "the device page's success", contains("Signed in: "+name+" is added."), 10*time.Second, false)
		b.open(t, "/")
		b.do(t, "the new account's row", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-account=%q]`, name))))
		if row := b.text(t, fmt.Sprintf(`tr[data-account=%q]`, name)); !strings.Contains(row, "added here") {
			t.Errorf("the new account's row: %q", row)
		}
	})

	step("catalog-channels", func(t *testing.T) {
		b.open(t, "/")
		b.submit(t, `header a[href="/catalog"]`)
		b.do(t, "the catalog", chromedp.WaitVisible(chromedp.CSS("#catalog tbody tr")))
		b.screenshot(t, "catalog", false, false)
		b.submit(t, `header a[href="/channels"]`)
		b.waitJS(t, "the channels page", `location.pathname === "/channels" && !!document.querySelector("main h1")`, 10*time.Second, false)
		b.screenshot(t, "channels", false, false)
		b.open(t, "/accounts/contoso/settings")
		b.do(t, "the settings form", chromedp.WaitVisible(chromedp.CSS("#settings")))
		b.screenshot(t, "settings", false, false)
	})

	step("chinese", func(t *testing.T) {
		b.open(t, "/")
		if got := b.text(t, "#lang-switch"); got != "中文" {
			t.Errorf("the language switch says %q", got)
		}
		b.submit(t, "#lang-switch")
		b.waitJS(t, "the overview in Chinese", `location.pathname === "/" && document.documentElement.lang === "zh-CN"`, 10*time.Second, false)
		if h := b.text(t, "main h1"); h != "账号" {
			t.Errorf("the overview's heading in Chinese is %q", h)
		}
		if th := b.text(t, "#accounts thead"); !strings.Contains(th, "账号") || !strings.Contains(th, "下一轮") {
			t.Errorf("the overview's columns in Chinese: %q", th)
		}
		b.screenshot(t, "overview-zh", false, true)
		b.submit(t, "#lang-switch")
		b.waitJS(t, "the overview in English", `document.documentElement.lang === "en"`, 10*time.Second, false)
		if h := b.text(t, "main h1"); h != "Accounts" {
			t.Errorf("the overview's heading back in English is %q", h)
		}
	})

	step("logout", func(t *testing.T) {
		b.open(t, "/")
		b.submit(t, `form[action="/logout"] button`)
		b.waitJS(t, "the login page", `location.pathname === "/login"`, 10*time.Second, false)
		b.open(t, "/accounts/contoso")
		b.waitJS(t, "signed out: the login page", `location.pathname === "/login" && !!document.querySelector("#password")`, 10*time.Second, false)
	})

	for _, msg := range stopConsole() {
		switch {
		case msg.IsException(), strings.Contains(msg.Text, "Content Security Policy"):
			t.Errorf("the page reported: %s (%s:%d)", msg, msg.URL, msg.Line)
		default:
			t.Logf("console: %s", msg)
		}
	}
	t.Logf("screenshots in %s", b.artifacts)
}

// signIn approves a device code on the emulator's verification page, in a new tab.
func signIn(t *testing.T, b *browser, verify, code, upn, password string) {
	t.Helper()
	tab, cancel := chromedp.NewContext(b.ctx)
	defer cancel()
	// The first action opens the tab, which lives as long as the context of that action.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	e := &browser{ctx: tab, artifacts: b.artifacts}
	e.do(t, "open "+verify, chromedp.Navigate(verify))
	e.do(t, "enter the code", chromedp.SendKeys(chromedp.CSS("#otc"), code, chromedp.NodeVisible))
	e.submit(t, "#next")
	e.do(t, "sign in", chromedp.SendKeys(chromedp.CSS("#login"), upn, chromedp.NodeVisible),
		chromedp.SendKeys(chromedp.CSS("#passwd"), password))
	e.submit(t, "#signin")
	if has, err := eval[bool](e, `!!document.querySelector("#accept")`); err == nil && has {
		e.screenshot(t, "emulator-consent", false, false)
		e.submit(t, "#accept")
	}
	msg := e.text(t, "#message, #error")
	if !strings.Contains(msg, "You have signed in") {
		t.Fatalf("the emulated sign-in ends with %q", msg)
	}
}
