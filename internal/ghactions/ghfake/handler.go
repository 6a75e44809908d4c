package ghfake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/nacl/box"
)

// Documentation links GitHub puts in its error bodies.
const (
	docREST      = "https://docs.github.com/rest"
	docPublicKey = "https://docs.github.com/rest/actions/secrets#get-a-repository-public-key"
	docPutSecret = "https://docs.github.com/rest/actions/secrets#create-or-update-a-repository-secret"
	docWorkflow  = "https://docs.github.com/rest/actions/workflows#get-a-workflow"
	docEnable    = "https://docs.github.com/rest/actions/workflows#enable-a-workflow"
	docVersions  = "https://docs.github.com/rest/overview/api-versions"
)

// APIVersion is the only REST API version the fake knows.
const APIVersion = "2022-11-28"

// MaxSecretSize is GitHub's limit for a secret's value: 48 KB.
const MaxSecretSize = 48 * 1024

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	w := &statusWriter{ResponseWriter: rw}
	f.mu.Lock()
	defer f.mu.Unlock()
	idx := len(f.reqs)
	f.reqs = append(f.reqs, Request{Method: r.Method, Path: r.URL.EscapedPath(), Token: bearer(r.Header.Get("Authorization")),
		Header: r.Header.Clone(), Body: body})
	defer func() { f.reqs[idx].Status = w.status }()
	f.serve(w, r, body)
}

// bearer returns the token of an "Authorization: Bearer x" or "Authorization: token x"
// header.
func bearer(h string) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || (!strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token")) {
		return ""
	}
	return strings.TrimSpace(tok)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(v)
	_, _ = w.Write(b)
}

// fail writes GitHub's error body.
func fail(w http.ResponseWriter, status int, message, doc string) {
	writeJSON(w, status, map[string]string{"message": message, "documentation_url": doc, "status": strconv.Itoa(status)})
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request, body []byte) {
	h := w.Header()
	rid := make([]byte, 8)
	_, _ = rand.Read(rid)
	h.Set("X-GitHub-Request-Id", strings.ToUpper(hex.EncodeToString(rid[:4])+":"+hex.EncodeToString(rid[4:])))
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")

	if r.Header.Get("User-Agent") == "" {
		fail(w, http.StatusForbidden, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.", docREST)
		return
	}
	if v := r.Header.Get("X-GitHub-Api-Version"); v != "" && v != APIVersion {
		fail(w, http.StatusBadRequest, fmt.Sprintf("API version '%s' is not supported.", v), docVersions)
		return
	}
	h.Set("X-GitHub-Api-Version-Selected", APIVersion)

	// Rate limit headers, as on every authenticated answer.
	f.calls++
	limit := 5000
	tok := bearer(r.Header.Get("Authorization"))
	t, known := f.tokens[tok]
	if known && t.Kind == Actions {
		limit = 1000
	}
	remaining := max(limit-f.calls, 1)
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(limit-remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(f.now().Add(time.Hour).Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")

	if f.fault(w, r) {
		return
	}

	if tok == "" {
		fail(w, http.StatusUnauthorized, "Requires authentication", docREST)
		return
	}
	if !known {
		fail(w, http.StatusUnauthorized, "Bad credentials", docREST)
		return
	}
	if t.Kind == Classic {
		// Classic tokens get their scopes on every answer (an empty value when none).
		h["X-Oauth-Scopes"] = []string{strings.Join(t.Scopes, ", ")}
	}
	if !t.Expires.IsZero() {
		h.Set("GitHub-Authentication-Token-Expiration", t.Expires.UTC().Format("2006-01-02 15:04:05 MST"))
	}

	owner, name, rest, ok := splitPath(r.URL.EscapedPath())
	if !ok {
		fail(w, http.StatusNotFound, "Not Found", docREST)
		return
	}
	rp := f.repos[strings.ToLower(owner+"/"+name)]
	switch {
	case r.Method == http.MethodGet && slices.Equal(rest, []string{"actions", "secrets", "public-key"}):
		f.getPublicKey(w, t, rp)
	case r.Method == http.MethodPut && len(rest) == 3 && rest[0] == "actions" && rest[1] == "secrets" && rest[2] != "public-key":
		f.putSecret(w, t, rp, rest[2], body)
	case r.Method == http.MethodGet && len(rest) == 3 && rest[0] == "actions" && rest[1] == "workflows":
		f.getWorkflow(w, r, t, rp, rest[2])
	case r.Method == http.MethodPut && len(rest) == 4 && rest[0] == "actions" && rest[1] == "workflows" && rest[3] == "enable":
		f.enableWorkflow(w, t, rp, rest[2])
	default:
		fail(w, http.StatusNotFound, "Not Found", docREST)
	}
}

// fault answers with the first matching injected fault.
func (f *Fake) fault(w http.ResponseWriter, r *http.Request) bool {
	for i, fl := range f.faults {
		if (fl.Method != "" && fl.Method != r.Method) || (fl.Path != "" && !strings.HasSuffix(r.URL.Path, fl.Path)) {
			continue
		}
		fl.Times--
		if fl.Times <= 0 {
			f.faults = slices.Delete(f.faults, i, i+1)
		}
		for k, v := range fl.Header {
			w.Header().Set(k, v)
		}
		if strings.HasPrefix(strings.TrimSpace(fl.Body), "<") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
		}
		w.WriteHeader(fl.Status)
		_, _ = io.WriteString(w, fl.Body)
		return true
	}
	return false
}

// splitPath splits "[/api/v3]/repos/{owner}/{repo}/rest..." into unescaped parts.
func splitPath(p string) (owner, repo string, rest []string, ok bool) {
	p = strings.TrimPrefix(p, "/api/v3")
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(parts) < 4 || parts[0] != "repos" {
		return "", "", nil, false
	}
	for i, s := range parts {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			return "", "", nil, false
		}
		parts[i] = u
	}
	return parts[1], parts[2], parts[3:], true
}

// covers reports whether the token's repository selection includes r.
func (t Token) covers(r *repo) bool {
	switch t.Kind {
	case Classic:
		return true
	case FineGrained:
		if len(t.Repos) == 0 {
			return true
		}
	}
	return slices.ContainsFunc(t.Repos, func(s string) bool { return strings.EqualFold(s, r.name) })
}

func (t Token) hasScope(s string) bool { return slices.Contains(t.Scopes, s) }

// sees reports whether the repository exists for the token: a private repository the
// token cannot read is answered 404, like one that does not exist.
func (t Token) sees(r *repo) bool {
	if r == nil {
		return false
	}
	if !r.private {
		return true
	}
	if t.Kind == Classic {
		return t.hasScope("repo")
	}
	return t.covers(r)
}

// notAccessible is the 403 of a token without a permission.
func notAccessible(w http.ResponseWriter, t Token, accepted, doc string) {
	w.Header().Set("X-Accepted-GitHub-Permissions", accepted)
	msg := "Resource not accessible by personal access token"
	if t.Kind == Actions {
		msg = "Resource not accessible by integration"
	}
	fail(w, http.StatusForbidden, msg, doc)
}

func (f *Fake) getPublicKey(w http.ResponseWriter, t Token, r *repo) {
	if t.Kind == Classic {
		w.Header().Set("X-Accepted-OAuth-Scopes", "repo")
	}
	if !t.sees(r) {
		fail(w, http.StatusNotFound, "Not Found", docPublicKey)
		return
	}
	if t.Kind != Classic && (t.Kind == Actions || !t.covers(r) || t.Secrets < Read) {
		notAccessible(w, t, "secrets=read", docPublicKey)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"key_id": r.keyID, "key": base64.StdEncoding.EncodeToString(r.pub[:])})
}

func (f *Fake) putSecret(w http.ResponseWriter, t Token, r *repo, name string, body []byte) {
	if t.Kind == Classic {
		w.Header().Set("X-Accepted-OAuth-Scopes", "repo")
	}
	if !t.sees(r) {
		fail(w, http.StatusNotFound, "Not Found", docPutSecret)
		return
	}
	switch t.Kind {
	case Classic:
		if !t.hasScope("repo") {
			fail(w, http.StatusForbidden, "Must have admin rights to Repository.", docPutSecret)
			return
		}
	default:
		if t.Kind == Actions || !t.covers(r) || t.Secrets < Write {
			notAccessible(w, t, "secrets=write", docPutSecret)
			return
		}
	}
	if !ValidSecretName(name) {
		fail(w, http.StatusUnprocessableEntity, "Invalid request.\n\nSecret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), must not start with a number and must not start with the GITHUB_ prefix.", docPutSecret)
		return
	}
	var in struct {
		EncryptedValue *string `json:"encrypted_value"`
		KeyID          *string `json:"key_id"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		fail(w, http.StatusBadRequest, "Problems parsing JSON", docPutSecret)
		return
	}
	switch {
	case in.EncryptedValue == nil:
		fail(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"encrypted_value\" wasn't supplied.", docPutSecret)
		return
	case in.KeyID == nil:
		fail(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"key_id\" wasn't supplied.", docPutSecret)
		return
	}
	sealed, err := base64.StdEncoding.Strict().DecodeString(*in.EncryptedValue)
	if err != nil || *in.EncryptedValue == "" {
		fail(w, http.StatusUnprocessableEntity, "Invalid request.\n\nInvalid property /encrypted_value: is not valid base64.", docPutSecret)
		return
	}
	if *in.KeyID != r.keyID {
		fail(w, http.StatusUnprocessableEntity, "Bad request: key_id does not match the repository's current public key.", docPutSecret)
		return
	}
	plain, ok := box.OpenAnonymous(nil, sealed, r.pub, r.priv)
	if !ok {
		fail(w, http.StatusUnprocessableEntity, "Bad request: encrypted_value could not be decrypted with the repository's public key.", docPutSecret)
		return
	}
	if len(plain) > MaxSecretSize {
		fail(w, http.StatusUnprocessableEntity, "Invalid request.\n\nSecret value is too large: secrets are limited to 48 KB.", docPutSecret)
		return
	}
	key := strings.ToUpper(name)
	now := f.now()
	if s, exists := r.secrets[key]; exists {
		s.value, s.updated = string(plain), now
		w.WriteHeader(http.StatusNoContent)
		return
	}
	r.secrets[key] = &secretValue{value: string(plain), created: now, updated: now}
	writeJSON(w, http.StatusCreated, struct{}{})
}

// workflow finds a workflow by numeric id or file name ("e5renew.yml").
func (r *repo) workflow(id string) *Workflow {
	for _, wf := range r.workflows {
		if strconv.FormatInt(wf.ID, 10) == id || wf.Path[strings.LastIndex(wf.Path, "/")+1:] == id {
			return wf
		}
	}
	return nil
}

func (f *Fake) getWorkflow(w http.ResponseWriter, req *http.Request, t Token, r *repo, id string) {
	if t.Kind == Classic {
		w.Header().Set("X-Accepted-OAuth-Scopes", "repo")
	}
	if !t.sees(r) {
		fail(w, http.StatusNotFound, "Not Found", docWorkflow)
		return
	}
	if t.Kind != Classic && r.private && (!t.covers(r) || t.Actions < Read) {
		notAccessible(w, t, "actions=read", docWorkflow)
		return
	}
	wf := r.workflow(id)
	if wf == nil {
		fail(w, http.StatusNotFound, "Not Found", docWorkflow)
		return
	}
	base := "http://" + req.Host + "/repos/" + r.name + "/actions/workflows/" + strconv.FormatInt(wf.ID, 10)
	html := "https://github.com/" + r.name + "/blob/main/" + wf.Path
	writeJSON(w, http.StatusOK, map[string]any{
		"id":         wf.ID,
		"node_id":    base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "08:Workflow%d", wf.ID)),
		"name":       wf.Name,
		"path":       wf.Path,
		"state":      wf.State,
		"created_at": "2026-01-08T23:48:37.000Z",
		"updated_at": "2026-01-08T23:50:21.000Z",
		"url":        base,
		"html_url":   html,
		"badge_url":  "https://github.com/" + r.name + "/workflows/" + url.PathEscape(wf.Name) + "/badge.svg",
	})
}

func (f *Fake) enableWorkflow(w http.ResponseWriter, t Token, r *repo, id string) {
	if t.Kind == Classic {
		w.Header().Set("X-Accepted-OAuth-Scopes", "repo")
	}
	if !t.sees(r) {
		fail(w, http.StatusNotFound, "Not Found", docEnable)
		return
	}
	switch t.Kind {
	case Classic:
		if !t.hasScope("repo") {
			fail(w, http.StatusForbidden, "Resource not accessible by personal access token", docEnable)
			return
		}
	default:
		if !t.covers(r) || t.Actions < Write {
			notAccessible(w, t, "actions=write", docEnable)
			return
		}
	}
	wf := r.workflow(id)
	if wf == nil || wf.State == "deleted" {
		fail(w, http.StatusNotFound, "Not Found", docEnable)
		return
	}
	wf.State = "active"
	w.WriteHeader(http.StatusNoContent)
}
