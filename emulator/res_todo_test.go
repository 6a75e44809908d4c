package emulator

import (
	"strings"
	"testing"
)

func todoInner(g gresp) string {
	e, _ := g.body["error"].(map[string]any)
	in, _ := e["innerError"].(map[string]any)
	s, _ := in["message"].(string)
	return s
}

func TestTodoListsAndTasks(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	lists := h.call(t, tok, "GET", "/v1.0/me/todo/lists", nil).must(t, 200)
	var defaultID, flaggedID string
	for _, l := range lists.value() {
		switch l["wellknownListName"] {
		case "defaultList":
			defaultID = l["id"].(string)
			if l["displayName"] != "Tasks" {
				t.Fatalf("default list: %v", l)
			}
		case "flaggedEmails":
			flaggedID = l["id"].(string)
		}
	}
	if defaultID == "" || flaggedID == "" || len(lists.value()) != 2 {
		t.Fatalf("seeded lists: %s", lists.raw)
	}
	if n := len(h.call(t, tok, "GET", "/v1.0/me/todo/lists/"+defaultID+"/tasks", nil).must(t, 200).value()); n != 3 {
		t.Fatalf("seeded tasks = %d", n)
	}

	l := h.call(t, tok, "POST", "/v1.0/me/todo/lists", map[string]any{"displayName": "e5renew"}).must(t, 201)
	lid := l.body["id"].(string)
	if l.body["wellknownListName"] != "none" || l.body["isOwner"] != true || l.body["isShared"] != false {
		t.Fatalf("created list: %s", l.raw)
	}
	if g := h.call(t, tok, "GET", "/v1.0/me/todo/lists/"+lid, nil).must(t, 200); g.body["displayName"] != "e5renew" {
		t.Fatalf("GET list: %s", g.raw)
	}
	if g := h.call(t, tok, "PATCH", "/v1.0/me/todo/lists/"+lid, map[string]any{"displayName": "e5renew 2"}).must(t, 200); g.body["displayName"] != "e5renew 2" {
		t.Fatalf("PATCH list: %s", g.raw)
	}

	notitle := h.call(t, tok, "POST", "/v1.0/me/todo/lists/"+lid+"/tasks", map[string]any{"importance": "high"}).must(t, 400)
	if notitle.errCode() != "invalidRequest" || !strings.Contains(todoInner(notitle), "title") {
		t.Fatalf("task without title: %s", notitle.raw)
	}
	task := h.call(t, tok, "POST", "/v1.0/me/todo/lists/"+lid+"/tasks", map[string]any{"title": "renew", "importance": "high",
		"body":        map[string]any{"content": "check the subscription", "contentType": "text"},
		"dueDateTime": map[string]any{"dateTime": "2026-11-05T09:00:00", "timeZone": "China Standard Time"}}).must(t, 201)
	tid := task.body["id"].(string)
	if task.body["title"] != "renew" || task.body["status"] != "notStarted" || task.body["importance"] != "high" {
		t.Fatalf("created task: %s", task.raw)
	}
	if due := task.body["dueDateTime"].(map[string]any); due["dateTime"] != "2026-11-05T01:00:00.0000000" || due["timeZone"] != "UTC" {
		t.Fatalf("dueDateTime: %v", due)
	}
	if !strings.Contains(task.body["@odata.context"].(string), "/todo/lists('"+lid+"')/tasks/$entity") {
		t.Fatalf("task context: %v", task.body["@odata.context"])
	}
	if h.artifacts() != 2 {
		t.Fatalf("live artifacts = %d, want list and task", h.artifacts())
	}
	tasks := h.call(t, tok, "GET", "/v1.0/me/todo/lists/"+lid+"/tasks", nil).must(t, 200)
	if len(tasks.value()) != 1 || tasks.value()[0]["id"] != tid {
		t.Fatalf("tasks: %s", tasks.raw)
	}
	h.call(t, tok, "GET", "/v1.0/me/todo/lists/"+lid+"/tasks/"+tid, nil).must(t, 200)
	// A task is addressed through its own list only.
	if g := h.call(t, tok, "GET", "/v1.0/me/todo/lists/"+defaultID+"/tasks/"+tid, nil).must(t, 404); g.errCode() != "itemNotFound" {
		t.Fatalf("task through another list: %s", g.raw)
	}
	done := h.call(t, tok, "PATCH", "/v1.0/me/todo/lists/"+lid+"/tasks/"+tid, map[string]any{"status": "completed"}).must(t, 200)
	if done.body["status"] != "completed" || done.body["completedDateTime"] == nil {
		t.Fatalf("completed task: %s", done.raw)
	}
	reopened := h.call(t, tok, "PATCH", "/v1.0/me/todo/lists/"+lid+"/tasks/"+tid, map[string]any{"status": "inProgress"}).must(t, 200)
	if _, has := reopened.body["completedDateTime"]; has {
		t.Fatalf("reopened task keeps completedDateTime: %s", reopened.raw)
	}
	h.call(t, tok, "PATCH", "/v1.0/me/todo/lists/"+lid+"/tasks/"+tid, map[string]any{"title": ""}).must(t, 400)

	// Built-in lists cannot be renamed or deleted.
	for _, id := range []string{defaultID, flaggedID} {
		g := h.call(t, tok, "DELETE", "/v1.0/me/todo/lists/"+id, nil).must(t, 400)
		if g.errCode() != "invalidRequest" || !strings.Contains(todoInner(g), "default task folder") {
			t.Fatalf("deleting a built-in list: %s", g.raw)
		}
	}
	ren := h.call(t, tok, "PATCH", "/v1.0/me/todo/lists/"+defaultID, map[string]any{"displayName": "Mine"}).must(t, 400)
	if todoInner(ren) != "Your request can't be completed. A default task folder can't be renamed." {
		t.Fatalf("renaming the default list: %s", ren.raw)
	}

	// A second task, then the list goes with both.
	h.call(t, tok, "POST", "/v1.0/me/todo/lists/"+lid+"/tasks", map[string]any{"title": "second"}).must(t, 201)
	h.call(t, tok, "DELETE", "/v1.0/me/todo/lists/"+lid+"/tasks/"+tid, nil).must(t, 204)
	h.call(t, tok, "DELETE", "/v1.0/me/todo/lists/"+lid+"/tasks/"+tid, nil).must(t, 404)
	if h.artifacts() != 2 {
		t.Fatalf("live artifacts = %d", h.artifacts())
	}
	h.call(t, tok, "DELETE", "/v1.0/me/todo/lists/"+lid, nil).must(t, 204)
	if g := h.call(t, tok, "GET", "/v1.0/me/todo/lists/"+lid, nil).must(t, 404); g.errCode() != "itemNotFound" {
		t.Fatalf("deleted list: %s", g.raw)
	}
	h.call(t, tok, "GET", "/v1.0/me/todo/lists/"+lid+"/tasks", nil).must(t, 404)
	h.call(t, tok, "POST", "/v1.0/me/todo/lists/"+lid+"/tasks", map[string]any{"title": "x"}).must(t, 404)
	h.call(t, tok, "PATCH", "/v1.0/me/todo/lists/"+lid, map[string]any{"displayName": "x"}).must(t, 404)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after deleting the list", h.artifacts())
	}
	if n := len(h.call(t, tok, "GET", "/v1.0/me/todo/lists", nil).must(t, 200).value()); n != 2 {
		t.Fatalf("lists after cleanup = %d", n)
	}
}

func TestTodoValidation(t *testing.T) {
	h := defaultHarness(t)
	tok := h.userToken(t, h.alex)
	if g := h.call(t, tok, "POST", "/v1.0/me/todo/lists", map[string]any{"name": "x"}).must(t, 400); g.errCode() != "RequestBodyRead" || !strings.Contains(g.raw2(), "microsoft.graph.todoTaskList") {
		t.Fatalf("unknown list property: %s", g.raw)
	}
	if g := h.call(t, tok, "POST", "/v1.0/me/todo/lists", map[string]any{"displayName": ""}).must(t, 400); g.errCode() != "invalidRequest" {
		t.Fatalf("empty list name: %s", g.raw)
	}
	lid := h.call(t, tok, "POST", "/v1.0/me/todo/lists", map[string]any{"DisplayName": "case"}).must(t, 201).body["id"].(string)
	for _, tc := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"title": "x", "state": "done"}, "'state' does not exist on type 'microsoft.graph.todoTask'"},
		{map[string]any{"title": "x", "status": "finished"}, "microsoft.graph.taskStatus"},
		{map[string]any{"title": "x", "importance": "urgent"}, "microsoft.graph.importance"},
		{map[string]any{"title": 1}, "Edm.String"},
		{map[string]any{"title": "x", "dueDateTime": "2026-11-05"}, "'StartObject' node was expected"},
		{map[string]any{"title": "x", "dueDateTime": map[string]any{"dateTime": "2026-11-05T00:00:00", "timeZone": "Moon Time"}}, "TimeZone value is not supported: 'Moon Time'"},
		{map[string]any{"title": "x", "body": map[string]any{"text": "x"}}, "microsoft.graph.itemBody"},
	} {
		g := h.call(t, tok, "POST", "/v1.0/me/todo/lists/"+lid+"/tasks", tc.body).must(t, 400)
		if !strings.Contains(g.raw2(), tc.want) {
			t.Fatalf("%v: %s", tc.body, g.raw)
		}
	}
	h.call(t, tok, "DELETE", "/v1.0/me/todo/lists/"+lid, nil).must(t, 204)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d", h.artifacts())
	}
}

func TestTodoApplicationAndBoundaries(t *testing.T) {
	h := defaultHarness(t)
	app := h.appToken(t)
	megan := "/v1.0/users/" + h.megan.UPN + "/todo/lists"
	if n := len(h.call(t, app, "GET", megan, nil).must(t, 200).value()); n != 2 {
		t.Fatalf("megan's lists = %d", n)
	}
	lid := h.call(t, app, "POST", megan, map[string]any{"displayName": "app list"}).must(t, 201).body["id"].(string)
	h.call(t, app, "GET", megan+"/"+lid, nil).must(t, 200)
	h.call(t, app, "PATCH", megan+"/"+lid, map[string]any{"displayName": "app list 2"}).must(t, 200)
	tid := h.call(t, app, "POST", megan+"/"+lid+"/tasks", map[string]any{"title": "app task"}).must(t, 201).body["id"].(string)
	h.call(t, app, "GET", megan+"/"+lid+"/tasks", nil).must(t, 200)
	h.call(t, app, "GET", megan+"/"+lid+"/tasks/"+tid, nil).must(t, 200)
	h.call(t, app, "PATCH", megan+"/"+lid+"/tasks/"+tid, map[string]any{"importance": "low"}).must(t, 200)
	h.call(t, app, "DELETE", megan+"/"+lid+"/tasks/"+tid, nil).must(t, 204)
	h.call(t, app, "POST", megan+"/"+lid+"/tasks", map[string]any{"title": "left for the list delete"}).must(t, 201)
	if h.artifacts() != 2 {
		t.Fatalf("live artifacts = %d", h.artifacts())
	}
	h.call(t, app, "DELETE", megan+"/"+lid, nil).must(t, 204)
	if h.artifacts() != 0 {
		t.Fatalf("live artifacts = %d after cleanup", h.artifacts())
	}
	h.call(t, app, "GET", "/v1.0/me/todo/lists", nil).must(t, 400)

	tok := h.userToken(t, h.alex)
	if g := h.call(t, tok, "GET", megan, nil).must(t, 403); g.errCode() != "ErrorAccessDenied" {
		t.Fatalf("delegated read of megan's lists: %s", g.raw)
	}
	if g := h.call(t, h.userToken(t, h.nolic), "GET", "/v1.0/me/todo/lists", nil).must(t, 404); g.errCode() != "MailboxNotEnabledForRESTAPI" {
		t.Fatalf("unlicensed: %s", g.raw)
	}
	// Tasks.Read.All alone does not write.
	ro := newHarness(t, Options{}, []string{"User.Read", "Tasks.Read"}, []string{"Tasks.Read.All"})
	rapp := ro.appToken(t)
	ro.call(t, rapp, "GET", "/v1.0/users/"+ro.megan.UPN+"/todo/lists", nil).must(t, 200)
	if g := ro.call(t, rapp, "POST", "/v1.0/users/"+ro.megan.UPN+"/todo/lists", map[string]any{"displayName": "x"}).must(t, 403); g.errCode() != "ErrorAccessDenied" {
		t.Fatalf("read-only app created a list: %s", g.raw)
	}
	rtok := ro.userToken(t, ro.alex)
	ro.call(t, rtok, "GET", "/v1.0/me/todo/lists", nil).must(t, 200)
	ro.call(t, rtok, "POST", "/v1.0/me/todo/lists", map[string]any{"displayName": "x"}).must(t, 403)
}
