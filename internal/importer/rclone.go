package importer

import (
	"regexp"
	"strconv"
	"strings"

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
	from string
	// implied: the client id was not written but follows from the format (rclone's own app
	// for a remote without client_id); the token's own claim wins over it.
	implied bool
}

// refreshCandidate checks a token and its app and adds a refresh_token candidate.
// Errors are reported at line; the candidate starts at candLine.
func (p *parser) refreshCandidate(f Format, line, candLine int, tok rcloneToken, src appSource, name, note string) {
	rt := tok.RefreshToken
	if rt == "" {
		if tok.AccessToken != "" {
			p.errorf(line, f, "the token has an access_token but no refresh_token, and an access token expires within the hour: copy the whole token rclone printed (from { to }) or run `rclone authorize \"onedrive\" <client id> <client secret>` again")
		} else {
			p.errorf(line, f, "the token has no refresh_token: copy the whole token rclone printed (from { to }) or run `rclone authorize \"onedrive\" <client id> <client secret>` again")
		}
		return
	}
	if m := personalToken(rt); m != "" {
		p.errorf(line, f, "%s", m)
		return
	}
	if strings.ContainsAny(rt, " \t\"{}") {
		p.errorf(line, f, "the refresh token contains spaces, quotes or braces, so it was not copied whole: copy the value of refresh_token again, without its quotes")
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
		p.errorf(line, f, "the token was issued to another app than %s names: use the client id and secret of the app you gave to `rclone authorize` (the app's Overview page shows its Application (client) ID)", src.from)
		return
	}
	switch {
	case id == "":
		p.errorf(line, f, "the token does not say which app it was issued to: pass --client-id (and --client-secret) with the client id and secret you gave to `rclone authorize \"onedrive\" <client id> <client secret>`; if you ran it without them, the token belongs to rclone's own app, which e5renew cannot use: run it again with your own app's client id and secret")
		return
	case strings.EqualFold(id, RcloneDefaultClientID):
		p.errorf(line, f, "this token was issued to rclone's own app (client id %s, used when no client id is given); it only holds OneDrive file permissions and only rclone can refresh it: register your own app (see the README), then run `rclone authorize \"onedrive\" <client id> <client secret>` with it and import that output", RcloneDefaultClientID)
		return
	case !isGUID(id):
		p.errorf(line, f, "the client id from %s is not a client id: use the app's Application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000", src.from)
		return
	}
	if sec != "" {
		if m := checkSecretValue(sec); m != "" {
			p.errorf(line, f, "%s", m)
			return
		}
	}
	tenant := h.Tenant
	if tenant == "" && (isGUID(src.tenant) || isDomain(src.tenant)) {
		tenant = src.tenant
	}
	var notes []string
	if note != "" {
		notes = append(notes, note)
	}
	if h.User != "" {
		notes = append(notes, "The token was issued to "+h.User+".")
		if name == "" {
			name = nameFromUPN(h.User)
		}
	}
	if sec == "" {
		notes = append(notes, "No client secret was found: if the app is a web app (the usual setup for rclone and E5SubBot), add the secret's value as client_secret.")
	}
	switch strings.ToLower(src.region) {
	case "cn":
		notes = append(notes, "rclone used the China cloud (region cn): set cloud: china in e5renew's configuration.")
	case "us":
		notes = append(notes, "rclone used the US Government cloud (region us): set cloud: usgov in e5renew's configuration.")
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
		Note:         strings.Join(notes, " "),
	})
}

// authorizeSource is the app a pasted token belongs to, from the last `rclone authorize`
// command before it or from the options.
func (p *parser) authorizeSource(cmd *authorizeCmd) (appSource, string) {
	if cmd != nil {
		cmd.used = true
		where := "the rclone authorize command on line " + strconv.Itoa(cmd.line)
		switch {
		case cmd.backend != "" && cmd.backend != "onedrive":
			return appSource{}, "the `rclone authorize` command on line " + strconv.Itoa(cmd.line) + " is not for onedrive, so this token is not a Microsoft one: run `rclone authorize \"onedrive\" <client id> <client secret>`"
		case cmd.blobBad:
			return appSource{}, "the configuration argument of the `rclone authorize` command on line " + strconv.Itoa(cmd.line) + " could not be read: run `rclone authorize \"onedrive\" <client id> <client secret>` and paste its output"
		case cmd.bare:
			return appSource{clientID: RcloneDefaultClientID, implied: true, tenant: cmd.tenant, region: cmd.region, from: where}, ""
		case cmd.clientID != "":
			return appSource{clientID: cmd.clientID, secret: cmd.secret, tenant: cmd.tenant, region: cmd.region, from: where}, ""
		}
	}
	if p.opts.ClientID != "" {
		return appSource{clientID: p.opts.ClientID, secret: p.opts.ClientSecret.Reveal(), from: "--client-id"}, ""
	}
	return appSource{secret: p.opts.ClientSecret.Reveal()}, ""
}

// authorizeBlock parses what rclone printed between the paste markers: a token JSON, or
// the base64 configuration rclone prints when it was given one.
func (p *parser) authorizeBlock(line int, content string, cmd *authorizeCmd) {
	f := FormatRcloneAuthorize
	content = strings.TrimSpace(content)
	if content == "" {
		p.errorf(line, f, "nothing follows \"Paste the following into your remote machine --->\": copy the line rclone printed after it too")
		return
	}
	src, problem := p.authorizeSource(cmd)
	if problem != "" {
		p.errorf(line, f, "%s", problem)
		return
	}
	if strings.HasPrefix(content, "{") {
		tok, ok := parseToken(content)
		if !ok {
			p.errorf(line, f, "the token rclone printed is not complete JSON: copy the whole line, from { to }")
			return
		}
		p.refreshCandidate(f, line, line, tok, src, "", "")
		return
	}
	m, ok := decodeBlob(content)
	if !ok {
		p.errorf(line, f, "what follows \"Paste the following into your remote machine --->\" is neither a token ({\"access_token\":...}) nor rclone's base64 configuration: copy it again exactly as printed")
		return
	}
	tok, ok := parseToken(m["token"])
	if !ok {
		p.errorf(line, f, "rclone's base64 configuration holds no token: run `rclone authorize \"onedrive\" <client id> <client secret>` and paste its output")
		return
	}
	if id := strings.TrimSpace(m["client_id"]); id != "" {
		src = appSource{clientID: id, secret: m["client_secret"], from: "the configuration rclone printed"}
	}
	if t := strings.TrimSpace(m["tenant"]); t != "" {
		src.tenant = t
	}
	if r := strings.TrimSpace(m["region"]); r != "" {
		src.region = r
	}
	p.refreshCandidate(f, line, line, tok, src, "", "")
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
		p.errorf(l, f, "this line of a onedrive remote is not `key = value`: fix or remove it")
	}
	for _, l := range s.dups {
		p.errorf(l, f, "this key is set twice in the same remote; rclone uses the last one: remove one of them")
	}
	at := func(key string) int {
		if l, ok := s.lines[key]; ok {
			return l
		}
		return s.line
	}
	v := func(key string) string { return strings.TrimSpace(s.values[key]) }
	if strings.EqualFold(v("drive_type"), "personal") {
		p.errorf(at("drive_type"), f, "this remote is a personal OneDrive (drive_type = personal), which has no E5 subscription: import a remote made with the E5 account (drive_type = business)")
		return
	}
	name := s.name
	if strings.EqualFold(v("client_credentials"), "true") {
		// rclone's client credentials flow (rclone 1.69 and later): an app-only remote.
		tenant, id, sec := v("tenant"), v("client_id"), v("client_secret")
		switch {
		case id == "":
			p.errorf(s.line, f, "this remote uses client_credentials but has no client_id: add the app's Application (client) ID")
			return
		case !isGUID(id):
			p.errorf(at("client_id"), f, "client_id is not a client id: use the app's Application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000")
			return
		case sec == "":
			p.errorf(s.line, f, "this remote uses client_credentials but has no client_secret: add the secret's value")
			return
		case tenant == "" || !(isGUID(tenant) || isDomain(tenant)):
			p.errorf(at("tenant"), f, "this remote uses client_credentials but has no usable tenant: set tenant to the tenant's domain (contoso.onmicrosoft.com) or id")
			return
		}
		if m := checkSecretValue(sec); m != "" {
			p.errorf(at("client_secret"), f, "%s", m)
			return
		}
		p.add(Candidate{
			Line: s.line, Format: f, Name: name, Type: TypeClientCredentials,
			Tenant: tenant, ClientID: strings.ToLower(id), ClientSecret: secret.String(sec),
			Note: "Application sign-in: the remote does not say which user's mailbox and files to work on; set user to a UPN of the tenant.",
		})
		return
	}
	raw, ok := s.values["token"]
	if !ok || strings.TrimSpace(raw) == "" {
		p.errorf(s.line, f, "this onedrive remote has no token: run `rclone config reconnect <remote>:` (or `rclone authorize \"onedrive\" <client id> <client secret>`) and import again")
		return
	}
	tok, ok := parseToken(strings.TrimSpace(raw))
	if !ok {
		p.errorf(at("token"), f, "the token is not complete JSON: it must be {\"access_token\":...} on one line; copy the remote again from rclone.conf or `rclone config show`")
		return
	}
	src := appSource{clientID: v("client_id"), secret: v("client_secret"), tenant: v("tenant"), region: v("region"), from: "client_id in this remote"}
	if src.clientID == "" {
		src.clientID, src.secret, src.implied = RcloneDefaultClientID, "", true
	}
	p.refreshCandidate(f, at("token"), s.line, tok, src, name, "")
}
