package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// driveRaw sends a request without following redirects and without the harness's JSON
// handling: download and upload URLs are not Graph.
func driveRaw(t *testing.T, method, u string, body []byte, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// driveSide serves the download and upload URLs the way the inspection mux will, and
// rewrites a URL the emulator issued (on the Graph server's host) to it.
type driveSide struct {
	h   *harness
	srv *httptest.Server
}

func newDriveSide(t *testing.T, h *harness) *driveSide {
	mux := http.NewServeMux()
	mux.HandleFunc("/_emulator/download/", h.e.serveDownload)
	mux.HandleFunc("/_emulator/upload/", h.e.serveUpload)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &driveSide{h: h, srv: srv}
}

func (s *driveSide) url(t *testing.T, issued string) string {
	t.Helper()
	if !strings.HasPrefix(issued, s.h.srv.URL+"/_emulator/") {
		t.Fatalf("URL %q is not on the emulator host %s", issued, s.h.srv.URL)
	}
	return s.srv.URL + strings.TrimPrefix(issued, s.h.srv.URL)
}

func childNames(g gresp) []string {
	var out []string
	for _, v := range g.value() {
		out = append(out, v["name"].(string))
	}
	return out
}

func hasName(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

func TestQuickXorHashVectors(t *testing.T) {
	// Published QuickXorHash test vectors (input and digest, both base64).
	for _, v := range []struct{ in, out string }{
		{"", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="},
		{"Sg==", "SgAAAAAAAAAAAAAAAQAAAAAAAAA="},
		{"tbQ=", "taAFAAAAAAAAAAAAAgAAAAAAAAA="},
		{"2fuxhBJXtpWFe8dOfdGeHw==", "O9tHLAghgSvYohKFyMMxnNCHaHg="},
		{"T6LYJIfDh81JrAK309H2JMJTXis=", "zBTHrspn3mEcohlJdIUAbjGNaNg="},
	} {
		in, _ := base64.StdEncoding.DecodeString(v.in)
		if got := base64.StdEncoding.EncodeToString(quickXorHash(in)); got != v.out {
			t.Errorf("quickXorHash(%s) = %s, want %s", v.in, got, v.out)
		}
	}
	// A long input wraps around the 160-bit register several times.
	long := bytes.Repeat([]byte{0xA5, 0x3C, 0x01}, 400)
	a := quickXorHash(long)
	long[777] ^= 0xFF
	if bytes.Equal(a, quickXorHash(long)) {
		t.Fatal("a changed byte did not change the hash")
	}
}

func TestDriveReadSeededTree(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	drive := h.call(t, tok, "GET", "/v1.0/me/drive", nil).must(t, 200)
	if drive.body["driveType"] != "business" || !strings.HasPrefix(drive.body["id"].(string), "b!") {
		t.Fatalf("drive: %s", drive.raw)
	}
	if _, leaked := drive.body["@webUrl"]; leaked {
		t.Fatalf("hidden key leaked: %s", drive.raw)
	}
	if q := drive.body["quota"].(map[string]any); q["used"].(float64) <= 0 {
		t.Fatalf("quota.used not computed: %v", q)
	}
	root := h.call(t, tok, "GET", "/v1.0/me/drive/root", nil).must(t, 200)
	if _, ok := root.body["root"]; !ok || root.body["name"] != "root" {
		t.Fatalf("root: %s", root.raw)
	}
	if _, leaked := root.body["@wk"]; leaked {
		t.Fatalf("@wk leaked: %s", root.raw)
	}
	alias := h.call(t, tok, "GET", "/v1.0/me/drive/items/root", nil).must(t, 200)
	if alias.body["id"] != root.body["id"] {
		t.Fatal("items/root is not the root")
	}
	kids := h.call(t, tok, "GET", "/v1.0/me/drive/root/children", nil).must(t, 200)
	names := childNames(kids)
	for _, want := range []string{"Documents", "Notebooks", "Project plan.docx", "notes.txt"} {
		if !hasName(names, want) {
			t.Fatalf("root children %v lack %q", names, want)
		}
	}
	for _, v := range kids.value() {
		_, isFolder := v["folder"]
		_, hasURL := v["@microsoft.graph.downloadUrl"]
		if isFolder == hasURL {
			t.Fatalf("downloadUrl must be on files only: %v", v)
		}
	}
	docs := h.call(t, tok, "GET", "/v1.0/me/drive/root:/Documents", nil).must(t, 200)
	if docs.body["folder"].(map[string]any)["childCount"].(float64) < 1 {
		t.Fatalf("Documents folder: %s", docs.raw)
	}
	if docs.body["parentReference"].(map[string]any)["path"] != "/drive/root:" {
		t.Fatalf("parentReference: %v", docs.body["parentReference"])
	}
	inDocs := h.call(t, tok, "GET", "/v1.0/me/drive/items/"+docs.body["id"].(string)+"/children?$select=name", nil).must(t, 200)
	if len(inDocs.value()) != int(docs.body["folder"].(map[string]any)["childCount"].(float64)) {
		t.Fatalf("childCount disagrees with children: %s", inDocs.raw)
	}
	byPath := h.call(t, tok, "GET", "/v1.0/me/drive/root:/documents/"+inDocs.value()[0]["name"].(string), nil).must(t, 200)
	if byPath.body["id"] != inDocs.value()[0]["id"] {
		t.Fatal("path lookup is not case-insensitive or finds another item")
	}
	miss := h.call(t, tok, "GET", "/v1.0/me/drive/root:/nope/none.txt", nil).must(t, 404)
	if miss.errCode() != "itemNotFound" {
		t.Fatalf("missing path: %s", miss.raw)
	}
	if bad := h.call(t, tok, "GET", "/v1.0/me/drive/items/01NOTANITEM", nil).must(t, 404); bad.errCode() != "itemNotFound" {
		t.Fatalf("unknown id: %s", bad.raw)
	}
	recent := h.call(t, tok, "GET", "/v1.0/me/drive/recent", nil).must(t, 200)
	prev := "9999"
	for _, v := range recent.value() {
		if _, ok := v["folder"]; ok {
			t.Fatalf("recent lists a folder: %v", v)
		}
		if m := v["lastModifiedDateTime"].(string); m > prev {
			t.Fatal("recent is not newest first")
		} else {
			prev = m
		}
	}
	if len(recent.value()) != len(seedFiles) {
		t.Fatalf("recent has %d files, seeded %d", len(recent.value()), len(seedFiles))
	}
	found := h.call(t, tok, "GET", "/v1.0/me/drive/root/search(q='NOTES')", nil).must(t, 200)
	if !hasName(childNames(found), "notes.txt") {
		t.Fatalf("search: %s", found.raw)
	}
	byContent := h.call(t, tok, "GET", "/v1.0/me/drive/root/search(q='webhooks')", nil).must(t, 200)
	if names := childNames(byContent); len(names) != 1 || names[0] != "notes.txt" {
		t.Fatalf("content search: %v", names)
	}
}

func TestDriveFoldersAndConflicts(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	folder := map[string]any{"name": "e5renew", "folder": map[string]any{}}
	first := h.call(t, tok, "POST", "/v1.0/me/drive/root/children", folder).must(t, 201)
	id := first.body["id"].(string)
	if h.artifacts() != 1 {
		t.Fatalf("live artifacts = %d after one folder", h.artifacts())
	}
	if dup := h.call(t, tok, "POST", "/v1.0/me/drive/root/children", map[string]any{"name": "E5RENEW", "folder": map[string]any{}}).must(t, 409); dup.errCode() != "nameAlreadyExists" {
		t.Fatalf("duplicate folder: %s", dup.raw)
	}
	renamed := h.call(t, tok, "POST", "/v1.0/me/drive/root/children", map[string]any{"name": "e5renew", "folder": map[string]any{},
		"@microsoft.graph.conflictBehavior": "rename"}).must(t, 201)
	if renamed.body["name"] != "e5renew 1" {
		t.Fatalf("rename gave %v", renamed.body["name"])
	}
	sub := h.call(t, tok, "POST", "/v1.0/me/drive/items/"+id+"/children", map[string]any{"name": "sub", "folder": map[string]any{}}).must(t, 201)
	if pr := sub.body["parentReference"].(map[string]any); pr["id"] != id || pr["path"] != "/drive/root:/e5renew" {
		t.Fatalf("child parentReference: %v", pr)
	}
	got := h.call(t, tok, "GET", "/v1.0/me/drive/items/"+id, nil).must(t, 200)
	if got.body["folder"].(map[string]any)["childCount"].(float64) != 1 {
		t.Fatalf("childCount after creating a subfolder: %s", got.raw)
	}
	empty := h.call(t, tok, "POST", "/v1.0/me/drive/items/"+id+"/children", map[string]any{"name": "empty.txt", "file": map[string]any{}}).must(t, 201)
	if empty.body["size"].(float64) != 0 || empty.body["file"].(map[string]any)["mimeType"] != "text/plain" {
		t.Fatalf("empty file: %s", empty.raw)
	}
	replaced := h.call(t, tok, "POST", "/v1.0/me/drive/root/children", map[string]any{"name": "e5renew 1", "folder": map[string]any{},
		"@microsoft.graph.conflictBehavior": "replace"}).must(t, 201)
	if replaced.body["id"] == renamed.body["id"] {
		t.Fatal("replace kept the old folder")
	}
	h.call(t, tok, "GET", "/v1.0/me/drive/items/"+renamed.body["id"].(string), nil).must(t, 404)

	for _, c := range []struct {
		body map[string]any
		code string
	}{
		{map[string]any{"name": "a:b", "folder": map[string]any{}}, "invalidRequest"},
		{map[string]any{"name": " lead", "folder": map[string]any{}}, "invalidRequest"},
		{map[string]any{"name": "nofacet"}, "invalidRequest"},
		{map[string]any{"name": "x", "folder": map[string]any{}, "colour": "red"}, "RequestBodyRead"},
		{map[string]any{"name": "x", "folder": map[string]any{}, "@microsoft.graph.conflictBehavior": "merge"}, "invalidRequest"},
	} {
		if r := h.call(t, tok, "POST", "/v1.0/me/drive/root/children", c.body).must(t, 400); r.errCode() != c.code {
			t.Fatalf("%v: %s", c.body, r.raw)
		}
	}
	if r := h.call(t, tok, "POST", "/v1.0/me/drive/items/"+empty.body["id"].(string)+"/children", folder).must(t, 400); r.errCode() != "invalidRequest" {
		t.Fatalf("child of a file: %s", r.raw)
	}

	// Rename and move.
	mv := h.call(t, tok, "PATCH", "/v1.0/me/drive/items/"+sub.body["id"].(string), map[string]any{"name": "moved",
		"parentReference": map[string]any{"id": replaced.body["id"]}}).must(t, 200)
	if mv.body["name"] != "moved" || mv.body["parentReference"].(map[string]any)["path"] != "/drive/root:/e5renew 1" {
		t.Fatalf("move: %s", mv.raw)
	}
	if !strings.HasSuffix(mv.body["webUrl"].(string), "/Documents/e5renew 1/moved") {
		t.Fatalf("webUrl after move: %v", mv.body["webUrl"])
	}
	if mv.body["eTag"] == sub.body["eTag"] {
		t.Fatal("eTag unchanged after a move")
	}
	loop := h.call(t, tok, "PATCH", "/v1.0/me/drive/items/"+replaced.body["id"].(string), map[string]any{
		"parentReference": map[string]any{"id": mv.body["id"]}}).must(t, 400)
	if loop.errCode() != "invalidRequest" {
		t.Fatalf("move into own child: %s", loop.raw)
	}
	clash := h.call(t, tok, "PATCH", "/v1.0/me/drive/items/"+replaced.body["id"].(string), map[string]any{"name": "e5renew"}).must(t, 409)
	if clash.errCode() != "nameAlreadyExists" {
		t.Fatalf("rename onto a sibling: %s", clash.raw)
	}
	stale := h.call(t, tok, "PATCH", "/v1.0/me/drive/items/"+mv.body["id"].(string), map[string]any{"name": "x"}, "If-Match", sub.body["eTag"].(string)).must(t, 412)
	if stale.errCode() != "resourceModified" {
		t.Fatalf("stale If-Match: %s", stale.raw)
	}
	if r := h.call(t, tok, "DELETE", "/v1.0/me/drive/items/root", nil).must(t, 403); r.errCode() != "accessDenied" {
		t.Fatalf("delete root: %s", r.raw)
	}

	// Deleting a folder deletes its subtree; the statistics return to zero.
	if n := h.artifacts(); n != 4 {
		t.Fatalf("live artifacts = %d, want 4 (two folders, a subfolder and a file)", n)
	}
	h.call(t, tok, "DELETE", "/v1.0/me/drive/items/"+id, nil).must(t, 204)
	h.call(t, tok, "GET", "/v1.0/me/drive/items/"+empty.body["id"].(string), nil).must(t, 404)
	h.call(t, tok, "DELETE", "/v1.0/me/drive/items/"+replaced.body["id"].(string), nil).must(t, 204)
	h.call(t, tok, "GET", "/v1.0/me/drive/items/"+mv.body["id"].(string), nil).must(t, 404)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}
	names := childNames(h.call(t, tok, "GET", "/v1.0/me/drive/root/children", nil).must(t, 200))
	if hasName(names, "e5renew") || hasName(names, "e5renew 1") {
		t.Fatalf("deleted folders still listed: %v", names)
	}
}

func TestDriveSimpleUploadAndDownload(t *testing.T) {
	h := defaultHarness(t)
	side := newDriveSide(t, h)
	tok := h.userToken(t, h.alex)
	up := h.call(t, tok, "PUT", "/v1.0/me/drive/root:/e5renew/a/hello.txt:/content", "hello").must(t, 201)
	if up.body["name"] != "hello.txt" || up.body["size"].(float64) != 5 {
		t.Fatalf("upload: %s", up.raw)
	}
	file := up.body["file"].(map[string]any)
	if file["mimeType"] != "text/plain" || file["hashes"].(map[string]any)["quickXorHash"] != base64.StdEncoding.EncodeToString(quickXorHash([]byte("hello"))) {
		t.Fatalf("file facet: %v", file)
	}
	if pr := up.body["parentReference"].(map[string]any); pr["path"] != "/drive/root:/e5renew/a" {
		t.Fatalf("missing parents were not created: %v", pr)
	}
	if h.artifacts() != 3 {
		t.Fatalf("live artifacts = %d, want the file and its two new folders", h.artifacts())
	}
	id := up.body["id"].(string)
	again := h.call(t, tok, "PUT", "/v1.0/me/drive/root:/e5renew/a/hello.txt:/content", "hello, world").must(t, 200)
	if again.body["id"] != id || again.body["size"].(float64) != 12 || again.body["cTag"] == up.body["cTag"] {
		t.Fatalf("replace: %s", again.raw)
	}
	if r := h.call(t, tok, "PUT", "/v1.0/me/drive/root:/e5renew/a/hello.txt:/content?@microsoft.graph.conflictBehavior=fail", "x").must(t, 409); r.errCode() != "nameAlreadyExists" {
		t.Fatalf("conflictBehavior=fail: %s", r.raw)
	}
	ren := h.call(t, tok, "PUT", "/v1.0/me/drive/root:/e5renew/a/hello.txt:/content?@microsoft.graph.conflictBehavior=rename", "x").must(t, 201)
	if ren.body["name"] != "hello 1.txt" {
		t.Fatalf("rename: %v", ren.body["name"])
	}
	big := h.call(t, tok, "PUT", "/v1.0/me/drive/root:/e5renew/big.bin:/content", bytes.Repeat([]byte{1}, simpleUploadMax+1)).must(t, 413)
	if big.errCode() != "invalidRequest" {
		t.Fatalf("over 4 MB: %s", big.raw)
	}
	h.call(t, tok, "GET", "/v1.0/me/drive/root:/e5renew/big.bin", nil).must(t, 404)

	folder := h.call(t, tok, "GET", "/v1.0/me/drive/root:/e5renew", nil).must(t, 200)
	inFolder := h.call(t, tok, "PUT", "/v1.0/me/drive/items/"+folder.body["id"].(string)+":/data.json:/content", `{"k":1}`).must(t, 201)
	if inFolder.body["file"].(map[string]any)["mimeType"] != "application/json" {
		t.Fatalf("upload by parent id: %s", inFolder.raw)
	}
	repl := h.call(t, tok, "PUT", "/v1.0/me/drive/items/"+inFolder.body["id"].(string)+"/content", `{"k":2}`).must(t, 200)
	if repl.body["id"] != inFolder.body["id"] {
		t.Fatal("PUT /items/{id}/content created another item")
	}
	if r := h.call(t, tok, "PUT", "/v1.0/me/drive/items/"+folder.body["id"].(string)+"/content", "x").must(t, 400); r.errCode() != "invalidRequest" {
		t.Fatalf("content of a folder: %s", r.raw)
	}

	// Download: 302 to a pre-authenticated URL that works without a token.
	resp, _ := driveRaw(t, "GET", h.srv.URL+"/v1.0/me/drive/items/"+id+"/content", nil, "Authorization", "Bearer "+tok)
	if resp.StatusCode != 302 {
		t.Fatalf("content: status %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	dl, body := driveRaw(t, "GET", side.url(t, loc), nil)
	if dl.StatusCode != 200 || string(body) != "hello, world" || !strings.HasPrefix(dl.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("download: %d %q %s", dl.StatusCode, body, dl.Header.Get("Content-Type"))
	}
	part, body := driveRaw(t, "GET", side.url(t, loc), nil, "Range", "bytes=7-")
	if part.StatusCode != 206 || string(body) != "world" {
		t.Fatalf("range download: %d %q", part.StatusCode, body)
	}
	byPath, _ := driveRaw(t, "GET", h.srv.URL+"/v1.0/me/drive/root:/e5renew/a/hello.txt:/content", nil, "Authorization", "Bearer "+tok)
	if byPath.StatusCode != 302 || !strings.Contains(byPath.Header.Get("Location"), "/_emulator/download/") {
		t.Fatalf("content by path: %d %v", byPath.StatusCode, byPath.Header)
	}
	item := h.call(t, tok, "GET", "/v1.0/me/drive/items/"+inFolder.body["id"].(string), nil).must(t, 200)
	_, body = driveRaw(t, "GET", side.url(t, item.body["@microsoft.graph.downloadUrl"].(string)), nil)
	if string(body) != `{"k":2}` {
		t.Fatalf("@microsoft.graph.downloadUrl served %q", body)
	}
	if r, _ := driveRaw(t, "GET", side.srv.URL+"/_emulator/download/forged", nil); r.StatusCode != 401 {
		t.Fatalf("forged download URL: %d", r.StatusCode)
	}
	if r, _ := driveRaw(t, "GET", h.srv.URL+"/v1.0/me/drive/items/"+folder.body["id"].(string)+"/content", nil, "Authorization", "Bearer "+tok); r.StatusCode != 404 {
		t.Fatalf("content of a folder: %d", r.StatusCode)
	}
	h.clock.advance(2 * time.Hour)
	tok = h.userToken(t, h.alex)
	if r, _ := driveRaw(t, "GET", side.url(t, loc), nil); r.StatusCode != 401 {
		t.Fatalf("expired download URL: %d", r.StatusCode)
	}

	h.call(t, tok, "DELETE", "/v1.0/me/drive/items/"+folder.body["id"].(string), nil).must(t, 204)
	if r, _ := driveRaw(t, "GET", side.url(t, item.body["@microsoft.graph.downloadUrl"].(string)), nil); r.StatusCode != 401 && r.StatusCode != 404 {
		t.Fatalf("download of a deleted file: %d", r.StatusCode)
	}
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}
}

func TestDriveUploadSession(t *testing.T) {
	h := defaultHarness(t)
	side := newDriveSide(t, h)
	tok := h.userToken(t, h.alex)
	sess := h.call(t, tok, "POST", "/v1.0/me/drive/root:/e5renew/big.bin:/createUploadSession",
		map[string]any{"item": map[string]any{"@microsoft.graph.conflictBehavior": "fail"}}).must(t, 200)
	upURL := side.url(t, sess.body["uploadUrl"].(string))
	if _, err := time.Parse(time.RFC3339, sess.body["expirationDateTime"].(string)); err != nil {
		t.Fatalf("expirationDateTime: %v", sess.body["expirationDateTime"])
	}
	const total = 700000
	content := make([]byte, total)
	for i := range content {
		content[i] = byte(i * 7)
	}
	put := func(start, end int, hdr ...string) (*http.Response, map[string]any) {
		hdrs := append([]string{"Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, total)}, hdr...)
		r, b := driveRaw(t, "PUT", upURL, content[start:end+1], hdrs...)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return r, m
	}
	r, m := put(0, 327679)
	if r.StatusCode != 202 || fmt.Sprint(m["nextExpectedRanges"]) != "[327680-]" {
		t.Fatalf("first fragment: %d %v", r.StatusCode, m)
	}
	if r, m = put(0, 327679); r.StatusCode != 416 || m["error"].(map[string]any)["code"] != "invalidRange" {
		t.Fatalf("overlap: %d %v", r.StatusCode, m)
	}
	if r, _ = put(655360, total-1); r.StatusCode != 416 {
		t.Fatalf("out of order: %d", r.StatusCode)
	}
	if r, _ = put(327680, 655359, "Authorization", "Bearer "+tok); r.StatusCode != 401 {
		t.Fatalf("bearer token sent to the upload URL: %d", r.StatusCode)
	}
	if r, _ := driveRaw(t, "PUT", upURL, content[327680:327690], "Content-Range", "bytes 327680-327689/5"); r.StatusCode != 400 {
		t.Fatalf("total size changed: %d", r.StatusCode)
	}
	st, b := driveRaw(t, "GET", upURL, nil)
	if st.StatusCode != 200 || !strings.Contains(string(b), `"327680-"`) {
		t.Fatalf("status: %d %s", st.StatusCode, b)
	}
	if r, _ = put(327680, 655359); r.StatusCode != 202 {
		t.Fatalf("second fragment: %d", r.StatusCode)
	}
	if h.artifacts() != 1 {
		t.Fatalf("live artifacts = %d before completion, want the parent folder only", h.artifacts())
	}
	r, m = put(655360, total-1)
	if r.StatusCode != 201 || m["name"] != "big.bin" || m["size"].(float64) != total {
		t.Fatalf("final fragment: %d %v", r.StatusCode, m)
	}
	if m["file"].(map[string]any)["hashes"].(map[string]any)["quickXorHash"] != base64.StdEncoding.EncodeToString(quickXorHash(content)) {
		t.Fatal("hash of the assembled file is wrong")
	}
	id := m["id"].(string)
	if h.artifacts() != 2 {
		t.Fatalf("live artifacts = %d after completion", h.artifacts())
	}
	if r, _ := driveRaw(t, "GET", upURL, nil); r.StatusCode != 404 {
		t.Fatalf("completed session still answers: %d", r.StatusCode)
	}
	got := h.call(t, tok, "GET", "/v1.0/me/drive/items/"+id, nil).must(t, 200)
	_, body := driveRaw(t, "GET", side.url(t, got.body["@microsoft.graph.downloadUrl"].(string)), nil)
	if !bytes.Equal(body, content) {
		t.Fatalf("downloaded %d bytes that differ from the upload", len(body))
	}

	// A second session to the same path fails on completion (conflictBehavior fail).
	s2 := h.call(t, tok, "POST", "/v1.0/me/drive/root:/e5renew/big.bin:/createUploadSession", nil).must(t, 200)
	u2 := side.url(t, s2.body["uploadUrl"].(string))
	if r, b := driveRaw(t, "PUT", u2, []byte("tiny"), "Content-Range", "bytes 0-3/4"); r.StatusCode != 409 || !strings.Contains(string(b), "nameAlreadyExists") {
		t.Fatalf("conflict at completion: %d %s", r.StatusCode, b)
	}
	if r, _ := driveRaw(t, "DELETE", u2, nil); r.StatusCode != 204 {
		t.Fatalf("cancel: %d", r.StatusCode)
	}
	if r, _ := driveRaw(t, "GET", u2, nil); r.StatusCode != 404 {
		t.Fatalf("cancelled session: %d", r.StatusCode)
	}

	// Updating an existing file by id replaces its content (200).
	s3 := h.call(t, tok, "POST", "/v1.0/me/drive/items/"+id+"/createUploadSession", nil).must(t, 200)
	r3, b3 := driveRaw(t, "PUT", side.url(t, s3.body["uploadUrl"].(string)), []byte("small now"), "Content-Range", "bytes 0-8/9")
	if r3.StatusCode != 200 || !strings.Contains(string(b3), `"size":9`) || !strings.Contains(string(b3), id) {
		t.Fatalf("update by id: %d %s", r3.StatusCode, b3)
	}
	// Into a folder by id, with a deferred commit.
	folder := h.call(t, tok, "GET", "/v1.0/me/drive/root:/e5renew", nil).must(t, 200)
	s4 := h.call(t, tok, "POST", "/v1.0/me/drive/items/"+folder.body["id"].(string)+":/later.txt:/createUploadSession",
		map[string]any{"deferCommit": true}).must(t, 200)
	u4 := side.url(t, s4.body["uploadUrl"].(string))
	if r, _ := driveRaw(t, "PUT", u4, []byte("abc"), "Content-Range", "bytes 0-2/3"); r.StatusCode != 202 {
		t.Fatalf("deferred final fragment: %d", r.StatusCode)
	}
	h.call(t, tok, "GET", "/v1.0/me/drive/root:/e5renew/later.txt", nil).must(t, 404)
	if r, b := driveRaw(t, "POST", u4, nil); r.StatusCode != 201 || !strings.Contains(string(b), "later.txt") {
		t.Fatalf("commit: %d %s", r.StatusCode, b)
	}
	bad := h.call(t, tok, "POST", "/v1.0/me/drive/root:/e5renew/x.bin:/createUploadSession", map[string]any{"item": map[string]any{"nam": "x"}}).must(t, 400)
	if bad.errCode() != "RequestBodyRead" {
		t.Fatalf("unknown item property: %s", bad.raw)
	}
	if r, _ := driveRaw(t, "PUT", side.srv.URL+"/_emulator/upload/forged", []byte("x"), "Content-Range", "bytes 0-0/1"); r.StatusCode != 404 {
		t.Fatalf("forged upload URL: %d", r.StatusCode)
	}
	h.call(t, tok, "DELETE", "/v1.0/me/drive/items/"+folder.body["id"].(string), nil).must(t, 204)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}
}

func TestDriveAppTokensAndDrivesForm(t *testing.T) {
	h := defaultHarness(t)
	alex, megan, app := h.userToken(t, h.alex), h.userToken(t, h.megan), h.appToken(t)
	meganDrive := h.call(t, megan, "GET", "/v1.0/me/drive", nil).must(t, 200).body["id"].(string)
	alexDrive := h.call(t, alex, "GET", "/v1.0/me/drive", nil).must(t, 200).body["id"].(string)

	if r := h.call(t, alex, "GET", "/v1.0/users/"+h.megan.UPN+"/drive/root/children", nil).must(t, 403); r.errCode() != "accessDenied" {
		t.Fatalf("delegated read of another drive: %s", r.raw)
	}
	if r := h.call(t, alex, "GET", "/v1.0/drives/"+meganDrive+"/root", nil).must(t, 403); r.errCode() != "accessDenied" {
		t.Fatalf("delegated /drives/{id} of another user: %s", r.raw)
	}
	h.call(t, app, "GET", "/v1.0/me/drive", nil).must(t, 400)
	kids := h.call(t, app, "GET", "/v1.0/users/"+h.megan.ID+"/drive/root/children", nil).must(t, 200)
	if !hasName(childNames(kids), "Documents") {
		t.Fatalf("app read of megan's root: %s", kids.raw)
	}
	f := h.call(t, app, "POST", "/v1.0/drives/"+meganDrive+"/root/children", map[string]any{"name": "by app", "folder": map[string]any{}}).must(t, 201)
	if f.body["createdBy"].(map[string]any)["application"] == nil {
		t.Fatalf("createdBy of an app-made item: %v", f.body["createdBy"])
	}
	if st := h.e.Stats(); st.LiveArtifacts[h.megan.UPN]["driveItem"] != 1 {
		t.Fatalf("artifact not attributed to the drive owner: %v", st.LiveArtifacts)
	}
	fid := f.body["id"].(string)
	up := h.call(t, app, "PUT", "/v1.0/users/"+h.megan.UPN+"/drive/items/"+fid+":/r.txt:/content", "report").must(t, 201)
	viaDrives := h.call(t, app, "GET", "/v1.0/drives/"+meganDrive+"/items/"+up.body["id"].(string), nil).must(t, 200)
	if viaDrives.body["name"] != "r.txt" || !strings.Contains(viaDrives.raw2(), "drives('"+meganDrive+"')") {
		t.Fatalf("/drives/{id}/items/{id}: %s", viaDrives.raw)
	}
	h.call(t, app, "GET", "/v1.0/drives/"+meganDrive+"/root:/by app/r.txt", nil).must(t, 200)
	h.call(t, app, "GET", "/v1.0/drives/"+meganDrive+"/items/"+fid+"/children", nil).must(t, 200)
	h.call(t, app, "PUT", "/v1.0/drives/"+meganDrive+"/items/"+up.body["id"].(string)+"/content", "v2").must(t, 200)
	if r, _ := driveRaw(t, "GET", h.srv.URL+"/v1.0/drives/"+meganDrive+"/items/"+up.body["id"].(string)+"/content", nil, "Authorization", "Bearer "+app); r.StatusCode != 302 {
		t.Fatalf("/drives content: %d", r.StatusCode)
	}
	if r, _ := driveRaw(t, "GET", h.srv.URL+"/v1.0/drives/"+meganDrive+"/root:/by%20app/r.txt:/content", nil, "Authorization", "Bearer "+app); r.StatusCode != 302 {
		t.Fatalf("/drives content by path: %d", r.StatusCode)
	}
	byPath := h.call(t, app, "PUT", "/v1.0/drives/"+meganDrive+"/root:/by app/p.txt:/content", "p").must(t, 201)
	byParent := h.call(t, app, "PUT", "/v1.0/drives/"+meganDrive+"/items/"+fid+":/q.txt:/content", "q").must(t, 201)
	if byPath.body["parentReference"].(map[string]any)["id"] != fid || byParent.body["parentReference"].(map[string]any)["id"] != fid {
		t.Fatal("uploads through /drives landed elsewhere")
	}
	sess := h.call(t, app, "POST", "/v1.0/drives/"+meganDrive+"/items/"+byPath.body["id"].(string)+"/createUploadSession", nil).must(t, 200)
	if !strings.Contains(sess.body["uploadUrl"].(string), "/_emulator/upload/") {
		t.Fatalf("upload session via /drives: %s", sess.raw)
	}
	h.call(t, app, "POST", "/v1.0/users/"+h.megan.ID+"/drive/root:/by app/s.bin:/createUploadSession", nil).must(t, 200)
	if r := h.call(t, app, "POST", "/v1.0/drives/"+meganDrive+"/items/"+byPath.body["id"].(string)+"/children", map[string]any{"name": "x", "folder": map[string]any{}}).must(t, 400); r.errCode() != "invalidRequest" {
		t.Fatalf("child of a file via /drives: %s", r.raw)
	}
	h.call(t, app, "PATCH", "/v1.0/drives/"+meganDrive+"/items/"+fid, map[string]any{"name": "by app 2"}).must(t, 200)
	h.call(t, app, "GET", "/v1.0/drives/"+meganDrive+"/root/search(q='r.txt')", nil).must(t, 200)
	h.call(t, app, "GET", "/v1.0/drives/"+meganDrive+"/recent", nil).must(t, 200)
	dr := h.call(t, app, "GET", "/v1.0/drives/"+meganDrive, nil).must(t, 200)
	if dr.body["owner"].(map[string]any)["user"].(map[string]any)["id"] != h.megan.ID {
		t.Fatalf("GET /drives/{id}: %s", dr.raw)
	}
	own := h.call(t, alex, "GET", "/v1.0/drives/"+alexDrive+"/root/children", nil).must(t, 200)
	if !hasName(childNames(own), "Notebooks") {
		t.Fatalf("own drive via /drives: %s", own.raw)
	}
	if r := h.call(t, app, "GET", "/v1.0/drives/b!unknown/root", nil).must(t, 404); r.errCode() != "itemNotFound" {
		t.Fatalf("unknown drive: %s", r.raw)
	}
	h.call(t, app, "DELETE", "/v1.0/drives/"+meganDrive+"/items/"+fid, nil).must(t, 204)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}

	nl := h.call(t, h.userToken(t, h.nolic), "GET", "/v1.0/me/drive", nil).must(t, 404)
	if nl.errCode() != "ResourceNotFound" {
		t.Fatalf("unlicensed: %s", nl.raw)
	}
	// The /drives/{id}/root form is a documented supplement with the /users/{id}/drive/root
	// permissions.
	if got := h.e.AcceptedPermissions("GET", "/drives/{id}/root", "Application"); !containsFold(got, "Files.Read.All") {
		t.Fatalf("supplement permissions: %v", got)
	}

	narrow := newHarness(t, Options{}, []string{"User.Read"}, nil)
	if r := narrow.call(t, narrow.userToken(t, narrow.alex), "GET", "/v1.0/me/drive/root/children", nil).must(t, 403); r.errCode() != "accessDenied" {
		t.Fatalf("no Files scope: %s", r.raw)
	}
}

// A user whose OneDrive is not provisioned yet: mail works, drive and OneNote answer 404.
func TestDriveNotProvisioned(t *testing.T) {
	h := defaultHarness(t)
	u, err := h.e.AddUser(h.tenant.ID, UserSpec{UPN: "newbie", Password: testPassword, NoDrive: true})
	if err != nil {
		t.Fatal(err)
	}
	tok := h.userToken(t, u)
	h.call(t, tok, "GET", "/v1.0/me/messages", nil).must(t, 200)
	if g := h.call(t, tok, "GET", "/v1.0/me/drive/root", nil).must(t, 404); g.errCode() != "ResourceNotFound" {
		t.Errorf("drive: code %q, want ResourceNotFound", g.errCode())
	}
	h.call(t, tok, "GET", "/v1.0/me/onenote/notebooks", nil).must(t, 404)
}
