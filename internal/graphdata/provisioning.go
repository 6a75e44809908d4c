package graphdata

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// Provisioning maps permission names to the GUIDs Microsoft Graph's service principal
// publishes for them: oauth2PermissionScopes ids (delegated, type "Scope") and appRoles ids
// (application, type "Role"), for the public (global) cloud.
type Provisioning struct {
	ids   map[string]map[Scheme]string // lower-case name -> scheme -> id
	names map[string]string            // lower-case name -> canonical name
	byID  map[string]string            // id -> canonical name
}

type rawProvisioning struct {
	PermissionDeployments map[string][]struct {
		ID            string `json:"id"`
		Scheme        Scheme `json:"scheme"`
		Environment   string `json:"environment"`
		IsEnabled     bool   `json:"isEnabled"`
		ResourceAppID string `json:"resourceAppId"`
	} `json:"permissionDeployments"`
}

var oidcScopes = map[string]string{
	"offline_access": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
	"openid":         "37f7f235-527c-4136-accd-4a02d197296e",
	"profile":        "14dad69e-099b-42c9-810b-d002981feec1",
	"email":          "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
}

var (
	provOnce sync.Once
	prov     *Provisioning
	provErr  error
)

// LoadProvisioning returns the permission GUIDs parsed from the embedded provisioningInfo.json.
func LoadProvisioning() (*Provisioning, error) {
	provOnce.Do(func() {
		var raw []byte
		raw, provErr = gunzip(provisioningGz)
		if provErr == nil {
			prov, provErr = ParseProvisioning(raw)
		}
	})
	return prov, provErr
}

// ParseProvisioning reads a provisioningInfo.json file, keeping Microsoft Graph's permissions
// deployed in the public cloud.
func ParseProvisioning(data []byte) (*Provisioning, error) {
	var f rawProvisioning
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse provisioningInfo.json: %w", err)
	}
	p := &Provisioning{ids: map[string]map[Scheme]string{}, names: map[string]string{}, byID: map[string]string{}}
	for name, deps := range f.PermissionDeployments {
		for _, d := range deps {
			// resourceAppId is not reliable here: several Microsoft Graph permissions carry the
			// Azure AD Graph id (00000002-...) although Graph publishes the same GUID.
			if !d.IsEnabled {
				continue
			}
			if d.Environment != "" && !strings.Contains(strings.ToLower(d.Environment), "public") {
				continue
			}
			ln := strings.ToLower(name)
			if p.ids[ln] == nil {
				p.ids[ln] = map[Scheme]string{}
			}
			graphish := d.ResourceAppID == "" || d.ResourceAppID == GraphAppID
			if _, seen := p.ids[ln][d.Scheme]; seen && !graphish {
				continue // keep the Graph entry when one name is deployed for several resources
			}
			p.ids[ln][d.Scheme] = d.ID
			p.names[ln] = name
			p.byID[strings.ToLower(d.ID)] = name
		}
	}
	// OpenID Connect scopes are not in provisioningInfo.json; their ids come from
	// permissions-descriptions.json (protocol.md section 5.4).
	for name, id := range oidcScopes {
		ln := strings.ToLower(name)
		if _, ok := p.ids[ln]; !ok {
			p.ids[ln] = map[Scheme]string{DelegatedWork: id}
			p.names[ln] = name
			p.byID[id] = name
		}
	}
	if len(p.ids) == 0 {
		return nil, fmt.Errorf("parse provisioningInfo.json: no Microsoft Graph permissions found")
	}
	return p, nil
}

// ID returns the GUID of permission name in scheme s (DelegatedWork for a Scope,
// Application for a Role).
func (p *Provisioning) ID(name string, s Scheme) (string, bool) {
	id, ok := p.ids[strings.ToLower(name)][s]
	return id, ok
}

// Name returns the canonical permission name for a GUID of either kind.
func (p *Provisioning) Name(id string) (string, bool) {
	n, ok := p.byID[strings.ToLower(id)]
	return n, ok
}

// Canonical returns the permission name spelled as Microsoft spells it.
func (p *Provisioning) Canonical(name string) (string, bool) {
	n, ok := p.names[strings.ToLower(name)]
	return n, ok
}
