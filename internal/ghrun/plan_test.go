package ghrun

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/e5renew/e5renew/internal/notify/bark"
	"github.com/e5renew/e5renew/internal/notify/telegram"
	"github.com/e5renew/e5renew/internal/notify/wecomrobot"
	"github.com/e5renew/e5renew/internal/notify/wxpusher"
)

const (
	id1 = "11111111-1111-1111-1111-111111111111"
	id2 = "22222222-2222-2222-2222-222222222222"
)

func testEnv(t *testing.T, vars, secrets map[string]string) *Env {
	t.Helper()
	m := map[string]string{}
	for k, v := range vars {
		m[k] = v
	}
	if secrets != nil {
		b, _ := json.Marshal(secrets)
		m[EnvSecrets] = string(b)
	}
	var environ []string
	for k, v := range m {
		environ = append(environ, k+"="+v)
	}
	e, err := LoadEnv(func(k string) (string, bool) { v, ok := m[k]; return v, ok }, environ)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Numbered accounts follow Office365Auto's naming; one without its own CLIENT_ID or
// CLIENT_SECRET uses the first account's, and its own values win when it has them.
func TestBuildNumberedAccounts(t *testing.T) {
	e := testEnv(t, map[string]string{"MS_TOKEN": "rt-one", "CLIENT_ID": id1, "CLIENT_SECRET": "s1"},
		map[string]string{"MS_TOKEN_3": `{"access_token":"at","token_type":"Bearer","refresh_token":"rt-three","expiry":"2026-12-01T10:00:00+08:00"}`, "MS_TOKEN_2": "rt-two", "CLIENT_ID_3": id2, "CLIENT_SECRET_3": "s3", "TENANT_ID_3": "fabrikam.onmicrosoft.com"})
	p, err := Build(e, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p.Config.Accounts {
		got = append(got, a.Name+"|"+a.ClientID+"|"+a.ClientSecret.Reveal()+"|"+a.RefreshToken.Reveal()+"|"+a.Tenant)
	}
	want := []string{"MS_TOKEN|" + id1 + "|s1|rt-one|", "MS_TOKEN_2|" + id1 + "|s1|rt-two|", "MS_TOKEN_3|" + id2 + "|s3|rt-three|fabrikam.onmicrosoft.com"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("accounts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, n := range []string{"MS_TOKEN", "MS_TOKEN_2", "MS_TOKEN_3"} {
		if p.Targets[n] != (Target{Secret: n, Index: -1}) {
			t.Errorf("target of %s: %+v", n, p.Targets[n])
		}
	}
}

// Bad input gets an error that says what to fix and never quotes a secret.
func TestBuildErrors(t *testing.T) {
	for _, c := range []struct {
		name          string
		vars, secrets map[string]string
		want          string
	}{
		{"nothing", nil, nil, "add the repository secrets MS_TOKEN, CLIENT_ID and CLIENT_SECRET"},
		{"APP_NUM", map[string]string{"APP_NUM": "3"}, map[string]string{"MS_TOKEN": "rt-a", "CLIENT_ID": id1, "MS_TOKEN_2": "rt-b"}, "APP_NUM is 3 but MS_TOKEN_3 is not set"},
		{"APP_NUM junk", map[string]string{"APP_NUM": "two"}, map[string]string{"MS_TOKEN": "rt-a", "CLIENT_ID": id1}, `APP_NUM is "two"`},
		{"no client id", nil, map[string]string{"MS_TOKEN": "rt-a"}, "MS_TOKEN is set but CLIENT_ID is not"},
		{"client secret id", nil, map[string]string{"MS_TOKEN": "rt-a", "CLIENT_ID": id1, "CLIENT_SECRET": id2}, "the secret's ID"},
		{"half telegram", map[string]string{"telegram_token": "123:abc"}, map[string]string{"MS_TOKEN": "rt-a", "CLIENT_ID": id1}, "TELEGRAM_TOKEN is set but TELEGRAM_CHAT_ID is not"},
		{"half wxpusher", map[string]string{"UID": "UID_x"}, map[string]string{"MS_TOKEN": "rt-a", "CLIENT_ID": id1}, "UID is set but APPTOKEN is not"},
		{"accounts JSON", nil, map[string]string{SecretAccounts: `[{"name": "a", "client_id": "` + id1 + `", "refresh_token": "rt-a", "colour": "red"}]`}, "colour"},
		{"accounts not a list", nil, map[string]string{SecretAccounts: `{"name": "a"}`}, "expected a list of accounts"},
		{"duplicate name", nil, map[string]string{"MS_TOKEN": "rt-a", "CLIENT_ID": id1, SecretAccounts: `[{"name": "ms_token", "client_id": "` + id1 + `", "refresh_token": "rt-b"}]`}, "already used"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Build(testEnv(t, c.vars, c.secrets), "", t.TempDir())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			for _, s := range []string{"rt-a", "rt-b"} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("the error quotes a secret: %v", err)
				}
			}
		})
	}
	_, err := LoadEnv(func(k string) (string, bool) {
		if k == EnvSecrets {
			return `{"MS_TOKEN": "rt-secret"`, true
		}
		return "", false
	}, nil)
	if err == nil || !strings.Contains(err.Error(), "toJSON(secrets)") || strings.Contains(err.Error(), "rt-secret") {
		t.Fatalf("malformed E5RENEW_SECRETS: %v", err)
	}
}

// Office365Auto's notification variables, in the lower case its code reads, become
// channels with the same destinations.
func TestBuildOffice365AutoChannels(t *testing.T) {
	e := testEnv(t, map[string]string{"telegram_token": "123456:ABC-def", "telegram_chat_id": "-100123"},
		map[string]string{"MS_TOKEN": "rt", "CLIENT_ID": id1, "URL_WECHAT": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1",
			"URL_BARK": "https://api.day.app/devkey/", "APPTOKEN": "AT_x", "UID": "UID_a;UID_b", "URL": "https://wxpusher.example.org/api/send/message"})
	p, err := Build(e, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ch := map[string]any{}
	for _, c := range p.Config.Notifications.Channels {
		ch[c.Name] = c.Settings
	}
	if tg, ok := ch["telegram"].(*telegram.Config); !ok || tg.Token.Reveal() != "123456:ABC-def" || tg.ChatID != "-100123" {
		t.Errorf("telegram: %+v", ch["telegram"])
	}
	if wc, ok := ch["wecomrobot"].(*wecomrobot.Config); !ok || !strings.HasSuffix(wc.Key.Reveal(), "key=k1") {
		t.Errorf("wecom robot: %+v", ch["wecomrobot"])
	}
	if b, ok := ch["bark"].(*bark.Config); !ok || !strings.Contains(b.DeviceKey.Reveal(), "devkey") {
		t.Errorf("bark: %+v", ch["bark"])
	}
	if wx, ok := ch["wxpusher"].(*wxpusher.Config); !ok || wx.AppToken.Reveal() != "AT_x" || strings.Join(wx.UIDs, ",") != "UID_a,UID_b" ||
		wx.BaseURL != "https://wxpusher.example.org" {
		t.Errorf("wxpusher: %+v", ch["wxpusher"])
	}
}

// A settings file gives settings and may add accounts reading ${SECRET}: their rotated
// token goes back to the secret holding it; a token written in the file gets a warning.
func TestBuildSettingsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "e5renew.yaml")
	src := `defaults:
  activities:
    random: "3-5"
accounts:
  - name: bob
    type: refresh_token
    client_id: ` + id2 + `
    refresh_token: ${BOB_TOKEN}
  - name: carol
    type: refresh_token
    client_id: ` + id2 + `
    refresh_token: written-in-the-file
`
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	e := testEnv(t, nil, map[string]string{"MS_TOKEN": "rt", "CLIENT_ID": id1, "BOB_TOKEN": "rt-bob"})
	p, err := Build(e, path, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Config.Accounts) != 3 || p.Config.Defaults.Activities.Random != "3-5" || p.Config.DataDir != dir {
		t.Fatalf("config: %d accounts, random %q, data %q", len(p.Config.Accounts), p.Config.Defaults.Activities.Random, p.Config.DataDir)
	}
	if p.Targets["bob"] != (Target{Secret: "BOB_TOKEN", Index: -1}) {
		t.Fatalf("bob's target: %+v", p.Targets["bob"])
	}
	if _, ok := p.Targets["carol"]; ok || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "carol") || strings.Contains(p.Warnings[0], "written-in-the-file") {
		t.Fatalf("carol: %+v %q", p.Targets["carol"], p.Warnings)
	}
	// A missing file is no error: the secrets are enough.
	if _, err := Build(e, filepath.Join(dir, "none.yaml"), dir); err != nil {
		t.Fatal(err)
	}
}

func TestRewriteAccountsKeepsEverythingElse(t *testing.T) {
	raw := "- name: a\n  refresh_token: old-a\n  activities: {random: \"2\"}\n- name: b\n  refresh_token: old-b\n  disabled: true\n"
	got, err := rewriteAccounts(raw, map[int]string{1: "new-b"})
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"activities":{"random":"2"},"name":"a","refresh_token":"old-a"},{"disabled":true,"name":"b","refresh_token":"new-b"}]`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if _, err := rewriteAccounts("[{}]", map[int]string{3: "x"}); err == nil {
		t.Fatal("an index past the list was accepted")
	}
	if _, err := rewriteAccounts("{not: [a list", map[int]string{0: "x"}); err == nil || strings.Contains(err.Error(), "not: [") {
		t.Fatalf("broken secret: %v", err)
	}
}

func TestWorkflowCommandEscaping(t *testing.T) {
	if got := escapeData("50% done\r\nnext"); got != "50%25 done%0D%0Anext" {
		t.Fatal(got)
	}
	if got := escapeProperty("e5renew: a, b"); got != "e5renew%3A a%2C b" {
		t.Fatal(got)
	}
}

// The run's log names the channels made from the secrets, in the reader's language.
func TestChannelsAreListedApartFromAccounts(t *testing.T) {
	e := testEnv(t, nil, map[string]string{"MS_TOKEN": "rt", "CLIENT_ID": id1, "URL_BARK": "https://api.day.app/k"})
	p, err := Build(e, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Sources, ",") != "MS_TOKEN" || strings.Join(p.Channels, ",") != "bark" {
		t.Fatalf("sources %q, channels %q", p.Sources, p.Channels)
	}
}
