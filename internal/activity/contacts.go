package activity

import (
	"context"
	"fmt"
	"strings"

	"github.com/e5renew/e5renew/internal/i18n"
)

// Contacts: listing contacts and folders; adding a contact in a temporary folder.

var (
	contactJobTitles   = []string{"Software Engineer", "Product Manager", "QA Engineer", "Solutions Architect", "软件工程师", "产品经理", "测试工程师"}
	contactDepartments = []string{"Engineering", "Sales", "Support", "Operations", "研发部", "市场部", "技术支持部"}
	contactCities      = []string{"Shanghai", "Beijing", "Shenzhen", "Hangzhou", "Seattle", "Redmond", "London"}
)

// newContact is a plausible contact; personalNotes carries the marker so that a contact whose
// create answer was lost can be found in its folder.
func newContact(x *Exec, marker string) map[string]any {
	given, surname, company := x.Content.Person()
	domain := strings.ToLower(company) + ".example.com"
	return map[string]any{
		"givenName":      given,
		"surname":        surname,
		"companyName":    company,
		"jobTitle":       contactJobTitles[x.Rand.IntN(len(contactJobTitles))],
		"department":     contactDepartments[x.Rand.IntN(len(contactDepartments))],
		"businessPhones": []string{fmt.Sprintf("+86 21 %04d %04d", x.Rand.IntN(10000), x.Rand.IntN(10000))},
		"mobilePhone":    fmt.Sprintf("+86 13%d %04d %04d", x.Rand.IntN(10), x.Rand.IntN(10000), x.Rand.IntN(10000)),
		"emailAddresses": []any{map[string]any{
			"address": strings.ToLower(given) + "." + strings.ToLower(surname) + "@" + domain,
			"name":    given + " " + surname}},
		"businessAddress": map[string]any{"city": contactCities[x.Rand.IntN(len(contactCities))]},
		"personalNotes":   "Met about the " + x.Content.Topic() + ". " + marker,
	}
}

// findContactByNotes looks for the contact whose notes carry the marker in the folder kept in
// the entry's Ref.
func findContactByNotes(ctx context.Context, x *Exec, e *Entry) (string, error) {
	if e.Ref == "" {
		return "", nil
	}
	var page list[struct {
		ID            string `json:"id"`
		PersonalNotes string `json:"personalNotes"`
	}]
	if err := x.Get(ctx, x.P("/contactFolders/"+e.Ref+"/contacts"), Q("$select", "id,personalNotes", "$top", "100"), &page); err != nil {
		return "", err
	}
	for _, c := range page.Value {
		if strings.Contains(c.PersonalNotes, e.Marker) {
			return c.ID, nil
		}
	}
	return "", nil
}

func init() {
	registerKind(
		&Kind{Name: "contacts.contact", Order: 10,
			Delete: deleteAt(func(x *Exec, e *Entry) string { return x.P("/contacts/" + e.ObjectID) }),
			Find:   findContactByNotes},
		// A swept folder takes its contacts with it: contacts.contact needs no sweep.
		&Kind{Name: "contacts.folder", Order: 20,
			Delete:     deleteAt(func(x *Exec, e *Entry) string { return x.P("/contactFolders/" + e.ObjectID) }),
			Find:       findByDisplayName(func(x *Exec, _ *Entry) string { return x.P("/contactFolders") }),
			Sweep:      sweepByName("/contactFolders", Q("$select", "id,displayName", "$top", "100")),
			SweepCalls: []Call{{Method: "GET", Path: "/me/contactFolders"}}},
	)

	register(
		&Activity{Name: "contacts.list", Workload: Contacts, Title: i18n.Text{EN: "List contacts", ZH: "列出联系人"},
			Calls:     []Call{{Method: "GET", Path: "/me/contacts"}},
			Delegated: []string{"Contacts.Read"}, Application: []string{"Contacts.Read"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/contacts"), Q("$top", "10", "$select", "displayName,emailAddresses,companyName,mobilePhone"), nil)
			}},
		&Activity{Name: "contacts.list_folders", Workload: Contacts, Title: i18n.Text{EN: "List contact folders", ZH: "列出联系人文件夹"},
			Calls:     []Call{{Method: "GET", Path: "/me/contactFolders"}},
			Delegated: []string{"Contacts.Read"}, Application: []string{"Contacts.Read"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/contactFolders"), Q("$top", "10"), nil)
			}},
		&Activity{Name: "contacts.create", Workload: Contacts, Write: true,
			Title: i18n.Text{EN: "Add a contact in a new folder, then delete both", ZH: "在新文件夹中添加联系人，随后一并删除"},
			Calls: []Call{{Method: "POST", Path: "/me/contactFolders"}, {Method: "POST", Path: "/me/contactFolders/{id}/contacts"},
				{Method: "DELETE", Path: "/me/contacts/{id}"}, {Method: "DELETE", Path: "/me/contactFolders/{id}"},
				{Method: "GET", Path: "/me/contactFolders"}, {Method: "GET", Path: "/me/contactFolders/{id}/contacts"}},
			Delegated: []string{"Contacts.ReadWrite"}, Application: []string{"Contacts.ReadWrite"},
			Run: func(ctx context.Context, x *Exec) error {
				folderMarker := x.Marker()
				folder, err := x.Create(ctx, "contacts.create", "contacts.folder", folderMarker, "", func() (string, error) {
					var f idOnly
					err := x.Send(ctx, "POST", x.P("/contactFolders"), map[string]any{"displayName": folderMarker}, &f)
					return f.ID, err
				})
				if err != nil {
					return err
				}
				// A contact whose create answer was lost is found in the folder by its
				// notes, and goes with the folder in any case.
				marker := x.Marker()
				_, err = x.Create(ctx, "contacts.create", "contacts.contact", marker, folder, func() (string, error) {
					var c idOnly
					err := x.Send(ctx, "POST", x.P("/contactFolders/"+folder+"/contacts"), newContact(x, marker), &c)
					return c.ID, err
				})
				return err
			}},
	)
}
