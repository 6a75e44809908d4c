package activity_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/graph"
)

// Calendar, contacts, To Do and OneNote objects whose create answer was lost (no id in the
// journal) are found again by their marker and deleted, in the delegated and, where
// available, the application form.
func TestCleanupFindsCalendarContactsTodoNotesByMarker(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, delegated := range []bool{true, false} {
		for _, name := range []string{"calendar.create_event", "calendar.create_calendar", "contacts.create", "todo.create", "onenote.create_page"} {
			a, _ := activity.Lookup(name)
			if !delegated && !a.AppOnly() {
				continue
			}
			t.Run(name+map[bool]string{true: "/delegated", false: "/app"}[delegated], func(t *testing.T) {
				j := activity.NewMemoryJournal()
				x := w.exec(delegated, j, 11)
				x.Loc = shanghai // the event window is found again outside UTC too
				if err := a.Run(context.Background(), x); err != nil {
					t.Fatal(err)
				}
				entries, _ := j.Pending(context.Background(), x.Account)
				if len(entries) == 0 {
					t.Fatal("nothing journaled")
				}
				for _, e := range entries {
					if e.ObjectID == "" {
						t.Fatalf("entry %s journaled without the id the service answered", e.Kind)
					}
					e.ObjectID = "" // as if the answer to the create call had been lost
					_ = j.Record(context.Background(), e)
				}
				res := activity.Cleanup(context.Background(), x)
				if res.Deleted != len(entries) || j.Len() != 0 || w.em.Stats().LiveArtifactsTotal != 0 {
					t.Fatalf("cleanup by marker: %+v, %d left, artifacts %v", res, j.Len(), w.em.Stats().LiveArtifacts)
				}
			})
		}
	}
}

// The event is created in the account's time zone, named by its IANA name, during working
// hours, and carries the marker as transactionId; creating it again with the same marker
// returns the same event.
func TestCreateEventUsesAccountZoneAndTransactionID(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	j := activity.NewMemoryJournal()
	x := w.exec(true, j, 3)
	x.Loc = loc
	a, _ := activity.Lookup("calendar.create_event")
	if err := a.Run(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	entries, _ := j.Pending(context.Background(), x.Account)
	if len(entries) != 1 {
		t.Fatalf("entries: %d", len(entries))
	}
	e := entries[0]
	resp, err := x.Do(context.Background(), graph.Request{Method: "GET", Path: "/me/events/" + e.ObjectID,
		Query:  activity.Q("$select", "start,end,originalStartTimeZone,transactionId"),
		Header: http.Header{"Prefer": []string{`outlook.timezone="Asia/Shanghai"`}}})
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Start struct{ DateTime, TimeZone string } `json:"start"`
		Zone  string                              `json:"originalStartTimeZone"`
		TxID  string                              `json:"transactionId"`
	}
	if err := resp.JSON(&ev); err != nil {
		t.Fatal(err)
	}
	if ev.Zone != "Asia/Shanghai" || ev.TxID != e.Marker {
		t.Fatalf("event zone %q, transactionId %q (marker %q)", ev.Zone, ev.TxID, e.Marker)
	}
	start, err := time.ParseInLocation("2006-01-02T15:04:05", ev.Start.DateTime[:19], loc)
	if err != nil {
		t.Fatal(err)
	}
	if start.Hour() < 9 || start.Hour() >= 18 || start.Weekday() == time.Saturday || start.Weekday() == time.Sunday {
		t.Fatalf("event outside working hours in Shanghai: %s", start)
	}
	from, to, _ := strings.Cut(e.Ref, "/")
	if f, _ := time.Parse(time.RFC3339, from); !f.Equal(start) {
		t.Fatalf("ref window %s does not start at %s", e.Ref, start)
	}
	if _, err := time.Parse(time.RFC3339, to); err != nil {
		t.Fatalf("ref window %s: %v", e.Ref, err)
	}
	// A retried create (same transactionId) does not make a second event.
	var again struct {
		ID string `json:"id"`
	}
	if err := x.Send(context.Background(), "POST", "/me/events", map[string]any{"subject": "retry", "transactionId": e.Marker,
		"start": map[string]any{"dateTime": "2030-01-07T10:00:00", "timeZone": "Asia/Shanghai"},
		"end":   map[string]any{"dateTime": "2030-01-07T10:30:00", "timeZone": "Asia/Shanghai"}}, &again); err != nil {
		t.Fatal(err)
	}
	if again.ID != e.ObjectID {
		t.Fatalf("retry made a new event %s (first %s)", again.ID, e.ObjectID)
	}
	if res := activity.Cleanup(context.Background(), x); res.Deleted != 1 || w.em.Stats().LiveArtifactsTotal != 0 {
		t.Fatalf("cleanup: %+v, artifacts %v", res, w.em.Stats().LiveArtifacts)
	}
}

// The To Do list gets one or two tasks, one of them completed; list and tasks are journaled
// and deleted, tasks first.
func TestTodoCreateCompletesATask(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	for seed := uint64(1); seed <= 4; seed++ {
		j := activity.NewMemoryJournal()
		x := w.exec(true, j, seed)
		a, _ := activity.Lookup("todo.create")
		if err := a.Run(context.Background(), x); err != nil {
			t.Fatal(err)
		}
		entries, _ := j.Pending(context.Background(), x.Account)
		if len(entries) < 2 || entries[0].Kind != "todo.list" {
			t.Fatalf("entries: %+v", entries)
		}
		for _, e := range entries[1:] {
			if e.Kind != "todo.task" || e.Ref != entries[0].ObjectID || e.ObjectID == "" {
				t.Fatalf("task entry %+v", e)
			}
		}
		var tasks struct {
			Value []struct {
				Status string `json:"status"`
			} `json:"value"`
		}
		if err := x.Get(context.Background(), "/me/todo/lists/"+entries[0].ObjectID+"/tasks", nil, &tasks); err != nil {
			t.Fatal(err)
		}
		completed := 0
		for _, tk := range tasks.Value {
			if tk.Status == "completed" {
				completed++
			}
		}
		if len(tasks.Value) < 1 || len(tasks.Value) > 2 || len(tasks.Value) != len(entries)-1 || completed != 1 {
			t.Fatalf("tasks %+v", tasks.Value)
		}
		if res := activity.Cleanup(context.Background(), x); res.Deleted != len(entries) || w.em.Stats().LiveArtifactsTotal != 0 {
			t.Fatalf("cleanup: %+v, artifacts %v", res, w.em.Stats().LiveArtifacts)
		}
	}
}

// OneNote's notebook and section "e5renew" are made once and reused by later rounds and
// within a round; the pages are deleted.
func TestOneNoteContainersAreReused(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	a, _ := activity.Lookup("onenote.create_page")
	for round := uint64(1); round <= 3; round++ {
		j := activity.NewMemoryJournal()
		x := w.exec(true, j, round)
		for i := 0; i < 2; i++ {
			if err := a.Run(context.Background(), x); err != nil {
				t.Fatal(err)
			}
		}
		if res := activity.Cleanup(context.Background(), x); res.Deleted != 2 || j.Len() != 0 {
			t.Fatalf("round %d cleanup: %+v", round, res)
		}
	}
	st := w.em.Stats()
	if st.LiveArtifactsTotal != 0 {
		t.Fatalf("left behind: %v", st.LiveArtifacts)
	}
	perm := st.PermanentArtifacts[w.user.UPN]
	if perm["notebook"] != 1 || perm["onenoteSection"] != 1 {
		t.Fatalf("permanent containers: %v", st.PermanentArtifacts)
	}
	var nbs struct {
		Value []struct {
			DisplayName string `json:"displayName"`
		} `json:"value"`
	}
	x := w.exec(true, activity.NewMemoryJournal(), 9)
	if err := x.Get(context.Background(), "/me/onenote/notebooks", activity.Q("$filter", "displayName eq 'e5renew'"), &nbs); err != nil {
		t.Fatal(err)
	}
	if len(nbs.Value) != 1 {
		t.Fatalf("notebooks named e5renew: %+v", nbs.Value)
	}
}

// A contact whose create answer was lost goes with its folder even when it cannot be
// found first (the folder's deletion removes it).
func TestContactGoesWithItsFolder(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	j := activity.NewMemoryJournal()
	x := w.exec(false, j, 5)
	a, _ := activity.Lookup("contacts.create")
	if err := a.Run(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	entries, _ := j.Pending(context.Background(), x.Account)
	var folder *activity.Entry
	for _, e := range entries {
		if e.Kind == "contacts.folder" {
			folder = e
		}
	}
	if folder == nil || len(entries) != 2 {
		t.Fatalf("entries: %+v", entries)
	}
	// Only the folder's entry survives (as if the contact's journal entry never made it).
	for _, e := range entries {
		if e.Kind == "contacts.contact" {
			_ = j.Done(context.Background(), e)
		}
	}
	if res := activity.Cleanup(context.Background(), x); res.Deleted != 1 || j.Len() != 0 || w.em.Stats().LiveArtifactsTotal != 0 {
		t.Fatalf("cleanup: %+v, artifacts %v", res, w.em.Stats().LiveArtifacts)
	}
}

// Under throttling, server errors and dropped connections (half of them after the request
// took effect), the write activities may fail, but nothing they made is left once the
// cleanup has run, and a retried event create makes no second event.
func TestCatalogAWritesLeaveNothingUnderFaults(t *testing.T) {
	w := newWorld(t, emulator.Options{Seed: 5})
	names := []string{"calendar.create_event", "calendar.create_calendar", "contacts.create", "todo.create", "onenote.create_page"}
	for _, delegated := range []bool{true, false} {
		j := activity.NewMemoryJournal()
		x := w.exec(delegated, j, 99)
		now := time.Now()
		x.Now = func() time.Time { return now }
		w.em.SetFaults(emulator.Faults{ThrottleRate: 0.1, ErrorRate: 0.1, DropRate: 0.2})
		for i := 0; i < 12; i++ {
			for _, name := range names {
				a, _ := activity.Lookup(name)
				if !delegated && !a.AppOnly() {
					continue
				}
				_ = a.Run(context.Background(), x)
			}
			activity.Cleanup(context.Background(), x)
		}
		w.em.SetFaults(emulator.Faults{})
		now = now.Add(2 * time.Hour) // entries whose object never came into being are given up
		res := activity.Cleanup(context.Background(), x)
		if len(res.Failures) > 0 || j.Len() != 0 || w.em.Stats().LiveArtifactsTotal != 0 {
			t.Fatalf("delegated=%v: %+v, %d entries left, artifacts %v", delegated, res, j.Len(), w.em.Stats().LiveArtifacts)
		}
	}
	if st := w.em.Stats(); st.Faults["dropped"] == 0 {
		t.Fatalf("no connection was dropped: %v", st.Faults)
	}
	if perm := w.em.Stats().PermanentArtifacts[w.user.UPN]; perm["notebook"] != 1 || perm["onenoteSection"] != 1 {
		t.Fatalf("permanent containers: %v", w.em.Stats().PermanentArtifacts)
	}
}
