// Package importer turns what users of other E5 renewal tools already have into e5renew
// account candidates: the output of `rclone authorize "onedrive"`, an rclone.conf,
// Office365Auto's secrets (CLIENT_ID, CLIENT_SECRET, MS_TOKEN), a Renew Plus style
// Account.txt and an iyear/E5SubBot JSON export. See FORMATS.md for each format.
//
// Parsing is pure: no network, no files, no environment. Every bad line or entry is
// reported as a LineError with its line number and a message that says what to fix; one
// bad entry never stops the others. Messages never quote the input (so never a secret):
// they point at lines and fields instead. Messages and notes are in English and Chinese
// (i18n.Text); LineError.Message and Candidate.Note pick one.
package importer

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/secret"
)

// Format names an input format.
type Format string

// The accepted formats.
const (
	FormatRcloneAuthorize  Format = "rclone-authorize"
	FormatRcloneConf       Format = "rclone-conf"
	FormatOffice365AutoEnv Format = "office365auto-env"
	FormatAccountTxt       Format = "account-txt"
	FormatE5SubBotJSON     Format = "e5subbot-json"
)

// Formats lists the accepted formats in the order they are documented.
var Formats = []Format{FormatRcloneAuthorize, FormatRcloneConf, FormatOffice365AutoEnv, FormatAccountTxt, FormatE5SubBotJSON}

// Account types, as config.Account.Type spells them.
const (
	TypeRefreshToken      = "refresh_token"
	TypeClientCredentials = "client_credentials"
	TypePassword          = "password"
)

// RcloneDefaultClientID is the client id of rclone's own OneDrive app, used by
// `rclone authorize "onedrive"` without a client id and by rclone.conf remotes without
// client_id (rclone backend/onedrive/onedrive.go, rcloneClientID). Its tokens only carry
// OneDrive file permissions and can only be refreshed with rclone's own secret, so
// e5renew cannot use them.
const RcloneDefaultClientID = "b15665d9-eda6-4092-8539-0eec376afd59"

// Candidate is one account found in the input, ready to become a config.Account once the
// caller has checked it (and, for client_credentials, asked for User).
type Candidate struct {
	// Line is the 1-based line where the account starts in the input.
	Line   int
	Format Format
	// Name is a suggested account name, valid for the configuration and unique (case
	// insensitive) within one Parse result.
	Name string
	// Type is refresh_token, client_credentials or password.
	Type     string
	Tenant   string
	ClientID string
	// User is the mailbox an application (client_credentials) account works on. The
	// formats rarely say it: when empty the caller must ask for it (a UPN such as
	// alice@contoso.onmicrosoft.com).
	User string
	// Username is the sign-in name of a password account.
	Username     string
	ClientSecret secret.String
	RefreshToken secret.String
	Password     secret.String
	// NoteText says, in both languages and already formatted, where the account came from
	// and what the caller should still check or ask (empty when there is nothing to say);
	// it never holds a secret. Note picks one language.
	NoteText i18n.Text
}

// Note returns the candidate's note in lang ("" when there is none).
func (c Candidate) Note(lang i18n.Lang) string { return c.NoteText.In(lang) }

// Account converts the candidate to a configuration account (Comment holds the English
// note).
func (c Candidate) Account() config.Account {
	comment := fmt.Sprintf("Imported from %s (line %d).", c.Format, c.Line)
	if n := c.Note(i18n.EN); n != "" {
		comment += " " + n
	}
	return config.Account{
		Name:         c.Name,
		Type:         c.Type,
		Tenant:       c.Tenant,
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		RefreshToken: c.RefreshToken,
		Username:     c.Username,
		Password:     c.Password,
		User:         c.User,
		Comment:      comment,
	}
}

// LineError is a problem with one line or entry of the input. Text says what is wrong and
// what to do, in English and Chinese; it never contains any text of the input.
type LineError struct {
	Line   int
	Format Format // empty when the format could not be told
	// Text is the message in both languages, already formatted: use Message, not
	// Text.In with arguments.
	Text i18n.Text
}

// Message returns the message in lang (English for anything that is not Chinese).
func (e LineError) Message(lang i18n.Lang) string { return e.Text.In(lang) }

// Error is the English message with the line and format.
func (e LineError) Error() string {
	if e.Format == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message(i18n.EN))
	}
	return fmt.Sprintf("line %d (%s): %s", e.Line, e.Format, e.Message(i18n.EN))
}

// render formats t with args in each language. An argument that is an i18n.Text (an
// already formatted message) is put in the same language; other arguments are the same
// in both. A language t lacks stays empty (Message then falls back to English), so that
// tests see the missing translation.
func render(t i18n.Text, args ...any) i18n.Text {
	in := func(lang i18n.Lang) string {
		if lang == i18n.ZH && t.ZH == "" || t.EN == "" {
			return ""
		}
		if len(args) == 0 {
			return t.In(lang)
		}
		a := make([]any, len(args))
		for i, x := range args {
			if tx, ok := x.(i18n.Text); ok {
				x = tx.In(lang)
			}
			a[i] = x
		}
		return t.In(lang, a...)
	}
	return i18n.Text{EN: in(i18n.EN), ZH: in(i18n.ZH)}
}

// joinNotes joins the non-empty notes: with spaces in English, directly in Chinese (its
// sentences end with a full-width stop).
func joinNotes(notes ...i18n.Text) i18n.Text {
	var en, zh []string
	for _, n := range notes {
		if n.EN != "" {
			en = append(en, n.EN)
		}
		if n.ZH != "" {
			zh = append(zh, n.ZH)
		}
	}
	return i18n.Text{EN: strings.Join(en, " "), ZH: strings.Join(zh, "")}
}

// Options supply what the input may not say.
type Options struct {
	// ClientID (and ClientSecret) of the app given to `rclone authorize "onedrive" <client
	// id> <client secret>`, for a pasted token that does not say which app it belongs to.
	// The input wins when it names the app (the rclone command line, the token itself).
	ClientID     string
	ClientSecret secret.String
}

// Parse detects the format(s) of data and returns the accounts it holds and the problems
// found. It is ParseWith without options: a pasted rclone token that does not say which
// app it was issued to is reported as a LineError asking for --client-id.
func Parse(data []byte) ([]Candidate, []LineError) {
	return ParseWith(data, Options{})
}

// ParseWith is Parse with options.
func ParseWith(data []byte, opts Options) ([]Candidate, []LineError) {
	text := decodeText(data)
	p := &parser{opts: opts, text: text, lines: strings.Split(text, "\n")}
	for i, l := range p.lines {
		p.lines[i] = strings.TrimSuffix(l, "\r")
	}
	start := 0
	if handled, next := p.parseJSON(); handled {
		start = next
	}
	if start < len(p.lines) {
		p.scanLines(start)
	}
	if len(p.cands) == 0 && len(p.errs) == 0 {
		p.errs = append(p.errs, LineError{Line: 1, Text: p.nothingFound()})
	}
	sort.SliceStable(p.cands, func(i, j int) bool { return p.cands[i].Line < p.cands[j].Line })
	sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
	assignNames(p.cands)
	return p.cands, p.errs
}

type parser struct {
	opts  Options
	text  string
	lines []string
	cands []Candidate
	errs  []LineError

	// selfIdentified is set once a format that names itself (JSON, rclone output or
	// configuration, Office365Auto variables) was seen; lines nothing claims are then
	// noise unless they look like an Account.txt account.
	selfIdentified bool
	// sawConf counts rclone.conf sections of any type.
	sawConf int
	// newlines holds the offsets of the newlines in text (built by lineAt).
	newlines []int
}

// errorf reports a problem at line; t is formatted with args in both languages (see render).
func (p *parser) errorf(line int, f Format, t i18n.Text, args ...any) {
	p.errs = append(p.errs, LineError{Line: line, Format: f, Text: render(t, args...)})
}

func (p *parser) add(c Candidate) { p.cands = append(p.cands, c) }

func (p *parser) nothingFound() i18n.Text {
	if p.sawConf > 0 {
		return i18n.Text{
			EN: "this rclone configuration has no onedrive remote: e5renew imports only `type = onedrive` remotes (made with your own app's client id and secret)",
			ZH: "此 rclone 配置中没有 onedrive 远程（remote）：e5renew 只导入 `type = onedrive` 的远程（且须是用你自己应用的客户端 ID 和客户端密码创建的）",
		}
	}
	return render(i18n.Text{
		EN: "found no account in a known format. Accepted: %s",
		ZH: "没有找到任何已知格式的账号。支持的格式：%s",
	}, acceptedFormats)
}

// acceptedFormats lists the formats for messages.
var acceptedFormats = i18n.Text{
	EN: "(1) rclone-authorize: what `rclone authorize \"onedrive\" <client id> <client secret>` printed, the {\"access_token\":...,\"refresh_token\":...} line; " +
		"(2) rclone-conf: an rclone.conf with [remote] sections of type = onedrive; " +
		"(3) office365auto-env: CLIENT_ID=..., CLIENT_SECRET=..., MS_TOKEN=... lines; " +
		"(4) account-txt: one account per line, either user, password, client id or tenant, client id, client secret, separated by spaces, tabs, commas or ----; " +
		"(5) e5subbot-json: the JSON file E5SubBot's /export sends. The README (Importing what you already have) shows each with an example",
	ZH: "(1) rclone-authorize：`rclone authorize \"onedrive\" <客户端ID> <客户端密码>` 输出的内容，即 {\"access_token\":...,\"refresh_token\":...} 那一行；" +
		"(2) rclone-conf：含有 type = onedrive 的 [remote] 段的 rclone.conf；" +
		"(3) office365auto-env：CLIENT_ID=...、CLIENT_SECRET=...、MS_TOKEN=... 这几行；" +
		"(4) account-txt：每行一个账号，内容为“用户, 密码, 客户端 ID”或“租户, 客户端 ID, 客户端密码”，用空格、Tab、逗号或 ---- 分隔；" +
		"(5) e5subbot-json：E5SubBot 的 /export 命令发来的 JSON 文件。各格式示例见 README（导入已有的内容）",
}

// decodeText returns data as UTF-8 without a byte order mark; UTF-16 (what Windows
// Notepad saves as "Unicode") is converted.
func decodeText(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		le := data[0] == 0xFF
		data = data[2:]
		u := make([]uint16, 0, len(data)/2)
		for i := 0; i+1 < len(data); i += 2 {
			if le {
				u = append(u, uint16(data[i])|uint16(data[i+1])<<8)
			} else {
				u = append(u, uint16(data[i])<<8|uint16(data[i+1]))
			}
		}
		return string(utf16.Decode(u))
	}
	if !utf8.Valid(data) {
		return strings.ToValidUTF8(string(data), "\uFFFD")
	}
	return string(data)
}

// lineAt returns the 1-based line of byte offset off in p.text.
func (p *parser) lineAt(off int64) int {
	if off < 0 {
		off = 0
	}
	if off > int64(len(p.text)) {
		off = int64(len(p.text))
	}
	if p.newlines == nil {
		p.newlines = []int{}
		for i := 0; i < len(p.text); i++ {
			if p.text[i] == '\n' {
				p.newlines = append(p.newlines, i)
			}
		}
	}
	// The number of newlines before off, plus one.
	return sort.SearchInts(p.newlines, int(off)) + 1
}

var (
	reGUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// A UPN or mail address: local@domain with a dotted domain whose last label is letters.
	reUPN = regexp.MustCompile(`^[^@\s]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$`)
	// A tenant domain such as contoso.onmicrosoft.com.
	reDomain = regexp.MustCompile(`^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$`)
	// Client secret values Entra ID generates since 2021: 40 characters with "Q~" after
	// three characters and a digit (older secrets have no fixed shape).
	reSecretValue = regexp.MustCompile(`^[A-Za-z0-9_.~-]{3}[0-9]Q~[A-Za-z0-9_.~-]{34}$`)
	// Refresh tokens of personal Microsoft accounts (outlook.com, hotmail) start like this.
	reMSARefresh = regexp.MustCompile(`^M\.[A-Z][A-Za-z0-9]*_`)
	reName       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$`)
)

func isGUID(s string) bool   { return reGUID.MatchString(s) }
func isUPN(s string) bool    { return reUPN.MatchString(s) }
func isDomain(s string) bool { return reDomain.MatchString(s) }

// ValidName reports whether s is a valid account name for the configuration.
func ValidName(s string) bool { return reName.MatchString(s) }

// checkSecretValue returns a message when s is clearly not a client secret's value (ok is
// false then).
func checkSecretValue(s string) (msg i18n.Text, ok bool) {
	if isGUID(s) {
		return i18n.Text{
			EN: "the client secret is a GUID, which is the secret's ID, not its value: in the app's \"Certificates & secrets\" page copy the Value column (a new secret if the value is no longer shown); Microsoft refuses the ID with AADSTS7000215",
			ZH: "客户端密码是一个 GUID，这是“机密 ID”，不是密码的“值”：请在应用的“证书和密码”页面复制“值”一列（如果值已不再显示，就新建一个客户端密码）；用机密 ID 登录会被微软以 AADSTS7000215 拒绝",
		}, false
	}
	return i18n.Text{}, true
}

// personalToken returns a message when the refresh token belongs to a personal account
// (ok is false then).
func personalToken(rt string) (msg i18n.Text, ok bool) {
	if reMSARefresh.MatchString(rt) {
		return i18n.Text{
			EN: "this refresh token belongs to a personal Microsoft account (outlook.com, hotmail, live), which has no E5 subscription: sign in again with the E5 account (name@yourtenant.onmicrosoft.com or a user of that tenant)",
			ZH: "此刷新令牌属于个人 Microsoft 账号（outlook.com、hotmail、live），个人账号没有 E5 订阅：请用 E5 账号重新登录（name@yourtenant.onmicrosoft.com 或该租户中的用户）",
		}, false
	}
	return i18n.Text{}, true
}

// sanitizeName turns s into a valid account name, or "" when nothing usable is left.
func sanitizeName(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		ok := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._@+-", r))
		if !ok || r == '-' {
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		b.WriteRune(r)
		dash = false
	}
	out := b.String()
	out = strings.TrimLeft(out, "._@+-")
	out = strings.TrimRight(out, "-")
	if len(out) > 64 {
		out = strings.TrimRight(out[:64], "-")
	}
	if !ValidName(out) {
		return ""
	}
	return out
}

// nameFromUPN suggests "alice@contoso" for alice@contoso.onmicrosoft.com.
func nameFromUPN(upn string) string {
	local, domain, ok := strings.Cut(upn, "@")
	if !ok {
		return sanitizeName(upn)
	}
	label, _, _ := strings.Cut(domain, ".")
	return sanitizeName(local + "@" + label)
}

// nameFromTenant suggests a name for an application account of a tenant.
func nameFromTenant(tenant string) string {
	if isGUID(tenant) {
		return "app-" + strings.ToLower(tenant[:8])
	}
	label, _, _ := strings.Cut(tenant, ".")
	return sanitizeName(label + "-app")
}

func fallbackName(f Format) string {
	switch f {
	case FormatRcloneAuthorize, FormatRcloneConf:
		return "rclone"
	case FormatOffice365AutoEnv:
		return "office365auto"
	case FormatE5SubBotJSON:
		return "e5subbot"
	}
	return "account"
}

// assignNames makes every name valid and unique (case-insensitively), adding -2, -3...
func assignNames(cands []Candidate) {
	used := map[string]bool{}
	next := map[string]int{} // the next suffix to try for a base name
	for i := range cands {
		base := sanitizeName(cands[i].Name)
		if base == "" {
			base = fallbackName(cands[i].Format)
		}
		name := base
		key := strings.ToLower(base)
		n := next[key]
		if n == 0 {
			n = 2
		}
		for used[strings.ToLower(name)] {
			suffix := "-" + strconv.Itoa(n)
			b := base
			if len(b)+len(suffix) > 64 {
				b = b[:64-len(suffix)]
			}
			name = b + suffix
			n++
		}
		next[key] = n
		used[strings.ToLower(name)] = true
		cands[i].Name = name
	}
}

// unquote removes one pair of matching quotes around s.
func unquote(s string) string {
	if len(s) >= 2 {
		f, l := s[0], s[len(s)-1]
		if (f == '"' || f == '\'' || f == '`') && f == l {
			inner := s[1 : len(s)-1]
			if f == '"' {
				if u, err := strconv.Unquote(s); err == nil {
					return u
				}
			}
			return inner
		}
	}
	for _, q := range [][2]string{{"“", "”"}, {"‘", "’"}, {"「", "」"}} {
		if strings.HasPrefix(s, q[0]) && strings.HasSuffix(s, q[1]) && len(s) >= len(q[0])+len(q[1]) {
			return s[len(q[0]) : len(s)-len(q[1])]
		}
	}
	return s
}
