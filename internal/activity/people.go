package activity

import (
	"context"

	"github.com/e5renew/e5renew/internal/i18n"
)

// People, presence and insights: who the user works with, whether they are available, and
// the documents around them.

// insightsActivity reads one of the user's insight collections.
func insightsActivity(kind string, title i18n.Text, sel string) *Activity {
	return &Activity{Name: "insights." + kind, Workload: Insights, Title: title,
		Calls:     []Call{{Method: "GET", Path: "/me/insights/" + kind}},
		Delegated: []string{"Sites.Read.All"}, Application: []string{"Sites.Read.All"},
		Run: func(ctx context.Context, x *Exec) error {
			return x.Get(ctx, x.P("/insights/"+kind), Q("$top", "10", "$select", sel), nil)
		}}
}

func init() {
	register(
		&Activity{Name: "people.list", Workload: People, Title: i18n.Text{EN: "List the people the user works with", ZH: "列出常联系的人"},
			Calls:     []Call{{Method: "GET", Path: "/me/people"}},
			Delegated: []string{"People.Read"}, Application: []string{"People.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/people"), Q("$top", "10", "$select", "id,displayName,scoredEmailAddresses,personType"), nil)
			}},
		&Activity{Name: "presence.me", Workload: Presence, Title: i18n.Text{EN: "Read the user's presence", ZH: "读取用户的在线状态"},
			Calls:     []Call{{Method: "GET", Path: "/me/presence"}},
			Delegated: []string{"Presence.Read"}, Application: []string{"Presence.Read.All"},
			Run: func(ctx context.Context, x *Exec) error { return x.Get(ctx, x.P("/presence"), nil, nil) }},
		insightsActivity("trending", i18n.Text{EN: "List trending documents", ZH: "列出热门文档"}, "id,weight,resourceVisualization,resourceReference"),
		insightsActivity("used", i18n.Text{EN: "List recently used documents", ZH: "列出最近使用的文档"}, "id,lastUsed,resourceVisualization,resourceReference"),
		insightsActivity("shared", i18n.Text{EN: "List documents shared with the user", ZH: "列出共享的文档"}, "id,lastShared,resourceVisualization,resourceReference"),
	)
}
