package web

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/store"
)

// lastRoundsSpy counts the calls of LastRounds, which loads every result of every
// account's newest round: the overview must not need it.
type lastRoundsSpy struct {
	store.Store
	calls *atomic.Int32
}

func (s lastRoundsSpy) LastRounds(ctx context.Context) (map[string]store.Round, error) {
	s.calls.Add(1)
	return s.Store.LastRounds(ctx)
}

func saveRound(t *testing.T, st store.Store, r store.Round) {
	t.Helper()
	if err := st.SaveRound(t.Context(), &r); err != nil {
		t.Fatal(err)
	}
}

// rowOf returns the overview's table row of an account.
func rowOf(t *testing.T, body, account string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr[^>]*data-account="` + regexp.QuoteMeta(account) + `">.*?</tr>`).FindString(body)
	if m == "" {
		t.Fatalf("no row of %s in the overview", account)
	}
	return m
}

var reSpark = regexp.MustCompile(`(?s)<svg[^>]*class="chart chart-spark[^"]*"[^>]*>.*?</svg>`)

func TestOverviewShowsSparklinesOfStoredRounds(t *testing.T) {
	var calls atomic.Int32
	h := newHarnessWith(t, func(st store.Store) store.Store { return lastRoundsSpy{Store: st, calls: &calls} })
	// Twelve more rounds of alice, before the harness's (an hour ago, ok, one ok result).
	verdictOf := func(i int) string {
		switch {
		case i == 5:
			return store.VerdictNeedsOwner
		case i%4 == 0:
			return store.VerdictDegraded
		}
		return store.VerdictOK
	}
	var all []string // oldest first
	for i := 11; i >= 0; i-- {
		v := verdictOf(i)
		all = append(all, v)
		saveRound(t, h.st, store.Round{Account: "alice", Started: h.now.Add(-2*time.Hour - time.Duration(i)*time.Hour), Verdict: v,
			Results: []store.ActivityResult{{Activity: "mail.list_messages", Workload: "mail", Outcome: store.OutcomeOK}}})
	}
	all = append(all, store.VerdictOK) // the harness's, the newest
	want := all[len(all)-10:]
	var ok, deg, owner int
	var wantClasses []string
	for _, v := range want {
		switch v {
		case store.VerdictOK:
			ok++
			wantClasses = append(wantClasses, "s-ok")
		case store.VerdictDegraded:
			deg++
			wantClasses = append(wantClasses, "s-warn")
		case store.VerdictNeedsOwner:
			owner++
			wantClasses = append(wantClasses, "s-fail")
		}
	}
	if deg == 0 || owner == 0 {
		t.Fatal("the test's rounds must hold every verdict")
	}

	c := h.client()
	h.signIn(t, c)
	code, body, _ := get(t, c, h.srv.URL+"/")
	if code != 200 {
		t.Fatalf("overview: %d", code)
	}
	row := rowOf(t, body, "alice")
	spark := reSpark.FindString(row)
	if spark == "" {
		t.Fatalf("no sparkline in alice's row:\n%s", row)
	}
	label := fmt.Sprintf(`aria-label="Last 10 rounds: %d ok, %d degraded, %d needed you"`, ok, deg, owner)
	if !strings.Contains(spark, label) || !strings.Contains(spark, `role="img"`) {
		t.Errorf("sparkline without the accessible name %s:\n%s", label, spark)
	}
	var classes []string
	for _, m := range regexp.MustCompile(`<rect class="(s-[a-z]+)"`).FindAllStringSubmatch(spark, -1) {
		classes = append(classes, m[1])
	}
	if !reflect.DeepEqual(classes, wantClasses) {
		t.Errorf("sparkline squares %v, want the last 10 verdicts oldest first %v", classes, wantClasses)
	}
	if !strings.Contains(row, "1 ok · 0 failed · 0 skipped") {
		t.Errorf("alice's row lacks the last round's counts:\n%s", row)
	}
	// An account without rounds: an empty sparkline that says so.
	other := rowOf(t, body, "contoso-app")
	if s := reSpark.FindString(other); s == "" || strings.Contains(s, "<rect") || !strings.Contains(s, `aria-label="No round yet"`) {
		t.Errorf("contoso-app's sparkline: %q", s)
	}
	if !strings.Contains(body, "2 accounts: 0 healthy, 0 degraded, 1 paused") && !strings.Contains(body, "2 accounts: 1 healthy, 0 degraded, 1 paused") {
		t.Errorf("the totals are gone: %s", regexp.MustCompile(`(?s)<p class="totals".*?</p>`).FindString(body))
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the overview called LastRounds %d times: it loads every result", n)
	}
	// In Chinese too.
	req, _ := http.NewRequest("GET", h.srv.URL+"/", nil)
	req.Header.Set("Accept-Language", "zh-CN")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(readAll(t, resp), fmt.Sprintf("最近 10 轮：%d 轮正常", ok)) {
		t.Error("the sparkline's name is not in Chinese")
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// seedCharts stores rounds of alice (in Asia/Shanghai, 8 hours ahead of UTC; the harness's
// now is 2026-03-02 18:00 there) for the account page's charts.
func seedCharts(t *testing.T, h *harness) {
	t.Helper()
	h.runner.cfg.Accounts[1].TimeZone = "Asia/Shanghai"
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// 2026-03-01 10:00 local.
	saveRound(t, h.st, store.Round{Account: "alice", Started: utc("2026-03-01T02:00:00Z"), Verdict: store.VerdictDegraded,
		Results: []store.ActivityResult{
			{Activity: "mail.list_messages", Workload: "mail", Outcome: store.OutcomeOK, Status: 200, DurationMs: 100, Calls: 1},
			{Activity: "teams.chats", Workload: "teams", Outcome: store.OutcomeFailed, Status: 403, Code: "Forbidden",
				RequestID: "req-fail-1", Message: "no Teams licence", DurationMs: 80, Calls: 1},
			{Activity: "calendar.list_events", Workload: "calendar", Outcome: store.OutcomeSkipped},
		}})
	// 2026-03-02 04:00 local.
	saveRound(t, h.st, store.Round{Account: "alice", Started: utc("2026-03-01T20:00:00Z"), Verdict: store.VerdictNeedsOwner,
		Results: []store.ActivityResult{
			{Activity: "mail.list_messages", Workload: "mail", Outcome: store.OutcomeOK, Status: 200, DurationMs: 300, Calls: 1},
			{Activity: "teams.chats", Workload: "teams", Outcome: store.OutcomeOK, Status: 200, DurationMs: 50, Calls: 1},
		}})
	// 2026-02-20 11:00 local: in 30 days, not in 7.
	saveRound(t, h.st, store.Round{Account: "alice", Started: utc("2026-02-20T03:00:00Z"), Verdict: store.VerdictOK,
		Results: []store.ActivityResult{{Activity: "mail.list_messages", Workload: "mail", Outcome: store.OutcomeOK, Status: 200, DurationMs: 200}}})
	// 2025-12-01: in a year only.
	saveRound(t, h.st, store.Round{Account: "alice", Started: utc("2025-12-01T03:00:00Z"), Verdict: store.VerdictOK,
		Results: []store.ActivityResult{{Activity: "onedrive.recent", Workload: "onedrive", Outcome: store.OutcomeOK, DurationMs: 10}}})
}

var (
	reStacked  = regexp.MustCompile(`(?s)<svg[^>]*class="chart chart-stacked[^"]*"[^>]*>.*?</svg>`)
	reHBars    = regexp.MustCompile(`(?s)<svg[^>]*class="chart chart-hbars[^"]*"[^>]*>.*?</svg>`)
	reActivity = regexp.MustCompile(`(?s)<tr data-activity="([^"]+)">(.*?)</tr>`)
)

// activityRows returns the per-activity table's rows by activity, as text.
func activityRows(body string) map[string]string {
	rows := map[string]string{}
	for _, m := range reActivity.FindAllStringSubmatch(body, -1) {
		text := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[2], " ")
		rows[m[1]] = strings.Join(strings.Fields(html.UnescapeString(text)), " ")
	}
	return rows
}

func TestAccountPageChartsAndActivityTable(t *testing.T) {
	h := newHarness(t)
	seedCharts(t, h)
	c := h.client()
	h.signIn(t, c)

	// A week: buckets of 6 hours, local time.
	code, body, _ := get(t, c, h.srv.URL+"/accounts/alice?range=7d")
	if code != 200 {
		t.Fatalf("account page: %d", code)
	}
	charts := reStacked.FindAllString(body, -1)
	if len(charts) != 2 {
		t.Fatalf("%d stacked charts, want rounds and activities:\n%s", len(charts), body)
	}
	rounds, acts := charts[0], charts[1]
	for _, want := range []string{"<title>03-01 06:00 · degraded: 1</title>", "<title>03-02 00:00 · needs you: 1</title>",
		"<title>03-02 12:00 · ok: 1</title>", "2026-02-24 to 2026-03-02: 3 rounds, 1 ok, 1 degraded, 1 needed you."} {
		if !strings.Contains(rounds, want) {
			t.Errorf("rounds chart lacks %q:\n%s", want, rounds)
		}
	}
	if n := strings.Count(rounds, "<rect"); n != 3 {
		t.Errorf("rounds chart: %d bars, want 3", n)
	}
	for _, want := range []string{"<title>03-01 06:00 · ok: 1</title>", "<title>03-01 06:00 · failed: 1</title>",
		"<title>03-01 06:00 · skipped: 1</title>", "<title>03-02 00:00 · ok: 2</title>", "6 activity results, 4 ok, 1 failed, 1 skipped."} {
		if !strings.Contains(acts, want) {
			t.Errorf("activities chart lacks %q:\n%s", want, acts)
		}
	}
	wl := reHBars.FindString(body)
	for _, want := range []string{"<title>mail: 100% success (2 ok, 0 failed, 0 skipped)</title>", ">100% · runs: 2</text>",
		"<title>teams: 50.0% success (1 ok, 1 failed, 0 skipped)</title>", ">50.0% · runs: 2</text>",
		"<title>calendar: – success (0 ok, 0 failed, 1 skipped)</title>", `class="s-fail"`, `class="s-ok"`, `class="s-skip"`} {
		if !strings.Contains(wl, want) {
			t.Errorf("workload chart lacks %q:\n%s", want, wl)
		}
	}
	rows := activityRows(body)
	for name, want := range map[string]string{
		"mail.list_messages":   "mail.list_messages mail 2 100% 200 ms / 300 ms –",
		"teams.chats":          "teams.chats teams 2 50.0% 50 ms / 50 ms 2026-03-01 10:00 · 403 Forbidden request-id req-fail-1 no Teams licence",
		"calendar.list_events": "calendar.list_events calendar 1 1 skipped – – –",
		"user.profile":         "user.profile user 1 100% 0 ms / 0 ms –",
	} {
		if rows[name] != want {
			t.Errorf("activity %s: %q, want %q", name, rows[name], want)
		}
	}
	if len(rows) != 4 {
		t.Errorf("activity table: %v, want 4 activities of the week", rows)
	}
	if !strings.Contains(body, `class="badge b-fail"`) || !strings.Contains(body, `class="badge b-ok"`) {
		t.Error("success rates are not coloured")
	}

	// 30 days by default: day buckets; the round of February 20 counts.
	_, body, _ = get(t, c, h.srv.URL+"/accounts/alice")
	charts = reStacked.FindAllString(body, -1)
	if len(charts) != 2 || !strings.Contains(charts[0], "<title>2026-02-20 · ok: 1</title>") ||
		!strings.Contains(charts[0], "<title>2026-03-01 · degraded: 1</title>") || !strings.Contains(charts[0], "2026-02-01 to 2026-03-02: 4 rounds") {
		t.Errorf("30 days: %v", charts)
	}
	if got := activityRows(body)["mail.list_messages"]; got != "mail.list_messages mail 3 100% 200 ms / 300 ms –" {
		t.Errorf("30 days, mail.list_messages: %q", got)
	}
	if _, ok := activityRows(body)["onedrive.recent"]; ok {
		t.Error("a round older than the range counts")
	}
	// A year holds the December round.
	_, body, _ = get(t, c, h.srv.URL+"/accounts/alice?range=365d")
	if _, ok := activityRows(body)["onedrive.recent"]; !ok {
		t.Error("a year: the December round is missing")
	}
	// An unknown range is the default one.
	if code, body, _ = get(t, c, h.srv.URL+"/accounts/alice?range=9999d"); code != 200 || !strings.Contains(body, "2026-02-01 to 2026-03-02") {
		t.Errorf("unknown range: %d", code)
	}

	// No rounds: a message, no charts.
	_, body, _ = get(t, c, h.srv.URL+"/accounts/contoso-app")
	if !strings.Contains(body, `id="no-rounds"`) || !strings.Contains(body, "No rounds in this range yet.") || reStacked.MatchString(body) {
		t.Error("an account without rounds: no empty-state message, or charts")
	}
	for _, p := range []string{"/accounts/alice", "/accounts/alice?range=7d", "/accounts/contoso-app", "/accounts/alice/settings"} {
		_, body, _ := get(t, c, h.srv.URL+p)
		if strings.Contains(body, "style=") || strings.Contains(body, "<script>") || strings.Contains(body, "<style") {
			t.Errorf("%s: inline style or script (the CSP forbids them)", p)
		}
	}
}

// postSettings posts the settings form with the page's CSRF token.
func postSettings(t *testing.T, h *harness, c *http.Client, path string, form url.Values) (int, string, http.Header) {
	t.Helper()
	_, page, _ := get(t, c, h.srv.URL+"/accounts/alice/settings")
	form.Set("csrf", csrfOf(t, page))
	resp, err := c.PostForm(h.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, readAll(t, resp), resp.Header
}

func settingsChanges(t *testing.T, st store.Store, account string) []store.StateChange {
	t.Helper()
	all, err := st.Changes(t.Context(), account, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.StateChange
	for _, c := range all {
		if c.Kind == store.ChangeAccounts {
			out = append(out, c)
		}
	}
	return out
}

func storedOf(t *testing.T, st store.Store, account string) (store.AccountSettings, bool) {
	t.Helper()
	all, err := st.AccountSettings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s, ok := all[store.FoldName(account)]
	return s, ok
}

func inputValue(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<input id="s-` + name + `" name="` + name + `" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no input %s in the settings form", name)
	}
	return html.UnescapeString(m[1])
}

func TestSettingsSaveValidateAndReset(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	h.signIn(t, c)

	// The form shows what applies when nothing is set here: e5renew's defaults.
	_, body, _ := get(t, c, h.srv.URL+"/accounts/alice/settings")
	for _, want := range []string{`placeholder="1h-4h (default)"`, "From the file: user.profile, mail.list_messages, calendar.list_events (default)",
		"From the file: all day", `placeholder="4-8 (default)"`} {
		if !strings.Contains(body, want) {
			t.Errorf("settings page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="reset-settings"`) {
		t.Error("a reset button with nothing to reset")
	}

	// A good form: saved, and the daemon told.
	good := url.Values{"interval": {"2h-3h"}, "hours": {"09:00-18:00"}, "days": {"mon-fri"}, "timezone": {"Asia/Shanghai"},
		"always": {"user.profile, mail.list_messages"}, "exclude": {"teams onenote.create_page"}, "include": {"-"}, "random": {"2-4"}}
	code, _, hd := postSettings(t, h, c, "/accounts/alice/settings", good)
	if code != http.StatusSeeOther || !strings.HasPrefix(hd.Get("Location"), "/accounts/alice/settings?done=") {
		t.Fatalf("save: %d %s", code, hd.Get("Location"))
	}
	got, ok := storedOf(t, h.st, "alice")
	want := store.AccountSettings{
		Schedule:   store.ScheduleSettings{Interval: "2h-3h", Hours: "09:00-18:00", Days: "mon-fri", TimeZone: "Asia/Shanghai"},
		Activities: store.ActivitySettings{Always: []string{"user.profile", "mail.list_messages"}, Include: []string{}, Exclude: []string{"teams", "onenote.create_page"}, Random: "2-4"},
	}
	if !ok || !reflect.DeepEqual(got.Schedule, want.Schedule) || !reflect.DeepEqual(got.Activities, want.Activities) {
		t.Fatalf("stored %+v, want %+v", got, want)
	}
	changes := settingsChanges(t, h.st, "alice")
	if len(changes) != 1 || changes[0].Reason != "settings" || changes[0].By != "owner" {
		t.Fatalf("changes after saving: %+v, want one %s by the owner", changes, store.ChangeAccounts)
	}
	// What the daemon applies on reload is a valid schedule with these values.
	a := config.Account{Name: "alice"}
	fleet.Override(&a, got)
	if sp, err := (&config.Config{}).Spec(&a); err != nil || !strings.Contains(sp.String(), "2h") {
		t.Errorf("the saved settings do not make the schedule: %v %v", sp, err)
	}
	code, body, _ = get(t, c, h.srv.URL+"/accounts/alice/settings?done=Saved")
	if code != 200 || inputValue(t, body, "interval") != "2h-3h" || inputValue(t, body, "always") != "user.profile, mail.list_messages" ||
		inputValue(t, body, "include") != "-" || !strings.Contains(body, `id="reset-settings"`) {
		t.Errorf("the settings page does not show the saved values")
	}

	// A bad value: refused, the field named, everything typed kept, nothing saved.
	bad := url.Values{"interval": {"5h-6h"}, "hours": {"25:00-26:00"}, "days": {"mon-sat"}, "always": {"user.profile"}, "random": {"3"}}
	code, body, _ = postSettings(t, h, c, "/accounts/alice/settings", bad)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad hours: %d", code)
	}
	if !strings.Contains(body, "Not saved, nothing changed: check Working hours (hours).") {
		t.Errorf("the error does not name the field:\n%s", body)
	}
	for name, v := range map[string]string{"interval": "5h-6h", "hours": "25:00-26:00", "days": "mon-sat", "always": "user.profile", "random": "3"} {
		if got := inputValue(t, body, name); got != v {
			t.Errorf("%s: %q after the error, want the input %q kept", name, got, v)
		}
	}
	if !regexp.MustCompile(`name="hours" value="25:00-26:00"[^>]*aria-invalid="true"`).MatchString(body) ||
		!strings.Contains(body, `id="e-hours"`) || strings.Contains(body, `id="e-interval"`) {
		t.Error("the bad field is not marked, or a good one is")
	}
	if after, _ := storedOf(t, h.st, "alice"); !reflect.DeepEqual(after.Schedule, want.Schedule) {
		t.Errorf("a refused form changed the settings: %+v", after.Schedule)
	}
	if n := len(settingsChanges(t, h.st, "alice")); n != 1 {
		t.Errorf("a refused form recorded a change (%d)", n)
	}
	// Several problems, the activities' included, in Chinese.
	_, page, _ := get(t, c, h.srv.URL+"/accounts/alice/settings")
	req, _ := http.NewRequest("POST", h.srv.URL+"/accounts/alice/settings", strings.NewReader(url.Values{"csrf": {csrfOf(t, page)},
		"timezone": {"Mars/Olympus"}, "always": {"mail.nonexistent"}, "random": {"8-4"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "zh-CN")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body = readAll(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "未保存，未做任何修改：请检查时区（timezone）、每轮都运行（always）、随机数量（random）。") {
		t.Errorf("several problems, in Chinese: %d\n%s", resp.StatusCode, regexp.MustCompile(`(?s)<p class="flash err".*?</p>`).FindString(body))
	}
	if !strings.Contains(body, `unknown activity &#34;mail.nonexistent&#34;`) || strings.Contains(body, "e5renew.yaml") {
		t.Error("the activity's problem is not shown, or blames the configuration file")
	}

	// Without the CSRF token: refused, nothing saved.
	resp, err = c.PostForm(h.srv.URL+"/accounts/alice/settings", url.Values{"interval": {"1h-2h"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if after, _ := storedOf(t, h.st, "alice"); resp.StatusCode != http.StatusForbidden || after.Schedule.Interval != "2h-3h" {
		t.Errorf("no CSRF token: %d, interval %q", resp.StatusCode, after.Schedule.Interval)
	}

	// Reset without the token: refused too.
	resp, err = c.PostForm(h.srv.URL+"/accounts/alice/settings/reset", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, ok := storedOf(t, h.st, "alice"); resp.StatusCode != http.StatusForbidden || !ok {
		t.Errorf("reset without a CSRF token: %d, settings kept %v", resp.StatusCode, ok)
	}

	// Reset: the file's settings again, and the daemon told.
	code, _, hd = postSettings(t, h, c, "/accounts/alice/settings/reset", url.Values{})
	if code != http.StatusSeeOther || !strings.Contains(hd.Get("Location"), "done=") {
		t.Fatalf("reset: %d %s", code, hd.Get("Location"))
	}
	if _, ok := storedOf(t, h.st, "alice"); ok {
		t.Error("reset kept the settings")
	}
	if ch := settingsChanges(t, h.st, "alice"); len(ch) != 2 || ch[0].Reason != "settings" || ch[0].By != "owner" {
		t.Errorf("changes after the reset: %+v", ch)
	}
	_, body, _ = get(t, c, h.srv.URL+"/accounts/alice/settings")
	if inputValue(t, body, "interval") != "" || strings.Contains(body, `id="reset-settings"`) {
		t.Error("after the reset the form still shows settings")
	}
	if code, _, _ := get(t, c, h.srv.URL+"/accounts/nobody/settings"); code != http.StatusNotFound {
		t.Errorf("settings of an unknown account: %d", code)
	}
}

// The settings of an account of the file are checked against, and shown over, the file's
// own: the running configuration already has the dashboard's merged in.
func TestSettingsOfAFileAccountShowTheFile(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(t.TempDir(), "e5renew.yaml")
	yaml := `accounts:
  - name: contoso-app
    type: client_credentials
    tenant: contoso.onmicrosoft.com
    client_id: 11111111-2222-3333-4444-555555555555
    client_secret: "` + fileSecret + `"
    user: admin@contoso.onmicrosoft.com
    schedule:
      cron: "0 9 * * 1-5"
    activities:
      exclude: [teams]
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(path); err != nil {
		t.Fatal(err)
	}
	// The dashboard replaced the cron by an interval: the daemon runs the merged account.
	over := store.AccountSettings{Schedule: store.ScheduleSettings{Interval: "1h-2h"}}
	if err := h.st.SaveAccountSettings(t.Context(), "contoso-app", over); err != nil {
		t.Fatal(err)
	}
	h.runner.cfg.Path = path
	fleet.Override(&h.runner.cfg.Accounts[0], over)
	c := h.client()
	h.signIn(t, c)
	_, body, _ := get(t, c, h.srv.URL+"/accounts/contoso-app/settings")
	if inputValue(t, body, "interval") != "1h-2h" || !strings.Contains(body, "From the file: 0 9 * * 1-5") ||
		!strings.Contains(body, "From the file: teams") || !strings.Contains(body, "From the file: none: the cron expression decides") {
		t.Errorf("the file's values are not shown:\n%s", regexp.MustCompile(`(?s)<form class="card stack settings".*?</form>`).FindString(body))
	}
	if strings.Contains(body, fileSecret) {
		t.Error("the settings page shows the client secret")
	}
	// Back to the file's cron with only the days changed: checked over the file's account,
	// whose cron never runs at weekends...
	post := func(form url.Values) (int, string) {
		_, page, _ := get(t, c, h.srv.URL+"/accounts/contoso-app/settings")
		form.Set("csrf", csrfOf(t, page))
		resp, err := c.PostForm(h.srv.URL+"/accounts/contoso-app/settings", form)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, readAll(t, resp)
	}
	if code, body := post(url.Values{"days": {"sat,sun"}}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `cron &#34;0 9 * * 1-5&#34; never runs`) {
		t.Errorf("weekends with the file's weekday cron: %d", code)
	}
	// ... and whose weekdays it may narrow.
	code, body := post(url.Values{"days": {"mon-thu"}})
	got, _ := storedOf(t, h.st, "contoso-app")
	if code != http.StatusSeeOther || got.Schedule != (store.ScheduleSettings{Days: "mon-thu"}) {
		t.Errorf("save over the file: %d %+v %s", code, got.Schedule, regexp.MustCompile(`(?s)<p class="flash err".*?</p>`).FindString(body))
	}
	// A cron and an interval together: the interval is refused by name.
	code, body = post(url.Values{"interval": {"10s-20s"}, "cron": {"0 * * * *"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "check Interval (interval)") {
		t.Errorf("interval and cron: %d %s", code, regexp.MustCompile(`(?s)<p class="flash err".*?</p>`).FindString(body))
	}
}

func TestListsOfTheSettingsForm(t *testing.T) {
	for in, want := range map[string][]string{
		"":                           nil,
		"  ":                         nil,
		"-":                          {},
		"mail.draft":                 {"mail.draft"},
		"mail.draft, teams  onenote": {"mail.draft", "teams", "onenote"},
		"mail，teams、todo;onedrive":   {"mail", "teams", "todo", "onedrive"},
		" , ":                        nil,
	} {
		if got := parseList(in); !reflect.DeepEqual(got, want) || (want != nil && got == nil) {
			t.Errorf("parseList(%q) = %#v, want %#v", in, got, want)
		}
	}
	for _, l := range [][]string{nil, {}, {"a"}, {"a", "b"}} {
		if got := parseList(listText(l)); !reflect.DeepEqual(got, l) {
			t.Errorf("listText(%#v) reads back as %#v", l, got)
		}
	}
}

// Every text has both languages, with the same arguments.
func TestTextsAreBilingual(t *testing.T) {
	verbs := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)
	for k, v := range texts {
		if strings.TrimSpace(v.EN) == "" || strings.TrimSpace(v.ZH) == "" {
			t.Errorf("%s: missing a language", k)
		}
		if en, zh := verbs.FindAllString(v.EN, -1), verbs.FindAllString(v.ZH, -1); !reflect.DeepEqual(en, zh) {
			t.Errorf("%s: arguments %v in English, %v in Chinese", k, en, zh)
		}
	}
	// Every key the pages use exists.
	for _, k := range append(append([]string{}, scheduleFields...), activityFields...) {
		for _, key := range []string{"set." + k, "field." + k} {
			if _, ok := texts[key]; !ok {
				t.Errorf("no text %s", key)
			}
		}
	}
	if T(i18n.ZH, "set.saved") == T(i18n.EN, "set.saved") {
		t.Error("T ignores the language")
	}
}

// A new form replaces the dashboard's previous settings, which the running configuration
// still has merged in: it is checked over the file's account, not over the running one.
func TestSettingsReplaceThePreviousOnes(t *testing.T) {
	h := newHarness(t)
	prev := store.AccountSettings{Schedule: store.ScheduleSettings{Cron: "0 9 * * 1-5"}}
	if err := h.st.SaveAccountSettings(t.Context(), "alice", prev); err != nil {
		t.Fatal(err)
	}
	fleet.Override(&h.runner.cfg.Accounts[1], prev) // as the daemon runs it
	c := h.client()
	h.signIn(t, c)
	// Weekends only, the cron gone: over the previous weekday cron it would never run.
	code, body, hd := postSettings(t, h, c, "/accounts/alice/settings", url.Values{"days": {"sat,sun"}})
	if code != http.StatusSeeOther {
		t.Fatalf("%d %s\n%s", code, hd.Get("Location"), regexp.MustCompile(`(?s)<p class="flash err".*?</p>`).FindString(body))
	}
	if got, _ := storedOf(t, h.st, "alice"); got.Schedule != (store.ScheduleSettings{Days: "sat,sun"}) {
		t.Errorf("stored %+v", got.Schedule)
	}
	// The form shows the file's values, not the previous settings.
	_, body, _ = get(t, c, h.srv.URL+"/accounts/alice/settings")
	if !strings.Contains(body, "From the file: off") || !strings.Contains(body, `placeholder="1h-4h (default)"`) {
		t.Error("the settings page shows the previous settings as the file's")
	}
}
