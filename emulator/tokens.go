package emulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"
)

var (
	processKeyOnce sync.Once
	processKeyVal  *rsa.PrivateKey
)

// processKey is generated once per process: RSA key generation is slow and tests create
// many emulators. Tenants are random GUIDs, so tokens never cross emulators by accident.
func processKey() *rsa.PrivateKey {
	processKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic("emulator: cannot generate a signing key: " + err.Error())
		}
		processKeyVal = k
	})
	return processKeyVal
}

func keyID(k *rsa.PrivateKey) string {
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	sum := sha256.Sum256(der)
	return b64url(sum[:20])
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// accessClaims are the claims of a Graph access token (v1.0 format, as Graph receives them;
// protocol.md §1.8).
type accessClaims struct {
	Aud        string   `json:"aud"`
	Iss        string   `json:"iss"`
	Iat        int64    `json:"iat"`
	Nbf        int64    `json:"nbf"`
	Exp        int64    `json:"exp"`
	Acr        string   `json:"acr,omitempty"`
	Amr        []string `json:"amr,omitempty"`
	AppDisplay string   `json:"app_displayname,omitempty"`
	AppID      string   `json:"appid"`
	AppIDAcr   string   `json:"appidacr"`
	FamilyName string   `json:"family_name,omitempty"`
	GivenName  string   `json:"given_name,omitempty"`
	IDType     string   `json:"idtyp"`
	Name       string   `json:"name,omitempty"`
	OID        string   `json:"oid"`
	Roles      []string `json:"roles,omitempty"`
	Scp        string   `json:"scp,omitempty"`
	Sub        string   `json:"sub"`
	TenantRgn  string   `json:"tenant_region_scope,omitempty"`
	TID        string   `json:"tid"`
	UniqueName string   `json:"unique_name,omitempty"`
	UPN        string   `json:"upn,omitempty"`
	PrefUser   string   `json:"preferred_username,omitempty"`
	UTI        string   `json:"uti"`
	Ver        string   `json:"ver"`
	Wids       []string `json:"wids,omitempty"`
}

func (c *accessClaims) delegated() bool { return c.IDType == "user" }

// idClaims are the claims of an id_token (v2.0).
type idClaims struct {
	Aud      string `json:"aud"`
	Iss      string `json:"iss"`
	Iat      int64  `json:"iat"`
	Nbf      int64  `json:"nbf"`
	Exp      int64  `json:"exp"`
	Name     string `json:"name,omitempty"`
	OID      string `json:"oid"`
	PrefUser string `json:"preferred_username,omitempty"`
	Email    string `json:"email,omitempty"`
	Sub      string `json:"sub"`
	TID      string `json:"tid"`
	Nonce    string `json:"nonce,omitempty"`
	Ver      string `json:"ver"`
}

// signJWT produces header.payload.signature with RS256.
func (e *Emulator) signJWT(claims any) string {
	hdr, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "RS256", "x5t": e.kid, "kid": e.kid})
	body, _ := json.Marshal(claims)
	signing := b64url(hdr) + "." + b64url(body)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, e.key, crypto.SHA256, sum[:])
	if err != nil {
		panic("emulator: signing failed: " + err.Error())
	}
	return signing + "." + b64url(sig)
}

var (
	errTokenMalformed = errors.New("IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format.")
	errTokenSignature = errors.New("Access token validation failure.")
)

// parseAccessToken verifies an access token minted by this emulator.
func (e *Emulator) parseAccessToken(tok string) (*accessClaims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errTokenMalformed
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errTokenMalformed
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&e.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return nil, errTokenSignature
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errTokenMalformed
	}
	var c accessClaims
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, errTokenMalformed
	}
	return &c, nil
}

// refreshState is what a refresh token carries. Refresh tokens are sealed (AES-GCM) rather
// than stored, so an emulator serving many accounts for months keeps no per-token state.
type refreshState struct {
	TID    string   `json:"t"`
	UID    string   `json:"u"`
	Client string   `json:"c"`
	Scopes []string `json:"s"`
	Iat    int64    `json:"i"`
	JTI    string   `json:"j"`
	Parent string   `json:"p,omitempty"`
	MFA    bool     `json:"m,omitempty"`
	Pub    bool     `json:"b,omitempty"` // issued to a public client: redeemable without a secret
}

func (e *Emulator) sealRefresh(s refreshState) string {
	plain, _ := json.Marshal(s)
	nonce := make([]byte, e.rtKey.NonceSize())
	_, _ = rand.Read(nonce)
	sealed := e.rtKey.Seal(nonce, nonce, plain, nil)
	// Real refresh tokens are opaque strings starting "0.A" or "1.A"; keep the look.
	return "1.AXEA" + b64url(sealed)
}

func (e *Emulator) openRefresh(tok string) (*refreshState, bool) {
	if !strings.HasPrefix(tok, "1.AXEA") {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok[len("1.AXEA"):])
	if err != nil || len(raw) < e.rtKey.NonceSize() {
		return nil, false
	}
	n := e.rtKey.NonceSize()
	plain, err := e.rtKey.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return nil, false
	}
	var s refreshState
	if json.Unmarshal(plain, &s) != nil {
		return nil, false
	}
	return &s, true
}

// tokenLifetime is random between 60 and 90 minutes, as Entra's default
// (protocol.md §1.3).
func (e *Emulator) tokenLifetime() time.Duration {
	return time.Duration(3600+e.intn(1800)) * time.Second
}
