// Package demo runs e5renew against an emulated Microsoft 365 tenant built into the binary,
// so anyone can watch it sign in and call Graph without an account.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/e5renew/e5renew/emulator"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/config"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/i18n"
	"github.com/e5renew/e5renew/internal/sandbox"
)

// Options configure a demo run.
type Options struct {
	Addr     string        // where the emulated tenant listens; default 127.0.0.1:0
	Accounts int           // working accounts (default 3), plus two broken ones
	Duration time.Duration // 0: until the context ends
	Out      io.Writer
	Lang     i18n.Lang
	Seed     uint64 // for repeatable runs in tests
	// Pause between calls; default a random 0.5-2 s.
	MinPause, MaxPause time.Duration
}

type account struct {
	cfg    config.Account
	src    auth.Source
	gc     *graph.Client
	ok     int
	failed int
	halted string
}

var texts = struct {
	banner, accounts, needsOwner, summary, stopped i18n.Text
}{
	banner:     i18n.Text{EN: "e5renew demo: an emulated Microsoft 365 tenant is running at %s", ZH: "e5renew 演示：模拟的 Microsoft 365 租户运行于 %s"},
	accounts:   i18n.Text{EN: "Accounts (two are broken on purpose, to show what happens):", ZH: "账号（其中两个故意配置错误，用于展示错误处理）："},
	needsOwner: i18n.Text{EN: "needs the owner, stops calling sign-in", ZH: "需要账号所有者处理，停止登录尝试"},
	summary:    i18n.Text{EN: "Summary", ZH: "汇总"},
	stopped:    i18n.Text{EN: "stopped", ZH: "已停止"},
}

// Run serves the emulated tenant, creates the accounts and calls Graph for them at random
// intervals, printing a readable log, until ctx ends or the duration passes.
func Run(ctx context.Context, o Options) error {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Accounts <= 0 {
		o.Accounts = 3
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.MaxPause <= 0 {
		o.MinPause, o.MaxPause = 500*time.Millisecond, 2*time.Second
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0xe5))
	if o.Seed == 0 {
		rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	em := emulator.New(emulator.Options{Seed: o.Seed, Faults: emulator.Faults{Latency: 15 * time.Millisecond, ThrottleRate: 0.03,
		MailboxConcurrency: 4, RetryAfterMax: time.Second}})
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("start the emulated tenant: %w", err)
	}
	srv := &http.Server{Handler: em.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	cfg, infos, err := sandbox.Populate(em, sandbox.Options{Accounts: o.Accounts, Broken: true, Endpoint: base})
	if err != nil {
		return err
	}
	ep, err := cfg.ResolveEndpoints(func(string) (string, bool) { return "", false })
	if err != nil {
		return err
	}
	fmt.Fprintln(o.Out, texts.banner.In(o.Lang, base))
	fmt.Fprintln(o.Out, texts.accounts.In(o.Lang))
	tw := tabwriter.NewWriter(o.Out, 2, 4, 2, ' ', 0)
	for _, a := range infos {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Name, a.Type, a.User, a.Broken.In(o.Lang))
	}
	tw.Flush()
	fmt.Fprintln(o.Out)

	limiter := graph.NewMailboxLimiter(graph.DefaultMailboxConcurrency)
	var accts []*account
	for _, ca := range cfg.Accounts {
		src, err := newSource(ca, ep)
		if err != nil {
			return err
		}
		accts = append(accts, &account{cfg: ca, src: src, gc: graph.New(src, graph.Options{BaseURL: ep.Graph, Limiter: limiter, MaxRetryAfter: 5 * time.Second})})
	}
	for ctx.Err() == nil {
		a := accts[rng.IntN(len(accts))]
		if a.halted == "" {
			call(ctx, o, a, rng)
		}
		pause := o.MinPause + time.Duration(rng.Int64N(int64(o.MaxPause-o.MinPause)+1))
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
	fmt.Fprintf(o.Out, "\n%s\n", texts.summary.In(o.Lang))
	tw = tabwriter.NewWriter(o.Out, 2, 4, 2, ' ', 0)
	for _, a := range accts {
		state := "ok"
		if a.halted != "" {
			state = a.halted
		}
		fmt.Fprintf(tw, "  %s\t%d ok\t%d failed\t%s\n", a.cfg.Name, a.ok, a.failed, state)
	}
	tw.Flush()
	st := em.Stats()
	var keys []string
	for k := range st.TokensIssued {
		keys = append(keys, fmt.Sprintf("%s=%d", k, st.TokensIssued[k]))
	}
	sort.Strings(keys)
	fmt.Fprintf(o.Out, "  emulator: %d Graph requests, tokens %s, faults %v\n", total(st.Requests), strings.Join(keys, " "), st.Faults)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return ctx.Err()
}

func total(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func newSource(a config.Account, ep auth.Endpoints) (auth.Source, error) {
	c := auth.Common{Account: a.Name, Endpoints: ep}
	switch a.Kind() {
	case auth.KindRefreshToken:
		return auth.NewRefreshSource(auth.RefreshOptions{Common: c, Tenant: a.Tenant, ClientID: a.ClientID, ClientSecret: a.ClientSecret,
			RefreshToken: a.RefreshToken, Store: auth.NewMemoryStore()})
	case auth.KindClientCredentials:
		return auth.NewAppSource(auth.AppOptions{Common: c, Tenant: a.Tenant, ClientID: a.ClientID, ClientSecret: a.ClientSecret})
	default:
		return auth.NewPasswordSource(auth.PasswordOptions{Common: c, Tenant: a.Tenant, ClientID: a.ClientID, ClientSecret: a.ClientSecret,
			Username: a.Username, Password: a.Password, Scopes: a.Scopes})
	}
}

// paths a developer's test app might call, in the /me form; app accounts use /users/{id}.
var probes = []string{"", "/messages?$top=5&$select=subject", "/mailFolders", "/events?$top=3", "/drive/root/children", "/contacts?$top=5",
	"/todo/lists", "/onenote/notebooks", "/joinedTeams", "/memberOf", "/mailboxSettings"}

func call(ctx context.Context, o Options, a *account, rng *rand.Rand) {
	prefix := "/me"
	mailbox := ""
	if a.cfg.Kind() == auth.KindClientCredentials {
		prefix = "/users/" + a.cfg.User
		mailbox = a.cfg.User
	}
	p := probes[rng.IntN(len(probes))]
	path, rawq, _ := strings.Cut(prefix+p, "?")
	q, _ := url.ParseQuery(rawq)
	start := time.Now()
	resp, err := a.gc.Do(ctx, graph.Request{Path: path, Query: q, Mailbox: mailbox})
	ts := time.Now().Format("15:04:05")
	switch {
	case err == nil:
		a.ok++
		fmt.Fprintf(o.Out, "%s  %-18s GET %-44s %d  %4dms  request-id %s\n", ts, a.cfg.Name, prefix+p, resp.Status, time.Since(start).Milliseconds(), resp.RequestID)
	case auth.IsNeedsOwner(err):
		ae, _ := auth.AsError(err)
		a.failed++
		a.halted = fmt.Sprintf("AADSTS%d %s", ae.Code(), ae.Reason)
		fmt.Fprintf(o.Out, "%s  %-18s %s (AADSTS%d): %s\n", ts, a.cfg.Name, texts.needsOwner.In(o.Lang), ae.Code(), ae.Message(o.Lang))
	case ctx.Err() != nil:
	default:
		a.failed++
		if ge, ok := graph.AsError(err); ok {
			fmt.Fprintf(o.Out, "%s  %-18s GET %-44s %d %s  request-id %s\n", ts, a.cfg.Name, prefix+p, ge.Status, ge.Code, ge.RequestID)
		} else {
			fmt.Fprintf(o.Out, "%s  %-18s GET %-44s %v\n", ts, a.cfg.Name, prefix+p, err)
		}
	}
}
