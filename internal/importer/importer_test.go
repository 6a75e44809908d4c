package importer

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/secret"
)

// Fake values used by the tests and testdata (never real credentials).
const (
	appA    = "3f2b8c1e-6d4a-4b7e-9a21-5c8d0e7f1a23"
	appB    = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"
	tenantT = "7c4e2a10-3b5d-4f6e-8a9b-0c1d2e3f4a5b"
	secA    = "fK28Q~Fake.Secret_Value-0123456789abcdef"
	secB    = "zQ17Q~Another.Fake-Secret_value012345678"
	secOld  = "Fake_0ld.Secret-Value~abcdefghijkl"
)

func rtFor(who string) string {
	return "0.AXEAFAKE-refresh-token-for-" + who + "_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
}

// Secrets in the malformed inputs all carry this marker, so a leak into a message is easy
// to see.
const mark = "SECRETMARK"

func b64url(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// fakeJWT builds an unsigned access token with the claims the importer reads.
func fakeJWT(appid, tid, upn string) string {
	return b64url(map[string]string{"typ": "JWT", "alg": "none"}) + "." +
		b64url(map[string]string{"aud": "00000003-0000-0000-c000-000000000000", "appid": appid, "tid": tid, "upn": upn}) +
		".ZmFrZS1zaWduYXR1cmU"
}

func tokenJSON(access, refresh string) string {
	m := map[string]string{"token_type": "Bearer", "expiry": "2026-03-02T11:15:19.8123456+08:00"}
	if access != "" {
		m["access_token"] = access
	}
	if refresh != "" {
		m["refresh_token"] = refresh
	}
	b, _ := json.Marshal(m)
	return string(b)
}

type wantCand struct {
	Line                                 int
	Format                               Format
	Name, Type, Tenant, ClientID         string
	User, Username                       string
	ClientSecret, RefreshToken, Password string
}

func got(c Candidate) wantCand {
	return wantCand{c.Line, c.Format, c.Name, c.Type, c.Tenant, c.ClientID, c.User, c.Username,
		c.ClientSecret.Reveal(), c.RefreshToken.Reveal(), c.Password.Reveal()}
}

func TestParseTestdata(t *testing.T) {
	tests := []struct {
		file string
		want []wantCand
	}{
		{"rclone_authorize.txt", []wantCand{
			{14, FormatRcloneAuthorize, "alice@contoso", TypeRefreshToken, tenantT, appA, "", "", secA, rtFor("alice"), ""},
		}},
		{"rclone_conf.txt", []wantCand{
			{6, FormatRcloneConf, "e5-admin", TypeRefreshToken, tenantT, appA, "", "", secA, rtFor("alice"), ""},
			{20, FormatRcloneConf, "e5", TypeRefreshToken, tenantT, appA, "", "", secA, rtFor("bob"), ""},
		}},
		{"office365auto_env.txt", []wantCand{
			{8, FormatOffice365AutoEnv, "office365auto", TypeRefreshToken, "", appA, "", "", secOld, rtFor("carol"), ""},
			{13, FormatOffice365AutoEnv, "office365auto-2", TypeRefreshToken, "", appB, "", "", secB, rtFor("dave"), ""},
		}},
		{"account_txt.txt", []wantCand{
			{5, FormatAccountTxt, "alice@contoso", TypePassword, "contoso.onmicrosoft.com", appA, "", "alice@contoso.onmicrosoft.com", "", "", "Passw0rd!密码"},
			{7, FormatAccountTxt, "contoso-app", TypeClientCredentials, "contoso.onmicrosoft.com", appA, "", "", secA, "", ""},
			{9, FormatAccountTxt, "app-7c4e2a10", TypeClientCredentials, tenantT, appA, "", "", secOld, "", ""},
			{11, FormatAccountTxt, "bob@contoso", TypePassword, "contoso.onmicrosoft.com", appA, "", "bob@contoso.onmicrosoft.com", "", "", "S3cret#Pass"},
		}},
		{"e5subbot_export.txt", []wantCand{
			{6, FormatE5SubBotJSON, "e5subbot", TypeRefreshToken, "", appA, "", "", secA, rtFor("erin"), ""},
			{13, FormatE5SubBotJSON, "E5-sub1", TypeRefreshToken, "", appB, "", "", secOld, rtFor("frank"), ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			cands, errs := Parse(data)
			for _, e := range errs {
				t.Errorf("unexpected error: %v", e)
			}
			if len(cands) != len(tt.want) {
				t.Fatalf("got %d candidates, want %d: %+v", len(cands), len(tt.want), cands)
			}
			for i, c := range cands {
				if g := got(c); g != tt.want[i] {
					t.Errorf("candidate %d:\n got %+v\nwant %+v", i, g, tt.want[i])
				}
				checkCandidate(t, c)
			}
		})
	}
}

// The Chinese notes in testdata are kept: the E5SubBot alias and the rclone user, in both
// languages.
func TestNotes(t *testing.T) {
	data, _ := os.ReadFile("testdata/e5subbot_export.txt")
	cands, _ := Parse(data)
	for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
		if len(cands) == 0 || !strings.Contains(cands[0].Note(lang), "主账号") {
			t.Errorf("the Chinese alias should be kept in the %s note: %+v", lang, cands)
		}
	}
	if n := cands[0].Note(i18n.ZH); !strings.Contains(n, "别名") || !strings.Contains(n, "管理员同意") {
		t.Errorf("Chinese note: %q", n)
	}
	if a := cands[0].Account(); !strings.Contains(a.Comment, "E5SubBot alias: 主账号.") || !strings.Contains(a.Comment, "admin consent") {
		t.Errorf("Account().Comment should hold the English note: %q", a.Comment)
	}
	data, _ = os.ReadFile("testdata/office365auto_env.txt")
	cands, _ = Parse(data)
	for _, c := range cands {
		if strings.Contains(c.Note(i18n.EN), "No client secret") || strings.Contains(c.Note(i18n.ZH), "没有找到客户端密码") {
			t.Errorf("secret present, note says otherwise: %+v", c.NoteText)
		}
	}
	data, _ = os.ReadFile("testdata/rclone_authorize.txt")
	cands, _ = Parse(data)
	if len(cands) != 1 || !strings.Contains(cands[0].Note(i18n.EN), "The token was issued to alice@") ||
		!strings.Contains(cands[0].Note(i18n.ZH), "该令牌颁发给 alice@") {
		t.Errorf("the token's user should be in both notes: %+v", cands)
	}
	// Notes joined: a space between English sentences, none between Chinese ones.
	cands, _ = Parse([]byte("alice@contoso.onmicrosoft.com，" + appA + "，" + secA + "\ncontoso.onmicrosoft.com " + appA + " " + secA + "\n"))
	if len(cands) != 2 || cands[0].Note(i18n.EN) == "" || cands[1].Note(i18n.ZH) == "" {
		t.Fatalf("%+v", cands)
	}
	if n := cands[0].Note(i18n.ZH); strings.Contains(n, "。 ") || strings.HasPrefix(n, " ") {
		t.Errorf("Chinese note badly joined: %q", n)
	}
}

var reHan = regexp.MustCompile(`\p{Han}`)

var reLetter = regexp.MustCompile(`[A-Za-z]`)

var reVerb = regexp.MustCompile(`%[-+# 0]*[0-9]*(?:\.[0-9]+)?[a-zA-Z%]`)

// Every i18n.Text written in the package has both languages, with the same format verbs in
// the same order, and the Chinese is Chinese (or, for a name such as ClientId, the same
// as the English; or only verbs and punctuation). Empty literals (no note) are allowed.
func TestTextsBilingual(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	n := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := goparser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			cl, ok := node.(*ast.CompositeLit)
			if !ok || len(cl.Elts) == 0 {
				return true
			}
			if sel, ok := cl.Type.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Text" {
				return true
			}
			if x, ok := cl.Type.(*ast.SelectorExpr).X.(*ast.Ident); !ok || x.Name != "i18n" {
				return true
			}
			n++
			vals := map[string]ast.Expr{}
			for _, e := range cl.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					vals[kv.Key.(*ast.Ident).Name] = kv.Value
				}
			}
			pos := fset.Position(cl.Pos())
			if vals["EN"] == nil || vals["ZH"] == nil {
				t.Errorf("%s: an i18n.Text without both EN and ZH", pos)
				return true
			}
			en, okEN := constString(vals["EN"])
			zh, okZH := constString(vals["ZH"])
			if !okEN || !okZH {
				// Computed at run time: a variable's name, or render's result.
				return true
			}
			if en == "" || zh == "" {
				t.Errorf("%s: empty EN or ZH", pos)
			}
			if !reHan.MatchString(zh) && zh != en && reLetter.MatchString(reVerb.ReplaceAllString(zh, "")) {
				t.Errorf("%s: ZH is not Chinese: %q", pos, zh)
			}
			if reHan.MatchString(en) {
				t.Errorf("%s: Chinese in EN: %q", pos, en)
			}
			if ve, vz := reVerb.FindAllString(en, -1), reVerb.FindAllString(zh, -1); strings.Join(ve, " ") != strings.Join(vz, " ") {
				t.Errorf("%s: format verbs differ: EN %q, ZH %q", pos, ve, vz)
			}
			return true
		})
	}
	if n < 50 {
		t.Errorf("found only %d texts: the check is not looking at them", n)
	}
}

// constString evaluates a string literal or a concatenation of them.
func constString(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		a, ok1 := constString(x.X)
		b, ok2 := constString(x.Y)
		return a + b, ok1 && ok2
	case *ast.ParenExpr:
		return constString(x.X)
	}
	return "", false
}

// checkMessage asserts what every message satisfies in both languages: it is not empty,
// the Chinese one is in Chinese, the formatting went right, and it holds nothing of the
// input (neither the secret marker nor any other word the package's own text lacks).
func checkMessage(t testing.TB, vocab map[string]bool, input string, e LineError) {
	t.Helper()
	if e.Text.EN == "" || e.Text.ZH == "" || e.Message(i18n.EN) != e.Text.EN || e.Message(i18n.ZH) != e.Text.ZH {
		t.Errorf("line %d: a language is missing: %+v", e.Line, e.Text)
	}
	if !reHan.MatchString(e.Message(i18n.ZH)) {
		t.Errorf("line %d: the Chinese message has no Chinese: %q", e.Line, e.Message(i18n.ZH))
	}
	if reHan.MatchString(e.Message(i18n.EN)) {
		t.Errorf("line %d: Chinese in the English message: %q", e.Line, e.Message(i18n.EN))
	}
	for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
		m := e.Message(lang)
		if strings.Contains(m, "%!") && !strings.Contains(input, "%!") {
			t.Errorf("line %d: formatting error in %q", e.Line, m)
		}
		if strings.Contains(m, mark) {
			t.Errorf("a secret leaked into the %s message %q", lang, m)
		}
		if l := leaks(vocab, input, m); len(l) > 0 {
			t.Errorf("input text %q in the %s message %q", l, lang, m)
		}
	}
}

type wantErr struct {
	line   int
	format Format
	msg    string // a substring of the message
}

func TestMalformed(t *testing.T) {
	vocab := vocabulary(t)
	rt := "0.AXEA-" + mark + "-refresh_0123456789"
	sec := "abc-" + mark + "-secret"
	tokNoApp := tokenJSON("opaque-access-"+mark, rt)
	tokA := tokenJSON(fakeJWT(appA, tenantT, "zhang@contoso.onmicrosoft.com"), rt)
	tokRclone := tokenJSON(fakeJWT(RcloneDefaultClientID, tenantT, "zhang@contoso.onmicrosoft.com"), rt)
	blobArg := base64.RawStdEncoding.EncodeToString([]byte(`{"client_id":"` + appA + `","client_secret":"` + sec + `"}`))
	blobOut, _ := json.Marshal(map[string]string{"token": tokNoApp})
	blobOutArg := base64.RawStdEncoding.EncodeToString(blobOut)

	tests := []struct {
		name  string
		input string
		opts  Options
		cands int
		errs  []wantErr
	}{
		// rclone authorize
		{name: "token without app", input: tokNoApp + "\n", errs: []wantErr{{1, FormatRcloneAuthorize, "--client-id"}}},
		{name: "token with --client-id", input: tokNoApp, opts: Options{ClientID: appA, ClientSecret: secret.String(sec)}, cands: 1},
		{name: "--client-id not a GUID", input: tokNoApp, opts: Options{ClientID: "应用程序(客户端)ID"}, errs: []wantErr{{1, FormatRcloneAuthorize, "not a client id"}}},
		{name: "bare rclone authorize", input: "rclone authorize \"onedrive\"\nPaste the following into your remote machine --->\n" + tokNoApp + "\n<---End paste\n",
			errs: []wantErr{{3, FormatRcloneAuthorize, "rclone's own app"}}},
		{name: "token of rclone's app", input: tokRclone, opts: Options{ClientID: appA}, errs: []wantErr{{1, FormatRcloneAuthorize, "another app"}}},
		{name: "token of rclone's app, no options", input: tokRclone, errs: []wantErr{{1, FormatRcloneAuthorize, "rclone's own app"}}},
		{name: "token of another app than the command", input: "./rclone authorize onedrive " + appB + " " + sec + "\n" + tokA,
			errs: []wantErr{{2, FormatRcloneAuthorize, "another app"}}},
		{name: "JWT names the app", input: tokA, cands: 1},
		{name: "typographic quotes and placeholders", input: "rclone.exe authorize “onedrive” “应用程序(客户端)ID” “应用程序密码”\n" + tokNoApp,
			errs: []wantErr{{2, FormatRcloneAuthorize, "not a client id"}}},
		{name: "access token only", input: "Paste the following into your remote machine --->\n" + tokenJSON("xxxxxxxx"+mark, "") + "\n<---End paste",
			errs: []wantErr{{2, FormatRcloneAuthorize, "no refresh_token"}}},
		{name: "truncated token", input: "Paste the following into your remote machine --->\n{\"access_token\":\"" + mark + "\",\"refresh_token\":\"" + rt + "\n<---End paste",
			errs: []wantErr{{2, FormatRcloneAuthorize, "not complete JSON"}}},
		{name: "placeholder between markers", input: "Paste the following into your remote machine --->\nROGERPETEJOHNKEITH" + mark + "\n<---End paste",
			errs: []wantErr{{2, FormatRcloneAuthorize, "neither a token"}}},
		{name: "empty paste", input: "Paste the following into your remote machine --->\n<---End paste",
			errs: []wantErr{{1, FormatRcloneAuthorize, "nothing follows"}}},
		{name: "personal account", input: tokenJSON("EwBIA8l6"+mark, "M.C105_SN1.-"+mark), opts: Options{ClientID: appA},
			errs: []wantErr{{1, FormatRcloneAuthorize, "personal Microsoft account"}}},
		{name: "google drive token", input: "rclone authorize \"drive\"\n" + tokNoApp, errs: []wantErr{{2, FormatRcloneAuthorize, "not for onedrive"}}},
		{name: "command without output", input: "rclone authorize \"onedrive\" " + appA + " " + sec + "\n", errs: []wantErr{{1, FormatRcloneAuthorize, "not the token it printed"}}},
		{name: "secret ID instead of value", input: "rclone authorize onedrive " + appA + " " + appB + "\n" + tokNoApp,
			errs: []wantErr{{2, FormatRcloneAuthorize, "secret's ID"}}},
		{name: "refresh token alone", input: "\"" + rtFor("x") + "\"\n", errs: []wantErr{{1, FormatRcloneAuthorize, "--client-id"}}},
		{name: "refresh token alone with --client-id", input: rtFor("x") + "\n", opts: Options{ClientID: appA, ClientSecret: secA}, cands: 1},
		{name: "base64 config blob", input: "rclone authorize \"onedrive\" \"" + blobArg + "\"\nPaste the following into your remote machine --->\n" + blobOutArg + "\n<---End paste\n", cands: 1},

		// rclone.conf
		{name: "onedrive without token", input: "# 我的配置\n[od]\ntype = onedrive\nclient_id = " + appA + "\nclient_secret = " + sec + "\n",
			errs: []wantErr{{2, FormatRcloneConf, "has no token"}}},
		{name: "onedrive with rclone's app", input: "[od]\ntype = onedrive\ntoken = " + tokNoApp + "\n",
			errs: []wantErr{{3, FormatRcloneConf, "rclone's own app"}}},
		{name: "token not JSON", input: "[od]\ntype = onedrive\nclient_id = " + appA + "\ntoken = {\"access_token\":\"" + mark + "\n",
			errs: []wantErr{{4, FormatRcloneConf, "not complete JSON"}}},
		{name: "personal drive", input: "[od]\ntype = onedrive\nclient_id = " + appA + "\ntoken = " + tokNoApp + "\ndrive_type = personal\n",
			errs: []wantErr{{5, FormatRcloneConf, "personal OneDrive"}}},
		{name: "bad line and duplicate key", input: "[od]\ntype = onedrive\nclient_id = " + appA + "\nclient_secret = " + sec + "\n" + mark + "garbage\nclient_secret = " + sec + "\ntoken = " + tokNoApp + "\n",
			cands: 1, errs: []wantErr{{5, FormatRcloneConf, "not `key = value`"}, {6, FormatRcloneConf, "set twice"}}},
		{name: "client id not a GUID", input: "[od]\ntype = onedrive\nclient_id = my-app\nclient_secret = " + sec + "\ntoken = " + tokNoApp + "\n",
			errs: []wantErr{{5, FormatRcloneConf, "not a client id"}}},
		{name: "no onedrive remote", input: "[g]\ntype = drive\ntoken = " + tokNoApp + "\n[s3]\ntype = s3\nsecret_access_key = " + sec + "\n",
			errs: []wantErr{{1, "", "no onedrive remote"}}},
		{name: "encrypted conf", input: "# Encrypted rclone configuration File\n\nRCLONE_ENCRYPT_V0:\nFAKE" + mark + "0123456789\n",
			errs: []wantErr{{3, FormatRcloneConf, "encrypted"}}},
		{name: "client credentials remote", input: "[app]\ntype = onedrive\nclient_id = " + appA + "\nclient_secret = " + sec + "\ntenant = contoso.onmicrosoft.com\nclient_credentials = true\n", cands: 1},
		{name: "client credentials without tenant", input: "[app]\ntype = onedrive\nclient_id = " + appA + "\nclient_secret = " + sec + "\nclient_credentials = true\n",
			errs: []wantErr{{1, FormatRcloneConf, "no usable tenant"}}},
		{name: "token line outside a section", input: "token = " + tokNoApp + "\n", errs: []wantErr{{1, FormatRcloneConf, "outside a [remote] section"}}},
		{name: "config dump JSON", input: `{"od": {"type": "onedrive", "client_id": "` + appA + `", "token": ` + mustQuote(tokNoApp) + `}, "g": {"type": "drive"}}`, cands: 1},

		// Office365Auto
		{name: "missing MS_TOKEN", input: "CLIENT_ID=" + appA + "\nCLIENT_SECRET=" + sec + "\n", errs: []wantErr{{1, FormatOffice365AutoEnv, "MS_TOKEN is missing"}}},
		{name: "workflow references", input: "    env:\n      MS_TOKEN: ${{ secrets.MS_TOKEN }}\n      CLIENT_ID: ${{ secrets.CLIENT_ID }}\n      CLIENT_SECRET: ${{ secrets.CLIENT_SECRET }}\n",
			errs: []wantErr{{2, FormatOffice365AutoEnv, "MS_TOKEN is a reference"}, {3, FormatOffice365AutoEnv, "CLIENT_ID is a reference"}, {4, FormatOffice365AutoEnv, "CLIENT_SECRET is a reference"}}},
		{name: "client id not a GUID", input: "CLIENT_ID=应用程序ID\nCLIENT_SECRET=" + sec + "\nMS_TOKEN=" + rt + "\n", errs: []wantErr{{1, FormatOffice365AutoEnv, "CLIENT_ID is not a client id"}}},
		{name: "duplicate and empty", input: "CLIENT_ID_2=" + appA + "\nCLIENT_ID_2=" + appB + "\nCLIENT_SECRET_2=\nMS_TOKEN_2=" + rt + "\n",
			errs: []wantErr{{2, FormatOffice365AutoEnv, "CLIENT_ID_2 is set twice"}, {3, FormatOffice365AutoEnv, "CLIENT_SECRET_2 has no value"}}},
		{name: "everything wrong at once", input: "CLIENT_ID=x\nCLIENT_SECRET=" + appB + "\n",
			errs: []wantErr{{1, FormatOffice365AutoEnv, "MS_TOKEN is missing"}, {1, FormatOffice365AutoEnv, "CLIENT_ID is not a client id"}, {2, FormatOffice365AutoEnv, "secret's ID"}}},
		{name: "secret ID", input: "CLIENT_ID=" + appA + "\nCLIENT_SECRET=" + appB + "\nMS_TOKEN=" + rt + "\n", errs: []wantErr{{2, FormatOffice365AutoEnv, "secret's ID"}}},
		{name: "whole token JSON in MS_TOKEN", input: "CLIENT_ID=" + appA + "\nCLIENT_SECRET=" + sec + "\nMS_TOKEN='" + tokNoApp + "'\n", cands: 1},
		{name: "broken JSON in MS_TOKEN", input: "CLIENT_ID=" + appA + "\nCLIENT_SECRET=" + sec + "\nMS_TOKEN={\"refresh_token\":\"" + rt + "\n",
			errs: []wantErr{{3, FormatOffice365AutoEnv, "not complete JSON"}}},
		{name: "token with spaces", input: "CLIENT_ID=" + appA + "\nCLIENT_SECRET=" + sec + "\nMS_TOKEN=\"" + rt + " " + rt + "\"\n",
			errs: []wantErr{{3, FormatOffice365AutoEnv, "not copied whole"}}},

		// Account.txt
		{name: "two fields", input: "alice@contoso.onmicrosoft.com " + appA + "\n", errs: []wantErr{{1, FormatAccountTxt, "found 2 field(s)"}}},
		{name: "five fields", input: "# 注释\n\na b c " + mark + " " + appA + "\n", errs: []wantErr{{3, FormatAccountTxt, "found 5 field(s)"}}},
		{name: "no GUID", input: "alice@contoso.onmicrosoft.com----pw" + mark + "----my-app\n", errs: []wantErr{{1, FormatAccountTxt, "no field is a client id"}}},
		{name: "three GUIDs", input: tenantT + "," + appA + "," + appB + "\n", errs: []wantErr{{1, FormatAccountTxt, "all three fields are GUIDs"}}},
		{name: "user and two GUIDs", input: "alice@contoso.onmicrosoft.com\t" + appA + "\t" + appB + "\n", errs: []wantErr{{1, FormatAccountTxt, "two GUIDs"}}},
		{name: "no user and no tenant", input: "admin pw" + mark + " " + appA + "\n", errs: []wantErr{{1, FormatAccountTxt, "no field is a user"}}},
		{name: "four fields unclear", input: "alice@contoso.onmicrosoft.com----pw" + mark + "----" + appA + "----contoso.onmicrosoft.com\n",
			errs: []wantErr{{1, FormatAccountTxt, "4 fields"}}},
		{name: "four fields application", input: "alice@contoso.onmicrosoft.com----contoso.onmicrosoft.com----" + appA + "----" + secA + "\n", cands: 1},
		{name: "user, client id, secret value", input: "alice@contoso.onmicrosoft.com，" + appA + "，" + secA + "\n", cands: 1},
		{name: "good and bad lines", input: "alice@contoso.onmicrosoft.com----pw" + mark + "----" + appA + "\nbob@contoso.onmicrosoft.com----pw" + mark + "\n# 好的\ncontoso.onmicrosoft.com " + appA + " " + sec + "\n",
			cands: 2, errs: []wantErr{{2, FormatAccountTxt, "found 2 field(s)"}}},

		// E5SubBot
		{name: "entry without RefreshToken", input: "[\n\t{\n\t\t\"Alias\": \"备用\",\n\t\t\"ClientId\": \"" + appA + "\",\n\t\t\"ClientSecret\": \"" + sec + "\"\n\t}\n]\n",
			errs: []wantErr{{2, FormatE5SubBotJSON, "no RefreshToken"}}},
		{name: "ClientId not a GUID and a number", input: "[{\"ClientId\": \"x\", \"RefreshToken\": \"" + rt + "\"},\n {\"ClientId\": 42, \"RefreshToken\": \"" + rt + "\"},\n \"" + mark + "\",\n {\"Alias\": \"a\"}]",
			errs: []wantErr{{1, FormatE5SubBotJSON, "ClientId is not a client id"}, {2, FormatE5SubBotJSON, "must be text"}, {3, FormatE5SubBotJSON, "entry 3 is not an object"}, {4, FormatE5SubBotJSON, "entry 4 has neither"}}},
		{name: "damaged JSON", input: "[\n {\"ClientId\": \"" + appA + "\",\n  \"RefreshToken\": \"" + rt + "\"\n", errs: []wantErr{{4, FormatE5SubBotJSON, "damaged or cut off"}}},
		{name: "empty list", input: "[]", errs: []wantErr{{1, FormatE5SubBotJSON, "empty"}}},
		{name: "snake_case columns", input: `[{"tg_id": 123, "alias": "db", "client_id": "` + appA + `", "client_secret": "` + sec + `", "refresh_token": "` + rt + `"}]`, cands: 1},
		{name: "unknown JSON", input: `{"hello": "` + mark + `"}`, errs: []wantErr{{1, "", "not a format e5renew imports"}}},

		// Nothing known
		{name: "prose", input: "你好，这是我的 E5 账号\nhello world " + mark + "\n", errs: []wantErr{{1, "", "found no account in a known format"}}},
		{name: "empty", input: "", errs: []wantErr{{1, "", "found no account"}}},
		{name: "comments only", input: "# nothing\n// here\n", errs: []wantErr{{1, "", "Accepted: (1) rclone-authorize"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cands, errs := ParseWith([]byte(tt.input), tt.opts)
			if len(cands) != tt.cands {
				t.Errorf("got %d candidates, want %d: %+v", len(cands), tt.cands, cands)
			}
			for _, c := range cands {
				checkCandidate(t, c)
				for _, lang := range []i18n.Lang{i18n.EN, i18n.ZH} {
					if strings.Contains(c.Note(lang), mark) || strings.Contains(c.Note(lang), "%!") {
						t.Errorf("bad %s note %q", lang, c.Note(lang))
					}
				}
			}
			if len(errs) != len(tt.errs) {
				t.Fatalf("got %d errors, want %d:\n%s", len(errs), len(tt.errs), errList(errs))
			}
			for i, w := range tt.errs {
				e := errs[i]
				if e.Line != w.line || e.Format != w.format || !strings.Contains(e.Message(i18n.EN), w.msg) {
					t.Errorf("error %d = %v\nwant line %d, format %q, message containing %q", i, e, w.line, w.format, w.msg)
				}
			}
			for _, e := range errs {
				if strings.Contains(e.Error(), mark) {
					t.Errorf("a secret leaked into %v", e)
				}
				checkMessage(t, vocab, tt.input, e)
			}
		})
	}
}

func mustQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func errList(errs []LineError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "  %v\n", e)
	}
	return b.String()
}

// Several rclone remotes, an authorize output and Office365Auto variables in one input.
func TestMixed(t *testing.T) {
	var in bytes.Buffer
	for _, f := range []string{"office365auto_env.txt", "rclone_authorize.txt", "rclone_conf.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		in.Write(b)
	}
	in.WriteString("alice@contoso.onmicrosoft.com----pw----" + appB + "\n")
	in.WriteString("this line is noise and is ignored\n")
	cands, errs := Parse(in.Bytes())
	if len(errs) != 0 {
		t.Errorf("errors:\n%s", errList(errs))
	}
	var names []string
	for _, c := range cands {
		names = append(names, string(c.Format)+":"+c.Name)
	}
	want := []string{"office365auto-env:office365auto", "office365auto-env:office365auto-2", "rclone-authorize:alice@contoso",
		"rclone-conf:e5-admin", "rclone-conf:e5", "account-txt:alice@contoso-2"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("got  %v\nwant %v", names, want)
	}
}

func TestNames(t *testing.T) {
	long := strings.Repeat("a", 70)
	var in strings.Builder
	for _, n := range []string{"same", "SAME", "same", "我的盘", "我的盘", long, long, "-x y-"} {
		fmt.Fprintf(&in, "[%s]\ntype = onedrive\nclient_id = %s\ntoken = %s\n", n, appA, tokenJSON("", rtFor("n")))
	}
	cands, errs := Parse([]byte(in.String()))
	if len(errs) != 0 {
		t.Fatalf("errors:\n%s", errList(errs))
	}
	var names []string
	for _, c := range cands {
		names = append(names, c.Name)
		if !ValidName(c.Name) {
			t.Errorf("invalid name %q", c.Name)
		}
	}
	l64 := strings.Repeat("a", 64)
	want := []string{"same", "SAME-2", "same-3", "rclone", "rclone-2", l64, l64[:62] + "-2", "x-y"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("got  %q\nwant %q", names, want)
	}

	for in, want := range map[string]string{
		"alice@contoso.onmicrosoft.com": "alice@contoso",
		"张三@contoso.onmicrosoft.com":    "contoso", // nothing of the Chinese local part survives
		"a.b+c@x.io":                    "a.b+c@x",
	} {
		if got := nameFromUPN(in); got != want {
			t.Errorf("nameFromUPN(%q) = %q, want %q", in, got, want)
		}
	}
}

// Many accounts with one name: suffixes count up without rescanning (this was quadratic).
func TestManySameNames(t *testing.T) {
	var in strings.Builder
	for i := 0; i < 3000; i++ {
		in.WriteString("alice@contoso.onmicrosoft.com----pw----" + appA + "\n")
	}
	cands, errs := Parse([]byte(in.String()))
	if len(errs) != 0 || len(cands) != 3000 {
		t.Fatalf("%d candidates, %d errors", len(cands), len(errs))
	}
	if cands[0].Name != "alice@contoso" || cands[1].Name != "alice@contoso-2" || cands[2999].Name != "alice@contoso-3000" {
		t.Errorf("names %q %q %q", cands[0].Name, cands[1].Name, cands[2999].Name)
	}
}

func TestUTF16AccountTxt(t *testing.T) {
	text := "# 记事本保存的 Unicode 文件\r\nalice@contoso.onmicrosoft.com\tpw-中文\t" + appA + "\r\n"
	u := utf16.Encode([]rune(text))
	b := []byte{0xFF, 0xFE}
	for _, x := range u {
		b = append(b, byte(x), byte(x>>8))
	}
	cands, errs := Parse(b)
	if len(errs) != 0 || len(cands) != 1 {
		t.Fatalf("cands %+v errs %v", cands, errs)
	}
	if c := cands[0]; c.Line != 2 || c.Password.Reveal() != "pw-中文" || c.Username != "alice@contoso.onmicrosoft.com" {
		t.Errorf("got %+v", got(c))
	}
}

// Printing candidates and errors never shows a secret.
func TestPrintingMasksSecrets(t *testing.T) {
	data, _ := os.ReadFile("testdata/account_txt.txt")
	cands, _ := Parse(data)
	data2, _ := os.ReadFile("testdata/rclone_conf.txt")
	c2, _ := Parse(data2)
	cands = append(cands, c2...)
	out := fmt.Sprintf("%v %+v %#v", cands, cands, cands)
	js, _ := json.Marshal(cands)
	for _, s := range []string{"Passw0rd", secA, secOld, rtFor("alice")} {
		if strings.Contains(out, s) || strings.Contains(string(js), s) {
			t.Errorf("secret %q printed", s)
		}
	}
	a := cands[0].Account()
	if a.Name != "alice@contoso" || a.Type != TypePassword || a.Password.Reveal() != "Passw0rd!密码" || !strings.Contains(a.Comment, "account-txt") {
		t.Errorf("Account() = %+v", a)
	}
}

// checkCandidate asserts what every candidate must satisfy.
func checkCandidate(t testing.TB, c Candidate) {
	t.Helper()
	if !ValidName(c.Name) {
		t.Errorf("candidate on line %d: invalid name %q", c.Line, c.Name)
	}
	if !isGUID(c.ClientID) {
		t.Errorf("candidate on line %d: client id is not a GUID", c.Line)
	}
	known := false
	for _, f := range Formats {
		known = known || f == c.Format
	}
	if !known {
		t.Errorf("candidate on line %d: unknown format %q", c.Line, c.Format)
	}
	switch c.Type {
	case TypeRefreshToken:
		if c.RefreshToken.IsZero() || !c.Password.IsZero() || c.Username != "" || c.User != "" {
			t.Errorf("candidate on line %d: refresh_token with wrong fields", c.Line)
		}
	case TypeClientCredentials:
		if c.ClientSecret.IsZero() || c.Tenant == "" || !c.RefreshToken.IsZero() || !c.Password.IsZero() || c.Username != "" {
			t.Errorf("candidate on line %d: client_credentials with wrong fields", c.Line)
		}
	case TypePassword:
		if c.Password.IsZero() || c.Username == "" || c.Tenant == "" || !c.RefreshToken.IsZero() || c.User != "" {
			t.Errorf("candidate on line %d: password with wrong fields", c.Line)
		}
	default:
		t.Errorf("candidate on line %d: type %q", c.Line, c.Type)
	}
	if isGUID(c.ClientSecret.Reveal()) {
		t.Errorf("candidate on line %d: the client secret is a GUID", c.Line)
	}
	// A note is in both languages or in neither; the Chinese one is in Chinese.
	if en, zh := c.Note(i18n.EN), c.Note(i18n.ZH); (en == "") != (zh == "") || (zh != "" && !reHan.MatchString(zh)) {
		t.Errorf("candidate on line %d: note %+v", c.Line, c.NoteText)
	}
}

var reWord = regexp.MustCompile(`[A-Za-z0-9._~+/!@#$%^&*\-]{8,}`)

// vocabulary is every word of the package's source: the only text messages may contain.
func vocabulary(t testing.TB) map[string]bool {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	v := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range reWord.FindAllString(string(b), -1) {
			v[w] = true
		}
	}
	return v
}

var reEnvName = regexp.MustCompile(`^(CLIENT_ID|CLIENT_SECRET|MS_TOKEN)_[0-9]+$`)

// leaks returns the words of msg (8 characters or more) that come from the input rather
// than from the package's own text.
func leaks(vocab map[string]bool, input, msg string) []string {
	var out []string
	for _, w := range reWord.FindAllString(msg, -1) {
		if vocab[w] || reEnvName.MatchString(w) || !strings.Contains(input, w) {
			continue
		}
		out = append(out, w)
	}
	return out
}

func TestLeakCheckWorks(t *testing.T) {
	v := vocabulary(t)
	if len(leaks(v, "x "+secA+" y", "oops "+secA)) != 1 {
		t.Error("the leak check misses an echoed secret")
	}
	if len(leaks(v, "CLIENT_SECRET_2=x", "CLIENT_SECRET_2 has no value")) != 0 {
		t.Error("the leak check flags a variable name")
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "{", "[", "[]", "[od]\ntype = onedrive\ntoken = {}", "CLIENT_ID=x\nMS_TOKEN=${{ secrets.MS_TOKEN }}",
		"rclone authorize onedrive a b\nPaste the following into your remote machine --->{\"refresh_token\":\"r\"}<---End paste",
		"a----b----" + appA, tenantT + "\t" + appA + "\t" + appB,
	} {
		f.Add([]byte(s))
	}
	vocab := vocabulary(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		cands, errs := Parse(data)
		lines := bytes.Count(data, []byte("\n")) + 1
		names := map[string]bool{}
		for _, c := range cands {
			checkCandidate(t, c)
			if c.Line < 1 || c.Line > lines {
				t.Errorf("candidate line %d outside 1..%d", c.Line, lines)
			}
			if names[strings.ToLower(c.Name)] {
				t.Errorf("name %q used twice", c.Name)
			}
			names[strings.ToLower(c.Name)] = true
		}
		if len(cands) == 0 && len(errs) == 0 {
			t.Error("no candidate and no error")
		}
		input := string(data)
		for _, e := range errs {
			if e.Line < 1 || e.Line > lines {
				t.Errorf("error line %d outside 1..%d: %v", e.Line, lines, e)
			}
			checkMessage(t, vocab, input, e)
		}
	})
}
