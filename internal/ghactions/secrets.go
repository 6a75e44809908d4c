package ghactions

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/nacl/box"

	"github.com/e5renew/e5renew/internal/secret"
)

// MaxSecretSize is GitHub's limit for a secret's value: 48 KB.
const MaxSecretSize = 48 * 1024

// PublicKey is a repository's key for sealing secrets.
type PublicKey struct {
	KeyID string
	Key   [32]byte // Curve25519
}

// ValidateSecretName checks a name as GitHub does: only letters, digits and
// underscores; not starting with a digit; not starting with GITHUB_. Names are not
// case-sensitive (GitHub stores them in upper case), so neither is the prefix.
func ValidateSecretName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: a secret name must not be empty", ErrInvalidSecretName)
	}
	for i, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return fmt.Errorf("%w: %q: secret names may only hold letters A-Z, digits and underscores (found %q at byte %d)", ErrInvalidSecretName, name, r, i)
		}
	}
	if name[0] >= '0' && name[0] <= '9' {
		return fmt.Errorf("%w: %q: secret names must not start with a digit", ErrInvalidSecretName, name)
	}
	if strings.HasPrefix(strings.ToUpper(name), "GITHUB_") {
		return fmt.Errorf("%w: %q: secret names must not start with GITHUB_ (GitHub reserves it)", ErrInvalidSecretName, name)
	}
	return nil
}

// PublicKey fetches the repository's public key (GET
// /repos/{owner}/{repo}/actions/secrets/public-key).
func (c *Client) PublicKey(ctx context.Context) (PublicKey, error) {
	pk, _, err := c.publicKey(ctx)
	return pk, err
}

func (c *Client) publicKey(ctx context.Context) (PublicKey, *answer, error) {
	rp, err := c.repoPath()
	if err != nil {
		return PublicKey{}, nil, err
	}
	opText := "read the secrets public key of " + c.repoName()
	ans, err := c.call(ctx, answerInfo{op: opPublicKey, repo: c.repoName()}, opText, http.MethodGet, rp+"/actions/secrets/public-key", nil)
	if err != nil {
		return PublicKey{}, nil, err
	}
	var out struct {
		KeyID string `json:"key_id"`
		Key   string `json:"key"`
	}
	bad := func(why string) error {
		return &APIError{Op: opText, Method: http.MethodGet, Path: rp + "/actions/secrets/public-key", Status: ans.status,
			RequestID: ans.header.Get("X-GitHub-Request-Id"), Kind: ErrUnavailable, Err: fmt.Errorf("unexpected answer: %s", why),
			Fix: "GitHub's answer was not a public key; if GITHUB_API_URL points elsewhere than GitHub's API, correct it"}
	}
	if err := json.Unmarshal(ans.body, &out); err != nil {
		return PublicKey{}, nil, bad("not JSON")
	}
	raw, err := base64.StdEncoding.DecodeString(out.Key)
	if err != nil || len(raw) != 32 || out.KeyID == "" {
		return PublicKey{}, nil, bad("the key is not 32 bytes of base64 with a key id")
	}
	pk := PublicKey{KeyID: out.KeyID}
	copy(pk.Key[:], raw)
	return pk, ans, nil
}

// Written says whether PutSecret created a secret or replaced one.
type Written int

// Outcomes of PutSecret.
const (
	Created Written = iota + 1 // 201
	Updated                    // 204
)

func (w Written) String() string {
	switch w {
	case Created:
		return "created"
	case Updated:
		return "updated"
	}
	return "not written"
}

// Seal encrypts value for the repository key as GitHub expects: libsodium's sealed box
// (crypto_box_seal), base64-encoded.
func Seal(pk PublicKey, value []byte) (string, error) {
	sealed, err := box.SealAnonymous(nil, value, &pk.Key, rand.Reader)
	if err != nil {
		return "", fmt.Errorf("seal secret: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sealed), nil
}

// PutSecret creates or replaces the repository secret name with value: it fetches the
// repository's public key, seals the value with it and sends it with the key's id (PUT
// /repos/{owner}/{repo}/actions/secrets/{name}). An invalid name, or an empty or too
// large value, is refused before any request.
func (c *Client) PutSecret(ctx context.Context, name string, value secret.String) (Written, error) {
	if err := ValidateSecretName(name); err != nil {
		return 0, err
	}
	switch n := len(value.Reveal()); {
	case n == 0:
		return 0, fmt.Errorf("%w: refusing to write an empty value to secret %s", ErrInvalidSecretValue, name)
	case n > MaxSecretSize:
		return 0, fmt.Errorf("%w: the value for secret %s is %d bytes; GitHub limits secrets to 48 KB", ErrInvalidSecretValue, name, n)
	}
	rp, err := c.repoPath()
	if err != nil {
		return 0, err
	}
	pk, _, err := c.publicKey(ctx)
	if err != nil {
		return 0, err
	}
	enc, err := Seal(pk, []byte(value.Reveal()))
	if err != nil {
		return 0, err
	}
	body := map[string]string{"encrypted_value": enc, "key_id": pk.KeyID}
	opText := fmt.Sprintf("write secret %s to %s", name, c.repoName())
	ans, err := c.call(ctx, answerInfo{op: opPutSecret, repo: c.repoName()}, opText, http.MethodPut, rp+"/actions/secrets/"+name, body)
	if err != nil {
		return 0, err
	}
	if ans.status == http.StatusCreated {
		return Created, nil
	}
	return Updated, nil
}

// Access is what CheckAccess found.
type Access struct {
	Repo      string
	TokenKind TokenKind
	// Scopes are the scopes GitHub reported for a classic or OAuth token
	// (X-OAuth-Scopes); ScopesReported is false for other tokens, which have none.
	Scopes         []string
	ScopesReported bool
	// WriteVerified is true when the token's scopes show it may write secrets. For
	// fine-grained and App tokens GitHub lists no permissions: reading the key proved
	// "Secrets: Read"; whether it is "Read and write" shows at the first PutSecret,
	// whose error then gives the same advice.
	WriteVerified bool
	KeyID         string
	// Expires is when the token expires, when GitHub said so
	// (GitHub-Authentication-Token-Expiration).
	Expires time.Time
}

// Summary describes the access in one line, for the start of a run's log.
func (a *Access) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s for %s", a.TokenKind, a.Repo)
	if a.ScopesReported {
		fmt.Fprintf(&b, " (scopes: %s)", scopeList(a.Scopes))
	}
	if a.WriteVerified {
		b.WriteString(": can write Actions secrets")
	} else {
		b.WriteString(`: can read the secrets key; writing needs "Secrets: Read and write", checked at the first write`)
	}
	if !a.Expires.IsZero() {
		fmt.Fprintf(&b, "; the token expires %s", a.Expires.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return b.String()
}

// CheckAccess tells, before anything is done, whether the token can write the
// repository's Actions secrets, and if not, exactly what to add. Classic tokens report
// their scopes: secrets need "repo" (the documentation names no narrower scope, and
// "workflow" is not needed). Other tokens are probed by reading the public key: a 403
// then means the "Secrets" permission is missing; the workflow's own GITHUB_TOKEN can
// never write secrets, and the error says to use a personal access token stored as
// GH_TOKEN instead. A 401 means a wrong or expired token, a 404 an unknown repository
// or one the token cannot see. A classic token that works but lacks "repo" gives the
// Access found together with an *AccessError; GitHub's refusals give an *APIError.
func (c *Client) CheckAccess(ctx context.Context) (*Access, error) {
	pk, ans, err := c.publicKey(ctx)
	if err != nil {
		return nil, err
	}
	a := &Access{Repo: c.repoName(), TokenKind: KindOf(c.Token), KeyID: pk.KeyID}
	a.Scopes, a.ScopesReported = scopes(ans.header)
	if a.ScopesReported && a.TokenKind == TokenUnknown {
		a.TokenKind = TokenClassic
	}
	a.Expires = parseExpiration(ans.header.Get("GitHub-Authentication-Token-Expiration"))
	if a.ScopesReported {
		if !hasScope(a.Scopes, "repo") {
			return a, &AccessError{Repo: a.Repo, TokenKind: a.TokenKind, Scopes: a.Scopes, Missing: "repo",
				Fix: fixFor(http.StatusForbidden, answerInfo{op: opPutSecret, repo: a.Repo, kind: a.TokenKind, scopes: a.Scopes, scopesKnown: true})}
		}
		a.WriteVerified = true
	}
	return a, nil
}

// parseExpiration reads GitHub-Authentication-Token-Expiration ("2026-09-01 12:00:00
// UTC"); zero when absent or unreadable.
func parseExpiration(v string) time.Time {
	v = strings.TrimSpace(v)
	for _, layout := range []string{"2006-01-02 15:04:05 MST", "2006-01-02 15:04:05 -0700", time.RFC3339} {
		if t, err := time.Parse(layout, v); err == nil {
			return t
		}
	}
	return time.Time{}
}
