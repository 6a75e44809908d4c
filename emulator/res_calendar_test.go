package emulator

import (
	"net/url"
	"strings"
	"testing"
)

func calEvent(subject, start, end, tz string) map[string]any {
	return map[string]any{"subject": subject,
		"start": map[string]any{"dateTime": start, "timeZone": tz},
		"end":   map[string]any{"dateTime": end, "timeZone": tz}}
}

func calTime(t *testing.T, o map[string]any, k string) (string, string) {
	t.Helper()
	dt, ok := o[k].(map[string]any)
	if !ok {
		t.Fatalf("%s is not a dateTimeTimeZone: %v", k, o[k])
	}
	return dt["dateTime"].(string), dt["timeZone"].(string)
}

func calIDs(g gresp) map[string]bool {
	ids := map[string]bool{}
	for _, v := range g.value() {
		ids[v["id"].(string)] = true
	}
	return ids
}

func TestCalendarEventLifecycleAndTimeZones(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)

	def := h.call(t, tok, "GET", "/v1.0/me/calendar", nil).must(t, 200)
	if def.body["isDefaultCalendar"] != true || def.body["name"] != "Calendar" {
		t.Fatalf("default calendar: %s", def.raw)
	}
	if _, leaked := def.body["@wk"]; leaked {
		t.Fatalf("private key leaked: %s", def.raw)
	}
	if !strings.Contains(def.body["@odata.context"].(string), "/calendar/$entity") {
		t.Fatalf("context: %v", def.body["@odata.context"])
	}
	cals := h.call(t, tok, "GET", "/v1.0/me/calendars", nil).must(t, 200)
	if n := len(cals.value()); n != 2 {
		t.Fatalf("seeded calendars = %d, want Calendar and Birthdays", n)
	}
	for _, c := range cals.value() {
		if _, leaked := c["@wk"]; leaked {
			t.Fatalf("private key leaked in list: %v", c)
		}
	}
	seeded := len(h.call(t, tok, "GET", "/v1.0/me/events?$top=50", nil).must(t, 200).value())
	if seeded < 5 {
		t.Fatalf("seeded events = %d", seeded)
	}

	// Windows zone: the create answer echoes the zone it was given.
	ev := h.call(t, tok, "POST", "/v1.0/me/events", calEvent("e5renew sync", "2026-01-01T10:00:00", "2026-01-01T10:30:00", "China Standard Time")).must(t, 201)
	id := ev.body["id"].(string)
	if dt, tz := calTime(t, ev.body, "start"); dt != "2026-01-01T10:00:00.0000000" || tz != "China Standard Time" {
		t.Fatalf("created start = %s %s", dt, tz)
	}
	if ev.body["originalStartTimeZone"] != "China Standard Time" || ev.body["subject"] != "e5renew sync" {
		t.Fatalf("created event: %s", ev.raw)
	}
	if h.artifacts() != 1 {
		t.Fatalf("live artifacts = %d after one event", h.artifacts())
	}
	// Without Prefer, Outlook answers in UTC.
	got := h.call(t, tok, "GET", "/v1.0/me/events/"+id, nil).must(t, 200)
	if dt, tz := calTime(t, got.body, "start"); dt != "2026-01-01T02:00:00.0000000" || tz != "UTC" {
		t.Fatalf("GET start = %s %s, want 02:00 UTC", dt, tz)
	}
	// Prefer: outlook.timezone converts, with Windows and IANA names.
	pst := h.call(t, tok, "GET", "/v1.0/me/events/"+id, nil, "Prefer", `outlook.timezone="Pacific Standard Time"`).must(t, 200)
	if dt, tz := calTime(t, pst.body, "end"); dt != "2025-12-31T18:30:00.0000000" || tz != "Pacific Standard Time" {
		t.Fatalf("Prefer PST end = %s %s", dt, tz)
	}
	sh := h.call(t, tok, "GET", "/v1.0/me/events?$top=50", nil, "Prefer", `outlook.timezone="Asia/Shanghai"`).must(t, 200)
	found := false
	for _, v := range sh.value() {
		if v["id"] == id {
			found = true
			if dt, tz := calTime(t, v, "start"); dt != "2026-01-01T10:00:00.0000000" || tz != "Asia/Shanghai" {
				t.Fatalf("listed start = %s %s", dt, tz)
			}
		}
	}
	if !found || len(sh.value()) != seeded+1 {
		t.Fatalf("list after create: found=%v n=%d seeded=%d", found, len(sh.value()), seeded)
	}
	// IANA zone on create.
	ia := h.call(t, tok, "POST", "/v1.0/me/calendar/events", calEvent("iana", "2026-03-01T09:00:00", "2026-03-01T09:15:00", "Asia/Shanghai")).must(t, 201)
	if ia.body["originalEndTimeZone"] != "Asia/Shanghai" {
		t.Fatalf("IANA event: %s", ia.raw)
	}
	if n := len(h.call(t, tok, "GET", "/v1.0/me/calendar/events?$top=50", nil).must(t, 200).value()); n != seeded+2 {
		t.Fatalf("/me/calendar/events = %d, want %d", n, seeded+2)
	}

	// PATCH: subject and end; an end before the start is refused.
	p := h.call(t, tok, "PATCH", "/v1.0/me/events/"+id, map[string]any{"subject": "renamed",
		"end": map[string]any{"dateTime": "2026-01-01T03:00:00", "timeZone": "UTC"}}).must(t, 200)
	if p.body["subject"] != "renamed" {
		t.Fatalf("patched subject: %s", p.raw)
	}
	if dt, tz := calTime(t, p.body, "end"); dt != "2026-01-01T03:00:00.0000000" || tz != "UTC" {
		t.Fatalf("patched end = %s %s", dt, tz)
	}
	bad := h.call(t, tok, "PATCH", "/v1.0/me/events/"+id, map[string]any{"end": map[string]any{"dateTime": "2025-01-01T00:00:00", "timeZone": "UTC"}}).must(t, 400)
	if bad.errCode() != "ErrorPropertyValidationFailure" {
		t.Fatalf("end before start: %s", bad.raw)
	}
	h.call(t, tok, "GET", "/v1.0/me/events/"+id+"?$select=subject", nil).must(t, 200)

	h.call(t, tok, "DELETE", "/v1.0/me/events/"+id, nil).must(t, 204)
	nf := h.call(t, tok, "GET", "/v1.0/me/events/"+id, nil).must(t, 404)
	if nf.errCode() != "ErrorItemNotFound" {
		t.Fatalf("deleted event: %s", nf.raw)
	}
	h.call(t, tok, "PATCH", "/v1.0/me/events/"+id, map[string]any{"subject": "x"}).must(t, 404)
	h.call(t, tok, "DELETE", "/v1.0/me/events/"+id, nil).must(t, 404)
	h.call(t, tok, "POST", "/v1.0/me/events/"+ia.body["id"].(string)+"/permanentDelete", nil).must(t, 204)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}
}

func TestCalendarEventValidation(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	tz := h.call(t, tok, "POST", "/v1.0/me/events", calEvent("x", "2026-01-01T10:00:00", "2026-01-01T11:00:00", "Greenwich Mean Time")).must(t, 400)
	if tz.errCode() != "TimeZoneNotSupportedException" || !strings.Contains(tz.raw2(), "The following TimeZone value is not supported: 'Greenwich Mean Time'.") {
		t.Fatalf("unknown zone: %s", tz.raw)
	}
	none := h.call(t, tok, "POST", "/v1.0/me/events", map[string]any{"subject": "no times"}).must(t, 400)
	if none.errCode() != "ErrorPropertyValidationFailure" {
		t.Fatalf("missing start/end: %s", none.raw)
	}
	rev := h.call(t, tok, "POST", "/v1.0/me/events", calEvent("x", "2026-01-01T10:00:00", "2026-01-01T09:00:00", "UTC")).must(t, 400)
	if rev.errCode() != "ErrorPropertyValidationFailure" {
		t.Fatalf("end before start: %s", rev.raw)
	}
	unk := h.call(t, tok, "POST", "/v1.0/me/events", map[string]any{"subjekt": "x"}).must(t, 400)
	if unk.errCode() != "RequestBodyRead" || !strings.Contains(unk.raw2(), "microsoft.graph.event") {
		t.Fatalf("unknown property: %s", unk.raw)
	}
	str := h.call(t, tok, "POST", "/v1.0/me/events", map[string]any{"subject": "x", "start": "2026-01-01T10:00:00Z", "end": "2026-01-01T11:00:00Z"}).must(t, 400)
	if str.errCode() != "RequestBodyRead" || !strings.Contains(str.raw2(), "'StartObject' node was expected") {
		t.Fatalf("start as a string: %s", str.raw)
	}
	num := h.call(t, tok, "POST", "/v1.0/me/events", map[string]any{"subject": 5}).must(t, 400)
	if !strings.Contains(num.raw2(), "Edm.String") {
		t.Fatalf("numeric subject: %s", num.raw)
	}
	dtz := calEvent("x", "2026-01-01T10:00:00", "2026-01-01T11:00:00", "UTC")
	dtz["start"].(map[string]any)["zone"] = "UTC"
	if g := h.call(t, tok, "POST", "/v1.0/me/events", dtz).must(t, 400); !strings.Contains(g.raw2(), "microsoft.graph.dateTimeTimeZone") {
		t.Fatalf("unknown dateTimeTimeZone property: %s", g.raw)
	}
	garbage := h.call(t, tok, "POST", "/v1.0/me/events", calEvent("x", "tomorrow", "2026-01-01T11:00:00", "UTC")).must(t, 400)
	if garbage.errCode() != "ErrorPropertyValidationFailure" {
		t.Fatalf("unparsable dateTime: %s", garbage.raw)
	}
	pref := h.call(t, tok, "GET", "/v1.0/me/events", nil, "Prefer", `outlook.timezone="Mars/Olympus"`).must(t, 400)
	if pref.errCode() != "TimeZoneNotSupportedException" || !strings.Contains(pref.raw2(), "Mars/Olympus") {
		t.Fatalf("bad Prefer zone: %s", pref.raw)
	}
	att := calEvent("x", "2026-01-01T10:00:00", "2026-01-01T11:00:00", "UTC")
	att["attendees"] = []any{map[string]any{"emailAddress": map[string]any{"adress": "a@b.c"}}}
	if g := h.call(t, tok, "POST", "/v1.0/me/events", att).must(t, 400); !strings.Contains(g.raw2(), "'adress' does not exist on type 'microsoft.graph.emailAddress'") {
		t.Fatalf("bad attendee: %s", g.raw)
	}
	if h.artifacts() != 0 {
		t.Fatalf("failed creates left %d artifacts", h.artifacts())
	}
	// Attendees, location and online meeting are kept.
	ok := calEvent("meeting", "2026-01-01T10:00:00", "2026-01-01T11:00:00", "Pacific Standard Time")
	ok["attendees"] = []any{map[string]any{"emailAddress": map[string]any{"address": h.megan.UPN, "name": "Megan"}, "type": "optional"}}
	ok["location"] = map[string]any{"displayName": "Room 1"}
	ok["isOnlineMeeting"] = true
	ok["body"] = map[string]any{"contentType": "HTML", "content": "<p>agenda</p>"}
	g := h.call(t, tok, "POST", "/v1.0/me/events", ok).must(t, 201)
	a := g.body["attendees"].([]any)[0].(map[string]any)
	if a["type"] != "optional" || a["status"].(map[string]any)["response"] != "none" {
		t.Fatalf("attendee: %v", a)
	}
	if g.body["location"].(map[string]any)["displayName"] != "Room 1" || len(g.body["locations"].([]any)) != 1 {
		t.Fatalf("location: %s", g.raw)
	}
	if g.body["onlineMeeting"] == nil || g.body["onlineMeetingProvider"] != "teamsForBusiness" || g.body["bodyPreview"] != "agenda" {
		t.Fatalf("online meeting / body: %s", g.raw)
	}
	h.call(t, tok, "DELETE", "/v1.0/me/events/"+g.body["id"].(string), nil).must(t, 204)
	rec := calEvent("weekly", "2026-01-05T10:00:00", "2026-01-05T10:30:00", "UTC")
	rec["recurrence"] = map[string]any{"pattern": map[string]any{"type": "weekly", "interval": 1, "daysOfWeek": []any{"monday"}},
		"range": map[string]any{"type": "noEnd", "startDate": "2026-01-05"}}
	r := h.call(t, tok, "POST", "/v1.0/me/events", rec).must(t, 201)
	if r.body["type"] != "seriesMaster" || r.body["recurrence"] == nil {
		t.Fatalf("recurring event: %s", r.raw)
	}
	h.call(t, tok, "DELETE", "/v1.0/me/events/"+r.body["id"].(string), nil).must(t, 204)
}

func TestCalendarView(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	for _, p := range []string{"/v1.0/me/calendarView", "/v1.0/me/calendar/calendarView", "/v1.0/me/calendarView?startDateTime=2026-01-01T00:00:00"} {
		g := h.call(t, tok, "GET", p, nil).must(t, 400)
		if g.errCode() != "ErrorInvalidParameter" || g.body["error"].(map[string]any)["message"] != "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime." {
			t.Fatalf("%s without a window: %s", p, g.raw)
		}
	}
	h.call(t, tok, "GET", "/v1.0/me/calendarView?startDateTime=soon&endDateTime=later", nil).must(t, 400)

	in1 := h.call(t, tok, "POST", "/v1.0/me/events", calEvent("in-late", "2030-05-02T15:00:00", "2030-05-02T16:00:00", "UTC")).must(t, 201).body["id"].(string)
	in2 := h.call(t, tok, "POST", "/v1.0/me/events", calEvent("in-early", "2030-05-01T23:30:00", "2030-05-02T00:30:00", "UTC")).must(t, 201).body["id"].(string)
	out := h.call(t, tok, "POST", "/v1.0/me/events", calEvent("out", "2030-05-03T09:00:00", "2030-05-03T10:00:00", "UTC")).must(t, 201).body["id"].(string)
	edge := h.call(t, tok, "POST", "/v1.0/me/events", calEvent("ends-at-start", "2030-05-01T23:00:00", "2030-05-02T00:00:00", "UTC")).must(t, 201).body["id"].(string)

	q := "?startDateTime=" + url.QueryEscape("2030-05-02T00:00:00Z") + "&endDateTime=" + url.QueryEscape("2030-05-03T00:00:00Z")
	for _, p := range []string{"/v1.0/me/calendarView", "/v1.0/me/calendar/calendarView"} {
		v := h.call(t, tok, "GET", p+q, nil).must(t, 200)
		ids := calIDs(v)
		if !ids[in1] || !ids[in2] || ids[out] || ids[edge] || len(ids) != 2 {
			t.Fatalf("%s window: %s", p, v.raw)
		}
		if v.value()[0]["id"] != in2 {
			t.Fatalf("calendarView is not sorted by start: %s", v.raw)
		}
	}
	// A window given with an offset: 2030-05-02T08:00+08:00 is midnight UTC.
	off := "?StartDateTime=" + url.QueryEscape("2030-05-02T08:00:00+08:00") + "&EndDateTime=" + url.QueryEscape("2030-05-02T20:00:00+08:00")
	v := h.call(t, tok, "GET", "/v1.0/me/calendarView"+off, nil, "Prefer", `outlook.timezone="China Standard Time"`).must(t, 200)
	if ids := calIDs(v); !ids[in2] || ids[in1] || len(ids) != 1 {
		t.Fatalf("offset window: %s", v.raw)
	}
	if dt, tz := calTime(t, v.value()[0], "start"); dt != "2030-05-02T07:30:00.0000000" || tz != "China Standard Time" {
		t.Fatalf("calendarView with Prefer: %s %s", dt, tz)
	}
	for _, id := range []string{in1, in2, out, edge} {
		h.call(t, tok, "DELETE", "/v1.0/me/events/"+id, nil).must(t, 204)
	}
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d", h.artifacts())
	}
}

func TestCalendarsCreateRenameDelete(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	cal := h.call(t, tok, "POST", "/v1.0/me/calendars", map[string]any{"name": "e5renew", "color": "lightBlue"}).must(t, 201)
	cid := cal.body["id"].(string)
	if cal.body["isDefaultCalendar"] != false || cal.body["color"] != "lightBlue" || cal.body["owner"].(map[string]any)["address"] != h.alex.UPN {
		t.Fatalf("created calendar: %s", cal.raw)
	}
	dup := h.call(t, tok, "POST", "/v1.0/me/calendars", map[string]any{"name": "E5RENEW"}).must(t, 409)
	if dup.errCode() != "ErrorFolderExists" {
		t.Fatalf("duplicate calendar: %s", dup.raw)
	}
	h.call(t, tok, "POST", "/v1.0/me/calendars", map[string]any{"name": "calendar"}).must(t, 409)
	if g := h.call(t, tok, "POST", "/v1.0/me/calendars", map[string]any{"color": "auto"}).must(t, 400); g.errCode() != "ErrorInvalidRequest" {
		t.Fatalf("nameless calendar: %s", g.raw)
	}
	if g := h.call(t, tok, "POST", "/v1.0/me/calendars", map[string]any{"nam": "x"}).must(t, 400); g.errCode() != "RequestBodyRead" {
		t.Fatalf("unknown calendar property: %s", g.raw)
	}
	if n := len(h.call(t, tok, "GET", "/v1.0/me/calendars", nil).must(t, 200).value()); n != 3 {
		t.Fatalf("calendars = %d after create", n)
	}
	if g := h.call(t, tok, "GET", "/v1.0/me/calendars/"+cid, nil).must(t, 200); g.body["name"] != "e5renew" {
		t.Fatalf("GET calendar: %s", g.raw)
	}
	h.call(t, tok, "GET", "/v1.0/me/calendars/AAMkAGnotthere", nil).must(t, 404)
	if g := h.call(t, tok, "PATCH", "/v1.0/me/calendars/"+cid, map[string]any{"name": "e5renew 2"}).must(t, 200); g.body["name"] != "e5renew 2" {
		t.Fatalf("PATCH calendar: %s", g.raw)
	}
	h.call(t, tok, "PATCH", "/v1.0/me/calendars/"+cid, map[string]any{"name": "Birthdays"}).must(t, 409)

	ev := h.call(t, tok, "POST", "/v1.0/me/calendars/"+cid+"/events", calEvent("in other calendar", "2030-01-01T10:00:00", "2030-01-01T11:00:00", "UTC")).must(t, 201)
	eid := ev.body["id"].(string)
	inCal := h.call(t, tok, "GET", "/v1.0/me/calendars/"+cid+"/events", nil).must(t, 200)
	if len(inCal.value()) != 1 || inCal.value()[0]["id"] != eid {
		t.Fatalf("calendar events: %s", inCal.raw)
	}
	if calIDs(h.call(t, tok, "GET", "/v1.0/me/events?$top=100", nil).must(t, 200))[eid] {
		t.Fatal("/me/events lists an event of a secondary calendar")
	}
	h.call(t, tok, "GET", "/v1.0/me/events/"+eid, nil).must(t, 200)
	view := h.call(t, tok, "GET", "/v1.0/me/calendars/"+cid+"/calendarView?startDateTime=2030-01-01T00:00:00&endDateTime=2030-01-02T00:00:00", nil).must(t, 200)
	if len(view.value()) != 1 {
		t.Fatalf("secondary calendarView: %s", view.raw)
	}
	if h.artifacts() != 2 {
		t.Fatalf("live artifacts = %d, want calendar and event", h.artifacts())
	}
	def := h.call(t, tok, "GET", "/v1.0/me/calendar", nil).must(t, 200).body["id"].(string)
	if g := h.call(t, tok, "DELETE", "/v1.0/me/calendars/"+def, nil).must(t, 403); g.errCode() != "ErrorDeleteDistinguishedFolder" {
		t.Fatalf("deleting the default calendar: %s", g.raw)
	}
	h.call(t, tok, "DELETE", "/v1.0/me/calendars/"+cid, nil).must(t, 204)
	h.call(t, tok, "GET", "/v1.0/me/events/"+eid, nil).must(t, 404)
	h.call(t, tok, "GET", "/v1.0/me/calendars/"+cid+"/events", nil).must(t, 404)
	h.call(t, tok, "DELETE", "/v1.0/me/calendars/"+cid, nil).must(t, 404)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after deleting the calendar", h.artifacts())
	}
}

func TestCalendarApplicationAndBoundaries(t *testing.T) {
	h := defaultHarness(t)
	app := h.appToken(t)
	megan := "/v1.0/users/" + h.megan.UPN
	def := h.call(t, app, "GET", megan+"/calendar", nil).must(t, 200)
	if def.body["owner"].(map[string]any)["address"] != h.megan.UPN {
		t.Fatalf("megan's calendar: %s", def.raw)
	}
	h.call(t, app, "GET", megan+"/calendars/"+def.body["id"].(string), nil).must(t, 200)
	cal := h.call(t, app, "POST", megan+"/calendars", map[string]any{"name": "app cal"}).must(t, 201).body["id"].(string)
	h.call(t, app, "PATCH", megan+"/calendars/"+cal, map[string]any{"color": "lightRed"}).must(t, 200)
	h.call(t, app, "POST", megan+"/calendars/"+cal+"/events", calEvent("a", "2031-01-01T10:00:00", "2031-01-01T11:00:00", "UTC")).must(t, 201)
	h.call(t, app, "GET", megan+"/calendars/"+cal+"/events", nil).must(t, 200)
	h.call(t, app, "GET", megan+"/calendars/"+cal+"/calendarView?startDateTime=2031-01-01&endDateTime=2031-01-02", nil).must(t, 200)
	ev := h.call(t, app, "POST", megan+"/events", calEvent("app event", "2031-02-01T10:00:00", "2031-02-01T11:00:00", "UTC")).must(t, 201)
	id := ev.body["id"].(string)
	if org := ev.body["organizer"].(map[string]any)["emailAddress"].(map[string]any)["address"]; org != h.megan.UPN {
		t.Fatalf("organizer = %v", org)
	}
	for _, p := range []string{"/calendarView", "/calendar/calendarView"} {
		v := h.call(t, app, "GET", megan+p+"?startDateTime=2031-02-01T00:00:00Z&endDateTime=2031-02-02T00:00:00Z", nil).must(t, 200)
		if !calIDs(v)[id] || len(v.value()) != 1 {
			t.Fatalf("app %s: %s", p, v.raw)
		}
	}
	h.call(t, app, "GET", megan+"/events", nil).must(t, 200)
	h.call(t, app, "GET", megan+"/calendar/events", nil).must(t, 200)
	h.call(t, app, "POST", megan+"/calendar/events", calEvent("b", "2031-03-01T10:00:00", "2031-03-01T11:00:00", "UTC")).must(t, 201)
	h.call(t, app, "GET", megan+"/events/"+id, nil).must(t, 200)
	h.call(t, app, "PATCH", megan+"/events/"+id, map[string]any{"showAs": "free"}).must(t, 200)
	h.call(t, app, "GET", megan+"/calendars", nil).must(t, 200)
	if h.artifacts() != 4 {
		t.Fatalf("live artifacts = %d", h.artifacts())
	}
	h.call(t, app, "DELETE", megan+"/events/"+id, nil).must(t, 204)
	h.call(t, app, "DELETE", megan+"/calendars/"+cal, nil).must(t, 204)
	// The one left in the default calendar goes by permanentDelete.
	rest := h.call(t, app, "GET", megan+"/events?$filter=subject eq 'b'", nil).must(t, 200).value()
	if len(rest) != 1 {
		t.Fatalf("$filter subject: %v", rest)
	}
	h.call(t, app, "POST", megan+"/events/"+rest[0]["id"].(string)+"/permanentDelete", nil).must(t, 204)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}

	tok := h.userToken(t, h.alex)
	if g := h.call(t, tok, "GET", megan+"/events", nil).must(t, 403); g.errCode() != "ErrorAccessDenied" {
		t.Fatalf("delegated read of megan's calendar: %s", g.raw)
	}
	if g := h.call(t, h.userToken(t, h.nolic), "GET", "/v1.0/me/calendar", nil).must(t, 404); g.errCode() != "MailboxNotEnabledForRESTAPI" {
		t.Fatalf("unlicensed: %s", g.raw)
	}
	h.call(t, app, "GET", "/v1.0/me/calendarView?startDateTime=2031-01-01&endDateTime=2031-01-02", nil).must(t, 400)

	// A token with read-only calendar access cannot create.
	ro := newHarness(t, Options{}, []string{"User.Read", "Calendars.Read"}, nil)
	rt := ro.userToken(t, ro.alex)
	ro.call(t, rt, "GET", "/v1.0/me/calendar", nil).must(t, 200)
	ro.call(t, rt, "GET", "/v1.0/me/calendarView?startDateTime=2031-01-01&endDateTime=2031-01-02", nil).must(t, 200)
	if g := ro.call(t, rt, "POST", "/v1.0/me/events", calEvent("x", "2031-01-01T10:00:00", "2031-01-01T11:00:00", "UTC")).must(t, 403); g.errCode() != "ErrorAccessDenied" {
		t.Fatalf("read-only token created an event: %s", g.raw)
	}
	ro.call(t, rt, "PATCH", "/v1.0/me/calendars/x", map[string]any{"name": "y"}).must(t, 403)
}

func TestEventTransactionIDPreventsDuplicates(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	ev := map[string]any{"subject": "retry me", "transactionId": "e5renew-1c2a3b4-0000002a",
		"start": map[string]any{"dateTime": "2026-11-03T10:00:00", "timeZone": "UTC"}, "end": map[string]any{"dateTime": "2026-11-03T10:30:00", "timeZone": "UTC"}}
	a := h.call(t, tok, "POST", "/v1.0/me/events", ev).must(t, 201)
	b := h.call(t, tok, "POST", "/v1.0/me/events", ev).must(t, 201)
	if a.body["id"] != b.body["id"] || h.artifacts() != 1 {
		t.Fatalf("the same transactionId created two events (artifacts %d)", h.artifacts())
	}
}
