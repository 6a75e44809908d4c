package config

import (
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/notify/telegram"
	"github.com/e5renew/e5renew/internal/notify/webhook"
	"github.com/e5renew/e5renew/internal/schedule"
)

const daemonConfig = `language: en
defaults:
  timezone: Asia/Shanghai
  schedule:
    interval: 30m-2h
    hours: "09:00-12:00,14:00-18:00"
    days: mon-sat
daemon:
  listen: 127.0.0.1:9000
  concurrency: 4
  needs_owner_retry: never
  backoff: 1m-1h
  log_format: json
notifications:
  language: zh
  public_url: https://e5.example.com
  degraded_after: 5
  digest: "09:30"
  events: [needs_owner, recovered, digest]
  channels:
    - type: telegram
      token: ${TG_TOKEN}
      chat_id: "123456789"
    - type: webhook
      name: ops
      url: https://hooks.example.com/e5
accounts:
  - name: alice
    type: refresh_token
    client_id: 11111111-2222-3333-4444-555555555555
    refresh_token: rt
    timezone: Europe/Berlin
    notify: [ops]
    schedule:
      cron: "0 8-18 * * 1-6"
  - name: bob
    type: refresh_token
    client_id: 11111111-2222-3333-4444-555555555555
    refresh_token: rt
`

func TestDaemonScheduleAndNotificationSections(t *testing.T) {
	cfg, err := Parse("e5renew.yaml", []byte(daemonConfig), env(map[string]string{"TG_TOKEN": "123456:ABC-def_ghi"}))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.DaemonSettings()
	if s.Listen != "127.0.0.1:9000" || s.Concurrency != 4 || s.NeedsOwnerRetry != 0 || s.BackoffMin != time.Minute ||
		s.BackoffMax != time.Hour || s.LogFormat != "json" || s.DemoteAfter != DefaultDemoteAfter || s.ShutdownTimeout != DefaultShutdownTimeout {
		t.Errorf("daemon settings %+v", s)
	}
	if cfg.NotifyLang() != i18n.ZH || cfg.DegradedAfter() != 5 || !cfg.WantsEvent("digest") || cfg.WantsEvent("started") {
		t.Errorf("notifications: lang %s, degraded_after %d", cfg.NotifyLang(), cfg.DegradedAfter())
	}
	chs := cfg.Notifications.Channels
	if len(chs) != 2 || chs[0].Name != "telegram" || chs[1].Name != "ops" {
		t.Fatalf("channels %+v", chs)
	}
	tg, ok := chs[0].Settings.(*telegram.Config)
	if !ok || tg.Token.Reveal() != "123456:ABC-def_ghi" || tg.ChatID != "123456789" {
		t.Errorf("telegram settings %#v", chs[0].Settings)
	}
	if wh, ok := chs[1].Settings.(*webhook.Config); !ok || wh.URL.Reveal() != "https://hooks.example.com/e5" {
		t.Errorf("webhook settings %#v", chs[1].Settings)
	}

	alice, _ := cfg.Account("alice")
	bob, _ := cfg.Account("bob")
	// alice: her cron replaces the default interval; her own zone wins over the default.
	sa := cfg.EffectiveSchedule(alice)
	if sa.Cron != "0 8-18 * * 1-6" || sa.Interval != "" || sa.TimeZone != "Europe/Berlin" || sa.Days != "mon-sat" {
		t.Errorf("alice's schedule %+v", sa)
	}
	sb := cfg.EffectiveSchedule(bob)
	if sb.Interval != "30m-2h" || sb.TimeZone != "Asia/Shanghai" {
		t.Errorf("bob's schedule %+v", sb)
	}
	spec, err := cfg.Spec(bob)
	if err != nil || spec.Location().String() != "Asia/Shanghai" || spec.Interval().Min != 30*time.Minute {
		t.Errorf("bob's spec %v, %v", spec, err)
	}
	if len(alice.Notify) != 1 || alice.Notify[0] != "ops" {
		t.Errorf("alice notify %v", alice.Notify)
	}
}

func TestDaemonSectionErrors(t *testing.T) {
	base := `accounts:
  - name: alice
    type: refresh_token
    client_id: 11111111-2222-3333-4444-555555555555
    refresh_token: rt
`
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown channel type with a suggestion", "notifications:\n  channels:\n    - type: telegarm\n      token: x\n",
			[]string{"e5renew.yaml:3:", `unknown channel type "telegarm" (did you mean "telegram"?)`}},
		{"channel without a type", "notifications:\n  channels:\n    - chat_id: 1\n",
			[]string{"type is required", "telegram", "wecomrobot"}},
		{"unknown key in a channel's settings", "notifications:\n  channels:\n    - type: telegram\n      token: \"1:a\"\n      chat: 5\n",
			[]string{"e5renew.yaml:5:", `unknown key "chat"`, "chat_id"}},
		{"a channel's own validation", "notifications:\n  channels:\n    - type: telegram\n      token: \"1:a\"\n",
			[]string{"notifications.channels[0] (telegram)", "chat_id"}},
		{"two channels with one name", "notifications:\n  channels:\n    - type: slack\n      name: me\n      webhook_url: https://hooks.slack.com/services/T/B/C\n    - type: discord\n      name: ME\n      webhook_url: https://discord.com/api/webhooks/1/abc\n",
			[]string{`the name "ME" is already used by the channel on line 3`}},
		{"bad digest time", "notifications:\n  digest: 9am\n", []string{"notifications.digest", "HH:MM"}},
		{"unknown event", "notifications:\n  events: [needs_owner, everything]\n", []string{`unknown event "everything"`}},
		{"bad public URL", "notifications:\n  public_url: e5.example.com\n", []string{"notifications.public_url"}},
		{"bad listen", "daemon:\n  listen: 8355\n", []string{"daemon.listen", "127.0.0.1:8355"}},
		{"needs-owner retry too eager", "daemon:\n  needs_owner_retry: 5m\n", []string{"daemon.needs_owner_retry", "lock the account"}},
		{"bad backoff", "daemon:\n  backoff: 5m\n", []string{"daemon.backoff", "2m-6h"}},
		{"bad log format", "daemon:\n  log_format: xml\n", []string{"daemon.log_format", "text or json"}},
		{"bad schedule field", "defaults:\n  schedule:\n    hours: 9-17\n", []string{"defaults.schedule.hours", "09:00"}},
		{"seconds against Microsoft", "defaults:\n  schedule:\n    interval: 5s-20s\n", []string{"defaults.schedule.interval", "too short for Microsoft"}},
		{"both interval and cron", "defaults:\n  schedule:\n    interval: 1h\n    cron: \"0 9 * * *\"\n", []string{"either interval", "or cron"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("e5renew.yaml", []byte(c.yaml+base), env(nil))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	// An account naming a channel that does not exist.
	_, err := Parse("e5renew.yaml", []byte(base+"    notify: [phone]\n"), env(nil))
	if err == nil || !strings.Contains(err.Error(), `no channel is named "phone"`) {
		t.Errorf("unknown notify channel: %v", err)
	}
	// Seconds are fine against the emulated tenant.
	emu := "endpoints:\n  authority: http://127.0.0.1:8400\n  graph: http://127.0.0.1:8400\ndefaults:\n  schedule:\n    interval: 5s-20s\n"
	if _, err := Parse("e5renew.yaml", []byte(emu+base), env(nil)); err != nil {
		t.Errorf("seconds against the emulator: %v", err)
	}
}

func TestMarshalKeepsSchedules(t *testing.T) {
	cfg, err := Parse("e5renew.yaml", []byte(daemonConfig), env(map[string]string{"TG_TOKEN": "1:a"}))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Notifications = Notifications{} // channels are not written by Marshal
	b, err := cfg.Marshal("")
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("again.yaml", b, env(nil))
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	alice, _ := back.Account("alice")
	if back.Defaults.Schedule != cfg.Defaults.Schedule || alice.Schedule == nil || *alice.Schedule != (schedule.Config{Cron: "0 8-18 * * 1-6"}) {
		t.Errorf("schedules after a round trip: %+v, %+v\n%s", back.Defaults.Schedule, alice.Schedule, b)
	}
}
