package emulator

import (
	"net/url"
	"strings"
	"testing"
)

func TestTeamsJoinedTeamsTeamAndChannels(t *testing.T) {
	h := defaultHarness(t)
	at, mt, app := h.userToken(t, h.alex), h.userToken(t, h.megan), h.appToken(t)
	jt := h.call(t, at, "GET", "/v1.0/me/joinedTeams", nil).must(t, 200)
	if len(jt.value()) != 2 {
		t.Fatalf("alex joinedTeams: %s", jt.raw)
	}
	team := jt.value()[0]
	if team["displayName"] != "Developers" || team["tenantId"] != h.tenant.ID || team["isArchived"] != false || team["webUrl"] != nil {
		t.Fatalf("joinedTeams item: %v", team)
	}
	if len(h.call(t, mt, "GET", "/v1.0/me/joinedTeams", nil).must(t, 200).value()) != 0 {
		t.Fatal("megan is in no team")
	}
	if got := h.call(t, app, "GET", "/v1.0/users/"+h.nolic.UPN+"/joinedTeams", nil).must(t, 200).value(); len(got) != 1 || got[0]["id"] != team["id"] {
		t.Fatalf("app-only joinedTeams: %v", got)
	}

	full := h.call(t, at, "GET", "/v1.0/teams/"+team["id"].(string), nil).must(t, 200)
	internal, _ := full.body["internalId"].(string)
	if !strings.HasPrefix(internal, "19:") || !strings.HasSuffix(internal, "@thread.tacv2") || full.body["visibility"] != "public" {
		t.Fatalf("team: %s", full.raw)
	}
	if s := full.body["summary"].(map[string]any); s["membersCount"] != float64(2) {
		t.Fatalf("summary: %v", s)
	}
	groups := h.call(t, at, "GET", "/v1.0/groups?$filter=displayName eq 'All Company'", nil).must(t, 200).value()
	nt := h.call(t, at, "GET", "/v1.0/teams/"+groups[0]["id"].(string), nil).must(t, 404)
	if nt.errCode() != "NotFound" || !strings.Contains(nt.raw2(), "No team found with Group Id") {
		t.Fatalf("group without a team: %s", nt.raw)
	}

	chs := h.call(t, at, "GET", "/v1.0/teams/"+team["id"].(string)+"/channels", nil).must(t, 200)
	if len(chs.value()) != 3 || chs.value()[0]["displayName"] != "General" || chs.value()[0]["id"] != internal {
		t.Fatalf("channels: %s", chs.raw)
	}
	ch := h.call(t, at, "GET", "/v1.0/teams/"+team["id"].(string)+"/channels/"+url.PathEscape(internal), nil).must(t, 200)
	if ch.body["membershipType"] != "standard" {
		t.Fatalf("channel: %s", ch.raw)
	}
	// A channel of the other team is not found under this one.
	other := h.call(t, at, "GET", "/v1.0/teams/"+jt.value()[1]["id"].(string)+"/channels", nil).must(t, 200).value()[0]["id"].(string)
	if h.call(t, at, "GET", "/v1.0/teams/"+team["id"].(string)+"/channels/"+other, nil).must(t, 404).errCode() != "NotFound" {
		t.Fatal("foreign channel")
	}
	h.call(t, at, "GET", "/v1.0/teams/"+newGUID()+"/channels", nil).must(t, 404)
	// Application permissions reach teams and channels too.
	if h.call(t, app, "GET", "/v1.0/teams/"+team["id"].(string), nil).must(t, 200).body["internalId"] != internal {
		t.Fatal("app-only team")
	}
	if len(h.call(t, app, "GET", "/v1.0/teams/"+team["id"].(string)+"/channels", nil).must(t, 200).value()) != 3 {
		t.Fatal("app-only channels")
	}
	h.call(t, app, "GET", "/v1.0/teams/"+team["id"].(string)+"/channels/"+url.PathEscape(internal), nil).must(t, 200)

	// Without Teams permissions: Teams' own 403.
	lh := newHarness(t, Options{}, []string{"User.Read"}, []string{"User.Read.All"})
	f := lh.call(t, lh.userToken(t, lh.alex), "GET", "/v1.0/me/joinedTeams", nil).must(t, 403)
	if f.errCode() != "Forbidden" {
		t.Fatalf("403 shape: %s", f.raw)
	}
}

func TestTeamsChats(t *testing.T) {
	h := defaultHarness(t)
	at, app := h.userToken(t, h.alex), h.appToken(t)
	chats := h.call(t, at, "GET", "/v1.0/me/chats", nil).must(t, 200)
	if len(chats.value()) != 2 || chats.value()[0]["chatType"] != "oneOnOne" || chats.value()[1]["chatType"] != "group" {
		t.Fatalf("chats: %s", chats.raw)
	}
	id := chats.value()[1]["id"].(string)
	one := h.call(t, at, "GET", "/v1.0/me/chats/"+id, nil).must(t, 200)
	if one.body["topic"] != "项目群 Project chat" {
		t.Fatalf("chat: %s", one.raw)
	}
	h.call(t, at, "GET", "/v1.0/me/chats/19:nope@thread.v2", nil).must(t, 404)
	if h.call(t, at, "GET", "/v1.0/users/"+h.megan.ID+"/chats", nil).must(t, 403).errCode() != "Forbidden" {
		t.Fatal("delegated read of another user's chats")
	}
	mc := h.call(t, app, "GET", "/v1.0/users/"+h.megan.ID+"/chats?$top=1", nil).must(t, 200)
	if len(mc.value()) != 1 || mc.body["@odata.nextLink"] == nil {
		t.Fatalf("app-only chats: %s", mc.raw)
	}
	h.call(t, app, "GET", "/v1.0/users/"+h.megan.ID+"/chats?$top=51", nil).must(t, 400)
}

func TestTeamsOnlineMeetingsLifecycle(t *testing.T) {
	h := defaultHarness(t)
	at := h.userToken(t, h.alex)
	bad := h.call(t, at, "POST", "/v1.0/me/onlineMeetings", map[string]any{"subject": "x", "topic": "y"}).must(t, 400)
	if bad.errCode() != "RequestBodyRead" {
		t.Fatalf("unknown property: %s", bad.raw)
	}
	h.call(t, at, "POST", "/v1.0/me/onlineMeetings", map[string]any{"startDateTime": "2026-11-03T10:00:00Z", "endDateTime": "2026-11-03T09:00:00Z"}).must(t, 400)
	h.call(t, at, "POST", "/v1.0/me/onlineMeetings", map[string]any{"startDateTime": "tomorrow"}).must(t, 400)

	m := h.call(t, at, "POST", "/v1.0/me/onlineMeetings", map[string]any{"startDateTime": "2026-11-03T10:00:00+08:00",
		"endDateTime": "2026-11-03T10:30:00+08:00", "subject": "e5renew sync"}).must(t, 201)
	id := m.body["id"].(string)
	join := m.body["joinWebUrl"].(string)
	org := m.body["participants"].(map[string]any)["organizer"].(map[string]any)
	if !strings.HasPrefix(join, "https://teams.microsoft.com/l/meetup-join/19%3ameeting_") || !strings.Contains(join, h.alex.ID) ||
		org["upn"] != h.alex.UPN || org["identity"].(map[string]any)["user"].(map[string]any)["id"] != h.alex.ID ||
		m.body["startDateTime"] != "2026-11-03T02:00:00.0000000Z" || m.body["subject"] != "e5renew sync" ||
		m.body["chatInfo"].(map[string]any)["threadId"] == nil || m.body["creationDateTime"] == nil ||
		len(m.body["joinMeetingIdSettings"].(map[string]any)["joinMeetingId"].(string)) != 12 || strings.ContainsAny(id, "/+") {
		t.Fatalf("created meeting: %s", m.raw)
	}
	if h.artifacts() != 1 {
		t.Fatalf("live artifacts = %d", h.artifacts())
	}
	got := h.call(t, at, "GET", "/v1.0/me/onlineMeetings/"+id, nil).must(t, 200)
	if got.body["joinWebUrl"] != join {
		t.Fatalf("get meeting: %s", got.raw)
	}
	nf := h.call(t, at, "GET", "/v1.0/me/onlineMeetings", nil).must(t, 400)
	if nf.errCode() != "InvalidArgument" || !strings.Contains(nf.raw2(), "Filter expression expected") {
		t.Fatalf("list without filter: %s", nf.raw)
	}
	byURL := h.call(t, at, "GET", "/v1.0/me/onlineMeetings?$filter="+url.QueryEscape("JoinWebUrl eq '"+join+"'"), nil).must(t, 200)
	if len(byURL.value()) != 1 || byURL.value()[0]["id"] != id {
		t.Fatalf("filter by joinWebUrl: %s", byURL.raw)
	}
	p := h.call(t, at, "PATCH", "/v1.0/me/onlineMeetings/"+id, map[string]any{"subject": "renamed", "endDateTime": "2026-11-03T03:00:00Z"}).must(t, 200)
	if p.body["subject"] != "renamed" || p.body["endDateTime"] != "2026-11-03T03:00:00.0000000Z" || p.body["joinWebUrl"] != join {
		t.Fatalf("patch: %s", p.raw)
	}
	h.call(t, at, "PATCH", "/v1.0/me/onlineMeetings/"+id, map[string]any{"joinWebUrl": "x"}).must(t, 400)
	h.call(t, at, "PATCH", "/v1.0/me/onlineMeetings/"+id, map[string]any{"endDateTime": "2026-11-03T01:00:00Z"}).must(t, 400)
	h.call(t, at, "GET", "/v1.0/users/"+h.megan.ID+"/onlineMeetings/"+id, nil).must(t, 403)
	h.call(t, at, "DELETE", "/v1.0/me/onlineMeetings/"+id, nil).must(t, 204)
	if h.call(t, at, "GET", "/v1.0/me/onlineMeetings/"+id, nil).must(t, 404).errCode() != "NotFound" {
		t.Fatal("deleted meeting")
	}
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}

	// Application permission on the /users/{id} form.
	app := h.appToken(t)
	am := h.call(t, app, "POST", "/v1.0/users/"+h.megan.UPN+"/onlineMeetings", map[string]any{"subject": "app meeting"}).must(t, 201)
	if am.body["participants"].(map[string]any)["organizer"].(map[string]any)["upn"] != h.megan.UPN {
		t.Fatalf("app-only meeting organizer: %s", am.raw)
	}
	if h.e.Stats().LiveArtifacts[h.megan.UPN]["onlineMeeting"] != 1 {
		t.Fatalf("stats: %v", h.e.Stats().LiveArtifacts)
	}
	mid := am.body["id"].(string)
	h.call(t, app, "GET", "/v1.0/users/"+h.megan.ID+"/onlineMeetings/"+mid, nil).must(t, 200)
	h.call(t, app, "GET", "/v1.0/users/"+h.alex.ID+"/onlineMeetings/"+mid, nil).must(t, 404)
	h.call(t, app, "DELETE", "/v1.0/users/"+h.megan.ID+"/onlineMeetings/"+mid, nil).must(t, 204)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after app cleanup", h.artifacts())
	}

	// Without OnlineMeetings.ReadWrite the Teams 403.
	lh := newHarness(t, Options{}, []string{"User.Read"}, []string{"User.Read.All"})
	f := lh.call(t, lh.userToken(t, lh.alex), "POST", "/v1.0/me/onlineMeetings", map[string]any{"subject": "x"}).must(t, 403)
	if f.errCode() != "Forbidden" {
		t.Fatalf("403 shape: %s", f.raw)
	}
}

func TestOnlineMeetingCreateOrGetIsIdempotent(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	body := map[string]any{"externalId": "e5renew-1c2a3b4-00007f3a", "subject": "sync", "startDateTime": "2026-11-03T02:00:00Z", "endDateTime": "2026-11-03T02:30:00Z"}
	first := h.call(t, tok, "POST", "/v1.0/me/onlineMeetings/createOrGet", body).must(t, 201)
	again := h.call(t, tok, "POST", "/v1.0/me/onlineMeetings/createOrGet", body).must(t, 200)
	if first.body["id"] != again.body["id"] || h.artifacts() != 1 {
		t.Fatalf("createOrGet created twice: %v %v (artifacts %d)", first.body["id"], again.body["id"], h.artifacts())
	}
	h.call(t, tok, "POST", "/v1.0/me/onlineMeetings/createOrGet", map[string]any{"subject": "x"}).must(t, 400)
	h.call(t, tok, "DELETE", "/v1.0/me/onlineMeetings/"+first.body["id"].(string), nil).must(t, 204)
	if h.artifacts() != 0 {
		t.Fatal("meeting not deleted")
	}
}
