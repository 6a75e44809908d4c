package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/e5renew/e5renew/internal/secret"
)

// StoredToken is a refresh token kept between runs.
type StoredToken struct {
	RefreshToken secret.String
	// Seed fingerprints the refresh token the configuration held when this chain started.
	// When the owner puts a new token into the configuration, the fingerprint changes and
	// the configuration's token wins over the stored one.
	Seed    string
	Updated time.Time
}

// TokenStore keeps rotated refresh tokens. SaveToken must be durable when it returns: the
// new access token is used only after it does, so a crash never loses the only valid token.
type TokenStore interface {
	LoadToken(ctx context.Context, account string) (StoredToken, bool, error)
	SaveToken(ctx context.Context, account string, t StoredToken) error
}

// Fingerprint identifies a configured refresh token without storing it.
func Fingerprint(rt string) string {
	if rt == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("e5renew-seed\x00" + rt))
	return hex.EncodeToString(sum[:12])
}

// MemoryStore is a TokenStore in memory, for tests and one-shot runs that must not write.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]StoredToken
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string]StoredToken{}} }

// LoadToken implements TokenStore.
func (s *MemoryStore) LoadToken(_ context.Context, account string) (StoredToken, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[account]
	return t, ok, nil
}

// SaveToken implements TokenStore.
func (s *MemoryStore) SaveToken(_ context.Context, account string, t StoredToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[account] = t
	return nil
}

// FileStore keeps refresh tokens encrypted in one JSON file, replaced atomically (write a
// temporary file, fsync, rename, fsync the directory) so the file always holds either the
// old or the new token, whatever moment the process dies. One process writes a file at a
// time.
type FileStore struct {
	path string
	box  *secret.Box
	mu   sync.Mutex
}

type fileStoreData struct {
	Version  int                       `json:"version"`
	Accounts map[string]fileStoreEntry `json:"accounts"`
}

type fileStoreEntry struct {
	RefreshToken string    `json:"refresh_token"` // sealed
	Seed         string    `json:"seed,omitempty"`
	Updated      time.Time `json:"updated"`
}

// NewFileStore opens (without creating) a token file encrypted with box.
func NewFileStore(path string, box *secret.Box) *FileStore { return &FileStore{path: path, box: box} }

func tokenAD(account string) string { return "account:" + account + "|refresh_token" }

func (s *FileStore) read() (fileStoreData, error) {
	d := fileStoreData{Version: 1, Accounts: map[string]fileStoreEntry{}}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("read token store: %w", err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("token store %s is damaged (%v); move it away and sign in again", s.path, err)
	}
	if d.Accounts == nil {
		d.Accounts = map[string]fileStoreEntry{}
	}
	return d, nil
}

// LoadToken implements TokenStore.
func (s *FileStore) LoadToken(_ context.Context, account string) (StoredToken, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.read()
	if err != nil {
		return StoredToken{}, false, err
	}
	e, ok := d.Accounts[account]
	if !ok {
		return StoredToken{}, false, nil
	}
	p, err := s.box.Open(e.RefreshToken, tokenAD(account))
	if err != nil {
		return StoredToken{}, false, fmt.Errorf("token store: refresh token of %s: %w", account, err)
	}
	return StoredToken{RefreshToken: secret.String(p), Seed: e.Seed, Updated: e.Updated}, true, nil
}

// SaveToken implements TokenStore; it returns only when the token is on disk.
func (s *FileStore) SaveToken(_ context.Context, account string, t StoredToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.read()
	if err != nil {
		return err
	}
	if t.Updated.IsZero() {
		t.Updated = time.Now().UTC()
	}
	d.Accounts[account] = fileStoreEntry{RefreshToken: s.box.Seal([]byte(t.RefreshToken.Reveal()), tokenAD(account)), Seed: t.Seed, Updated: t.Updated}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(s.path, b, 0o600)
}

// WriteFileAtomic replaces path with data so that readers (and a restarted process) see
// either the old or the new content, never a mix, even if the process dies mid-write.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename durable; not supported everywhere
		d.Close()
	}
	return nil
}
