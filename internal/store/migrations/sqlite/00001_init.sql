-- The first schema. Timestamps are TEXT in UTC, fixed width
-- ('2006-01-02T15:04:05.000000Z'), so they sort as they compare.

-- +goose Up
CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,           -- spelling of the latest configuration
    name_key   TEXT    NOT NULL UNIQUE,    -- store.FoldName(name)
    type       TEXT    NOT NULL DEFAULT '',
    tenant     TEXT    NOT NULL DEFAULT '',
    client_id  TEXT    NOT NULL DEFAULT '',
    user_name  TEXT    NOT NULL DEFAULT '',
    enabled    INTEGER NOT NULL DEFAULT 0,
    in_config  INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT    NOT NULL,
    last_seen  TEXT    NOT NULL
);

-- One refresh token per account, sealed with the associated data
-- 'account:<accounts.name>|refresh_token'.
CREATE TABLE tokens (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts (id),
    refresh_token TEXT NOT NULL,
    seed          TEXT NOT NULL DEFAULT '',
    updated       TEXT NOT NULL
);

CREATE TABLE rounds (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    started    TEXT    NOT NULL,
    finished   TEXT,
    verdict    TEXT    NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    code       TEXT    NOT NULL DEFAULT '',
    message    TEXT    NOT NULL DEFAULT ''
);
-- Newest rounds of an account: (account_id, started DESC, id DESC) walks this backwards.
CREATE INDEX rounds_account_started ON rounds (account_id, started);

CREATE TABLE round_results (
    round_id    INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    activity    TEXT    NOT NULL,
    workload    TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL,
    status      INTEGER NOT NULL DEFAULT 0,
    code        TEXT    NOT NULL DEFAULT '',
    request_id  TEXT    NOT NULL DEFAULT '',
    message     TEXT    NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL DEFAULT 0,
    calls       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (round_id, seq)
) WITHOUT ROWID;

-- AUTOINCREMENT: an entry's id is never reused, so a stale entry cannot touch a newer one.
CREATE TABLE journal (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    activity   TEXT    NOT NULL DEFAULT '',
    kind       TEXT    NOT NULL,
    marker     TEXT    NOT NULL DEFAULT '',
    ref        TEXT    NOT NULL DEFAULT '',
    object_id  TEXT    NOT NULL DEFAULT '',
    created    TEXT    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_err   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX journal_account ON journal (account_id, id);

-- +goose Down
DROP TABLE journal;
DROP TABLE round_results;
DROP TABLE rounds;
DROP TABLE tokens;
DROP TABLE accounts;
