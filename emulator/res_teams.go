package emulator

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// Teams: joined teams, channels, chats and online meetings (protocol.md §3 rows 27, 32).

var onlineMeetingProps = []string{"startDateTime", "endDateTime", "subject", "participants", "lobbyBypassSettings",
	"allowedPresenters", "isEntryExclusionEnabled", "allowMeetingChat", "allowTeamworkReactions", "recordAutomatically",
	"allowAttendeeToEnableCamera", "allowAttendeeToEnableMic", "allowRecording", "allowTranscription", "externalId",
	"chatInfo", "joinMeetingIdSettings", "audioConferencing", "watermarkProtection", "shareMeetingChatHistoryDefault",
	"allowBreakoutRooms", "allowLiveShare", "allowParticipantsToChangeName", "allowPowerPointSharing", "allowWhiteboard",
	"chatRestrictions", "meetingSpokenLanguageTag", "allowedLobbyAdmitters", "isBroadcast"}

// onlineMeetingPatchProps are the properties PATCH may change.
var onlineMeetingPatchProps = []string{"startDateTime", "endDateTime", "subject", "participants", "lobbyBypassSettings",
	"allowedPresenters", "isEntryExclusionEnabled", "allowMeetingChat", "allowTeamworkReactions", "recordAutomatically",
	"allowAttendeeToEnableCamera", "allowAttendeeToEnableMic", "allowRecording", "allowTranscription",
	"watermarkProtection", "shareMeetingChatHistoryDefault", "allowBreakoutRooms", "allowLiveShare",
	"allowParticipantsToChangeName", "allowPowerPointSharing", "allowWhiteboard", "chatRestrictions",
	"meetingSpokenLanguageTag", "allowedLobbyAdmitters"}

func (e *Emulator) registerTeams(rt *router) {
	rt.perUser("GET", "/joinedTeams", wlTeams, (*gc).listJoinedTeams)
	rt.global("GET", "/teams/{id}", wlTeams, func(c *gc) {
		if g := c.team(0); g != nil {
			c.entity(200, c.selCtx("teams")+"/$entity", c.teamObj(g, true))
		}
	})
	rt.global("GET", "/teams/{id}/channels", wlTeams, func(c *gc) {
		g := c.team(0)
		if g == nil {
			return
		}
		c.list(c.td().channels.objs(inParent(g.id)), listOpts{context: "teams('" + g.id + "')/channels"})
	})
	rt.global("GET", "/teams/{id}/channels/{id}", wlTeams, func(c *gc) {
		g := c.team(0)
		if g == nil {
			return
		}
		ch := c.td().channels.get(c.param(1))
		if ch == nil || ch.parent != g.id {
			c.fail(gerr(404, "NotFound", "Channel not found."))
			return
		}
		c.entity(200, "teams('"+g.id+"')/channels/$entity", ch.o)
	})

	rt.perUser("GET", "/chats", wlTeams, func(c *gc) {
		if c.ownChatsOnly() {
			c.list(c.ud().chats.objs(nil), listOpts{context: "chats", pageSize: 20, maxTop: 50})
		}
	})
	rt.perUser("GET", "/chats/{id}", wlTeams, func(c *gc) {
		if !c.ownChatsOnly() {
			return
		}
		it := c.ud().chats.get(c.param(0))
		if it == nil {
			c.fail(gerr(404, "NotFound", "Chat not found."))
			return
		}
		c.entity(200, "chats/$entity", it.o)
	})

	rt.perUser("POST", "/onlineMeetings", wlTeams, (*gc).createOnlineMeeting)
	rt.perUser("POST", "/onlineMeetings/createOrGet", wlTeams, (*gc).createOrGetOnlineMeeting)
	rt.perUser("GET", "/onlineMeetings", wlTeams, (*gc).listOnlineMeetings)
	rt.perUser("GET", "/onlineMeetings/{id}", wlTeams, func(c *gc) {
		if m := c.onlineMeeting(0); m != nil {
			c.entity(200, c.userCtx()+"/onlineMeetings/$entity", m.o)
		}
	})
	rt.perUser("PATCH", "/onlineMeetings/{id}", wlTeams, (*gc).patchOnlineMeeting)
	rt.perUser("DELETE", "/onlineMeetings/{id}", wlTeams, func(c *gc) {
		m := c.onlineMeeting(0)
		if m == nil {
			return
		}
		c.ud().onlineMeetings.del(m.id)
		c.noContent(204)
	})
}

// isTeam reports whether a group is team-enabled.
func isTeam(g *item) bool {
	for _, o := range listOr(g.o["resourceProvisioningOptions"]) {
		if s, _ := o.(string); s == "Team" {
			return true
		}
	}
	return false
}

// team resolves the i-th parameter as a team or fails with Teams' 404.
func (c *gc) team(i int) *item {
	g := c.td().groups.get(c.param(i))
	if g == nil || !isTeam(g) {
		c.fail(gerr(404, "NotFound", "No team found with Group Id %s", c.param(i)))
		return nil
	}
	return g
}

// teamObj builds a team resource from its group. joinedTeams returns the short form, in
// which Graph leaves most properties null.
func (c *gc) teamObj(g *item, full bool) obj {
	o := obj{"id": g.id, "displayName": g.o["displayName"], "description": g.o["description"], "isArchived": false,
		"tenantId": c.tenant.ID, "createdDateTime": nil, "internalId": nil, "classification": nil, "specialization": nil,
		"visibility": nil, "webUrl": nil, "isMembershipLimitedToOwners": nil, "memberSettings": nil, "guestSettings": nil,
		"messagingSettings": nil, "funSettings": nil, "discoverySettings": nil, "summary": nil}
	if !full {
		return o
	}
	internal := ""
	if chs := c.td().channels.where(inParent(g.id)); len(chs) > 0 {
		internal = chs[0].id
	}
	members := len(c.td().members[g.id])
	o["createdDateTime"] = g.o["createdDateTime"]
	o["internalId"] = internal
	o["specialization"] = "none"
	o["visibility"] = strings.ToLower(str(g.o, "visibility"))
	o["webUrl"] = "https://teams.microsoft.com/l/team/" + strings.ReplaceAll(strings.ReplaceAll(internal, ":", "%3a"), "@", "%40") +
		"/conversations?groupId=" + g.id + "&tenantId=" + c.tenant.ID
	o["isMembershipLimitedToOwners"] = false
	o["memberSettings"] = obj{"allowCreateUpdateChannels": true, "allowDeleteChannels": true, "allowAddRemoveApps": true,
		"allowCreateUpdateRemoveTabs": true, "allowCreateUpdateRemoveConnectors": true, "allowCreatePrivateChannels": true}
	o["guestSettings"] = obj{"allowCreateUpdateChannels": false, "allowDeleteChannels": false}
	o["messagingSettings"] = obj{"allowUserEditMessages": true, "allowUserDeleteMessages": true, "allowOwnerDeleteMessages": true,
		"allowTeamMentions": true, "allowChannelMentions": true}
	o["funSettings"] = obj{"allowGiphy": true, "giphyContentRating": "moderate", "allowStickersAndMemes": true, "allowCustomMemes": true}
	o["discoverySettings"] = obj{"showInTeamsSearchAndSuggestions": true}
	o["summary"] = obj{"ownersCount": min(1, members), "membersCount": members, "guestsCount": 0}
	return o
}

func (c *gc) listJoinedTeams() {
	d := c.td()
	var out []obj
	for _, g := range d.groups.items {
		if isTeam(g) && containsFold(d.members[g.id], c.user.ID) {
			out = append(out, c.teamObj(g, false))
		}
	}
	if out == nil {
		out = []obj{}
	}
	c.list(out, listOpts{context: "teams"})
}

// ownChatsOnly enforces that a delegated caller lists only its own chats.
func (c *gc) ownChatsOnly() bool {
	if c.tok.delegated() && c.user != c.caller {
		c.fail(forbidden(wlTeams))
		return false
	}
	return true
}

// --- online meetings --------------------------------------------------------------------

// meetingNotFound is the 404 of the online meetings service.
func meetingNotFound() *graphErr {
	return gerr(404, "NotFound", "The specified meeting was not found.")
}

// onlineMeeting resolves the i-th parameter as one of the addressed user's meetings.
func (c *gc) onlineMeeting(i int) *item {
	if c.tok.delegated() && c.user != c.caller {
		c.fail(forbidden(wlTeams))
		return nil
	}
	m := c.ud().onlineMeetings.get(c.param(i))
	if m == nil {
		c.fail(meetingNotFound())
	}
	return m
}

// parseGraphTime reads an Edm.DateTimeOffset value.
func parseGraphTime(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	for _, f := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(f, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// meetingTime formats a meeting time as the service does ("2026-11-02T09:30:00.0000000Z").
func meetingTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000Z") }

// meetingTimes validates startDateTime and endDateTime of a body against defaults.
func meetingTimes(body obj, start, end time.Time) (time.Time, time.Time, *graphErr) {
	for _, k := range []string{"startDateTime", "endDateTime"} {
		v, ok := body[k]
		if !ok || v == nil {
			continue
		}
		t, ok := parseGraphTime(v)
		if !ok {
			return start, end, gerr(400, "BadRequest", "Cannot convert the literal '%v' to the expected type 'Edm.DateTimeOffset'.", v)
		}
		if k == "startDateTime" {
			start = t
		} else {
			end = t
		}
	}
	if end.Before(start) {
		return start, end, gerr(400, "InvalidArgument", "The end time of the meeting must be after its start time.")
	}
	return start, end, nil
}

// createOrGetOnlineMeeting returns the meeting with the given externalId (200) or creates
// it (201): the idempotent way to create meetings.
func (c *gc) createOrGetOnlineMeeting() {
	var probe struct {
		ExternalID string `json:"externalId"`
	}
	_ = json.Unmarshal(c.body, &probe)
	if strings.TrimSpace(probe.ExternalID) == "" {
		c.fail(gerr(400, "InvalidArgument", "The externalId property is required."))
		return
	}
	if c.tok.delegated() && c.user != c.caller {
		c.fail(forbidden(wlTeams))
		return
	}
	for _, m := range c.ud().onlineMeetings.items {
		if str(m.o, "externalId") == probe.ExternalID {
			c.entity(200, c.userCtx()+"/onlineMeetings/$entity", m.o)
			return
		}
	}
	c.createOnlineMeeting()
}

func (c *gc) createOnlineMeeting() {
	if c.tok.delegated() && c.user != c.caller {
		c.fail(forbidden(wlTeams))
		return
	}
	body, ge := c.readObj("onlineMeeting", onlineMeetingProps...)
	if ge != nil {
		c.fail(ge)
		return
	}
	now := c.e.now()
	start, end, ge := meetingTimes(body, now, now.Add(time.Hour))
	if ge != nil {
		c.fail(ge)
		return
	}
	if _, ok := body["endDateTime"]; !ok {
		end = start.Add(time.Hour)
	}
	u := c.user
	var id, thread string
	for {
		thread = "19:meeting_" + base64.RawStdEncoding.EncodeToString([]byte(newGUID())) + "@thread.v2"
		id = base64.StdEncoding.EncodeToString([]byte("1*" + u.ID + "*0**" + thread))
		if !strings.ContainsAny(id, "/+") {
			break
		}
	}
	joinID := ""
	for i := 0; i < 12; i++ {
		joinID += string(rune('0' + c.e.intn(10)))
	}
	if joinID[0] == '0' {
		joinID = "4" + joinID[1:]
	}
	const passAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
	pass := ""
	for i := 0; i < 6; i++ {
		pass += string(passAlphabet[c.e.intn(len(passAlphabet))])
	}
	escThread := strings.ReplaceAll(strings.ReplaceAll(thread, ":", "%3a"), "@", "%40")
	join := "https://teams.microsoft.com/l/meetup-join/" + escThread + "/0?context=%7b%22Tid%22%3a%22" + c.tenant.ID +
		"%22%2c%22Oid%22%3a%22" + u.ID + "%22%7d"
	attendees := []any{}
	if p, ok := body["participants"].(obj); ok {
		attendees = listOr(p["attendees"])
	}
	subject := body["subject"]
	o := obj{
		"@odata.type": "#microsoft.graph.onlineMeeting", "creationDateTime": meetingTime(now),
		"startDateTime": meetingTime(start), "endDateTime": meetingTime(end), "subject": subject,
		"joinUrl": join, "joinWebUrl": join, "meetingCode": joinID, "externalId": body["externalId"], "isBroadcast": false,
		"autoAdmittedUsers": "everyoneInCompany", "outerMeetingAutoAdmittedUsers": nil, "capabilities": []any{},
		"videoTeleconferenceId": nil, "isEntryExclusionEnabled": false, "allowedPresenters": "everyone",
		"allowAttendeeToEnableCamera": true, "allowAttendeeToEnableMic": true, "allowMeetingChat": "enabled",
		"allowTeamworkReactions": true, "allowRecording": true, "allowTranscription": true, "recordAutomatically": false,
		"allowParticipantsToChangeName": false, "allowBreakoutRooms": true, "allowLiveShare": "enabled",
		"allowPowerPointSharing": true, "allowWhiteboard": true, "shareMeetingChatHistoryDefault": "none",
		"watermarkProtection": nil, "meetingSpokenLanguageTag": nil, "audioConferencing": nil, "broadcastSettings": nil,
		"lobbyBypassSettings":   obj{"scope": "organization", "isDialInBypassEnabled": false},
		"chatInfo":              obj{"threadId": thread, "messageId": "0", "replyChainMessageId": nil},
		"joinMeetingIdSettings": obj{"isPasscodeRequired": true, "joinMeetingId": joinID, "passcode": pass},
		"joinInformation": obj{"contentType": "html", "content": "data:text/html," + url.QueryEscape(
			"<div>Microsoft Teams meeting</div><div>Join on your computer, mobile app or room device</div><a href=\""+join+
				"\">Click here to join the meeting</a><div>Meeting ID: "+joinID+" Passcode: "+pass+"</div>")},
		"participants": obj{
			"organizer": obj{"upn": u.UPN, "role": "presenter",
				"identity": obj{"user": obj{"id": u.ID, "displayName": nil, "tenantId": c.tenant.ID, "identityProvider": "AAD"}}},
			"attendees": attendees,
		},
	}
	for _, k := range []string{"lobbyBypassSettings", "allowedPresenters", "isEntryExclusionEnabled", "allowMeetingChat",
		"allowTeamworkReactions", "recordAutomatically", "allowAttendeeToEnableCamera", "allowAttendeeToEnableMic",
		"allowRecording", "allowTranscription", "watermarkProtection", "shareMeetingChatHistoryDefault", "allowBreakoutRooms",
		"allowLiveShare", "allowParticipantsToChangeName", "allowPowerPointSharing", "allowWhiteboard", "chatRestrictions",
		"meetingSpokenLanguageTag", "allowedLobbyAdmitters", "audioConferencing"} {
		if v, ok := body[k]; ok {
			o[k] = v
		}
	}
	m := c.ud().onlineMeetings.add(&item{id: id, created: now, o: o})
	c.created(m, "onlineMeeting")
	c.entity(201, c.userCtx()+"/onlineMeetings/$entity", m.o)
}

func (c *gc) patchOnlineMeeting() {
	m := c.onlineMeeting(0)
	if m == nil {
		return
	}
	body, ge := c.readObj("onlineMeeting", onlineMeetingPatchProps...)
	if ge != nil {
		c.fail(ge)
		return
	}
	start, _ := parseGraphTime(m.o["startDateTime"])
	end, _ := parseGraphTime(m.o["endDateTime"])
	start, end, ge = meetingTimes(body, start, end)
	if ge != nil {
		c.fail(ge)
		return
	}
	for k, v := range body {
		if k == "participants" {
			if p, ok := v.(obj); ok {
				if parts, ok := m.o["participants"].(obj); ok {
					if _, ok := p["attendees"]; ok {
						parts["attendees"] = listOr(p["attendees"])
					}
				}
			}
			continue
		}
		if !strings.HasPrefix(k, "@") {
			m.o[k] = v
		}
	}
	m.o["startDateTime"], m.o["endDateTime"] = meetingTime(start), meetingTime(end)
	c.entity(200, c.userCtx()+"/onlineMeetings/$entity", m.o)
}

// listOnlineMeetings answers GET /onlineMeetings, which the service serves only with a
// $filter on joinWebUrl, joinMeetingIdSettings/joinMeetingId or videoTeleconferenceId.
func (c *gc) listOnlineMeetings() {
	if c.tok.delegated() && c.user != c.caller {
		c.fail(forbidden(wlTeams))
		return
	}
	f := strings.ToLower(strings.TrimSpace(c.query.Get("$filter")))
	ok := false
	for _, p := range []string{"joinweburl ", "joinmeetingidsettings/joinmeetingid ", "videoteleconferenceid ", "externalid "} {
		if strings.HasPrefix(f, p) {
			ok = true
		}
	}
	if !ok {
		c.fail(gerr(400, "InvalidArgument", "Filter expression expected - /onlineMeetings?$filter={ParameterName} eq '{id}'."))
		return
	}
	c.list(c.ud().onlineMeetings.objs(nil), listOpts{context: c.userCtx() + "/onlineMeetings"})
}
