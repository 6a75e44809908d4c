package emulator

import (
	"strings"
	"time"
)

var messageProps = []string{"subject", "body", "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "importance",
	"categories", "flag", "isRead", "from", "sender", "internetMessageHeaders", "attachments", "isDeliveryReceiptRequested",
	"isReadReceiptRequested", "inferenceClassification", "singleValueExtendedProperties", "multiValueExtendedProperties", "uniqueBody"}

var mailboxSettingsProps = []string{"automaticRepliesSetting", "timeZone", "language", "workingHours", "dateFormat", "timeFormat",
	"delegateMeetingMessageDeliveryOptions", "archiveFolder", "userPurpose"}

func (e *Emulator) registerMail(rt *router) {
	rt.perUser("GET", "/messages", wlMail, func(c *gc) { c.listMessages(nil) })
	rt.perUser("POST", "/messages", wlMail, func(c *gc) { c.createMessage(c.ud().wellKnownFolder("drafts")) })
	rt.perUser("GET", "/messages/{id}", wlMail, func(c *gc) { c.getMessage(c.param(0), nil) })
	rt.perUser("PATCH", "/messages/{id}", wlMail, func(c *gc) { c.patchMessage(c.param(0)) })
	rt.perUser("DELETE", "/messages/{id}", wlMail, func(c *gc) { c.deleteMessage(c.param(0), nil) })
	rt.perUser("POST", "/messages/{id}/permanentDelete", wlMail, func(c *gc) { c.deleteMessage(c.param(0), nil) })
	rt.perUser("POST", "/messages/{id}/send", wlMail, func(c *gc) { c.sendDraft(c.param(0)) })
	rt.perUser("POST", "/messages/{id}/move", wlMail, func(c *gc) { c.moveMessage(c.param(0)) })
	rt.perUser("POST", "/sendMail", wlMail, (*gc).sendMail)

	rt.perUser("GET", "/mailFolders", wlMail, func(c *gc) { c.listFolders(c.rootFolderID()) })
	rt.perUser("POST", "/mailFolders", wlMail, func(c *gc) { c.createFolder(c.rootFolderID()) })
	rt.perUser("GET", "/mailFolders/{id}", wlMail, func(c *gc) {
		if f := c.folder(0); f != nil {
			c.entity(200, c.userCtx()+"/mailFolders/$entity", f.o)
		}
	})
	rt.perUser("PATCH", "/mailFolders/{id}", wlMail, (*gc).patchFolder)
	rt.perUser("DELETE", "/mailFolders/{id}", wlMail, (*gc).deleteFolder)
	rt.perUser("GET", "/mailFolders/{id}/childFolders", wlMail, func(c *gc) {
		if f := c.folder(0); f != nil {
			c.listFolders(f.id)
		}
	})
	rt.perUser("POST", "/mailFolders/{id}/childFolders", wlMail, func(c *gc) {
		if f := c.folder(0); f != nil {
			c.createFolder(f.id)
		}
	})
	rt.perUser("GET", "/mailFolders/{id}/messages", wlMail, func(c *gc) {
		if f := c.folder(0); f != nil {
			c.listMessages(f)
		}
	})
	rt.perUser("POST", "/mailFolders/{id}/messages", wlMail, func(c *gc) {
		if f := c.folder(0); f != nil {
			c.createMessage(f)
		}
	})
	rt.perUser("GET", "/mailFolders/{id}/messages/{id}", wlMail, func(c *gc) {
		if f := c.folder(0); f != nil {
			c.getMessage(c.param(1), f)
		}
	})
	rt.perUser("DELETE", "/mailFolders/{id}/messages/{id}", wlMail, func(c *gc) {
		if f := c.folder(0); f != nil {
			c.deleteMessage(c.param(1), f)
		}
	})

	rt.perUser("GET", "/mailFolders/inbox/messageRules", wlMail, func(c *gc) {
		c.list(c.ud().rules.objs(nil), listOpts{context: c.userCtx() + "/mailFolders('inbox')/messageRules"})
	})
	rt.perUser("GET", "/mailFolders/inbox/messageRules/{id}", wlMail, func(c *gc) {
		if it := c.ud().rules.get(c.param(0)); it != nil {
			c.entity(200, c.userCtx()+"/mailFolders('inbox')/messageRules/$entity", it.o)
		} else {
			c.fail(outlookNotFound())
		}
	})
	rt.perUser("POST", "/mailFolders/inbox/messageRules", wlMail, (*gc).createRule)
	rt.perUser("PATCH", "/mailFolders/inbox/messageRules/{id}", wlMail, func(c *gc) {
		it := c.ud().rules.get(c.param(0))
		if it == nil {
			c.fail(outlookNotFound())
			return
		}
		body, ge := c.readObj("messageRule", "displayName", "sequence", "isEnabled", "conditions", "actions", "exceptions")
		if ge != nil {
			c.fail(ge)
			return
		}
		merge(it.o, body)
		c.entity(200, c.userCtx()+"/mailFolders('inbox')/messageRules/$entity", it.o)
	})
	rt.perUser("DELETE", "/mailFolders/inbox/messageRules/{id}", wlMail, func(c *gc) {
		if c.ud().rules.del(c.param(0)) == nil {
			c.fail(outlookNotFound())
			return
		}
		c.noContent(204)
	})

	rt.perUser("GET", "/outlook/masterCategories", wlMail, func(c *gc) {
		c.list(c.ud().categories.objs(nil), listOpts{context: c.userCtx() + "/outlook/masterCategories"})
	})
	rt.perUser("POST", "/outlook/masterCategories", wlMail, (*gc).createCategory)
	rt.perUser("DELETE", "/outlook/masterCategories/{id}", wlMail, func(c *gc) {
		if c.ud().categories.del(c.param(0)) == nil {
			c.fail(outlookNotFound())
			return
		}
		c.noContent(204)
	})

	rt.perUser("GET", "/mailboxSettings", wlMail, func(c *gc) {
		c.entity(200, c.userCtx()+"/mailboxSettings", c.ud().mailboxSettings)
	})
	rt.perUser("PATCH", "/mailboxSettings", wlMail, (*gc).patchMailboxSettings)
}

func outlookNotFound() *graphErr {
	return gerr(404, "ErrorItemNotFound", "The specified object was not found in the store.")
}

func (c *gc) rootFolderID() string {
	return c.ud().wellKnownFolder("inbox").parent
}

// folder resolves the i-th parameter as a mail folder (id or well-known name) or fails.
func (c *gc) folder(i int) *item {
	f := c.ud().mailFolder(c.param(i))
	if f == nil {
		c.fail(outlookNotFound())
	}
	return f
}

func (c *gc) listMessages(f *item) {
	d := c.ud()
	var items []obj
	ctx := c.userCtx() + "/messages"
	if f != nil {
		items = d.messages.objs(inParent(f.id))
		ctx = c.userCtx() + "/mailFolders('" + c.param(0) + "')/messages"
	} else {
		items = d.messages.objs(nil)
	}
	for i := range items {
		items[i] = c.msgOut(items[i])
	}
	c.list(newest(items, "receivedDateTime"), listOpts{context: ctx, pageSize: 10, maxTop: 1000})
}

func (c *gc) getMessage(id string, f *item) {
	m := c.ud().messages.get(id)
	if m == nil || (f != nil && m.parent != f.id) {
		c.fail(outlookNotFound())
		return
	}
	c.entity(200, c.userCtx()+"/messages/$entity", c.msgOut(m.o))
}

func (c *gc) createMessage(folder *item) {
	body, ge := c.readObj("message", messageProps...)
	if ge == nil {
		ge = checkHeaders(body)
	}
	if ge != nil {
		c.fail(ge)
		return
	}
	d := c.ud()
	m := c.e.newMessage(d, c.user, folder, body, true)
	c.created(m, "message")
	d.refreshFolderCounts()
	c.entity(201, c.userCtx()+"/messages/$entity", c.msgOut(m.o))
}

// newMessage builds a message from a request body in a folder.
func (e *Emulator) newMessage(d *userData, owner *User, folder *item, body obj, draft bool) *item {
	now := e.now()
	content := ""
	ctype := "text"
	if b, ok := body["body"].(obj); ok {
		content = str(b, "content")
		if ct := strings.ToLower(str(b, "contentType")); ct != "" {
			ctype = ct
		}
	}
	preview := content
	if ctype == "html" {
		preview = stripTags(content)
	}
	if r := []rune(preview); len(r) > 255 {
		preview = string(r[:255])
	}
	m := &item{id: outlookID(), parent: folder.id, created: now, o: obj{
		"@odata.etag": etag(), "createdDateTime": iso(now), "lastModifiedDateTime": iso(now), "receivedDateTime": iso(now),
		"sentDateTime": nil, "hasAttachments": false, "internetMessageId": "<" + b64url(randBytes(12)) + "@emulated.outlook.com>",
		"subject": str(body, "subject"), "bodyPreview": preview, "importance": firstNonEmpty(str(body, "importance"), "normal"),
		"parentFolderId": folder.id, "conversationId": outlookID(), "isDeliveryReceiptRequested": false, "isReadReceiptRequested": false,
		"isRead": true, "isDraft": draft, "webLink": "https://outlook.office365.com/owa/?ItemID=" + b64url(randBytes(16)),
		"inferenceClassification": "focused", "body": obj{"contentType": ctype, "content": content},
		"sender": emailAddr(owner.DisplayName, owner.UPN), "from": emailAddr(owner.DisplayName, owner.UPN),
		"toRecipients": listOr(body["toRecipients"]), "ccRecipients": listOr(body["ccRecipients"]), "bccRecipients": listOr(body["bccRecipients"]),
		"replyTo": listOr(body["replyTo"]), "flag": obj{"flagStatus": "notFlagged"}, "categories": listOr(body["categories"]),
	}}
	if !draft {
		m.o["sentDateTime"] = iso(now)
	}
	if h, ok := body["internetMessageHeaders"].([]any); ok && len(h) > 0 {
		m.o["internetMessageHeaders"] = h
	}
	return d.messages.add(m)
}

// checkHeaders validates custom internet message headers: only x- headers may be set.
func checkHeaders(body obj) *graphErr {
	v, ok := body["internetMessageHeaders"]
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return gerr(400, "RequestBodyRead", "An unexpected 'StartObject' node was found when reading from the JSON reader. A 'StartArray' node was expected.")
	}
	for _, x := range list {
		h, _ := x.(obj)
		name := str(h, "name")
		if !strings.HasPrefix(strings.ToLower(name), "x-") {
			return gerr(400, "InvalidInternetMessageHeader", "The internet message header name '%s' should start with 'x-' or 'X-'.", name)
		}
	}
	return nil
}

// msgOut hides internetMessageHeaders unless $select asks for them, as Graph does.
func (c *gc) msgOut(m obj) obj {
	if _, ok := m["internetMessageHeaders"]; !ok || strings.Contains(strings.ToLower(c.query.Get("$select")), "internetmessageheaders") {
		return m
	}
	out := make(obj, len(m))
	for k, v := range m {
		if k != "internetMessageHeaders" {
			out[k] = v
		}
	}
	return out
}

func listOr(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{}
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

func (c *gc) patchMessage(id string) {
	d := c.ud()
	m := d.messages.get(id)
	if m == nil {
		c.fail(outlookNotFound())
		return
	}
	body, ge := c.readObj("message", messageProps...)
	if ge != nil {
		c.fail(ge)
		return
	}
	merge(m.o, body)
	m.o["lastModifiedDateTime"] = iso(c.e.now())
	m.o["@odata.etag"] = etag()
	d.refreshFolderCounts()
	c.entity(200, c.userCtx()+"/messages/$entity", m.o)
}

func (c *gc) deleteMessage(id string, f *item) {
	d := c.ud()
	m := d.messages.get(id)
	if m == nil || (f != nil && m.parent != f.id) {
		c.fail(outlookNotFound())
		return
	}
	d.messages.del(m.id)
	d.refreshFolderCounts()
	c.noContent(204)
}

func (c *gc) moveMessage(id string) {
	d := c.ud()
	m := d.messages.get(id)
	if m == nil {
		c.fail(outlookNotFound())
		return
	}
	body, ge := c.readObj("message", "destinationId")
	if ge != nil {
		c.fail(ge)
		return
	}
	dest := d.mailFolder(str(body, "destinationId"))
	if dest == nil {
		c.fail(gerr(400, "ErrorInvalidIdMalformed", "Id is malformed."))
		return
	}
	// A move creates a new item with a new id in the destination.
	d.messages.del(m.id)
	m.id = outlookID()
	m.parent = dest.id
	m.o["parentFolderId"] = dest.id
	d.messages.add(m)
	d.refreshFolderCounts()
	c.entity(201, c.userCtx()+"/messages/$entity", c.msgOut(m.o))
}

// sendMail sends a new message (202, no body) and delivers it to recipients in the
// emulated tenants; saveToSentItems (default true) keeps a copy in Sent Items.
func (c *gc) sendMail() {
	var req struct {
		Message         obj   `json:"message"`
		SaveToSentItems *bool `json:"saveToSentItems"`
	}
	if ge := c.decode(&req); ge != nil {
		c.fail(ge)
		return
	}
	if req.Message == nil {
		c.fail(gerr(400, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty."))
		return
	}
	for k := range req.Message {
		if !strings.HasPrefix(k, "@") && !containsFold(messageProps, k) {
			c.fail(gerr(400, "RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.message'. Make sure to only use property names that are defined by the type.", k))
			return
		}
	}
	if ge := checkHeaders(req.Message); ge != nil {
		c.fail(ge)
		return
	}
	save := req.SaveToSentItems == nil || *req.SaveToSentItems
	if ge := c.e.deliver(c.user, req.Message, save, nil); ge != nil {
		c.fail(ge)
		return
	}
	c.noContent(202)
}

func (c *gc) sendDraft(id string) {
	d := c.ud()
	m := d.messages.get(id)
	if m == nil {
		c.fail(outlookNotFound())
		return
	}
	if draft, _ := m.o["isDraft"].(bool); !draft {
		c.fail(gerr(400, "ErrorInvalidOperation", "Only draft messages can be sent."))
		return
	}
	if ge := c.e.deliver(c.user, m.o, true, m); ge != nil {
		c.fail(ge)
		return
	}
	c.noContent(202)
}

// deliver sends msg from sender: a copy goes to each recipient's inbox in any emulated
// tenant (external addresses are accepted and dropped), and to Sent Items when save is
// set. A draft being sent moves to Sent Items instead of being copied.
func (e *Emulator) deliver(sender *User, msg obj, save bool, draft *item) *graphErr {
	var rcpts []string
	for _, k := range []string{"toRecipients", "ccRecipients", "bccRecipients"} {
		for _, r := range listOr(msg[k]) {
			ro, _ := r.(obj)
			ea, _ := ro["emailAddress"].(obj)
			addr := strings.TrimSpace(str(ea, "address"))
			if addr == "" || !strings.Contains(addr, "@") {
				return gerr(400, "ErrorInvalidRecipients", "At least one recipient is not valid., Recipient '%s' is not resolved. All recipients must be resolved before a message can be submitted.", addr)
			}
			rcpts = append(rcpts, strings.ToLower(addr))
		}
	}
	if len(rcpts) == 0 {
		return gerr(400, "ErrorInvalidRecipients", "At least one recipient is not valid., A message can't be sent because it contains no recipients.")
	}
	now := e.now()
	for _, addr := range rcpts {
		_, domain, _ := strings.Cut(addr, "@")
		t := e.tenantByDomain[domain]
		if t == nil {
			continue
		}
		u := t.usersByUP[addr]
		if u == nil || u.Unlicensed {
			continue
		}
		d := e.ud(u)
		in := e.newMessage(d, sender, d.wellKnownFolder("inbox"), msg, false)
		in.o["isRead"] = false
		in.o["receivedDateTime"] = iso(now.Add(time.Second))
		in.artifact = "message"
		d.refreshFolderCounts()
	}
	sd := e.ud(sender)
	sent := sd.wellKnownFolder("sentitems")
	switch {
	case draft != nil:
		sd.messages.del(draft.id)
		draft.id = outlookID()
		draft.parent = sent.id
		draft.o["parentFolderId"] = sent.id
		draft.o["isDraft"] = false
		draft.o["sentDateTime"] = iso(now)
		sd.messages.add(draft)
	case save:
		m := e.newMessage(sd, sender, sent, msg, false)
		m.artifact = "message"
	}
	sd.refreshFolderCounts()
	return nil
}

func (c *gc) listFolders(parent string) {
	d := c.ud()
	items := d.mailFolders.where(func(it *item) bool { return it.parent == parent })
	out := make([]obj, 0, len(items))
	for _, it := range items {
		o := obj{}
		for k, v := range it.o {
			if k != "@wk" {
				o[k] = v
			}
		}
		out = append(out, o)
	}
	c.list(out, listOpts{context: c.userCtx() + "/mailFolders", pageSize: 10, maxTop: 1000})
}

func (c *gc) createFolder(parent string) {
	body, ge := c.readObj("mailFolder", "displayName", "isHidden")
	if ge != nil {
		c.fail(ge)
		return
	}
	name := strings.TrimSpace(str(body, "displayName"))
	if name == "" {
		c.fail(gerr(400, "ErrorInvalidRequest", "The folder name can't be empty."))
		return
	}
	d := c.ud()
	for _, f := range d.mailFolders.items {
		if f.parent == parent && strings.EqualFold(str(f.o, "displayName"), name) {
			c.fail(gerr(409, "ErrorFolderExists", "A folder with the specified name already exists."))
			return
		}
	}
	hidden, _ := body["isHidden"].(bool)
	f := d.mailFolders.add(&item{id: outlookID(), parent: parent, created: c.e.now(), o: obj{
		"displayName": name, "parentFolderId": parent, "childFolderCount": 0, "unreadItemCount": 0,
		"totalItemCount": 0, "sizeInBytes": 0, "isHidden": hidden,
	}})
	c.created(f, "mailFolder")
	d.refreshFolderCounts()
	c.entity(201, c.userCtx()+"/mailFolders/$entity", f.o)
}

func (c *gc) patchFolder() {
	f := c.folder(0)
	if f == nil {
		return
	}
	body, ge := c.readObj("mailFolder", "displayName")
	if ge != nil {
		c.fail(ge)
		return
	}
	if n := str(body, "displayName"); n != "" {
		f.o["displayName"] = n
	}
	c.entity(200, c.userCtx()+"/mailFolders/$entity", f.o)
}

func (c *gc) deleteFolder() {
	f := c.folder(0)
	if f == nil {
		return
	}
	if f.o["@wk"] != nil {
		c.fail(gerr(403, "ErrorDeleteDistinguishedFolder", "Distinguished folders cannot be deleted."))
		return
	}
	d := c.ud()
	dropTree(d.mailFolders, d.messages, f.id)
	d.refreshFolderCounts()
	c.noContent(204)
}

func (c *gc) createRule() {
	body, ge := c.readObj("messageRule", "displayName", "sequence", "isEnabled", "conditions", "actions", "exceptions")
	if ge != nil {
		c.fail(ge)
		return
	}
	if str(body, "displayName") == "" {
		c.fail(gerr(400, "ErrorInvalidRequest", "The rule must have a displayName."))
		return
	}
	if _, ok := body["actions"].(obj); !ok {
		c.fail(gerr(400, "ErrorInvalidRuleParameter", "The rule must have at least one action."))
		return
	}
	it := &item{id: "AQAAA" + strings.TrimRight(b64url(randBytes(6)), "=") + "=", created: c.e.now(), o: obj{
		"sequence": 1, "isEnabled": true, "hasError": false, "isReadOnly": false,
	}}
	merge(it.o, body)
	c.created(c.ud().rules.add(it), "messageRule")
	c.entity(201, c.userCtx()+"/mailFolders('inbox')/messageRules/$entity", it.o)
}

func (c *gc) createCategory() {
	body, ge := c.readObj("outlookCategory", "displayName", "color")
	if ge != nil {
		c.fail(ge)
		return
	}
	name := strings.TrimSpace(str(body, "displayName"))
	if name == "" {
		c.fail(gerr(400, "ErrorInvalidRequest", "The category displayName can't be empty."))
		return
	}
	d := c.ud()
	for _, it := range d.categories.items {
		if strings.EqualFold(str(it.o, "displayName"), name) {
			c.fail(gerr(409, "ErrorDuplicateCategoryName", "A category with the same name already exists."))
			return
		}
	}
	it := d.categories.add(&item{id: newGUID(), created: c.e.now(), o: obj{"displayName": name, "color": firstNonEmpty(str(body, "color"), "preset0")}})
	c.created(it, "outlookCategory")
	c.entity(201, c.userCtx()+"/outlook/masterCategories/$entity", it.o)
}

func (c *gc) patchMailboxSettings() {
	body, ge := c.readObj("mailboxSettings", mailboxSettingsProps...)
	if ge != nil {
		c.fail(ge)
		return
	}
	if tz, ok := body["timeZone"]; ok {
		if s, _ := tz.(string); strings.TrimSpace(s) == "" {
			c.fail(gerr(400, "ErrorInvalidTimeZone", "The specified time zone isn't valid."))
			return
		}
	}
	ms := c.ud().mailboxSettings
	for k, v := range body {
		if sub, ok := v.(obj); ok {
			if cur, ok := ms[k].(obj); ok {
				merge(cur, sub)
				continue
			}
		}
		ms[k] = v
	}
	out := obj{}
	for k := range body {
		out[k] = ms[k]
	}
	c.entity(200, c.userCtx()+"/mailboxSettings", out)
}
