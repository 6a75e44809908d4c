package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/e5renew/e5renew/internal/secret"
	"github.com/e5renew/e5renew/internal/store"
)

// credentials is what is sealed in managed_accounts.credentials.
type credentials struct {
	ClientSecret string `json:"client_secret,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Password     string `json:"password,omitempty"`
}

// SaveManaged implements store.Store.
func (s *Store) SaveManaged(ctx context.Context, a store.ManagedAccount) error {
	if a.Name == "" || a.Type == "" {
		return errors.New("store: a managed account needs a name and a type")
	}
	ctx = context.WithoutCancel(ctx)
	plain, err := json.Marshal(credentials{ClientSecret: a.ClientSecret.Reveal(), RefreshToken: a.RefreshToken.Reveal(), Password: a.Password.Reveal()})
	if err != nil {
		return err
	}
	now := s.nowUTC()
	if a.Updated.IsZero() {
		a.Updated = now
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		id, _, err := s.account(ctx, tx, a.Name)
		if err != nil {
			return err
		}
		created := a.Created
		if created.IsZero() {
			var prev sql.NullString
			err := tx.QueryRowContext(ctx, `SELECT created FROM managed_accounts WHERE account_id = $1`, id).Scan(&prev)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if created, err = parseNullTS(prev); err != nil {
				return err
			}
			if created.IsZero() {
				created = now
			}
		}
		sealed := s.box.Seal(plain, store.CredentialsAD(a.Name))
		_, err = tx.ExecContext(ctx, `INSERT INTO managed_accounts (account_id, type, tenant, client_id, user_name, username,
			scopes, credentials, secret_expires, source, created, updated)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (account_id) DO UPDATE SET type = excluded.type, tenant = excluded.tenant,
			client_id = excluded.client_id, user_name = excluded.user_name, username = excluded.username,
			scopes = excluded.scopes, credentials = excluded.credentials, secret_expires = excluded.secret_expires,
			source = excluded.source, created = excluded.created, updated = excluded.updated`,
			id, a.Type, a.Tenant, a.ClientID, a.User, a.Username, strings.Join(a.Scopes, " "), sealed,
			nullTS(a.SecretExpires), a.Source, ts(created), ts(a.Updated))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save account %s: %w", a.Name, err)
	}
	return nil
}

// ManagedAccounts implements store.Store.
func (s *Store) ManagedAccounts(ctx context.Context) ([]store.ManagedAccount, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT a.name, m.type, m.tenant, m.client_id, m.user_name, m.username, m.scopes,
		m.credentials, m.secret_expires, m.source, m.created, m.updated
		FROM managed_accounts m JOIN accounts a ON a.id = m.account_id ORDER BY a.name_key`)
	if err != nil {
		return nil, fmt.Errorf("store: managed accounts: %w", err)
	}
	defer rows.Close()
	var out []store.ManagedAccount
	for rows.Next() {
		var a store.ManagedAccount
		var scopes, sealed, created, updated string
		var expires sql.NullString
		if err := rows.Scan(&a.Name, &a.Type, &a.Tenant, &a.ClientID, &a.User, &a.Username, &scopes, &sealed,
			&expires, &a.Source, &created, &updated); err != nil {
			return nil, fmt.Errorf("store: managed accounts: %w", err)
		}
		a.Scopes = strings.Fields(scopes)
		plain, err := s.box.Open(sealed, store.CredentialsAD(a.Name))
		if err != nil {
			return nil, fmt.Errorf("store: credentials of %s: %w", a.Name, err)
		}
		var c credentials
		if err := json.Unmarshal(plain, &c); err != nil {
			return nil, fmt.Errorf("store: credentials of %s are damaged: %w", a.Name, err)
		}
		a.ClientSecret, a.RefreshToken, a.Password = secret.String(c.ClientSecret), secret.String(c.RefreshToken), secret.String(c.Password)
		var errs [3]error
		a.SecretExpires, errs[0] = parseNullTS(expires)
		a.Created, errs[1] = parseTS(created)
		a.Updated, errs[2] = parseTS(updated)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("store: account %s: %w", a.Name, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: managed accounts: %w", err)
	}
	return out, nil
}

// DeleteManaged implements store.Store.
func (s *Store) DeleteManaged(ctx context.Context, name string) error {
	res, err := s.w.ExecContext(context.WithoutCancel(ctx), `DELETE FROM managed_accounts
		WHERE account_id = (SELECT id FROM accounts WHERE name_key = $1)`, store.FoldName(name))
	if err != nil {
		return fmt.Errorf("store: remove account %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: remove account %s: %w", name, store.ErrNotFound)
	}
	return nil
}
