package ghrun

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/notify/bark"
	"github.com/e5renew/e5renew/internal/notify/telegram"
	"github.com/e5renew/e5renew/internal/notify/wecomrobot"
	"github.com/e5renew/e5renew/internal/notify/wxpusher"
	"github.com/e5renew/e5renew/internal/secret"
)

// Target is where an account's refresh token lives, so a rotated one is written back.
type Target struct {
	// Secret is the repository secret: MS_TOKEN_2, or SecretAccounts.
	Secret string
	// Index is the account's place in the SecretAccounts list; -1 when the secret is
	// the token itself.
	Index int
}

// Plan is what a run will do: the configuration built from the secrets (and a settings
// file, when the repository has one), and where each refresh token is written back.
type Plan struct {
	Config *config.Config
	// Targets maps an account name to its token's secret; refresh-token accounts only.
	Targets map[string]Target
	// Sources lists what the accounts were read from, for the log.
	Sources []string
	// Channels are the notification channels made from Office365Auto's variables.
	Channels []string
	// Warnings are problems that do not stop the run (an account whose rotated token
	// cannot be written back).
	Warnings []string

	accountsJSON string // SecretAccounts' value, rewritten when one of its tokens rotates
}

var (
	reMSToken = regexp.MustCompile(`^MS_TOKEN(?:_([0-9]{1,3}))?$`)
	// describeName is what the accounts of the environment are called in messages.
	describeName = "GitHub Actions secrets"
)

// Build reads the accounts and notification channels from env. settingsPath, when the
// file exists, is an e5renew.yaml committed to the repository for settings (activities,
// schedule, more channels, accounts reading ${SECRET} references); a path that does not
// exist is skipped. stateDir is where the run keeps its state (a fresh directory: the
// run has no database that outlives it).
func Build(env *Env, settingsPath, stateDir string) (*Plan, error) {
	p := &Plan{Targets: map[string]Target{}}
	cfg := &config.Config{Path: describeName}
	if settingsPath != "" {
		data, err := os.ReadFile(settingsPath)
		switch {
		case err == nil:
			c, err := config.Parse(settingsPath, data, env.Get)
			if err != nil {
				return nil, err
			}
			cfg = c
			p.Sources = append(p.Sources, settingsPath)
			for _, a := range cfg.Accounts {
				if a.Kind() != auth.KindRefreshToken || a.Disabled {
					continue
				}
				if s := env.SecretHolding(a.RefreshToken.Reveal()); s != "" {
					p.Targets[a.Name] = Target{Secret: s, Index: -1}
				} else {
					p.Warnings = append(p.Warnings, fmt.Sprintf("account %s (%s:%d): its refresh token is not the value of one repository secret, so a rotated token cannot be written back and the one in the file expires after 90 days; write refresh_token: ${A_SECRET} and keep the token in that secret", a.Name, settingsPath, a.Line))
				}
			}
		case errors.Is(err, os.ErrNotExist):
		default:
			return nil, fmt.Errorf("read the settings file: %w", err)
		}
	}
	cfg.DataDir = stateDir

	accts, err := p.office365Auto(env)
	if err != nil {
		return nil, err
	}
	cfg.Accounts = append(cfg.Accounts, accts...)
	accts, err = p.accountsSecret(env)
	if err != nil {
		return nil, err
	}
	cfg.Accounts = append(cfg.Accounts, accts...)
	if len(cfg.Accounts) == 0 {
		return nil, errors.New("no account: add the repository secrets MS_TOKEN, CLIENT_ID and CLIENT_SECRET (Office365Auto's), or " + SecretAccounts + " holding a JSON list of accounts, and pass them to e5renew in the workflow (E5RENEW_SECRETS: ${{ toJSON(secrets) }})")
	}
	if tz := env.Value("E5RENEW_TIMEZONE"); tz != "" && cfg.Defaults.TimeZone == "" {
		cfg.Defaults.TimeZone = tz
	}
	if l := env.Value("E5RENEW_LANG"); l != "" && cfg.Language == "" {
		cfg.Language = l
	}
	chans, err := office365AutoChannels(env)
	if err != nil {
		return nil, err
	}
	for _, ch := range chans {
		dup := false
		for _, have := range cfg.Notifications.Channels {
			dup = dup || strings.EqualFold(have.Name, ch.Name)
		}
		if !dup {
			cfg.Notifications.Channels = append(cfg.Notifications.Channels, ch)
			p.Channels = append(p.Channels, ch.Name)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p.Config = cfg
	return p, nil
}

// office365Auto reads Office365Auto's secrets: MS_TOKEN, CLIENT_ID, CLIENT_SECRET for the
// first account and the same names with _2, _3... for more (APP_NUM, when set, says how
// many). A numbered account without its own CLIENT_ID or CLIENT_SECRET uses the first
// account's (one multi-tenant app for several users). TENANT_ID (or TENANT) picks the
// tenant; the default is /common, as Office365Auto signs in.
func (p *Plan) office365Auto(env *Env) ([]config.Account, error) {
	names := env.Matching(reMSToken)
	sort.Slice(names, func(i, j int) bool { return tokenIndex(names[i]) < tokenIndex(names[j]) })
	if v := env.Value("APP_NUM"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("APP_NUM is %q: it must be the number of accounts, 1 or more", v)
		}
		var missing []string
		for i := 1; i <= n; i++ {
			name := suffixed("MS_TOKEN", i)
			if env.Value(name) == "" {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("APP_NUM is %d but %s %s not set: add the secret, or lower APP_NUM", n, strings.Join(missing, ", "), map[bool]string{true: "is", false: "are"}[len(missing) == 1])
		}
	}
	var out []config.Account
	for _, name := range names {
		i := tokenIndex(name)
		get := func(base string, alt ...string) string {
			for _, b := range append([]string{base}, alt...) {
				if v := env.Value(suffixed(b, i)); v != "" {
					return v
				}
			}
			if i > 1 {
				for _, b := range append([]string{base}, alt...) {
					if v := env.Value(b); v != "" {
						return v
					}
				}
			}
			return ""
		}
		a := config.Account{Name: name, Type: string(auth.KindRefreshToken), RefreshToken: secret.String(refreshToken(env.Value(name))),
			ClientID: get("CLIENT_ID"), ClientSecret: secret.String(get("CLIENT_SECRET")), Tenant: get("TENANT_ID", "TENANT")}
		if a.ClientID == "" {
			return nil, fmt.Errorf("%s is set but %s is not: add the secret %s (the app's Application (client) ID)", name, suffixed("CLIENT_ID", i), suffixed("CLIENT_ID", i))
		}
		out = append(out, a)
		p.Targets[name] = Target{Secret: name, Index: -1}
		p.Sources = append(p.Sources, name)
	}
	return out, nil
}

// refreshToken is a secret's refresh token: the value itself, or the refresh_token of the
// whole JSON `rclone authorize` printed, pasted as it was.
func refreshToken(v string) string {
	if strings.HasPrefix(v, "{") {
		var j struct {
			RefreshToken string `json:"refresh_token"`
		}
		if json.Unmarshal([]byte(v), &j) == nil && j.RefreshToken != "" {
			return j.RefreshToken
		}
	}
	return v
}

func tokenIndex(name string) int {
	m := reMSToken.FindStringSubmatch(name)
	if m == nil || m[1] == "" {
		return 1
	}
	n, _ := strconv.Atoi(m[1])
	return max(n, 1)
}

func suffixed(base string, i int) string {
	if i <= 1 {
		return base
	}
	return base + "_" + strconv.Itoa(i)
}

// accountsSecret reads SecretAccounts: a JSON list of accounts with the keys of the
// configuration file's accounts.
func (p *Plan) accountsSecret(env *Env) ([]config.Account, error) {
	raw := env.Value(SecretAccounts)
	if raw == "" {
		return nil, nil
	}
	accts, err := config.ParseAccounts("secret "+SecretAccounts, []byte(raw), nil)
	if err != nil {
		return nil, err
	}
	p.accountsJSON = raw
	for i, a := range accts {
		if a.Kind() == auth.KindRefreshToken {
			p.Targets[a.Name] = Target{Secret: SecretAccounts, Index: i}
		}
	}
	p.Sources = append(p.Sources, fmt.Sprintf("%s (%d accounts)", SecretAccounts, len(accts)))
	return accts, nil
}

// office365AutoChannels builds the notification channels Office365Auto's variables
// describe: telegram_token and telegram_chat_id, url_wechat (a WeChat Work group robot's
// webhook), url_bark (a Bark push URL), and appToken, UID (and url, the API address) for
// WxPusher. Half a pair is an error that names the missing half.
func office365AutoChannels(env *Env) ([]config.Channel, error) {
	var out []config.Channel
	pair := func(a, b string) (string, string, error) {
		va, vb := env.Value(a), env.Value(b)
		if (va == "") != (vb == "") {
			set, unset := a, b
			if va == "" {
				set, unset = b, a
			}
			return "", "", fmt.Errorf("%s is set but %s is not: set both (as repository secrets), or neither", set, unset)
		}
		return va, vb, nil
	}
	tgToken, tgChat, err := pair(first(env, "TELEGRAM_TOKEN", "TOKEN_TELEGRAM"), first(env, "TELEGRAM_CHAT_ID", "CHAT_ID_TELEGRAM"))
	if err != nil {
		return nil, err
	}
	if tgToken != "" {
		out = append(out, config.Channel{Type: telegram.Type, Name: telegram.Type, Settings: &telegram.Config{Token: secret.String(tgToken), ChatID: tgChat}})
	}
	if v := env.Value("URL_WECHAT"); v != "" {
		out = append(out, config.Channel{Type: wecomrobot.Type, Name: wecomrobot.Type, Settings: &wecomrobot.Config{Key: secret.String(v)}})
	}
	if v := env.Value("URL_BARK"); v != "" {
		out = append(out, config.Channel{Type: bark.Type, Name: bark.Type, Settings: &bark.Config{DeviceKey: secret.String(v)}})
	}
	appToken, uid, err := pair("APPTOKEN", "UID")
	if err != nil {
		return nil, err
	}
	if appToken != "" {
		c := wxpusher.Office365Auto(appToken, uid)
		if u := env.Value("URL"); strings.Contains(u, "://") {
			scheme, rest, _ := strings.Cut(u, "://")
			host, _, _ := strings.Cut(rest, "/")
			c.BaseURL = scheme + "://" + host
		}
		out = append(out, config.Channel{Type: wxpusher.Type, Name: wxpusher.Type, Settings: &c})
	}
	for i := range out {
		if err := out[i].Settings.Validate(); err != nil {
			return nil, fmt.Errorf("notification channel %s from the repository secrets: %w", out[i].Name, err)
		}
	}
	return out, nil
}

// first returns the first of names that is set, or the first name (so that a message
// about a missing value names the preferred spelling).
func first(env *Env, names ...string) string {
	for _, n := range names {
		if env.Value(n) != "" {
			return n
		}
	}
	return names[0]
}
