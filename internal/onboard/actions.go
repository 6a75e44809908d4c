package onboard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/importer"
	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
)

// Env is what adding an account needs: the store, the configuration (with the accounts
// e5renew added merged in), the endpoints, and the language of messages.
type Env struct {
	Store     store.Store
	Config    *config.Config
	Endpoints auth.Endpoints
	HTTP      *http.Client
	Logger    *slog.Logger
	Lang      i18n.Lang
	Now       func() time.Time
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e Env) http() *http.Client {
	if e.HTTP != nil {
		return e.HTTP
	}
	return &http.Client{Timeout: 60 * time.Second}
}

var actTexts = struct {
	badTenant, commonTenant, badClient, noUser, badName, secretID, noSecret, signFail, userUnknown, inFile, exists i18n.Text
}{
	badTenant:    i18n.Text{EN: "%s is required: the tenant's domain (contoso.onmicrosoft.com) or id", ZH: "需要填写 %s：租户的域名（contoso.onmicrosoft.com）或 ID"},
	commonTenant: i18n.Text{EN: "%s %s: application sign-in needs the tenant's domain or id", ZH: "%s %s：应用程序登录需要租户的域名或 ID"},
	badClient:    i18n.Text{EN: "%s is required: the Application (client) ID, a GUID", ZH: "需要填写 %s：应用程序（客户端）ID，一个 GUID"},
	noUser:       i18n.Text{EN: "%s is required: the user (UPN or object id) whose mailbox and files the app works on", ZH: "需要填写 %s：应用操作其邮箱与文件的用户（UPN 或对象 ID）"},
	badName:      i18n.Text{EN: "the name %q may use letters, digits and . _ @ + - (up to 64 characters)", ZH: "名称 %q 只能使用字母、数字和 . _ @ + -（最多 64 个字符）"},
	secretID:     i18n.Text{EN: "this looks like the secret's ID (a GUID), not its value: copy the Value column (AADSTS7000215 otherwise)", ZH: "这看起来是密码的“机密 ID”（GUID），而不是它的“值”：请复制“值”一列（否则会出现 AADSTS7000215）"},
	noSecret:     i18n.Text{EN: "the client secret is required", ZH: "需要填写客户端密码"},
	signFail:     i18n.Text{EN: "the app could not sign in (%s): %s", ZH: "应用无法登录（%s）：%s"},
	userUnknown:  i18n.Text{EN: "the tenant has no user %q: give the user principal name (UPN) or object id of the mailbox to use", ZH: "租户中没有用户 %q：请填写要使用的邮箱的用户主体名称（UPN）或对象 ID"},
	inFile:       i18n.Text{EN: "%s already has an account named %s: choose another name", ZH: "%s 中已有名为 %s 的账号：请换一个名称"},
	exists:       i18n.Text{EN: "an account named %s exists already: replace it, or choose another name", ZH: "已存在名为 %s 的账号：请替换它，或换一个名称"},
}

// AppInput is an application account to add.
type AppInput struct {
	Tenant, ClientID, User, Name string
	ClientSecret                 secret.String
	SecretExpires                time.Time
	Source                       string // default "accounts-add"
}

// Added says what was added.
type Added struct {
	Name     string
	Token    *auth.Token
	Coverage Coverage
	// UserUPN and UserID describe the user an application works on; UserErr is set when it
	// could not be checked (the roles may not allow reading users).
	UserUPN, UserID string
	UserErr         error
	Replaced        bool
}

var reGUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsGUID reports whether s is a GUID.
func IsGUID(s string) bool { return reGUID.MatchString(strings.TrimSpace(s)) }

var reValidName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$`)

// ValidName reports whether name is a valid account name.
func ValidName(name string) bool { return reValidName.MatchString(name) }

// Labels name the input fields in messages: flags for the command line, field names for
// the dashboard.
type Labels struct{ Tenant, ClientID, User string }

// FlagLabels are the command line's.
var FlagLabels = Labels{Tenant: "--tenant", ClientID: "--client-id", User: "--user"}

// ValidateApp lists every problem of an application account's input at once.
func (e Env) ValidateApp(in AppInput, l Labels) []string {
	lang := e.Lang
	var problems []string
	switch strings.ToLower(strings.TrimSpace(in.Tenant)) {
	case "":
		problems = append(problems, actTexts.badTenant.In(lang, l.Tenant))
	case "common", "organizations", "consumers":
		problems = append(problems, actTexts.commonTenant.In(lang, l.Tenant, in.Tenant))
	}
	if !IsGUID(in.ClientID) {
		problems = append(problems, actTexts.badClient.In(lang, l.ClientID))
	}
	if strings.TrimSpace(in.User) == "" {
		problems = append(problems, actTexts.noUser.In(lang, l.User))
	}
	if in.Name != "" && !ValidName(in.Name) {
		problems = append(problems, actTexts.badName.In(lang, in.Name))
	}
	switch {
	case in.ClientSecret.IsZero():
		problems = append(problems, actTexts.noSecret.In(lang))
	case IsGUID(in.ClientSecret.Reveal()):
		problems = append(problems, actTexts.secretID.In(lang))
	}
	return problems
}

// AddApp checks an application account by signing in (and that its user exists), then
// saves it.
func (e Env) AddApp(ctx context.Context, in AppInput, l Labels) (*Added, error) {
	if p := e.ValidateApp(in, l); len(p) > 0 {
		return nil, errors.New(strings.Join(p, "\n"))
	}
	name := in.Name
	if name == "" {
		name = NameFor("", in.Tenant)
	}
	if a, ok := e.Config.Account(name); ok && !a.Managed {
		return nil, errors.New(actTexts.inFile.In(e.Lang, e.Config.Path, a.Name))
	}
	src, err := auth.NewAppSource(auth.AppOptions{Common: auth.Common{Account: name, Endpoints: e.Endpoints, HTTPClient: e.http(), Logger: e.Logger},
		Tenant: strings.TrimSpace(in.Tenant), ClientID: strings.TrimSpace(in.ClientID), ClientSecret: in.ClientSecret})
	if err != nil {
		return nil, err
	}
	tok, err := src.Token(ctx)
	if err != nil {
		return nil, e.signInError(err)
	}
	added := &Added{Name: name, Token: tok}
	var u struct {
		ID  string `json:"id"`
		UPN string `json:"userPrincipalName"`
	}
	gc := graph.New(src, graph.Options{BaseURL: e.Endpoints.Graph, HTTPClient: e.http(), Logger: e.Logger})
	if _, err := gc.Get(ctx, "/users/"+url.PathEscape(strings.TrimSpace(in.User)), url.Values{"$select": {"id,userPrincipalName"}}, &u, ""); err != nil {
		var ge *graph.Error
		if errors.As(err, &ge) && ge.Status == 404 {
			return nil, errors.New(actTexts.userUnknown.In(e.Lang, in.User))
		}
		added.UserErr = err
	} else {
		added.UserUPN, added.UserID = u.UPN, u.ID
	}
	source := in.Source
	if source == "" {
		source = "accounts-add"
	}
	acct := store.ManagedAccount{Name: name, Type: string(auth.KindClientCredentials), Tenant: strings.TrimSpace(in.Tenant),
		ClientID: strings.TrimSpace(in.ClientID), ClientSecret: in.ClientSecret, User: strings.TrimSpace(in.User),
		SecretExpires: in.SecretExpires, Source: source}
	if err := Save(ctx, e.Store, acct, e.now()); err != nil {
		return nil, err
	}
	if added.Coverage, err = CoverageOf(tok); err != nil {
		return nil, err
	}
	return added, nil
}

func (e Env) signInError(err error) error {
	if ae, ok := auth.AsError(err); ok {
		code := ae.OAuthError
		if ae.Code() != 0 {
			code = fmt.Sprintf("AADSTS%d", ae.Code())
		}
		return errors.New(actTexts.signFail.In(e.Lang, code, ae.Message(e.Lang)))
	}
	return err
}

// SaveDelegated saves an account from an interactive sign-in (device code, browser):
// named name, or after the user; a managed account of that name is replaced.
func (e Env) SaveDelegated(ctx context.Context, g *auth.Grant, clientID string, clientSecret secret.String, name, source string) (*Added, error) {
	tok := g.Token
	if name == "" {
		name = NameFor(tok.UPN, tok.TenantID)
	}
	added := &Added{Name: name, Token: tok}
	if a, ok := e.Config.Account(name); ok {
		if !a.Managed {
			return nil, errors.New(actTexts.inFile.In(e.Lang, e.Config.Path, a.Name))
		}
		added.Name, added.Replaced = a.Name, true
	}
	acct := store.ManagedAccount{Name: added.Name, Type: string(auth.KindRefreshToken), Tenant: tok.TenantID, ClientID: clientID,
		ClientSecret: clientSecret, RefreshToken: g.RefreshToken, Source: source}
	if err := Save(ctx, e.Store, acct, e.now()); err != nil {
		return nil, err
	}
	cov, err := CoverageOf(tok)
	if err != nil {
		return nil, err
	}
	added.Coverage = cov
	return added, nil
}

// ImportOne checks one import candidate by signing in and saves it; the refresh token
// kept is the one the check got back (they rotate on use). user fills in the mailbox of an
// application candidate that does not say it.
func (e Env) ImportOne(ctx context.Context, c importer.Candidate, user string, dryRun, replace bool) (*Added, error) {
	if a, ok := e.Config.Account(c.Name); ok && (!a.Managed || !replace) {
		if !a.Managed {
			return nil, errors.New(actTexts.inFile.In(e.Lang, e.Config.Path, a.Name))
		}
		return nil, errors.New(actTexts.exists.In(e.Lang, a.Name))
	}
	if c.Type == string(auth.KindClientCredentials) && c.User == "" {
		if user == "" {
			return nil, errors.New(actTexts.noUser.In(e.Lang, "user"))
		}
		c.User = user
	}
	common := auth.Common{Account: c.Name, Endpoints: e.Endpoints, HTTPClient: e.http(), Logger: e.Logger, Attempts: 1}
	var src auth.Source
	var err error
	tokens := auth.NewMemoryStore()
	switch auth.Kind(c.Type) {
	case auth.KindRefreshToken:
		src, err = auth.NewRefreshSource(auth.RefreshOptions{Common: common, Tenant: c.Tenant, ClientID: c.ClientID,
			ClientSecret: c.ClientSecret, RefreshToken: c.RefreshToken, Store: tokens})
	case auth.KindClientCredentials:
		src, err = auth.NewAppSource(auth.AppOptions{Common: common, Tenant: c.Tenant, ClientID: c.ClientID, ClientSecret: c.ClientSecret})
	case auth.KindPassword:
		src, err = auth.NewPasswordSource(auth.PasswordOptions{Common: common, Tenant: c.Tenant, ClientID: c.ClientID,
			ClientSecret: c.ClientSecret, Username: c.Username, Password: c.Password})
	default:
		err = fmt.Errorf("unknown sign-in type %q", c.Type)
	}
	if err != nil {
		return nil, err
	}
	tok, err := src.Token(ctx)
	if err != nil {
		return nil, e.signInError(err)
	}
	added := &Added{Name: c.Name, Token: tok}
	if dryRun {
		return added, nil
	}
	rt := c.RefreshToken
	if stored, ok, _ := tokens.LoadToken(ctx, c.Name); ok && !stored.RefreshToken.IsZero() {
		rt = stored.RefreshToken
	}
	tenant := c.Tenant
	if tenant == "" {
		tenant = tok.TenantID
	}
	acct := store.ManagedAccount{Name: c.Name, Type: c.Type, Tenant: tenant, ClientID: c.ClientID, User: c.User, Username: c.Username,
		ClientSecret: c.ClientSecret, RefreshToken: rt, Password: c.Password, Source: "import:" + string(c.Format)}
	if err := Save(ctx, e.Store, acct, e.now()); err != nil {
		return nil, err
	}
	// Later imports of the same run see it.
	e.Config.Accounts = append(e.Config.Accounts, config.Account{Name: c.Name, Type: c.Type, Managed: true})
	return added, nil
}
