package importer

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/e5renew/e5renew/internal/i18n"
)

// Office365Auto (SherlockFloyd/Office365Auto, index.py and updatetoken.py) reads its first
// account from the environment variables CLIENT_ID, CLIENT_SECRET and MS_TOKEN (the refresh
// token), filled from GitHub Actions secrets of the same names; further accounts use the
// suffixes _2, _3... (APP_NUM says how many). It signs in on /common with the secret.
var (
	// KEY=value, export KEY=value, set KEY=value, $env:KEY="value", KEY: value, - KEY: value
	reEnvLine = regexp.MustCompile(`^(?:-\s+)?(?:export\s+|set\s+|\$env:)?([A-Za-z_][A-Za-z0-9_]*)\s*([=:])\s*(.*)$`)
	reEnvKey  = regexp.MustCompile(`(?i)^(CLIENT_ID|CLIENT_SECRET|MS_TOKEN)(?:_([0-9]{1,4}))?$`)
)

// Other variables of Office365Auto's workflow, recognised and ignored.
var office365AutoOther = map[string]bool{
	"GH_TOKEN": true, "GH_REPO": true, "APP_NUM": true, "URL_WECHAT": true, "URL_BARK": true,
	"APPTOKEN": true, "TOPICIDS": true, "TOKEN_TELEGRAM": true, "CHAT_ID_TELEGRAM": true,
}

type envEntry struct {
	value     string
	line      int
	reference bool
}

type envGroup struct {
	n       int // 1 for the unsuffixed variables
	first   int
	entries map[string]envEntry // CLIENT_ID, CLIENT_SECRET, MS_TOKEN
}

type envState struct {
	groups map[int]*envGroup
}

func newEnvState() *envState { return &envState{groups: map[int]*envGroup{}} }

func envKeyName(base string, n int) string {
	if n <= 1 {
		return base
	}
	return base + "_" + strconv.Itoa(n)
}

// line handles one line when it is an Office365Auto variable; it reports whether it was.
func (e *envState) line(p *parser, ln int, s string) bool {
	m := reEnvLine.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	key := strings.ToUpper(m[1])
	km := reEnvKey.FindStringSubmatch(key)
	if km == nil {
		return office365AutoOther[key]
	}
	p.selfIdentified = true
	base := km[1]
	n := 1
	if km[2] != "" {
		n, _ = strconv.Atoi(km[2])
		if n < 1 {
			n = 1
		}
	}
	g := e.groups[n]
	if g == nil {
		g = &envGroup{n: n, first: ln, entries: map[string]envEntry{}}
		e.groups[n] = g
	}
	name := envKeyName(base, n)
	if prev, dup := g.entries[base]; dup {
		p.errorf(ln, FormatOffice365AutoEnv, i18n.Text{
			EN: "%s is set twice (lines %d and %d): keep the right one",
			ZH: "%s 设置了两次（第 %d 行和第 %d 行）：只保留正确的那一个",
		}, name, prev.line, ln)
		return true
	}
	value, ref := envValue(m[3])
	g.entries[base] = envEntry{value: value, line: ln, reference: ref}
	return true
}

// envValue reads a variable's value: quoted ("..." with escapes, '...' literal) or bare
// up to a # comment. ref is true for ${{ secrets.X }}, ${X} and $X references.
func envValue(raw string) (v string, ref bool) {
	v = strings.TrimSpace(raw)
	if strings.HasPrefix(v, "$") {
		return "", true
	}
	if v != "" && (v[0] == '"' || v[0] == '\'') {
		q := v[0]
		if k := strings.IndexByte(v[1:], q); k >= 0 {
			quoted := v[:k+2]
			if q == '"' {
				if u, err := strconv.Unquote(quoted); err == nil {
					return strings.TrimSpace(u), false
				}
			}
			return strings.TrimSpace(quoted[1 : len(quoted)-1]), false
		}
		return strings.TrimSpace(v[1:]), false
	}
	for _, c := range []string{" #", "\t#"} {
		if k := strings.Index(v, c); k >= 0 {
			v = v[:k]
		}
	}
	return strings.TrimSpace(v), false
}

// finish turns each group of variables into a candidate.
func (e *envState) finish(p *parser) {
	f := FormatOffice365AutoEnv
	ns := make([]int, 0, len(e.groups))
	for n := range e.groups {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	for _, n := range ns {
		g := e.groups[n]
		ok := true
		for _, base := range []string{"CLIENT_ID", "CLIENT_SECRET", "MS_TOKEN"} {
			ent, found := g.entries[base]
			name := envKeyName(base, n)
			switch {
			case !found:
				ok = false
				p.errorf(g.first, f, i18n.Text{
					EN: "%s is missing for this account: add it (%s)",
					ZH: "这个账号缺少 %s：请添加（%s）",
				}, name, envHint(base))
			case ent.reference:
				ok = false
				p.errorf(ent.line, f, i18n.Text{
					EN: "%s is a reference to a secret or variable, not its value, and GitHub never shows secret values: write the value itself (%s)",
					ZH: "%s 是对机密（secret）或变量的引用，不是它的值，而 GitHub 从不显示机密的值：请直接写出值本身（%s）",
				}, name, envHint(base))
			case ent.value == "":
				ok = false
				p.errorf(ent.line, f, i18n.Text{
					EN: "%s has no value: write it after the = (%s)",
					ZH: "%s 没有值：请把值写在 = 后面（%s）",
				}, name, envHint(base))
			}
		}
		id, sec, tokEnt := g.entries["CLIENT_ID"], g.entries["CLIENT_SECRET"], g.entries["MS_TOKEN"]
		if id.value != "" && !isGUID(id.value) {
			ok = false
			p.errorf(id.line, f, i18n.Text{
				EN: "%s is not a client id: use the app's Application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000",
				ZH: "%s 不是客户端 ID：请使用应用的“应用程序(客户端) ID”，即形如 00000000-0000-0000-0000-000000000000 的 GUID",
			}, envKeyName("CLIENT_ID", n))
		}
		if m, good := checkSecretValue(sec.value); !good {
			ok = false
			p.errorf(sec.line, f, i18n.Text{EN: "%s: %s", ZH: "%s：%s"}, envKeyName("CLIENT_SECRET", n), m)
		}
		if !ok {
			continue
		}
		tok := rcloneToken{RefreshToken: tokEnt.value}
		if strings.HasPrefix(tokEnt.value, "{") {
			// The whole JSON rclone printed instead of its refresh_token.
			t, parsed := parseToken(tokEnt.value)
			if !parsed {
				p.errorf(tokEnt.line, f, i18n.Text{
					EN: "%s starts like rclone's token JSON but is not complete JSON: write only the value of refresh_token (between its quotes)",
					ZH: "%s 开头像 rclone 的令牌 JSON，但不是完整的 JSON：请只写 refresh_token 的值（引号之间的部分）",
				}, envKeyName("MS_TOKEN", n))
				continue
			}
			tok = t
		}
		name := "office365auto"
		if n > 1 {
			name += "-" + strconv.Itoa(n)
		}
		key := envKeyName("CLIENT_ID", n)
		src := appSource{clientID: id.value, secret: sec.value, from: i18n.Text{EN: key, ZH: key}}
		p.refreshCandidate(f, tokEnt.line, g.first, tok, src, name, i18n.Text{})
	}
}

// envHint says what the variable base holds.
func envHint(base string) i18n.Text {
	switch base {
	case "CLIENT_ID":
		return i18n.Text{EN: "the app's Application (client) ID", ZH: "应用的“应用程序(客户端) ID”"}
	case "CLIENT_SECRET":
		return i18n.Text{EN: "the value of the app's client secret, not its ID", ZH: "应用客户端密码的“值”，不是“机密 ID”"}
	}
	return i18n.Text{
		EN: "the refresh token, the value of refresh_token in what `rclone authorize \"onedrive\" <client id> <client secret>` printed",
		ZH: "刷新令牌，即 `rclone authorize \"onedrive\" <客户端ID> <客户端密码>` 输出中 refresh_token 的值",
	}
}
