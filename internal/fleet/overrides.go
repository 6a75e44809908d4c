package fleet

import (
	"context"
	"fmt"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/schedule"
	"github.com/e5renew/e5renew/internal/store"
)

// ApplyOverrides applies the settings edited in the dashboard (store.AccountSettings) to
// the accounts of cfg, field by field over the file's: a schedule field or an activity list
// the dashboard set wins, the others stay as the file (or its defaults) has them. Applying
// the same overrides again changes nothing.
func ApplyOverrides(cfg *config.Config, overrides map[string]store.AccountSettings) {
	for i := range cfg.Accounts {
		a := &cfg.Accounts[i]
		if s, ok := overrides[store.FoldName(a.Name)]; ok {
			Override(a, s)
		}
	}
}

// Override applies one account's dashboard settings to it.
func Override(a *config.Account, s store.AccountSettings) {
	sch := ScheduleOf(s.Schedule)
	if sch != (schedule.Config{}) {
		var own schedule.Config
		if a.Schedule != nil {
			own = *a.Schedule
		}
		merged := schedule.Merge(own, sch)
		a.Schedule = &merged
	}
	o := s.Activities
	if o.Always == nil && o.Include == nil && o.Exclude == nil && o.Random == "" {
		return
	}
	acts := config.Activities{}
	if a.Activities != nil {
		acts = *a.Activities
	}
	if o.Always != nil {
		acts.Always = o.Always
	}
	if o.Include != nil {
		acts.Include = o.Include
	}
	if o.Exclude != nil {
		acts.Exclude = o.Exclude
	}
	if o.Random != "" {
		acts.Random = o.Random
	}
	a.Activities = &acts
}

// ScheduleOf converts the store's copy of a schedule.
func ScheduleOf(s store.ScheduleSettings) schedule.Config {
	return schedule.Config{Interval: s.Interval, Hours: s.Hours, Days: s.Days, TimeZone: s.TimeZone, Cron: s.Cron, Spread: s.Spread}
}

// CheckOverride says whether an account's dashboard settings make a valid schedule and
// activity selection on top of the configuration, with the message of the first problem
// (the schedule's field errors name their field).
func CheckOverride(cfg *config.Config, a config.Account, s store.AccountSettings) error {
	if a.Schedule != nil {
		sch := *a.Schedule
		a.Schedule = &sch
	}
	if a.Activities != nil {
		acts := *a.Activities
		a.Activities = &acts
	}
	Override(&a, s)
	sp, err := cfg.Spec(&a)
	if err != nil {
		return err
	}
	if err := cfg.CheckInterval(sp); err != nil {
		return &schedule.FieldError{Field: "interval", Err: err}
	}
	_, err = selection(cfg, &a)
	return err
}

// applyStoredOverrides reads the dashboard's settings from st and applies them.
func applyStoredOverrides(ctx context.Context, cfg *config.Config, st store.Store) error {
	ov, err := st.AccountSettings(ctx)
	if err != nil {
		return fmt.Errorf("read the settings edited in the dashboard: %w", err)
	}
	ApplyOverrides(cfg, ov)
	return nil
}
