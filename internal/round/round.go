// Package round runs one round for one account: sign in, optionally sweep for what earlier
// runs left behind, pick activities (those that always run plus a random subset, limited to
// what the token may do), run them in random order with the per-mailbox limit and optional
// human pauses, delete everything they created, and report each activity's outcome and the
// round's verdict.
package round

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/e5renew/e5renew/internal/activity"
	"github.com/e5renew/e5renew/internal/auth"
	"github.com/e5renew/e5renew/internal/clock"
	"github.com/e5renew/e5renew/internal/graph"
	"github.com/e5renew/e5renew/internal/graphdata"
	"github.com/e5renew/e5renew/internal/i18n"
)

// Verdict sums a round up.
type Verdict string

// The verdicts.
const (
	OK         Verdict = "ok"          // every selected activity worked
	Degraded   Verdict = "degraded"    // some activities failed; the account still works
	NeedsOwner Verdict = "needs_owner" // sign-in needs the owner; nothing else was tried
)

// Outcome of one activity.
type Outcome string

// The outcomes.
const (
	Ok      Outcome = "ok"
	Failed  Outcome = "failed"
	Skipped Outcome = "skipped"
)

// SignIn is the name the sign-in step is reported under.
const SignIn = "auth.sign_in"

// ActivityResult is what happened to one activity.
type ActivityResult struct {
	Name      string        `json:"name"`
	Workload  string        `json:"workload"`
	Outcome   Outcome       `json:"outcome"`
	Status    int           `json:"status,omitempty"`
	Code      string        `json:"code,omitempty"`
	RequestID string        `json:"requestId,omitempty"`
	Message   string        `json:"message,omitempty"`
	Missing   []string      `json:"missingPermissions,omitempty"`
	Duration  time.Duration `json:"durationNs"`
	Calls     int           `json:"calls"`

	needsOwner bool // the failure was a sign-in that needs the owner
	reason     string
}

// Result is a finished round.
type Result struct {
	Account  string    `json:"account"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Verdict  Verdict   `json:"verdict"`
	// Reason is a stable key (an auth reason such as refresh_token_expired, or
	// "activities_failed"); Message says it for people.
	Reason     string           `json:"reason,omitempty"`
	Code       string           `json:"code,omitempty"`
	Message    string           `json:"message,omitempty"`
	Activities []ActivityResult `json:"activities"`
	// Unavailable counts catalog activities the token's permissions do not allow.
	Unavailable int                    `json:"unavailable"`
	Cleanup     activity.CleanupResult `json:"cleanup"`
	// Swept counts the leftovers of earlier runs the sweep found and journaled (Options.Sweep);
	// Cleanup.Deleted includes them once deleted. SweepFailures says what could not be
	// looked through.
	Swept         int      `json:"swept,omitempty"`
	SweepFailures []string `json:"sweepFailures,omitempty"`
}

// Counts returns how many activities had each outcome.
func (r *Result) Counts() (ok, failed, skipped int) {
	for _, a := range r.Activities {
		switch a.Outcome {
		case Ok:
			ok++
		case Failed:
			failed++
		case Skipped:
			skipped++
		}
	}
	return
}

// Selection says which activities a round runs.
type Selection struct {
	// Always lists activities that run every round when the token allows them.
	Always []string
	// RandomMin and RandomMax bound the size of the random subset of the others.
	RandomMin, RandomMax int
	// Include restricts the candidates ("mail.draft", "mail.*", "onedrive"); empty: all.
	Include []string
	// Exclude removes candidates (same forms).
	Exclude []string
}

// DefaultSelection is Office365Auto's always-run set (sign-in, profile, mail, calendar)
// and four to eight more at random.
func DefaultSelection() Selection {
	return Selection{Always: []string{"user.profile", "mail.list_messages", "calendar.list_events"}, RandomMin: 4, RandomMax: 8}
}

// matches reports whether an activity name matches a pattern: the name, "workload" or
// "workload.*".
func matches(name string, pattern string) bool {
	p := strings.ToLower(strings.TrimSpace(pattern))
	n := strings.ToLower(name)
	if p == n {
		return true
	}
	w := strings.TrimSuffix(p, ".*")
	return strings.HasPrefix(n, w+".")
}

// Validate checks that every name and pattern refers to the catalog.
func (s Selection) Validate() error {
	var errs []string
	check := func(kind string, list []string, patterns bool) {
		for _, p := range list {
			found := false
			for _, a := range activity.All() {
				if (patterns && matches(a.Name, p)) || strings.EqualFold(a.Name, p) {
					found = true
					break
				}
			}
			if !found {
				errs = append(errs, fmt.Sprintf("%s: unknown activity %q%s", kind, p, suggestActivity(p)))
			}
		}
	}
	check("always", s.Always, false)
	check("include", s.Include, true)
	check("exclude", s.Exclude, true)
	if s.RandomMin < 0 || s.RandomMax < s.RandomMin {
		errs = append(errs, fmt.Sprintf("random: %d-%d is not a range (write min-max, for example 4-8)", s.RandomMin, s.RandomMax))
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

func suggestActivity(p string) string {
	best, bestScore := "", 0
	for _, a := range activity.All() {
		score := commonPrefix(strings.ToLower(a.Name), strings.ToLower(p))
		if score > bestScore {
			best, bestScore = a.Name, score
		}
	}
	if bestScore >= 3 {
		return fmt.Sprintf(" (did you mean %q? `e5renew catalog` lists them)", best)
	}
	return " (`e5renew catalog` lists them)"
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// Account is what a round needs of an account.
type Account struct {
	Name   string
	Source auth.Source
	Graph  *graph.Client
	// User is the mailbox an application account works on (UPN or id).
	User    string
	Journal activity.Journal
	Loc     *time.Location // the account's time zone for event times; UTC when nil
}

// Options tune a round.
type Options struct {
	Selection Selection
	// PauseMin and PauseMax bound a random pause before each Graph call (0: none).
	PauseMin, PauseMax time.Duration
	// Concurrency is how many activities run at once (default 4; the per-mailbox limit of
	// the Graph client bounds calls anyway).
	Concurrency int
	Rand        *rand.Rand
	Now         func() time.Time
	Sleep       func(ctx context.Context, d time.Duration) error
	Lang        i18n.Lang
	Logger      *slog.Logger
	// ActivityTimeout bounds one activity (default 2 minutes); CleanupTimeout the cleanup,
	// which runs even when ctx is cancelled (default 1 minute).
	ActivityTimeout time.Duration
	CleanupTimeout  time.Duration
	// Sweep, when positive, makes the round look for objects earlier runs left behind
	// without a journal (found by their e5renew markers) that are at least this old
	// (activity.SweepAge is the usual value), so its cleanup deletes them too. Zero: no
	// sweep; the daemon keeps a durable journal and needs none. The sweep runs after
	// sign-in, before the activities, bounded by ActivityTimeout.
	Sweep time.Duration
}

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Rand == nil {
		o.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = clock.Sleep
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ActivityTimeout <= 0 {
		o.ActivityTimeout = 2 * time.Minute
	}
	if o.CleanupTimeout <= 0 {
		o.CleanupTimeout = time.Minute
	}
}

var texts = struct {
	failed, cleanup, sweep i18n.Text
}{
	failed:  i18n.Text{EN: "%d of %d activities failed", ZH: "%d/%d 个活动失败"},
	cleanup: i18n.Text{EN: "%d created objects could not be deleted yet; the next round retries", ZH: "%d 个已创建的对象暂未能删除，下一轮会重试"},
	sweep: i18n.Text{EN: "could not look for what earlier runs left behind (%s); the next round looks again",
		ZH: "未能查找之前运行遗留的对象（%s），下一轮会再次查找"},
}

// Run runs one round.
func Run(ctx context.Context, a Account, o Options) *Result {
	o.defaults()
	res := &Result{Account: a.Name, Started: o.Now()}
	defer func() { res.Finished = o.Now() }()

	start := o.Now()
	tok, err := a.Source.Token(ctx)
	if err != nil {
		res.Activities = append(res.Activities, failure(SignIn, "auth", err, o.Now().Sub(start), o.Lang))
		if ae, ok := auth.AsError(err); ok {
			res.Reason, res.Code, res.Message = string(ae.Reason), fmt.Sprintf("AADSTS%d", ae.Code()), ae.Message(o.Lang)
			if ae.Code() == 0 {
				res.Code = ae.OAuthError
			}
			res.Verdict = Degraded
			if ae.NeedsOwner() {
				res.Verdict = NeedsOwner
			}
			return res
		}
		res.Verdict, res.Reason, res.Message = Degraded, "sign_in_failed", err.Error()
		return res
	}
	res.Activities = append(res.Activities, ActivityResult{Name: SignIn, Workload: "auth", Outcome: Ok, Duration: o.Now().Sub(start), Calls: 1})

	delegated := tok.Delegated
	x := &activity.Exec{Graph: a.Graph, Account: a.Name, AppOnly: !delegated, Rand: o.Rand, Content: &activity.Content{R: o.Rand},
		Now: o.Now, Loc: a.Loc, Journal: a.Journal, Round: fmt.Sprintf("%s-%d", a.Name, res.Started.Unix())}
	if x.Loc == nil {
		x.Loc = time.UTC
	}
	if delegated {
		x.Me, x.UPN, x.Mailbox = "/me", tok.UPN, firstNonEmpty(tok.UPN, tok.ObjectID, a.Name)
	} else {
		if a.User == "" {
			res.Verdict, res.Reason = NeedsOwner, "no_user"
			res.Message = i18n.Text{EN: "an application account needs `user:` (whose mailbox and files to use)", ZH: "应用程序账号需要配置 `user:`（使用哪个用户的邮箱和文件）"}.In(o.Lang)
			return res
		}
		x.Me, x.UPN, x.Mailbox = "/users/"+a.User, a.User, a.User
	}
	if o.PauseMax > 0 {
		var pmu sync.Mutex
		first := true
		x.BeforeCall = func(ctx context.Context) error {
			pmu.Lock()
			if first {
				first = false
				pmu.Unlock()
				return nil
			}
			d := o.PauseMin + time.Duration(o.Rand.Int64N(int64(o.PauseMax-o.PauseMin)+1))
			pmu.Unlock()
			return o.Sleep(ctx, d)
		}
	}

	if o.Sweep > 0 && ctx.Err() == nil {
		if kinds := sweepKinds(o.Selection, delegated, tok.Permissions()); len(kinds) > 0 {
			sctx, cancel := context.WithTimeout(ctx, o.ActivityTimeout)
			sr := activity.SweepKinds(sctx, x, o.Sweep, kinds)
			cancel()
			res.Swept = sr.Journaled
			for _, f := range sr.Failures {
				res.SweepFailures = append(res.SweepFailures, f.Error())
			}
			level := slog.LevelDebug
			if sr.Journaled > 0 || len(sr.Denied) > 0 || len(sr.Failures) > 0 {
				level = slog.LevelInfo
			}
			o.Logger.Log(ctx, level, "sweep for leftovers of earlier runs", "account", a.Name, "found", sr.Found, "journaled", sr.Journaled,
				"young", sr.Young, "denied", sr.Denied, "failures", len(sr.Failures))
		}
	}

	chosen, skipped, unavailable := choose(o.Selection, delegated, tok.Permissions(), o.Rand)
	res.Unavailable = unavailable
	results := make([]ActivityResult, len(chosen))
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	forks := make([]*activity.Exec, len(chosen)) // each activity its own view, made before any runs
	for i := range chosen {
		forks[i] = x.Fork()
	}
	for i, act := range chosen {
		if ctx.Err() != nil {
			results[i] = ActivityResult{Name: act.Name, Workload: string(act.Workload), Outcome: Skipped, Message: "stopped before it started"}
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int, act *activity.Activity) {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = runOne(ctx, forks[i], act, o)
		}(i, act)
	}
	wg.Wait()
	res.Activities = append(res.Activities, results...)
	res.Activities = append(res.Activities, skipped...)

	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.CleanupTimeout)
	res.Cleanup = activity.Cleanup(cctx, x)
	cancel()

	res.Verdict = OK
	_, failed, _ := res.Counts()
	switch {
	case ownerFailure(res.Activities) != nil:
		r := ownerFailure(res.Activities)
		res.Verdict, res.Reason, res.Code, res.Message = NeedsOwner, r.reason, r.Code, r.Message
	case failed > 0:
		res.Verdict, res.Reason = Degraded, "activities_failed"
		res.Message = texts.failed.In(o.Lang, failed, len(chosen))
	case res.Cleanup.Pending > 0:
		res.Verdict, res.Reason = Degraded, "cleanup_pending"
		res.Message = texts.cleanup.In(o.Lang, res.Cleanup.Pending)
	case len(res.SweepFailures) > 0:
		res.Verdict, res.Reason = Degraded, "sweep_failed"
		res.Message = texts.sweep.In(o.Lang, res.SweepFailures[0])
	}
	o.Logger.Debug("round", "account", a.Name, "verdict", res.Verdict, "activities", len(chosen), "failed", failed,
		"cleaned", res.Cleanup.Deleted, "pending", res.Cleanup.Pending)
	return res
}

// sweepKinds returns the kinds a round sweeps: those of the workloads the selection keeps
// (a workload left out, say because the tenant lacks it, is not looked through either) whose
// listing the token's permissions allow.
func sweepKinds(s Selection, delegated bool, perms []string) []*activity.Kind {
	tab := graphdata.MustLoad()
	selected := map[activity.Workload]bool{}
	for _, a := range s.Filter(activity.All()) {
		selected[a.Workload] = true
	}
	var out []*activity.Kind
	for _, k := range activity.Kinds() {
		if selected[k.Workload()] && k.Sweepable(tab, delegated, perms) {
			out = append(out, k)
		}
	}
	return out
}

// choose picks the round's activities: the runnable always-run ones plus a random subset
// of the other runnable candidates, shuffled. Always-run activities the token cannot run
// are reported as skipped, with the missing permissions.
func choose(s Selection, delegated bool, perms []string, r *rand.Rand) ([]*activity.Activity, []ActivityResult, int) {
	tab := graphdata.MustLoad()
	var chosen, pool []*activity.Activity
	var skipped []ActivityResult
	unavailable := 0
	always := map[string]bool{}
	for _, n := range s.Always {
		always[strings.ToLower(n)] = true
	}
	for _, a := range activity.All() {
		if len(s.Include) > 0 && !anyMatch(a.Name, s.Include) {
			continue
		}
		if anyMatch(a.Name, s.Exclude) {
			continue
		}
		ok, missing := a.Runnable(tab, delegated, perms)
		if !ok {
			unavailable++
			if always[strings.ToLower(a.Name)] {
				msg := "not available with an application sign-in"
				if !delegated && a.AppNote != "" {
					msg = a.AppNote
				}
				if len(missing) > 0 {
					msg = "missing permission " + strings.Join(missing, ", ")
				}
				skipped = append(skipped, ActivityResult{Name: a.Name, Workload: string(a.Workload), Outcome: Skipped, Missing: missing, Message: msg})
			}
			continue
		}
		if always[strings.ToLower(a.Name)] {
			chosen = append(chosen, a)
		} else {
			pool = append(pool, a)
		}
	}
	n := s.RandomMin
	if s.RandomMax > s.RandomMin {
		n += r.IntN(s.RandomMax - s.RandomMin + 1)
	}
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	if n > len(pool) {
		n = len(pool)
	}
	chosen = append(chosen, pool[:n]...)
	r.Shuffle(len(chosen), func(i, j int) { chosen[i], chosen[j] = chosen[j], chosen[i] })
	sort.SliceStable(skipped, func(i, j int) bool { return skipped[i].Name < skipped[j].Name })
	return chosen, skipped, unavailable
}

func anyMatch(name string, patterns []string) bool {
	for _, p := range patterns {
		if matches(name, p) {
			return true
		}
	}
	return false
}

func runOne(ctx context.Context, ax *activity.Exec, act *activity.Activity, o Options) ActivityResult {
	ctx, cancel := context.WithTimeout(ctx, o.ActivityTimeout)
	defer cancel()
	start := o.Now()
	err := act.Run(ctx, ax)
	calls, reqID := ax.Stats()
	r := ActivityResult{Name: act.Name, Workload: string(act.Workload), Outcome: Ok, Duration: o.Now().Sub(start), Calls: calls, RequestID: reqID}
	if err == nil {
		return r
	}
	if reason, ok := activity.IsSkip(err); ok {
		r.Outcome, r.Message = Skipped, reason
		return r
	}
	f := failure(act.Name, string(act.Workload), err, r.Duration, o.Lang)
	f.Calls = calls
	if f.RequestID == "" {
		f.RequestID = reqID
	}
	return f
}

func failure(name, workload string, err error, d time.Duration, lang i18n.Lang) ActivityResult {
	r := ActivityResult{Name: name, Workload: workload, Outcome: Failed, Duration: d, Message: err.Error()}
	if ge, ok := graph.AsError(err); ok {
		r.Status, r.Code, r.RequestID, r.Message = ge.Status, ge.Code, ge.RequestID, ge.Message
		if ge.Status == 0 {
			r.Code, r.Message = "network", ge.Error()
		}
	}
	if ae, ok := auth.AsError(err); ok {
		r.Status, r.Code, r.Message = ae.Status, fmt.Sprintf("AADSTS%d", ae.Code()), ae.Message(lang)
		if ae.Code() == 0 {
			r.Code = firstNonEmpty(ae.OAuthError, string(ae.Reason))
		}
		r.needsOwner, r.reason = ae.NeedsOwner(), string(ae.Reason)
	}
	return r
}

// ownerFailure returns the first activity that failed because sign-in needs the owner
// (the access token expired mid-round and the refresh was refused).
func ownerFailure(rs []ActivityResult) *ActivityResult {
	for i := range rs {
		if rs[i].needsOwner {
			return &rs[i]
		}
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Filter returns the activities of list that Include and Exclude keep.
func (s Selection) Filter(list []*activity.Activity) []*activity.Activity {
	var out []*activity.Activity
	for _, a := range list {
		if len(s.Include) > 0 && !anyMatch(a.Name, s.Include) {
			continue
		}
		if anyMatch(a.Name, s.Exclude) {
			continue
		}
		out = append(out, a)
	}
	return out
}
