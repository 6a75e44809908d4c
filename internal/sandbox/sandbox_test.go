package sandbox

import (
	"testing"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/config"
)

func TestPopulateCyclesSignInTypesAndValidates(t *testing.T) {
	em := emulator.New(emulator.Options{})
	cfg, infos, err := Populate(em, Options{Accounts: 12, Broken: true, Endpoint: "http://127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != 14 || len(infos) != 14 {
		t.Fatalf("%d accounts", len(cfg.Accounts))
	}
	want := []string{"refresh_token", "client_credentials", "password"}
	for i := 0; i < 12; i++ {
		if cfg.Accounts[i].Type != want[i%3] {
			t.Fatalf("account %d type %s", i, cfg.Accounts[i].Type)
		}
		if em.Tenant(cfg.Accounts[i].Name+".onmicrosoft.com") == nil && cfg.Accounts[i].Name != "" {
			t.Fatalf("account %s has no tenant", cfg.Accounts[i].Name)
		}
	}
	if cfg.Accounts[10].Name != "sandbox00010" {
		t.Fatalf("11th tenant name %s", cfg.Accounts[10].Name)
	}
	if infos[12].Broken.EN == "" || infos[13].Broken.ZH == "" || infos[0].Broken.EN != "" {
		t.Fatal("broken accounts are not labelled")
	}
	// What Populate builds passes e5renew's own validation after a round trip.
	b, err := cfg.Marshal("test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := config.Parse("sandbox.yaml", b, func(string) (string, bool) { return "", false }); err != nil {
		t.Fatalf("generated configuration is invalid: %v", err)
	}
}
