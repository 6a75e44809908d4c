package activity

import (
	"context"

	"github.com/e5renew/e5renew/internal/i18n"
)

// The signed-in user (or, for application accounts, the configured user).

func init() {
	register(
		&Activity{Name: "user.profile", Workload: User, Title: i18n.Text{EN: "Read the user's profile", ZH: "读取用户资料"},
			Calls:     []Call{{Method: "GET", Path: "/me"}},
			Delegated: []string{"User.Read"}, Application: []string{"User.ReadBasic.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.Me, Q("$select", "id,displayName,mail,userPrincipalName,jobTitle,preferredLanguage"), nil)
			}},
		&Activity{Name: "user.license_details", Workload: User, Title: i18n.Text{EN: "Read the user's licences", ZH: "读取用户许可证"},
			Calls:     []Call{{Method: "GET", Path: "/me/licenseDetails"}},
			Delegated: []string{"LicenseAssignment.Read.All"}, Application: []string{"LicenseAssignment.Read.All"},
			Run: func(ctx context.Context, x *Exec) error { return x.Get(ctx, x.P("/licenseDetails"), nil, nil) }},
		&Activity{Name: "user.member_of", Workload: User, Title: i18n.Text{EN: "List the user's groups", ZH: "列出用户所属的组"},
			Calls:     []Call{{Method: "GET", Path: "/me/memberOf"}},
			Delegated: []string{"User.Read"}, Application: []string{"Directory.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/memberOf"), Q("$top", "20"), nil)
			}},
		&Activity{Name: "user.direct_reports", Workload: User, Title: i18n.Text{EN: "List the user's direct reports", ZH: "列出用户的直接下属"},
			Calls:     []Call{{Method: "GET", Path: "/me/directReports"}},
			Delegated: []string{"User.Read"}, Application: []string{"User.Read.All"},
			Run: func(ctx context.Context, x *Exec) error { return x.Get(ctx, x.P("/directReports"), nil, nil) }},
	)
}
