package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/e5renew/e5renew/internal/store"
)

// LoadState implements store.Store.
func (s *Store) LoadState(ctx context.Context, account string) (store.AccountState, bool, error) {
	var out []store.AccountState
	err := s.read(ctx, func(tx *sql.Tx) (err error) {
		out, err = s.queryStates(ctx, tx, `WHERE a.name_key = $1`, store.FoldName(account))
		return err
	})
	if err != nil {
		return store.AccountState{}, false, fmt.Errorf("store: state of %s: %w", account, err)
	}
	if len(out) == 0 {
		return store.AccountState{}, false, nil
	}
	return out[0], true, nil
}

// States implements store.Store.
func (s *Store) States(ctx context.Context) ([]store.AccountState, error) {
	var out []store.AccountState
	err := s.read(ctx, func(tx *sql.Tx) (err error) {
		out, err = s.queryStates(ctx, tx, `ORDER BY a.name_key`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: states: %w", err)
	}
	return out, nil
}

func (s *Store) queryStates(ctx context.Context, tx *sql.Tx, where string, args ...any) ([]store.AccountState, error) {
	rows, err := tx.QueryContext(ctx, `SELECT a.name, st.next_run, st.paused, st.pause_reason, st.pause_code,
		st.pause_message, st.paused_at, st.pause_until, st.failures, st.degraded, st.fingerprint,
		st.notified, st.updated FROM account_state st JOIN accounts a ON a.id = st.account_id `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.AccountState
	for rows.Next() {
		var st store.AccountState
		var next, pausedAt, until sql.NullString
		var updated string
		if err := rows.Scan(&st.Account, &next, &st.Paused, &st.PauseReason, &st.PauseCode, &st.PauseMessage,
			&pausedAt, &until, &st.Failures, &st.Degraded, &st.Fingerprint, &st.Notified, &updated); err != nil {
			return nil, err
		}
		var errs [4]error
		st.NextRun, errs[0] = parseNullTS(next)
		st.PausedAt, errs[1] = parseNullTS(pausedAt)
		st.PauseUntil, errs[2] = parseNullTS(until)
		st.Updated, errs[3] = parseTS(updated)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("state of %s: %w", st.Account, err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// SaveState implements store.Store.
func (s *Store) SaveState(ctx context.Context, st store.AccountState) error {
	if err := s.SaveStates(ctx, []store.AccountState{st}); err != nil {
		return fmt.Errorf("store: save state of %s: %w", st.Account, err)
	}
	return nil
}

// SaveStates implements store.Store.
func (s *Store) SaveStates(ctx context.Context, states []store.AccountState) error {
	ctx = context.WithoutCancel(ctx)
	now := s.nowUTC()
	return s.write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO account_state (account_id, next_run, paused, pause_reason,
			pause_code, pause_message, paused_at, pause_until, failures, degraded, fingerprint, notified, updated)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (account_id) DO UPDATE SET next_run = excluded.next_run, paused = excluded.paused,
			pause_reason = excluded.pause_reason, pause_code = excluded.pause_code,
			pause_message = excluded.pause_message, paused_at = excluded.paused_at,
			pause_until = excluded.pause_until, failures = excluded.failures, degraded = excluded.degraded,
			fingerprint = excluded.fingerprint, notified = excluded.notified, updated = excluded.updated`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, st := range states {
			updated := st.Updated
			if updated.IsZero() {
				updated = now
			}
			id, _, err := s.account(ctx, tx, st.Account)
			if err != nil {
				return fmt.Errorf("%s: %w", st.Account, err)
			}
			if _, err := stmt.ExecContext(ctx, id, nullTS(st.NextRun), boolInt(st.Paused), st.PauseReason, st.PauseCode,
				st.PauseMessage, nullTS(st.PausedAt), nullTS(st.PauseUntil), st.Failures, st.Degraded, st.Fingerprint,
				st.Notified, ts(updated)); err != nil {
				return fmt.Errorf("%s: %w", st.Account, err)
			}
		}
		return nil
	})
}

// RecordChange implements store.Store.
func (s *Store) RecordChange(ctx context.Context, c *store.StateChange) error {
	if c == nil || c.Account == "" || c.Kind == "" {
		return errors.New("store: a state change needs an account and a kind")
	}
	ctx = context.WithoutCancel(ctx)
	at := c.At
	if at.IsZero() {
		at = s.nowUTC()
	}
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		accountID, _, err := s.account(ctx, tx, c.Account)
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO state_changes (account_id, at, kind, reason, message, by_who)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			accountID, ts(at), c.Kind, c.Reason, c.Message, c.By).Scan(&id)
	})
	if err != nil {
		return fmt.Errorf("store: record %s of %s: %w", c.Kind, c.Account, err)
	}
	c.ID, c.At = id, at
	return nil
}

const changeColumns = `c.id, a.name, c.at, c.kind, c.reason, c.message, c.by_who`

// Changes implements store.Store.
func (s *Store) Changes(ctx context.Context, account string, limit int) ([]store.StateChange, error) {
	q := `SELECT ` + changeColumns + ` FROM state_changes c JOIN accounts a ON a.id = c.account_id`
	var args []any
	if account != "" {
		q += ` WHERE a.name_key = $1`
		args = append(args, store.FoldName(account))
	}
	q += ` ORDER BY c.id DESC`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	out, err := s.queryChanges(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: changes of %q: %w", account, err)
	}
	return out, nil
}

// ChangesAfter implements store.Store.
func (s *Store) ChangesAfter(ctx context.Context, afterID int64) ([]store.StateChange, error) {
	out, err := s.queryChanges(ctx, `SELECT `+changeColumns+` FROM state_changes c
		JOIN accounts a ON a.id = c.account_id WHERE c.id > $1 ORDER BY c.id`, afterID)
	if err != nil {
		return nil, fmt.Errorf("store: changes after %d: %w", afterID, err)
	}
	return out, nil
}

func (s *Store) queryChanges(ctx context.Context, q string, args ...any) ([]store.StateChange, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.StateChange
	for rows.Next() {
		var c store.StateChange
		var at string
		if err := rows.Scan(&c.ID, &c.Account, &at, &c.Kind, &c.Reason, &c.Message, &c.By); err != nil {
			return nil, err
		}
		if c.At, err = parseTS(at); err != nil {
			return nil, fmt.Errorf("change %d: %w", c.ID, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SaveActivityHealth implements store.Store.
func (s *Store) SaveActivityHealth(ctx context.Context, h store.ActivityHealth) error {
	if h.Activity == "" {
		return fmt.Errorf("store: activity health of %s has no activity", h.Account)
	}
	ctx = context.WithoutCancel(ctx)
	updated := h.Updated
	if updated.IsZero() {
		updated = s.nowUTC()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		id, _, err := s.account(ctx, tx, h.Account)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO activity_health (account_id, activity, failures, last_code,
			last_status, demoted_until, updated) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (account_id, activity) DO UPDATE SET failures = excluded.failures,
			last_code = excluded.last_code, last_status = excluded.last_status,
			demoted_until = excluded.demoted_until, updated = excluded.updated`,
			id, h.Activity, h.Failures, h.LastCode, h.LastStatus, nullTS(h.DemotedUntil), ts(updated))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save health of %s/%s: %w", h.Account, h.Activity, err)
	}
	return nil
}

// ActivityHealth implements store.Store.
func (s *Store) ActivityHealth(ctx context.Context, account string) ([]store.ActivityHealth, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT a.name, h.activity, h.failures, h.last_code, h.last_status,
		h.demoted_until, h.updated FROM activity_health h JOIN accounts a ON a.id = h.account_id
		WHERE a.name_key = $1 ORDER BY h.activity`, store.FoldName(account))
	if err != nil {
		return nil, fmt.Errorf("store: activity health of %s: %w", account, err)
	}
	defer rows.Close()
	var out []store.ActivityHealth
	for rows.Next() {
		var h store.ActivityHealth
		var until sql.NullString
		var updated string
		if err := rows.Scan(&h.Account, &h.Activity, &h.Failures, &h.LastCode, &h.LastStatus, &until, &updated); err != nil {
			return nil, fmt.Errorf("store: activity health of %s: %w", account, err)
		}
		var e1, e2 error
		h.DemotedUntil, e1 = parseNullTS(until)
		h.Updated, e2 = parseTS(updated)
		if err := errors.Join(e1, e2); err != nil {
			return nil, fmt.Errorf("store: activity health of %s/%s: %w", account, h.Activity, err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: activity health of %s: %w", account, err)
	}
	return out, nil
}

// RecordDelivery implements store.Store.
func (s *Store) RecordDelivery(ctx context.Context, d *store.Delivery) error {
	if d == nil || d.Channel == "" || d.Kind == "" {
		return errors.New("store: a delivery needs a channel and a kind")
	}
	ctx = context.WithoutCancel(ctx)
	at := d.At
	if at.IsZero() {
		at = s.nowUTC()
	}
	var id int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO deliveries (at, channel, kind, account, ok, error)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		ts(at), d.Channel, d.Kind, d.Account, boolInt(d.OK), d.Error).Scan(&id)
	if err != nil {
		return fmt.Errorf("store: record delivery to %s: %w", d.Channel, err)
	}
	d.ID, d.At = id, at
	return nil
}

// Deliveries implements store.Store.
func (s *Store) Deliveries(ctx context.Context, channel string, limit int) ([]store.Delivery, error) {
	q := `SELECT id, at, channel, kind, account, ok, error FROM deliveries`
	var args []any
	if channel != "" {
		q += ` WHERE channel = $1`
		args = append(args, channel)
	}
	q += ` ORDER BY id DESC`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	defer rows.Close()
	var out []store.Delivery
	for rows.Next() {
		var d store.Delivery
		var at string
		if err := rows.Scan(&d.ID, &at, &d.Channel, &d.Kind, &d.Account, &d.OK, &d.Error); err != nil {
			return nil, fmt.Errorf("store: deliveries: %w", err)
		}
		if d.At, err = parseTS(at); err != nil {
			return nil, fmt.Errorf("store: delivery %d: %w", d.ID, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	return out, nil
}
