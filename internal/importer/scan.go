package importer

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/e5renew/e5renew/internal/i18n"
)

// reLoneRefresh is a refresh token of a work or school account by itself ("0.A...", "1.A...").
var reLoneRefresh = regexp.MustCompile(`^[01]\.A[A-Za-z0-9_.*!$-]{40,}$`)

func isComment(s string) bool {
	return strings.HasPrefix(s, "#") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, ";")
}

// scanLines reads the input line by line from index start: rclone's terminal output, an
// rclone.conf, Office365Auto variables and, when none of those is present, Account.txt
// lines.
func (p *parser) scanLines(start int) {
	var (
		sec       *confSection
		cmd       *authorizeCmd
		cmds      []*authorizeCmd
		unclaimed []int
	)
	env := newEnvState()
	finishSec := func() {
		if sec != nil {
			p.finishSection(sec)
			sec = nil
		}
	}
	for i := start; i < len(p.lines); i++ {
		s := strings.TrimSpace(strings.TrimPrefix(p.lines[i], "\uFEFF"))
		ln := i + 1
		if s == "" || isComment(s) {
			continue
		}
		if idx := strings.Index(s, pasteBegin); idx >= 0 {
			p.selfIdentified = true
			finishSec()
			content, contentLine, next := p.pasteBlock(i, s[idx+len(pasteBegin):])
			if contentLine == 0 {
				contentLine = ln
			}
			p.authorizeBlock(contentLine, content, cmd)
			i = next - 1
			continue
		}
		if reAuthorizeCmd.MatchString(s) {
			p.selfIdentified = true
			finishSec()
			cmd = parseAuthorizeCmd(ln, s)
			cmds = append(cmds, cmd)
			continue
		}
		if m := reConfHeader.FindStringSubmatch(s); m != nil {
			p.selfIdentified = true
			finishSec()
			sec = newConfSection(strings.TrimSpace(m[1]), ln)
			continue
		}
		if sec != nil {
			if looksLikeAccount(s) && (!strings.Contains(s, "=") || strings.Contains(s, "----")) {
				// An Account.txt line pasted after an rclone.conf.
				unclaimed = append(unclaimed, i)
				continue
			}
			if k, v, ok := strings.Cut(s, "="); ok && strings.TrimSpace(k) != "" {
				sec.set(strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v), ln)
				continue
			}
			sec.bad = append(sec.bad, ln)
			continue
		}
		if isRcloneNoise(s) {
			continue
		}
		if strings.HasPrefix(s, "{") && looksLikeToken(s) {
			// A token line pasted without rclone's markers.
			p.selfIdentified = true
			p.authorizeBlock(ln, s, cmd)
			continue
		}
		if strings.HasPrefix(s, "RCLONE_ENCRYPT_V") {
			p.selfIdentified = true
			p.errorf(ln, FormatRcloneConf, i18n.Text{
				EN: "this rclone.conf is encrypted: run `rclone config show` (it asks for the configuration password) and import what it prints",
				ZH: "此 rclone.conf 已加密：请运行 `rclone config show`（它会要求输入配置密码），然后导入它输出的内容",
			})
			continue
		}
		if k, _, ok := strings.Cut(s, "="); ok && strings.EqualFold(strings.TrimSpace(k), "token") {
			p.selfIdentified = true
			p.errorf(ln, FormatRcloneConf, i18n.Text{
				EN: "this rclone.conf line is outside a [remote] section: paste the whole remote, from its [name] line to its last key",
				ZH: "这一行 rclone.conf 配置不在任何 [remote] 段内：请粘贴整个远程，从它的 [名称] 行一直到最后一个键",
			})
			continue
		}
		if env.line(p, ln, s) {
			continue
		}
		if rt := unquote(s); reLoneRefresh.MatchString(rt) {
			// Only the refresh_token value, as Office365Auto's README has users copy it.
			p.selfIdentified = true
			p.authorizeBlock(ln, `{"refresh_token":`+strconv.Quote(rt)+`}`, cmd)
			continue
		}
		unclaimed = append(unclaimed, i)
	}
	finishSec()
	env.finish(p)
	for _, c := range cmds {
		if !c.used {
			p.errorf(c.line, FormatRcloneAuthorize, i18n.Text{
				EN: "found this `rclone authorize` command but not the token it printed: paste its whole output, including the line after \"Paste the following into your remote machine --->\"",
				ZH: "找到了这条 `rclone authorize` 命令，却没有找到它输出的令牌：请粘贴它的全部输出，包括 \"Paste the following into your remote machine --->\" 之后的那一行",
			})
		}
	}
	accountMode := !p.selfIdentified
	if accountMode {
		// Without a line shaped like an account (a GUID, a user, the ---- separator) this
		// is not Account.txt either: one error for the input, not one per line.
		shaped := false
		for _, i := range unclaimed {
			s := strings.TrimSpace(p.lines[i])
			k := classify(splitAccountFields(s))
			shaped = shaped || len(k.guids) > 0 || len(k.upns) > 0 || strings.Contains(s, "----")
		}
		if !shaped {
			return
		}
	}
	for _, i := range unclaimed {
		s := strings.TrimSpace(p.lines[i])
		if accountMode || looksLikeAccount(s) {
			p.accountLine(i+1, s)
		}
	}
}

// pasteBlock collects what follows rclone's "Paste the following..." marker (rest is the
// text after the marker on its line) up to "<---End paste". Without an end marker it takes
// the next non-empty line. It returns the content, the line where it starts (0 when
// empty) and the index of the first line after the block.
func (p *parser) pasteBlock(i int, rest string) (content string, contentLine, next int) {
	rest = strings.TrimSpace(rest)
	rest = strings.TrimSpace(strings.TrimLeft(rest, "->"))
	var parts []string
	if k := strings.Index(rest, pasteEnd); k >= 0 {
		if t := strings.TrimSpace(rest[:k]); t != "" {
			return t, i + 1, i + 1
		}
		return "", 0, i + 1
	}
	if rest != "" {
		parts = append(parts, rest)
		contentLine = i + 1
	}
	// Is there an end marker before the next begin marker?
	end := -1
	for j := i + 1; j < len(p.lines); j++ {
		if strings.Contains(p.lines[j], pasteBegin) {
			break
		}
		if strings.Contains(p.lines[j], pasteEnd) {
			end = j
			break
		}
	}
	if end < 0 {
		if len(parts) > 0 {
			return parts[0], contentLine, i + 1
		}
		for j := i + 1; j < len(p.lines); j++ {
			if t := strings.TrimSpace(p.lines[j]); t != "" {
				return t, j + 1, j + 1
			}
		}
		return "", 0, len(p.lines)
	}
	for j := i + 1; j <= end; j++ {
		t := strings.TrimSpace(p.lines[j])
		if j == end {
			t = strings.TrimSpace(t[:strings.Index(t, pasteEnd)])
		}
		if t == "" {
			continue
		}
		if contentLine == 0 {
			contentLine = j + 1
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, ""), contentLine, end + 1
}
