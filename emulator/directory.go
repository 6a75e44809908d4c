package emulator

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Tenant is one emulated Entra ID tenant (one Microsoft 365 developer sandbox).
type Tenant struct {
	ID          string
	Domain      string // e.g. contoso.onmicrosoft.com
	DisplayName string

	users     map[string]*User // by object id
	usersByUP map[string]*User // by lower-case UPN
	userOrder []string

	sps     map[string]*servicePrincipal // by appId
	spByID  map[string]*servicePrincipal // by object id
	grants  []*permissionGrant
	assigns []*appRoleAssignment

	data *tenantData // Graph-visible directory and SharePoint data, created on first use
}

// User is a user in a tenant.
type User struct {
	ID          string
	UPN         string
	DisplayName string
	GivenName   string
	Surname     string
	JobTitle    string
	Password    string
	MFA         bool // sign-in requires MFA: the password grant fails with AADSTS50076
	Unlicensed  bool // no Exchange/OneDrive: mail and drive calls answer 404
	// NoDrive: the OneDrive is not provisioned yet (a new user who never opened it):
	// drive, insights and OneNote calls answer 404 while mail works.
	NoDrive         bool
	Admin           bool // global administrator: may grant tenant-wide consent
	Disabled        bool
	PasswordExpired bool
	TimeZone        string

	tokensValidFrom time.Time // refresh tokens issued before this are revoked (AADSTS50173)
	failedSignIns   int
	lockedUntil     time.Time

	tenant *Tenant
	data   *userData // mailbox, drive, notes... created on first use
}

// App is an application registration. It lives in its home tenant; a multi-tenant app
// also works in any tenant that has a service principal for it.
type App struct {
	ObjectID     string
	ClientID     string
	DisplayName  string
	HomeTenant   string
	PublicClient bool     // isFallbackPublicClient / "Allow public client flows"
	WebRedirects []string // web platform redirect URIs
	NativeRedirs []string // mobile and desktop (public client) redirect URIs
	MultiTenant  bool
	Secrets      []*Secret
	// RequiredScopes and RequiredRoles are the app's configured API permissions
	// (requiredResourceAccess), what /.default and admin consent refer to.
	RequiredScopes []string
	RequiredRoles  []string
	// PreAuthorized lists delegated scopes first-party clients may request without consent.
	PreAuthorized []string
	FirstParty    bool
	Owners        []string
	CreatedBy     string
	created       time.Time
	extra         obj // properties set through Graph that have no field here
}

// Secret is a client secret (passwordCredential).
type Secret struct {
	KeyID       string
	DisplayName string
	Value       string
	Hint        string
	Start       time.Time
	End         time.Time
}

type servicePrincipal struct {
	ID          string
	AppID       string
	DisplayName string
	created     time.Time
	byClient    bool
}

type permissionGrant struct {
	ID          string
	ClientID    string // client service principal object id
	ConsentType string // AllPrincipals or Principal
	PrincipalID string
	ResourceID  string
	Scope       string
	byClient    bool
}

type appRoleAssignment struct {
	ID          string
	PrincipalID string // client service principal object id
	ResourceID  string
	AppRoleID   string
	Created     time.Time
	byClient    bool
}

// TenantSpec seeds a tenant.
type TenantSpec struct {
	ID          string `json:"id,omitempty" yaml:"id,omitempty"`
	Domain      string `json:"domain" yaml:"domain"`
	DisplayName string `json:"displayName,omitempty" yaml:"displayName,omitempty"`
}

// UserSpec seeds a user.
type UserSpec struct {
	UPN             string `json:"upn" yaml:"upn"`
	Password        string `json:"password" yaml:"password"`
	DisplayName     string `json:"displayName,omitempty" yaml:"displayName,omitempty"`
	MFA             bool   `json:"mfa,omitempty" yaml:"mfa,omitempty"`
	Unlicensed      bool   `json:"unlicensed,omitempty" yaml:"unlicensed,omitempty"`
	NoDrive         bool   `json:"noDrive,omitempty" yaml:"noDrive,omitempty"`
	Admin           bool   `json:"admin,omitempty" yaml:"admin,omitempty"`
	Disabled        bool   `json:"disabled,omitempty" yaml:"disabled,omitempty"`
	PasswordExpired bool   `json:"passwordExpired,omitempty" yaml:"passwordExpired,omitempty"`
	TimeZone        string `json:"timeZone,omitempty" yaml:"timeZone,omitempty"`
}

// SecretSpec seeds a client secret. A zero End means two years from now (Graph's default).
type SecretSpec struct {
	Value string    `json:"value" yaml:"value"`
	KeyID string    `json:"keyId,omitempty" yaml:"keyId,omitempty"`
	End   time.Time `json:"end,omitempty" yaml:"end,omitempty"`
}

// AppSpec seeds an application registration in its home tenant, with admin consent already
// granted there for Scopes (delegated) and Roles (application).
type AppSpec struct {
	ClientID     string       `json:"clientId,omitempty" yaml:"clientId,omitempty"`
	DisplayName  string       `json:"displayName,omitempty" yaml:"displayName,omitempty"`
	PublicClient bool         `json:"publicClient,omitempty" yaml:"publicClient,omitempty"`
	MultiTenant  bool         `json:"multiTenant,omitempty" yaml:"multiTenant,omitempty"`
	RedirectURIs []string     `json:"redirectUris,omitempty" yaml:"redirectUris,omitempty"`
	NativeURIs   []string     `json:"nativeRedirectUris,omitempty" yaml:"nativeRedirectUris,omitempty"`
	Secrets      []SecretSpec `json:"secrets,omitempty" yaml:"secrets,omitempty"`
	Scopes       []string     `json:"scopes,omitempty" yaml:"scopes,omitempty"`
	Roles        []string     `json:"roles,omitempty" yaml:"roles,omitempty"`
	// NoConsent registers the permissions without granting them (consent missing).
	NoConsent bool `json:"noConsent,omitempty" yaml:"noConsent,omitempty"`
}

// AddTenant creates a tenant. A missing ID is generated; a missing domain is derived.
func (e *Emulator) AddTenant(spec TenantSpec) (*Tenant, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addTenantLocked(spec)
}

func (e *Emulator) addTenantLocked(spec TenantSpec) (*Tenant, error) {
	if spec.ID == "" {
		spec.ID = newGUID()
	}
	spec.ID = strings.ToLower(spec.ID)
	if !isGUID(spec.ID) {
		return nil, fmt.Errorf("tenant id %q is not a GUID", spec.ID)
	}
	if spec.Domain == "" {
		spec.Domain = "m365x" + spec.ID[:6] + ".onmicrosoft.com"
	}
	spec.Domain = strings.ToLower(spec.Domain)
	if _, ok := e.tenants[spec.ID]; ok {
		return nil, fmt.Errorf("tenant %s already exists", spec.ID)
	}
	if _, ok := e.tenantByDomain[spec.Domain]; ok {
		return nil, fmt.Errorf("a tenant with domain %s already exists", spec.Domain)
	}
	if spec.DisplayName == "" {
		spec.DisplayName = strings.ToUpper(spec.Domain[:1]) + strings.SplitN(spec.Domain, ".", 2)[0][1:]
	}
	t := &Tenant{
		ID: spec.ID, Domain: spec.Domain, DisplayName: spec.DisplayName,
		users: map[string]*User{}, usersByUP: map[string]*User{},
		sps: map[string]*servicePrincipal{}, spByID: map[string]*servicePrincipal{},
	}
	e.tenants[t.ID] = t
	e.tenantByDomain[t.Domain] = t
	// Every tenant has Microsoft Graph's service principal and the first-party clients.
	e.ensureSPLocked(t, graphAppID, "Microsoft Graph", false)
	for _, fp := range e.firstParty {
		e.ensureSPLocked(t, fp.ClientID, fp.DisplayName, false)
	}
	return t, nil
}

// AddUser creates a user in a tenant.
func (e *Emulator) AddUser(tenantID string, spec UserSpec) (*User, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.tenantLocked(tenantID)
	if t == nil {
		return nil, fmt.Errorf("tenant %q not found", tenantID)
	}
	return e.addUserLocked(t, spec)
}

func (e *Emulator) addUserLocked(t *Tenant, spec UserSpec) (*User, error) {
	upn := strings.ToLower(strings.TrimSpace(spec.UPN))
	if !strings.Contains(upn, "@") {
		upn = upn + "@" + t.Domain
	}
	if _, ok := t.usersByUP[upn]; ok {
		return nil, fmt.Errorf("user %s already exists", upn)
	}
	if spec.Password == "" {
		return nil, errors.New("user " + upn + ": a password is required")
	}
	local := strings.SplitN(upn, "@", 2)[0]
	given, sur := splitName(local)
	if spec.DisplayName == "" {
		spec.DisplayName = strings.TrimSpace(given + " " + sur)
	}
	if spec.TimeZone == "" {
		spec.TimeZone = "China Standard Time"
	}
	u := &User{
		ID: newGUID(), UPN: upn, DisplayName: spec.DisplayName, GivenName: given, Surname: sur,
		JobTitle: jobTitles[len(t.userOrder)%len(jobTitles)],
		Password: spec.Password, MFA: spec.MFA, Unlicensed: spec.Unlicensed, NoDrive: spec.NoDrive, Admin: spec.Admin,
		Disabled: spec.Disabled, PasswordExpired: spec.PasswordExpired, TimeZone: spec.TimeZone,
		tenant: t,
	}
	t.users[u.ID] = u
	t.usersByUP[upn] = u
	t.userOrder = append(t.userOrder, u.ID)
	return u, nil
}

// AddApp registers an application in a tenant and grants the consent its spec asks for.
func (e *Emulator) AddApp(tenantID string, spec AppSpec) (*App, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.tenantLocked(tenantID)
	if t == nil {
		return nil, fmt.Errorf("tenant %q not found", tenantID)
	}
	return e.addAppLocked(t, spec)
}

func (e *Emulator) addAppLocked(t *Tenant, spec AppSpec) (*App, error) {
	if spec.ClientID == "" {
		spec.ClientID = newGUID()
	}
	spec.ClientID = strings.ToLower(spec.ClientID)
	if !isGUID(spec.ClientID) {
		return nil, fmt.Errorf("client id %q is not a GUID", spec.ClientID)
	}
	if _, ok := e.apps[spec.ClientID]; ok {
		return nil, fmt.Errorf("an application with client id %s already exists", spec.ClientID)
	}
	if spec.DisplayName == "" {
		spec.DisplayName = "e5renew"
	}
	scopes, err := e.canonicalScopes(spec.Scopes)
	if err != nil {
		return nil, err
	}
	roles, err := e.canonicalRoles(spec.Roles)
	if err != nil {
		return nil, err
	}
	a := &App{
		ObjectID: newGUID(), ClientID: spec.ClientID, DisplayName: spec.DisplayName, HomeTenant: t.ID,
		PublicClient: spec.PublicClient, MultiTenant: spec.MultiTenant,
		WebRedirects: spec.RedirectURIs, NativeRedirs: spec.NativeURIs,
		RequiredScopes: scopes, RequiredRoles: roles, created: e.now(),
	}
	for _, s := range spec.Secrets {
		if _, err := e.addSecretLocked(a, s); err != nil {
			return nil, err
		}
	}
	e.apps[a.ClientID] = a
	sp := e.ensureSPLocked(t, a.ClientID, a.DisplayName, false)
	if !spec.NoConsent {
		if len(scopes) > 0 {
			e.grantDelegatedLocked(t, sp, "", scopes, false)
		}
		for _, r := range roles {
			e.assignRoleLocked(t, sp, r, false)
		}
	}
	return a, nil
}

// AddSecret adds a client secret to an app. It returns the secret's value and key id.
func (e *Emulator) AddSecret(clientID string, spec SecretSpec) (value, keyID string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.apps[strings.ToLower(clientID)]
	if a == nil {
		return "", "", fmt.Errorf("application %s not found", clientID)
	}
	s, err := e.addSecretLocked(a, spec)
	if err != nil {
		return "", "", err
	}
	return s.Value, s.KeyID, nil
}

func (e *Emulator) addSecretLocked(a *App, spec SecretSpec) (*Secret, error) {
	if spec.Value == "" {
		spec.Value = newSecretValue()
	}
	if spec.KeyID == "" {
		spec.KeyID = newGUID()
	}
	now := e.now()
	if spec.End.IsZero() {
		spec.End = now.AddDate(2, 0, 0)
	}
	hint := spec.Value
	if len(hint) > 3 {
		hint = hint[:3]
	}
	s := &Secret{KeyID: strings.ToLower(spec.KeyID), Value: spec.Value, Hint: hint, Start: now, End: spec.End}
	a.Secrets = append(a.Secrets, s)
	return s, nil
}

// ExpireSecrets moves the end date of every secret of an app into the past.
func (e *Emulator) ExpireSecrets(clientID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.apps[strings.ToLower(clientID)]
	if a == nil {
		return fmt.Errorf("application %s not found", clientID)
	}
	for _, s := range a.Secrets {
		s.End = e.now().Add(-time.Hour)
	}
	return nil
}

// Consent grants delegated scopes to an app in a tenant: for every user when upn is empty
// (admin consent, consentType AllPrincipals), or for one user.
func (e *Emulator) Consent(tenantID, clientID, upn string, scopes []string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.tenantLocked(tenantID)
	if t == nil {
		return fmt.Errorf("tenant %q not found", tenantID)
	}
	a := e.appLocked(clientID)
	if a == nil {
		return fmt.Errorf("application %s not found", clientID)
	}
	cs, err := e.canonicalScopes(scopes)
	if err != nil {
		return err
	}
	principal := ""
	if upn != "" {
		u := t.usersByUP[strings.ToLower(upn)]
		if u == nil {
			return fmt.Errorf("user %s not found", upn)
		}
		principal = u.ID
	}
	sp := e.ensureSPLocked(t, a.ClientID, a.DisplayName, false)
	e.grantDelegatedLocked(t, sp, principal, cs, false)
	return nil
}

// RevokeConsent removes every delegated grant and app role assignment of an app in a tenant.
func (e *Emulator) RevokeConsent(tenantID, clientID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.tenantLocked(tenantID)
	if t == nil {
		return fmt.Errorf("tenant %q not found", tenantID)
	}
	sp := t.sps[strings.ToLower(clientID)]
	if sp == nil {
		return fmt.Errorf("application %s has no service principal in %s", clientID, t.Domain)
	}
	t.grants = filter(t.grants, func(g *permissionGrant) bool { return g.ClientID != sp.ID })
	t.assigns = filter(t.assigns, func(a *appRoleAssignment) bool { return a.PrincipalID != sp.ID })
	return nil
}

// RemoveServicePrincipal deletes an app's service principal from a tenant, so the app is
// no longer found there (AADSTS700016).
func (e *Emulator) RemoveServicePrincipal(tenantID, clientID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.tenantLocked(tenantID)
	if t == nil {
		return fmt.Errorf("tenant %q not found", tenantID)
	}
	sp := t.sps[strings.ToLower(clientID)]
	if sp == nil {
		return fmt.Errorf("application %s has no service principal in %s", clientID, t.Domain)
	}
	e.deleteSPLocked(t, sp)
	return nil
}

func (e *Emulator) deleteSPLocked(t *Tenant, sp *servicePrincipal) {
	delete(t.sps, sp.AppID)
	delete(t.spByID, sp.ID)
	t.grants = filter(t.grants, func(g *permissionGrant) bool { return g.ClientID != sp.ID })
	t.assigns = filter(t.assigns, func(a *appRoleAssignment) bool { return a.PrincipalID != sp.ID })
}

// RevokeSessions invalidates every refresh token of a user ("revoke all sessions"), as an
// administrator or a password reset would (AADSTS50173 afterwards).
func (e *Emulator) RevokeSessions(tenantID, upn string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, err := e.userLocked(tenantID, upn)
	if err != nil {
		return err
	}
	u.tokensValidFrom = e.now()
	return nil
}

// SetPassword changes a user's password and, as Entra does for public-client tokens,
// revokes the user's refresh tokens.
func (e *Emulator) SetPassword(tenantID, upn, password string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, err := e.userLocked(tenantID, upn)
	if err != nil {
		return err
	}
	u.Password = password
	u.tokensValidFrom = e.now()
	return nil
}

// UpdateUser changes a user's sign-in flags.
func (e *Emulator) UpdateUser(tenantID, upn string, change func(u *User)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, err := e.userLocked(tenantID, upn)
	if err != nil {
		return err
	}
	change(u)
	return nil
}

func (e *Emulator) userLocked(tenantID, upn string) (*User, error) {
	t := e.tenantLocked(tenantID)
	if t == nil {
		return nil, fmt.Errorf("tenant %q not found", tenantID)
	}
	u := t.usersByUP[strings.ToLower(upn)]
	if u == nil {
		return nil, fmt.Errorf("user %s not found in %s", upn, t.Domain)
	}
	return u, nil
}

// Tenant returns a tenant by id or domain.
func (e *Emulator) Tenant(idOrDomain string) *Tenant {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.tenantLocked(idOrDomain)
}

func (e *Emulator) tenantLocked(idOrDomain string) *Tenant {
	k := strings.ToLower(idOrDomain)
	if t := e.tenants[k]; t != nil {
		return t
	}
	return e.tenantByDomain[k]
}

func (e *Emulator) appLocked(clientID string) *App {
	k := strings.ToLower(clientID)
	if a := e.apps[k]; a != nil {
		return a
	}
	for _, fp := range e.firstParty {
		if fp.ClientID == k {
			return fp
		}
	}
	return nil
}

// Users lists a tenant's users in creation order.
func (t *Tenant) Users() []*User {
	out := make([]*User, 0, len(t.userOrder))
	for _, id := range t.userOrder {
		if u := t.users[id]; u != nil {
			out = append(out, u)
		}
	}
	return out
}

func (t *Tenant) userByIDOrUPN(s string) *User {
	s = strings.ToLower(s)
	if u := t.users[s]; u != nil {
		return u
	}
	return t.usersByUP[s]
}

func (e *Emulator) ensureSPLocked(t *Tenant, appID, name string, byClient bool) *servicePrincipal {
	if sp := t.sps[appID]; sp != nil {
		return sp
	}
	sp := &servicePrincipal{ID: newGUID(), AppID: appID, DisplayName: name, created: e.now(), byClient: byClient}
	t.sps[appID] = sp
	t.spByID[sp.ID] = sp
	return sp
}

func (t *Tenant) graphSP() *servicePrincipal { return t.sps[graphAppID] }

func (e *Emulator) grantDelegatedLocked(t *Tenant, sp *servicePrincipal, principal string, scopes []string, byClient bool) *permissionGrant {
	ct := "AllPrincipals"
	if principal != "" {
		ct = "Principal"
	}
	for _, g := range t.grants {
		if g.ClientID == sp.ID && g.ConsentType == ct && g.PrincipalID == principal {
			g.Scope = joinScopes(unionFold(strings.Fields(g.Scope), scopes))
			return g
		}
	}
	g := &permissionGrant{ID: newGrantID(), ClientID: sp.ID, ConsentType: ct, PrincipalID: principal,
		ResourceID: t.graphSP().ID, Scope: joinScopes(scopes), byClient: byClient}
	t.grants = append(t.grants, g)
	return g
}

func (e *Emulator) assignRoleLocked(t *Tenant, sp *servicePrincipal, role string, byClient bool) *appRoleAssignment {
	id, _ := e.prov.ID(role, "Application")
	for _, a := range t.assigns {
		if a.PrincipalID == sp.ID && a.AppRoleID == id {
			return a
		}
	}
	a := &appRoleAssignment{ID: newGrantID(), PrincipalID: sp.ID, ResourceID: t.graphSP().ID, AppRoleID: id, Created: e.now(), byClient: byClient}
	t.assigns = append(t.assigns, a)
	return a
}

// consentedScopes lists the delegated Graph scopes a client holds for a user in a tenant:
// tenant-wide grants, grants to the user, and a first-party client's pre-authorised scopes.
func (e *Emulator) consentedScopesLocked(t *Tenant, a *App, u *User) []string {
	var out []string
	if a.FirstParty {
		out = append(out, a.PreAuthorized...)
	}
	sp := t.sps[a.ClientID]
	if sp == nil {
		return out
	}
	for _, g := range t.grants {
		if g.ClientID == sp.ID && (g.ConsentType == "AllPrincipals" || (u != nil && g.PrincipalID == u.ID)) {
			for _, s := range strings.Fields(g.Scope) {
				if !oidc[strings.ToLower(s)] { // OpenID scopes are added per request
					out = unionFold(out, []string{s})
				}
			}
		}
	}
	return out
}

// appRolesLocked lists the application permissions (role names) granted to a client.
func (e *Emulator) appRolesLocked(t *Tenant, a *App) []string {
	sp := t.sps[a.ClientID]
	if sp == nil {
		return nil
	}
	var out []string
	for _, as := range t.assigns {
		if as.PrincipalID == sp.ID {
			if n, ok := e.prov.Name(as.AppRoleID); ok {
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// canonicalScopes checks delegated Graph scope names against the official data and spells
// them as Microsoft does.
func (e *Emulator) canonicalScopes(in []string) ([]string, error) {
	var out []string
	for _, s := range in {
		if oidc[strings.ToLower(s)] {
			continue
		}
		c, ok := e.delegatedNames[strings.ToLower(s)]
		if !ok {
			return nil, fmt.Errorf("%q is not a Microsoft Graph delegated permission", s)
		}
		out = unionFold(out, []string{c})
	}
	return out, nil
}

func (e *Emulator) canonicalRoles(in []string) ([]string, error) {
	var out []string
	for _, s := range in {
		c, ok := e.appNames[strings.ToLower(s)]
		if !ok {
			return nil, fmt.Errorf("%q is not a Microsoft Graph application permission", s)
		}
		out = unionFold(out, []string{c})
	}
	return out, nil
}

var oidc = map[string]bool{"openid": true, "profile": true, "email": true, "offline_access": true}

func unionFold(a, b []string) []string {
	for _, s := range b {
		found := false
		for _, x := range a {
			if strings.EqualFold(x, s) {
				found = true
				break
			}
		}
		if !found {
			a = append(a, s)
		}
	}
	return a
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func joinScopes(s []string) string { return strings.Join(s, " ") }

func filter[T any](in []T, keep func(T) bool) []T {
	out := in[:0]
	for _, x := range in {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

func splitName(local string) (string, string) {
	local = strings.NewReplacer(".", " ", "_", " ", "-", " ").Replace(local)
	parts := strings.Fields(local)
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	switch len(parts) {
	case 0:
		return "User", ""
	case 1:
		return parts[0], ""
	default:
		return parts[0], strings.Join(parts[1:], " ")
	}
}

var jobTitles = []string{"Developer", "Product Manager", "Designer", "Test Engineer", "Data Analyst", "Support Engineer", "Marketing Lead", "Architect"}

// Seed describes tenants with their users and apps, as a file for `e5renew emulator --seed`.
type Seed struct {
	Tenants []SeedTenant `json:"tenants" yaml:"tenants"`
}

// SeedTenant is one tenant of a Seed.
type SeedTenant struct {
	TenantSpec `yaml:",inline"`
	Users      []UserSpec `json:"users" yaml:"users"`
	Apps       []AppSpec  `json:"apps" yaml:"apps"`
}

// ApplySeed creates everything a Seed describes.
func (e *Emulator) ApplySeed(s Seed) error {
	for i, st := range s.Tenants {
		t, err := e.AddTenant(st.TenantSpec)
		if err != nil {
			return fmt.Errorf("tenants[%d]: %w", i, err)
		}
		for j, u := range st.Users {
			if _, err := e.AddUser(t.ID, u); err != nil {
				return fmt.Errorf("tenants[%d].users[%d]: %w", i, j, err)
			}
		}
		for j, a := range st.Apps {
			if _, err := e.AddApp(t.ID, a); err != nil {
				return fmt.Errorf("tenants[%d].apps[%d]: %w", i, j, err)
			}
		}
	}
	return nil
}
