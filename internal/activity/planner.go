package activity

import (
	"context"

	"github.com/e5renew/e5renew/internal/i18n"
)

// Planner: the tasks assigned to the user across plans.

func init() {
	register(
		&Activity{Name: "planner.list_tasks", Workload: Planner, Title: i18n.Text{EN: "List my Planner tasks", ZH: "列出我的 Planner 任务"},
			Calls:     []Call{{Method: "GET", Path: "/me/planner/tasks"}},
			Delegated: []string{"Tasks.Read"}, Application: []string{"Tasks.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/planner/tasks"), nil, nil)
			}},
	)
}
