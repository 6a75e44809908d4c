package graphdata

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// sharedFile finds ../shared/graph-data/<name> beside the repository, or skips.
func sharedFile(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "graph-data", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("skipping: the official data %s is not beside the repository (%v)", p, err)
	}
	return p
}

func TestEmbeddedCopiesEqualOfficialFiles(t *testing.T) {
	for name, get := range map[string]func() ([]byte, error){
		"permissions.json":      PermissionsJSON,
		"provisioningInfo.json": ProvisioningJSON,
	} {
		want, err := os.ReadFile(sharedFile(t, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("embedded %s differs from ../shared/graph-data/%s: regenerate with gzip -9 -n", name, name)
		}
	}
}

func TestNormalize(t *testing.T) {
	cases := map[string]string{
		"/me":                      "/me",
		"/v1.0/Me/Messages?$top=5": "/me/messages",
		"/beta/users/{user-id}/mailFolders/{id}/":    "/users/{id}/mailfolders/{id}",
		"/me/drive/root:/foldera/fileb.txt:/content": "/me/drive/root:/{id}:/content",
		"/me/drive/root:/{item-path}:/content":       "/me/drive/root:/{id}:/content",
		"/me/drive/root:/{id}":                       "/me/drive/root:/{id}",
		"/me/drive/root:/e5renew/a.txt":              "/me/drive/root:/{id}",
		"/applications(appId='abc')/addPassword":     "/applications(appid={id})/addpassword",
		"/applications(appid={value})/addpassword":   "/applications(appid={id})/addpassword",
		"/me/drive/root/search(q='{search-text}')":   "/me/drive/root/search(q={id})",
		"/me/drive/root/search(q={value})":           "/me/drive/root/search(q={id})",
		"/me/drive/items/{id}:/{id}:/content":        "/me/drive/items/{id}:/{id}:/content",
	}
	for in, want := range cases {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// Spot checks against the least-privileged permissions that protocol.md section 3 lists.
func TestTableMatchesProtocolSpotChecks(t *testing.T) {
	tab := MustLoad()
	if tab.Len() < 10000 {
		t.Fatalf("table has %d keys, want about 11,000", tab.Len())
	}
	cases := []struct {
		method, path string
		scheme       Scheme
		least        string
	}{
		{"GET", "/me", DelegatedWork, "User.Read"},
		{"GET", "/me/messages", DelegatedWork, "Mail.ReadBasic"},
		{"GET", "/users/{id}/messages", Application, "Mail.ReadBasic.All"},
		{"POST", "/me/sendMail", DelegatedWork, "Mail.Send"},
		{"PUT", "/me/drive/root:/e5renew/a.txt:/content", DelegatedWork, "Files.ReadWrite"},
		{"GET", "/sites/root", Application, "Sites.Read.All"},
		{"POST", "/me/onenote/pages", DelegatedWork, "Notes.Create"},
		{"GET", "/me/joinedTeams", DelegatedWork, "Team.ReadBasic.All"},
		{"GET", "/subscribedSkus", DelegatedWork, "LicenseAssignment.Read.All"},
		{"POST", "/applications", DelegatedWork, "Application.ReadWrite.All"},
	}
	for _, c := range cases {
		got := tab.AcceptedBy(c.method, c.path, c.scheme)
		if len(got) == 0 || !containsFold(got, c.least) {
			t.Errorf("%s %s (%s): accepted %v, want %s among them", c.method, c.path, c.scheme, got, c.least)
			continue
		}
		if !tab.Accepts(c.method, c.path, c.scheme, []string{c.least}) {
			t.Errorf("%s %s (%s): %s not accepted", c.method, c.path, c.scheme, c.least)
		}
	}
	if tab.Accepts("GET", "/me/messages", DelegatedWork, []string{"Calendars.Read"}) {
		t.Error("Calendars.Read accepted for GET /me/messages")
	}
	if tab.Accepts("GET", "/me/presence", Application, []string{"Presence.Read.All"}) {
		t.Error("application scheme accepted for /me/presence, which lists only DelegatedWork")
	}
	if tab.Known("GET", "/directory/subscriptions") {
		t.Log("note: /directory/subscriptions is now in the official data; the emulator's supplement can go")
	}
}

func TestAlsoRequires(t *testing.T) {
	tab := MustLoad()
	p := "/servicePrincipals/{id}/appRoleAssignedTo"
	if tab.Accepts("POST", p, DelegatedWork, []string{"AppRoleAssignment.ReadWrite.All"}) {
		t.Error("AppRoleAssignment.ReadWrite.All alone accepted; the data says it also requires Application.Read.All or Directory.Read.All")
	}
	if !tab.Accepts("POST", p, DelegatedWork, []string{"AppRoleAssignment.ReadWrite.All", "Application.Read.All"}) {
		t.Error("AppRoleAssignment.ReadWrite.All + Application.Read.All refused")
	}
	if !tab.Accepts("POST", p, DelegatedWork, []string{"Application.ReadWrite.All"}) {
		t.Error("Application.ReadWrite.All refused")
	}
}

// The GUIDs protocol.md section 5.4 lists.
func TestProvisioningIDs(t *testing.T) {
	p, err := LoadProvisioning()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		scheme Scheme
		id     string
	}{
		{"User.Read", DelegatedWork, "e1fe6dd8-ba31-4d61-89e7-88639da4683d"},
		{"User.Read.All", Application, "df021288-bdef-4463-88db-98f22de89214"},
		{"Mail.Send", Application, "b633e1c5-b582-4048-a93e-9f11b44c7e96"},
		{"offline_access", DelegatedWork, "7427e0e9-2fba-42fe-b0c0-848c9e6a8182"},
		{"Notes.ReadWrite.All", Application, "0c458cef-11f3-48c2-a568-c66751c238c0"},
		{"Application.ReadWrite.OwnedBy", Application, "18a4783c-866b-4cc7-a460-3d5e5662c884"},
	}
	for _, c := range cases {
		got, ok := p.ID(c.name, c.scheme)
		if !ok || got != c.id {
			t.Errorf("ID(%s, %s) = %q, %v; want %s", c.name, c.scheme, got, ok, c.id)
		}
		if n, _ := p.Name(c.id); n != c.name {
			t.Errorf("Name(%s) = %q, want %s", c.id, n, c.name)
		}
	}
	if _, ok := p.ID("User.Read", Application); ok {
		t.Error("User.Read has no application role, but an id was returned")
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
