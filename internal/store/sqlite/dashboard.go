package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/e5renew/e5renew/internal/store"
)

// GetSetting implements store.Store.
func (s *Store) GetSetting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: setting %q: %w", key, err)
	}
	return v, true, nil
}

// SetSetting implements store.Store.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	if key == "" {
		return errors.New("store: a setting needs a key")
	}
	_, err := s.w.ExecContext(context.WithoutCancel(ctx), `INSERT INTO settings (key, value, updated) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = excluded.updated`,
		key, value, ts(s.nowUTC()))
	if err != nil {
		return fmt.Errorf("store: set setting %q: %w", key, err)
	}
	return nil
}

// jsonList stores a list as a JSON array, nil as NULL.
func jsonList(l []string) (sql.NullString, error) {
	if l == nil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(l)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

func parseList(s sql.NullString) ([]string, error) {
	if !s.Valid {
		return nil, nil
	}
	l := []string{}
	if err := json.Unmarshal([]byte(s.String), &l); err != nil {
		return nil, fmt.Errorf("damaged list %q: %w", s.String, err)
	}
	return l, nil
}

// SaveAccountSettings implements store.Store.
func (s *Store) SaveAccountSettings(ctx context.Context, account string, st store.AccountSettings) error {
	ctx = context.WithoutCancel(ctx)
	updated := st.Updated
	if updated.IsZero() {
		updated = s.nowUTC()
	}
	var lists [3]sql.NullString
	for i, l := range [][]string{st.Activities.Always, st.Activities.Include, st.Activities.Exclude} {
		var err error
		if lists[i], err = jsonList(l); err != nil {
			return fmt.Errorf("store: save settings of %s: %w", account, err)
		}
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		id, _, err := s.account(ctx, tx, account)
		if err != nil {
			return err
		}
		sc, a := st.Schedule, st.Activities
		_, err = tx.ExecContext(ctx, `INSERT INTO account_settings (account_id, interval, hours, days, timezone,
			cron, spread, always, include, exclude, random, updated)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (account_id) DO UPDATE SET interval = excluded.interval, hours = excluded.hours,
			days = excluded.days, timezone = excluded.timezone, cron = excluded.cron, spread = excluded.spread,
			always = excluded.always, include = excluded.include, exclude = excluded.exclude,
			random = excluded.random, updated = excluded.updated`,
			id, sc.Interval, sc.Hours, sc.Days, sc.TimeZone, sc.Cron, sc.Spread, lists[0], lists[1], lists[2],
			a.Random, ts(updated))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save settings of %s: %w", account, err)
	}
	return nil
}

// AccountSettings implements store.Store.
func (s *Store) AccountSettings(ctx context.Context) (map[string]store.AccountSettings, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT a.name, a.name_key, st.interval, st.hours, st.days, st.timezone,
		st.cron, st.spread, st.always, st.include, st.exclude, st.random, st.updated
		FROM account_settings st JOIN accounts a ON a.id = st.account_id`)
	if err != nil {
		return nil, fmt.Errorf("store: account settings: %w", err)
	}
	defer rows.Close()
	out := map[string]store.AccountSettings{}
	for rows.Next() {
		var st store.AccountSettings
		var key, updated string
		var lists [3]sql.NullString
		sc := &st.Schedule
		if err := rows.Scan(&st.Account, &key, &sc.Interval, &sc.Hours, &sc.Days, &sc.TimeZone, &sc.Cron, &sc.Spread,
			&lists[0], &lists[1], &lists[2], &st.Activities.Random, &updated); err != nil {
			return nil, fmt.Errorf("store: account settings: %w", err)
		}
		var errs [4]error
		st.Activities.Always, errs[0] = parseList(lists[0])
		st.Activities.Include, errs[1] = parseList(lists[1])
		st.Activities.Exclude, errs[2] = parseList(lists[2])
		st.Updated, errs[3] = parseTS(updated)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("store: settings of %s: %w", st.Account, err)
		}
		out[key] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: account settings: %w", err)
	}
	return out, nil
}

// DeleteAccountSettings implements store.Store.
func (s *Store) DeleteAccountSettings(ctx context.Context, account string) error {
	_, err := s.w.ExecContext(context.WithoutCancel(ctx), `DELETE FROM account_settings
		WHERE account_id = (SELECT id FROM accounts WHERE name_key = $1)`, store.FoldName(account))
	if err != nil {
		return fmt.Errorf("store: remove settings of %s: %w", account, err)
	}
	return nil
}

// roundStatsQuery returns a row a round of account $1 (name_key) started at or after $2,
// its results counted.
const roundStatsQuery = `SELECT r.started, r.verdict, COUNT(x.round_id),
	COALESCE(SUM(x.outcome = 'ok'), 0), COALESCE(SUM(x.outcome = 'failed'), 0),
	COALESCE(SUM(x.outcome = 'skipped'), 0), COALESCE(SUM(x.calls), 0)
	FROM rounds r LEFT JOIN round_results x ON x.round_id = r.id
	WHERE r.account_id = (SELECT id FROM accounts WHERE name_key = $1) AND r.started >= $2
	GROUP BY r.started, r.id ORDER BY r.started, r.id`

// RoundStats implements store.Store.
func (s *Store) RoundStats(ctx context.Context, account string, since time.Time, bucket time.Duration, loc *time.Location) ([]store.RoundBucket, error) {
	if loc == nil {
		loc = time.UTC
	}
	now := s.nowUTC()
	// Check the buckets before the query: FillBuckets would refuse them after it.
	if err := store.CheckBuckets(since, now, bucket); err != nil {
		return nil, fmt.Errorf("store: round stats of %s: %w", account, err)
	}
	// One row a round (its results counted), bucketed here: SQLite knows no time zones.
	rows, err := s.r.QueryContext(ctx, roundStatsQuery, store.FoldName(account), ts(since))
	if err != nil {
		return nil, fmt.Errorf("store: round stats of %s: %w", account, err)
	}
	defer rows.Close()
	var buckets []store.RoundBucket
	for rows.Next() {
		var started, verdict string
		var n, ok, failed, skipped, calls int
		if err := rows.Scan(&started, &verdict, &n, &ok, &failed, &skipped, &calls); err != nil {
			return nil, fmt.Errorf("store: round stats of %s: %w", account, err)
		}
		t, err := parseTS(started)
		if err != nil {
			return nil, fmt.Errorf("store: round stats of %s: %w", account, err)
		}
		start := store.BucketStart(t, since, bucket, loc)
		if len(buckets) == 0 || !buckets[len(buckets)-1].Start.Equal(start) {
			buckets = append(buckets, store.RoundBucket{Start: start})
		}
		b := &buckets[len(buckets)-1]
		b.Rounds++
		switch verdict {
		case store.VerdictOK:
			b.OK++
		case store.VerdictDegraded:
			b.Degraded++
		case store.VerdictNeedsOwner:
			b.NeedsOwner++
		}
		b.Activities += n
		b.ActivityOK += ok
		b.ActivityFailed += failed
		b.ActivitySkipped += skipped
		b.Calls += calls
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: round stats of %s: %w", account, err)
	}
	out, err := store.FillBuckets(buckets, since, now, bucket, loc)
	if err != nil {
		return nil, fmt.Errorf("store: round stats of %s: %w", account, err)
	}
	return out, nil
}

// activityStatsQuery returns the results of the rounds of account $1 (name_key) started at
// or after $2, newest first, so that the first failure met of an activity is its last; the
// details of the other results are not read.
const activityStatsQuery = `SELECT x.activity, x.workload, x.outcome, x.duration_ms, x.calls,
	CASE WHEN x.outcome = 'failed' THEN r.started END, r.id,
	CASE WHEN x.outcome = 'failed' THEN x.status END,
	CASE WHEN x.outcome = 'failed' THEN x.code END,
	CASE WHEN x.outcome = 'failed' THEN x.request_id END,
	CASE WHEN x.outcome = 'failed' THEN x.message END
	FROM rounds r JOIN round_results x ON x.round_id = r.id
	WHERE r.account_id = (SELECT id FROM accounts WHERE name_key = $1) AND r.started >= $2
	ORDER BY r.started DESC, r.id DESC, x.seq DESC`

// ActivityStats implements store.Store.
func (s *Store) ActivityStats(ctx context.Context, account string, since time.Time) ([]store.ActivityStat, error) {
	rows, err := s.r.QueryContext(ctx, activityStatsQuery, store.FoldName(account), ts(since))
	if err != nil {
		return nil, fmt.Errorf("store: activity stats of %s: %w", account, err)
	}
	defer rows.Close()
	type key struct{ activity, workload string }
	type agg struct {
		store.ActivityStat
		durations []int64
		sum       int64
	}
	index := map[key]*agg{}
	var all []*agg
	for rows.Next() {
		var k key
		var outcome string
		var duration int64
		var calls int
		var started, code, requestID, message sql.NullString
		var roundID int64
		var status sql.NullInt64
		if err := rows.Scan(&k.activity, &k.workload, &outcome, &duration, &calls, &started, &roundID,
			&status, &code, &requestID, &message); err != nil {
			return nil, fmt.Errorf("store: activity stats of %s: %w", account, err)
		}
		a := index[k]
		if a == nil {
			a = &agg{ActivityStat: store.ActivityStat{Activity: k.activity, Workload: k.workload}}
			index[k] = a
			all = append(all, a)
		}
		a.Runs++
		a.Calls += calls
		switch outcome {
		case store.OutcomeOK:
			a.OK++
			a.sum += duration
			a.durations = append(a.durations, duration)
		case store.OutcomeFailed:
			a.Failed++
			if a.LastFailure.At.IsZero() {
				at, err := parseTS(started.String)
				if err != nil {
					return nil, fmt.Errorf("store: round %d: %w", roundID, err)
				}
				a.LastFailure = store.ActivityFailure{At: at, RoundID: roundID, Status: int(status.Int64),
					Code: code.String, RequestID: requestID.String, Message: message.String}
			}
		case store.OutcomeSkipped:
			a.Skipped++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: activity stats of %s: %w", account, err)
	}
	out := make([]store.ActivityStat, 0, len(all))
	for _, a := range all {
		if n := int64(len(a.durations)); n > 0 {
			a.AvgMs = (a.sum + n/2) / n
			slices.Sort(a.durations)
			a.P95Ms = store.Percentile(a.durations, 95)
		}
		out = append(out, a.ActivityStat)
	}
	slices.SortFunc(out, func(a, b store.ActivityStat) int {
		return cmp.Or(cmp.Compare(a.Workload, b.Workload), cmp.Compare(a.Activity, b.Activity))
	})
	return out, nil
}

// Outcomes are counted in one pass over a round's results, packed in one integer: 1 for
// ok, 2^20 for failed, 2^40 for skipped (a round has far fewer than 2^20 results). Three
// counts would take three passes: twice as long for LastRoundSummaries.
const (
	countShift      = 20
	countMask       = 1<<countShift - 1
	countedOutcomes = `(SELECT SUM(CASE x.outcome WHEN 'ok' THEN 1 WHEN 'failed' THEN 1048576 WHEN 'skipped' THEN 1099511627776 ELSE 0 END)
		FROM round_results x WHERE x.round_id = r.id)`
)

func unpackCounts(packed int64) (ok, failed, skipped int) {
	return int(packed & countMask), int(packed >> countShift & countMask), int(packed >> (2 * countShift) & countMask)
}

const lastSummariesQuery = `SELECT ` + roundColumns + `, COALESCE(` + countedOutcomes + `, 0)
	FROM accounts a JOIN rounds r ON r.id = ` + newestRound

// LastRoundSummaries implements store.Store.
func (s *Store) LastRoundSummaries(ctx context.Context) (map[string]store.RoundSummary, error) {
	rows, err := s.r.QueryContext(ctx, lastSummariesQuery)
	if err != nil {
		return nil, fmt.Errorf("store: last rounds: %w", err)
	}
	defer rows.Close()
	out := map[string]store.RoundSummary{}
	for rows.Next() {
		var r store.RoundSummary
		var started string
		var finished sql.NullString
		var counts int64
		if err := rows.Scan(&r.ID, &r.Account, &started, &finished, &r.Verdict, &r.Reason, &r.Code, &r.Message,
			&counts); err != nil {
			return nil, fmt.Errorf("store: last rounds: %w", err)
		}
		r.OK, r.Failed, r.Skipped = unpackCounts(counts)
		var e1, e2 error
		r.Started, e1 = parseTS(started)
		r.Finished, e2 = parseNullTS(finished)
		if err := errors.Join(e1, e2); err != nil {
			return nil, fmt.Errorf("store: round %d: %w", r.ID, err)
		}
		out[r.Account] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: last rounds: %w", err)
	}
	return out, nil
}

// recentVerdictsQuery returns, for every account, the verdicts of its newest $1 rounds
// oldest first, separated by spaces (verdicts have none), or NULL when it has no round:
// one walk of the (account_id, started) index for each account, stopped after $1 rows.
// Faster than ROW_NUMBER(), which numbers every round of every account, and than one row
// a round (see BenchmarkDashboard). group_concat(... ORDER BY) needs SQLite 3.44.
const recentVerdictsQuery = `SELECT a.name, (SELECT group_concat(v.verdict, ' ' ORDER BY v.started, v.id)
	FROM (SELECT n.verdict, n.started, n.id FROM rounds n WHERE n.account_id = a.id
	ORDER BY n.started DESC, n.id DESC LIMIT $1) v) FROM accounts a`

// RecentVerdicts implements store.Store.
func (s *Store) RecentVerdicts(ctx context.Context, n int) (map[string][]string, error) {
	if n <= 0 {
		return nil, fmt.Errorf("store: recent verdicts: %d rounds asked for, want at least 1", n)
	}
	rows, err := s.r.QueryContext(ctx, recentVerdictsQuery, n)
	if err != nil {
		return nil, fmt.Errorf("store: recent verdicts: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var name string
		var verdicts sql.NullString
		if err := rows.Scan(&name, &verdicts); err != nil {
			return nil, fmt.Errorf("store: recent verdicts: %w", err)
		}
		if verdicts.Valid {
			out[name] = strings.Fields(verdicts.String)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: recent verdicts: %w", err)
	}
	return out, nil
}

// PurgeAccount implements store.Store.
func (s *Store) PurgeAccount(ctx context.Context, name string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var id int64
		var stored string
		var inConfig, managed bool
		var pending int
		err := tx.QueryRowContext(ctx, `SELECT a.id, a.name, a.in_config,
			EXISTS (SELECT 1 FROM managed_accounts m WHERE m.account_id = a.id),
			(SELECT COUNT(*) FROM journal j WHERE j.account_id = a.id)
			FROM accounts a WHERE a.name_key = $1`, store.FoldName(name)).Scan(&id, &stored, &inConfig, &managed, &pending)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if pending > 0 {
			return fmt.Errorf("%w: %d in its journal", store.ErrJournalPending, pending)
		}
		if inConfig && !managed {
			return fmt.Errorf("%w file: remove it there first", store.ErrInConfig)
		}
		for _, q := range []string{
			`DELETE FROM round_results WHERE round_id IN (SELECT id FROM rounds WHERE account_id = $1)`,
			`DELETE FROM rounds WHERE account_id = $1`,
			`DELETE FROM account_state WHERE account_id = $1`,
			`DELETE FROM state_changes WHERE account_id = $1`,
			`DELETE FROM activity_health WHERE account_id = $1`,
			`DELETE FROM account_settings WHERE account_id = $1`,
			`DELETE FROM managed_accounts WHERE account_id = $1`,
			`DELETE FROM tokens WHERE account_id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO state_changes (account_id, at, kind, reason, by_who)
			VALUES ($1, $2, $3, 'purged', 'owner')`, id, ts(s.nowUTC()), store.ChangeAccounts)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: purge %s: %w", name, err)
	}
	return nil
}
