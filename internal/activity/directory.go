package activity

import (
	"context"
	"net/http"
	"strings"

	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
)

// The directory: users, domains, the organisation and its subscriptions, groups and
// devices.

// dirSearchPrefixes are name beginnings a people picker is typed with.
var dirSearchPrefixes = []string{"A", "Ad", "Al", "Ch", "D", "Di", "G", "Is", "J", "L", "Li", "M", "Me", "Mi", "N", "W", "Wa", "Z", "Zh"}

func init() {
	register(
		&Activity{Name: "directory.list_users", Workload: Directory, Title: i18n.Text{EN: "List users in the directory", ZH: "列出目录中的用户"},
			Calls:     []Call{{Method: "GET", Path: "/users"}},
			Delegated: []string{"User.ReadBasic.All"}, Application: []string{"User.ReadBasic.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, "/users", Q("$top", "10", "$select", "id,displayName,userPrincipalName,mail"), nil)
			}},
		&Activity{Name: "directory.search_users", Workload: Directory, Title: i18n.Text{EN: "Look up users by name", ZH: "按姓名查找用户"},
			Calls:     []Call{{Method: "GET", Path: "/users"}},
			Delegated: []string{"User.ReadBasic.All"}, Application: []string{"User.ReadBasic.All"},
			Run: func(ctx context.Context, x *Exec) error {
				prefix := dirSearchPrefixes[x.Rand.IntN(len(dirSearchPrefixes))]
				// $count needs ConsistencyLevel: eventual (an advanced directory query); without
				// the header Graph ignores it.
				_, err := x.Do(ctx, graph.Request{Method: "GET", Path: "/users",
					Query: Q("$filter", "startswith(displayName,'"+strings.ReplaceAll(prefix, "'", "''")+"')", "$count", "true",
						"$top", "10", "$select", "id,displayName,userPrincipalName"),
					Header: http.Header{"ConsistencyLevel": {"eventual"}}})
				return err
			}},
		&Activity{Name: "directory.domains", Workload: Directory, Title: i18n.Text{EN: "List the tenant's domains", ZH: "列出租户的域名"},
			Calls:     []Call{{Method: "GET", Path: "/domains"}},
			Delegated: []string{"Domain.Read.All"}, Application: []string{"Domain.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, "/domains", Q("$select", "id,isDefault,isInitial,isVerified"), nil)
			}},
		// The official data marks an Intune permission (DeviceManagementServiceConfig.Read.All)
		// least for /organization; User.Read (delegated) and Organization.Read.All
		// (application) are the documented ones and are accepted too.
		&Activity{Name: "organization.profile", Workload: Organization, Title: i18n.Text{EN: "Read the organisation's profile", ZH: "读取组织信息"},
			Calls:     []Call{{Method: "GET", Path: "/organization"}},
			Delegated: []string{"User.Read"}, Application: []string{"Organization.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, "/organization", Q("$select", "id,displayName,verifiedDomains,createdDateTime,countryLetterCode"), nil)
			}},
		&Activity{Name: "organization.subscribed_skus", Workload: Organization, Title: i18n.Text{EN: "List the tenant's licences", ZH: "列出租户订阅的许可证"},
			Calls:     []Call{{Method: "GET", Path: "/subscribedSkus"}},
			Delegated: []string{"LicenseAssignment.Read.All"}, Application: []string{"LicenseAssignment.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, "/subscribedSkus", Q("$select", "skuId,skuPartNumber,capabilityStatus,consumedUnits,prepaidUnits"), nil)
			}},
		// /directory/subscriptions is newer than the official data: its permissions are in
		// Supplements.
		&Activity{Name: "organization.subscriptions", Workload: Organization, Title: i18n.Text{EN: "Read the tenant's subscriptions", ZH: "读取租户的订阅"},
			Calls:     []Call{{Method: "GET", Path: "/directory/subscriptions"}},
			Delegated: []string{"Organization.Read.All"}, Application: []string{"Organization.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, "/directory/subscriptions", nil, nil)
			}},
		&Activity{Name: "groups.list", Workload: Groups, Title: i18n.Text{EN: "List groups", ZH: "列出组"},
			Calls:     []Call{{Method: "GET", Path: "/groups"}},
			Delegated: []string{"Group.ReadBasic.All"}, Application: []string{"Group.ReadBasic.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, "/groups", Q("$top", "10", "$select", "id,displayName,description,groupTypes,mail"), nil)
			}},
		// Group.ReadBasic.All also lists members, so one permission covers both calls.
		&Activity{Name: "groups.members", Workload: Groups, Title: i18n.Text{EN: "List a group's members", ZH: "列出组成员"},
			Calls:     []Call{{Method: "GET", Path: "/groups"}, {Method: "GET", Path: "/groups/{id}/members"}},
			Delegated: []string{"Group.ReadBasic.All"}, Application: []string{"Group.ReadBasic.All"},
			Run: func(ctx context.Context, x *Exec) error {
				var page list[idOnly]
				if err := x.Get(ctx, "/groups", Q("$top", "5", "$select", "id,displayName"), &page); err != nil {
					return err
				}
				if len(page.Value) == 0 {
					return Skip("the tenant has no group")
				}
				return x.Get(ctx, "/groups/"+page.Value[0].ID+"/members", Q("$top", "20", "$select", "id,displayName"), nil)
			}},
		&Activity{Name: "devices.list", Workload: Devices, Title: i18n.Text{EN: "List devices in the directory", ZH: "列出目录中的设备"},
			Calls:     []Call{{Method: "GET", Path: "/devices"}},
			Delegated: []string{"Device.Read.All"}, Application: []string{"Device.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, "/devices", Q("$top", "10", "$select", "id,displayName,operatingSystem,operatingSystemVersion,approximateLastSignInDateTime"), nil)
			}},
		&Activity{Name: "devices.registered", Workload: Devices, Title: i18n.Text{EN: "List the user's registered devices", ZH: "列出用户注册的设备"},
			Calls:     []Call{{Method: "GET", Path: "/me/registeredDevices"}},
			Delegated: []string{"User.Read"}, Application: []string{"User.Read.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/registeredDevices"), nil, nil)
			}},
	)
}
