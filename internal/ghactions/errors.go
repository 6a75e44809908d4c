package ghactions

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/secret"
)

// Kinds of errors; every error of this package matches one of them with errors.Is.
var (
	// ErrBadCredentials: GitHub refused the token (401): wrong, expired or revoked.
	ErrBadCredentials = errors.New("GitHub refused the token")
	// ErrPermission: the token lacks a scope or permission (403, or a missing scope seen
	// by CheckAccess).
	ErrPermission = errors.New("the token lacks a permission")
	// ErrNotFound: the repository or workflow does not exist, or the token cannot see it
	// (404; GitHub answers 404 rather than 403 for private repositories).
	ErrNotFound = errors.New("not found on GitHub")
	// ErrRateLimited: GitHub's rate limit was reached and waiting would take longer than
	// Client.MaxWait, or kept failing.
	ErrRateLimited = errors.New("GitHub rate limit reached")
	// ErrUnavailable: GitHub answered 5xx or not at all, after retries.
	ErrUnavailable = errors.New("GitHub unavailable")
	// ErrRejected: GitHub refused the request itself (400, 422 and other 4xx).
	ErrRejected = errors.New("GitHub rejected the request")
	// ErrInvalidSecretName: a secret name GitHub would refuse; no request was sent.
	ErrInvalidSecretName = errors.New("invalid secret name")
	// ErrInvalidSecretValue: an empty or too large (over 48 KB) value; no request was sent.
	ErrInvalidSecretValue = errors.New("invalid secret value")
	// ErrConfig: the client is not configured properly (repository, API URL, token).
	ErrConfig = errors.New("GitHub Actions mode misconfigured")
)

// TokenKind is what a token is, as far as its prefix tells (GitHub's token formats:
// https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/).
type TokenKind string

// Token kinds.
const (
	TokenUnknown     TokenKind = "unknown"
	TokenClassic     TokenKind = "classic" // ghp_: personal access token (classic), scopes
	TokenFineGrained TokenKind = "fine-grained"
	TokenActions     TokenKind = "actions" // ghs_: a workflow's GITHUB_TOKEN, or a GitHub App installation
	TokenOAuth       TokenKind = "oauth"   // gho_: OAuth app, scopes like a classic token
	TokenAppUser     TokenKind = "app-user"
)

// String names the kind for people.
func (k TokenKind) String() string {
	switch k {
	case TokenClassic:
		return "personal access token (classic)"
	case TokenFineGrained:
		return "fine-grained personal access token"
	case TokenActions:
		return "GITHUB_TOKEN of a workflow (or GitHub App token)"
	case TokenOAuth:
		return "OAuth app token"
	case TokenAppUser:
		return "GitHub App user token"
	}
	return "token of unknown kind"
}

// KindOf tells a token's kind from its prefix; only the prefix is looked at.
func KindOf(token secret.String) TokenKind {
	t := strings.TrimSpace(token.Reveal())
	switch {
	case strings.HasPrefix(t, "ghp_"):
		return TokenClassic
	case strings.HasPrefix(t, "github_pat_"):
		return TokenFineGrained
	case strings.HasPrefix(t, "ghs_"):
		return TokenActions
	case strings.HasPrefix(t, "gho_"):
		return TokenOAuth
	case strings.HasPrefix(t, "ghu_"):
		return TokenAppUser
	}
	return TokenUnknown
}

// APIError is a failed GitHub API call. Its text never contains the token.
type APIError struct {
	Op     string // what was being done: "write secret MS_TOKEN to owner/repo"
	Method string
	Path   string // the URL path, without host and query
	Status int    // 0 when no answer arrived
	// Message and DocumentationURL are from GitHub's error body.
	Message          string
	DocumentationURL string
	// AcceptedPermissions is the X-Accepted-GitHub-Permissions header: the fine-grained
	// permissions the endpoint needs, e.g. "secrets=write".
	AcceptedPermissions string
	RequestID           string        // X-GitHub-Request-Id
	RetryAfter          time.Duration // when rate limited: how long GitHub asked to wait
	Attempts            int
	// Kind is one of the Err… sentinels.
	Kind error
	// Fix says in plain English what to do about it.
	Fix string
	// Err is the transport or context error when no usable answer arrived.
	Err error
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "GitHub: %s: ", e.Op)
	switch {
	case e.Status == 0 && e.Err != nil:
		fmt.Fprintf(&b, "no answer: %v", e.Err)
	default:
		fmt.Fprintf(&b, "HTTP %d", e.Status)
		if e.Message != "" {
			fmt.Fprintf(&b, " %q", e.Message)
		}
		if e.AcceptedPermissions != "" {
			fmt.Fprintf(&b, " (the endpoint needs %s)", e.AcceptedPermissions)
		}
		if e.Err != nil {
			fmt.Fprintf(&b, ": %v", e.Err)
		}
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Fix != "" {
		b.WriteString(". " + e.Fix)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request id %s]", e.RequestID)
	}
	return b.String()
}

// Unwrap gives the kind and the underlying error, for errors.Is.
func (e *APIError) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// AccessError is what CheckAccess found missing without GitHub refusing a request: a
// classic token without the scope secrets need.
type AccessError struct {
	Repo      string
	TokenKind TokenKind
	Scopes    []string // the token's scopes
	Missing   string   // the scope or permission to add
	Fix       string
}

func (e *AccessError) Error() string {
	return fmt.Sprintf("GitHub: the %s cannot write Actions secrets to %s: %s", e.TokenKind, e.Repo, e.Fix)
}

// Unwrap makes errors.Is(err, ErrPermission) true.
func (e *AccessError) Unwrap() error { return ErrPermission }

// URLs where tokens are edited.
const (
	classicTokensURL     = "https://github.com/settings/tokens"
	fineGrainedTokensURL = "https://github.com/settings/personal-access-tokens"
)

// op is the kind of call, for wording fixes.
type op int

const (
	opPublicKey op = iota
	opPutSecret
	opGetWorkflow
	opEnableWorkflow
)

// answerInfo is what a fix depends on besides the status.
type answerInfo struct {
	op          op
	repo        string
	workflow    string
	kind        TokenKind
	scopes      []string
	scopesKnown bool // the X-OAuth-Scopes header was present
}

func hasScope(scopes []string, s string) bool {
	for _, x := range scopes {
		if x == s {
			return true
		}
	}
	return false
}

func scopeList(scopes []string) string {
	if len(scopes) == 0 {
		return "no scopes"
	}
	return strings.Join(scopes, ", ")
}

// pat is the advice shared by all secrets fixes: which token to create.
const pat = `a fine-grained personal access token with the repository permission "Secrets: Read and write" on this repository, or a classic one with the "repo" scope`

// gitHubTokenFix explains that GITHUB_TOKEN cannot write secrets.
func gitHubTokenFix(repo string) string {
	return fmt.Sprintf("The workflow's built-in GITHUB_TOKEN (like any GitHub App token without the Secrets permission) cannot write repository secrets, whatever the workflow's `permissions:` say. "+
		"Create %s, store it in %s as the repository secret GH_TOKEN (Settings → Secrets and variables → Actions), and give it to e5renew instead of GITHUB_TOKEN, as Office365Auto does", pat, repo)
}

// rateLimitFix says how long to wait after a rate limit.
func rateLimitFix(retryAt time.Time) string {
	if retryAt.IsZero() {
		return "GitHub's API rate limit was reached: wait a few minutes before trying again"
	}
	return "GitHub's API rate limit was reached: wait until " + retryAt.UTC().Format("2006-01-02 15:04:05 UTC") + " before trying again"
}

// fixFor says what to do about a failed answer (rate limits aside).
func fixFor(status int, a answerInfo) string {
	secrets := a.op == opPublicKey || a.op == opPutSecret
	switch {
	case status == 401:
		if a.kind == TokenActions {
			return "The GITHUB_TOKEN is only valid while its job runs; use a personal access token stored as the secret GH_TOKEN"
		}
		return "The token is wrong, expired or revoked: create a new personal access token (" + pat + ") and store it in the repository secret GH_TOKEN"
	case status == 404 && (a.op == opGetWorkflow || a.op == opEnableWorkflow):
		return fmt.Sprintf("Check that workflow %q exists in %s (give its file name, e.g. e5renew.yml, or its numeric id) and that the token can see the repository", a.workflow, a.repo)
	case status == 404:
		if a.scopesKnown && !hasScope(a.scopes, "repo") {
			return fmt.Sprintf(`Check the repository name %s (GITHUB_REPOSITORY); if it is private, the classic token needs the "repo" scope, which it lacks (it has: %s): tick "repo" at %s`, a.repo, scopeList(a.scopes), classicTokensURL)
		}
		return fmt.Sprintf(`Check the repository name %s (GITHUB_REPOSITORY) and that the token can see it: a fine-grained token must list it under "Repository access"; a classic token needs the "repo" scope for a private repository`, a.repo)
	case status == 403 && secrets:
		switch {
		case a.kind == TokenActions:
			return gitHubTokenFix(a.repo)
		case a.scopesKnown && !hasScope(a.scopes, "repo"):
			return fmt.Sprintf(`The classic token needs the "repo" scope to write Actions secrets (it has: %s; "public_repo" and "workflow" are not enough): tick "repo" at %s`, scopeList(a.scopes), classicTokensURL)
		case a.scopesKnown:
			return fmt.Sprintf(`The token has the "repo" scope, but its account may not manage secrets in %s: use a token of an account with write access to the repository (for a fork: its owner)`, a.repo)
		case a.kind == TokenFineGrained:
			return fmt.Sprintf(`The fine-grained token needs the repository permission "Secrets: Read and write" on %s: at %s, edit the token, make sure %s is among its repositories, and set Repository permissions → Secrets to "Read and write"`, a.repo, fineGrainedTokensURL, a.repo)
		}
		return fmt.Sprintf("The token may not write Actions secrets in %s: use %s (the workflow's GITHUB_TOKEN cannot write secrets at all)", a.repo, pat)
	case status == 403 && a.op == opEnableWorkflow:
		switch {
		case a.kind == TokenActions:
			return "Give the workflow's GITHUB_TOKEN the right to enable workflows: add `permissions: actions: write` to the workflow (or job)"
		case a.scopesKnown:
			return fmt.Sprintf(`The classic token needs the "repo" scope to enable workflows (it has: %s): tick "repo" at %s`, scopeList(a.scopes), classicTokensURL)
		case a.kind == TokenFineGrained:
			return fmt.Sprintf(`The fine-grained token needs the repository permission "Actions: Read and write" on %s: set it at %s`, a.repo, fineGrainedTokensURL)
		}
		return `The token may not enable workflows: a fine-grained token needs "Actions: Read and write", a classic one the "repo" scope, a GITHUB_TOKEN "permissions: actions: write"`
	case status == 403 && a.op == opGetWorkflow:
		switch {
		case a.kind == TokenActions:
			return "Give the workflow's GITHUB_TOKEN `permissions: actions: read` (or write)"
		case a.kind == TokenFineGrained:
			return fmt.Sprintf(`The fine-grained token needs the repository permission "Actions: Read-only" (or "Read and write") on %s: set it at %s`, a.repo, fineGrainedTokensURL)
		}
		return `The token may not read workflows: a classic token needs the "repo" scope for a private repository, a fine-grained one "Actions: Read-only"`
	case status >= 500:
		return "GitHub had a problem answering; it is usually temporary (see https://www.githubstatus.com), the next run will try again"
	case status == 400 || status == 422:
		return "GitHub refused the request as invalid; if it persists, please report it to e5renew with this message"
	}
	return ""
}
