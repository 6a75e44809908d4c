-- What the web dashboard keeps: settings of e5renew itself and the settings of accounts
-- edited there (overrides of the configuration file).

-- +goose Up
CREATE TABLE settings (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL,
    updated TEXT NOT NULL
) WITHOUT ROWID;

-- Empty strings: not set. Lists are JSON arrays; NULL: not set, '[]': set to nothing.
CREATE TABLE account_settings (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
    interval   TEXT NOT NULL DEFAULT '',
    hours      TEXT NOT NULL DEFAULT '',
    days       TEXT NOT NULL DEFAULT '',
    timezone   TEXT NOT NULL DEFAULT '',
    cron       TEXT NOT NULL DEFAULT '',
    spread     TEXT NOT NULL DEFAULT '',
    always     TEXT,
    include    TEXT,
    exclude    TEXT,
    random     TEXT NOT NULL DEFAULT '',
    updated    TEXT NOT NULL
);

-- +goose Down
DROP TABLE account_settings;
DROP TABLE settings;
