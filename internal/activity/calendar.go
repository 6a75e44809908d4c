package activity

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
)

// Calendar: events, the coming week, calendars; creating an event and a calendar.

// calendarZone is the account's time zone and its IANA name for dateTimeTimeZone values and
// the Prefer: outlook.timezone header. A location without an IANA name ("Local") falls back
// to UTC, which Graph always understands.
func calendarZone(x *Exec) (*time.Location, string) {
	if x.Loc == nil {
		return time.UTC, "UTC"
	}
	name := x.Loc.String()
	if name == "" || name == "Local" {
		return time.UTC, "UTC"
	}
	return x.Loc, name
}

// calendarGet sends a GET asking for event times in the account's time zone.
func calendarGet(ctx context.Context, x *Exec, path string, q url.Values, out any) error {
	_, zone := calendarZone(x)
	resp, err := x.Do(ctx, graph.Request{Method: "GET", Path: path, Query: q,
		Header: http.Header{"Prefer": []string{`outlook.timezone="` + zone + `"`}}})
	if err != nil {
		return err
	}
	if out != nil {
		return resp.JSON(out)
	}
	return nil
}

// eventDateTime is a Graph dateTimeTimeZone: the local time with its zone name.
func eventDateTime(t time.Time, zone string) map[string]any {
	return map[string]any{"dateTime": t.Format("2006-01-02T15:04:05"), "timeZone": zone}
}

// eventWindow is the entry Ref of an event: its start and end in UTC as an ISO 8601 interval.
func eventWindow(start, end time.Time) string {
	return start.UTC().Format(time.RFC3339) + "/" + end.UTC().Format(time.RFC3339)
}

// findEventByTransaction looks for the event carrying the marker as its transactionId in
// the calendar view of the window kept in the entry's Ref.
func findEventByTransaction(ctx context.Context, x *Exec, e *Entry) (string, error) {
	from, to, ok := strings.Cut(e.Ref, "/")
	if !ok {
		return "", nil
	}
	var page list[struct {
		ID            string `json:"id"`
		TransactionID string `json:"transactionId"`
	}]
	if err := x.Get(ctx, x.P("/calendar/calendarView"), Q("startDateTime", from, "endDateTime", to,
		"$select", "id,transactionId", "$top", "50"), &page); err != nil {
		return "", err
	}
	for _, ev := range page.Value {
		if ev.TransactionID == e.Marker {
			return ev.ID, nil
		}
	}
	return "", nil
}

// findCalendarByName looks for a calendar named marker.
func findCalendarByName(ctx context.Context, x *Exec, e *Entry) (string, error) {
	var page list[struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}]
	if err := x.Get(ctx, x.P("/calendars"), Q("$select", "id,name", "$top", "100"), &page); err != nil {
		return "", err
	}
	for _, c := range page.Value {
		if c.Name == e.Marker {
			return c.ID, nil
		}
	}
	return "", nil
}

// sweepEvents lists the events of the default calendar in a window around now and returns
// those whose transactionId is a marker. Events are put one to two weeks ahead, so the
// window holds those of every run of the last month.
func sweepEvents(ctx context.Context, x *Exec) ([]Swept, error) {
	now := x.Now().UTC()
	var out []Swept
	err := each(ctx, x, x.P("/calendar/calendarView"), Q("startDateTime", now.AddDate(0, 0, -31).Format(time.RFC3339),
		"endDateTime", now.AddDate(0, 0, 16).Format(time.RFC3339), "$select", "id,transactionId,createdDateTime", "$top", "100"), 5000,
		func(ev struct {
			ID            string    `json:"id"`
			TransactionID string    `json:"transactionId"`
			Created       time.Time `json:"createdDateTime"`
		}) error {
			if IsMarker(ev.TransactionID) {
				out = append(out, Swept{ID: ev.ID, Marker: ev.TransactionID, Created: ev.Created})
			}
			return nil
		})
	return out, err
}

var eventLocations = []string{"Room 101", "Huddle room 3", "Teams", "会议室 A", "5F 小会议室", "Online"}

func init() {
	registerKind(
		&Kind{Name: "calendar.event", Order: 10,
			Delete:     deleteAt(func(x *Exec, e *Entry) string { return x.P("/events/" + e.ObjectID) }),
			Find:       findEventByTransaction,
			Sweep:      sweepEvents,
			SweepCalls: []Call{{Method: "GET", Path: "/me/calendar/calendarView"}}},
		&Kind{Name: "calendar.calendar", Order: 20,
			Delete:     deleteAt(func(x *Exec, e *Entry) string { return x.P("/calendars/" + e.ObjectID) }),
			Find:       findCalendarByName,
			Sweep:      sweepByName("/calendars", Q("$select", "id,name", "$top", "100")),
			SweepCalls: []Call{{Method: "GET", Path: "/me/calendars"}}},
	)

	register(
		&Activity{Name: "calendar.list_events", Workload: Calendar, Title: i18n.Text{EN: "List calendar events", ZH: "列出日历事件"},
			Calls:     []Call{{Method: "GET", Path: "/me/events"}},
			Delegated: []string{"Calendars.ReadBasic"}, Application: []string{"Calendars.ReadBasic"},
			Run: func(ctx context.Context, x *Exec) error {
				return calendarGet(ctx, x, x.P("/events"), Q("$top", "10",
					"$select", "subject,start,end,organizer,location,isAllDay"), nil)
			}},
		&Activity{Name: "calendar.view", Workload: Calendar, Title: i18n.Text{EN: "Look at the coming week", ZH: "查看未来一周的日程"},
			Calls:     []Call{{Method: "GET", Path: "/me/calendar/calendarView"}},
			Delegated: []string{"Calendars.ReadBasic"}, Application: []string{"Calendars.ReadBasic"},
			Run: func(ctx context.Context, x *Exec) error {
				loc, _ := calendarZone(x)
				now := x.Now().In(loc)
				return calendarGet(ctx, x, x.P("/calendar/calendarView"), Q(
					"startDateTime", now.Format(time.RFC3339), "endDateTime", now.AddDate(0, 0, 7).Format(time.RFC3339),
					"$top", "20", "$select", "subject,start,end,location,showAs"), nil)
			}},
		&Activity{Name: "calendar.list_calendars", Workload: Calendar, Title: i18n.Text{EN: "List calendars", ZH: "列出日历"},
			Calls:     []Call{{Method: "GET", Path: "/me/calendars"}},
			Delegated: []string{"Calendars.ReadBasic"}, Application: []string{"Calendars.ReadBasic"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/calendars"), Q("$top", "10", "$select", "name,color,isDefaultCalendar,canEdit"), nil)
			}},
		&Activity{Name: "calendar.create_event", Workload: Calendar, Write: true,
			Title: i18n.Text{EN: "Schedule an event, then delete it", ZH: "安排一个日程，随后删除"},
			Calls: []Call{{Method: "POST", Path: "/me/events"}, {Method: "DELETE", Path: "/me/events/{id}"},
				{Method: "GET", Path: "/me/calendar/calendarView"}},
			Delegated: []string{"Calendars.ReadWrite"}, Application: []string{"Calendars.ReadWrite"},
			Run: func(ctx context.Context, x *Exec) error {
				loc, zone := calendarZone(x)
				start, end := x.Content.EventTime(x.Now(), loc)
				marker := x.Marker()
				body := map[string]any{
					"subject":                    x.Content.Subject(),
					"body":                       map[string]any{"contentType": "text", "content": x.Content.Body()},
					"start":                      eventDateTime(start, zone),
					"end":                        eventDateTime(end, zone),
					"location":                   map[string]any{"displayName": eventLocations[x.Rand.IntN(len(eventLocations))]},
					"isReminderOn":               true,
					"reminderMinutesBeforeStart": 15,
					"showAs":                     "busy",
					// Outlook answers a create repeated with the same transactionId with the
					// event already made, so the create may be retried safely.
					"transactionId": marker,
				}
				_, err := x.Create(ctx, "calendar.create_event", "calendar.event", marker, eventWindow(start, end), func() (string, error) {
					resp, err := x.Do(ctx, graph.Request{Method: "POST", Path: x.P("/events"), Body: body, Idempotent: true})
					if err != nil {
						return "", err
					}
					var ev idOnly
					err = resp.JSON(&ev)
					return ev.ID, err
				})
				return err
			}},
		&Activity{Name: "calendar.create_calendar", Workload: Calendar, Write: true,
			Title: i18n.Text{EN: "Create a calendar, then delete it", ZH: "新建日历，随后删除"},
			Calls: []Call{{Method: "POST", Path: "/me/calendars"}, {Method: "DELETE", Path: "/me/calendars/{id}"},
				{Method: "GET", Path: "/me/calendars"}},
			Delegated: []string{"Calendars.ReadWrite"}, Application: []string{"Calendars.ReadWrite"},
			Run: func(ctx context.Context, x *Exec) error {
				marker := x.Marker()
				colors := []string{"lightBlue", "lightGreen", "lightOrange", "lightGray", "lightYellow", "lightTeal", "lightPink"}
				_, err := x.Create(ctx, "calendar.create_calendar", "calendar.calendar", marker, "", func() (string, error) {
					var c idOnly
					err := x.Send(ctx, "POST", x.P("/calendars"), map[string]any{"name": marker, "color": colors[x.Rand.IntN(len(colors))]}, &c)
					return c.ID, err
				})
				return err
			}},
	)
}
