package secret

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenBindsAssociatedData(t *testing.T) {
	b, err := NewBox(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	s := b.Seal([]byte("rt-value"), "account:alice|refresh_token")
	if strings.Contains(s, "rt-value") {
		t.Fatal("plaintext visible in ciphertext")
	}
	p, err := b.Open(s, "account:alice|refresh_token")
	if err != nil || string(p) != "rt-value" {
		t.Fatalf("Open = %q, %v", p, err)
	}
	if _, err := b.Open(s, "account:bob|refresh_token"); err != ErrDecrypt {
		t.Fatalf("value moved to another account decrypted: %v", err)
	}
	other, _ := NewBox(GenerateKey())
	if _, err := other.Open(s, "account:alice|refresh_token"); err != ErrDecrypt {
		t.Fatalf("wrong key decrypted: %v", err)
	}
	if s2 := b.Seal([]byte("rt-value"), "x"); s2 == b.Seal([]byte("rt-value"), "x") {
		t.Fatal("nonces repeat")
	}
}

func TestLoadKeyCreatesPrivateFileOnce(t *testing.T) {
	t.Setenv(EnvKey, "")
	p := filepath.Join(t.TempDir(), "sub", "key")
	k1, err := LoadKey(p)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode().Perm())
	}
	k2, err := LoadKey(p)
	if err != nil || string(k1) != string(k2) {
		t.Fatal("second load returned another key")
	}
	if err := os.WriteFile(p, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(p); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged key file: %v", err)
	}
	t.Setenv(EnvKey, "bm90IGEga2V5")
	if _, err := LoadKey(p); err == nil || !strings.Contains(err.Error(), EnvKey) {
		t.Fatalf("bad env key: %v", err)
	}
}

func TestStringNeverPrints(t *testing.T) {
	s := String("hunter2-secret")
	var sb strings.Builder
	logger := slog.New(slog.NewTextHandler(&sb, nil))
	logger.Info("x", "secret", s)
	j, _ := json.Marshal(map[string]any{"s": s})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), string(j), sb.String()} {
		if strings.Contains(out, "hunter2") {
			t.Fatalf("secret printed: %s", out)
		}
	}
	if s.Reveal() != "hunter2-secret" {
		t.Fatal("Reveal")
	}
}

func TestFingerprint(t *testing.T) {
	a, _ := NewBox(GenerateKey())
	b, _ := NewBox(GenerateKey())
	f := a.Fingerprint("refresh_token", "hunter2")
	if f != a.Fingerprint("refresh_token", "hunter2") {
		t.Error("the same parts gave two fingerprints")
	}
	if f == a.Fingerprint("refresh_token", "hunter3") || f == a.Fingerprint("refresh_tokenh", "unter2") {
		t.Error("different parts gave the same fingerprint")
	}
	if f == b.Fingerprint("refresh_token", "hunter2") {
		t.Error("two keys gave the same fingerprint: it must be keyed")
	}
	if strings.Contains(f, "hunter2") || len(f) != 32 {
		t.Errorf("fingerprint %q", f)
	}
}
