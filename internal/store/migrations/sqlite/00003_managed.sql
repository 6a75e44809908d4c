-- Accounts added by e5renew itself (login, accounts add, import, setup) rather than written
-- in the configuration file: their credentials are sealed with the store's key.

-- +goose Up
CREATE TABLE managed_accounts (
    account_id     INTEGER PRIMARY KEY REFERENCES accounts (id),
    type           TEXT    NOT NULL,
    tenant         TEXT    NOT NULL DEFAULT '',
    client_id      TEXT    NOT NULL DEFAULT '',
    user_name      TEXT    NOT NULL DEFAULT '', -- the mailbox an application account works on
    username       TEXT    NOT NULL DEFAULT '', -- the sign-in name of a password account
    scopes         TEXT    NOT NULL DEFAULT '',
    credentials    TEXT    NOT NULL,            -- sealed JSON: client_secret, refresh_token, password
    secret_expires TEXT,
    source         TEXT    NOT NULL DEFAULT '',
    created        TEXT    NOT NULL,
    updated        TEXT    NOT NULL
);

-- +goose Down
DROP TABLE managed_accounts;
