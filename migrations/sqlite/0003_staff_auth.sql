-- Staff authentication: sessions with rotating refresh tokens, lockout
-- bookkeeping, TOTP MFA, and the tamper-evident audit log.

ALTER TABLE employees ADD COLUMN failed_window_start BIGINT;
ALTER TABLE employees ADD COLUMN mfa_secret TEXT;
ALTER TABLE employees ADD COLUMN mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE employees ADD COLUMN mfa_last_step BIGINT;

-- One row per refresh token. A login starts a family; every refresh
-- replaces the token with a new row of the same family. Presenting a token
-- that was already replaced revokes the whole family (token theft).
CREATE TABLE sessions (
    id                TEXT    PRIMARY KEY,
    family_id         TEXT    NOT NULL,
    employee_id       TEXT    NOT NULL REFERENCES employees (id),
    token_hash        TEXT    NOT NULL UNIQUE,   -- SHA-256 of the opaque token
    created_at        BIGINT  NOT NULL,
    last_used_at      BIGINT  NOT NULL,
    absolute_expiry   BIGINT  NOT NULL,          -- of the family
    replaced_at       BIGINT,
    revoked_at        BIGINT,
    ip                TEXT    NOT NULL DEFAULT '',
    user_agent        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_family ON sessions (family_id);
CREATE INDEX sessions_employee ON sessions (employee_id);

CREATE TABLE mfa_backup_codes (
    employee_id  TEXT   NOT NULL REFERENCES employees (id),
    code_hash    TEXT   NOT NULL,
    used_at      BIGINT,
    PRIMARY KEY (employee_id, code_hash)
);

-- Each entry's hash covers its content and the previous entry's hash, so
-- editing or deleting a row breaks the chain from there on.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           BIGINT  NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT    NOT NULL DEFAULT '',
    action       TEXT    NOT NULL,
    target_type  TEXT    NOT NULL DEFAULT '',
    target_id    TEXT    NOT NULL DEFAULT '',
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    details      TEXT    NOT NULL DEFAULT '{}',
    prev_hash    TEXT    NOT NULL,
    hash         TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action);
