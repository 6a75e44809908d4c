package importer

import (
	"regexp"
	"strings"

	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/secret"
)

// What rclone prints around the token (fs/config/authorize.go):
//
//	Paste the following into your remote machine --->
//	{"access_token":"...","token_type":"Bearer","refresh_token":"...","expiry":"..."}
//	<---End paste
const (
	pasteBegin = "Paste the following into your remote machine"
	pasteEnd   = "<---End paste"
)

var (
	// `rclone authorize ...`, `./rclone authorize`, `.\rclone.exe authorize`, after a shell
	// prompt or not.
	reAuthorizeCmd = regexp.MustCompile(`(?i)(?:^|[\s/\\>"'])rclone(?:\.exe)?["']?\s+authorize(?:\s|$)`)
	reConfHeader   = regexp.MustCompile(`^\[([^\[\]{}"']+)\]$`)
	// rclone's log lines: "2026/05/12 03:18:12 NOTICE: ..." or "NOTICE: ...".
	reRcloneLog = regexp.MustCompile(`^(?:\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} )?(?:NOTICE|INFO|DEBUG|ERROR|CRITICAL|EMERGENCY|ALERT|WARNING)\s?:`)
)

// rcloneNoise are lines of rclone's terminal output that carry nothing to import.
var rcloneNoise = []string{
	"If your browser doesn't open automatically",
	"Log in and authorize rclone",
	"Waiting for code",
	"Got code",
	"Make sure your Redirect URL is set",
	"All done. Please go back to rclone",
}

func isRcloneNoise(s string) bool {
	if strings.Contains(s, pasteEnd) || strings.HasPrefix(s, "```") || reRcloneLog.MatchString(s) {
		return true
	}
	for _, n := range rcloneNoise {
		if strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// authorizeCmd is what an `rclone authorize` command line in the input says about the app.
type authorizeCmd struct {
	line     int
	backend  string // lower case, quotes removed
	clientID string
	secret   string
	tenant   string
	region   string
	// bare: no app given, so rclone used its own app.
	bare bool
	// blobBad: the base64 configuration argument could not be read.
	blobBad bool
	used    bool
}

// splitArgs splits a command line into words, honouring ASCII and typographic quotes
// (tutorials pasted through word processors turn "onedrive" into “onedrive”).
func splitArgs(s string) []string {
	closing := map[rune]rune{'"': '"', '\'': '\'', '“': '”', '”': '”', '‘': '’', '’': '’'}
	var args []string
	var cur strings.Builder
	var closeQ rune
	in, have := false, false
	for _, r := range s {
		switch {
		case in && r == closeQ:
			in = false
		case in:
			cur.WriteRune(r)
		case closing[r] != 0:
			in, have, closeQ = true, true, closing[r]
		case r == ' ' || r == '\t':
			if have {
				args = append(args, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		args = append(args, cur.String())
	}
	return args
}

// parseAuthorizeCmd reads an `rclone authorize` line.
func parseAuthorizeCmd(line int, s string) *authorizeCmd {
	words := splitArgs(s)
	i := 0
	for ; i < len(words); i++ {
		if strings.EqualFold(words[i], "authorize") && i > 0 {
			w := strings.ToLower(words[i-1])
			if strings.HasSuffix(w, "rclone") || strings.HasSuffix(w, "rclone.exe") {
				break
			}
		}
	}
	c := &authorizeCmd{line: line}
	var args []string
	for j := i + 1; j < len(words); j++ {
		w := words[j]
		if strings.HasPrefix(w, "-") {
			if (w == "--template" || w == "--config") && j+1 < len(words) {
				j++
			}
			continue
		}
		args = append(args, w)
	}
	if len(args) == 0 {
		return c
	}
	c.backend = strings.ToLower(strings.TrimSpace(args[0]))
	switch len(args) {
	case 1:
		c.bare = true
	case 2:
		m, ok := decodeBlob(args[1])
		if !ok {
			c.blobBad = true
			break
		}
		c.clientID = strings.TrimSpace(m["client_id"])
		c.secret = strings.TrimSpace(m["client_secret"])
		c.tenant = strings.TrimSpace(m["tenant"])
		c.region = strings.TrimSpace(m["region"])
		c.bare = c.clientID == ""
	default:
		c.clientID = strings.TrimSpace(args[1])
		c.secret = strings.TrimSpace(args[2])
	}
	return c
}

// appSource says where a token's app (client id and secret) comes from.
type appSource struct {
	clientID string
	secret   string
	tenant   string
	region   string
	// from names the source in messages ("the rclone authorize command on line 3").
	from i18n.Text
	// implied: the client id was not written but follows from the format (rclone's own app
	// for a remote without client_id); the token's own claim wins over it.
	implied bool
}

// refreshCandidate checks a token and its app and adds a refresh_token candidate.
// Errors are reported at line; the candidate starts at candLine.
func (p *parser) refreshCandidate(f Format, line, candLine int, tok rcloneToken, src appSource, name string, note i18n.Text) {
	rt := tok.RefreshToken
	if rt == "" {
		if tok.AccessToken != "" {
			p.errorf(line, f, i18n.Text{
				EN: "the token has an access_token but no refresh_token, and an access token expires within the hour: copy the whole token rclone printed (from { to }) or run `rclone authorize \"onedrive\" <client id> <client secret>` again",
				ZH: "令牌中有 access_token 但没有 refresh_token，而访问令牌一小时内就会过期：请复制 rclone 输出的完整令牌（从 { 到 }），或重新运行 `rclone authorize \"onedrive\" <客户端ID> <客户端密码>`",
			})
		} else {
			p.errorf(line, f, i18n.Text{
				EN: "the token has no refresh_token: copy the whole token rclone printed (from { to }) or run `rclone authorize \"onedrive\" <client id> <client secret>` again",
				ZH: "令牌中没有 refresh_token：请复制 rclone 输出的完整令牌（从 { 到 }），或重新运行 `rclone authorize \"onedrive\" <客户端ID> <客户端密码>`",
			})
		}
		return
	}
	if m, ok := personalToken(rt); !ok {
		p.errorf(line, f, m)
		return
	}
	if strings.ContainsAny(rt, " \t\"{}") {
		p.errorf(line, f, i18n.Text{
			EN: "the refresh token contains spaces, quotes or braces, so it was not copied whole: copy the value of refresh_token again, without its quotes",
			ZH: "刷新令牌中含有空格、引号或花括号，说明没有完整复制：请重新复制 refresh_token 的值，不要带引号",
		})
		return
	}
	h := jwtHints(tok.AccessToken)
	id, sec := strings.TrimSpace(src.clientID), strings.TrimSpace(src.secret)
	switch {
	case id == "" && h.AppID != "":
		id = h.AppID
	case id != "" && h.AppID != "" && !strings.EqualFold(id, h.AppID):
		if src.implied {
			id, sec = h.AppID, ""
			break
		}
		p.errorf(line, f, i18n.Text{
			EN: "the token was issued to another app than %s names: use the client id and secret of the app you gave to `rclone authorize` (the app's Overview page shows its Application (client) ID)",
			ZH: "令牌颁发给的应用与 %s 指定的应用不同：请使用你运行 `rclone authorize` 时给出的那个应用的客户端 ID 和客户端密码（应用的“概述”页面显示其“应用程序(客户端) ID”）",
		}, src.from)
		return
	}
	switch {
	case id == "":
		p.errorf(line, f, i18n.Text{
			EN: "the token does not say which app it was issued to: pass --client-id (and --client-secret-env with the variable holding the secret) with the client id and secret you gave to `rclone authorize \"onedrive\" <client id> <client secret>`; if you ran it without them, the token belongs to rclone's own app, which e5renew cannot use: run it again with your own app's client id and secret",
			ZH: "令牌没有说明它是颁发给哪个应用的：请用 --client-id（以及 --client-secret-env，指定存放客户端密码的环境变量）传入你运行 `rclone authorize \"onedrive\" <客户端ID> <客户端密码>` 时给出的客户端 ID 和客户端密码；如果当时没有给出，令牌就属于 rclone 自带的应用，e5renew 无法使用：请用你自己应用的客户端 ID 和客户端密码重新运行",
		})
		return
	case strings.EqualFold(id, RcloneDefaultClientID):
		p.errorf(line, f, i18n.Text{
			EN: "this token was issued to rclone's own app (client id %s, used when no client id is given); it only holds OneDrive file permissions and only rclone can refresh it: register your own app (see the README), then run `rclone authorize \"onedrive\" <client id> <client secret>` with it and import that output",
			ZH: "此令牌颁发给了 rclone 自带的应用（客户端 ID %s，未指定客户端 ID 时使用）；它只有 OneDrive 文件权限，而且只有 rclone 能刷新：请注册你自己的应用（见 README），用它运行 `rclone authorize \"onedrive\" <客户端ID> <客户端密码>`，再导入其输出",
		}, RcloneDefaultClientID)
		return
	case !isGUID(id):
		p.errorf(line, f, i18n.Text{
			EN: "the client id from %s is not a client id: use the app's Application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000",
			ZH: "来自 %s 的客户端 ID 不是有效的客户端 ID：请使用应用的“应用程序(客户端) ID”，即形如 00000000-0000-0000-0000-000000000000 的 GUID",
		}, src.from)
		return
	}
	if sec != "" {
		if m, ok := checkSecretValue(sec); !ok {
			p.errorf(line, f, m)
			return
		}
	}
	tenant := h.Tenant
	if tenant == "" && (isGUID(src.tenant) || isDomain(src.tenant)) {
		tenant = src.tenant
	}
	notes := []i18n.Text{note}
	if h.User != "" {
		// A UPN from the token's claims: not a secret.
		notes = append(notes, render(i18n.Text{EN: "The token was issued to %s.", ZH: "该令牌颁发给 %s。"}, h.User))
		if name == "" {
			name = nameFromUPN(h.User)
		}
	}
	if sec == "" {
		notes = append(notes, i18n.Text{
			EN: "No client secret was found: if the app is a web app (the usual setup for rclone and E5SubBot), add the secret's value as client_secret.",
			ZH: "没有找到客户端密码：如果应用是 Web 应用（rclone 和 E5SubBot 通常这样设置），请把客户端密码的“值”填入 client_secret。",
		})
	}
	switch strings.ToLower(src.region) {
	case "cn":
		notes = append(notes, i18n.Text{
			EN: "rclone used the China cloud (region cn): set cloud: china in e5renew's configuration.",
			ZH: "rclone 使用的是由世纪互联运营的中国区云（region cn）：请在 e5renew 的配置中设置 cloud: china。",
		})
	case "us":
		notes = append(notes, i18n.Text{
			EN: "rclone used the US Government cloud (region us): set cloud: usgov in e5renew's configuration.",
			ZH: "rclone 使用的是美国政府云（region us）：请在 e5renew 的配置中设置 cloud: usgov。",
		})
	}
	p.add(Candidate{
		Line:         candLine,
		Format:       f,
		Name:         name,
		Type:         TypeRefreshToken,
		Tenant:       tenant,
		ClientID:     strings.ToLower(id),
		ClientSecret: secret.String(sec),
		RefreshToken: secret.String(rt),
		NoteText:     joinNotes(notes...),
	})
}

// authorizeSource is the app a pasted token belongs to, from the last `rclone authorize`
// command before it or from the options.
// problem is set (non-empty) when the command makes the token unusable.
func (p *parser) authorizeSource(cmd *authorizeCmd) (src appSource, problem i18n.Text) {
	if cmd != nil {
		cmd.used = true
		where := render(i18n.Text{EN: "the rclone authorize command on line %d", ZH: "第 %d 行的 rclone authorize 命令"}, cmd.line)
		switch {
		case cmd.backend != "" && cmd.backend != "onedrive":
			return appSource{}, render(i18n.Text{
				EN: "the `rclone authorize` command on line %d is not for onedrive, so this token is not a Microsoft one: run `rclone authorize \"onedrive\" <client id> <client secret>`",
				ZH: "第 %d 行的 `rclone authorize` 命令不是针对 onedrive 的，所以这个令牌不是微软的令牌：请运行 `rclone authorize \"onedrive\" <客户端ID> <客户端密码>`",
			}, cmd.line)
		case cmd.blobBad:
			return appSource{}, render(i18n.Text{
				EN: "the configuration argument of the `rclone authorize` command on line %d could not be read: run `rclone authorize \"onedrive\" <client id> <client secret>` and paste its output",
				ZH: "无法读取第 %d 行 `rclone authorize` 命令的配置参数：请运行 `rclone authorize \"onedrive\" <客户端ID> <客户端密码>` 并粘贴它的输出",
			}, cmd.line)
		case cmd.bare:
			return appSource{clientID: RcloneDefaultClientID, implied: true, tenant: cmd.tenant, region: cmd.region, from: where}, i18n.Text{}
		case cmd.clientID != "":
			return appSource{clientID: cmd.clientID, secret: cmd.secret, tenant: cmd.tenant, region: cmd.region, from: where}, i18n.Text{}
		}
	}
	if p.opts.ClientID != "" {
		return appSource{clientID: p.opts.ClientID, secret: p.opts.ClientSecret.Reveal(), from: i18n.Text{EN: "--client-id", ZH: "--client-id"}}, i18n.Text{}
	}
	return appSource{secret: p.opts.ClientSecret.Reveal()}, i18n.Text{}
}

// authorizeBlock parses what rclone printed between the paste markers: a token JSON, or
// the base64 configuration rclone prints when it was given one.
func (p *parser) authorizeBlock(line int, content string, cmd *authorizeCmd) {
	f := FormatRcloneAuthorize
	content = strings.TrimSpace(content)
	if content == "" {
		p.errorf(line, f, i18n.Text{
			EN: "nothing follows \"Paste the following into your remote machine --->\": copy the line rclone printed after it too",
			ZH: "\"Paste the following into your remote machine --->\" 后面没有内容：请把 rclone 在它后面输出的那一行也复制进来",
		})
		return
	}
	src, problem := p.authorizeSource(cmd)
	if problem.EN != "" {
		p.errorf(line, f, problem)
		return
	}
	if strings.HasPrefix(content, "{") {
		tok, ok := parseToken(content)
		if !ok {
			p.errorf(line, f, i18n.Text{
				EN: "the token rclone printed is not complete JSON: copy the whole line, from { to }",
				ZH: "rclone 输出的令牌不是完整的 JSON：请复制整行，从 { 到 }",
			})
			return
		}
		p.refreshCandidate(f, line, line, tok, src, "", i18n.Text{})
		return
	}
	m, ok := decodeBlob(content)
	if !ok {
		p.errorf(line, f, i18n.Text{
			EN: "what follows \"Paste the following into your remote machine --->\" is neither a token ({\"access_token\":...}) nor rclone's base64 configuration: copy it again exactly as printed",
			ZH: "\"Paste the following into your remote machine --->\" 后面的内容既不是令牌（{\"access_token\":...}），也不是 rclone 的 base64 配置：请按输出原样重新复制",
		})
		return
	}
	tok, ok := parseToken(m["token"])
	if !ok {
		p.errorf(line, f, i18n.Text{
			EN: "rclone's base64 configuration holds no token: run `rclone authorize \"onedrive\" <client id> <client secret>` and paste its output",
			ZH: "rclone 的 base64 配置中没有令牌：请运行 `rclone authorize \"onedrive\" <客户端ID> <客户端密码>` 并粘贴它的输出",
		})
		return
	}
	if id := strings.TrimSpace(m["client_id"]); id != "" {
		src = appSource{clientID: id, secret: m["client_secret"], from: i18n.Text{EN: "the configuration rclone printed", ZH: "rclone 输出的配置"}}
	}
	if t := strings.TrimSpace(m["tenant"]); t != "" {
		src.tenant = t
	}
	if r := strings.TrimSpace(m["region"]); r != "" {
		src.region = r
	}
	p.refreshCandidate(f, line, line, tok, src, "", i18n.Text{})
}

// confSection is one [remote] of an rclone configuration.
type confSection struct {
	name   string
	line   int
	values map[string]string
	lines  map[string]int
	bad    []int // lines that are not key = value
	dups   []int
}

func newConfSection(name string, line int) *confSection {
	return &confSection{name: name, line: line, values: map[string]string{}, lines: map[string]int{}}
}

func (s *confSection) set(key, value string, line int) {
	if _, dup := s.values[key]; dup {
		s.dups = append(s.dups, line)
	}
	s.values[key] = value
	s.lines[key] = line
}

// finishSection turns a section into a candidate or errors; non-onedrive sections are
// skipped silently.
func (p *parser) finishSection(s *confSection) {
	p.sawConf++
	f := FormatRcloneConf
	typ := strings.ToLower(strings.TrimSpace(s.values["type"]))
	if typ != "onedrive" {
		return
	}
	for _, l := range s.bad {
		p.errorf(l, f, i18n.Text{
			EN: "this line of a onedrive remote is not `key = value`: fix or remove it",
			ZH: "onedrive 远程中的这一行不是 `key = value` 格式：请修正或删除",
		})
	}
	for _, l := range s.dups {
		p.errorf(l, f, i18n.Text{
			EN: "this key is set twice in the same remote; rclone uses the last one: remove one of them",
			ZH: "同一个远程中这个键设置了两次，rclone 以最后一次为准：请删除其中一个",
		})
	}
	at := func(key string) int {
		if l, ok := s.lines[key]; ok {
			return l
		}
		return s.line
	}
	v := func(key string) string { return strings.TrimSpace(s.values[key]) }
	if strings.EqualFold(v("drive_type"), "personal") {
		p.errorf(at("drive_type"), f, i18n.Text{
			EN: "this remote is a personal OneDrive (drive_type = personal), which has no E5 subscription: import a remote made with the E5 account (drive_type = business)",
			ZH: "此远程是个人版 OneDrive（drive_type = personal），没有 E5 订阅：请导入用 E5 账号创建的远程（drive_type = business）",
		})
		return
	}
	name := s.name
	if strings.EqualFold(v("client_credentials"), "true") {
		// rclone's client credentials flow (rclone 1.69 and later): an app-only remote.
		tenant, id, sec := v("tenant"), v("client_id"), v("client_secret")
		switch {
		case id == "":
			p.errorf(s.line, f, i18n.Text{
				EN: "this remote uses client_credentials but has no client_id: add the app's Application (client) ID",
				ZH: "此远程使用 client_credentials，但没有 client_id：请添加应用的“应用程序(客户端) ID”",
			})
			return
		case !isGUID(id):
			p.errorf(at("client_id"), f, i18n.Text{
				EN: "client_id is not a client id: use the app's Application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000",
				ZH: "client_id 不是客户端 ID：请使用应用的“应用程序(客户端) ID”，即形如 00000000-0000-0000-0000-000000000000 的 GUID",
			})
			return
		case sec == "":
			p.errorf(s.line, f, i18n.Text{
				EN: "this remote uses client_credentials but has no client_secret: add the secret's value",
				ZH: "此远程使用 client_credentials，但没有 client_secret：请添加客户端密码的“值”",
			})
			return
		case tenant == "" || !(isGUID(tenant) || isDomain(tenant)):
			p.errorf(at("tenant"), f, i18n.Text{
				EN: "this remote uses client_credentials but has no usable tenant: set tenant to the tenant's domain (contoso.onmicrosoft.com) or id",
				ZH: "此远程使用 client_credentials，但没有可用的 tenant：请把 tenant 设为租户域名（contoso.onmicrosoft.com）或租户 ID",
			})
			return
		}
		if m, ok := checkSecretValue(sec); !ok {
			p.errorf(at("client_secret"), f, m)
			return
		}
		p.add(Candidate{
			Line: s.line, Format: f, Name: name, Type: TypeClientCredentials,
			Tenant: tenant, ClientID: strings.ToLower(id), ClientSecret: secret.String(sec),
			NoteText: i18n.Text{
				EN: "Application sign-in: the remote does not say which user's mailbox and files to work on; set user to a UPN of the tenant.",
				ZH: "应用程序登录：此远程没有说明要操作哪个用户的邮箱和文件；请把 user 设为该租户中某个用户的 UPN。",
			},
		})
		return
	}
	raw, ok := s.values["token"]
	if !ok || strings.TrimSpace(raw) == "" {
		p.errorf(s.line, f, i18n.Text{
			EN: "this onedrive remote has no token: run `rclone config reconnect <remote>:` (or `rclone authorize \"onedrive\" <client id> <client secret>`) and import again",
			ZH: "此 onedrive 远程没有 token：请运行 `rclone config reconnect <远程名>:`（或 `rclone authorize \"onedrive\" <客户端ID> <客户端密码>`）后重新导入",
		})
		return
	}
	tok, ok := parseToken(strings.TrimSpace(raw))
	if !ok {
		p.errorf(at("token"), f, i18n.Text{
			EN: "the token is not complete JSON: it must be {\"access_token\":...} on one line; copy the remote again from rclone.conf or `rclone config show`",
			ZH: "token 不是完整的 JSON：它必须是写在同一行的 {\"access_token\":...}；请从 rclone.conf 或 `rclone config show` 的输出中重新复制这个远程",
		})
		return
	}
	src := appSource{clientID: v("client_id"), secret: v("client_secret"), tenant: v("tenant"), region: v("region"),
		from: i18n.Text{EN: "client_id in this remote", ZH: "此远程中的 client_id"}}
	if src.clientID == "" {
		src.clientID, src.secret, src.implied = RcloneDefaultClientID, "", true
	}
	p.refreshCandidate(f, at("token"), s.line, tok, src, name, i18n.Text{})
}
