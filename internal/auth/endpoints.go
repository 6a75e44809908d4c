// Package auth signs e5renew's accounts in to the Microsoft identity platform: refresh
// tokens (rotation persisted before the new access token is used), client credentials
// (application mode), the password grant (ROPC), the device code flow and the authorization
// code flow with PKCE. Every token error is classified from its `error` and `error_codes`
// into "needs the owner" or "transient", with a message in English and Chinese.
package auth

import (
	"fmt"
	"sort"
	"strings"
)

// Cloud is a Microsoft national cloud: where to sign in and where Graph lives.
type Cloud struct {
	Name      string
	Authority string // e.g. https://login.microsoftonline.com
	Graph     string // e.g. https://graph.microsoft.com
}

// Clouds are the selectable clouds by name.
var Clouds = map[string]Cloud{
	"global":    {Name: "global", Authority: "https://login.microsoftonline.com", Graph: "https://graph.microsoft.com"},
	"china":     {Name: "china", Authority: "https://login.chinacloudapi.cn", Graph: "https://microsoftgraph.chinacloudapi.cn"},
	"usgov":     {Name: "usgov", Authority: "https://login.microsoftonline.us", Graph: "https://graph.microsoft.us"},
	"usgov-dod": {Name: "usgov-dod", Authority: "https://login.microsoftonline.us", Graph: "https://dod-graph.microsoft.us"},
}

// CloudNames lists the cloud names, sorted.
func CloudNames() []string {
	var out []string
	for k := range Clouds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// LookupCloud finds a cloud by name (case-insensitive; "21vianet" and "gcchigh" are aliases).
func LookupCloud(name string) (Cloud, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "", "public", "azurecloud":
		n = "global"
	case "21vianet", "azurechinacloud", "cn":
		n = "china"
	case "gcchigh", "usgovernment", "l4":
		n = "usgov"
	case "dod", "l5":
		n = "usgov-dod"
	}
	c, ok := Clouds[n]
	if !ok {
		return Cloud{}, fmt.Errorf("unknown cloud %q: use one of %s", name, strings.Join(CloudNames(), ", "))
	}
	return c, nil
}

// Endpoints are the base URLs in use (a cloud, possibly overridden for tests or proxies).
type Endpoints struct {
	Authority string
	Graph     string
}

// TokenURL is the v2.0 token endpoint for a tenant segment.
func (e Endpoints) TokenURL(tenant string) string {
	return strings.TrimRight(e.Authority, "/") + "/" + tenantOrCommon(tenant) + "/oauth2/v2.0/token"
}

// DeviceCodeURL is the v2.0 device authorization endpoint.
func (e Endpoints) DeviceCodeURL(tenant string) string {
	return strings.TrimRight(e.Authority, "/") + "/" + tenantOrCommon(tenant) + "/oauth2/v2.0/devicecode"
}

// AuthorizeURL is the v2.0 authorization endpoint.
func (e Endpoints) AuthorizeURL(tenant string) string {
	return strings.TrimRight(e.Authority, "/") + "/" + tenantOrCommon(tenant) + "/oauth2/v2.0/authorize"
}

// GraphResource is the resource identifier used in scopes: the cloud's Graph URL.
func (e Endpoints) GraphResource() string {
	g := strings.TrimRight(e.Graph, "/")
	for _, c := range Clouds {
		if strings.EqualFold(c.Graph, g) {
			return c.Graph
		}
	}
	// A test emulator or proxy: Graph identifies itself by its global name.
	return Clouds["global"].Graph
}

// DefaultScope is "{graph}/.default", the only scope client credentials accept.
func (e Endpoints) DefaultScope() string { return e.GraphResource() + "/.default" }

// QualifyScopes turns short Graph scope names into full ones for national clouds, where
// the short form would name the global Graph; OpenID scopes stay as they are.
func (e Endpoints) QualifyScopes(scopes []string) []string {
	res := e.GraphResource()
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		switch strings.ToLower(s) {
		case "openid", "profile", "email", "offline_access":
			out = append(out, s)
			continue
		}
		if res == Clouds["global"].Graph || strings.Contains(s, "/") {
			out = append(out, s)
		} else {
			out = append(out, res+"/"+s)
		}
	}
	return out
}

func tenantOrCommon(t string) string {
	if strings.TrimSpace(t) == "" {
		return "common"
	}
	return strings.TrimSpace(t)
}
