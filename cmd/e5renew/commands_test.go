package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/schedule"
	"github.com/e5renew/e5renew/internal/store"
)

func TestAccountsPauseResumeAndList(t *testing.T) {
	f := newFixture(t, emulator.Options{}, 2)
	name := f.cfg.Accounts[0].Name
	out, _, err := runCmd(t, "accounts", "pause", strings.ToUpper(name), "-c", f.cfgPath, "--reason", "moving house")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, name+" is paused") || !strings.Contains(out, "e5renew accounts resume "+name) {
		t.Errorf("pause output:\n%s", out)
	}
	st, err := fleet.OpenStore(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, ok, err := st.LoadState(t.Context(), name)
	st.Close()
	if err != nil || !ok || !s.Paused || s.PauseReason != store.PauseByOwner || s.PauseMessage != "moving house" {
		t.Fatalf("state after pause: %+v %v %v", s, ok, err)
	}
	out, _, err = runCmd(t, "accounts", "list", "-c", f.cfgPath)
	if err != nil || !strings.Contains(out, "paused by you") || !strings.Contains(out, "NEXT ROUND") {
		t.Errorf("list: %v\n%s", err, out)
	}
	out, _, err = runCmd(t, "accounts", "resume", name, "-c", f.cfgPath)
	if err != nil || !strings.Contains(out, name+" is resumed") {
		t.Errorf("resume: %v\n%s", err, out)
	}
	out, _, _ = runCmd(t, "accounts", "resume", name, "-c", f.cfgPath)
	if !strings.Contains(out, "was not paused") {
		t.Errorf("second resume:\n%s", out)
	}
	st, _ = fleet.OpenStore(f.cfg)
	cs, _ := st.Changes(t.Context(), name, 0)
	st.Close()
	if len(cs) != 3 || cs[2].Kind != "pause_requested" || cs[2].By != "owner" || cs[1].Kind != "resume_requested" {
		t.Errorf("changes %+v", cs)
	}
	if _, _, err := runCmd(t, "accounts", "pause", "nobody", "-c", f.cfgPath); err == nil || !strings.Contains(err.Error(), "the accounts are: "+f.cfg.Accounts[0].Name) {
		t.Errorf("unknown account: %v", err)
	}
}

func TestPlanShowsTheStoredPlanThenTheSchedule(t *testing.T) {
	f := newFixture(t, emulator.Options{}, 1)
	f.cfg.Defaults.Schedule = schedule.Config{Interval: "30m-2h", Hours: "09:00-18:00", Days: "mon-fri", TimeZone: "Asia/Shanghai"}
	f.writeConfig(t)
	name := f.cfg.Accounts[0].Name
	out, _, err := runCmd(t, "plan", "--account", name, "--next", "20", "-c", f.cfgPath, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var plan struct {
		Schedule string      `json:"schedule"`
		Stored   bool        `json:"firstIsStored"`
		Next     []time.Time `json:"next"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(plan.Next) != 20 || plan.Stored || !strings.Contains(plan.Schedule, "Asia/Shanghai") {
		t.Fatalf("plan %+v", plan)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	for i, tm := range plan.Next {
		l := tm.In(loc)
		if l.Hour() < 9 || l.Hour() >= 18 || l.Weekday() == time.Saturday || l.Weekday() == time.Sunday {
			t.Errorf("planned round %d at %v, outside the working hours", i+1, l)
		}
		if i > 0 && !tm.After(plan.Next[i-1]) {
			t.Errorf("plan not increasing at %d", i)
		}
	}
	// With a stored plan, it comes first.
	st, _ := fleet.OpenStore(f.cfg)
	stored := time.Now().Add(37 * time.Minute).Truncate(time.Second)
	if err := st.SaveState(t.Context(), store.AccountState{Account: name, NextRun: stored}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, _, err = runCmd(t, "plan", "--account", name, "--next", "3", "-c", f.cfgPath, "--json")
	if err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal([]byte(out), &plan)
	if !plan.Stored || !plan.Next[0].Equal(stored) || len(plan.Next) != 3 {
		t.Errorf("plan with a stored next run: %+v (want %v first)", plan, stored)
	}
	out, _, err = runCmd(t, "plan", "-c", f.cfgPath)
	if err != nil || !strings.Contains(out, name) || !strings.Contains(out, "in 3") {
		t.Errorf("plan of every account: %v\n%s", err, out)
	}
	out, _, err = runCmd(t, "plan", "--account", name, "-c", f.cfgPath)
	if err != nil || !strings.Contains(out, "LOCAL TIME") || !strings.Contains(out, "CST") {
		t.Errorf("plan table: %v\n%s", err, out)
	}
}

func TestNotifyTestReportsEachChannel(t *testing.T) {
	f := newFixture(t, emulator.Options{}, 1)
	var got []map[string]any
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		got = append(got, m)
	}))
	defer good.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(403)
		fmt.Fprint(w, `{"error":"bad key"}`)
	}))
	defer bad.Close()
	data, _ := f.cfg.Marshal("")
	notif := fmt.Sprintf(`notifications:
  language: zh
  channels:
    - type: webhook
      name: good
      url: %s/ok
    - type: webhook
      name: bad
      url: %s/nope?key=SECRETKEY
`, good.URL, bad.URL)
	if err := os.WriteFile(f.cfgPath, append(data, notif...), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, "notify", "test", "-c", f.cfgPath)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 channels failed") {
		t.Errorf("exit: %v", err)
	}
	if !strings.Contains(out, "good") || !strings.Contains(out, "delivered") || !strings.Contains(out, "HTTP 403") {
		t.Errorf("output:\n%s", out)
	}
	if strings.Contains(out, "SECRETKEY") || (err != nil && strings.Contains(err.Error(), "SECRETKEY")) {
		t.Error("the webhook's key was printed")
	}
	if len(got) != 1 || got[0]["kind"] != "test" || !strings.Contains(fmt.Sprint(got[0]["text"]), "通道 good") {
		t.Errorf("delivered %v", got)
	}
	out, _, err = runCmd(t, "notify", "test", "-c", f.cfgPath, "--channel", "good")
	if err != nil || strings.Contains(out, "bad") {
		t.Errorf("--channel good: %v\n%s", err, out)
	}
	st, _ := fleet.OpenStore(f.cfg)
	ds, _ := st.Deliveries(t.Context(), "", 0)
	st.Close()
	if len(ds) != 3 {
		t.Errorf("%d deliveries recorded, want 3", len(ds))
	}
}
