package auth

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// Token is an access token with what e5renew needs to know about it. Access tokens are
// opaque to clients by contract; the claims are read (never verified) only to learn which
// permissions the token carries, so rounds can skip what it cannot do.
type Token struct {
	AccessToken string
	Expiry      time.Time
	// Scopes are the delegated permissions (scp); Roles the application permissions.
	Scopes []string
	Roles  []string
	// Delegated is true for a user token, false for an app-only token.
	Delegated bool
	TenantID  string
	ObjectID  string // the user, or the app's service principal
	UPN       string
}

// Permissions returns scp or roles, whichever the token carries.
func (t *Token) Permissions() []string {
	if t.Delegated {
		return t.Scopes
	}
	return t.Roles
}

// Has reports whether the token carries a permission (case-insensitive).
func (t *Token) Has(perm string) bool {
	for _, p := range t.Permissions() {
		if strings.EqualFold(p, perm) {
			return true
		}
	}
	return false
}

// String never shows the token itself.
func (t *Token) String() string {
	kind := "app"
	if t.Delegated {
		kind = "user " + t.UPN
	}
	return "access token (" + kind + ", expires " + t.Expiry.UTC().Format(time.RFC3339) + ")"
}

type claims struct {
	Scp        string   `json:"scp"`
	Roles      []string `json:"roles"`
	TID        string   `json:"tid"`
	OID        string   `json:"oid"`
	UPN        string   `json:"upn"`
	PrefUser   string   `json:"preferred_username"`
	UniqueName string   `json:"unique_name"`
	IDType     string   `json:"idtyp"`
	Exp        int64    `json:"exp"`
}

// newToken builds a Token from an access token and the expires_in-derived expiry.
func newToken(access string, expiry time.Time) *Token {
	t := &Token{AccessToken: access, Expiry: expiry}
	parts := strings.Split(access, ".")
	if len(parts) != 3 {
		return t
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return t
	}
	var c claims
	if json.Unmarshal(b, &c) != nil {
		return t
	}
	t.Scopes = strings.Fields(c.Scp)
	t.Roles = c.Roles
	t.Delegated = c.Scp != "" || c.IDType == "user"
	t.TenantID, t.ObjectID = c.TID, c.OID
	t.UPN = firstNonEmpty(c.UPN, c.PrefUser, c.UniqueName)
	if t.Expiry.IsZero() && c.Exp > 0 {
		t.Expiry = time.Unix(c.Exp, 0)
	}
	return t
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
