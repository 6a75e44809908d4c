package emulator

import (
	"strings"
)

// contactProps are the properties declared on microsoft.graph.contact.
var contactProps = []string{"assistantName", "birthday", "businessAddress", "businessHomePage", "businessPhones", "categories",
	"changeKey", "children", "companyName", "createdDateTime", "department", "displayName", "emailAddresses", "fileAs", "generation",
	"givenName", "homeAddress", "homePhones", "id", "imAddresses", "initials", "jobTitle", "lastModifiedDateTime", "manager",
	"middleName", "mobilePhone", "nickName", "officeLocation", "otherAddress", "parentFolderId", "personalNotes", "profession",
	"spouseName", "surname", "title", "yomiCompanyName", "yomiGivenName", "yomiSurname", "extensions", "photo",
	"multiValueExtendedProperties", "singleValueExtendedProperties"}

// contactWritable are the contact properties a client sets.
var contactWritable = []string{"assistantName", "birthday", "businessAddress", "businessHomePage", "businessPhones", "categories",
	"children", "companyName", "department", "displayName", "emailAddresses", "fileAs", "generation", "givenName", "homeAddress",
	"homePhones", "imAddresses", "initials", "jobTitle", "manager", "middleName", "mobilePhone", "nickName", "officeLocation",
	"otherAddress", "personalNotes", "profession", "spouseName", "surname", "title", "yomiCompanyName", "yomiGivenName", "yomiSurname"}

var contactKinds = map[string]string{"assistantName": "string", "birthday": "string", "businessAddress": "object",
	"businessHomePage": "string", "businessPhones": "stringArray", "categories": "stringArray", "children": "stringArray",
	"companyName": "string", "department": "string", "displayName": "string", "emailAddresses": "array", "fileAs": "string",
	"generation": "string", "givenName": "string", "homeAddress": "object", "homePhones": "stringArray", "imAddresses": "stringArray",
	"initials": "string", "jobTitle": "string", "manager": "string", "middleName": "string", "mobilePhone": "string",
	"nickName": "string", "officeLocation": "string", "otherAddress": "object", "personalNotes": "string", "profession": "string",
	"spouseName": "string", "surname": "string", "title": "string", "yomiCompanyName": "string", "yomiGivenName": "string",
	"yomiSurname": "string", "parentFolderId": "string"}

var physicalAddressProps = []string{"street", "city", "state", "countryOrRegion", "postalCode"}

var contactFolderProps = []string{"displayName", "parentFolderId", "id", "childFolders", "contacts",
	"multiValueExtendedProperties", "singleValueExtendedProperties"}

func (e *Emulator) registerContacts(rt *router) {
	rt.perUser("GET", "/contacts", wlContacts, func(c *gc) { c.listContacts(c.contactsRoot(), "/contacts") })
	rt.perUser("POST", "/contacts", wlContacts, func(c *gc) { c.createContact(c.contactsRoot()) })
	rt.perUser("GET", "/contacts/{id}", wlContacts, func(c *gc) {
		if ct := c.contactParam(0); ct != nil {
			c.entity(200, c.userCtx()+"/contacts/$entity", ct.o)
		}
	})
	rt.perUser("PATCH", "/contacts/{id}", wlContacts, (*gc).patchContact)
	rt.perUser("DELETE", "/contacts/{id}", wlContacts, func(c *gc) {
		if ct := c.contactParam(0); ct != nil {
			c.ud().contacts.del(ct.id)
			c.noContent(204)
		}
	})

	rt.perUser("GET", "/contactFolders", wlContacts, func(c *gc) {
		root := c.contactsRoot()
		var out []obj
		for _, f := range c.ud().contactFolders.where(inParent(root.id)) {
			out = append(out, f.o)
		}
		c.list(out, listOpts{context: c.userCtx() + "/contactFolders", pageSize: 10, maxTop: 1000})
	})
	rt.perUser("POST", "/contactFolders", wlContacts, func(c *gc) { c.createContactFolder(c.contactsRoot()) })
	rt.perUser("GET", "/contactFolders/{id}", wlContacts, func(c *gc) {
		if f := c.contactFolderParam(0); f != nil {
			c.entity(200, c.userCtx()+"/contactFolders/$entity", contactFolderOut(f))
		}
	})
	rt.perUser("PATCH", "/contactFolders/{id}", wlContacts, (*gc).patchContactFolder)
	rt.perUser("DELETE", "/contactFolders/{id}", wlContacts, (*gc).deleteContactFolder)
	rt.perUser("GET", "/contactFolders/{id}/contacts", wlContacts, func(c *gc) {
		if f := c.contactFolderParam(0); f != nil {
			c.listContacts(f, "/contactFolders('"+c.param(0)+"')/contacts")
		}
	})
	rt.perUser("POST", "/contactFolders/{id}/contacts", wlContacts, func(c *gc) {
		if f := c.contactFolderParam(0); f != nil {
			c.createContact(f)
		}
	})
}

// contactsRoot is the mailbox's default Contacts folder. The seed keeps default-folder
// contacts with an empty parent; the folder is made on first use and they are moved in,
// so that parentFolderId carries a real folder id, as in Exchange.
func (c *gc) contactsRoot() *item {
	d := c.ud()
	for _, f := range d.contactFolders.items {
		if f.o["@wk"] == "contacts" {
			return f
		}
	}
	root := d.contactFolders.add(&item{id: outlookID(), created: c.e.now(), o: obj{
		"displayName": "Contacts", "parentFolderId": outlookID(), "@wk": "contacts"}})
	for _, ct := range d.contacts.items {
		if ct.parent == "" {
			ct.parent = root.id
			ct.o["parentFolderId"] = root.id
		}
	}
	return root
}

func contactFolderOut(f *item) obj {
	o := obj{}
	for k, v := range f.o {
		if k != "@wk" {
			o[k] = v
		}
	}
	return o
}

func (c *gc) contactParam(i int) *item {
	c.contactsRoot()
	ct := c.ud().contacts.get(c.param(i))
	if ct == nil {
		c.fail(outlookNotFound())
	}
	return ct
}

func (c *gc) contactFolderParam(i int) *item {
	c.contactsRoot()
	f := c.ud().contactFolders.get(c.param(i))
	if f == nil {
		c.fail(outlookNotFound())
	}
	return f
}

func (c *gc) listContacts(folder *item, suffix string) {
	c.list(c.ud().contacts.objs(inParent(folder.id)), listOpts{context: c.userCtx() + suffix, pageSize: 10, maxTop: 1000})
}

// readContact decodes and validates a contact body as Graph's OData reader does.
func (c *gc) readContact() (obj, *graphErr) {
	body, ge := c.readObj("contact", contactProps...)
	if ge != nil {
		return nil, ge
	}
	body = pimCanon(body, contactProps)
	if ge := pimCheck(body, contactKinds); ge != nil {
		return nil, ge
	}
	for _, a := range listOr(body["emailAddresses"]) {
		ea, ok := a.(obj)
		if !ok {
			return nil, gerr(400, "RequestBodyRead", "An unexpected 'PrimitiveValue' node was found when reading from the JSON reader. A 'StartObject' node was expected.")
		}
		if ge := checkEmailAddress(ea); ge != nil {
			return nil, ge
		}
	}
	for _, k := range []string{"businessAddress", "homeAddress", "otherAddress"} {
		a, _ := body[k].(obj)
		for p := range a {
			if !containsFold(physicalAddressProps, p) && !strings.HasPrefix(p, "@") {
				return nil, gerr(400, "RequestBodyRead", "The property '%s' does not exist on type 'microsoft.graph.physicalAddress'. Make sure to only use property names that are defined by the type.", p)
			}
		}
		if a != nil {
			if ge := pimCheck(a, map[string]string{"street": "string", "city": "string", "state": "string", "countryOrRegion": "string", "postalCode": "string"}); ge != nil {
				return nil, ge
			}
		}
	}
	if b := str(body, "birthday"); b != "" {
		if _, ok := parseWindowTime(b); !ok {
			return nil, gerr(400, "RequestBodyRead", "Cannot convert the literal '%s' to the expected type 'Edm.DateTimeOffset'.", b)
		}
	}
	return body, nil
}

// contactDisplayName is what Exchange composes when displayName is not given.
func contactDisplayName(o obj) string {
	var parts []string
	for _, k := range []string{"givenName", "middleName", "surname"} {
		if s := strings.TrimSpace(str(o, k)); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

func (c *gc) createContact(folder *item) {
	body, ge := c.readContact()
	if ge != nil {
		c.fail(ge)
		return
	}
	now := c.e.now()
	ct := &item{id: outlookID(), parent: folder.id, created: now, o: obj{
		"@odata.etag": etag(), "createdDateTime": iso(now), "lastModifiedDateTime": iso(now), "changeKey": b64url(randBytes(12)),
		"categories": []any{}, "parentFolderId": folder.id, "birthday": nil, "fileAs": "", "displayName": "", "givenName": nil,
		"initials": nil, "middleName": nil, "nickName": nil, "surname": nil, "title": nil, "yomiGivenName": nil, "yomiSurname": nil,
		"yomiCompanyName": nil, "generation": nil, "imAddresses": []any{}, "jobTitle": nil, "companyName": nil, "department": nil,
		"officeLocation": nil, "profession": nil, "businessHomePage": nil, "assistantName": nil, "manager": nil, "homePhones": []any{},
		"mobilePhone": nil, "businessPhones": []any{}, "spouseName": nil, "personalNotes": "", "children": []any{},
		"emailAddresses": []any{}, "homeAddress": obj{}, "businessAddress": obj{}, "otherAddress": obj{},
	}}
	applyContactBody(ct, body)
	c.ud().contacts.add(ct)
	c.created(ct, "contact")
	c.entity(201, c.userCtx()+"/contacts/$entity", ct.o)
}

func applyContactBody(ct *item, body obj) {
	for _, k := range contactWritable {
		v, ok := body[k]
		if !ok {
			continue
		}
		if k == "emailAddresses" {
			var out []any
			for _, a := range listOr(v) {
				ea, _ := a.(obj)
				addr := str(ea, "address")
				out = append(out, obj{"name": firstNonEmpty(str(ea, "name"), addr), "address": addr})
			}
			if out == nil {
				out = []any{}
			}
			v = out
		}
		if v == nil {
			switch contactKinds[k] {
			case "stringArray", "array":
				v = []any{}
			case "object":
				v = obj{}
			}
		}
		ct.o[k] = v
	}
	if strings.TrimSpace(str(ct.o, "displayName")) == "" {
		ct.o["displayName"] = contactDisplayName(ct.o)
	}
}

func (c *gc) patchContact() {
	ct := c.contactParam(0)
	if ct == nil {
		return
	}
	body, ge := c.readContact()
	if ge != nil {
		c.fail(ge)
		return
	}
	applyContactBody(ct, body)
	now := c.e.now()
	ct.o["lastModifiedDateTime"] = iso(now)
	ct.o["changeKey"] = b64url(randBytes(12))
	ct.o["@odata.etag"] = etag()
	c.entity(200, c.userCtx()+"/contacts/$entity", ct.o)
}

// --- contact folders -------------------------------------------------------------------

func (d *userData) contactFolderNameTaken(parent, name string, except *item) bool {
	for _, f := range d.contactFolders.items {
		if f != except && f.parent == parent && strings.EqualFold(str(f.o, "displayName"), name) {
			return true
		}
	}
	return false
}

func (c *gc) readContactFolder() (obj, *graphErr) {
	body, ge := c.readObj("contactFolder", contactFolderProps...)
	if ge != nil {
		return nil, ge
	}
	body = pimCanon(body, contactFolderProps)
	if ge := pimCheck(body, map[string]string{"displayName": "string", "parentFolderId": "string"}); ge != nil {
		return nil, ge
	}
	return body, nil
}

func (c *gc) createContactFolder(root *item) {
	body, ge := c.readContactFolder()
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
	parent := root
	if pid := str(body, "parentFolderId"); pid != "" {
		if parent = d.contactFolders.get(pid); parent == nil {
			c.fail(outlookNotFound())
			return
		}
	}
	if d.contactFolderNameTaken(parent.id, name, nil) {
		c.fail(gerr(409, "ErrorFolderExists", "A folder with the specified name already exists."))
		return
	}
	f := d.contactFolders.add(&item{id: outlookID(), parent: parent.id, created: c.e.now(), o: obj{
		"displayName": name, "parentFolderId": parent.id}})
	c.created(f, "contactFolder")
	c.entity(201, c.userCtx()+"/contactFolders/$entity", f.o)
}

func (c *gc) patchContactFolder() {
	f := c.contactFolderParam(0)
	if f == nil {
		return
	}
	body, ge := c.readContactFolder()
	if ge != nil {
		c.fail(ge)
		return
	}
	if _, ok := body["displayName"]; ok {
		name := strings.TrimSpace(str(body, "displayName"))
		if name == "" {
			c.fail(gerr(400, "ErrorInvalidRequest", "The folder name can't be empty."))
			return
		}
		if f.o["@wk"] != nil {
			c.fail(gerr(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."))
			return
		}
		if c.ud().contactFolderNameTaken(f.parent, name, f) {
			c.fail(gerr(409, "ErrorFolderExists", "A folder with the specified name already exists."))
			return
		}
		f.o["displayName"] = name
	}
	c.entity(200, c.userCtx()+"/contactFolders/$entity", contactFolderOut(f))
}

// deleteContactFolder removes a folder with its contacts and child folders.
func (c *gc) deleteContactFolder() {
	f := c.contactFolderParam(0)
	if f == nil {
		return
	}
	if f.o["@wk"] != nil {
		c.fail(gerr(403, "ErrorDeleteDistinguishedFolder", "Distinguished folders cannot be deleted."))
		return
	}
	d := c.ud()
	dropTree(d.contactFolders, d.contacts, f.id)
	c.noContent(204)
}
