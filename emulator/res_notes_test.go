package emulator

import (
	"bytes"
	"mime/multipart"
	"net/textproto"
	"strings"
	"testing"
)

const notesPageHTML = `<!DOCTYPE html><html><head><title>Daily &amp; notes</title></head><body><p>x</p></body></html>`

func TestNotesNotebooksAndSections(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	list := h.call(t, tok, "GET", "/v1.0/me/onenote/notebooks", nil).must(t, 200)
	if len(list.value()) != 1 || list.value()[0]["isDefault"] != true {
		t.Fatalf("seeded notebooks: %s", list.raw)
	}
	nb := h.call(t, tok, "POST", "/v1.0/me/onenote/notebooks", map[string]any{"displayName": "e5renew"}).must(t, 201)
	nbID := nb.body["id"].(string)
	if nb.body["displayName"] != "e5renew" || nb.body["isDefault"] != false ||
		!strings.HasSuffix(nb.body["sectionsUrl"].(string), "/users/"+h.alex.ID+"/onenote/notebooks/"+nbID+"/sections") {
		t.Fatalf("created notebook: %s", nb.raw)
	}
	dup := h.call(t, tok, "POST", "/v1.0/me/onenote/notebooks", map[string]any{"displayName": "E5RENEW"}).must(t, 409)
	if dup.errCode() != "20117" {
		t.Fatalf("duplicate notebook: %s", dup.raw)
	}
	for _, c := range []struct {
		body map[string]any
		code string
	}{
		{map[string]any{"displayName": "a/b"}, "20115"},
		{map[string]any{"displayName": "   "}, "20152"},
		{map[string]any{"displayName": strings.Repeat("n", 129)}, "20155"},
		{map[string]any{"displayName": "ok", "color": "blue"}, "RequestBodyRead"},
	} {
		if r := h.call(t, tok, "POST", "/v1.0/me/onenote/notebooks", c.body).must(t, 400); r.errCode() != c.code {
			t.Fatalf("%v: %s", c.body, r.raw)
		}
	}
	got := h.call(t, tok, "GET", "/v1.0/me/onenote/notebooks/"+nbID, nil).must(t, 200)
	if got.body["id"] != nbID || got.body["self"] == nil {
		t.Fatalf("get notebook: %s", got.raw)
	}
	if r := h.call(t, tok, "GET", "/v1.0/me/onenote/notebooks/1-nope", nil).must(t, 404); r.errCode() != "20102" {
		t.Fatalf("unknown notebook: %s", r.raw)
	}
	sec := h.call(t, tok, "POST", "/v1.0/me/onenote/notebooks/"+nbID+"/sections", map[string]any{"displayName": "runs"}).must(t, 201)
	if pn := sec.body["parentNotebook"].(map[string]any); pn["id"] != nbID || sec.body["pagesUrl"] == nil {
		t.Fatalf("created section: %s", sec.raw)
	}
	if r := h.call(t, tok, "POST", "/v1.0/me/onenote/notebooks/"+nbID+"/sections", map[string]any{"displayName": "Runs"}).must(t, 409); r.errCode() != "20117" {
		t.Fatalf("duplicate section: %s", r.raw)
	}
	if r := h.call(t, tok, "POST", "/v1.0/me/onenote/notebooks/"+nbID+"/sections", map[string]any{"displayName": "a#b"}).must(t, 400); r.errCode() != "20153" {
		t.Fatalf("invalid section name: %s", r.raw)
	}
	if r := h.call(t, tok, "POST", "/v1.0/me/onenote/notebooks/1-nope/sections", map[string]any{"displayName": "s"}).must(t, 404); r.errCode() != "20102" {
		t.Fatalf("section in unknown notebook: %s", r.raw)
	}
	inNb := h.call(t, tok, "GET", "/v1.0/me/onenote/notebooks/"+nbID+"/sections", nil).must(t, 200)
	if len(inNb.value()) != 1 || inNb.value()[0]["displayName"] != "runs" {
		t.Fatalf("sections of the notebook: %s", inNb.raw)
	}
	all := h.call(t, tok, "GET", "/v1.0/me/onenote/sections", nil).must(t, 200)
	if len(all.value()) != 2 {
		t.Fatalf("all sections: %s", all.raw)
	}
	one := h.call(t, tok, "GET", "/v1.0/me/onenote/sections/"+sec.body["id"].(string), nil).must(t, 200)
	if one.body["displayName"] != "runs" {
		t.Fatalf("get section: %s", one.raw)
	}
	h.call(t, tok, "GET", "/v1.0/me/onenote/sections/1-nope", nil).must(t, 404)
	// Neither notebooks nor sections can be deleted: the route does not exist.
	if r := h.call(t, tok, "DELETE", "/v1.0/me/onenote/notebooks/"+nbID, nil).must(t, 405); r.errCode() != "Request_BadRequest" {
		t.Fatalf("DELETE notebook: %s", r.raw)
	}
	h.call(t, tok, "DELETE", "/v1.0/me/onenote/sections/"+sec.body["id"].(string), nil).must(t, 405)
	if st := h.e.Stats(); st.PermanentArtifacts[h.alex.UPN]["notebook"] != 1 || st.PermanentArtifacts[h.alex.UPN]["onenoteSection"] != 1 || st.LiveArtifactsTotal != 0 {
		t.Fatalf("artifacts: live %v permanent %v", st.LiveArtifacts, st.PermanentArtifacts)
	}
}

func TestNotesPages(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	secs := h.call(t, tok, "GET", "/v1.0/me/onenote/sections", nil).must(t, 200)
	quick := secs.value()[0]["id"].(string)
	pg := h.call(t, tok, "POST", "/v1.0/me/onenote/sections/"+quick+"/pages", notesPageHTML, "Content-Type", "text/html").must(t, 201)
	id := pg.body["id"].(string)
	if pg.body["title"] != "Daily & notes" || pg.body["parentSection"].(map[string]any)["id"] != quick {
		t.Fatalf("created page: %s", pg.raw)
	}
	if cu := pg.body["contentUrl"].(string); cu != h.srv.URL+"/v1.0/users/"+h.alex.ID+"/onenote/pages/"+id+"/content" {
		t.Fatalf("contentUrl %q", cu)
	}
	if h.artifacts() != 1 {
		t.Fatalf("live artifacts = %d after one page", h.artifacts())
	}
	content := h.call(t, tok, "GET", "/v1.0/me/onenote/pages/"+id+"/content", nil).must(t, 200)
	html := content.raw2()
	if !strings.HasPrefix(content.header.Get("Content-Type"), "text/html") || !strings.Contains(html, "<title>Daily &amp; notes</title>") ||
		!strings.Contains(html, "<p>x</p>") || !strings.Contains(html, `data-id="_default"`) {
		t.Fatalf("page content: %s", html)
	}
	pages := h.call(t, tok, "GET", "/v1.0/me/onenote/pages", nil).must(t, 200)
	if pages.value()[0]["id"] != id {
		t.Fatal("GET /pages is not newest first")
	}
	if len(pages.value()) != 3 {
		t.Fatalf("pages: %d, want the 2 seeded and the new one", len(pages.value()))
	}
	if r := h.call(t, tok, "GET", "/v1.0/me/onenote/pages?$top=101", nil).must(t, 400); r.errCode() != "20129" {
		t.Fatalf("$top over 100: %s", r.raw)
	}
	paged := h.call(t, tok, "GET", "/v1.0/me/onenote/sections/"+quick+"/pages?$top=2", nil).must(t, 200)
	if len(paged.value()) != 2 || paged.body["@odata.nextLink"] == nil {
		t.Fatalf("paging: %s", paged.raw)
	}

	def := h.call(t, tok, "POST", "/v1.0/me/onenote/pages", "<html><head><title>t</title></head><body><p>y</p></body></html>", "Content-Type", "text/html").must(t, 201)
	if def.body["parentSection"].(map[string]any)["id"] != quick {
		t.Fatalf("default section page: %s", def.raw)
	}
	named := h.call(t, tok, "POST", "/v1.0/me/onenote/pages?sectionName=Inbox%20notes", "<p>z</p>", "Content-Type", "text/html").must(t, 201)
	if named.body["parentSection"].(map[string]any)["displayName"] != "Inbox notes" || named.body["title"] != "" {
		t.Fatalf("sectionName page: %s", named.raw)
	}

	// multipart/form-data with a Presentation part.
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	ph := textproto.MIMEHeader{}
	ph.Set("Content-Disposition", `form-data; name="Presentation"`)
	ph.Set("Content-Type", "text/html")
	pw, _ := w.CreatePart(ph)
	_, _ = pw.Write([]byte("<html><head><title>multi</title></head><body><p>m</p></body></html>"))
	_ = w.Close()
	multi := h.call(t, tok, "POST", "/v1.0/me/onenote/sections/"+quick+"/pages", mp.Bytes(), "Content-Type", w.FormDataContentType()).must(t, 201)
	if multi.body["title"] != "multi" {
		t.Fatalf("multipart page: %s", multi.raw)
	}
	var none bytes.Buffer
	w2 := multipart.NewWriter(&none)
	fw, _ := w2.CreateFormField("other")
	_, _ = fw.Write([]byte("x"))
	_ = w2.Close()
	if r := h.call(t, tok, "POST", "/v1.0/me/onenote/sections/"+quick+"/pages", none.Bytes(), "Content-Type", w2.FormDataContentType()).must(t, 400); r.errCode() != "20001" {
		t.Fatalf("multipart without Presentation: %s", r.raw)
	}
	if r := h.call(t, tok, "POST", "/v1.0/me/onenote/sections/"+quick+"/pages", map[string]any{"title": "json"}).must(t, 400); r.errCode() != "20131" {
		t.Fatalf("JSON page body: %s", r.raw)
	}
	if r := h.call(t, tok, "POST", "/v1.0/me/onenote/sections/"+quick+"/pages", " ", "Content-Type", "text/html").must(t, 400); r.errCode() != "20132" {
		t.Fatalf("empty page body: %s", r.raw)
	}
	if r := h.call(t, tok, "POST", "/v1.0/me/onenote/sections/1-nope/pages", notesPageHTML, "Content-Type", "text/html").must(t, 404); r.errCode() != "20102" {
		t.Fatalf("page in unknown section: %s", r.raw)
	}

	for _, p := range []string{id, def.body["id"].(string), named.body["id"].(string), multi.body["id"].(string)} {
		h.call(t, tok, "DELETE", "/v1.0/me/onenote/pages/"+p, nil).must(t, 204)
	}
	if r := h.call(t, tok, "GET", "/v1.0/me/onenote/pages/"+id, nil).must(t, 404); r.errCode() != "20102" {
		t.Fatalf("deleted page: %s", r.raw)
	}
	h.call(t, tok, "DELETE", "/v1.0/me/onenote/pages/"+id, nil).must(t, 404)
	// The section sectionName created stays: sections cannot be deleted.
	if st := h.e.Stats(); st.LiveArtifactsTotal != 0 || st.PermanentArtifacts[h.alex.UPN]["onenoteSection"] != 1 {
		t.Fatalf("artifacts after deleting the pages: live %v permanent %v", st.LiveArtifacts, st.PermanentArtifacts)
	}
}

func TestNotesAuthorization(t *testing.T) {
	h := defaultHarness(t)
	alex := h.userToken(t, h.alex)
	// OneNote stopped accepting app-only tokens on 2025-03-31, whatever roles they carry.
	app := h.call(t, h.appToken(t), "GET", "/v1.0/users/"+h.alex.ID+"/onenote/notebooks", nil).must(t, 401)
	if app.errCode() != "40001" || !strings.Contains(app.raw2(), "app-only tokens") {
		t.Fatalf("app-only: %s", app.raw)
	}
	h.call(t, h.appToken(t), "POST", "/v1.0/users/"+h.alex.ID+"/onenote/notebooks", map[string]any{"displayName": "x"}).must(t, 401)
	// Delegated callers reach their own notebooks through /users/{id} too, not others'.
	own := h.call(t, alex, "GET", "/v1.0/users/"+h.alex.UPN+"/onenote/pages", nil).must(t, 200)
	if len(own.value()) != 2 {
		t.Fatalf("own pages via /users: %s", own.raw)
	}
	if r := h.call(t, alex, "GET", "/v1.0/users/"+h.megan.UPN+"/onenote/notebooks", nil).must(t, 403); r.errCode() != "40004" {
		t.Fatalf("another user's notebooks: %s", r.raw)
	}
	if r := h.call(t, h.userToken(t, h.nolic), "GET", "/v1.0/me/onenote/notebooks", nil).must(t, 404); r.errCode() != "30108" {
		t.Fatalf("unlicensed: %s", r.raw)
	}
	narrow := newHarness(t, Options{}, []string{"User.Read", "Notes.Read"}, nil)
	ntok := narrow.userToken(t, narrow.alex)
	narrow.call(t, ntok, "GET", "/v1.0/me/onenote/pages", nil).must(t, 200)
	if r := narrow.call(t, ntok, "POST", "/v1.0/me/onenote/notebooks", map[string]any{"displayName": "n"}).must(t, 403); r.errCode() != "40004" {
		t.Fatalf("create with Notes.Read: %s", r.raw)
	}
}
