package importer

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// rcloneToken is the token JSON rclone prints and stores (golang.org/x/oauth2's Token:
// access_token, token_type, refresh_token, expiry; newer versions add expires_in). Very old
// rclone versions wrote AccessToken, RefreshToken, Expiry.
type rcloneToken struct {
	AccessToken  string
	RefreshToken string
}

// parseToken decodes an rclone token JSON. ok is false when s is not a JSON object.
func parseToken(s string) (tok rcloneToken, ok bool) {
	var raw map[string]any
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return tok, false
	}
	str := func(keys ...string) string {
		for _, k := range keys {
			if v, found := raw[k].(string); found && v != "" {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	tok.AccessToken = str("access_token", "AccessToken")
	tok.RefreshToken = str("refresh_token", "RefreshToken")
	return tok, true
}

// looksLikeToken reports whether a JSON object text has token keys.
func looksLikeToken(s string) bool {
	return strings.Contains(s, `"access_token"`) || strings.Contains(s, `"refresh_token"`) ||
		strings.Contains(s, `"AccessToken"`) || strings.Contains(s, `"RefreshToken"`)
}

// tokenHints are what the access token (a JWT for work and school accounts) says about
// itself. They are hints for the import only: the signature is not checked, and nothing
// is trusted beyond telling which app, tenant and user the token was issued for.
type tokenHints struct {
	AppID  string // appid (v1 tokens) or azp (v2)
	Tenant string // tid
	User   string // upn, unique_name, preferred_username or email
}

func jwtHints(accessToken string) tokenHints {
	var h tokenHints
	parts := strings.Split(accessToken, ".")
	if len(parts) != 3 {
		return h
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return h
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return h
	}
	str := func(k string) string {
		v, _ := claims[k].(string)
		return strings.TrimSpace(v)
	}
	for _, k := range []string{"appid", "azp"} {
		if v := str(k); isGUID(v) {
			h.AppID = strings.ToLower(v)
			break
		}
	}
	if v := str("tid"); isGUID(v) {
		h.Tenant = strings.ToLower(v)
	}
	for _, k := range []string{"upn", "unique_name", "preferred_username", "email"} {
		if v := str(k); isUPN(v) {
			h.User = v
			break
		}
	}
	return h
}

// decodeBlob decodes the base64 JSON map rclone uses to pass configuration on the command
// line (`rclone authorize "onedrive" "eyJ..."`) and to print its result in that case
// (fs/config/configmap Simple.Encode: base64.RawStdEncoding of a JSON object of strings).
func decodeBlob(s string) (map[string]string, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return nil, false
	}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.StdEncoding, base64.RawURLEncoding, base64.URLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		var raw map[string]any
		if json.Unmarshal(b, &raw) != nil {
			continue
		}
		m := map[string]string{}
		for k, v := range raw {
			if sv, ok := v.(string); ok {
				m[k] = sv
			}
		}
		return m, true
	}
	return nil, false
}
