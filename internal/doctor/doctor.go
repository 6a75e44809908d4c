// Package doctor checks what an account needs to keep working and says how to fix what is
// wrong: sign-in, permissions, the user's mailbox, OneDrive and OneNote, the client secret's
// expiry and the E5 developer subscription (advisory: Microsoft's Developer Program
// dashboard is authoritative).
package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/onboard"
	"github.com/e5renew/e5renew/internal/secret"
)

// Status of a check, from best to worst.
type Status int

// The statuses.
const (
	OK Status = iota
	Unknown
	Warn
	Fail
)

func (s Status) String() string {
	return [...]string{"ok", "unknown", "warn", "fail"}[s]
}

// MarshalText writes the status as its name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a status name.
func (s *Status) UnmarshalText(b []byte) error {
	for i, n := range [...]string{"ok", "unknown", "warn", "fail"} {
		if string(b) == n {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("unknown status %q", b)
}

// Check is one finding.
type Check struct {
	Name   string `json:"name"` // sign-in, permissions, mailbox, onedrive, onenote, client-secret, subscription
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Subscription is what Graph says of the E5 developer subscription.
type Subscription struct {
	SKU           string    `json:"sku"`
	Status        string    `json:"status"`
	NextLifecycle time.Time `json:"nextLifecycle,omitzero"`
}

// Report is the checks of one account.
type Report struct {
	Account       string        `json:"account"`
	Type          string        `json:"type"`
	Checks        []Check       `json:"checks"`
	SecretExpires time.Time     `json:"secretExpires,omitzero"`
	Subscription  *Subscription `json:"subscription,omitempty"`
	// SignedIn is false when the account cannot sign in (the other checks did not run).
	SignedIn bool `json:"signedIn"`
}

// Worst is the worst status of the report.
func (r *Report) Worst() Status {
	w := OK
	for _, c := range r.Checks {
		if c.Status > w && c.Status != Unknown {
			w = c.Status
		}
	}
	return w
}

// Account is what the doctor needs of an account.
type Account struct {
	Name   string
	Type   string
	Source auth.Source
	Graph  *graph.Client
	// User is the mailbox an application works on.
	User         string
	ClientID     string
	ClientSecret secret.String
	// SecretExpires is the date the owner gave (configuration, accounts add, setup).
	SecretExpires time.Time
}

// Options tune the checks.
type Options struct {
	Lang i18n.Lang
	Now  time.Time
	// WarnDays: a secret or lifecycle date closer than this is a warning (default 30).
	WarnDays int
	// Only, when set, limits the checks to these names (the daemon's daily watch asks for
	// client-secret and subscription).
	Only []string
}

var t = struct {
	signedAs, signedApp, signFail, perms, permsAll, mailboxOK, mailboxNone, driveOK, driveNone, notesOK, notesNone, notesApp,
	appUnknown, publicOK, publicOff, fixPublic,
	forbidden, secretExp, secretSoon, secretOK, secretNone, secretUnknown, subOK, subBad, subSoon, subNone, subUnknown,
	fixMailbox, fixDrive, fixNotes, fixSecret, fixSecretDate, fixSub, fixForbidden, advisory i18n.Text
}{
	signedAs:      i18n.Text{EN: "signs in as %s", ZH: "以 %s 登录"},
	signedApp:     i18n.Text{EN: "signs in as the application (tenant %s)", ZH: "以应用程序身份登录（租户 %s）"},
	signFail:      i18n.Text{EN: "cannot sign in: %s %s", ZH: "无法登录：%s %s"},
	perms:         i18n.Text{EN: "%d of %d activities allowed; missing %d", ZH: "允许 %d/%d 个活动；缺少 %d 个"},
	permsAll:      i18n.Text{EN: "all %d activities allowed", ZH: "全部 %d 个活动均被允许"},
	mailboxOK:     i18n.Text{EN: "the user has an Exchange Online mailbox", ZH: "该用户有 Exchange Online 邮箱"},
	mailboxNone:   i18n.Text{EN: "no mailbox (%s)", ZH: "没有邮箱（%s）"},
	driveOK:       i18n.Text{EN: "OneDrive is provisioned", ZH: "OneDrive 已开通"},
	driveNone:     i18n.Text{EN: "OneDrive is not provisioned (%s)", ZH: "OneDrive 尚未开通（%s）"},
	notesOK:       i18n.Text{EN: "OneNote answers", ZH: "OneNote 可用"},
	notesNone:     i18n.Text{EN: "OneNote is not available (%s)", ZH: "OneNote 不可用（%s）"},
	notesApp:      i18n.Text{EN: "not checked: OneNote refuses application tokens", ZH: "未检查：OneNote 不接受应用程序令牌"},
	forbidden:     i18n.Text{EN: "not checked: the token may not read it (%s)", ZH: "未检查：令牌无权读取（%s）"},
	appUnknown:    i18n.Text{EN: "not checked: the token may not read the app registration (Application.Read.All)", ZH: "未检查：令牌无权读取应用注册（Application.Read.All）"},
	publicOK:      i18n.Text{EN: "public client flows are allowed", ZH: "已允许公共客户端流"},
	publicOff:     i18n.Text{EN: "public client flows are off: device code sign-in and secret-less refresh fail (AADSTS7000218)", ZH: "未启用公共客户端流：设备代码登录和无密码刷新会失败（AADSTS7000218）"},
	fixPublic:     i18n.Text{EN: "turn on \"Allow public client flows\" (Authentication, in the portal), or run e5renew setup, which repairs it", ZH: "启用“允许公共客户端流”（门户中的“身份验证”），或运行 e5renew setup 自动修复"},
	secretExp:     i18n.Text{EN: "the client secret expired on %s", ZH: "客户端密码已于 %s 过期"},
	secretSoon:    i18n.Text{EN: "the client secret expires on %s (in %d days)", ZH: "客户端密码将于 %s 过期（还有 %d 天）"},
	secretOK:      i18n.Text{EN: "the client secret expires on %s (in %d days)", ZH: "客户端密码于 %s 过期（还有 %d 天）"},
	secretNone:    i18n.Text{EN: "no client secret (a public client)", ZH: "没有客户端密码（公共客户端）"},
	secretUnknown: i18n.Text{EN: "expiry unknown: the app's secrets cannot be read with this token", ZH: "到期日未知：此令牌无法读取应用的密码信息"},
	subOK:         i18n.Text{EN: "%s %s; next lifecycle date %s (in %d days)", ZH: "%s %s；下一个生命周期日期 %s（还有 %d 天）"},
	subBad:        i18n.Text{EN: "%s is %s (not Enabled)", ZH: "%s 状态为 %s（不是 Enabled）"},
	subSoon:       i18n.Text{EN: "%s %s; next lifecycle date %s, in %d days", ZH: "%s %s；下一个生命周期日期 %s，还有 %d 天"},
	subNone:       i18n.Text{EN: "no E5 developer subscription in this tenant", ZH: "此租户中没有 E5 开发者订阅"},
	subUnknown:    i18n.Text{EN: "not checked: the token may not read subscriptions (%s)", ZH: "未检查：令牌无权读取订阅（%s）"},
	fixMailbox:    i18n.Text{EN: "assign the user a licence with Exchange Online (the E5 developer licence has it), or choose another user", ZH: "为该用户分配含 Exchange Online 的许可证（E5 开发者许可证包含），或换一个用户"},
	fixDrive:      i18n.Text{EN: "sign in once at https://www.office.com and open OneDrive: it is created on first use (e5renew leaves the OneDrive activities out meanwhile)", ZH: "在 https://www.office.com 登录并打开一次 OneDrive：首次使用时才会创建（在此之前 e5renew 会跳过 OneDrive 活动）"},
	fixNotes:      i18n.Text{EN: "open OneNote once at https://www.office.com; it needs OneDrive first", ZH: "在 https://www.office.com 打开一次 OneNote；它需要先开通 OneDrive"},
	fixSecret:     i18n.Text{EN: "create a new client secret (e5renew setup, or Certificates & secrets in the portal) and put its value in the configuration", ZH: "新建客户端密码（e5renew setup，或门户中的“证书和密码”），并把其值填入配置"},
	fixSecretDate: i18n.Text{EN: "set secret_expires (the date the portal shows) on the account, or grant Application.Read.All, so that e5renew can warn before it expires", ZH: "在账号上设置 secret_expires（门户显示的日期），或授予 Application.Read.All，以便 e5renew 在到期前提醒"},
	fixSub:        i18n.Text{EN: "check the Microsoft 365 Developer Program dashboard (https://developer.microsoft.com/microsoft-365/profile), which is authoritative", ZH: "请查看 Microsoft 365 开发者计划仪表盘（https://developer.microsoft.com/microsoft-365/profile），以其为准"},
	fixForbidden:  i18n.Text{EN: "grant %s to let e5renew check it", ZH: "授予 %s 后 e5renew 才能检查此项"},
	advisory:      i18n.Text{EN: " (advisory: the Developer Program dashboard is authoritative)", ZH: "（仅供参考：以开发者计划仪表盘为准）"},
}

// Run checks one account.
func Run(ctx context.Context, a Account, o Options) *Report {
	if o.WarnDays <= 0 {
		o.WarnDays = 30
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	r := &Report{Account: a.Name, Type: a.Type}
	want := func(name string) bool {
		if len(o.Only) == 0 {
			return true
		}
		for _, n := range o.Only {
			if n == name {
				return true
			}
		}
		return false
	}
	lang := o.Lang
	add := func(name string, s Status, detail, fix string) {
		r.Checks = append(r.Checks, Check{Name: name, Status: s, Detail: detail, Fix: fix})
	}
	tok, err := a.Source.Token(ctx)
	if err != nil {
		code, msg := "", err.Error()
		if ae, ok := auth.AsError(err); ok {
			code, msg = fmt.Sprintf("AADSTS%d", ae.Code()), ae.Message(lang)
			if ae.Code() == 0 {
				code = ae.OAuthError
			}
		}
		add("sign-in", Fail, t.signFail.In(lang, code, msg), "")
		return r
	}
	r.SignedIn = true
	if tok.Delegated {
		add("sign-in", OK, t.signedAs.In(lang, tok.UPN), "")
	} else {
		add("sign-in", OK, t.signedApp.In(lang, tok.TenantID), "")
	}
	me := "/me"
	if !tok.Delegated {
		me = "/users/" + url.PathEscape(a.User)
	}
	if want("permissions") {
		if cov, err := onboard.CoverageOf(tok); err == nil {
			total := len(cov.Enabled) + len(cov.Missing)
			if len(cov.Missing) == 0 {
				add("permissions", OK, t.permsAll.In(lang, total), "")
			} else {
				add("permissions", Warn, t.perms.In(lang, len(cov.Enabled), total, len(cov.Missing)),
					fmt.Sprintf("grant %s", strings.Join(cov.Grant, " ")))
			}
		}
	}
	probe := func(name, path string, q url.Values, okText, noneText i18n.Text, noneStatus Status, fix i18n.Text, perm string) {
		if !want(name) {
			return
		}
		_, err := a.Graph.Get(ctx, me+path, q, nil, a.User)
		var ge *graph.Error
		switch {
		case err == nil:
			add(name, OK, okText.In(lang), "")
		case errors.As(err, &ge) && ge.Status == 404:
			add(name, noneStatus, noneText.In(lang, strings.TrimSpace(fmt.Sprintf("%d %s", ge.Status, ge.Code))), fix.In(lang))
		case errors.As(err, &ge) && ge.Status == 403:
			add(name, Unknown, t.forbidden.In(lang, ge.Code), t.fixForbidden.In(lang, perm))
		default:
			add(name, Unknown, err.Error(), "")
		}
	}
	probe("mailbox", "/mailFolders/inbox", url.Values{"$select": {"id"}}, t.mailboxOK, t.mailboxNone, Fail, t.fixMailbox, "Mail.ReadBasic")
	probe("onedrive", "/drive", url.Values{"$select": {"id"}}, t.driveOK, t.driveNone, Warn, t.fixDrive, "Files.Read")
	if tok.Delegated {
		probe("onenote", "/onenote/notebooks", url.Values{"$top": {"1"}, "$select": {"id"}}, t.notesOK, t.notesNone, Warn, t.fixNotes, "Notes.Read")
	} else if want("onenote") {
		add("onenote", Unknown, t.notesApp.In(lang), "")
	}
	app, appKnown := readApp(ctx, a)
	if want("public-client") && a.ClientSecret.IsZero() && a.Type != "client_credentials" {
		switch {
		case !appKnown:
			add("public-client", Unknown, t.appUnknown.In(lang), "")
		case app.IsFallbackPublicClient:
			add("public-client", OK, t.publicOK.In(lang), "")
		default:
			add("public-client", Warn, t.publicOff.In(lang), t.fixPublic.In(lang))
		}
	}
	if want("client-secret") {
		checkSecret(ctx, a, o, r, add, app, appKnown)
	}
	if want("subscription") {
		checkSubscription(ctx, a, o, r, add)
	}
	return r
}

func days(d time.Duration) int { return int(d.Hours() / 24) }

func checkSecret(ctx context.Context, a Account, o Options, r *Report, add func(string, Status, string, string), app application, appKnown bool) {
	lang := o.Lang
	if a.ClientSecret.IsZero() {
		add("client-secret", OK, t.secretNone.In(lang), "")
		return
	}
	expires := a.SecretExpires
	if appKnown {
		s := a.ClientSecret.Reveal()
		for _, c := range app.PasswordCredentials {
			if c.Hint != "" && strings.HasPrefix(s, c.Hint) {
				expires = c.EndDateTime
			}
		}
	}
	if expires.IsZero() {
		add("client-secret", Unknown, t.secretUnknown.In(lang), t.fixSecretDate.In(lang))
		return
	}
	r.SecretExpires = expires
	left := expires.Sub(o.Now)
	date := expires.UTC().Format("2006-01-02")
	switch {
	case left <= 0:
		add("client-secret", Fail, t.secretExp.In(lang, date), t.fixSecret.In(lang))
	case days(left) < o.WarnDays:
		add("client-secret", Warn, t.secretSoon.In(lang, date, days(left)), t.fixSecret.In(lang))
	default:
		add("client-secret", OK, t.secretOK.In(lang, date, days(left)), "")
	}
}

// application is what the doctor reads of the account's app registration.
type application struct {
	IsFallbackPublicClient bool `json:"isFallbackPublicClient"`
	PasswordCredentials    []struct {
		Hint        string    `json:"hint"`
		EndDateTime time.Time `json:"endDateTime"`
	} `json:"passwordCredentials"`
}

// readApp reads the account's application (its client secrets are matched by their hint,
// the secret's first three characters); false when the token may not read it.
func readApp(ctx context.Context, a Account) (application, bool) {
	var page struct {
		Value []application `json:"value"`
	}
	q := url.Values{"$filter": {fmt.Sprintf("appId eq '%s'", a.ClientID)}, "$select": {"appId,isFallbackPublicClient,passwordCredentials"}}
	if a.ClientID == "" {
		return application{}, false
	}
	if _, err := a.Graph.Get(ctx, "/applications", q, &page, ""); err != nil || len(page.Value) == 0 {
		return application{}, false
	}
	return page.Value[0], true
}

func checkSubscription(ctx context.Context, a Account, o Options, r *Report, add func(string, Status, string, string)) {
	lang := o.Lang
	var page struct {
		Value []struct {
			SKUPartNumber string `json:"skuPartNumber"`
			Status        string `json:"status"`
			Next          string `json:"nextLifecycleDateTime"`
		} `json:"value"`
	}
	_, err := a.Graph.Get(ctx, "/directory/subscriptions", nil, &page, "")
	var ge *graph.Error
	if errors.As(err, &ge) && (ge.Status == 403 || ge.Status == 401) {
		add("subscription", Unknown, t.subUnknown.In(lang, ge.Code), t.fixForbidden.In(lang, "Organization.Read.All"))
		return
	}
	if err != nil {
		add("subscription", Unknown, err.Error(), "")
		return
	}
	for _, s := range page.Value {
		if !strings.Contains(strings.ToUpper(s.SKUPartNumber), "DEVELOPERPACK") {
			continue
		}
		sub := &Subscription{SKU: s.SKUPartNumber, Status: s.Status}
		if tm, err := time.Parse(time.RFC3339, s.Next); err == nil {
			sub.NextLifecycle = tm
		}
		r.Subscription = sub
		date := sub.NextLifecycle.UTC().Format("2006-01-02")
		left := days(sub.NextLifecycle.Sub(o.Now))
		switch {
		case !strings.EqualFold(s.Status, "Enabled"):
			add("subscription", Fail, t.subBad.In(lang, s.SKUPartNumber, s.Status)+t.advisory.In(lang), t.fixSub.In(lang))
		case !sub.NextLifecycle.IsZero() && left < o.WarnDays:
			add("subscription", Warn, t.subSoon.In(lang, s.SKUPartNumber, s.Status, date, left)+t.advisory.In(lang), t.fixSub.In(lang))
		default:
			add("subscription", OK, t.subOK.In(lang, s.SKUPartNumber, s.Status, date, left)+t.advisory.In(lang), "")
		}
		return
	}
	add("subscription", Warn, t.subNone.In(lang), t.fixSub.In(lang))
}

// JSON renders reports for machines.
func JSON(reports []*Report) ([]byte, error) { return json.MarshalIndent(reports, "", "  ") }

// Write renders reports for people.
func Write(w io.Writer, reports []*Report, lang i18n.Lang) {
	var healthy, warned, failed int
	for _, r := range reports {
		fmt.Fprintf(w, "%s (%s)\n", r.Account, r.Type)
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, c := range r.Checks {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Status, c.Name, c.Detail)
			if c.Fix != "" {
				fmt.Fprintf(tw, "  \t\t→ %s\n", c.Fix)
			}
		}
		tw.Flush()
		switch r.Worst() {
		case Fail:
			failed++
		case Warn:
			warned++
		default:
			healthy++
		}
	}
	fmt.Fprintln(w, summary.In(lang, len(reports), healthy, warned, failed))
}

var summary = i18n.Text{EN: "%d accounts: %d healthy, %d with warnings, %d failing.", ZH: "共 %d 个账号：%d 个正常，%d 个有警告，%d 个有故障。"}
