package fleet

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/schedule"
	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
	"github.com/e5renew/e5renew/internal/store/sqlite"
)

const overridesYAML = `
defaults:
  schedule:
    interval: 2h-3h
    hours: "09:00-18:00"
  activities:
    random: "3"
accounts:
  - name: a@contoso.onmicrosoft.com
    type: refresh_token
    client_id: 11111111-1111-1111-1111-111111111111
    refresh_token: x
    schedule:
      cron: "0 9 * * *"
      days: mon-fri
  - name: b@contoso.onmicrosoft.com
    type: refresh_token
    client_id: 11111111-1111-1111-1111-111111111111
    refresh_token: y
`

func parseOverrides(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse("e5renew.yaml", []byte(overridesYAML), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestMergeManagedAppliesDashboardSettings: settings saved by the dashboard replace the
// file's, field by field, when the accounts are merged (at start and on each reload); the
// fields the dashboard left alone keep the file's values.
func TestMergeManagedAppliesDashboardSettings(t *testing.T) {
	ctx := context.Background()
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "state.db"), box)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := parseOverrides(t)
	var recs []store.Account
	for _, a := range cfg.Accounts {
		recs = append(recs, store.Account{Name: a.Name, Type: a.Type, Enabled: true})
	}
	if _, err := st.SyncAccounts(ctx, recs); err != nil {
		t.Fatal(err)
	}
	// A replaces its file cron by an interval and its activities; B only changes its days.
	if err := st.SaveAccountSettings(ctx, "A@contoso.onmicrosoft.com", store.AccountSettings{
		Schedule:   store.ScheduleSettings{Interval: "30m-1h", TimeZone: "Asia/Shanghai"},
		Activities: store.ActivitySettings{Always: []string{"mail.list"}, Exclude: []string{"teams"}, Random: "2-4"}}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveAccountSettings(ctx, "b@contoso.onmicrosoft.com", store.AccountSettings{
		Schedule: store.ScheduleSettings{Days: "sat,sun"}}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // twice: applying again changes nothing
		if err := MergeManaged(ctx, cfg, st); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := cfg.Account("a@contoso.onmicrosoft.com")
	got := cfg.EffectiveSchedule(a)
	want := schedule.Config{Interval: "30m-1h", Hours: "09:00-18:00", Days: "mon-fri", TimeZone: "Asia/Shanghai"}
	if got != want {
		t.Errorf("a's schedule = %+v, want %+v (interval replaces the file's cron, days stay)", got, want)
	}
	acts := cfg.EffectiveActivities(a)
	if len(acts.Always) != 1 || acts.Always[0] != "mail.list" || len(acts.Exclude) != 1 || acts.Random != "2-4" || acts.Include != nil {
		t.Errorf("a's activities = %+v", acts)
	}
	b, _ := cfg.Account("b@contoso.onmicrosoft.com")
	if got := cfg.EffectiveSchedule(b); got.Days != "sat,sun" || got.Interval != "2h-3h" || got.Hours != "09:00-18:00" {
		t.Errorf("b's schedule = %+v, want the defaults with days sat,sun", got)
	}
	if acts := cfg.EffectiveActivities(b); acts.Random != "3" || acts.Always != nil {
		t.Errorf("b's activities = %+v, want the defaults'", acts)
	}
}

// TestCheckOverride: a bad field is reported by name before anything is saved; the
// account given is not changed.
func TestCheckOverride(t *testing.T) {
	cfg := parseOverrides(t)
	a, _ := cfg.Account("b@contoso.onmicrosoft.com")
	for _, tc := range []struct {
		name  string
		s     store.AccountSettings
		field string // "" valid; "-" an error without a field
	}{
		{"valid", store.AccountSettings{Schedule: store.ScheduleSettings{Interval: "20m-50m", Days: "mon-sat"}}, ""},
		{"hours", store.AccountSettings{Schedule: store.ScheduleSettings{Hours: "25:00-26:00"}}, "hours"},
		{"timezone", store.AccountSettings{Schedule: store.ScheduleSettings{TimeZone: "Mars/Olympus"}}, "timezone"},
		{"too short", store.AccountSettings{Schedule: store.ScheduleSettings{Interval: "10s-20s"}}, "interval"},
		{"cron", store.AccountSettings{Schedule: store.ScheduleSettings{Cron: "61 * * * *"}}, "cron"},
		{"unknown activity", store.AccountSettings{Activities: store.ActivitySettings{Always: []string{"mail.nothing"}}}, "-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckOverride(cfg, *a, tc.s)
			var fe *schedule.FieldError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("valid settings refused: %v", err)
			case tc.field == "":
			case err == nil:
				t.Fatalf("accepted")
			case tc.field == "-":
			case !errors.As(err, &fe) || fe.Field != tc.field:
				t.Fatalf("error %v does not name field %s", err, tc.field)
			}
		})
	}
	if a.Schedule != nil || a.Activities != nil {
		t.Errorf("CheckOverride changed the account: %+v %+v", a.Schedule, a.Activities)
	}
}
