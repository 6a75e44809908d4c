package web

import (
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/fleet"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/round"
	"github.com/e5renew/e5renew/internal/schedule"
	"github.com/e5renew/e5renew/internal/store"
)

// The settings form's fields, named as the configuration file's keys (schedule.FieldError
// names its fields so too).
var (
	scheduleFields = []string{"interval", "hours", "days", "timezone", "cron", "spread"}
	activityFields = []string{"always", "include", "exclude", "random"}
)

// settingsField is one input of the settings form.
type settingsField struct {
	// Name is the form field and configuration key; Label its text.
	Name, Label string
	// Value is what the dashboard sets (or what was typed, when the form comes back with
	// an error); empty means the file's value applies.
	Value string
	// File is the value the configuration file (or its defaults) gives; Hint says so.
	File, Hint string
	// Error says what is wrong with Value.
	Error string
}

type settingsData struct {
	Name                 string
	Schedule, Activities []settingsField
	// Overridden is set when the dashboard overrides some of the file's settings.
	Overridden bool
	Updated    string
}

// listSeparator splits lists typed in the form: spaces and commas, Chinese ones too.
func listSeparator(r rune) bool {
	return r == ',' || r == '，' || r == '、' || r == ';' || unicode.IsSpace(r)
}

// emptyList is what the form shows, and reads, for a list set to nothing ("always: []").
const emptyList = "-"

// parseList reads a list typed in the form: empty is nil (the file's list applies), "-" an
// empty list, anything else the names split on spaces and commas.
func parseList(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if s == emptyList {
		return []string{}
	}
	l := strings.FieldsFunc(s, listSeparator)
	if len(l) == 0 {
		return nil
	}
	return l
}

// listText is the form's text of a stored list.
func listText(l []string) string {
	if l == nil {
		return ""
	}
	if len(l) == 0 {
		return emptyList
	}
	return strings.Join(l, ", ")
}

// settingsOf reads the settings form.
func settingsOf(r *http.Request) store.AccountSettings {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return store.AccountSettings{
		Schedule: store.ScheduleSettings{Interval: v("interval"), Hours: v("hours"), Days: v("days"), TimeZone: v("timezone"),
			Cron: v("cron"), Spread: v("spread")},
		Activities: store.ActivitySettings{Always: parseList(v("always")), Include: parseList(v("include")),
			Exclude: parseList(v("exclude")), Random: v("random")},
	}
}

// settingValues are a settings' fields as the form shows them.
func settingValues(st store.AccountSettings) map[string]string {
	return map[string]string{
		"interval": st.Schedule.Interval, "hours": st.Schedule.Hours, "days": st.Schedule.Days, "timezone": st.Schedule.TimeZone,
		"cron": st.Schedule.Cron, "spread": st.Schedule.Spread,
		"always": listText(st.Activities.Always), "include": listText(st.Activities.Include),
		"exclude": listText(st.Activities.Exclude), "random": st.Activities.Random,
	}
}

func isEmpty(st store.AccountSettings) bool {
	return st.Schedule == (store.ScheduleSettings{}) && st.Activities.Always == nil && st.Activities.Include == nil &&
		st.Activities.Exclude == nil && st.Activities.Random == ""
}

// sameSettings compares what two settings set (not when).
func sameSettings(a, b store.AccountSettings) bool {
	a.Account, a.Updated = "", time.Time{}
	b.Account, b.Updated = "", time.Time{}
	return reflect.DeepEqual(a, b)
}

// fileAccount returns the account as the configuration file has it, without the settings
// the dashboard overrides: the running configuration has them merged in (and keeps the
// previous ones until the daemon reloads). An account e5renew added itself has no
// schedule or activities of its own; one of the file is read again from the file (what
// the daemon's next reload reads too) or, when the file cannot be read, taken as running.
func (s *Server) fileAccount(cfg *config.Config, a *config.Account) config.Account {
	base := *a
	if a.Managed {
		base.Schedule, base.Activities = nil, nil
		return base
	}
	file, err := config.Load(cfg.Path)
	if err != nil {
		s.o.Logger.Warn("dashboard: the configuration file cannot be read: its settings are taken as running",
			"path", cfg.Path, "err", err)
		return base
	}
	if fa, ok := file.Account(a.Name); ok {
		base.Schedule, base.Activities = fa.Schedule, fa.Activities
	}
	return base
}

// fileValues describes the file's effective settings of an account: its own, else the
// defaults', else e5renew's.
func fileValues(lang i18n.Lang, cfg *config.Config, a *config.Account) map[string]string {
	sch := cfg.EffectiveSchedule(a)
	acts := cfg.EffectiveActivities(a)
	cronOn := sch.Cron != "" && !strings.EqualFold(strings.TrimSpace(sch.Cron), "off")
	or := func(v, dflt string) string {
		if strings.TrimSpace(v) != "" {
			return v
		}
		return dflt
	}
	interval := or(sch.Interval, T(lang, "set.default", schedule.DefaultInterval))
	if cronOn && sch.Interval == "" {
		interval = T(lang, "set.bycron")
	}
	spread := or(sch.Spread, T(lang, "set.default", schedule.DefaultSpread.String()))
	if !cronOn && sch.Spread == "" {
		spread = T(lang, "set.cronly")
	}
	always := listText(acts.Always)
	if acts.Always == nil {
		always = T(lang, "set.default", strings.Join(round.DefaultSelection().Always, ", "))
	} else if len(acts.Always) == 0 {
		always = T(lang, "set.nothing")
	}
	include := listText(acts.Include)
	if len(acts.Include) == 0 {
		include = T(lang, "set.all")
	}
	exclude := listText(acts.Exclude)
	if len(acts.Exclude) == 0 {
		exclude = T(lang, "set.nothing")
	}
	d := round.DefaultSelection()
	return map[string]string{
		"interval": interval,
		"hours":    or(sch.Hours, T(lang, "set.allday")),
		"days":     or(sch.Days, T(lang, "set.everyday")),
		"timezone": or(sch.TimeZone, T(lang, "set.local", time.Local.String())),
		"cron":     or(sch.Cron, T(lang, "set.off")),
		"spread":   spread,
		"always":   always,
		"include":  include,
		"exclude":  exclude,
		"random":   or(acts.Random, T(lang, "set.default", rangeText(d.RandomMin, d.RandomMax))),
	}
}

func rangeText(lo, hi int) string {
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return strconv.Itoa(lo) + "-" + strconv.Itoa(hi)
}

// settingsForm builds the form of an account: values typed or stored, the file's values
// and the problems found.
func settingsForm(lang i18n.Lang, name string, values, file, problems map[string]string) settingsData {
	field := func(k string) settingsField {
		return settingsField{Name: k, Label: T(lang, "set."+k), Value: values[k], File: file[k], Hint: T(lang, "set.file", file[k]),
			Error: problems[k]}
	}
	d := settingsData{Name: name}
	for _, k := range scheduleFields {
		d.Schedule = append(d.Schedule, field(k))
	}
	for _, k := range activityFields {
		d.Activities = append(d.Activities, field(k))
	}
	return d
}

// storedSettings returns the dashboard's settings of an account, and whether it has any.
func (s *Server) storedSettings(r *http.Request, name string) (store.AccountSettings, bool, error) {
	all, err := s.o.Store.AccountSettings(r.Context())
	if err != nil {
		return store.AccountSettings{}, false, err
	}
	st, ok := all[store.FoldName(name)]
	return st, ok, nil
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, p *page) {
	cfg, a, ok := s.findAccount(w, r, p)
	if !ok {
		return
	}
	stored, has, err := s.storedSettings(r, a.Name)
	if err != nil {
		s.fail(w, p, err)
		return
	}
	base := s.fileAccount(cfg, a)
	data := settingsForm(p.Lang, a.Name, settingValues(stored), fileValues(p.Lang, cfg, &base), nil)
	data.Overridden = has && !isEmpty(stored)
	if has && !stored.Updated.IsZero() {
		data.Updated = stored.Updated.In(cfg.Location(a)).Format("2006-01-02 15:04")
	}
	p.Title, p.Data = p.T("set.title", a.Name), data
	s.render(w, "settings", p)
}

// checkSettings validates settings on top of the file's account with the same check the
// daemon's reload makes (fleet.CheckOverride), and returns the problems by field ("" for
// one that names none).
func checkSettings(cfg *config.Config, base config.Account, set store.AccountSettings) map[string]string {
	err := fleet.CheckOverride(cfg, base, set)
	if err == nil {
		return nil
	}
	problems := map[string]string{}
	var walk func(error)
	walk = func(e error) {
		var fe *schedule.FieldError
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if errors.As(e, &fe) {
			if _, seen := problems[fe.Field]; !seen {
				problems[fe.Field] = fe.Err.Error()
			}
		}
	}
	walk(err)
	if len(problems) > 0 {
		// The schedule failed first: check the activities on their own too, so every
		// problem shows at once.
		if err = fleet.CheckOverride(cfg, base, store.AccountSettings{Activities: set.Activities}); err == nil {
			return problems
		}
	}
	// The activity selection: find the field by checking each one alone.
	acts := set.Activities
	if acts.Random != "" {
		if _, _, err := config.ParseIntRange(acts.Random); err != nil {
			problems["random"] = err.Error()
		}
	}
	for _, f := range []struct {
		name string
		list []string
	}{{"always", acts.Always}, {"include", acts.Include}, {"exclude", acts.Exclude}} {
		if f.list == nil {
			continue
		}
		one := store.AccountSettings{}
		switch f.name {
		case "always":
			one.Activities.Always = f.list
		case "include":
			one.Activities.Include = f.list
		case "exclude":
			one.Activities.Exclude = f.list
		}
		if e := fleet.CheckOverride(cfg, base, one); e != nil {
			problems[f.name] = activityProblem(f.name, e)
		}
	}
	if len(problems) == 0 {
		problems[""] = err.Error()
	}
	return problems
}

// activityProblem is the selection's message about one list, without where the
// configuration file would have it ("e5renew.yaml: account x: activities: always: ...").
func activityProblem(field string, err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "activities: "); i >= 0 {
		msg = msg[i+len("activities: "):]
	}
	return strings.TrimPrefix(msg, field+": ")
}

func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request, p *page) {
	cfg, a, ok := s.findAccount(w, r, p)
	if !ok {
		return
	}
	stored, has, err := s.storedSettings(r, a.Name)
	if err != nil {
		s.fail(w, p, err)
		return
	}
	base := s.fileAccount(cfg, a)
	set := settingsOf(r)
	if problems := checkSettings(cfg, base, set); len(problems) > 0 {
		// Nothing is saved; the form comes back as typed, each problem by its field.
		var names []string
		for _, k := range append(append([]string{}, scheduleFields...), activityFields...) {
			if _, bad := problems[k]; bad {
				names = append(names, T(p.Lang, "set.fieldname", T(p.Lang, "field."+k), k))
			}
		}
		if msg, ok := problems[""]; ok {
			names = append(names, msg)
		}
		values := map[string]string{}
		for _, k := range append(append([]string{}, scheduleFields...), activityFields...) {
			values[k] = r.PostFormValue(k)
		}
		data := settingsForm(p.Lang, a.Name, values, fileValues(p.Lang, cfg, &base), problems)
		data.Overridden = has && !isEmpty(stored)
		p.Error = p.T("set.invalid", strings.Join(names, p.T("list.sep")))
		p.Title, p.Data = p.T("set.title", a.Name), data
		w.WriteHeader(http.StatusUnprocessableEntity)
		s.render(w, "settings", p)
		return
	}
	to := "/accounts/" + a.Name + "/settings"
	if (has && sameSettings(stored, set)) || (!has && isEmpty(set)) {
		redirect(w, r, to, "done", p.T("set.unchanged"))
		return
	}
	if isEmpty(set) {
		err = s.o.Store.DeleteAccountSettings(r.Context(), a.Name)
	} else {
		err = s.o.Store.SaveAccountSettings(r.Context(), a.Name, set)
	}
	if err != nil {
		redirect(w, r, to, "err", err.Error())
		return
	}
	if err := s.accountsChanged(r, a.Name, summarizeSettings(set)); err != nil {
		redirect(w, r, to, "err", p.T("set.notold", err.Error()))
		return
	}
	redirect(w, r, to, "done", p.T("set.saved"))
}

func (s *Server) resetSettings(w http.ResponseWriter, r *http.Request, p *page) {
	_, a, ok := s.findAccount(w, r, p)
	if !ok {
		return
	}
	to := "/accounts/" + a.Name + "/settings"
	if err := s.o.Store.DeleteAccountSettings(r.Context(), a.Name); err != nil {
		redirect(w, r, to, "err", err.Error())
		return
	}
	if err := s.accountsChanged(r, a.Name, "reset to the file's settings"); err != nil {
		redirect(w, r, to, "err", p.T("set.notold", err.Error()))
		return
	}
	redirect(w, r, to, "done", p.T("set.wasreset"))
}

// accountsChanged records that the owner changed an account's settings: the running
// daemon follows the store's changes and reloads its accounts, applying them.
func (s *Server) accountsChanged(r *http.Request, name, message string) error {
	if err := s.o.Store.RecordChange(r.Context(), &store.StateChange{Account: name, At: s.o.Now(), Kind: store.ChangeAccounts,
		Reason: "settings", Message: message, By: "owner"}); err != nil {
		return err
	}
	s.reload(r.Context())
	return nil
}

// summarizeSettings lists what settings set, as the configuration file would write it,
// for the account's history.
func summarizeSettings(set store.AccountSettings) string {
	v := settingValues(set)
	var parts []string
	for _, k := range append(append([]string{}, scheduleFields...), activityFields...) {
		if v[k] != "" {
			parts = append(parts, k+": "+v[k])
		}
	}
	if len(parts) == 0 {
		return "the file's settings"
	}
	return strings.Join(parts, "; ")
}
