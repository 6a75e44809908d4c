package emulator

import (
	"regexp"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones for event times, whatever the host has installed
)

// eventProps are the properties declared on microsoft.graph.event; a request body may
// carry any of them (read-only ones are ignored, as Outlook does).
var eventProps = []string{"allowNewTimeProposals", "attendees", "body", "bodyPreview", "categories", "changeKey", "createdDateTime",
	"end", "hasAttachments", "hideAttendees", "iCalUId", "id", "importance", "isAllDay", "isCancelled", "isDraft", "isOnlineMeeting",
	"isOrganizer", "isReminderOn", "lastModifiedDateTime", "location", "locations", "onlineMeeting", "onlineMeetingProvider",
	"onlineMeetingUrl", "organizer", "originalEndTimeZone", "originalStart", "originalStartTimeZone", "recurrence",
	"reminderMinutesBeforeStart", "responseRequested", "responseStatus", "sensitivity", "seriesMasterId", "showAs", "start",
	"subject", "transactionId", "type", "webLink", "attachments", "calendar", "extensions", "instances",
	"multiValueExtendedProperties", "singleValueExtendedProperties"}

// eventWritable are the event properties a client sets; start and end are handled apart.
var eventWritable = []string{"allowNewTimeProposals", "attendees", "body", "categories", "hideAttendees", "importance", "isAllDay",
	"isOnlineMeeting", "isReminderOn", "location", "locations", "onlineMeetingProvider", "recurrence", "reminderMinutesBeforeStart",
	"responseRequested", "sensitivity", "showAs", "subject", "transactionId"}

var eventKinds = map[string]string{"subject": "string", "body": "object", "start": "object", "end": "object", "location": "object",
	"locations": "array", "attendees": "array", "categories": "stringArray", "isAllDay": "bool", "isOnlineMeeting": "bool",
	"isReminderOn": "bool", "responseRequested": "bool", "allowNewTimeProposals": "bool", "hideAttendees": "bool",
	"reminderMinutesBeforeStart": "int", "importance": "string", "sensitivity": "string", "showAs": "string",
	"onlineMeetingProvider": "string", "recurrence": "object", "transactionId": "string"}

var calendarProps = []string{"name", "color", "hexColor", "changeKey", "canEdit", "canShare", "canViewPrivateItems", "isDefaultCalendar",
	"isRemovable", "isTallyingResponses", "owner", "allowedOnlineMeetingProviders", "defaultOnlineMeetingProvider", "id",
	"calendarPermissions", "events", "calendarView", "multiValueExtendedProperties", "singleValueExtendedProperties"}

var calendarKinds = map[string]string{"name": "string", "color": "string", "hexColor": "string", "defaultOnlineMeetingProvider": "string"}

// calSupplement documents calendar paths that Microsoft's permission data omits although the
// Graph reference documents them (calendar-get, calendar-update, user-list-calendarview).
func calSupplement(method string) *supplement {
	perms := []string{"Calendars.ReadBasic", "Calendars.Read", "Calendars.ReadWrite"}
	if method != "GET" {
		perms = []string{"Calendars.ReadWrite"}
	}
	return &supplement{Delegated: perms, Application: perms,
		Source: "Graph API reference calendar-get / calendar-update / user-list-calendarview (not in permissions.json)"}
}

func (e *Emulator) registerCalendar(rt *router) {
	// Events of the default calendar; single events are addressed in the whole mailbox.
	rt.perUser("GET", "/events", wlCalendar, func(c *gc) { c.listEvents(c.defaultCalendar(), "/events") })
	rt.perUser("POST", "/events", wlCalendar, func(c *gc) { c.createEvent(c.defaultCalendar()) })
	// permissions.json accepts only Calendars.ReadBasic and Calendars.Read for GET
	// /events/{id} (not Calendars.ReadWrite); the emulator follows the official data.
	rt.perUser("GET", "/events/{id}", wlCalendar, (*gc).getEvent)
	rt.perUser("PATCH", "/events/{id}", wlCalendar, (*gc).patchEvent)
	rt.perUser("DELETE", "/events/{id}", wlCalendar, (*gc).deleteEvent)
	rt.perUser("POST", "/events/{id}/permanentDelete", wlCalendar, (*gc).deleteEvent)

	rt.perUser("GET", "/calendars", wlCalendar, (*gc).listCalendars)
	rt.perUser("POST", "/calendars", wlCalendar, (*gc).createCalendar)
	calAdd := func(method, suffix string, h handler) {
		rt.add(&route{method: method, template: "/me" + suffix, workload: wlCalendar, h: h, me: true, supplement: calSupplement(method)})
		rt.add(&route{method: method, template: "/users/{id}" + suffix, workload: wlCalendar, h: h, user: true, supplement: calSupplement(method)})
	}
	calAdd("GET", "/calendars/{id}", func(c *gc) {
		if cal := c.calendarParam(0); cal != nil {
			c.entity(200, c.userCtx()+"/calendars/$entity", calendarOut(cal))
		}
	})
	calAdd("PATCH", "/calendars/{id}", (*gc).patchCalendar)
	rt.perUser("DELETE", "/calendars/{id}", wlCalendar, (*gc).deleteCalendar)
	rt.perUser("GET", "/calendars/{id}/events", wlCalendar, func(c *gc) {
		if cal := c.calendarParam(0); cal != nil {
			c.listEvents(cal, "/calendars('"+c.param(0)+"')/events")
		}
	})
	rt.perUser("POST", "/calendars/{id}/events", wlCalendar, func(c *gc) {
		if cal := c.calendarParam(0); cal != nil {
			c.createEvent(cal)
		}
	})
	rt.perUser("GET", "/calendars/{id}/calendarView", wlCalendar, func(c *gc) {
		if cal := c.calendarParam(0); cal != nil {
			c.calendarView(cal, "/calendars('"+c.param(0)+"')/calendarView")
		}
	})

	calAdd("GET", "/calendar", func(c *gc) {
		c.entity(200, c.userCtx()+"/calendar/$entity", calendarOut(c.defaultCalendar()))
	})
	rt.perUser("GET", "/calendar/events", wlCalendar, func(c *gc) { c.listEvents(c.defaultCalendar(), "/calendar/events") })
	rt.perUser("POST", "/calendar/events", wlCalendar, func(c *gc) { c.createEvent(c.defaultCalendar()) })
	rt.perUser("GET", "/calendar/calendarView", wlCalendar, func(c *gc) {
		c.calendarView(c.defaultCalendar(), "/calendar/calendarView")
	})
	// The data lists /users/{id}/calendarView only; /me/calendarView is documented
	// (user-list-calendarview) and carries a supplement.
	view := func(c *gc) { c.calendarView(c.defaultCalendar(), "/calendarView") }
	rt.add(&route{method: "GET", template: "/users/{id}/calendarView", workload: wlCalendar, h: view, user: true})
	rt.add(&route{method: "GET", template: "/me/calendarView", workload: wlCalendar, h: view, me: true, supplement: calSupplement("GET")})
}

// defaultCalendar is the mailbox's default calendar (seeded with "@wk" = "calendar").
func (c *gc) defaultCalendar() *item {
	for _, cal := range c.ud().calendars.items {
		if cal.o["@wk"] == "calendar" {
			return cal
		}
	}
	return nil
}

// calendarParam resolves the i-th parameter as a calendar or fails with Outlook's 404.
func (c *gc) calendarParam(i int) *item {
	cal := c.ud().calendars.get(c.param(i))
	if cal == nil {
		c.fail(outlookNotFound())
	}
	return cal
}

// calendarOut is a calendar without the emulator's private keys.
func calendarOut(cal *item) obj {
	o := obj{}
	for k, v := range cal.o {
		if k != "@wk" {
			o[k] = v
		}
	}
	return o
}

func (c *gc) listCalendars() {
	var out []obj
	for _, cal := range c.ud().calendars.items {
		out = append(out, calendarOut(cal))
	}
	c.list(out, listOpts{context: c.userCtx() + "/calendars", pageSize: 10, maxTop: 1000})
}

// calendarNameTaken reports whether another calendar of the mailbox has the name.
func (d *userData) calendarNameTaken(name string, except *item) bool {
	for _, cal := range d.calendars.items {
		if cal != except && strings.EqualFold(strings.TrimSpace(str(cal.o, "name")), name) {
			return true
		}
	}
	return false
}

func (c *gc) createCalendar() {
	body, ge := c.readObj("calendar", calendarProps...)
	if ge == nil {
		body = pimCanon(body, calendarProps)
		ge = pimCheck(body, calendarKinds)
	}
	if ge != nil {
		c.fail(ge)
		return
	}
	name := strings.TrimSpace(str(body, "name"))
	if name == "" {
		c.fail(gerr(400, "ErrorInvalidRequest", "The calendar name can't be empty."))
		return
	}
	d := c.ud()
	if d.calendarNameTaken(name, nil) {
		c.fail(gerr(409, "ErrorFolderExists", "A folder with the specified name already exists."))
		return
	}
	cal := d.calendars.add(&item{id: outlookID(), created: c.e.now(), o: obj{
		"name": name, "color": firstNonEmpty(str(body, "color"), "auto"), "hexColor": str(body, "hexColor"), "isDefaultCalendar": false,
		"changeKey": b64url(randBytes(12)), "canShare": true, "canViewPrivateItems": true, "canEdit": true,
		"allowedOnlineMeetingProviders": []any{"teamsForBusiness"}, "defaultOnlineMeetingProvider": "teamsForBusiness",
		"isTallyingResponses": true, "isRemovable": true, "owner": obj{"name": c.user.DisplayName, "address": c.user.UPN},
	}})
	c.created(cal, "calendar")
	c.entity(201, c.userCtx()+"/calendars/$entity", calendarOut(cal))
}

func (c *gc) patchCalendar() {
	cal := c.calendarParam(0)
	if cal == nil {
		return
	}
	body, ge := c.readObj("calendar", calendarProps...)
	if ge == nil {
		body = pimCanon(body, calendarProps)
		ge = pimCheck(body, calendarKinds)
	}
	if ge != nil {
		c.fail(ge)
		return
	}
	if v, ok := body["name"]; ok {
		name := strings.TrimSpace(str(body, "name"))
		if v == nil || name == "" {
			c.fail(gerr(400, "ErrorInvalidRequest", "The calendar name can't be empty."))
			return
		}
		if c.ud().calendarNameTaken(name, cal) {
			c.fail(gerr(409, "ErrorFolderExists", "A folder with the specified name already exists."))
			return
		}
		cal.o["name"] = name
	}
	for _, k := range []string{"color", "hexColor", "defaultOnlineMeetingProvider"} {
		if v, ok := body[k].(string); ok {
			cal.o[k] = v
		}
	}
	cal.o["changeKey"] = b64url(randBytes(12))
	c.entity(200, c.userCtx()+"/calendars/$entity", calendarOut(cal))
}

func (c *gc) deleteCalendar() {
	cal := c.calendarParam(0)
	if cal == nil {
		return
	}
	if def, _ := cal.o["isDefaultCalendar"].(bool); def || cal.o["isRemovable"] == false {
		c.fail(gerr(403, "ErrorDeleteDistinguishedFolder", "Distinguished folders cannot be deleted."))
		return
	}
	d := c.ud()
	for _, ev := range d.events.where(inParent(cal.id)) {
		d.events.del(ev.id)
	}
	d.calendars.del(cal.id)
	c.noContent(204)
}

// --- events --------------------------------------------------------------------------

// preferredZone reads the Prefer: outlook.timezone="..." request header. It returns the
// zone name as the client wrote it ("" when absent) and its location.
var preferTZRe = regexp.MustCompile(`(?i)outlook\.timezone\s*=\s*(?:"([^"]*)"|([^\s,;]+))`)

func (c *gc) preferredZone() (string, *time.Location, *graphErr) {
	for _, h := range c.header.Values("Prefer") {
		m := preferTZRe.FindStringSubmatch(h)
		if m == nil {
			continue
		}
		name := strings.TrimSpace(m[1] + m[2])
		loc, ok := resolveTimeZone(name)
		if !ok {
			return "", nil, tzNotSupported(name)
		}
		return name, loc, nil
	}
	return "", nil, nil
}

func tzNotSupported(name string) *graphErr {
	return gerr(400, "TimeZoneNotSupportedException", "A valid TimeZone value must be specified. The following TimeZone value is not supported: '%s'.", name)
}

// eventOut renders an event with start and end in zone (a name the client gave, with its
// location), or, when zone is "" and original is set, in the zones the event was created
// with; otherwise in UTC, as Outlook answers without a Prefer header.
func eventOut(ev *item, zone string, loc *time.Location, original bool) obj {
	o := obj{}
	for k, v := range ev.o {
		o[k] = v
	}
	for _, k := range []string{"start", "end"} {
		t, ok := storedEventTime(ev.o, k)
		if !ok {
			continue
		}
		name, l := zone, loc
		if zone == "" {
			name, l = "UTC", time.UTC
			if original {
				orig := str(ev.o, "originalStartTimeZone")
				if k == "end" {
					orig = str(ev.o, "originalEndTimeZone")
				}
				if ol, ok := resolveTimeZone(orig); ok {
					name, l = orig, ol
				}
			}
		}
		o[k] = obj{"dateTime": isoFrac(t.In(l)), "timeZone": name}
	}
	return o
}

// storedEventTime reads an event's start or end, stored in UTC.
func storedEventTime(o obj, k string) (time.Time, bool) {
	dt, _ := o[k].(obj)
	t, err := time.ParseInLocation("2006-01-02T15:04:05", str(dt, "dateTime"), time.UTC)
	return t, err == nil
}

func (c *gc) eventCtx() string { return c.userCtx() + "/events/$entity" }

func (c *gc) listEvents(cal *item, suffix string) {
	zone, loc, ge := c.preferredZone()
	if ge != nil {
		c.fail(ge)
		return
	}
	var out []obj
	for _, ev := range c.ud().events.where(inParent(cal.id)) {
		out = append(out, eventOut(ev, zone, loc, false))
	}
	c.list(out, listOpts{context: c.userCtx() + suffix, pageSize: 10, maxTop: 1000})
}

// calendarView lists the events of a calendar that overlap the time window given by the
// startDateTime and endDateTime query parameters, earliest first.
func (c *gc) calendarView(cal *item, suffix string) {
	var rawStart, rawEnd string
	for k, v := range c.query {
		switch {
		case strings.EqualFold(k, "startDateTime") && len(v) > 0:
			rawStart = v[0]
		case strings.EqualFold(k, "endDateTime") && len(v) > 0:
			rawEnd = v[0]
		}
	}
	if strings.TrimSpace(rawStart) == "" || strings.TrimSpace(rawEnd) == "" {
		c.fail(gerr(400, "ErrorInvalidParameter", "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime."))
		return
	}
	ws, ok := parseWindowTime(rawStart)
	if !ok {
		c.fail(gerr(400, "ErrorInvalidParameter", "The value '%s' of parameter 'StartDateTime' is invalid.", rawStart))
		return
	}
	we, ok := parseWindowTime(rawEnd)
	if !ok {
		c.fail(gerr(400, "ErrorInvalidParameter", "The value '%s' of parameter 'EndDateTime' is invalid.", rawEnd))
		return
	}
	zone, loc, ge := c.preferredZone()
	if ge != nil {
		c.fail(ge)
		return
	}
	type hit struct {
		at time.Time
		ev *item
	}
	var hits []hit
	for _, ev := range c.ud().events.where(inParent(cal.id)) {
		s, ok1 := storedEventTime(ev.o, "start")
		e, ok2 := storedEventTime(ev.o, "end")
		if !ok1 || !ok2 {
			continue
		}
		overlaps := s.Before(we) && e.After(ws)
		if s.Equal(e) { // an event without duration is in the window when it starts there
			overlaps = !s.Before(ws) && s.Before(we)
		}
		if overlaps {
			hits = append(hits, hit{s, ev})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].at.Before(hits[j].at) })
	out := make([]obj, 0, len(hits))
	for _, h := range hits {
		out = append(out, eventOut(h.ev, zone, loc, false))
	}
	c.list(out, listOpts{context: c.userCtx() + suffix, pageSize: 10, maxTop: 1000})
}

// parseWindowTime reads a calendarView bound: ISO 8601 with an offset, or without one
// (then UTC, whatever the Prefer header says).
func parseWindowTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// eventTime reads a dateTimeTimeZone request value ("start" or "end").
func eventTime(v any) (time.Time, string, *graphErr) {
	dt, ok := v.(obj)
	if !ok {
		return time.Time{}, "", gerr(400, "ErrorPropertyValidationFailure", "At least one property failed validation.")
	}
	for k := range dt {
		if k != "dateTime" && k != "timeZone" && !strings.HasPrefix(k, "@") {
			return time.Time{}, "", gerr(400, "RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.dateTimeTimeZone'. Make sure to only use property names that are defined by the type.", k)
		}
	}
	if ge := pimCheck(dt, map[string]string{"dateTime": "string", "timeZone": "string"}); ge != nil {
		return time.Time{}, "", ge
	}
	zone := strings.TrimSpace(str(dt, "timeZone"))
	loc, ok := resolveTimeZone(zone)
	if !ok {
		return time.Time{}, "", tzNotSupported(zone)
	}
	raw := strings.TrimSpace(str(dt, "dateTime"))
	if raw == "" {
		return time.Time{}, "", gerr(400, "ErrorPropertyValidationFailure", "At least one property failed validation.")
	}
	if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
		return t, zone, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, raw, loc); err == nil {
			return t, zone, nil
		}
	}
	return time.Time{}, "", gerr(400, "ErrorPropertyValidationFailure", "At least one property failed validation.")
}

// applyEventBody copies the writable properties of a request body onto an event and
// derives bodyPreview, locations and the online meeting.
func applyEventBody(ev *item, body obj) {
	for _, k := range eventWritable {
		v, ok := body[k]
		if !ok {
			continue
		}
		switch k {
		case "body":
			b, _ := v.(obj)
			ct := strings.ToLower(firstNonEmpty(str(b, "contentType"), "html"))
			content := str(b, "content")
			ev.o["body"] = obj{"contentType": ct, "content": content}
			preview := content
			if ct == "html" {
				preview = stripTags(content)
			}
			if r := []rune(preview); len(r) > 255 {
				preview = string(r[:255])
			}
			ev.o["bodyPreview"] = preview
		case "location":
			l, _ := v.(obj)
			loc := obj{"displayName": str(l, "displayName"), "locationType": firstNonEmpty(str(l, "locationType"), "default"),
				"uniqueIdType": "unknown"}
			for _, extra := range []string{"address", "coordinates", "locationEmailAddress", "locationUri"} {
				if x, ok := l[extra]; ok {
					loc[extra] = x
				}
			}
			ev.o["location"] = loc
			if _, given := body["locations"]; !given {
				if n := str(l, "displayName"); n != "" {
					ev.o["locations"] = []any{obj{"displayName": n, "locationType": loc["locationType"], "uniqueId": n, "uniqueIdType": "private"}}
				} else {
					ev.o["locations"] = []any{}
				}
			}
		case "attendees":
			var out []any
			for _, a := range listOr(v) {
				ao, _ := a.(obj)
				out = append(out, obj{"type": firstNonEmpty(str(ao, "type"), "required"), "emailAddress": ao["emailAddress"],
					"status": obj{"response": "none", "time": "0001-01-01T00:00:00Z"}})
			}
			if out == nil {
				out = []any{}
			}
			ev.o["attendees"] = out
		default:
			ev.o[k] = v
		}
	}
	if on, _ := ev.o["isOnlineMeeting"].(bool); on {
		if ev.o["onlineMeeting"] == nil {
			ev.o["onlineMeeting"] = obj{"joinUrl": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_" + b64url(randBytes(24)) + "%40thread.v2/0"}
		}
		if str(ev.o, "onlineMeetingProvider") == "" || str(ev.o, "onlineMeetingProvider") == "unknown" {
			ev.o["onlineMeetingProvider"] = "teamsForBusiness"
		}
	} else {
		ev.o["onlineMeeting"] = nil
	}
	if _, ok := ev.o["onlineMeetingProvider"]; !ok {
		ev.o["onlineMeetingProvider"] = "unknown"
	}
	// A recurring event is stored as its series master; calendarView does not expand it.
	if _, recurring := ev.o["recurrence"].(obj); recurring {
		ev.o["type"] = "seriesMaster"
	} else {
		ev.o["type"] = "singleInstance"
	}
}

func (c *gc) readEvent() (obj, *graphErr) {
	body, ge := c.readObj("event", eventProps...)
	if ge != nil {
		return nil, ge
	}
	body = pimCanon(body, eventProps)
	if ge := pimCheck(body, eventKinds); ge != nil {
		return nil, ge
	}
	for _, a := range listOr(body["attendees"]) {
		ao, ok := a.(obj)
		if !ok {
			return nil, gerr(400, "RequestBodyRead", "An unexpected 'PrimitiveValue' node was found when reading from the JSON reader. A 'StartObject' node was expected.")
		}
		if ge := checkEmailAddressHolder("attendee", ao, "type", "status", "proposedNewTime"); ge != nil {
			return nil, ge
		}
	}
	return body, nil
}

func (c *gc) createEvent(cal *item) {
	zone, loc, ge := c.preferredZone()
	if ge != nil {
		c.fail(ge)
		return
	}
	body, ge := c.readEvent()
	if ge != nil {
		c.fail(ge)
		return
	}
	if tx := str(body, "transactionId"); tx != "" {
		// transactionId lets a client retry a create without a duplicate (event resource).
		for _, ev := range c.ud().events.items {
			if str(ev.o, "transactionId") == tx {
				c.entity(201, c.eventCtx(), eventOut(ev, zone, loc, false))
				return
			}
		}
	}
	if body["start"] == nil || body["end"] == nil {
		c.fail(gerr(400, "ErrorPropertyValidationFailure", "At least one property failed validation."))
		return
	}
	start, startTZ, ge := eventTime(body["start"])
	if ge != nil {
		c.fail(ge)
		return
	}
	end, endTZ, ge := eventTime(body["end"])
	if ge != nil {
		c.fail(ge)
		return
	}
	if end.Before(start) {
		c.fail(gerr(400, "ErrorPropertyValidationFailure", "At least one property failed validation."))
		return
	}
	if canEdit, ok := cal.o["canEdit"].(bool); ok && !canEdit {
		c.fail(gerr(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."))
		return
	}
	d := c.ud()
	ev := c.e.addEvent(d, c.user, cal.id, str(body, "subject"), start, end, "")
	ev.o["originalStartTimeZone"], ev.o["originalEndTimeZone"] = startTZ, endTZ
	applyEventBody(ev, body)
	c.created(ev, "event")
	c.entity(201, c.eventCtx(), eventOut(ev, zone, loc, true))
}

func (c *gc) getEvent() {
	ev := c.ud().events.get(c.param(0))
	if ev == nil {
		c.fail(outlookNotFound())
		return
	}
	zone, loc, ge := c.preferredZone()
	if ge != nil {
		c.fail(ge)
		return
	}
	c.entity(200, c.eventCtx(), eventOut(ev, zone, loc, false))
}

func (c *gc) patchEvent() {
	ev := c.ud().events.get(c.param(0))
	if ev == nil {
		c.fail(outlookNotFound())
		return
	}
	zone, loc, ge := c.preferredZone()
	if ge != nil {
		c.fail(ge)
		return
	}
	body, ge := c.readEvent()
	if ge != nil {
		c.fail(ge)
		return
	}
	start, _ := storedEventTime(ev.o, "start")
	end, _ := storedEventTime(ev.o, "end")
	startTZ, endTZ := str(ev.o, "originalStartTimeZone"), str(ev.o, "originalEndTimeZone")
	if v, ok := body["start"]; ok {
		if start, startTZ, ge = eventTime(v); ge != nil {
			c.fail(ge)
			return
		}
	}
	if v, ok := body["end"]; ok {
		if end, endTZ, ge = eventTime(v); ge != nil {
			c.fail(ge)
			return
		}
	}
	if end.Before(start) {
		c.fail(gerr(400, "ErrorPropertyValidationFailure", "At least one property failed validation."))
		return
	}
	ev.o["start"] = obj{"dateTime": isoFrac(start.UTC()), "timeZone": "UTC"}
	ev.o["end"] = obj{"dateTime": isoFrac(end.UTC()), "timeZone": "UTC"}
	ev.o["originalStartTimeZone"], ev.o["originalEndTimeZone"] = startTZ, endTZ
	applyEventBody(ev, body)
	now := c.e.now()
	ev.o["lastModifiedDateTime"] = iso(now)
	ev.o["changeKey"] = b64url(randBytes(12))
	ev.o["@odata.etag"] = etag()
	c.entity(200, c.eventCtx(), eventOut(ev, zone, loc, true))
}

func (c *gc) deleteEvent() {
	if c.ud().events.del(c.param(0)) == nil {
		c.fail(outlookNotFound())
		return
	}
	c.noContent(204)
}

// --- request body checks shared by the Outlook resources (calendar, contacts, To Do) ---

// pimCanon renames the keys of a body that c.readObj accepted case-insensitively to the
// spelling the type declares, so that handlers can read them by name.
func pimCanon(body obj, props []string) obj {
	out := obj{}
	for k, v := range body {
		for _, p := range props {
			if strings.EqualFold(p, k) {
				k = p
				break
			}
		}
		out[k] = v
	}
	return out
}

// pimCheck verifies the JSON kinds of body properties as Graph's OData reader does:
// "string", "bool", "int", "object", "array" or "stringArray". Null is accepted.
func pimCheck(body obj, kinds map[string]string) *graphErr {
	node := func(v any) string {
		switch v.(type) {
		case obj:
			return "StartObject"
		case []any:
			return "StartArray"
		}
		return "PrimitiveValue"
	}
	unexpected := func(v any, want string) *graphErr {
		return gerr(400, "RequestBodyRead", "An unexpected '%s' node was found when reading from the JSON reader. A '%s' node was expected.", node(v), want)
	}
	convert := func(edm string) *graphErr {
		return gerr(400, "RequestBodyRead", "Cannot convert a primitive value to the expected type '%s'. See the inner exception for more details.", edm)
	}
	for k, kind := range kinds {
		v, ok := body[k]
		if !ok || v == nil {
			continue
		}
		switch kind {
		case "object":
			if _, ok := v.(obj); !ok {
				return unexpected(v, "StartObject")
			}
		case "array", "stringArray":
			l, ok := v.([]any)
			if !ok {
				return unexpected(v, "StartArray")
			}
			if kind == "stringArray" {
				for _, x := range l {
					if node(x) != "PrimitiveValue" {
						return unexpected(x, "PrimitiveValue")
					}
					if _, ok := x.(string); !ok && x != nil {
						return convert("Edm.String")
					}
				}
			}
		default:
			if node(v) != "PrimitiveValue" {
				return unexpected(v, "PrimitiveValue")
			}
			switch kind {
			case "string":
				if _, ok := v.(string); !ok {
					return convert("Edm.String")
				}
			case "bool":
				if _, ok := v.(bool); !ok {
					return convert("Edm.Boolean")
				}
			case "int":
				f, ok := v.(float64)
				if !ok || f != float64(int64(f)) {
					return convert("Edm.Int32")
				}
			}
		}
	}
	return nil
}

// checkEmailAddressHolder checks an object holding an "emailAddress" (recipient, attendee).
func checkEmailAddressHolder(typeName string, o obj, extra ...string) *graphErr {
	for k := range o {
		if k != "emailAddress" && !containsFold(extra, k) && !strings.HasPrefix(k, "@") {
			return gerr(400, "RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.%s'. Make sure to only use property names that are defined by the type.", k, typeName)
		}
	}
	if v, ok := o["emailAddress"]; ok && v != nil {
		ea, ok := v.(obj)
		if !ok {
			return pimCheck(o, map[string]string{"emailAddress": "object"})
		}
		return checkEmailAddress(ea)
	}
	return nil
}

// checkEmailAddress checks a microsoft.graph.emailAddress object.
func checkEmailAddress(ea obj) *graphErr {
	for k := range ea {
		if k != "address" && k != "name" && !strings.HasPrefix(k, "@") {
			return gerr(400, "RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.emailAddress'. Make sure to only use property names that are defined by the type.", k)
		}
	}
	return pimCheck(ea, map[string]string{"address": "string", "name": "string"})
}

// --- time zones ----------------------------------------------------------------------

// resolveTimeZone accepts the Windows time zone names Outlook uses ("China Standard Time")
// and IANA names ("Asia/Shanghai"), as Graph's dateTimeTimeZone does.
func resolveTimeZone(name string) (*time.Location, bool) {
	name = strings.TrimSpace(name)
	if name == "" || strings.EqualFold(name, "Local") {
		return nil, false
	}
	if iana, ok := windowsZones[strings.ToLower(name)]; ok {
		name = iana
	}
	if strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// windowsZones maps Windows time zone ids (lower case) to IANA zones, after the CLDR
// windowsZones table (territory 001).
var windowsZones = func() map[string]string {
	m := map[string]string{}
	for _, p := range [][2]string{
		{"Dateline Standard Time", "Etc/GMT+12"}, {"UTC-11", "Etc/GMT+11"}, {"Aleutian Standard Time", "America/Adak"},
		{"Hawaiian Standard Time", "Pacific/Honolulu"}, {"Marquesas Standard Time", "Pacific/Marquesas"},
		{"Alaskan Standard Time", "America/Anchorage"}, {"UTC-09", "Etc/GMT+9"}, {"Pacific Standard Time (Mexico)", "America/Tijuana"},
		{"UTC-08", "Etc/GMT+8"}, {"Pacific Standard Time", "America/Los_Angeles"}, {"US Mountain Standard Time", "America/Phoenix"},
		{"Mountain Standard Time (Mexico)", "America/Mazatlan"}, {"Mountain Standard Time", "America/Denver"},
		{"Yukon Standard Time", "America/Whitehorse"}, {"Central America Standard Time", "America/Guatemala"},
		{"Central Standard Time", "America/Chicago"}, {"Easter Island Standard Time", "Pacific/Easter"},
		{"Central Standard Time (Mexico)", "America/Mexico_City"}, {"Canada Central Standard Time", "America/Regina"},
		{"SA Pacific Standard Time", "America/Bogota"}, {"Eastern Standard Time (Mexico)", "America/Cancun"},
		{"Eastern Standard Time", "America/New_York"}, {"Haiti Standard Time", "America/Port-au-Prince"},
		{"Cuba Standard Time", "America/Havana"}, {"US Eastern Standard Time", "America/Indiana/Indianapolis"},
		{"Turks And Caicos Standard Time", "America/Grand_Turk"}, {"Paraguay Standard Time", "America/Asuncion"},
		{"Atlantic Standard Time", "America/Halifax"}, {"Venezuela Standard Time", "America/Caracas"},
		{"Central Brazilian Standard Time", "America/Cuiaba"}, {"SA Western Standard Time", "America/La_Paz"},
		{"Pacific SA Standard Time", "America/Santiago"}, {"Newfoundland Standard Time", "America/St_Johns"},
		{"Tocantins Standard Time", "America/Araguaina"}, {"E. South America Standard Time", "America/Sao_Paulo"},
		{"SA Eastern Standard Time", "America/Cayenne"}, {"Argentina Standard Time", "America/Argentina/Buenos_Aires"},
		{"Greenland Standard Time", "America/Nuuk"}, {"Montevideo Standard Time", "America/Montevideo"},
		{"Magallanes Standard Time", "America/Punta_Arenas"}, {"Saint Pierre Standard Time", "America/Miquelon"},
		{"Bahia Standard Time", "America/Bahia"}, {"UTC-02", "Etc/GMT+2"}, {"Mid-Atlantic Standard Time", "Etc/GMT+2"},
		{"Azores Standard Time", "Atlantic/Azores"}, {"Cape Verde Standard Time", "Atlantic/Cape_Verde"}, {"UTC", "UTC"},
		{"Coordinated Universal Time", "UTC"}, {"tzone://Microsoft/Utc", "UTC"},
		{"GMT Standard Time", "Europe/London"}, {"Greenwich Standard Time", "Atlantic/Reykjavik"},
		{"Sao Tome Standard Time", "Africa/Sao_Tome"}, {"Morocco Standard Time", "Africa/Casablanca"},
		{"W. Europe Standard Time", "Europe/Berlin"}, {"Central Europe Standard Time", "Europe/Budapest"},
		{"Romance Standard Time", "Europe/Paris"}, {"Central European Standard Time", "Europe/Warsaw"},
		{"W. Central Africa Standard Time", "Africa/Lagos"}, {"Jordan Standard Time", "Asia/Amman"},
		{"GTB Standard Time", "Europe/Bucharest"}, {"Middle East Standard Time", "Asia/Beirut"},
		{"Egypt Standard Time", "Africa/Cairo"}, {"E. Europe Standard Time", "Europe/Chisinau"},
		{"Syria Standard Time", "Asia/Damascus"}, {"West Bank Standard Time", "Asia/Hebron"},
		{"South Africa Standard Time", "Africa/Johannesburg"}, {"FLE Standard Time", "Europe/Kiev"},
		{"Israel Standard Time", "Asia/Jerusalem"}, {"South Sudan Standard Time", "Africa/Juba"},
		{"Kaliningrad Standard Time", "Europe/Kaliningrad"}, {"Sudan Standard Time", "Africa/Khartoum"},
		{"Libya Standard Time", "Africa/Tripoli"}, {"Namibia Standard Time", "Africa/Windhoek"},
		{"Arabic Standard Time", "Asia/Baghdad"}, {"Turkey Standard Time", "Europe/Istanbul"},
		{"Arab Standard Time", "Asia/Riyadh"}, {"Belarus Standard Time", "Europe/Minsk"},
		{"Russian Standard Time", "Europe/Moscow"}, {"E. Africa Standard Time", "Africa/Nairobi"},
		{"Volgograd Standard Time", "Europe/Volgograd"}, {"Iran Standard Time", "Asia/Tehran"},
		{"Arabian Standard Time", "Asia/Dubai"}, {"Astrakhan Standard Time", "Europe/Astrakhan"},
		{"Azerbaijan Standard Time", "Asia/Baku"}, {"Russia Time Zone 3", "Europe/Samara"},
		{"Mauritius Standard Time", "Indian/Mauritius"}, {"Saratov Standard Time", "Europe/Saratov"},
		{"Georgian Standard Time", "Asia/Tbilisi"}, {"Caucasus Standard Time", "Asia/Yerevan"},
		{"Afghanistan Standard Time", "Asia/Kabul"}, {"West Asia Standard Time", "Asia/Tashkent"},
		{"Ekaterinburg Standard Time", "Asia/Yekaterinburg"}, {"Pakistan Standard Time", "Asia/Karachi"},
		{"Qyzylorda Standard Time", "Asia/Qyzylorda"}, {"India Standard Time", "Asia/Kolkata"},
		{"Sri Lanka Standard Time", "Asia/Colombo"}, {"Nepal Standard Time", "Asia/Kathmandu"},
		{"Central Asia Standard Time", "Asia/Almaty"}, {"Bangladesh Standard Time", "Asia/Dhaka"},
		{"Omsk Standard Time", "Asia/Omsk"}, {"Myanmar Standard Time", "Asia/Yangon"},
		{"SE Asia Standard Time", "Asia/Bangkok"}, {"Altai Standard Time", "Asia/Barnaul"},
		{"W. Mongolia Standard Time", "Asia/Hovd"}, {"North Asia Standard Time", "Asia/Krasnoyarsk"},
		{"N. Central Asia Standard Time", "Asia/Novosibirsk"}, {"Tomsk Standard Time", "Asia/Tomsk"},
		{"China Standard Time", "Asia/Shanghai"}, {"North Asia East Standard Time", "Asia/Irkutsk"},
		{"Singapore Standard Time", "Asia/Singapore"}, {"W. Australia Standard Time", "Australia/Perth"},
		{"Taipei Standard Time", "Asia/Taipei"}, {"Ulaanbaatar Standard Time", "Asia/Ulaanbaatar"},
		{"Aus Central W. Standard Time", "Australia/Eucla"}, {"Transbaikal Standard Time", "Asia/Chita"},
		{"Tokyo Standard Time", "Asia/Tokyo"}, {"North Korea Standard Time", "Asia/Pyongyang"},
		{"Korea Standard Time", "Asia/Seoul"}, {"Yakutsk Standard Time", "Asia/Yakutsk"},
		{"Cen. Australia Standard Time", "Australia/Adelaide"}, {"AUS Central Standard Time", "Australia/Darwin"},
		{"E. Australia Standard Time", "Australia/Brisbane"}, {"AUS Eastern Standard Time", "Australia/Sydney"},
		{"West Pacific Standard Time", "Pacific/Port_Moresby"}, {"Tasmania Standard Time", "Australia/Hobart"},
		{"Vladivostok Standard Time", "Asia/Vladivostok"}, {"Lord Howe Standard Time", "Australia/Lord_Howe"},
		{"Bougainville Standard Time", "Pacific/Bougainville"}, {"Russia Time Zone 10", "Asia/Srednekolymsk"},
		{"Magadan Standard Time", "Asia/Magadan"}, {"Norfolk Standard Time", "Pacific/Norfolk"},
		{"Sakhalin Standard Time", "Asia/Sakhalin"}, {"Central Pacific Standard Time", "Pacific/Guadalcanal"},
		{"Russia Time Zone 11", "Asia/Kamchatka"}, {"New Zealand Standard Time", "Pacific/Auckland"},
		{"UTC+12", "Etc/GMT-12"}, {"Fiji Standard Time", "Pacific/Fiji"}, {"Kamchatka Standard Time", "Asia/Kamchatka"},
		{"Chatham Islands Standard Time", "Pacific/Chatham"}, {"UTC+13", "Etc/GMT-13"},
		{"Tonga Standard Time", "Pacific/Tongatapu"}, {"Samoa Standard Time", "Pacific/Apia"},
		{"Line Islands Standard Time", "Pacific/Kiritimati"},
	} {
		m[strings.ToLower(p[0])] = p[1]
	}
	return m
}()
