package emulator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadAndApplySeed(t *testing.T) {
	p := filepath.Join(t.TempDir(), "seed.yaml")
	_ = os.WriteFile(p, []byte(`tenants:
  - domain: contoso.onmicrosoft.com
    users:
      - {upn: admin, password: pw, admin: true}
      - {upn: mfa, password: pw, mfa: true}
    apps:
      - clientId: 11111111-2222-3333-4444-555555555555
        publicClient: true
        scopes: [User.Read, Mail.Read]
        roles: [Mail.Read]
        secrets: [{value: sekret, end: 2020-01-01T00:00:00Z}]
`), 0o600)
	s, err := LoadSeed(p)
	if err != nil {
		t.Fatal(err)
	}
	e := New(Options{})
	if err := e.ApplySeed(s); err != nil {
		t.Fatal(err)
	}
	ten := e.Tenant("contoso.onmicrosoft.com")
	if ten == nil || len(ten.Users()) != 2 || !ten.Users()[0].Admin || !ten.Users()[1].MFA {
		t.Fatalf("tenant %+v", ten)
	}
	_ = os.WriteFile(p, []byte("tenants:\n  - domain: x.onmicrosoft.com\n    userz: []\n"), 0o600)
	if _, err := LoadSeed(p); err == nil || !strings.Contains(err.Error(), "userz") {
		t.Fatalf("unknown key accepted: %v", err)
	}
	if err := New(Options{}).ApplySeed(Seed{Tenants: []SeedTenant{{TenantSpec: TenantSpec{Domain: "y.onmicrosoft.com"}, Apps: []AppSpec{{Scopes: []string{"Not.A.Scope"}}}}}}); err == nil || !strings.Contains(err.Error(), "apps[0]") {
		t.Fatalf("bad scope accepted: %v", err)
	}
}
