package onboard

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"github.com/e5renew/e5renew/internal/config"
	"strings"
	"testing"
	"time"

	"rsc.io/qr"

	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
	"github.com/e5renew/e5renew/internal/store/sqlite"
)

func TestCoverage(t *testing.T) {
	all := activity.MinimalPermissions(activity.All(), true)
	full, err := CoverageOf(&auth.Token{Delegated: true, Scopes: all})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Missing) != 0 || len(full.Enabled) != len(activity.All()) || len(full.Grant) != 0 {
		t.Fatalf("every minimal permission: %d enabled, missing %+v", len(full.Enabled), full.Missing)
	}
	// Without Files.ReadWrite: the OneDrive activities are missing, and exactly what to
	// grant is said.
	var some []string
	for _, p := range all {
		if p != "Files.ReadWrite" {
			some = append(some, p)
		}
	}
	c, err := CoverageOf(&auth.Token{Delegated: true, Scopes: some})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Missing) == 0 || strings.Join(c.Grant, " ") != "Files.ReadWrite" {
		t.Fatalf("missing %+v, grant %v; want the OneDrive activities and Files.ReadWrite", c.Missing, c.Grant)
	}
	for _, m := range c.Missing {
		if m.Workload != "onedrive" && m.Workload != "insights" && m.Workload != "sharepoint" {
			t.Errorf("unexpected missing activity %s (%s)", m.Activity, m.Workload)
		}
	}
	var b bytes.Buffer
	c.Write(&b, i18n.ZH)
	if !strings.Contains(b.String(), "委托权限") || !strings.Contains(b.String(), "Files.ReadWrite") {
		t.Errorf("report:\n%s", b.String())
	}
	// An application token: activities that cannot run app-only are not counted missing.
	app, _ := CoverageOf(&auth.Token{Roles: activity.MinimalPermissions(activity.All(), false)})
	if len(app.Missing) != 0 {
		t.Errorf("app token with every role: missing %+v", app.Missing)
	}
	for _, name := range app.Enabled {
		if strings.HasPrefix(name, "onenote.") {
			t.Errorf("%s counted as enabled for an application", name)
		}
	}
}

// The half-block rendering holds exactly the modules of the code.
func TestQRRendersTheModules(t *testing.T) {
	const text = "https://microsoft.com/devicelogin"
	var b bytes.Buffer
	if err := QR(&b, text); err != nil {
		t.Fatal(err)
	}
	code, _ := qr.Encode(text, qr.M)
	rows := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	n := code.Size + 4
	if len(rows) != (n+1)/2 {
		t.Fatalf("%d rows, want %d", len(rows), (n+1)/2)
	}
	for ry, row := range rows {
		r := []rune(row)
		if len(r) != n {
			t.Fatalf("row %d is %d wide, want %d", ry, len(r), n)
		}
		for x, c := range r {
			for half, y := range []int{2 * ry, 2*ry + 1} {
				light := c == '█' || (half == 0 && c == '▀') || (half == 1 && c == '▄')
				mx, my := x-2, y-2
				dark := mx >= 0 && my >= 0 && mx < code.Size && my < code.Size && code.Black(mx, my)
				if light == dark {
					t.Fatalf("module (%d,%d) drawn wrong", x, y)
				}
			}
		}
	}
}

// The SVG rendering is well-formed and draws exactly the dark modules, inside a quiet zone.
func TestQRSVGDrawsTheModules(t *testing.T) {
	const text = "https://microsoft.com/devicelogin"
	svg, err := QRSVG(text)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ViewBox string `xml:"viewBox,attr"`
		Path    struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	code, _ := qr.Encode(text, qr.M)
	n := code.Size + 8
	if doc.ViewBox != fmt.Sprintf("0 0 %d %d", n, n) {
		t.Errorf("viewBox %q, want %d modules with the quiet zone", doc.ViewBox, n)
	}
	drawn := map[[2]int]bool{}
	for _, m := range strings.Split(strings.TrimPrefix(doc.Path.D, "M"), "M") {
		var x, y int
		if _, err := fmt.Sscanf(m, "%d %dh1v1h-1z", &x, &y); err != nil {
			t.Fatalf("path command %q: %v", m, err)
		}
		drawn[[2]int{x - 4, y - 4}] = true
	}
	for y := -4; y < code.Size+4; y++ {
		for x := -4; x < code.Size+4; x++ {
			dark := x >= 0 && y >= 0 && x < code.Size && y < code.Size && code.Black(x, y)
			if drawn[[2]int{x, y}] != dark {
				t.Fatalf("module (%d,%d): drawn %v, dark %v", x, y, drawn[[2]int{x, y}], dark)
			}
		}
	}
}

func TestNameFor(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"admin@contoso.onmicrosoft.com", ""}:    "admin@contoso.onmicrosoft.com",
		{"", "contoso.onmicrosoft.com"}:          "contoso-app",
		{"张三@contoso.com", ""}:                   "contoso.com",
		{"a b/c@x.com", ""}:                      "a-b-c@x.com",
		{"", ""}:                                 "app",
		{strings.Repeat("x", 80) + "@y.com", ""}: strings.Repeat("x", 64),
	} {
		if got := NameFor(in[0], in[1]); got != want {
			t.Errorf("NameFor(%q, %q) = %q, want %q", in[0], in[1], NameFor(in[0], in[1]), want)
		}
	}
}

func TestSaveTellsTheDaemon(t *testing.T) {
	box, _ := secret.NewBox(secret.GenerateKey())
	st, err := sqlite.Open(t.TempDir()+"/e5renew.db", box)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	if err := Save(context.Background(), st, store.ManagedAccount{Name: "alice", Type: "refresh_token", ClientID: "c", RefreshToken: "rt", Source: "login"}, now); err != nil {
		t.Fatal(err)
	}
	cs, _ := st.ChangesAfter(context.Background(), 0)
	if len(cs) != 1 || cs[0].Kind != store.ChangeAccounts || cs[0].By != "owner" || cs[0].Reason != "login" {
		t.Fatalf("changes %+v", cs)
	}
	if err := Remove(context.Background(), st, "ALICE", now); err != nil {
		t.Fatal(err)
	}
	if list, _ := st.ManagedAccounts(context.Background()); len(list) != 0 {
		t.Errorf("still there: %+v", list)
	}
	if err := Remove(context.Background(), st, "alice", now); err == nil {
		t.Error("removing twice succeeded")
	}
}

// The app to sign in with: the one setup registered, else the one all refresh-token
// accounts share (GUIDs compared without case), else none.
func TestDefaultClientID(t *testing.T) {
	const a, b = "aaaaaaaa-1111-2222-3333-444444444444", "bbbbbbbb-1111-2222-3333-444444444444"
	for _, tc := range []struct {
		name         string
		accounts     []config.Account
		setup, deflt string
	}{
		{"none", nil, "", ""},
		{"setup app", []config.Account{{ClientID: a, Managed: true, SetupApp: true, Type: "refresh_token"}, {ClientID: b, Type: "refresh_token"}}, a, a},
		{"two setup apps", []config.Account{{ClientID: a, Managed: true, SetupApp: true}, {ClientID: b, Managed: true, SetupApp: true}}, "", ""},
		{"shared delegated app", []config.Account{{ClientID: a, Type: "refresh_token"}, {ClientID: strings.ToUpper(a), Type: "refresh_token"}, {ClientID: b, Type: "client_credentials"}}, "", a},
		{"two delegated apps", []config.Account{{ClientID: a, Type: "refresh_token"}, {ClientID: b, Type: "refresh_token"}}, "", ""},
	} {
		cfg := &config.Config{Accounts: tc.accounts}
		if got := SetupClientID(cfg); got != tc.setup {
			t.Errorf("%s: SetupClientID = %q, want %q", tc.name, got, tc.setup)
		}
		if got := DefaultClientID(cfg); !strings.EqualFold(got, tc.deflt) {
			t.Errorf("%s: DefaultClientID = %q, want %q", tc.name, got, tc.deflt)
		}
	}
}
