package ghfake_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/nacl/box"

	"github.com/e5renew/e5renew/internal/ghactions/ghfake"
)

const (
	repo     = "octo/e5"
	tClassic = "ghp_classic"
	tNoScope = "ghp_noscope"
	tFine    = "github_pat_fine"
	tActions = "ghs_actions"
)

func setup(t *testing.T) (*ghfake.Fake, string) {
	t.Helper()
	f := ghfake.New()
	f.AddRepo(repo, false)
	f.AddRepo("octo/secret-repo", true)
	f.AddToken(tClassic, ghfake.ClassicToken("repo"))
	f.AddToken(tNoScope, ghfake.ClassicToken())
	f.AddToken(tFine, ghfake.FineGrainedToken(ghfake.Write, ghfake.NoAccess, repo))
	f.AddToken(tActions, ghfake.ActionsToken(repo, ghfake.Write))
	return f, f.Start(t)
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, method, url, token, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "test")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func seal(t *testing.T, f *ghfake.Fake, value string) (keyID, enc string) {
	t.Helper()
	keyID, key := f.PublicKey(repo)
	sealed, err := box.SealAnonymous(nil, []byte(value), &key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return keyID, base64.StdEncoding.EncodeToString(sealed)
}

func TestBadCredentialsLikeGitHub(t *testing.T) {
	_, url := setup(t)
	r := do(t, "GET", url+"/repos/octo/e5/actions/secrets/public-key", "ghp_unknown", "")
	if r.status != 401 || r.raw != `{"documentation_url":"https://docs.github.com/rest","message":"Bad credentials","status":"401"}` {
		t.Errorf("%d %s", r.status, r.raw)
	}
	r = do(t, "GET", url+"/repos/octo/e5/actions/secrets/public-key", "", "")
	if r.status != 401 || r.body["message"] != "Requires authentication" {
		t.Errorf("no token: %d %s", r.status, r.raw)
	}
}

func TestPublicKeyIsARealCurve25519Key(t *testing.T) {
	f, url := setup(t)
	r := do(t, "GET", url+"/repos/OCTO/E5/actions/secrets/public-key", tClassic, "") // names are not case-sensitive
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	keyID, key := f.PublicKey(repo)
	raw, err := base64.StdEncoding.DecodeString(r.body["key"].(string))
	if err != nil || len(raw) != 32 || string(raw) != string(key[:]) || r.body["key_id"] != keyID {
		t.Fatalf("served %v, want %s %x", r.body, keyID, key)
	}
	f.RotateKey(repo)
	if k2, _ := f.PublicKey(repo); k2 == keyID {
		t.Error("RotateKey kept the key id")
	}
}

func TestPutSecretValidation(t *testing.T) {
	tests := []struct {
		name   string
		body   func(t *testing.T, f *ghfake.Fake) string
		secret string
		status int
		msg    string
	}{
		{"valid", func(t *testing.T, f *ghfake.Fake) string {
			id, enc := seal(t, f, "plain ✓")
			return `{"encrypted_value":"` + enc + `","key_id":"` + id + `"}`
		}, "MS_TOKEN", 201, ""},
		{"malformed base64", func(t *testing.T, f *ghfake.Fake) string {
			id, _ := seal(t, f, "x")
			return `{"encrypted_value":"not*base64!","key_id":"` + id + `"}`
		}, "MS_TOKEN", 422, "base64"},
		{"wrong key_id", func(t *testing.T, f *ghfake.Fake) string {
			_, enc := seal(t, f, "x")
			return `{"encrypted_value":"` + enc + `","key_id":"1234"}`
		}, "MS_TOKEN", 422, "key_id"},
		{"missing key_id", func(t *testing.T, f *ghfake.Fake) string {
			_, enc := seal(t, f, "x")
			return `{"encrypted_value":"` + enc + `"}`
		}, "MS_TOKEN", 422, `"key_id" wasn't supplied`},
		{"not sealed for this key", func(t *testing.T, f *ghfake.Fake) string {
			id, _ := f.PublicKey(repo)
			return `{"encrypted_value":"` + base64.StdEncoding.EncodeToString(make([]byte, 64)) + `","key_id":"` + id + `"}`
		}, "MS_TOKEN", 422, "decrypted"},
		{"not JSON", func(*testing.T, *ghfake.Fake) string { return "{" }, "MS_TOKEN", 400, "Problems parsing JSON"},
		{"reserved name", func(t *testing.T, f *ghfake.Fake) string {
			id, enc := seal(t, f, "x")
			return `{"encrypted_value":"` + enc + `","key_id":"` + id + `"}`
		}, "GITHUB_X", 422, "GITHUB_"},
		{"too large", func(t *testing.T, f *ghfake.Fake) string {
			id, enc := seal(t, f, strings.Repeat("a", ghfake.MaxSecretSize+1))
			return `{"encrypted_value":"` + enc + `","key_id":"` + id + `"}`
		}, "MS_TOKEN", 422, "48 KB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, url := setup(t)
			r := do(t, "PUT", url+"/repos/octo/e5/actions/secrets/"+tc.secret, tClassic, tc.body(t, f))
			if r.status != tc.status {
				t.Fatalf("%d %s, want %d", r.status, r.raw, tc.status)
			}
			v, ok := f.Secret(repo, tc.secret)
			if tc.status == 201 {
				if !ok || v != "plain ✓" {
					t.Errorf("stored %q %v", v, ok)
				}
				return
			}
			if ok {
				t.Errorf("stored %q after a refusal", v)
			}
			if msg, _ := r.body["message"].(string); !strings.Contains(msg, tc.msg) || r.body["documentation_url"] == "" {
				t.Errorf("body %s, want a message about %q", r.raw, tc.msg)
			}
		})
	}
}

func TestPutSecretCreateThenUpdate(t *testing.T) {
	f, url := setup(t)
	for i, want := range []int{201, 204} {
		id, enc := seal(t, f, "v"+string(rune('0'+i)))
		r := do(t, "PUT", url+"/repos/octo/e5/actions/secrets/ms_token", tFine, `{"encrypted_value":"`+enc+`","key_id":"`+id+`"}`)
		if r.status != want {
			t.Fatalf("write %d: %d %s", i, r.status, r.raw)
		}
	}
	if v, _ := f.Secret(repo, "MS_TOKEN"); v != "v1" {
		t.Errorf("secret %q", v)
	}
}

func TestTokenKinds(t *testing.T) {
	f, url := setup(t)
	id, enc := seal(t, f, "x")
	put := `{"encrypted_value":"` + enc + `","key_id":"` + id + `"}`
	tests := []struct {
		name, method, path, token, body string
		status                          int
		message, accepted               string
		scopes                          *string // X-OAuth-Scopes; nil: absent
	}{
		{"classic reports scopes", "GET", "/repos/octo/e5/actions/secrets/public-key", tClassic, "", 200, "", "", ptr("repo")},
		{"classic without scopes reads a public repository", "GET", "/repos/octo/e5/actions/secrets/public-key", tNoScope, "", 200, "", "", ptr("")},
		{"classic without repo cannot write", "PUT", "/repos/octo/e5/actions/secrets/X", tNoScope, put, 403, "Must have admin rights to Repository.", "", ptr("")},
		{"classic without repo cannot see a private repository", "GET", "/repos/octo/secret-repo/actions/secrets/public-key", tNoScope, "", 404, "Not Found", "", ptr("")},
		{"fine-grained has no scopes header", "GET", "/repos/octo/e5/actions/secrets/public-key", tFine, "", 200, "", "", nil},
		{"fine-grained outside its repositories", "GET", "/repos/octo/secret-repo/actions/secrets/public-key", tFine, "", 404, "Not Found", "", nil},
		{"fine-grained without actions write", "PUT", "/repos/octo/e5/actions/workflows/1/enable", tFine, "", 403, "Resource not accessible by personal access token", "actions=write", nil},
		{"GITHUB_TOKEN cannot read secrets", "GET", "/repos/octo/e5/actions/secrets/public-key", tActions, "", 403, "Resource not accessible by integration", "secrets=read", nil},
		{"GITHUB_TOKEN cannot write secrets", "PUT", "/repos/octo/e5/actions/secrets/X", tActions, put, 403, "Resource not accessible by integration", "secrets=write", nil},
		{"unknown repository", "GET", "/repos/octo/none/actions/secrets/public-key", tClassic, "", 404, "Not Found", "", ptr("repo")},
		{"unknown endpoint", "GET", "/repos/octo/e5/actions/secrets", tClassic, "", 404, "Not Found", "", ptr("repo")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, url+tc.path, tc.token, tc.body)
			if r.status != tc.status {
				t.Fatalf("%d %s, want %d", r.status, r.raw, tc.status)
			}
			if tc.message != "" && (r.body["message"] != tc.message || r.body["status"] != itoa(tc.status)) {
				t.Errorf("body %s, want message %q", r.raw, tc.message)
			}
			if got := r.header.Get("X-Accepted-GitHub-Permissions"); got != tc.accepted {
				t.Errorf("X-Accepted-GitHub-Permissions %q, want %q", got, tc.accepted)
			}
			vs, present := r.header["X-Oauth-Scopes"]
			switch {
			case tc.scopes == nil && present:
				t.Errorf("X-OAuth-Scopes %q sent for a token without scopes", vs)
			case tc.scopes != nil && (!present || vs[0] != *tc.scopes):
				t.Errorf("X-OAuth-Scopes %q (present %v), want %q", vs, present, *tc.scopes)
			}
			if r.header.Get("X-RateLimit-Remaining") == "" || r.header.Get("X-GitHub-Request-Id") == "" {
				t.Errorf("headers %v", r.header)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestWorkflowStatesAndEnable(t *testing.T) {
	f, url := setup(t)
	id := f.AddWorkflow(repo, ghfake.Workflow{Name: "renew", Path: ".github/workflows/renew.yml", State: "disabled_inactivity"})
	r := do(t, "GET", url+"/repos/octo/e5/actions/workflows/renew.yml", tClassic, "")
	if r.status != 200 || r.body["state"] != "disabled_inactivity" || r.body["id"] != float64(id) || r.body["path"] != ".github/workflows/renew.yml" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if r := do(t, "PUT", url+"/repos/octo/e5/actions/workflows/"+itoa(int(id))+"/enable", tActions, ""); r.status != 204 || r.raw != "" {
		t.Fatalf("enable: %d %s", r.status, r.raw)
	}
	if s := f.WorkflowState(repo, id); s != "active" {
		t.Errorf("state %q", s)
	}
	f.SetWorkflowState(repo, id, "disabled_manually")
	if r := do(t, "GET", url+"/repos/octo/e5/actions/workflows/"+itoa(int(id)), tClassic, ""); r.body["state"] != "disabled_manually" {
		t.Errorf("after SetWorkflowState: %s", r.raw)
	}
	if r := do(t, "PUT", url+"/repos/octo/e5/actions/workflows/other.yml/enable", tClassic, ""); r.status != 404 {
		t.Errorf("unknown workflow: %d", r.status)
	}
}

func TestFaultsAndRecording(t *testing.T) {
	f, url := setup(t)
	reset := time.Unix(1_800_000_000, 0)
	f.Inject(ghfake.ServerError(502, 1))
	f.Inject(ghfake.SecondaryRateLimit(7, 1))
	f.Inject(ghfake.PrimaryRateLimit(reset, 1))
	p := url + "/repos/octo/e5/actions/secrets/public-key"
	r1, r2, r3, r4 := do(t, "GET", p, tClassic, ""), do(t, "GET", p, tClassic, ""), do(t, "GET", p, tClassic, ""), do(t, "GET", p, tClassic, "")
	if r1.status != 502 || !strings.Contains(r1.raw, "Unicorn") {
		t.Errorf("first: %d %s", r1.status, r1.raw)
	}
	if r2.status != 403 || r2.header.Get("Retry-After") != "7" || !strings.Contains(r2.raw, "secondary rate limit") {
		t.Errorf("second: %d %v %s", r2.status, r2.header, r2.raw)
	}
	if r3.status != 403 || r3.header.Get("X-RateLimit-Remaining") != "0" || r3.header.Get("X-RateLimit-Reset") != "1800000000" {
		t.Errorf("third: %d %v", r3.status, r3.header)
	}
	if r4.status != 200 {
		t.Errorf("fourth: %d", r4.status)
	}
	reqs := f.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests recorded", len(reqs))
	}
	for i, want := range []int{502, 403, 403, 200} {
		if reqs[i].Status != want || reqs[i].Token != tClassic || reqs[i].Method != "GET" || reqs[i].Path != "/repos/octo/e5/actions/secrets/public-key" {
			t.Errorf("request %d: %+v", i, reqs[i])
		}
	}
}

func TestHeaderChecks(t *testing.T) {
	_, url := setup(t)
	req, _ := http.NewRequest("GET", url+"/repos/octo/e5/actions/secrets/public-key", nil)
	req.Header.Set("Authorization", "token "+tClassic) // the older scheme works too
	req.Header.Set("User-Agent", "x")
	req.Header.Set("X-GitHub-Api-Version", "2099-01-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("unknown API version: %d", resp.StatusCode)
	}
	req.Header.Del("X-GitHub-Api-Version")
	req.Header.Set("User-Agent", "")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("no User-Agent: %d", resp.StatusCode)
	}
}

func TestValidSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"MS_TOKEN": true, "_a": true, "a1": true, "GITHUBX": true,
		"": false, "1a": false, "GITHUB_X": false, "github_x": false, "a-b": false, "a b": false, "é": false,
	} {
		if got := ghfake.ValidSecretName(name); got != want {
			t.Errorf("ValidSecretName(%q) = %v", name, got)
		}
	}
}
