package activity

import (
	"context"
	"strings"

	"github.com/e5renew/e5renew/internal/i18n"
)

// Microsoft To Do: task lists and tasks; a temporary list with a task or two, one completed.

func init() {
	registerKind(
		// Tasks are journaled too (deleted first); a task whose create answer was lost, or
		// whose list is already gone, goes with its list.
		&Kind{Name: "todo.task", Order: 10,
			Delete: deleteAt(func(x *Exec, e *Entry) string { return x.P("/todo/lists/" + e.Ref + "/tasks/" + e.ObjectID) }),
			Find: func(ctx context.Context, x *Exec, e *Entry) (string, error) {
				var tasks list[struct {
					ID    string `json:"id"`
					Title string `json:"title"`
				}]
				if err := x.Get(ctx, x.P("/todo/lists/"+e.Ref+"/tasks"), Q("$top", "50"), &tasks); err != nil {
					return "", err
				}
				for _, t := range tasks.Value {
					if strings.HasSuffix(t.Title, "· "+e.Marker) {
						return t.ID, nil
					}
				}
				return "", nil
			}},
		// A swept list takes its tasks with it: todo.task needs no sweep.
		&Kind{Name: "todo.list", Order: 20,
			Delete:     deleteAt(func(x *Exec, e *Entry) string { return x.P("/todo/lists/" + e.ObjectID) }),
			Find:       findByDisplayName(func(x *Exec, _ *Entry) string { return x.P("/todo/lists") }),
			Sweep:      sweepByName("/todo/lists", Q("$top", "100")),
			SweepCalls: []Call{{Method: "GET", Path: "/me/todo/lists"}}},
	)

	register(
		&Activity{Name: "todo.list_lists", Workload: ToDo, Title: i18n.Text{EN: "List To Do task lists", ZH: "列出待办任务列表"},
			Calls:     []Call{{Method: "GET", Path: "/me/todo/lists"}},
			Delegated: []string{"Tasks.Read"}, Application: []string{"Tasks.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/todo/lists"), Q("$top", "10"), nil)
			}},
		&Activity{Name: "todo.list_tasks", Workload: ToDo, Title: i18n.Text{EN: "Read the tasks of a To Do list", ZH: "查看待办列表中的任务"},
			Calls:     []Call{{Method: "GET", Path: "/me/todo/lists"}, {Method: "GET", Path: "/me/todo/lists/{id}/tasks"}},
			Delegated: []string{"Tasks.Read"}, Application: []string{"Tasks.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				var lists list[idOnly]
				if err := x.Get(ctx, x.P("/todo/lists"), Q("$top", "1"), &lists); err != nil {
					return err
				}
				if len(lists.Value) == 0 {
					return Skip("the user has no To Do list")
				}
				return x.Get(ctx, x.P("/todo/lists/"+lists.Value[0].ID+"/tasks"), Q("$top", "10"), nil)
			}},
		&Activity{Name: "todo.create", Workload: ToDo, Write: true,
			Title: i18n.Text{EN: "Create a To Do list with tasks, complete one, then delete the list", ZH: "新建待办列表并添加任务，完成其中一项，随后删除列表"},
			Calls: []Call{{Method: "POST", Path: "/me/todo/lists"}, {Method: "POST", Path: "/me/todo/lists/{id}/tasks"},
				{Method: "PATCH", Path: "/me/todo/lists/{id}/tasks/{id}"}, {Method: "DELETE", Path: "/me/todo/lists/{id}"},
				{Method: "GET", Path: "/me/todo/lists"}, {Method: "DELETE", Path: "/me/todo/lists/{id}/tasks/{id}"},
				{Method: "GET", Path: "/me/todo/lists/{id}/tasks"}},
			Delegated: []string{"Tasks.ReadWrite"}, Application: []string{"Tasks.ReadWrite.All"},
			Run: func(ctx context.Context, x *Exec) error {
				marker := x.Marker()
				listID, err := x.Create(ctx, "todo.create", "todo.list", marker, "", func() (string, error) {
					var l idOnly
					err := x.Send(ctx, "POST", x.P("/todo/lists"), map[string]any{"displayName": marker}, &l)
					return l.ID, err
				})
				if err != nil {
					return err
				}
				loc, zone := calendarZone(x)
				n := 1 + x.Rand.IntN(2)
				var first string
				seen := map[string]bool{}
				for i := 0; i < n; i++ {
					title := x.Content.Task()
					if seen[title] {
						continue
					}
					seen[title] = true
					due, _ := x.Content.EventTime(x.Now(), loc)
					task := map[string]any{
						"title":       title,
						"body":        map[string]any{"content": x.Content.Body(), "contentType": "text"},
						"importance":  []string{"low", "normal", "high"}[x.Rand.IntN(3)],
						"dueDateTime": eventDateTime(due, zone),
					}
					tm := x.Marker()
					task["title"] = title + " · " + tm
					id, err := x.Create(ctx, "todo.create", "todo.task", tm, listID, func() (string, error) {
						var t idOnly
						err := x.Send(ctx, "POST", x.P("/todo/lists/"+listID+"/tasks"), task, &t)
						return t.ID, err
					})
					if err != nil {
						return err
					}
					if first == "" {
						first = id
					}
				}
				return x.Send(ctx, "PATCH", x.P("/todo/lists/"+listID+"/tasks/"+first), map[string]any{"status": "completed"}, nil)
			}},
	)
}
