// Package secret encrypts credentials at rest with XChaCha20-Poly1305. Every value is bound
// by associated data to where it belongs (for example "account:alice|refresh_token"), so a
// ciphertext copied to another account or field does not decrypt.
//
// The key is 32 random bytes, kept in a file created with mode 0600 on first use, or given
// base64-encoded in the environment variable E5RENEW_KEY.
package secret

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// EnvKey is the environment variable that may carry the key (base64, 32 bytes).
const EnvKey = "E5RENEW_KEY"

const prefix = "x1:"

// Box seals and opens values with one key.
type Box struct {
	aead interface {
		Seal(dst, nonce, plaintext, additionalData []byte) []byte
		Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
		NonceSize() int
	}
	macKey []byte
}

// NewBox makes a box from a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	macKey, err := hkdf.Key(sha256.New, key, nil, "e5renew fingerprint", 32)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	return &Box{aead: a, macKey: macKey}, nil
}

// Fingerprint returns a keyed hash of parts (HMAC-SHA256 under a key derived from the
// box's): it tells whether credentials changed without storing anything that could be
// used to guess them, even a weak password.
func (b *Box) Fingerprint(parts ...string) string {
	m := hmac.New(sha256.New, b.macKey)
	for _, p := range parts {
		fmt.Fprintf(m, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// GenerateKey returns 32 random bytes.
func GenerateKey() []byte {
	k := make([]byte, chacha20poly1305.KeySize)
	if _, err := rand.Read(k); err != nil {
		panic("secret: no randomness: " + err.Error())
	}
	return k
}

// LoadKey returns the key from E5RENEW_KEY when set, else from path, creating the file
// (mode 0600, parent directories 0700) with a new random key when it does not exist.
func LoadKey(path string) ([]byte, error) {
	if v := strings.TrimSpace(os.Getenv(EnvKey)); v != "" {
		k, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(k) != chacha20poly1305.KeySize {
			return nil, fmt.Errorf("%s must be %d random bytes in base64 (for example the output of: head -c 32 /dev/urandom | base64)", EnvKey, chacha20poly1305.KeySize)
		}
		return k, nil
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		k, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(k) != chacha20poly1305.KeySize {
			return nil, fmt.Errorf("key file %s is damaged: it must hold %d bytes in base64; restore it from a backup (without it, stored credentials cannot be decrypted)", path, chacha20poly1305.KeySize)
		}
		if fi, serr := os.Stat(path); serr == nil && fi.Mode().Perm()&0o077 != 0 {
			_ = os.Chmod(path, 0o600)
		}
		return k, nil
	case errors.Is(err, fs.ErrNotExist):
		k := GenerateKey()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create key directory: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			if errors.Is(err, fs.ErrExist) { // created concurrently
				return LoadKey(path)
			}
			return nil, fmt.Errorf("create key file: %w", err)
		}
		if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("write key file: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("write key file: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("write key file: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("read key file: %w", err)
	}
}

// Seal encrypts plain bound to ad; the result is printable.
func (b *Box) Seal(plain []byte, ad string) string {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("secret: no randomness: " + err.Error())
	}
	ct := b.aead.Seal(nonce, nonce, plain, []byte(ad))
	return prefix + base64.RawStdEncoding.EncodeToString(ct)
}

// ErrDecrypt means a value could not be decrypted: wrong key, damaged value, or a value
// moved from another account or field.
var ErrDecrypt = errors.New("cannot decrypt: the key does not match, or the value was damaged or moved")

// Open decrypts a value sealed with the same associated data.
func (b *Box) Open(sealed, ad string) ([]byte, error) {
	if !strings.HasPrefix(sealed, prefix) {
		return nil, ErrDecrypt
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed[len(prefix):])
	if err != nil || len(raw) < b.aead.NonceSize() {
		return nil, ErrDecrypt
	}
	n := b.aead.NonceSize()
	p, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(ad))
	if err != nil {
		return nil, ErrDecrypt
	}
	return p, nil
}

// String is a secret value that never prints itself: fmt, %v, slog and JSON all show
// a mask. Use Reveal where the value is really needed.
type String string

const mask = "[redacted]"

// Reveal returns the value.
func (s String) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s String) IsZero() bool { return s == "" }

func (s String) String() string {
	if s == "" {
		return ""
	}
	return mask
}

// GoString masks %#v.
func (s String) GoString() string { return s.String() }

// MarshalJSON masks JSON output.
func (s String) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalText masks text output (YAML, slog text handler).
func (s String) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// NewRandomString returns n random bytes in unpadded base64url, for generated passwords and
// secrets.
func NewRandomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("secret: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
