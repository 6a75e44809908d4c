-- What the daemon keeps between rounds: the plan, pauses, state changes, activity health
-- and notification deliveries.

-- +goose Up
CREATE TABLE account_state (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts (id),
    next_run      TEXT,
    paused        INTEGER NOT NULL DEFAULT 0,
    pause_reason  TEXT    NOT NULL DEFAULT '',
    pause_code    TEXT    NOT NULL DEFAULT '',
    pause_message TEXT    NOT NULL DEFAULT '',
    paused_at     TEXT,
    pause_until   TEXT,
    failures      INTEGER NOT NULL DEFAULT 0,
    degraded      INTEGER NOT NULL DEFAULT 0,
    fingerprint   TEXT    NOT NULL DEFAULT '',
    notified      TEXT    NOT NULL DEFAULT '',
    updated       TEXT    NOT NULL
);

CREATE TABLE state_changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    at         TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    message    TEXT    NOT NULL DEFAULT '',
    by_who     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX state_changes_account ON state_changes (account_id, id);

CREATE TABLE activity_health (
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    activity      TEXT    NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    last_code     TEXT    NOT NULL DEFAULT '',
    last_status   INTEGER NOT NULL DEFAULT 0,
    demoted_until TEXT,
    updated       TEXT    NOT NULL,
    PRIMARY KEY (account_id, activity)
) WITHOUT ROWID;

CREATE TABLE deliveries (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT    NOT NULL,
    channel TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    account TEXT    NOT NULL DEFAULT '',
    ok      INTEGER NOT NULL,
    error   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX deliveries_channel ON deliveries (channel, id);

-- +goose Down
DROP TABLE deliveries;
DROP TABLE activity_health;
DROP TABLE state_changes;
DROP TABLE account_state;
