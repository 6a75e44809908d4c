package emulator

import (
	"fmt"
	"strings"
	"testing"
)

func TestMailDraftSendAndCleanup(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	list := h.call(t, tok, "GET", "/v1.0/me/messages?$top=3&$select=subject,receivedDateTime", nil).must(t, 200)
	if n := len(list.value()); n != 3 {
		t.Fatalf("$top=3 returned %d messages", n)
	}
	if _, ok := list.body["@odata.nextLink"].(string); !ok {
		t.Fatal("no @odata.nextLink although the mailbox has more than 3 messages")
	}
	if _, ok := list.value()[0]["body"]; ok {
		t.Fatal("$select=subject still returned body")
	}
	next := h.call(t, tok, "GET", list.body["@odata.nextLink"].(string), nil).must(t, 200)
	if next.value()[0]["id"] == list.value()[0]["id"] {
		t.Fatal("the next page repeats the first")
	}

	draft := h.call(t, tok, "POST", "/v1.0/me/messages", map[string]any{"subject": "t", "body": map[string]any{"contentType": "Text", "content": "x"},
		"toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": h.alex.UPN}}}}).must(t, 201)
	if draft.body["isDraft"] != true {
		t.Fatalf("draft is not a draft: %v", draft.body)
	}
	if h.artifacts() != 1 {
		t.Fatalf("live artifacts = %d after one draft", h.artifacts())
	}
	h.call(t, tok, "DELETE", "/v1.0/me/messages/"+draft.body["id"].(string), nil).must(t, 204)
	h.call(t, tok, "DELETE", "/v1.0/me/messages/"+draft.body["id"].(string), nil).must(t, 404)

	send := h.call(t, tok, "POST", "/v1.0/me/sendMail", map[string]any{"message": map[string]any{"subject": "hello megan",
		"toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": h.megan.UPN}}}}, "saveToSentItems": false})
	send.must(t, 202)
	if len(send.raw) != 0 {
		t.Fatalf("sendMail answered a body: %s", send.raw)
	}
	mt := h.userToken(t, h.megan)
	inbox := h.call(t, mt, "GET", "/v1.0/me/mailFolders/inbox/messages?$filter=subject eq 'hello megan'", nil).must(t, 200)
	if len(inbox.value()) != 1 {
		t.Fatalf("megan received %d copies", len(inbox.value()))
	}
	if h.artifacts() != 1 {
		t.Fatalf("live artifacts = %d, want the received copy only", h.artifacts())
	}
	h.call(t, mt, "DELETE", "/v1.0/me/messages/"+inbox.value()[0]["id"].(string), nil).must(t, 204)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}
}

func TestMailErrorsAreGraphShaped(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	bad := h.call(t, tok, "POST", "/v1.0/me/messages", map[string]any{"subjekt": "typo"}).must(t, 400)
	if bad.errCode() != "RequestBodyRead" || !strings.Contains(bad.raw2(), "subjekt") {
		t.Fatalf("unknown property: %s", bad.raw)
	}
	h.call(t, tok, "POST", "/v1.0/me/mailFolders", map[string]any{"displayName": "e5renew"}).must(t, 201)
	dup := h.call(t, tok, "POST", "/v1.0/me/mailFolders", map[string]any{"displayName": "E5renew"}).must(t, 409)
	if dup.errCode() != "ErrorFolderExists" {
		t.Fatalf("duplicate folder: %s", dup.raw)
	}
	none := h.call(t, tok, "POST", "/v1.0/me/sendMail", map[string]any{"message": map[string]any{"subject": "x"}}).must(t, 400)
	if none.errCode() != "ErrorInvalidRecipients" {
		t.Fatalf("no recipients: %s", none.raw)
	}
	nl := h.call(t, h.userToken(t, h.nolic), "GET", "/v1.0/me/messages", nil).must(t, 404)
	if nl.errCode() != "MailboxNotEnabledForRESTAPI" {
		t.Fatalf("unlicensed: %s", nl.raw)
	}
	other := h.call(t, tok, "GET", "/v1.0/users/"+h.megan.UPN+"/messages", nil).must(t, 403)
	if other.errCode() != "ErrorAccessDenied" {
		t.Fatalf("delegated read of another mailbox: %s", other.raw)
	}
	app := h.appToken(t)
	h.call(t, app, "GET", "/v1.0/users/"+h.megan.UPN+"/messages?$top=1", nil).must(t, 200)
	me := h.call(t, app, "GET", "/v1.0/me/messages", nil).must(t, 400)
	if !strings.Contains(me.raw2(), "/me request is only valid with delegated authentication flow.") {
		t.Fatalf("/me with app token: %s", me.raw)
	}
}

func (g gresp) raw2() string { return string(g.raw) }

func TestInternetMessageHeadersTravelWithTheMessage(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	hdr := []any{map[string]any{"name": "x-e5renew-id", "value": "e5renew-1c2a3b4-00abc123"}}
	bad := h.call(t, tok, "POST", "/v1.0/me/messages", map[string]any{"subject": "x", "internetMessageHeaders": []any{map[string]any{"name": "Subject", "value": "y"}}}).must(t, 400)
	if bad.errCode() != "InvalidInternetMessageHeader" {
		t.Fatalf("non-x- header: %s", bad.raw)
	}
	h.call(t, tok, "POST", "/v1.0/me/sendMail", map[string]any{"saveToSentItems": false, "message": map[string]any{"subject": "to self",
		"internetMessageHeaders": hdr, "toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": h.alex.UPN}}}}}).must(t, 202)
	plain := h.call(t, tok, "GET", "/v1.0/me/mailFolders/inbox/messages?$top=1", nil).must(t, 200)
	if _, ok := plain.value()[0]["internetMessageHeaders"]; ok {
		t.Fatal("internetMessageHeaders returned without $select")
	}
	sel := h.call(t, tok, "GET", "/v1.0/me/mailFolders/inbox/messages?$top=1&$select=subject,internetMessageHeaders", nil).must(t, 200)
	got := sel.value()[0]
	if got["subject"] != "to self" || !strings.Contains(fmt.Sprint(got["internetMessageHeaders"]), "abc123") {
		t.Fatalf("received copy: %v", got)
	}
}
