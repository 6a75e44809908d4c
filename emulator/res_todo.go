package emulator

import (
	"strings"
	"time"
)

var todoListProps = []string{"displayName", "isOwner", "isShared", "wellknownListName", "id", "tasks", "extensions"}

// todoTaskProps are the properties declared on microsoft.graph.todoTask.
var todoTaskProps = []string{"body", "bodyLastModifiedDateTime", "categories", "completedDateTime", "createdDateTime", "dueDateTime",
	"hasAttachments", "id", "importance", "isReminderOn", "lastModifiedDateTime", "recurrence", "reminderDateTime", "startDateTime",
	"status", "title", "attachments", "attachmentSessions", "checklistItems", "extensions", "linkedResources"}

var todoTaskKinds = map[string]string{"body": "object", "categories": "stringArray", "completedDateTime": "object", "dueDateTime": "object",
	"importance": "string", "isReminderOn": "bool", "recurrence": "object", "reminderDateTime": "object", "startDateTime": "object",
	"status": "string", "title": "string", "checklistItems": "array", "linkedResources": "array"}

var todoImportance = []string{"low", "normal", "high"}
var todoStatus = []string{"notStarted", "inProgress", "completed", "waitingOnOthers", "deferred"}

// todoErr is the To Do service's error shape: a generic top-level code and message, and
// the Exchange code and message in innerError.
func todoErr(status int, code, message, innerCode, innerMessage string) *graphErr {
	ge := gerr(status, code, "%s", message)
	ge.inner = map[string]any{"code": innerCode, "message": innerMessage}
	return ge
}

func todoNotFound() *graphErr {
	return todoErr(404, "itemNotFound", "The requested resource does not exist.", "ErrorItemNotFound", "The specified object was not found in the store.")
}

func todoInvalid(innerMessage string) *graphErr {
	return todoErr(400, "invalidRequest", "Invalid request", "ErrorInvalidRequest", innerMessage)
}

func (e *Emulator) registerTodo(rt *router) {
	rt.perUser("GET", "/todo/lists", wlTodo, func(c *gc) {
		c.list(c.ud().todoLists.objs(nil), listOpts{context: c.userCtx() + "/todo/lists", pageSize: 10, maxTop: 1000})
	})
	rt.perUser("POST", "/todo/lists", wlTodo, (*gc).createTodoList)
	rt.perUser("GET", "/todo/lists/{id}", wlTodo, func(c *gc) {
		if l := c.todoList(0); l != nil {
			c.entity(200, c.userCtx()+"/todo/lists/$entity", l.o)
		}
	})
	rt.perUser("PATCH", "/todo/lists/{id}", wlTodo, (*gc).patchTodoList)
	rt.perUser("DELETE", "/todo/lists/{id}", wlTodo, (*gc).deleteTodoList)
	rt.perUser("GET", "/todo/lists/{id}/tasks", wlTodo, func(c *gc) {
		if l := c.todoList(0); l != nil {
			c.list(c.ud().todoTasks.objs(inParent(l.id)), listOpts{context: c.userCtx() + "/todo/lists('" + l.id + "')/tasks", pageSize: 10, maxTop: 1000})
		}
	})
	rt.perUser("POST", "/todo/lists/{id}/tasks", wlTodo, (*gc).createTodoTask)
	rt.perUser("GET", "/todo/lists/{id}/tasks/{id}", wlTodo, func(c *gc) {
		if l, t := c.todoTask(); t != nil {
			c.entity(200, c.userCtx()+"/todo/lists('"+l.id+"')/tasks/$entity", t.o)
		}
	})
	rt.perUser("PATCH", "/todo/lists/{id}/tasks/{id}", wlTodo, (*gc).patchTodoTask)
	rt.perUser("DELETE", "/todo/lists/{id}/tasks/{id}", wlTodo, func(c *gc) {
		if _, t := c.todoTask(); t != nil {
			c.ud().todoTasks.del(t.id)
			c.noContent(204)
		}
	})
}

// todoList resolves the i-th parameter as a task list or fails.
func (c *gc) todoList(i int) *item {
	l := c.ud().todoLists.get(c.param(i))
	if l == nil {
		c.fail(todoNotFound())
	}
	return l
}

// todoTask resolves /todo/lists/{list}/tasks/{task}; the task must be in the list.
func (c *gc) todoTask() (*item, *item) {
	l := c.todoList(0)
	if l == nil {
		return nil, nil
	}
	t := c.ud().todoTasks.get(c.param(1))
	if t == nil || t.parent != l.id {
		c.fail(todoNotFound())
		return l, nil
	}
	return l, t
}

func (c *gc) readTodoList() (obj, *graphErr) {
	body, ge := c.readObj("todoTaskList", todoListProps...)
	if ge != nil {
		return nil, ge
	}
	body = pimCanon(body, todoListProps)
	if ge := pimCheck(body, map[string]string{"displayName": "string"}); ge != nil {
		return nil, ge
	}
	return body, nil
}

func (c *gc) createTodoList() {
	body, ge := c.readTodoList()
	if ge != nil {
		c.fail(ge)
		return
	}
	name := strings.TrimSpace(str(body, "displayName"))
	if name == "" {
		c.fail(todoInvalid("Your request can't be completed. The displayName of a task list can't be empty."))
		return
	}
	l := c.ud().todoLists.add(&item{id: outlookID(), created: c.e.now(), o: obj{
		"@odata.etag": etag(), "displayName": name, "isOwner": true, "isShared": false, "wellknownListName": "none"}})
	c.created(l, "todoTaskList")
	c.entity(201, c.userCtx()+"/todo/lists/$entity", l.o)
}

func wellKnownTodoList(l *item) bool {
	wk := str(l.o, "wellknownListName")
	return wk != "" && wk != "none"
}

func (c *gc) patchTodoList() {
	l := c.todoList(0)
	if l == nil {
		return
	}
	body, ge := c.readTodoList()
	if ge != nil {
		c.fail(ge)
		return
	}
	if _, ok := body["displayName"]; ok {
		name := strings.TrimSpace(str(body, "displayName"))
		if name == "" {
			c.fail(todoInvalid("Your request can't be completed. The displayName of a task list can't be empty."))
			return
		}
		if wellKnownTodoList(l) && name != str(l.o, "displayName") {
			c.fail(todoInvalid("Your request can't be completed. A default task folder can't be renamed."))
			return
		}
		l.o["displayName"] = name
	}
	l.o["@odata.etag"] = etag()
	c.entity(200, c.userCtx()+"/todo/lists/$entity", l.o)
}

// deleteTodoList removes a list and its tasks; the built-in lists stay.
func (c *gc) deleteTodoList() {
	l := c.todoList(0)
	if l == nil {
		return
	}
	if wellKnownTodoList(l) {
		c.fail(todoInvalid("Your request can't be completed. A default task folder can't be deleted."))
		return
	}
	d := c.ud()
	for _, t := range d.todoTasks.where(inParent(l.id)) {
		d.todoTasks.del(t.id)
	}
	d.todoLists.del(l.id)
	c.noContent(204)
}

// readTodoTask decodes and validates a todoTask body.
func (c *gc) readTodoTask() (obj, *graphErr) {
	body, ge := c.readObj("todoTask", todoTaskProps...)
	if ge != nil {
		return nil, ge
	}
	body = pimCanon(body, todoTaskProps)
	if ge := pimCheck(body, todoTaskKinds); ge != nil {
		return nil, ge
	}
	if v := str(body, "importance"); v != "" && !containsFold(todoImportance, v) {
		return nil, gerr(400, "RequestBodyRead", "Cannot convert the literal '%s' to the expected type 'microsoft.graph.importance'.", v)
	}
	if v := str(body, "status"); v != "" && !containsFold(todoStatus, v) {
		return nil, gerr(400, "RequestBodyRead", "Cannot convert the literal '%s' to the expected type 'microsoft.graph.taskStatus'.", v)
	}
	if b, ok := body["body"].(obj); ok {
		for k := range b {
			if k != "content" && k != "contentType" && !strings.HasPrefix(k, "@") {
				return nil, gerr(400, "RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.itemBody'. Make sure to only use property names that are defined by the type.", k)
			}
		}
	}
	for _, k := range []string{"dueDateTime", "startDateTime", "reminderDateTime", "completedDateTime"} {
		if v, ok := body[k]; ok && v != nil {
			if _, _, ge := eventTime(v); ge != nil {
				return nil, ge
			}
		}
	}
	return body, nil
}

// applyTodoTask copies a validated body onto a task, normalising date-times to UTC as
// To Do answers them, and keeps completedDateTime in step with status.
func applyTodoTask(t *item, body obj, now time.Time) {
	for k, v := range body {
		switch k {
		case "id", "createdDateTime", "lastModifiedDateTime", "bodyLastModifiedDateTime", "hasAttachments", "attachments",
			"attachmentSessions", "extensions", "checklistItems", "linkedResources":
			continue
		case "dueDateTime", "startDateTime", "reminderDateTime", "completedDateTime":
			if v == nil {
				delete(t.o, k)
				continue
			}
			at, _, _ := eventTime(v)
			t.o[k] = obj{"dateTime": isoFrac(at.UTC()), "timeZone": "UTC"}
		case "importance":
			t.o[k] = strings.ToLower(v.(string))
		case "status":
			for _, s := range todoStatus {
				if strings.EqualFold(s, v.(string)) {
					t.o[k] = s
				}
			}
		case "body":
			b, _ := v.(obj)
			t.o["body"] = obj{"content": str(b, "content"), "contentType": strings.ToLower(firstNonEmpty(str(b, "contentType"), "text"))}
			t.o["bodyLastModifiedDateTime"] = iso(now)
		case "categories":
			t.o[k] = listOr(v)
		default:
			t.o[k] = v
		}
	}
	if _, ok := body["reminderDateTime"]; ok {
		_, has := t.o["reminderDateTime"]
		t.o["isReminderOn"] = has
	}
	if str(t.o, "status") == "completed" {
		if _, ok := t.o["completedDateTime"]; !ok {
			t.o["completedDateTime"] = obj{"dateTime": isoFrac(now.UTC()), "timeZone": "UTC"}
		}
	} else {
		delete(t.o, "completedDateTime")
	}
}

func (c *gc) createTodoTask() {
	l := c.todoList(0)
	if l == nil {
		return
	}
	body, ge := c.readTodoTask()
	if ge != nil {
		c.fail(ge)
		return
	}
	title := strings.TrimSpace(str(body, "title"))
	if title == "" {
		c.fail(todoInvalid("Your request can't be completed. The title of a task can't be empty."))
		return
	}
	now := c.e.now()
	d := c.ud()
	t := c.e.addTodoTask(d, l.id, title, now, "")
	t.o["bodyLastModifiedDateTime"] = iso(now)
	applyTodoTask(t, body, now)
	c.created(t, "todoTask")
	c.entity(201, c.userCtx()+"/todo/lists('"+l.id+"')/tasks/$entity", t.o)
}

func (c *gc) patchTodoTask() {
	l, t := c.todoTask()
	if t == nil {
		return
	}
	body, ge := c.readTodoTask()
	if ge != nil {
		c.fail(ge)
		return
	}
	if _, ok := body["title"]; ok && strings.TrimSpace(str(body, "title")) == "" {
		c.fail(todoInvalid("Your request can't be completed. The title of a task can't be empty."))
		return
	}
	now := c.e.now()
	applyTodoTask(t, body, now)
	t.o["lastModifiedDateTime"] = iso(now)
	t.o["@odata.etag"] = etag()
	c.entity(200, c.userCtx()+"/todo/lists('"+l.id+"')/tasks/$entity", t.o)
}
