package ghrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/e5renew/e5renew/internal/ghactions"
	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
)

// writeBack saves rotated refresh tokens to their repository secrets. Each rotated token
// is in the run's state store (encrypted) from the moment it is issued, so a write that
// fails is tried again at the end of the run; until a write succeeds the secret keeps the
// previous token, which Microsoft does not revoke when it issues a new one.
type writeBack struct {
	plan *Plan
	st   store.Store
	gh   *ghactions.Client // nil: no usable GitHub token (blocked says why)
	// blocked is why no secret can be written (no GH_TOKEN, a token without the
	// permission); nil when writes may be tried.
	blocked error

	mu     sync.Mutex
	failed map[string]error // accounts whose last write failed
}

// Written is one secret updated with a rotated token.
type Written struct {
	Account, Secret string
	How             ghactions.Written
}

func newWriteBack(plan *Plan, st store.Store, gh *ghactions.Client, blocked error) *writeBack {
	return &writeBack{plan: plan, st: st, gh: gh, blocked: blocked, failed: map[string]error{}}
}

// rotated returns the account's refresh token when it differs from the one the run
// started with.
func (w *writeBack) rotated(ctx context.Context, account string) (secret.String, bool, error) {
	tok, ok, err := w.st.LoadToken(ctx, account)
	if err != nil || !ok {
		return "", false, err
	}
	for _, a := range w.plan.Config.Accounts {
		if a.Name == account {
			return tok.RefreshToken, tok.RefreshToken.Reveal() != "" && tok.RefreshToken.Reveal() != a.RefreshToken.Reveal(), nil
		}
	}
	return "", false, nil
}

// account writes one account's rotated token to its own secret, as soon as its round is
// over. Accounts of the JSON secret wait for finish, which writes that secret once.
func (w *writeBack) account(ctx context.Context, account string) (*Written, error) {
	t, ok := w.plan.Targets[account]
	if !ok || t.Index >= 0 {
		return nil, nil
	}
	tok, changed, err := w.rotated(ctx, account)
	if err != nil || !changed {
		return nil, err
	}
	if w.blocked != nil {
		w.fail(account, w.blocked)
		return nil, w.blocked
	}
	how, err := w.gh.PutSecret(ctx, t.Secret, tok)
	if err != nil {
		w.fail(account, err)
		return nil, err
	}
	w.mu.Lock()
	delete(w.failed, account)
	w.mu.Unlock()
	return &Written{Account: account, Secret: t.Secret, How: how}, nil
}

func (w *writeBack) fail(account string, err error) {
	w.mu.Lock()
	w.failed[account] = err
	w.mu.Unlock()
}

// finish retries the writes that failed and writes the JSON secret when one of its
// tokens rotated. It returns what was written; failures stay in w.failed.
func (w *writeBack) finish(ctx context.Context) []Written {
	var out []Written
	w.mu.Lock()
	var retry []string
	for a := range w.failed {
		retry = append(retry, a)
	}
	w.mu.Unlock()
	sort.Strings(retry)
	if w.blocked == nil {
		for _, a := range retry {
			if wr, err := w.account(ctx, a); err == nil && wr != nil {
				out = append(out, *wr)
			}
		}
	}
	if wr := w.accountsSecret(ctx); wr != nil {
		out = append(out, wr...)
	}
	return out
}

// accountsSecret rewrites SecretAccounts with every rotated token of its accounts.
func (w *writeBack) accountsSecret(ctx context.Context) []Written {
	tokens := map[int]string{}
	var names []string
	for name, t := range w.plan.Targets {
		if t.Index < 0 {
			continue
		}
		tok, changed, err := w.rotated(ctx, name)
		if err != nil {
			w.fail(name, err)
			continue
		}
		if changed {
			tokens[t.Index] = tok.Reveal()
			names = append(names, name)
		}
	}
	if len(tokens) == 0 {
		return nil
	}
	sort.Strings(names)
	setAll := func(err error) {
		for _, n := range names {
			w.fail(n, err)
		}
	}
	if w.blocked != nil {
		setAll(w.blocked)
		return nil
	}
	val, err := rewriteAccounts(w.plan.accountsJSON, tokens)
	if err != nil {
		setAll(err)
		return nil
	}
	how, err := w.gh.PutSecret(ctx, SecretAccounts, secret.String(val))
	if err != nil {
		setAll(err)
		return nil
	}
	var out []Written
	w.mu.Lock()
	for _, n := range names {
		delete(w.failed, n)
		out = append(out, Written{Account: n, Secret: SecretAccounts, How: how})
	}
	w.mu.Unlock()
	return out
}

// failures returns the accounts whose rotated token is not in its secret, with why.
func (w *writeBack) failures() map[string]error {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]error, len(w.failed))
	for a, err := range w.failed {
		out[a] = err
	}
	return out
}

// rewriteAccounts returns the accounts list (JSON, or YAML, which JSON is a part of) as
// JSON with the refresh tokens at the given indexes replaced. Other values are kept as
// they were; keys come out sorted.
func rewriteAccounts(raw string, tokens map[int]string) (string, error) {
	var list []map[string]any
	if err := yaml.Unmarshal([]byte(raw), &list); err != nil {
		// No detail: the message of a parser may quote the secret's text.
		return "", errors.New("the secret " + SecretAccounts + " is no longer a list of accounts")
	}
	for i, tok := range tokens {
		if i < 0 || i >= len(list) || list[i] == nil {
			return "", fmt.Errorf("the secret %s has no account %d", SecretAccounts, i)
		}
		list[i]["refresh_token"] = tok
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(list); err != nil {
		return "", fmt.Errorf("encode the secret %s: %w", SecretAccounts, err)
	}
	return strings.TrimSpace(b.String()), nil
}

// ownerMustAct reports whether a write-back error is one only the owner can fix (a
// missing, wrong or underpowered token, an unknown repository) rather than a passing one
// (a rate limit, GitHub unavailable) that the next run gets past.
func ownerMustAct(err error) bool {
	var ae *ghactions.AccessError
	switch {
	case errors.As(err, &ae):
		return true
	case errors.Is(err, ghactions.ErrBadCredentials), errors.Is(err, ghactions.ErrPermission), errors.Is(err, ghactions.ErrNotFound),
		errors.Is(err, ghactions.ErrConfig), errors.Is(err, ghactions.ErrInvalidSecretName), errors.Is(err, ghactions.ErrInvalidSecretValue),
		errors.Is(err, ghactions.ErrRejected):
		return true
	}
	return false
}
