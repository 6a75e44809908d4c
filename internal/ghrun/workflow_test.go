package ghrun

import (
	"os"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/e5renew/e5renew/internal/schedule"
)

// The workflow users copy (.github/workflows/e5renew.yml; actionlint checks its syntax in
// CI) does what the README promises: irregular runs over working hours, none on Sunday
// UTC, every secret passed under the names Run reads, the permission keep-alive needs, and
// one run at a time.
func TestWorkflowFile(t *testing.T) {
	b, err := os.ReadFile("../../.github/workflows/e5renew.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		On struct {
			Schedule []struct {
				Cron string `yaml:"cron"`
			} `yaml:"schedule"`
		} `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Concurrency struct {
			Group            string `yaml:"group"`
			CancelInProgress bool   `yaml:"cancel-in-progress"`
		} `yaml:"concurrency"`
		Jobs map[string]struct {
			If      string `yaml:"if"`
			Timeout int    `yaml:"timeout-minutes"`
			Steps   []struct {
				Run string            `yaml:"run"`
				Env map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	if len(wf.On.Schedule) < 6 {
		t.Fatalf("%d schedule lines: too few to spread the runs", len(wf.On.Schedule))
	}
	// Every run of eight weeks: never on Sunday, within 01:00-10:59 UTC, at many
	// different minutes and hours, and not the same number of runs every day.
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, 56)
	minutes, hours, perDay := map[int]bool{}, map[int]bool{}, map[string]int{}
	for _, s := range wf.On.Schedule {
		c, err := schedule.ParseCron(s.Cron)
		if err != nil {
			t.Fatalf("cron %q: %v", s.Cron, err)
		}
		for at := c.Next(start, time.UTC); at.Before(end); at = c.Next(at, time.UTC) {
			if at.Weekday() == time.Sunday {
				t.Fatalf("cron %q runs on Sunday (UTC) %s", s.Cron, at)
			}
			if at.Hour() < 1 || at.Hour() > 10 {
				t.Fatalf("cron %q runs at %s, outside working hours", s.Cron, at.Format("15:04"))
			}
			minutes[at.Minute()], hours[at.Hour()] = true, true
			perDay[at.Format("2006-01-02")]++
		}
	}
	counts := map[int]bool{}
	for _, n := range perDay {
		counts[n] = true
	}
	if len(minutes) < 6 || len(hours) < 6 || len(counts) < 2 || len(perDay) != 48 {
		t.Fatalf("not spread: %d minutes, %d hours, %d different daily counts, %d days with runs", len(minutes), len(hours), len(counts), len(perDay))
	}
	var raw struct {
		On map[string]any `yaml:"on"`
	}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw.On["workflow_dispatch"]; !ok {
		t.Error("no workflow_dispatch: the owner cannot try a run at once")
	}
	if wf.Permissions["actions"] != "write" || wf.Permissions["contents"] != "read" || len(wf.Permissions) != 2 {
		t.Errorf("permissions %v: keep-alive needs actions: write, and nothing more than contents: read besides", wf.Permissions)
	}
	if wf.Concurrency.Group == "" || wf.Concurrency.CancelInProgress {
		t.Error("runs must not overlap, and a running one must not be cancelled (it may be writing a secret)")
	}
	job, ok := wf.Jobs["renew"]
	if !ok || job.Timeout == 0 || job.Timeout > 60 {
		t.Fatalf("job renew: timeout %d", job.Timeout)
	}
	if !strings.Contains(job.If, "github.repository != 'e5renew/e5renew'") {
		t.Errorf("job if %q: the scheduled job would run (and fail, with no accounts) in e5renew's own repository", job.If)
	}
	found := false
	for _, st := range job.Steps {
		if strings.Contains(st.Run, "run --once") {
			found = true
			if st.Env[EnvSecrets] != "${{ toJSON(secrets) }}" || st.Env[EnvVars] != "${{ toJSON(vars) }}" {
				t.Errorf("the run step's env %v does not pass the secrets and variables as %s and %s", st.Env, EnvSecrets, EnvVars)
			}
		}
	}
	if !found {
		t.Error("no step runs e5renew run --once")
	}
}
