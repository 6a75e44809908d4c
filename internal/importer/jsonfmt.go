package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/e5renew/e5renew/internal/i18n"
)

// parseJSON handles an input that starts with a JSON value: an E5SubBot export, a token
// rclone printed, or `rclone config dump`. It returns whether it did and the index of the
// first line after the JSON value, where line scanning goes on.
func (p *parser) parseJSON() (handled bool, next int) {
	// Skip blank and comment lines before the JSON.
	start := 0
	for start < len(p.lines) {
		s := strings.TrimSpace(p.lines[start])
		if s != "" && !isComment(s) {
			break
		}
		start++
	}
	if start == len(p.lines) {
		return false, 0
	}
	first := strings.TrimSpace(p.lines[start])
	if (first[0] != '{' && first[0] != '[') || reConfHeader.MatchString(first) {
		return false, 0
	}
	p.selfIdentified = true
	base := p.lineOffset(start)
	body := p.text[base:]
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		line := p.lineAt(int64(len(p.text)))
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line = p.lineAt(base + se.Offset)
		}
		f := FormatE5SubBotJSON
		if first[0] == '{' && looksLikeToken(body) {
			f = FormatRcloneAuthorize
		}
		p.errorf(line, f, i18n.Text{
			EN: "the JSON is damaged or cut off near this line: copy it again whole, from the first %c to its closing bracket",
			ZH: "JSON 在这一行附近损坏或被截断：请重新完整复制，从开头的 %c 一直到与它配对的结束括号",
		}, first[0])
		return true, len(p.lines)
	}
	end := base + dec.InputOffset()
	p.dispatchJSON(v, start+1, base, end)
	return true, p.lineAt(end)
}

// lineOffset returns the byte offset in p.text where line index i starts.
func (p *parser) lineOffset(i int) int64 {
	off := 0
	for n := 0; n < i; n++ {
		k := strings.IndexByte(p.text[off:], '\n')
		if k < 0 {
			return int64(len(p.text))
		}
		off += k + 1
	}
	return int64(off)
}

type jsonItem struct {
	key  string
	line int
	val  any
}

// jsonItems lists the elements (array) or members (object) of the top-level JSON value
// with the line where each starts.
func (p *parser) jsonItems(base, end int64) []jsonItem {
	dec := json.NewDecoder(strings.NewReader(p.text[base:end]))
	dec.UseNumber()
	t, err := dec.Token()
	if err != nil {
		return nil
	}
	isObj := t == json.Delim('{')
	var items []jsonItem
	for dec.More() {
		off := base + dec.InputOffset()
		for off < end && strings.IndexByte(" \t\r\n,:", p.text[off]) >= 0 {
			off++
		}
		it := jsonItem{line: p.lineAt(off)}
		if isObj {
			k, err := dec.Token()
			if err != nil {
				return items
			}
			it.key, _ = k.(string)
		}
		if err := dec.Decode(&it.val); err != nil {
			return items
		}
		items = append(items, it)
	}
	return items
}

// normKey folds "ClientId", "client_id" and "clientid" together.
func normKey(k string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "", " ", "").Replace(k))
}

func normMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[normKey(k)] = v
	}
	return out
}

func isTokenObject(m map[string]any) bool {
	n := normMap(m)
	_, a := n["accesstoken"]
	_, r := n["refreshtoken"]
	_, c := n["clientid"]
	return (a || r) && !c
}

func isE5Entry(m map[string]any) bool {
	n := normMap(m)
	_, c := n["clientid"]
	_, r := n["refreshtoken"]
	return c || r
}

func (p *parser) dispatchJSON(v any, startLine int, base, end int64) {
	switch x := v.(type) {
	case map[string]any:
		switch {
		case isTokenObject(x):
			p.authorizeBlock(startLine, strings.TrimSpace(p.text[base:end]), nil)
		case isE5Entry(x):
			p.e5Entry(startLine, x)
		case isConfDump(x):
			for _, it := range p.jsonItems(base, end) {
				m, _ := it.val.(map[string]any)
				s := newConfSection(it.key, it.line)
				for k, val := range m {
					s.values[strings.ToLower(k)] = jsonString(val)
				}
				p.finishSection(s)
			}
		default:
			if tokText, ok := x["token"].(string); ok {
				// rclone's configuration map, decoded: {"token":"{...}", "client_id":...}.
				src, _ := p.authorizeSource(nil)
				if id, ok := x["client_id"].(string); ok && id != "" {
					sec, _ := x["client_secret"].(string)
					src = appSource{clientID: id, secret: sec, from: i18n.Text{EN: "client_id in this JSON", ZH: "此 JSON 中的 client_id"}}
				}
				tok, ok := parseToken(tokText)
				if !ok {
					p.errorf(startLine, FormatRcloneAuthorize, i18n.Text{
						EN: "the token in this JSON is not complete JSON: copy what rclone printed again",
						ZH: "此 JSON 中的 token 不是完整的 JSON：请重新复制 rclone 输出的内容",
					})
					return
				}
				p.refreshCandidate(FormatRcloneAuthorize, startLine, startLine, tok, src, "", i18n.Text{})
				return
			}
			p.errorf(startLine, "", notImportableJSON, acceptedFormats)
		}
	case []any:
		items := p.jsonItems(base, end)
		if len(items) == 0 {
			p.errorf(startLine, FormatE5SubBotJSON, i18n.Text{
				EN: "the JSON list is empty: E5SubBot's /export lists the accounts bound to your Telegram user; bind one first or export from the right user",
				ZH: "JSON 列表是空的：E5SubBot 的 /export 只导出绑定在你这个 Telegram 用户下的账号；请先绑定账号，或换用绑定了账号的 Telegram 用户导出",
			})
			return
		}
		for i, it := range items {
			m, ok := it.val.(map[string]any)
			switch {
			case !ok:
				p.errorf(it.line, FormatE5SubBotJSON, i18n.Text{
					EN: "entry %d is not an object: an E5SubBot export is a list of {\"Alias\":...,\"ClientId\":...,\"ClientSecret\":...,\"RefreshToken\":...} objects",
					ZH: "第 %d 项不是对象：E5SubBot 的导出文件是由 {\"Alias\":...,\"ClientId\":...,\"ClientSecret\":...,\"RefreshToken\":...} 对象组成的列表",
				}, i+1)
			case isE5Entry(m):
				p.e5Entry(it.line, m)
			case isTokenObject(m):
				b, _ := json.Marshal(m)
				p.authorizeBlock(it.line, string(b), nil)
			default:
				p.errorf(it.line, FormatE5SubBotJSON, i18n.Text{
					EN: "entry %d has neither ClientId nor RefreshToken: an E5SubBot export is a list of {\"Alias\":...,\"ClientId\":...,\"ClientSecret\":...,\"RefreshToken\":...} objects",
					ZH: "第 %d 项既没有 ClientId 也没有 RefreshToken：E5SubBot 的导出文件是由 {\"Alias\":...,\"ClientId\":...,\"ClientSecret\":...,\"RefreshToken\":...} 对象组成的列表",
				}, i+1)
			}
		}
	default:
		p.errorf(startLine, "", notImportableJSON, acceptedFormats)
	}
}

var notImportableJSON = i18n.Text{
	EN: "this JSON is not a format e5renew imports. Accepted: %s",
	ZH: "这段 JSON 不是 e5renew 能导入的格式。支持的格式：%s",
}

// isConfDump tells `rclone config dump` output: {"remote": {"type": "onedrive", ...}, ...}.
func isConfDump(m map[string]any) bool {
	if len(m) == 0 {
		return false
	}
	for _, v := range m {
		sub, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if _, ok := sub["type"].(string); !ok {
			return false
		}
	}
	return true
}

func jsonString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return fmt.Sprint(x)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// e5Entry reads one account of an E5SubBot export (iyear/E5SubBot bots/handle.go bExport:
// a JSON list of {Alias, ClientId, ClientSecret, RefreshToken, Other}); the snake_case
// columns of its database table (client_id, refresh_token, alias...) are accepted too.
func (p *parser) e5Entry(line int, m map[string]any) {
	f := FormatE5SubBotJSON
	n := normMap(m)
	get := func(k, label string) (string, bool) {
		v, found := n[k]
		if !found || v == nil {
			return "", true
		}
		s, ok := v.(string)
		if !ok {
			p.errorf(line, f, i18n.Text{
				EN: "%s must be text (in quotes): export again with /export",
				ZH: "%s 必须是文本（带引号）：请用 /export 重新导出",
			}, label)
			return "", false
		}
		return strings.TrimSpace(s), true
	}
	alias, ok1 := get("alias", "Alias")
	id, ok2 := get("clientid", "ClientId")
	sec, ok3 := get("clientsecret", "ClientSecret")
	rt, ok4 := get("refreshtoken", "RefreshToken")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return
	}
	switch {
	case id == "":
		p.errorf(line, f, i18n.Text{
			EN: "this entry has no ClientId: add the app's Application (client) ID, or bind the account again with /bind and export again",
			ZH: "这一项没有 ClientId：请补上应用的“应用程序(客户端) ID”，或用 /bind 重新绑定账号后再导出",
		})
		return
	case !isGUID(id):
		p.errorf(line, f, i18n.Text{
			EN: "ClientId is not a client id: it must be the app's Application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000",
			ZH: "ClientId 不是客户端 ID：它必须是应用的“应用程序(客户端) ID”，即形如 00000000-0000-0000-0000-000000000000 的 GUID",
		})
		return
	case rt == "":
		p.errorf(line, f, i18n.Text{
			EN: "this entry has no RefreshToken: bind the account again with /bind, then export again",
			ZH: "这一项没有 RefreshToken：请用 /bind 重新绑定账号，然后重新导出",
		})
		return
	}
	if msg, ok := checkSecretValue(sec); !ok {
		p.errorf(line, f, msg)
		return
	}
	note := i18n.Text{
		EN: "E5SubBot asked only for Mail.Read and User.Read: grant the app the permissions e5renew's activities use (README), with admin consent.",
		ZH: "E5SubBot 只申请了 Mail.Read 和 User.Read 权限：请为应用添加 e5renew 各项活动所需的权限（见 README），并授予管理员同意。",
	}
	if alias != "" {
		// The alias is the user's own label, not a secret.
		note = joinNotes(render(i18n.Text{EN: "E5SubBot alias: %s.", ZH: "E5SubBot 别名：%s。"}, alias), note)
	}
	src := appSource{clientID: id, secret: sec, from: i18n.Text{EN: "ClientId", ZH: "ClientId"}}
	p.refreshCandidate(f, line, line, rcloneToken{RefreshToken: rt}, src, alias, note)
}
