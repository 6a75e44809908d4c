package emulator

import (
	"encoding/json"
	"fmt"
	"testing"
)

func batchBody(reqs ...map[string]any) map[string]any { return map[string]any{"requests": reqs} }

func TestBatchDependsOnAnd424(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	res := h.call(t, tok, "POST", "/v1.0/$batch", batchBody(
		map[string]any{"id": "1", "method": "POST", "url": "/me/mailFolders", "headers": map[string]any{"Content-Type": "application/json"}, "body": map[string]any{"displayName": "batch-folder"}},
		map[string]any{"id": "2", "method": "GET", "url": "/me/mailFolders?$top=50", "dependsOn": []any{"1"}},
		map[string]any{"id": "3", "method": "GET", "url": "/me/messages/does-not-exist"},
		map[string]any{"id": "4", "method": "GET", "url": "me/messages?$top=1", "dependsOn": []any{"3"}},
	)).must(t, 200)
	byID := map[string]map[string]any{}
	for _, r := range res.body["responses"].([]any) {
		m := r.(map[string]any)
		byID[m["id"].(string)] = m
	}
	if len(byID) != 4 {
		t.Fatalf("got %d responses", len(byID))
	}
	want := map[string]float64{"1": 201, "2": 200, "3": 404, "4": 424}
	for id, st := range want {
		if byID[id]["status"].(float64) != st {
			t.Errorf("request %s: status %v, want %v: %v", id, byID[id]["status"], st, byID[id]["body"])
		}
	}
	folders, _ := json.Marshal(byID["2"]["body"])
	if !json.Valid(folders) || !contains(string(folders), "batch-folder") {
		t.Errorf("dependent GET did not see the folder created by its dependency: %s", folders)
	}
	if h.artifacts() != 1 {
		t.Errorf("live artifacts %d, want 1 (the folder)", h.artifacts())
	}
}

func TestBatchValidation(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	var many []map[string]any
	for i := 0; i < 21; i++ {
		many = append(many, map[string]any{"id": fmt.Sprint(i), "method": "GET", "url": "/me"})
	}
	h.call(t, tok, "POST", "/v1.0/$batch", batchBody(many...)).must(t, 400)
	h.call(t, tok, "POST", "/v1.0/$batch", batchBody(
		map[string]any{"id": "a", "method": "GET", "url": "/me/messages"},
		map[string]any{"id": "A", "method": "GET", "url": "/me/messages"},
	)).must(t, 400)
	h.call(t, tok, "POST", "/v1.0/$batch", batchBody(
		map[string]any{"id": "1", "method": "POST", "url": "/me/mailFolders", "body": map[string]any{"displayName": "x"}},
	)).must(t, 400)
	h.call(t, tok, "POST", "/v1.0/$batch", "not json").must(t, 400)
	h.call(t, "", "POST", "/v1.0/$batch", batchBody(map[string]any{"id": "1", "method": "GET", "url": "/me/messages"})).must(t, 401)
}

func TestBatchInnerThrottling(t *testing.T) {
	h := newHarness(t, Options{Faults: Faults{ThrottleRate: 1}}, allScopes, allRoles)
	tok := h.userToken(t, h.alex)
	res := h.call(t, tok, "POST", "/v1.0/$batch", batchBody(
		map[string]any{"id": "1", "method": "GET", "url": "/me/messages"},
	)).must(t, 200)
	r := res.body["responses"].([]any)[0].(map[string]any)
	if r["status"].(float64) != 429 {
		t.Fatalf("inner status %v, want 429", r["status"])
	}
	hdr := r["headers"].(map[string]any)
	if hdr["Retry-After"] == nil {
		t.Fatalf("inner 429 without Retry-After: %v", hdr)
	}
}

func contains(s, sub string) bool { return len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0) }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
