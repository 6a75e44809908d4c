package emulator

import (
	"fmt"
	"strings"
	"time"
)

// Realistic seed content, so a developer tenant looks lived in. Mixed English and Chinese,
// like the tenants of e5renew's users.

var seedSenders = []struct{ name, addr string }{
	{"Microsoft 365 Developer Program", "m365dev@microsoft.com"},
	{"Microsoft Azure", "azure-noreply@microsoft.com"},
	{"GitHub", "noreply@github.com"},
	{"张伟", "zhang.wei@example.cn"},
	{"Li Na", "li.na@example.com"},
	{"Microsoft Teams", "noreply@email.teams.microsoft.com"},
	{"王芳", "wang.fang@example.cn"},
	{"Contoso IT", "it@contoso.example"},
}

var seedSubjects = []string{
	"Welcome to the Microsoft 365 Developer Program",
	"Your developer subscription has been renewed",
	"[GitHub] A new SSH key was added to your account",
	"周报：本周开发进度",
	"Meeting notes: API review",
	"You have 3 new messages in Teams",
	"关于下周项目评审的安排",
	"Action required: review the sprint backlog",
	"Graph API quota report",
	"Invitation: Architecture sync",
	"构建失败：main 分支",
	"Re: deployment checklist",
}

var seedBodies = []string{
	"Hi,\n\nThanks for your help with the integration tests. The results look good; let's discuss the remaining items tomorrow.\n\nBest regards",
	"大家好，\n\n本周完成了接口联调和单元测试，下周计划进行性能测试。请各位在周五前提交更新。\n\n谢谢",
	"Hello,\n\nThe build pipeline finished with two warnings. Details are attached in the report.\n\nThanks",
	"Please find the agenda for next week's review below. Let me know if anything is missing.",
}

var seedEventSubjects = []string{"Daily stand-up", "Sprint planning", "1:1 with manager", "Architecture sync", "技术分享会", "客户演示", "Code review", "Release retrospective"}

var seedContactNames = []struct{ given, sur, company string }{
	{"Wei", "Zhang", "Contoso"}, {"Na", "Li", "Fabrikam"}, {"Fang", "Wang", "Northwind"}, {"Alex", "Wilber", "Contoso"},
	{"Megan", "Bowen", "Litware"}, {"Lei", "Chen", "Tailspin"}, {"Adele", "Vance", "Woodgrove"},
}

var seedFiles = []struct{ name, mime, content string }{
	{"Project plan.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Project plan\n1. Scope\n2. Milestones\n3. Risks\n"},
	{"Budget 2026.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Item,Q1,Q2\nCloud,1200,1300\n"},
	{"notes.txt", "text/plain", "API ideas:\n- webhooks for mail\n- delta queries for drive\n"},
	{"会议纪要.md", "text/markdown", "# 会议纪要\n\n- 确认接口规范\n- 下周上线测试环境\n"},
	{"architecture.png", "image/png", "\x89PNG\r\n\x1a\n"},
}

var seedTasks = []string{"Review pull requests", "更新 API 文档", "Prepare demo for Friday", "Renew test certificates", "整理测试用例"}

// seedUserData creates a user's mailbox, calendar, contacts, drive, notebooks, To Do lists,
// chats and presence. Call with e.mu held.
func (e *Emulator) seedUserData(u *User) *userData {
	now := e.now()
	d := &userData{
		mailFolders: newColl(), messages: newColl(), rules: newColl(), categories: newColl(),
		calendars: newColl(), events: newColl(), contactFolders: newColl(), contacts: newColl(),
		driveItems: newColl(), notebooks: newColl(), sections: newColl(), pages: newColl(),
		todoLists: newColl(), todoTasks: newColl(), onlineMeetings: newColl(), chats: newColl(), plannerTasks: newColl(),
	}
	// Mail folders. The well-known names are aliases Graph accepts in place of ids.
	root := outlookID()
	for _, f := range []struct{ wk, name string }{
		{"inbox", "Inbox"}, {"drafts", "Drafts"}, {"sentitems", "Sent Items"}, {"deleteditems", "Deleted Items"},
		{"junkemail", "Junk Email"}, {"archive", "Archive"}, {"outbox", "Outbox"}, {"conversationhistory", "Conversation History"},
	} {
		it := d.mailFolders.add(&item{id: outlookID(), parent: root, created: now, o: obj{
			"displayName": f.name, "parentFolderId": root, "childFolderCount": 0, "unreadItemCount": 0,
			"totalItemCount": 0, "sizeInBytes": 0, "isHidden": false,
		}})
		it.o["@wk"] = f.wk
	}
	inbox, sent, drafts := d.wellKnownFolder("inbox"), d.wellKnownFolder("sentitems"), d.wellKnownFolder("drafts")
	for i := 0; i < 8+e.intn(5); i++ {
		s := seedSenders[e.intn(len(seedSenders))]
		at := now.Add(-time.Duration(e.intn(30*24)) * time.Hour)
		e.addSeedMessage(d, u, inbox, s.name, s.addr, e.pick(seedSubjects), e.pick(seedBodies), at, e.chance(0.6), false)
	}
	for i := 0; i < 3; i++ {
		at := now.Add(-time.Duration(e.intn(20*24)) * time.Hour)
		m := e.addSeedMessage(d, u, sent, u.DisplayName, u.UPN, "Re: "+e.pick(seedSubjects), e.pick(seedBodies), at, true, false)
		c := seedSenders[3+e.intn(4)]
		m.o["toRecipients"] = []any{emailAddr(c.name, c.addr)}
	}
	e.addSeedMessage(d, u, drafts, u.DisplayName, u.UPN, "Draft: quarterly summary", "TODO", now.Add(-48*time.Hour), true, true)
	d.refreshFolderCounts()
	d.rules.add(&item{id: "AQAAAJ5dZqA=", parent: inbox.id, created: now, o: obj{
		"displayName": "From GitHub", "sequence": 1, "isEnabled": true, "hasError": false, "isReadOnly": false,
		"conditions": obj{"senderContains": []any{"github.com"}}, "actions": obj{"markAsRead": true, "stopProcessingRules": false},
	}})
	for i, c := range []string{"Red category", "Orange category", "Yellow category", "Green category", "Blue category", "Purple category"} {
		d.categories.add(&item{id: newGUID(), created: now, o: obj{"displayName": c, "color": fmt.Sprintf("preset%d", i)}})
	}
	d.mailboxSettings = obj{
		"archiveFolder": d.wellKnownFolder("archive").id, "timeZone": u.TimeZone,
		"automaticRepliesSetting": obj{"status": "disabled", "externalAudience": "all", "internalReplyMessage": "", "externalReplyMessage": "",
			"scheduledStartDateTime": obj{"dateTime": isoFrac(now), "timeZone": "UTC"}, "scheduledEndDateTime": obj{"dateTime": isoFrac(now.Add(24 * time.Hour)), "timeZone": "UTC"}},
		"language":   obj{"locale": "zh-CN", "displayName": "中文(中国)"},
		"dateFormat": "yyyy/M/d", "timeFormat": "H:mm", "userPurpose": "user", "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
		"workingHours": obj{"daysOfWeek": []any{"monday", "tuesday", "wednesday", "thursday", "friday"}, "startTime": "09:00:00.0000000",
			"endTime": "18:00:00.0000000", "timeZone": obj{"name": u.TimeZone}},
	}
	// Calendars and events.
	cal := d.calendars.add(&item{id: outlookID(), created: now, o: obj{
		"name": "Calendar", "color": "auto", "hexColor": "", "isDefaultCalendar": true, "changeKey": b64url(randBytes(12)),
		"canShare": true, "canViewPrivateItems": true, "canEdit": true, "allowedOnlineMeetingProviders": []any{"teamsForBusiness"},
		"defaultOnlineMeetingProvider": "teamsForBusiness", "isTallyingResponses": true, "isRemovable": false,
		"owner": obj{"name": u.DisplayName, "address": u.UPN},
	}})
	cal.o["@wk"] = "calendar"
	d.calendars.add(&item{id: outlookID(), created: now, o: obj{
		"name": "Birthdays", "color": "auto", "isDefaultCalendar": false, "canEdit": false, "isRemovable": false,
		"owner": obj{"name": u.DisplayName, "address": u.UPN},
	}})
	for i := 0; i < 5+e.intn(3); i++ {
		start := now.Truncate(time.Hour).Add(time.Duration(e.intn(28*24)-14*24) * time.Hour)
		e.addEvent(d, u, cal.id, e.pick(seedEventSubjects), start, start.Add(time.Duration(30+30*e.intn(3))*time.Minute), "")
	}
	// Contacts in the default Contacts folder.
	for _, c := range seedContactNames[:5+e.intn(3)] {
		addr := strings.ToLower(c.given+"."+c.sur) + "@" + strings.ToLower(c.company) + ".example"
		d.contacts.add(&item{id: outlookID(), parent: "", created: now, o: obj{
			"givenName": c.given, "surname": c.sur, "displayName": c.given + " " + c.sur, "companyName": c.company,
			"emailAddresses": []any{obj{"name": c.given + " " + c.sur, "address": addr}}, "businessPhones": []any{"+86 10 5555 0100"},
			"createdDateTime": iso(now.Add(-90 * 24 * time.Hour)), "lastModifiedDateTime": iso(now.Add(-30 * 24 * time.Hour)),
			"parentFolderId": "", "categories": []any{}, "changeKey": b64url(randBytes(12)),
		}})
	}
	// OneDrive.
	local := strings.SplitN(u.UPN, "@", 2)[0]
	host := strings.SplitN(u.tenant.Domain, ".", 2)[0]
	driveID := "b!" + b64url(randBytes(48))
	d.drive = obj{"id": driveID, "driveType": "business", "name": "OneDrive", "description": "",
		"createdDateTime": iso(now.Add(-200 * 24 * time.Hour)), "lastModifiedDateTime": iso(now),
		"webUrl":  "https://" + host + "-my.sharepoint.com/personal/" + strings.ReplaceAll(local, ".", "_") + "/Documents",
		"owner":   obj{"user": obj{"id": u.ID, "displayName": u.DisplayName, "email": u.UPN}},
		"quota":   obj{"deleted": 0, "remaining": int64(1099511627776), "state": "normal", "total": int64(1099511627776), "used": 0},
		"@webUrl": "https://" + host + "-my.sharepoint.com/personal/" + strings.ReplaceAll(local, ".", "_"),
	}
	rootItem := e.newDriveItem(d, u, "", "root", true, nil, now.Add(-200*24*time.Hour))
	rootItem.o["root"] = obj{}
	rootItem.o["@wk"] = "root"
	docs := e.newDriveItem(d, u, rootItem.id, "Documents", true, nil, now.Add(-100*24*time.Hour))
	e.newDriveItem(d, u, rootItem.id, "Notebooks", true, nil, now.Add(-150*24*time.Hour))
	for i, f := range seedFiles {
		parent := rootItem.id
		if i%2 == 1 {
			parent = docs.id
		}
		it := e.newDriveItem(d, u, parent, f.name, false, []byte(f.content), now.Add(-time.Duration(1+e.intn(60))*24*time.Hour))
		it.o["file"] = obj{"mimeType": f.mime, "hashes": obj{"quickXorHash": b64url(randBytes(20))}}
	}
	d.refreshDriveCounts()
	// OneNote: one notebook with a section and two pages.
	nb := d.notebooks.add(&item{id: oneNoteID(1), created: now, o: obj{
		"displayName": u.GivenName + " @ " + u.tenant.DisplayName, "isDefault": true, "userRole": "Owner", "isShared": false,
		"createdDateTime": iso(now.Add(-150 * 24 * time.Hour)), "lastModifiedDateTime": iso(now.Add(-3 * 24 * time.Hour)),
		"createdBy": obj{"user": obj{"id": u.ID, "displayName": u.DisplayName}}, "lastModifiedBy": obj{"user": obj{"id": u.ID, "displayName": u.DisplayName}},
		"links": obj{"oneNoteClientUrl": obj{"href": "onenote:https://" + host + "-my.sharepoint.com/nb"}, "oneNoteWebUrl": obj{"href": "https://" + host + "-my.sharepoint.com/nb"}},
	}})
	sec := e.addSection(d, u, nb, "Quick Notes", now.Add(-150*24*time.Hour), "")
	for _, title := range []string{"Meeting notes", "想法与待办"} {
		e.addPage(d, u, sec, title, "<p>"+title+"</p>", now.Add(-time.Duration(1+e.intn(30))*24*time.Hour), "")
	}
	// To Do.
	tasks := d.todoLists.add(&item{id: outlookID(), created: now, o: obj{"displayName": "Tasks", "isOwner": true, "isShared": false, "wellknownListName": "defaultList"}})
	d.todoLists.add(&item{id: outlookID(), created: now, o: obj{"displayName": "Flagged Emails", "isOwner": true, "isShared": false, "wellknownListName": "flaggedEmails"}})
	for i := 0; i < 3; i++ {
		e.addTodoTask(d, tasks.id, seedTasks[(i+e.intn(len(seedTasks)))%len(seedTasks)], now.Add(-time.Duration(i+1)*24*time.Hour), "")
	}
	// Teams chats: a one-on-one and a group chat.
	for i, topic := range []any{nil, "项目群 Project chat"} {
		kind := "oneOnOne"
		if i == 1 {
			kind = "group"
		}
		cid := "19:" + strings.ReplaceAll(newGUID(), "-", "") + "@thread.v2"
		at := now.Add(-time.Duration(10+i*5) * 24 * time.Hour)
		d.chats.add(&item{id: cid, created: at, o: obj{"topic": topic, "createdDateTime": iso(at), "lastUpdatedDateTime": iso(now.Add(-time.Duration(i+1) * time.Hour)),
			"chatType": kind, "webUrl": "https://teams.microsoft.com/l/chat/" + cid + "/0", "tenantId": u.tenant.ID,
			"onlineMeetingInfo": nil, "viewpoint": obj{"isHidden": false, "lastMessageReadDateTime": iso(now.Add(-time.Hour))}}})
	}
	// Presence.
	d.presence = obj{"id": u.ID, "availability": "Available", "activity": "Available",
		"statusMessage": nil, "outOfOfficeSettings": obj{"message": nil, "isOutOfOffice": false}}
	return d
}

func (e *Emulator) addSeedMessage(d *userData, u *User, folder *item, fromName, fromAddr, subject, body string, at time.Time, read, draft bool) *item {
	preview := strings.ReplaceAll(body, "\n", " ")
	if len([]rune(preview)) > 120 {
		preview = string([]rune(preview)[:120])
	}
	return d.messages.add(&item{id: outlookID(), parent: folder.id, created: at, o: obj{
		"@odata.etag": etag(), "createdDateTime": iso(at), "lastModifiedDateTime": iso(at), "receivedDateTime": iso(at), "sentDateTime": iso(at),
		"hasAttachments": false, "internetMessageId": "<" + b64url(randBytes(12)) + "@emulated.outlook.com>", "subject": subject,
		"bodyPreview": preview, "importance": "normal", "parentFolderId": folder.id, "conversationId": outlookID(),
		"isDeliveryReceiptRequested": false, "isReadReceiptRequested": false, "isRead": read, "isDraft": draft,
		"webLink": "https://outlook.office365.com/owa/?ItemID=" + b64url(randBytes(16)),
		"body":    obj{"contentType": "text", "content": body},
		"sender":  emailAddr(fromName, fromAddr), "from": emailAddr(fromName, fromAddr),
		"toRecipients": []any{emailAddr(u.DisplayName, u.UPN)}, "ccRecipients": []any{}, "bccRecipients": []any{}, "replyTo": []any{},
		"flag": obj{"flagStatus": "notFlagged"}, "categories": []any{}, "inferenceClassification": "focused",
	}})
}

// wellKnownFolder finds a mail folder by well-known name.
func (d *userData) wellKnownFolder(wk string) *item {
	for _, f := range d.mailFolders.items {
		if f.o["@wk"] == wk {
			return f
		}
	}
	return nil
}

// mailFolder resolves a folder id or well-known name.
func (d *userData) mailFolder(idOrName string) *item {
	if f := d.wellKnownFolder(strings.ToLower(idOrName)); f != nil {
		return f
	}
	return d.mailFolders.get(idOrName)
}

// refreshFolderCounts recomputes item counts of every mail folder.
func (d *userData) refreshFolderCounts() {
	for _, f := range d.mailFolders.items {
		total, unread, children := 0, 0, 0
		for _, m := range d.messages.items {
			if m.parent == f.id {
				total++
				if r, _ := m.o["isRead"].(bool); !r {
					unread++
				}
			}
		}
		for _, c := range d.mailFolders.items {
			if c.parent == f.id {
				children++
			}
		}
		f.o["totalItemCount"], f.o["unreadItemCount"], f.o["childFolderCount"] = total, unread, children
	}
}

func (e *Emulator) addEvent(d *userData, u *User, calID, subject string, start, end time.Time, artifact string) *item {
	now := e.now()
	return d.events.add(&item{id: outlookID(), parent: calID, artifact: artifact, created: now, o: obj{
		"@odata.etag": etag(), "createdDateTime": iso(now), "lastModifiedDateTime": iso(now), "changeKey": b64url(randBytes(12)),
		"categories": []any{}, "originalStartTimeZone": "UTC", "originalEndTimeZone": "UTC", "iCalUId": "040000008200E00074C5B7101A82E008" + strings.ToUpper(b64url(randBytes(16))),
		"reminderMinutesBeforeStart": 15, "isReminderOn": true, "hasAttachments": false, "subject": subject, "bodyPreview": "",
		"importance": "normal", "sensitivity": "normal", "isAllDay": false, "isCancelled": false, "isOrganizer": true,
		"responseRequested": true, "seriesMasterId": nil, "showAs": "busy", "type": "singleInstance",
		"webLink": "https://outlook.office365.com/owa/?itemid=" + b64url(randBytes(16)), "onlineMeetingUrl": nil, "isOnlineMeeting": false,
		"responseStatus": obj{"response": "organizer", "time": "0001-01-01T00:00:00Z"},
		"body":           obj{"contentType": "html", "content": ""},
		"start":          obj{"dateTime": isoFrac(start.UTC()), "timeZone": "UTC"}, "end": obj{"dateTime": isoFrac(end.UTC()), "timeZone": "UTC"},
		"location": obj{"displayName": "", "locationType": "default"}, "locations": []any{}, "recurrence": nil,
		"attendees": []any{}, "organizer": emailAddr(u.DisplayName, u.UPN),
	}})
}

func (e *Emulator) newDriveItem(d *userData, u *User, parent, name string, folder bool, content []byte, at time.Time) *item {
	it := &item{id: driveItemID(), parent: parent, created: at, blob: content, o: obj{
		"@odata.etag": `"{` + strings.ToUpper(newGUID()) + `},1"`, "createdDateTime": iso(at), "lastModifiedDateTime": iso(at),
		"name": name, "size": len(content), "eTag": `"{` + strings.ToUpper(newGUID()) + `},1"`, "cTag": `"c:{` + strings.ToUpper(newGUID()) + `},1"`,
		"createdBy":      obj{"user": obj{"email": u.UPN, "id": u.ID, "displayName": u.DisplayName}},
		"lastModifiedBy": obj{"user": obj{"email": u.UPN, "id": u.ID, "displayName": u.DisplayName}},
		"fileSystemInfo": obj{"createdDateTime": iso(at), "lastModifiedDateTime": iso(at)},
	}}
	if folder {
		it.o["folder"] = obj{"childCount": 0}
	}
	d.driveItems.add(it)
	d.setDriveItemLinks(it)
	return it
}

// setDriveItemLinks sets webUrl and parentReference from the item's position in the tree.
func (d *userData) setDriveItemLinks(it *item) {
	base, _ := d.drive["@webUrl"].(string)
	p := d.drivePath(it)
	it.o["webUrl"] = base + "/Documents" + strings.TrimPrefix(p, "/drive/root:")
	if it.parent != "" {
		parentPath := d.drivePath(d.driveItems.get(it.parent))
		it.o["parentReference"] = obj{"driveType": "business", "driveId": d.drive["id"], "id": it.parent, "path": parentPath}
	}
}

// drivePath is "/drive/root:" followed by the item's path ("/drive/root:/Documents").
func (d *userData) drivePath(it *item) string {
	if it == nil || it.parent == "" {
		return "/drive/root:"
	}
	var names []string
	for cur := it; cur != nil && cur.parent != ""; cur = d.driveItems.get(cur.parent) {
		names = append([]string{cur.o["name"].(string)}, names...)
	}
	return "/drive/root:/" + strings.Join(names, "/")
}

// refreshDriveCounts recomputes folder child counts and sizes.
func (d *userData) refreshDriveCounts() {
	var used int64
	for _, it := range d.driveItems.items {
		if f, ok := it.o["folder"].(obj); ok {
			n := 0
			for _, c := range d.driveItems.items {
				if c.parent == it.id {
					n++
				}
			}
			f["childCount"] = n
		} else {
			used += int64(len(it.blob))
		}
	}
	if q, ok := d.drive["quota"].(obj); ok {
		q["used"] = used
		q["remaining"] = int64(1099511627776) - used
	}
}

func (e *Emulator) addSection(d *userData, u *User, nb *item, name string, at time.Time, artifact string) *item {
	return d.sections.add(&item{id: oneNoteID(2 + len(d.sections.items)), parent: nb.id, artifact: artifact, created: at, o: obj{
		"displayName": name, "isDefault": len(d.sections.items) == 0, "createdDateTime": iso(at), "lastModifiedDateTime": iso(at),
		"createdBy": obj{"user": obj{"id": u.ID, "displayName": u.DisplayName}}, "lastModifiedBy": obj{"user": obj{"id": u.ID, "displayName": u.DisplayName}},
		"parentNotebook": obj{"id": nb.id, "displayName": nb.o["displayName"]},
	}})
}

func (e *Emulator) addPage(d *userData, u *User, sec *item, title, html string, at time.Time, artifact string) *item {
	return d.pages.add(&item{id: oneNoteID(100 + len(d.pages.items)), parent: sec.id, artifact: artifact, created: at, blob: []byte(html), o: obj{
		"title": title, "createdByAppId": "", "contentUrl": "", "createdDateTime": iso(at), "lastModifiedDateTime": iso(at),
		"level": 0, "order": len(d.pages.items), "links": obj{"oneNoteClientUrl": obj{"href": "onenote:page"}, "oneNoteWebUrl": obj{"href": "https://onenote.example/page"}},
		"parentSection": obj{"id": sec.id, "displayName": sec.o["displayName"]},
	}})
}

func (e *Emulator) addTodoTask(d *userData, listID, title string, at time.Time, artifact string) *item {
	return d.todoTasks.add(&item{id: outlookID(), parent: listID, artifact: artifact, created: at, o: obj{
		"@odata.etag": etag(), "importance": "normal", "isReminderOn": false, "status": "notStarted", "title": title,
		"createdDateTime": iso(at), "lastModifiedDateTime": iso(at), "hasAttachments": false, "categories": []any{},
		"body": obj{"content": "", "contentType": "text"},
	}})
}

// DeveloperPackSKU is the SKU id of the Microsoft 365 E5 developer subscription.
const DeveloperPackSKU = "c42b9cae-ea4f-4ab7-9717-81576235ccac"

// seedTenantData creates the organisation, its developer subscription, groups and teams,
// SharePoint sites and devices. Call with e.mu held.
func (e *Emulator) seedTenantData(t *Tenant) *tenantData {
	now := e.now()
	host := strings.SplitN(t.Domain, ".", 2)[0]
	created := now.Add(-200 * 24 * time.Hour)
	d := &tenantData{skus: newColl(), subscriptions: newColl(), domains: newColl(), groups: newColl(), members: map[string][]string{},
		channels: newColl(), sites: newColl(), lists: newColl(), listItems: newColl(), devices: newColl(), creators: map[string]string{}}
	d.org = obj{"id": t.ID, "displayName": t.DisplayName, "tenantType": "AAD", "countryLetterCode": "US", "preferredLanguage": "en",
		"createdDateTime": iso(created), "city": "Redmond", "country": nil, "state": "WA", "street": nil, "postalCode": nil,
		"businessPhones": []any{}, "technicalNotificationMails": []any{"admin@" + t.Domain}, "securityComplianceNotificationMails": []any{},
		"marketingNotificationEmails": []any{}, "onPremisesSyncEnabled": nil, "deletedDateTime": nil,
		"verifiedDomains":  []any{obj{"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": true, "isInitial": true, "name": t.Domain, "type": "Managed"}},
		"assignedPlans":    []any{obj{"assignedDateTime": iso(created), "capabilityStatus": "Enabled", "service": "exchange", "servicePlanId": "efb87545-963c-4e0d-99df-69c6916d9eb0"}},
		"provisionedPlans": []any{}, "privacyProfile": nil}
	d.domains.add(&item{id: t.Domain, created: created, o: obj{"authenticationType": "Managed", "isDefault": true, "isInitial": true, "isRoot": true, "isVerified": true,
		"supportedServices": []any{"Email", "OfficeCommunicationsOnline"}}})
	subID := newGUID()
	plans := []any{
		obj{"servicePlanId": "efb87545-963c-4e0d-99df-69c6916d9eb0", "servicePlanName": "EXCHANGE_S_ENTERPRISE", "provisioningStatus": "Success", "appliesTo": "User"},
		obj{"servicePlanId": "5dbe027f-2339-4123-9542-606e4d348a72", "servicePlanName": "SHAREPOINTENTERPRISE", "provisioningStatus": "Success", "appliesTo": "User"},
		obj{"servicePlanId": "57ff2da0-773e-42df-b2af-ffb7a2317929", "servicePlanName": "TEAMS1", "provisioningStatus": "Success", "appliesTo": "User"},
	}
	users := len(t.users)
	d.skus.add(&item{id: t.ID + "_" + DeveloperPackSKU, created: created, o: obj{
		"accountId": t.ID, "accountName": t.DisplayName, "appliesTo": "User", "capabilityStatus": "Enabled", "consumedUnits": users,
		"prepaidUnits": obj{"enabled": 25, "lockedOut": 0, "suspended": 0, "warning": 0}, "servicePlans": plans,
		"skuId": DeveloperPackSKU, "skuPartNumber": "DEVELOPERPACK_E5", "subscriptionIds": []any{subID},
	}})
	d.subscriptions.add(&item{id: subID, created: created, o: obj{
		"commerceSubscriptionId": newGUID(), "createdDateTime": iso(created), "isTrial": true,
		"nextLifecycleDateTime": iso(now.Add(time.Duration(55+e.intn(30)) * 24 * time.Hour).Truncate(24 * time.Hour)),
		"ownerId":               nil, "ownerTenantId": nil, "ownerType": nil, "serviceStatus": plans, "skuId": DeveloperPackSKU,
		"skuPartNumber": "DEVELOPERPACK_E5", "status": "Enabled", "totalLicenses": 25,
	}})
	// Groups; two of them are Teams.
	ids := t.userOrder
	for i, g := range []struct {
		name, mail, desc string
		unified, team    bool
	}{
		{"All Company", "allcompany", "This is the default group for everyone in the network", true, false},
		{"Developers", "developers", "Engineering team", true, true},
		{"市场部", "marketing", "Marketing team", true, true},
		{"IT Admins", "", "Security group for administrators", false, false},
	} {
		gid := newGUID()
		types := []any{}
		if g.unified {
			types = []any{"Unified"}
		}
		var mail any
		if g.mail != "" {
			mail = g.mail + "@" + t.Domain
		}
		o := obj{"displayName": g.name, "description": g.desc, "mail": mail, "mailEnabled": g.unified, "mailNickname": firstNonEmpty(g.mail, "itadmins"),
			"securityEnabled": !g.unified, "groupTypes": types, "visibility": "Public", "createdDateTime": iso(created.Add(time.Duration(i) * time.Hour)),
			"classification": nil, "deletedDateTime": nil, "renewedDateTime": iso(created), "resourceProvisioningOptions": []any{}}
		if g.team {
			o["resourceProvisioningOptions"] = []any{"Team"}
		}
		d.groups.add(&item{id: gid, created: created, o: o})
		members := ids
		if i > 0 && len(ids) > 1 {
			members = nil
			for j, uid := range ids {
				if j%(i+1) == 0 || j == 0 {
					members = append(members, uid)
				}
			}
		}
		d.members[gid] = append([]string(nil), members...)
		if g.team {
			for _, ch := range []string{"General", "Announcements", "开发讨论"} {
				cid := "19:" + strings.ReplaceAll(newGUID(), "-", "") + "@thread.tacv2"
				d.channels.add(&item{id: cid, parent: gid, created: created, o: obj{"displayName": ch, "description": ch + " channel",
					"membershipType": "standard", "createdDateTime": iso(created), "email": "", "isFavoriteByDefault": ch == "General",
					"webUrl": "https://teams.microsoft.com/l/channel/" + cid}})
			}
		}
	}
	// SharePoint: the root site and its lists.
	siteID := host + ".sharepoint.com," + newGUID() + "," + newGUID()
	d.rootSite = siteID
	d.sites.add(&item{id: siteID, created: created, o: obj{"displayName": "Communication site", "name": "", "description": "The tenant's root site",
		"createdDateTime": iso(created), "lastModifiedDateTime": iso(now), "webUrl": "https://" + host + ".sharepoint.com",
		"siteCollection": obj{"hostname": host + ".sharepoint.com"}, "root": obj{}}})
	d.sites.add(&item{id: host + ".sharepoint.com," + newGUID() + "," + newGUID(), created: created, o: obj{"displayName": "Developers", "name": "Developers",
		"description": "Engineering team site", "createdDateTime": iso(created), "lastModifiedDateTime": iso(now),
		"webUrl": "https://" + host + ".sharepoint.com/sites/Developers", "siteCollection": obj{"hostname": host + ".sharepoint.com"}}})
	for _, l := range []struct{ name, tmpl string }{{"Documents", "documentLibrary"}, {"Events", "events"}, {"Site Pages", "webPageLibrary"}} {
		lid := newGUID()
		d.lists.add(&item{id: lid, parent: siteID, created: created, o: obj{"displayName": l.name, "name": strings.ReplaceAll(l.name, " ", ""),
			"description": "", "createdDateTime": iso(created), "lastModifiedDateTime": iso(now), "webUrl": "https://" + host + ".sharepoint.com/" + l.name,
			"list": obj{"contentTypesEnabled": false, "hidden": false, "template": l.tmpl}, "eTag": `"` + lid + `,1"`}})
	}
	// Devices.
	for i, dv := range []struct{ name, os, ver, trust string }{
		{"DESKTOP-" + strings.ToUpper(host[:min(4, len(host))]) + "01", "Windows", "10.0.22631.4460", "AzureAd"},
		{"iPhone", "iOS", "18.1", "Workplace"},
		{"Pixel 8", "Android", "15.0", "Workplace"},
	} {
		d.devices.add(&item{id: newGUID(), created: created, o: obj{"accountEnabled": true, "deviceId": newGUID(), "displayName": dv.name,
			"operatingSystem": dv.os, "operatingSystemVersion": dv.ver, "trustType": dv.trust, "isCompliant": i == 0, "isManaged": i == 0,
			"approximateLastSignInDateTime": iso(now.Add(-time.Duration(i+1) * 24 * time.Hour)), "registrationDateTime": iso(created),
			"deletedDateTime": nil, "manufacturer": nil, "model": nil, "profileType": "RegisteredDevice"}})
	}
	return d
}

func firstNonEmpty(a ...string) string {
	for _, s := range a {
		if s != "" {
			return s
		}
	}
	return ""
}
