package activity

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/i18n"
)

// Mail: reading, drafts, sending to oneself, folders, rules and categories.

// headerName carries the marker of messages e5renew creates (custom x- headers survive
// delivery), so a message whose create answer was lost can still be found and deleted.
const headerName = "x-e5renew-id"

type message struct {
	ID      string `json:"id"`
	Subject string `json:"subject"`
	Headers []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"internetMessageHeaders"`
}

func (x *Exec) selfRecipient() []any {
	return []any{map[string]any{"emailAddress": map[string]any{"address": x.UPN}}}
}

func (x *Exec) newMessage(marker string) map[string]any {
	return map[string]any{
		"subject":                x.Content.Subject(),
		"body":                   map[string]any{"contentType": "Text", "content": x.Content.Body()},
		"toRecipients":           x.selfRecipient(),
		"internetMessageHeaders": []any{map[string]any{"name": headerName, "value": marker}},
	}
}

// findByHeader looks for a message carrying the marker header in the given folders.
func findByHeader(folders ...string) func(context.Context, *Exec, *Entry) (string, error) {
	return func(ctx context.Context, x *Exec, e *Entry) (string, error) {
		for _, f := range folders {
			var page list[message]
			if err := x.Get(ctx, x.P("/mailFolders/"+f+"/messages"), Q("$select", "id,internetMessageHeaders", "$top", "50",
				"$orderby", "receivedDateTime desc"), &page); err != nil {
				return "", err
			}
			for _, m := range page.Value {
				for _, h := range m.Headers {
					if h.Name == headerName && h.Value == e.Marker {
						return m.ID, nil
					}
				}
			}
		}
		return "", nil
	}
}

// findByDisplayName looks for an object named marker in a collection.
func findByDisplayName(collection func(x *Exec, e *Entry) string) func(context.Context, *Exec, *Entry) (string, error) {
	return func(ctx context.Context, x *Exec, e *Entry) (string, error) {
		var page list[struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
		}]
		if err := x.Get(ctx, collection(x, e), Q("$top", "100"), &page); err != nil {
			return "", err
		}
		for _, o := range page.Value {
			if o.DisplayName == e.Marker {
				return o.ID, nil
			}
		}
		return "", nil
	}
}

// sweepByHeader lists the newest messages (up to limit per folder) of the given folders and
// returns those carrying a marker header. Graph cannot filter on headers.
func sweepByHeader(limit int, folders ...string) func(context.Context, *Exec) ([]Swept, error) {
	return func(ctx context.Context, x *Exec) ([]Swept, error) {
		var out []Swept
		for _, f := range folders {
			err := each(ctx, x, x.P("/mailFolders/"+f+"/messages"), Q("$select", "id,internetMessageHeaders,createdDateTime", "$top", "50",
				"$orderby", "receivedDateTime desc"), limit, func(m struct {
				message
				Created time.Time `json:"createdDateTime"`
			}) error {
				for _, h := range m.Headers {
					if strings.EqualFold(h.Name, headerName) && IsMarker(h.Value) {
						out = append(out, Swept{ID: m.ID, Marker: h.Value, Created: m.Created})
						break
					}
				}
				return nil
			})
			if err != nil {
				return out, err
			}
		}
		return out, nil
	}
}

// sweepByName lists a per-user collection and returns the objects named by a marker
// (displayName, or name for calendars). None of these collections gives a creation time.
func sweepByName(suffix string, q url.Values) func(context.Context, *Exec) ([]Swept, error) {
	return func(ctx context.Context, x *Exec) ([]Swept, error) {
		var out []Swept
		err := each(ctx, x, x.P(suffix), q, 5000, func(o struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
			Name        string `json:"name"`
		}) error {
			if n := firstNonEmpty(o.DisplayName, o.Name); IsMarker(n) {
				out = append(out, Swept{ID: o.ID, Marker: n})
			}
			return nil
		})
		return out, err
	}
}

func init() {
	registerKind(
		&Kind{Name: "mail.draft", Order: 10,
			Delete:     deleteAt(func(x *Exec, e *Entry) string { return x.P("/messages/" + e.ObjectID) }),
			Find:       findByHeader("drafts"),
			Sweep:      sweepByHeader(500, "drafts"),
			SweepCalls: []Call{{Method: "GET", Path: "/me/mailFolders/{id}/messages"}}},
		// Received copies are looked for among the newest messages only: a busy inbox is
		// not read to the end every round.
		&Kind{Name: "mail.received", Order: 10, GiveUpAfter: 6 * time.Hour,
			Delete:     deleteAt(func(x *Exec, e *Entry) string { return x.P("/messages/" + e.ObjectID) }),
			Find:       findByHeader("inbox", "junkemail"),
			Sweep:      sweepByHeader(200, "inbox", "junkemail"),
			SweepCalls: []Call{{Method: "GET", Path: "/me/mailFolders/{id}/messages"}}},
		&Kind{Name: "mail.folder", Order: 20,
			Delete:     deleteAt(func(x *Exec, e *Entry) string { return x.P("/mailFolders/" + e.ObjectID) }),
			Find:       findByDisplayName(func(x *Exec, _ *Entry) string { return x.P("/mailFolders") }),
			Sweep:      sweepByName("/mailFolders", Q("$select", "id,displayName", "$top", "100")),
			SweepCalls: []Call{{Method: "GET", Path: "/me/mailFolders"}}},
		&Kind{Name: "mail.rule", Order: 10,
			Delete:     deleteAt(func(x *Exec, e *Entry) string { return x.P("/mailFolders/inbox/messageRules/" + e.ObjectID) }),
			Find:       findByDisplayName(func(x *Exec, _ *Entry) string { return x.P("/mailFolders/inbox/messageRules") }),
			Sweep:      sweepByName("/mailFolders/inbox/messageRules", nil),
			SweepCalls: []Call{{Method: "GET", Path: "/me/mailFolders/inbox/messageRules"}}},
		&Kind{Name: "mail.category", Order: 10,
			Delete:     deleteAt(func(x *Exec, e *Entry) string { return x.P("/outlook/masterCategories/" + e.ObjectID) }),
			Find:       findByDisplayName(func(x *Exec, _ *Entry) string { return x.P("/outlook/masterCategories") }),
			Sweep:      sweepByName("/outlook/masterCategories", nil),
			SweepCalls: []Call{{Method: "GET", Path: "/me/outlook/masterCategories"}}},
	)

	register(
		&Activity{Name: "mail.list_messages", Workload: Mail, Title: i18n.Text{EN: "List recent messages", ZH: "列出最近的邮件"},
			Calls:     []Call{{Method: "GET", Path: "/me/messages"}},
			Delegated: []string{"Mail.ReadBasic"}, Application: []string{"Mail.ReadBasic.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/messages"), Q("$top", "10", "$select", "subject,from,receivedDateTime,isRead"), nil)
			}},
		&Activity{Name: "mail.read_message", Workload: Mail, Title: i18n.Text{EN: "Open the newest message", ZH: "打开最新的一封邮件"},
			Calls:     []Call{{Method: "GET", Path: "/me/messages"}, {Method: "GET", Path: "/me/messages/{id}"}},
			Delegated: []string{"Mail.Read"}, Application: []string{"Mail.Read"},
			Run: func(ctx context.Context, x *Exec) error {
				var page list[idOnly]
				if err := x.Get(ctx, x.P("/messages"), Q("$top", "1", "$select", "id"), &page); err != nil {
					return err
				}
				if len(page.Value) == 0 {
					return Skip("the mailbox is empty")
				}
				return x.Get(ctx, x.P("/messages/"+page.Value[0].ID), Q("$select", "subject,body,from,toRecipients,receivedDateTime"), nil)
			}},
		&Activity{Name: "mail.list_folders", Workload: Mail, Title: i18n.Text{EN: "List mail folders", ZH: "列出邮件文件夹"},
			Calls:     []Call{{Method: "GET", Path: "/me/mailFolders"}},
			Delegated: []string{"Mail.ReadBasic"}, Application: []string{"Mail.ReadBasic.All"},
			Run: func(ctx context.Context, x *Exec) error { return x.Get(ctx, x.P("/mailFolders"), Q("$top", "25"), nil) }},
		&Activity{Name: "mail.inbox", Workload: Mail, Title: i18n.Text{EN: "Read the inbox", ZH: "查看收件箱"},
			Calls:     []Call{{Method: "GET", Path: "/me/mailFolders/{id}/messages"}},
			Delegated: []string{"Mail.ReadBasic"}, Application: []string{"Mail.ReadBasic.All"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/mailFolders/inbox/messages"), Q("$top", "5", "$select", "subject,receivedDateTime"), nil)
			}},
		&Activity{Name: "mail.draft", Workload: Mail, Write: true, Title: i18n.Text{EN: "Write a draft, then delete it", ZH: "写一封草稿，随后删除"},
			Calls:     []Call{{Method: "POST", Path: "/me/messages"}, {Method: "DELETE", Path: "/me/messages/{id}"}, {Method: "GET", Path: "/me/mailFolders/{id}/messages"}},
			Delegated: []string{"Mail.ReadWrite"}, Application: []string{"Mail.ReadWrite"},
			Run: func(ctx context.Context, x *Exec) error {
				marker := x.Marker()
				_, err := x.Create(ctx, "mail.draft", "mail.draft", marker, "", func() (string, error) {
					var m idOnly
					err := x.Send(ctx, "POST", x.P("/messages"), x.newMessage(marker), &m)
					return m.ID, err
				})
				return err
			}},
		&Activity{Name: "mail.send_self", Workload: Mail, Write: true, Title: i18n.Text{EN: "Send a message to oneself, then delete it", ZH: "给自己发一封邮件，随后删除"},
			Calls: []Call{{Method: "POST", Path: "/me/sendMail"}, {Method: "GET", Path: "/me/mailFolders/{id}/messages"},
				{Method: "DELETE", Path: "/me/messages/{id}"}},
			Delegated: []string{"Mail.Send", "Mail.ReadWrite"}, Application: []string{"Mail.Send", "Mail.ReadWrite"},
			Run: func(ctx context.Context, x *Exec) error {
				marker := x.Marker()
				_, err := x.Create(ctx, "mail.send_self", "mail.received", marker, "", func() (string, error) {
					// 202 without a body: the received copy is found by its header at cleanup.
					return "", x.Send(ctx, "POST", x.P("/sendMail"), map[string]any{"message": x.newMessage(marker), "saveToSentItems": false}, nil)
				})
				return err
			}},
		&Activity{Name: "mail.create_folder", Workload: Mail, Write: true, Title: i18n.Text{EN: "Create a mail folder, then delete it", ZH: "新建邮件文件夹，随后删除"},
			Calls:     []Call{{Method: "POST", Path: "/me/mailFolders"}, {Method: "DELETE", Path: "/me/mailFolders/{id}"}, {Method: "GET", Path: "/me/mailFolders"}},
			Delegated: []string{"Mail.ReadWrite"}, Application: []string{"Mail.ReadWrite"},
			Run: func(ctx context.Context, x *Exec) error {
				marker := x.Marker()
				_, err := x.Create(ctx, "mail.create_folder", "mail.folder", marker, "", func() (string, error) {
					var f idOnly
					err := x.Send(ctx, "POST", x.P("/mailFolders"), map[string]any{"displayName": marker}, &f)
					return f.ID, err
				})
				return err
			}},
		&Activity{Name: "mail.list_rules", Workload: Mail, Title: i18n.Text{EN: "List inbox rules", ZH: "列出收件箱规则"},
			Calls:     []Call{{Method: "GET", Path: "/me/mailFolders/inbox/messageRules"}},
			Delegated: []string{"MailboxSettings.Read"}, Application: []string{"MailboxSettings.Read"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/mailFolders/inbox/messageRules"), nil, nil)
			}},
		&Activity{Name: "mail.create_rule", Workload: Mail, Write: true, Title: i18n.Text{EN: "Add an inbox rule, then delete it", ZH: "添加收件箱规则，随后删除"},
			Calls: []Call{{Method: "POST", Path: "/me/mailFolders/inbox/messageRules"}, {Method: "DELETE", Path: "/me/mailFolders/inbox/messageRules/{id}"},
				{Method: "GET", Path: "/me/mailFolders/inbox/messageRules"}},
			// Listing (to find a rule whose create answer was lost) needs the Read permission:
			// the official data does not let ReadWrite list.
			Delegated: []string{"MailboxSettings.ReadWrite", "MailboxSettings.Read"}, Application: []string{"MailboxSettings.ReadWrite", "MailboxSettings.Read"},
			Run: func(ctx context.Context, x *Exec) error {
				marker := x.Marker()
				_, err := x.Create(ctx, "mail.create_rule", "mail.rule", marker, "", func() (string, error) {
					var r idOnly
					err := x.Send(ctx, "POST", x.P("/mailFolders/inbox/messageRules"), map[string]any{
						"displayName": marker, "sequence": 2 + x.Rand.IntN(8), "isEnabled": true,
						"conditions": map[string]any{"subjectContains": []string{marker}},
						"actions":    map[string]any{"markAsRead": true, "stopProcessingRules": false},
					}, &r)
					return r.ID, err
				})
				return err
			}},
		&Activity{Name: "mail.list_categories", Workload: Mail, Title: i18n.Text{EN: "List Outlook categories", ZH: "列出 Outlook 类别"},
			Calls:     []Call{{Method: "GET", Path: "/me/outlook/masterCategories"}},
			Delegated: []string{"MailboxSettings.Read"}, Application: []string{"MailboxSettings.Read"},
			Run: func(ctx context.Context, x *Exec) error {
				return x.Get(ctx, x.P("/outlook/masterCategories"), nil, nil)
			}},
		&Activity{Name: "mail.create_category", Workload: Mail, Write: true, Title: i18n.Text{EN: "Add an Outlook category, then delete it", ZH: "添加 Outlook 类别，随后删除"},
			Calls: []Call{{Method: "POST", Path: "/me/outlook/masterCategories"}, {Method: "DELETE", Path: "/me/outlook/masterCategories/{id}"},
				{Method: "GET", Path: "/me/outlook/masterCategories"}},
			Delegated: []string{"MailboxSettings.ReadWrite", "MailboxSettings.Read"}, Application: []string{"MailboxSettings.ReadWrite", "MailboxSettings.Read"},
			Run: func(ctx context.Context, x *Exec) error {
				marker := x.Marker()
				_, err := x.Create(ctx, "mail.create_category", "mail.category", marker, "", func() (string, error) {
					var c idOnly
					err := x.Send(ctx, "POST", x.P("/outlook/masterCategories"), map[string]any{
						"displayName": marker, "color": "preset" + itoa(x.Rand.IntN(25))}, &c)
					return c.ID, err
				})
				return err
			}},
		&Activity{Name: "mailbox.settings", Workload: Mailbox, Title: i18n.Text{EN: "Read mailbox settings", ZH: "读取邮箱设置"},
			Calls:     []Call{{Method: "GET", Path: "/me/mailboxSettings"}},
			Delegated: []string{"MailboxSettings.Read"}, Application: []string{"MailboxSettings.Read"},
			Run: func(ctx context.Context, x *Exec) error { return x.Get(ctx, x.P("/mailboxSettings"), nil, nil) }},
		&Activity{Name: "mailbox.update_settings", Workload: Mailbox, Write: true,
			Title:     i18n.Text{EN: "Save mailbox settings (unchanged values)", ZH: "保存邮箱设置（值不变）"},
			Calls:     []Call{{Method: "GET", Path: "/me/mailboxSettings"}, {Method: "PATCH", Path: "/me/mailboxSettings"}},
			Delegated: []string{"MailboxSettings.ReadWrite"}, Application: []string{"MailboxSettings.ReadWrite"},
			Run: func(ctx context.Context, x *Exec) error {
				var s struct {
					DateFormat string `json:"dateFormat"`
					TimeFormat string `json:"timeFormat"`
				}
				if err := x.Get(ctx, x.P("/mailboxSettings"), nil, &s); err != nil {
					return err
				}
				// Write back what is there: an API round trip that changes nothing for the user.
				patch := map[string]any{}
				if s.DateFormat != "" {
					patch["dateFormat"] = s.DateFormat
				}
				if s.TimeFormat != "" {
					patch["timeFormat"] = s.TimeFormat
				}
				if len(patch) == 0 {
					return Skip("mailbox settings have no date or time format to save")
				}
				return x.Send(ctx, "PATCH", x.P("/mailboxSettings"), patch, nil)
			}},
	)
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
