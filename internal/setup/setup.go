// Package setup registers e5renew's application in a Microsoft 365 tenant through
// Microsoft Graph, idempotently (protocol.md §5): the app registration (a public client
// for device code sign-in, with the Graph permissions e5renew needs), optionally a client
// secret, the service principal, tenant-wide delegated consent and, for application mode,
// the app role assignments.
//
// Typical use (the `e5renew setup` command):
//
//	flow := setup.AdminDeviceFlow(endpoints, tenant) // Azure CLI client, /.default
//	dc, _ := flow.Start(ctx)                          // show dc.Message
//	grant, _ := flow.Wait(ctx, dc, nil)
//	client := graph.New(setup.StaticToken(grant.Token), graph.Options{BaseURL: endpoints.Graph})
//	cfg := setup.DefaultConfig()
//	cfg.Application, cfg.Token = true, grant.Token
//	res, err := setup.Run(ctx, client, cfg)           // res.ClientID, res.TenantID, res.Secret
//
// Run may be repeated at any time: on a finished setup it changes nothing and reports every
// step as already fine; on a half-finished one it completes what is missing. It never
// removes anything (permissions, scopes, roles, secrets) it did not create in that run.
//
// How the app is recognised: Run looks for applications whose displayName equals the
// configured name. Among them, the one carrying the tag "e5renew-managed" (Tag) is ours.
// If none carries the tag and exactly one has the name (an app registered by hand from
// the manual steps), it is adopted and the tag added. Several candidates are an error
// that asks for Config.ClientID, which pins the app by its client id (appId) and is what
// the setup command should pass once it knows it.
package setup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/clock"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/graphdata"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/secret"
)

// Constants of the registration.
const (
	// AzureCLIClientID is Microsoft's first-party Azure CLI public client, pre-authorised
	// for Application.ReadWrite.All, AppRoleAssignment.ReadWrite.All and
	// DelegatedPermissionGrant.ReadWrite.All on Microsoft Graph (protocol.md §5.1).
	AzureCLIClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	// DefaultDisplayName is the app's name unless configured otherwise.
	DefaultDisplayName = "e5renew"
	// DefaultSecretLifetime is two years (730 days), Graph's own default for addPassword.
	DefaultSecretLifetime = 730 * 24 * time.Hour
	// Tag marks the application as e5renew's (application.tags).
	Tag = "e5renew-managed"
	// Notes is written to application.notes for people looking at the app in the portal.
	Notes = "Registered by e5renew setup (https://github.com/e5renew/e5renew). The tag e5renew-managed lets e5renew find this app again; keep it."
	// SecretPrefix starts the displayName of every secret e5renew adds.
	SecretPrefix = "e5renew "
	// RedirectURI is the public-client (mobile and desktop) redirect URI: loopback for the
	// authorization code flow; device code sign-in needs none but the platform entry.
	RedirectURI = "http://localhost"
)

// Directory role template ids that may grant tenant-wide consent.
const (
	RoleGlobalAdministrator          = "62e90394-69f5-4237-9190-012177145e10"
	RolePrivilegedRoleAdministrator  = "e8611ab8-c189-46e8-94e1-60213ab1f814"
	RoleCloudApplicationAdministator = "158c047a-c907-4556-b7ef-446551a6b5f7"
	RoleApplicationAdministrator     = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
)

// AdminDeviceFlow is the device code sign-in of the tenant's administrator for Run: the
// Azure CLI client asking for https://graph.microsoft.com/.default (its pre-authorised
// set). tenant may be empty ("organizations"). Set Common.HTTPClient, Sleep... on the
// result as needed.
func AdminDeviceFlow(endpoints auth.Endpoints, tenant string) *auth.DeviceFlow {
	return &auth.DeviceFlow{
		Common:   auth.Common{Account: "setup", Endpoints: endpoints},
		Tenant:   tenant,
		ClientID: AzureCLIClientID,
		Scopes:   []string{endpoints.DefaultScope()},
	}
}

// StaticToken is a graph.TokenSource handing out one access token, such as the
// administrator's from AdminDeviceFlow (auth.Grant.Token). Setup takes seconds; the token
// lives an hour or more.
func StaticToken(t *auth.Token) graph.TokenSource { return staticToken{t} }

type staticToken struct{ t *auth.Token }

func (s staticToken) AccessToken(context.Context) (string, error) {
	if s.t == nil || s.t.AccessToken == "" {
		return "", errors.New("setup: no access token")
	}
	return s.t.AccessToken, nil
}

func (staticToken) Invalidate() {}

// Config says what to register. The zero value registers a delegated-only app named
// "e5renew" with the default scopes; DefaultConfig adds the default secret lifetime.
type Config struct {
	// DisplayName of the app; DefaultDisplayName when empty.
	DisplayName string
	// ClientID pins an existing app by its client id (appId); Run fails if it is not
	// found. Empty: recognise the app by name and tag, or create it.
	ClientID string
	// Scopes are the delegated permissions (names); DefaultScopes() when empty. The OpenID
	// scopes (offline_access, openid, profile) are always added.
	Scopes []string
	// Roles are the application permissions (names) for application mode; DefaultRoles()
	// when empty. Ignored unless Application is set.
	Roles []string
	// Application asks for application mode: the roles in requiredResourceAccess and
	// assigned (admin consent), and a client secret.
	Application bool
	// SecretLifetime of a new secret in application mode. 0 means no secret is created
	// (DefaultConfig sets DefaultSecretLifetime).
	SecretLifetime time.Duration
	// NewSecret adds a secret even when a valid e5renew secret exists (its value cannot be
	// read back, so this is how a lost secret is replaced; old secrets are kept).
	NewSecret bool
	// Token is the administrator's access token, optional. When set, its scp (or roles)
	// are checked against the official permission data before anything changes.
	Token *auth.Token
	// SkipRoleCheck skips the check, before any change, that the signed-in user holds a
	// directory role that may grant admin consent (for roles reached in ways
	// /me/transitiveMemberOf does not show).
	SkipRoleCheck bool
	// Now is the clock for secret dates; nil means time.Now.
	Now func() time.Time
	// Sleep waits between retries while a just-created object replicates in the
	// directory; nil means the real clock.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultConfig is the zero Config with DefaultDisplayName and DefaultSecretLifetime.
func DefaultConfig() Config {
	return Config{DisplayName: DefaultDisplayName, SecretLifetime: DefaultSecretLifetime}
}

func (c Config) withDefaults() Config {
	if strings.TrimSpace(c.DisplayName) == "" {
		c.DisplayName = DefaultDisplayName
	}
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes()
	}
	if len(c.Roles) == 0 && c.Application {
		c.Roles = DefaultRoles()
	}
	return c
}

func (c Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c Config) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	return clock.Sleep(ctx, d)
}

// StepKind names a step of the setup.
type StepKind string

// The steps, in the order Run performs them.
const (
	StepApplication      StepKind = "application"
	StepSecret           StepKind = "secret"
	StepServicePrincipal StepKind = "service-principal"
	StepDelegatedConsent StepKind = "delegated-consent"
	StepAppConsent       StepKind = "application-consent"
)

// Status is what a step did.
type Status string

// The step outcomes.
const (
	Created     Status = "created"
	Repaired    Status = "repaired"
	AlreadyFine Status = "already-fine"
	Skipped     Status = "skipped"
)

// Step reports one step.
type Step struct {
	Kind   StepKind
	Status Status
	Detail i18n.Text // what was done or found, never a secret
}

// Result is the registration as it stands after Run.
type Result struct {
	ObjectID                string // the application's object id
	ClientID                string // appId: the client id e5renew signs in with
	TenantID                string
	DisplayName             string
	ServicePrincipalID      string
	GraphServicePrincipalID string
	// Secret is the value of the secret created by this run, empty when none was
	// created. It is returned only once by Graph: store it now.
	Secret secret.String
	// SecretKeyID and SecretEnd describe the secret created, or else the valid e5renew
	// secret found (whose value Graph never shows again).
	SecretKeyID string
	SecretEnd   time.Time
	Steps       []Step
	// Scopes are the delegated permissions now granted tenant-wide, Roles the application
	// permissions now assigned; sorted.
	Scopes []string
	Roles  []string
}

// Changed reports whether any step changed the tenant.
func (r *Result) Changed() bool {
	for _, s := range r.Steps {
		if s.Status == Created || s.Status == Repaired {
			return true
		}
	}
	return false
}

// Step returns the step of a kind.
func (r *Result) Step(k StepKind) (Step, bool) {
	for _, s := range r.Steps {
		if s.Kind == k {
			return s, true
		}
	}
	return Step{}, false
}

// Describe summarises the result in lang, without the secret's value.
func (r *Result) Describe(lang i18n.Lang) string {
	var b strings.Builder
	row := func(k i18n.Text, v string) { fmt.Fprintf(&b, "%-26s %s\n", k.In(lang)+":", v) }
	row(i18n.Text{EN: "Application (client) ID", ZH: "应用程序(客户端) ID"}, r.ClientID)
	row(i18n.Text{EN: "Directory (tenant) ID", ZH: "目录(租户) ID"}, r.TenantID)
	row(i18n.Text{EN: "Application object ID", ZH: "应用程序对象 ID"}, r.ObjectID)
	row(i18n.Text{EN: "Service principal ID", ZH: "服务主体 ID"}, r.ServicePrincipalID)
	if r.SecretKeyID != "" {
		row(i18n.Text{EN: "Secret ID / expires", ZH: "机密 ID / 到期"}, r.SecretKeyID+" / "+r.SecretEnd.UTC().Format(time.RFC3339))
	}
	row(i18n.Text{EN: "Delegated permissions", ZH: "委托的权限"}, strings.Join(r.Scopes, " "))
	if len(r.Roles) > 0 {
		row(i18n.Text{EN: "Application permissions", ZH: "应用程序权限"}, strings.Join(r.Roles, " "))
	}
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "  [%s] %s: %s\n", statusText(s.Status).In(lang), stepText(s.Kind).In(lang), s.Detail.In(lang))
	}
	return b.String()
}

func statusText(s Status) i18n.Text {
	switch s {
	case Created:
		return i18n.Text{EN: "created", ZH: "已创建"}
	case Repaired:
		return i18n.Text{EN: "repaired", ZH: "已修复"}
	case AlreadyFine:
		return i18n.Text{EN: "already fine", ZH: "无需更改"}
	}
	return i18n.Text{EN: "skipped", ZH: "已跳过"}
}

func stepText(k StepKind) i18n.Text {
	switch k {
	case StepApplication:
		return i18n.Text{EN: "application", ZH: "应用程序"}
	case StepSecret:
		return i18n.Text{EN: "client secret", ZH: "客户端密码"}
	case StepServicePrincipal:
		return i18n.Text{EN: "service principal", ZH: "服务主体"}
	case StepDelegatedConsent:
		return i18n.Text{EN: "delegated consent", ZH: "委托权限同意"}
	case StepAppConsent:
		return i18n.Text{EN: "application consent", ZH: "应用程序权限同意"}
	}
	return i18n.Text{EN: string(k), ZH: string(k)}
}

// --- Graph resources --------------------------------------------------------------------

type resourceAccess struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type requiredResourceAccess struct {
	ResourceAppID  string           `json:"resourceAppId"`
	ResourceAccess []resourceAccess `json:"resourceAccess"`
}

type passwordCredential struct {
	KeyID       string  `json:"keyId"`
	DisplayName *string `json:"displayName"`
	EndDateTime string  `json:"endDateTime"`
	SecretText  string  `json:"secretText"`
}

type application struct {
	ID                     string   `json:"id"`
	AppID                  string   `json:"appId"`
	DisplayName            string   `json:"displayName"`
	Tags                   []string `json:"tags"`
	IsFallbackPublicClient *bool    `json:"isFallbackPublicClient"`
	PublicClient           *struct {
		RedirectURIs []string `json:"redirectUris"`
	} `json:"publicClient"`
	RequiredResourceAccess []requiredResourceAccess `json:"requiredResourceAccess"`
	PasswordCredentials    []passwordCredential     `json:"passwordCredentials"`
}

type servicePrincipal struct {
	ID                     string `json:"id"`
	AppID                  string `json:"appId"`
	AppOwnerOrganizationID string `json:"appOwnerOrganizationId"`
	AppRoles               []struct {
		ID    string `json:"id"`
		Value string `json:"value"`
	} `json:"appRoles"`
	OAuth2PermissionScopes []struct {
		ID    string `json:"id"`
		Value string `json:"value"`
	} `json:"oauth2PermissionScopes"`
}

type permissionGrant struct {
	ID          string `json:"id"`
	ClientID    string `json:"clientId"`
	ConsentType string `json:"consentType"`
	ResourceID  string `json:"resourceId"`
	Scope       string `json:"scope"`
}

type appRoleAssignment struct {
	ID         string `json:"id"`
	AppRoleID  string `json:"appRoleId"`
	ResourceID string `json:"resourceId"`
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// odataString quotes a string literal for $filter.
func odataString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func hasFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(s)) {
			return true
		}
	}
	return false
}

// --- Run ----------------------------------------------------------------------------------

// runner carries one Run.
type runner struct {
	c      *graph.Client
	cfg    Config
	plan   *Plan
	scheme graphdata.Scheme // of the caller's token, when known
	role   roleState
	fresh  fresh // objects this run created, which may not have replicated yet
	res    *Result
}

type fresh int

const (
	freshApp fresh = 1 << iota
	freshSP
)

type roleState int

const (
	roleUnknown roleState = iota
	roleOK
)

// Run makes sure the app described by cfg exists and is consented in the tenant of the
// administrator's client, and returns it. Errors are *Error, in English and Chinese.
func Run(ctx context.Context, c *graph.Client, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	plan, err := NewPlan(cfg)
	if err != nil {
		return nil, err
	}
	r := &runner{c: c, cfg: cfg, plan: plan, res: &Result{}, scheme: graphdata.DelegatedWork}
	if cfg.Token != nil && !cfg.Token.Delegated {
		r.scheme = graphdata.Application
	}
	if err := r.precheck(ctx); err != nil {
		return nil, err
	}
	graphSP, err := r.graphServicePrincipal(ctx)
	if err != nil {
		return nil, err
	}
	app, err := r.application(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.secret(ctx, app); err != nil {
		return nil, err
	}
	sp, err := r.servicePrincipal(ctx, app)
	if err != nil {
		return nil, err
	}
	if err := r.delegatedConsent(ctx, sp, graphSP); err != nil {
		return nil, err
	}
	if err := r.appConsent(ctx, sp, graphSP); err != nil {
		return nil, err
	}
	return r.res, nil
}

func (r *runner) step(k StepKind, s Status, en, zh string) {
	r.res.Steps = append(r.res.Steps, Step{Kind: k, Status: s, Detail: i18n.Text{EN: en, ZH: zh}})
}

// call sends one Graph request; template is the path as the permission data writes it,
// for error messages. out may be nil.
func (r *runner) call(ctx context.Context, step StepKind, method, path, template string, q url.Values, body, out any) error {
	resp, err := r.c.Do(ctx, graph.Request{Method: method, Path: path, Query: q, Body: body})
	if err != nil {
		return r.graphError(step, method, template, err)
	}
	if out != nil && len(resp.Body) > 0 {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return &Error{Step: step, Method: method, Path: template, Reason: ReasonGraph,
				Err: fmt.Errorf("decode the answer (request-id %s): %w", resp.RequestID, err)}
		}
	}
	return nil
}

// list reads a whole collection.
func list[T any](ctx context.Context, r *runner, step StepKind, path, template string, q url.Values) ([]T, error) {
	var out []T
	err := r.c.List(ctx, graph.Request{Method: "GET", Path: path, Query: q}, 0, func(item json.RawMessage) error {
		var v T
		if err := json.Unmarshal(item, &v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		if _, ok := graph.AsError(err); ok {
			return nil, r.graphError(step, "GET", template, err)
		}
		return nil, &Error{Step: step, Method: "GET", Path: template, Reason: ReasonGraph, Err: err}
	}
	return out, nil
}

// replicated retries fn while Graph has not yet replicated an object this run created
// (a 400 or 404 naming it): the directory is eventually consistent, and a service
// principal or grant created a moment after its application can be refused at first.
func (r *runner) replicated(ctx context.Context, fresh bool, fn func() error) error {
	delay := 2 * time.Second
	for attempt := 1; ; attempt++ {
		err := fn()
		var se *Error
		if err == nil || !fresh || attempt == 5 || !errors.As(err, &se) || (se.Status != 400 && se.Status != 404) {
			return err
		}
		if serr := r.cfg.sleep(ctx, delay); serr != nil {
			return err
		}
		delay *= 2
	}
}

// precheck refuses to change anything when the token is known to lack a permission or the
// user is known not to hold a role that may grant admin consent.
func (r *runner) precheck(ctx context.Context) error {
	if t := r.cfg.Token; t != nil {
		if missing := missingPermissions(r.calls(), r.scheme, t.Permissions()); len(missing) > 0 {
			return &Error{Reason: ReasonPermissionMissing, Permissions: missing, Delegated: t.Delegated}
		}
	}
	if r.scheme != graphdata.DelegatedWork || r.cfg.SkipRoleCheck {
		return nil
	}
	type member struct {
		Type           string `json:"@odata.type"`
		RoleTemplateID string `json:"roleTemplateId"`
		DisplayName    string `json:"displayName"`
	}
	var ms []member
	err := r.c.List(ctx, graph.Request{Method: "GET", Path: "/me/transitiveMemberOf"}, 0, func(item json.RawMessage) error {
		var m member
		if err := json.Unmarshal(item, &m); err != nil {
			return err
		}
		ms = append(ms, m)
		return nil
	})
	if err != nil {
		return nil // cannot tell (app-only token, or no permission to read it): Graph decides
	}
	ok := consentRoles(r.plan.Application)
	for _, m := range ms {
		if strings.EqualFold(m.Type, "#microsoft.graph.directoryRole") && hasFold(ok, m.RoleTemplateID) {
			r.role = roleOK
			return nil
		}
	}
	return &Error{Reason: ReasonRoleMissing, Roles: consentRoleNames(r.plan.Application)}
}

// consentRoles are the directory roles that may grant what the plan needs: Microsoft Graph
// app roles need a Global or Privileged Role Administrator; delegated permissions also an
// (Cloud) Application Administrator.
func consentRoles(application bool) []string {
	if application {
		return []string{RoleGlobalAdministrator, RolePrivilegedRoleAdministrator}
	}
	return []string{RoleGlobalAdministrator, RolePrivilegedRoleAdministrator, RoleCloudApplicationAdministator, RoleApplicationAdministrator}
}

func consentRoleNames(application bool) []string {
	if application {
		return []string{"Global Administrator", "Privileged Role Administrator"}
	}
	return []string{"Global Administrator", "Privileged Role Administrator", "Cloud Application Administrator", "Application Administrator"}
}

// graphServicePrincipal finds Microsoft Graph's service principal and checks that it
// publishes every planned permission, taking the tenant's ids when they differ.
func (r *runner) graphServicePrincipal(ctx context.Context) (*servicePrincipal, error) {
	q := url.Values{"$filter": {"appId eq " + odataString(graphdata.GraphAppID)},
		"$select": {"id,appId,appOwnerOrganizationId,appRoles,oauth2PermissionScopes"}}
	sps, err := list[servicePrincipal](ctx, r, StepServicePrincipal, "/servicePrincipals", "/servicePrincipals", q)
	if err != nil {
		return nil, err
	}
	if len(sps) == 0 {
		return nil, &Error{Step: StepServicePrincipal, Reason: ReasonGraph, Err: errors.New("Microsoft Graph has no service principal in this tenant")}
	}
	g := &sps[0]
	r.res.GraphServicePrincipalID = g.ID
	published := map[string]string{}
	for _, s := range g.OAuth2PermissionScopes {
		published[TypeScope+"|"+strings.ToLower(s.Value)] = strings.ToLower(s.ID)
	}
	for _, a := range g.AppRoles {
		published[TypeRole+"|"+strings.ToLower(a.Value)] = strings.ToLower(a.ID)
	}
	fix := func(ps []Permission) error {
		for i := range ps {
			id, ok := published[ps[i].Type+"|"+strings.ToLower(ps[i].Name)]
			if !ok {
				return &Error{Step: StepApplication, Reason: ReasonNotPublished, Permissions: []string{ps[i].Name}, Delegated: ps[i].Delegated()}
			}
			ps[i].ID = id
		}
		return nil
	}
	if err := fix(r.plan.Scopes); err != nil {
		return nil, err
	}
	if err := fix(r.plan.Roles); err != nil {
		return nil, err
	}
	return g, nil
}

// application finds or creates the app and repairs what differs from the plan.
func (r *runner) application(ctx context.Context) (*application, error) {
	var apps []application
	var err error
	if r.cfg.ClientID != "" {
		apps, err = list[application](ctx, r, StepApplication, "/applications", "/applications",
			url.Values{"$filter": {"appId eq " + odataString(strings.TrimSpace(r.cfg.ClientID))}})
		if err != nil {
			return nil, err
		}
		if len(apps) == 0 {
			return nil, &Error{Step: StepApplication, Reason: ReasonAppNotFound, ClientID: r.cfg.ClientID}
		}
	} else {
		all, err := list[application](ctx, r, StepApplication, "/applications", "/applications",
			url.Values{"$filter": {"displayName eq " + odataString(r.plan.DisplayName)}})
		if err != nil {
			return nil, err
		}
		var tagged, named []application
		for _, a := range all {
			if !strings.EqualFold(strings.TrimSpace(a.DisplayName), r.plan.DisplayName) {
				continue
			}
			named = append(named, a)
			if hasFold(a.Tags, Tag) {
				tagged = append(tagged, a)
			}
		}
		switch {
		case len(tagged) == 1:
			apps = tagged
		case len(tagged) > 1:
			return nil, &Error{Step: StepApplication, Reason: ReasonAmbiguous, Name: r.plan.DisplayName, Candidates: appIDs(tagged)}
		case len(named) == 1:
			apps = named
		case len(named) > 1:
			return nil, &Error{Step: StepApplication, Reason: ReasonAmbiguous, Name: r.plan.DisplayName, Candidates: appIDs(named)}
		}
	}
	if len(apps) == 0 {
		var created application
		if err := r.call(ctx, StepApplication, "POST", "/applications", "/applications", nil, r.plan.ApplicationBody(), &created); err != nil {
			return nil, err
		}
		r.fill(&created)
		r.step(StepApplication, Created,
			fmt.Sprintf("registered %q (client id %s) with %d delegated and %d application permissions", created.DisplayName, created.AppID, len(r.plan.Scopes), len(r.plan.Roles)),
			fmt.Sprintf("已注册 %q（客户端 ID %s），含 %d 个委托权限和 %d 个应用程序权限", created.DisplayName, created.AppID, len(r.plan.Scopes), len(r.plan.Roles)))
		r.fresh |= freshApp
		return &created, nil
	}
	a := &apps[0]
	r.fill(a)
	patch, en, zh := r.repair(a)
	if len(patch) == 0 {
		r.step(StepApplication, AlreadyFine, fmt.Sprintf("%q (client id %s) is as planned", a.DisplayName, a.AppID),
			fmt.Sprintf("%q（客户端 ID %s）符合计划", a.DisplayName, a.AppID))
		return a, nil
	}
	if err := r.call(ctx, StepApplication, "PATCH", "/applications/"+a.ID, "/applications/{id}", nil, patch, nil); err != nil {
		return nil, err
	}
	r.step(StepApplication, Repaired, fmt.Sprintf("%q (client id %s): %s", a.DisplayName, a.AppID, strings.Join(en, "; ")),
		fmt.Sprintf("%q（客户端 ID %s）：%s", a.DisplayName, a.AppID, strings.Join(zh, "；")))
	return a, nil
}

func appIDs(as []application) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.AppID)
	}
	return out
}

func (r *runner) fill(a *application) {
	r.res.ObjectID, r.res.ClientID, r.res.DisplayName = a.ID, a.AppID, a.DisplayName
}

// repair computes the PATCH that brings an existing app to the plan, adding and never
// removing: tag, public client flag, redirect URI, missing Graph permissions.
func (r *runner) repair(a *application) (patch map[string]any, en, zh []string) {
	patch = map[string]any{}
	if !hasFold(a.Tags, Tag) {
		patch["tags"] = append(append([]string{}, a.Tags...), Tag)
		en = append(en, "adopted (tag "+Tag+" added)")
		zh = append(zh, "已接管（添加标记 "+Tag+"）")
	}
	if a.IsFallbackPublicClient == nil || !*a.IsFallbackPublicClient {
		patch["isFallbackPublicClient"] = true
		en = append(en, "public client flows allowed")
		zh = append(zh, "已允许公共客户端流")
	}
	var uris []string
	if a.PublicClient != nil {
		uris = a.PublicClient.RedirectURIs
	}
	var addURIs []string
	for _, u := range r.plan.RedirectURIs {
		if !hasFold(uris, u) {
			addURIs = append(addURIs, u)
		}
	}
	if len(addURIs) > 0 {
		patch["publicClient"] = map[string]any{"redirectUris": append(append([]string{}, uris...), addURIs...)}
		en = append(en, "redirect URI "+strings.Join(addURIs, ", ")+" added")
		zh = append(zh, "已添加重定向 URI "+strings.Join(addURIs, ", "))
	}
	rra := append([]requiredResourceAccess(nil), a.RequiredResourceAccess...)
	gi := -1
	for i, e := range rra {
		if strings.EqualFold(e.ResourceAppID, graphdata.GraphAppID) {
			if gi >= 0 { // merge duplicate Graph entries
				rra[gi].ResourceAccess = append(rra[gi].ResourceAccess, e.ResourceAccess...)
				continue
			}
			gi = i
		}
	}
	if gi < 0 {
		rra = append(rra, requiredResourceAccess{ResourceAppID: graphdata.GraphAppID, ResourceAccess: []resourceAccess{}})
		gi = len(rra) - 1
	}
	has := map[string]bool{}
	for _, x := range rra[gi].ResourceAccess {
		has[strings.ToLower(x.Type+"|"+x.ID)] = true
	}
	var added []string
	access := append([]resourceAccess{}, rra[gi].ResourceAccess...)
	for _, p := range append(append([]Permission(nil), r.plan.Scopes...), r.plan.Roles...) {
		if !has[strings.ToLower(p.Type+"|"+p.ID)] {
			access = append(access, resourceAccess{ID: p.ID, Type: p.Type})
			added = append(added, p.Name+" ("+p.Type+")")
		}
	}
	if len(added) > 0 {
		rra[gi].ResourceAccess = access
		var out []requiredResourceAccess
		seenGraph := false
		for _, e := range rra {
			if strings.EqualFold(e.ResourceAppID, graphdata.GraphAppID) {
				if seenGraph {
					continue
				}
				seenGraph = true
				e = rra[gi]
			}
			if e.ResourceAccess == nil {
				e.ResourceAccess = []resourceAccess{}
			}
			out = append(out, e)
		}
		patch["requiredResourceAccess"] = out
		en = append(en, "permissions added: "+strings.Join(added, ", "))
		zh = append(zh, "已添加权限："+strings.Join(added, ", "))
	}
	return patch, en, zh
}

// renewMargin is how long before its end an e5renew secret stops counting as valid, so a
// later run replaces it in time: 30 days, or half the lifetime when that is shorter.
func renewMargin(lifetime time.Duration) time.Duration {
	m := 30 * 24 * time.Hour
	if lifetime > 0 && lifetime/2 < m {
		m = lifetime / 2
	}
	return m
}

// secret adds a client secret in application mode unless a valid e5renew one exists.
func (r *runner) secret(ctx context.Context, a *application) error {
	if !r.plan.Application {
		r.step(StepSecret, Skipped, "application mode not requested: no secret needed", "未要求应用程序模式：不需要客户端密码")
		return nil
	}
	now := r.cfg.now()
	var valid *passwordCredential
	for i, pc := range a.PasswordCredentials {
		end := parseTime(pc.EndDateTime)
		if pc.DisplayName != nil && strings.HasPrefix(*pc.DisplayName, SecretPrefix) && end.After(now.Add(renewMargin(r.plan.SecretLifetime))) &&
			(valid == nil || end.After(parseTime(valid.EndDateTime))) {
			valid = &a.PasswordCredentials[i]
		}
	}
	if r.plan.SecretLifetime == 0 {
		if valid != nil {
			r.res.SecretKeyID, r.res.SecretEnd = valid.KeyID, parseTime(valid.EndDateTime)
		}
		r.step(StepSecret, Skipped, "secret lifetime 0: no secret created", "密码有效期为 0：未创建客户端密码")
		return nil
	}
	if valid != nil && !r.cfg.NewSecret {
		r.res.SecretKeyID, r.res.SecretEnd = valid.KeyID, parseTime(valid.EndDateTime)
		r.step(StepSecret, AlreadyFine,
			fmt.Sprintf("secret %s is valid until %s (its value was shown when it was created)", valid.KeyID, r.res.SecretEnd.UTC().Format(time.RFC3339)),
			fmt.Sprintf("密码 %s 有效期至 %s（其值仅在创建时显示过）", valid.KeyID, r.res.SecretEnd.UTC().Format(time.RFC3339)))
		return nil
	}
	end := now.Add(r.plan.SecretLifetime).UTC().Truncate(time.Second)
	body := map[string]any{"passwordCredential": map[string]any{"displayName": SecretName(now), "endDateTime": end.Format(time.RFC3339)}}
	var pc passwordCredential
	err := r.replicated(ctx, r.fresh&freshApp != 0, func() error {
		return r.call(ctx, StepSecret, "POST", "/applications/"+a.ID+"/addPassword", "/applications/{id}/addPassword", nil, body, &pc)
	})
	if err != nil {
		return err
	}
	if pc.SecretText == "" {
		return &Error{Step: StepSecret, Reason: ReasonGraph, Err: errors.New("addPassword answered without secretText")}
	}
	r.res.Secret = secret.String(pc.SecretText)
	r.res.SecretKeyID, r.res.SecretEnd = pc.KeyID, parseTime(pc.EndDateTime)
	if r.res.SecretEnd.IsZero() {
		r.res.SecretEnd = end
	}
	r.step(StepSecret, Created,
		fmt.Sprintf("secret %s %q added, valid until %s", pc.KeyID, SecretName(now), r.res.SecretEnd.UTC().Format(time.RFC3339)),
		fmt.Sprintf("已添加密码 %s %q，有效期至 %s", pc.KeyID, SecretName(now), r.res.SecretEnd.UTC().Format(time.RFC3339)))
	return nil
}

// servicePrincipal finds or creates the app's service principal.
func (r *runner) servicePrincipal(ctx context.Context, a *application) (*servicePrincipal, error) {
	sps, err := list[servicePrincipal](ctx, r, StepServicePrincipal, "/servicePrincipals", "/servicePrincipals",
		url.Values{"$filter": {"appId eq " + odataString(a.AppID)}, "$select": {"id,appId,appOwnerOrganizationId"}})
	if err != nil {
		return nil, err
	}
	if len(sps) > 0 {
		sp := &sps[0]
		r.res.ServicePrincipalID, r.res.TenantID = sp.ID, sp.AppOwnerOrganizationID
		r.step(StepServicePrincipal, AlreadyFine, "service principal "+sp.ID+" exists", "服务主体 "+sp.ID+" 已存在")
		return sp, nil
	}
	var sp servicePrincipal
	body := map[string]any{"appId": a.AppID, "tags": []string{"WindowsAzureActiveDirectoryIntegratedApp"}}
	err = r.replicated(ctx, r.fresh&freshApp != 0, func() error {
		return r.call(ctx, StepServicePrincipal, "POST", "/servicePrincipals", "/servicePrincipals", nil, body, &sp)
	})
	if se, ok := AsError(err); ok && se.Status == 409 {
		// Created meanwhile (another run, or the list was not up to date): use that one.
		again, lerr := list[servicePrincipal](ctx, r, StepServicePrincipal, "/servicePrincipals", "/servicePrincipals",
			url.Values{"$filter": {"appId eq " + odataString(a.AppID)}, "$select": {"id,appId,appOwnerOrganizationId"}})
		if lerr == nil && len(again) > 0 {
			sp := &again[0]
			r.res.ServicePrincipalID, r.res.TenantID = sp.ID, sp.AppOwnerOrganizationID
			r.step(StepServicePrincipal, AlreadyFine, "service principal "+sp.ID+" exists", "服务主体 "+sp.ID+" 已存在")
			return sp, nil
		}
	}
	if err != nil {
		return nil, err
	}
	r.fresh |= freshSP
	r.res.ServicePrincipalID, r.res.TenantID = sp.ID, sp.AppOwnerOrganizationID
	r.step(StepServicePrincipal, Created, "service principal "+sp.ID+" created", "已创建服务主体 "+sp.ID)
	return &sp, nil
}

// delegatedConsent creates or widens the tenant-wide (AllPrincipals) grant to Graph.
func (r *runner) delegatedConsent(ctx context.Context, sp, graphSP *servicePrincipal) error {
	grants, err := list[permissionGrant](ctx, r, StepDelegatedConsent, "/oauth2PermissionGrants", "/oauth2PermissionGrants",
		url.Values{"$filter": {"clientId eq " + odataString(sp.ID)}})
	if err != nil {
		return err
	}
	var g *permissionGrant
	for i := range grants {
		if strings.EqualFold(grants[i].ConsentType, "AllPrincipals") && strings.EqualFold(grants[i].ResourceID, graphSP.ID) {
			g = &grants[i]
			break
		}
	}
	want := Names(r.plan.Scopes)
	if g == nil {
		body := map[string]any{"clientId": sp.ID, "consentType": "AllPrincipals", "resourceId": graphSP.ID, "scope": strings.Join(want, " ")}
		var created permissionGrant
		err := r.replicated(ctx, r.fresh&freshSP != 0, func() error {
			return r.call(ctx, StepDelegatedConsent, "POST", "/oauth2PermissionGrants", "/oauth2PermissionGrants", nil, body, &created)
		})
		if err != nil {
			return err
		}
		r.res.Scopes = sortedNames(strings.Fields(firstNonEmpty(created.Scope, strings.Join(want, " "))))
		r.step(StepDelegatedConsent, Created,
			fmt.Sprintf("admin consent for every user: %s", strings.Join(want, " ")),
			fmt.Sprintf("已代表所有用户授予管理员同意：%s", strings.Join(want, " ")))
		return nil
	}
	have := strings.Fields(g.Scope)
	var missing []string
	for _, s := range want {
		if !hasFold(have, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		r.res.Scopes = sortedNames(have)
		r.step(StepDelegatedConsent, AlreadyFine, "every scope is granted to every user", "所有 scope 均已授予所有用户")
		return nil
	}
	scope := strings.Join(append(append([]string{}, have...), missing...), " ")
	if err := r.call(ctx, StepDelegatedConsent, "PATCH", "/oauth2PermissionGrants/"+g.ID, "/oauth2PermissionGrants/{id}", nil,
		map[string]any{"scope": scope}, nil); err != nil {
		return err
	}
	r.res.Scopes = sortedNames(strings.Fields(scope))
	r.step(StepDelegatedConsent, Repaired, "scopes added to the grant: "+strings.Join(missing, " "), "已向授权添加 scope："+strings.Join(missing, " "))
	return nil
}

// appConsent assigns the missing app roles of Microsoft Graph to the app's service
// principal.
func (r *runner) appConsent(ctx context.Context, sp, graphSP *servicePrincipal) error {
	as, err := list[appRoleAssignment](ctx, r, StepAppConsent, "/servicePrincipals/"+sp.ID+"/appRoleAssignments",
		"/servicePrincipals/{id}/appRoleAssignments", nil)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, a := range graphSP.AppRoles {
		names[strings.ToLower(a.ID)] = a.Value
	}
	have := map[string]bool{}
	var roles []string
	for _, a := range as {
		if strings.EqualFold(a.ResourceID, graphSP.ID) {
			have[strings.ToLower(a.AppRoleID)] = true
			roles = append(roles, firstNonEmpty(names[strings.ToLower(a.AppRoleID)], a.AppRoleID))
		}
	}
	if !r.plan.Application {
		r.res.Roles = sortedNames(roles)
		r.step(StepAppConsent, Skipped, "application mode not requested", "未要求应用程序模式")
		return nil
	}
	var added []string
	for _, p := range r.plan.Roles {
		if have[p.ID] {
			continue
		}
		body := map[string]any{"principalId": sp.ID, "resourceId": graphSP.ID, "appRoleId": p.ID}
		err := r.replicated(ctx, r.fresh&freshSP != 0, func() error {
			return r.call(ctx, StepAppConsent, "POST", "/servicePrincipals/"+graphSP.ID+"/appRoleAssignedTo",
				"/servicePrincipals/{id}/appRoleAssignedTo", nil, body, nil)
		})
		if err != nil {
			return err
		}
		added = append(added, p.Name)
		roles = append(roles, p.Name)
	}
	r.res.Roles = sortedNames(roles)
	switch {
	case len(added) == 0:
		r.step(StepAppConsent, AlreadyFine, "every application permission is assigned", "所有应用程序权限均已分配")
	case len(added) == len(r.plan.Roles) && len(have) == 0:
		r.step(StepAppConsent, Created, "application permissions assigned: "+strings.Join(added, " "), "已分配应用程序权限："+strings.Join(added, " "))
	default:
		r.step(StepAppConsent, Repaired, "missing application permissions assigned: "+strings.Join(added, " "), "已补充分配应用程序权限："+strings.Join(added, " "))
	}
	return nil
}

func sortedNames(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[strings.ToLower(s)] {
			seen[strings.ToLower(s)] = true
			out = append(out, s)
		}
	}
	sortFold(out)
	return out
}

func sortFold(s []string) {
	sort.SliceStable(s, func(i, j int) bool {
		a, b := strings.ToLower(s[i]), strings.ToLower(s[j])
		if a != b {
			return a < b
		}
		return s[i] < s[j]
	})
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
