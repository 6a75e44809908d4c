// Package onboard is what the commands that add accounts share: what a token lets e5renew
// do (and which permission each missing activity needs), a QR code for the terminal, and
// saving an account so that a running daemon picks it up.
package onboard

import (
	"context"
	"fmt"
	"github.com/e5renew/e5renew/internal/config"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"rsc.io/qr"

	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/graphdata"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/store"
)

// Missing is an activity the token cannot run, with the permission to grant.
type Missing struct {
	Activity    string
	Workload    string
	Permissions []string
}

// Coverage is what a token lets the catalog do.
type Coverage struct {
	Delegated bool
	// Granted are the token's permissions (scp or roles).
	Granted []string
	Enabled []string
	Missing []Missing
	// Grant is the smallest set of permissions to add so that every missing activity runs.
	Grant []string
}

// CoverageOf checks every catalog activity against the token's permissions.
func CoverageOf(tok *auth.Token) (Coverage, error) {
	tab, err := graphdata.Load()
	if err != nil {
		return Coverage{}, err
	}
	c := Coverage{Delegated: tok.Delegated, Granted: append([]string(nil), tok.Permissions()...)}
	sort.Strings(c.Granted)
	var missingActs []*activity.Activity
	for _, a := range activity.All() {
		if !tok.Delegated && !a.AppOnly() {
			continue // not possible with an application at all: not the owner's to fix
		}
		ok, perms := a.Runnable(tab, tok.Delegated, tok.Permissions())
		if ok {
			c.Enabled = append(c.Enabled, a.Name)
			continue
		}
		c.Missing = append(c.Missing, Missing{Activity: a.Name, Workload: string(a.Workload), Permissions: perms})
		missingActs = append(missingActs, a)
	}
	if len(missingActs) > 0 {
		have := map[string]bool{}
		for _, p := range tok.Permissions() {
			have[strings.ToLower(p)] = true
		}
		for _, p := range activity.MinimalPermissions(missingActs, tok.Delegated) {
			if !have[strings.ToLower(p)] {
				c.Grant = append(c.Grant, p)
			}
		}
	}
	return c, nil
}

var texts = struct {
	enabled, missing, grant, all, how i18n.Text
}{
	enabled: i18n.Text{EN: "%d of %d catalog activities can run with these permissions.", ZH: "凭这些权限可以运行 %d/%d 个目录活动。"},
	missing: i18n.Text{EN: "Missing (activity: the permission it needs):", ZH: "缺少的权限（活动：所需权限）："},
	grant:   i18n.Text{EN: "To enable them all, grant (%s): %s", ZH: "如需全部启用，请授予（%s）：%s"},
	all:     i18n.Text{EN: "Every catalog activity can run.", ZH: "所有目录活动都可以运行。"},
	how: i18n.Text{EN: "then sign in again; `e5renew setup` grants them for you.",
		ZH: "然后重新登录；`e5renew setup` 可以自动授予。"},
}

// Write reports the coverage for people.
func (c Coverage) Write(w io.Writer, lang i18n.Lang) {
	total := len(c.Enabled) + len(c.Missing)
	fmt.Fprintln(w, texts.enabled.In(lang, len(c.Enabled), total))
	if len(c.Missing) == 0 {
		fmt.Fprintln(w, texts.all.In(lang))
		return
	}
	fmt.Fprintln(w, texts.missing.In(lang))
	for i, m := range c.Missing {
		if i == 12 {
			fmt.Fprintf(w, "  … (+%d)\n", len(c.Missing)-i)
			break
		}
		fmt.Fprintf(w, "  %s: %s\n", m.Activity, strings.Join(m.Permissions, " + "))
	}
	kind := map[bool]string{true: "delegated", false: "application"}[c.Delegated]
	if lang == i18n.ZH {
		kind = map[bool]string{true: "委托权限", false: "应用程序权限"}[c.Delegated]
	}
	fmt.Fprintln(w, texts.grant.In(lang, kind, strings.Join(c.Grant, " ")))
	fmt.Fprintln(w, "  "+texts.how.In(lang))
}

// QR writes text as a QR code with half-block characters (two rows per line), with the
// quiet zone the standard asks for, readable by a phone from a terminal.
func QR(w io.Writer, text string) error {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return err
	}
	const quiet = 2
	black := func(x, y int) bool {
		x, y = x-quiet, y-quiet
		return x >= 0 && y >= 0 && x < code.Size && y < code.Size && code.Black(x, y)
	}
	n := code.Size + 2*quiet
	var b strings.Builder
	for y := 0; y < n; y += 2 {
		for x := 0; x < n; x++ {
			// Light modules are drawn in the text colour and dark ones left as background:
			// on the usual dark terminal this shows dark modules on a light field.
			top, bottom := !black(x, y), !black(x, y+1)
			switch {
			case top && bottom:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bottom:
				b.WriteRune('▄')
			default:
				b.WriteRune(' ')
			}
		}
		b.WriteByte('\n')
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// QRSVG returns text as a QR code in SVG (dark modules as one path on a white field with
// the quiet zone), for a page: crisp at any size, in light and dark themes alike.
func QRSVG(text string) ([]byte, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, err
	}
	const quiet = 4
	n := code.Size + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			if code.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String()), nil
}

// SetupClientID returns the client id of the app `e5renew setup` registered when the
// accounts use exactly one, else "".
func SetupClientID(cfg *config.Config) string {
	return soleClientID(cfg, func(a *config.Account) bool { return a.Managed && a.SetupApp })
}

// soleClientID returns the client id the kept accounts share when there is exactly one
// (GUIDs compared without case), else "".
func soleClientID(cfg *config.Config, keep func(a *config.Account) bool) string {
	ids := map[string]bool{}
	var id string
	for i := range cfg.Accounts {
		a := &cfg.Accounts[i]
		if keep(a) && a.ClientID != "" {
			id = a.ClientID
			ids[strings.ToLower(id)] = true
		}
	}
	if len(ids) == 1 {
		return id
	}
	return ""
}

// DefaultClientID returns the app to sign in with: the one `e5renew setup` registered,
// else the one every delegated (refresh token) account uses, when there is exactly one.
func DefaultClientID(cfg *config.Config) string {
	if id := SetupClientID(cfg); id != "" {
		return id
	}
	return soleClientID(cfg, func(a *config.Account) bool { return a.Type == "refresh_token" })
}

var reName = regexp.MustCompile(`[^A-Za-z0-9._@+-]+`)

// NameFor suggests an account name: the user's address, or the tenant for an application.
func NameFor(upn, tenant string) string {
	n := upn
	if n == "" {
		n = strings.TrimSuffix(tenant, ".onmicrosoft.com") + "-app"
	}
	n = strings.TrimRight(strings.TrimLeft(reName.ReplaceAllString(n, "-"), "-._@+"), "-.")
	if len(n) > 64 {
		n = n[:64]
	}
	if n == "" {
		n = "account"
	}
	return n
}

// Save stores an account e5renew added and tells a running daemon.
func Save(ctx context.Context, st store.Store, a store.ManagedAccount, now time.Time) error {
	if a.Updated.IsZero() {
		a.Updated = now
	}
	if err := st.SaveManaged(ctx, a); err != nil {
		return err
	}
	return st.RecordChange(ctx, &store.StateChange{Account: a.Name, At: now, Kind: store.ChangeAccounts, Reason: a.Source, By: "owner"})
}

// Remove deletes an account e5renew added and tells a running daemon.
func Remove(ctx context.Context, st store.Store, name string, now time.Time) error {
	if err := st.DeleteManaged(ctx, name); err != nil {
		return err
	}
	return st.RecordChange(ctx, &store.StateChange{Account: name, At: now, Kind: store.ChangeAccounts, Reason: "removed", By: "owner"})
}
