-- Notifications and background work: the transactional outbox, webhooks,
-- and the settings of reminders, unpaid auto-cancel and Telegram events.

ALTER TABLE studio_settings ADD COLUMN reminder_hours INTEGER NOT NULL DEFAULT 24
    CHECK (reminder_hours BETWEEN 0 AND 720);
-- NULL: unpaid bookings are never cancelled by the system.
ALTER TABLE studio_settings ADD COLUMN unpaid_cancel_hours INTEGER
    CHECK (unpaid_cancel_hours IS NULL OR unpaid_cancel_hours BETWEEN 1 AND 720);
-- Which events go to the staff chat (comma-separated kinds).
ALTER TABLE studio_settings ADD COLUMN telegram_events TEXT NOT NULL
    DEFAULT 'booking_created,booking_cancelled,booking_rescheduled,no_show';
-- The language the guest booked in, for the e-mails they get.
ALTER TABLE bookings ADD COLUMN locale TEXT NOT NULL DEFAULT 'ru'
    CHECK (locale IN ('ru', 'en'));

CREATE TABLE webhooks (
    id          TEXT    PRIMARY KEY,
    url         TEXT    NOT NULL CHECK (length(url) <= 2000),
    events      TEXT    NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    secret      TEXT    NOT NULL,
    created_by  TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER
);

-- One row per message to deliver, written in the transaction of the change
-- that causes it. `payload` holds no guest data: messages are rendered from
-- the booking when they are sent (webhook bodies carry the event only).
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id     TEXT    NOT NULL UNIQUE,
    channel         TEXT    NOT NULL CHECK (channel IN ('telegram', 'email', 'webhook')),
    kind            TEXT    NOT NULL,
    booking_id      TEXT,
    webhook_id      TEXT    REFERENCES webhooks (id),
    event_id        INTEGER,
    payload         TEXT    NOT NULL,
    dedup_key       TEXT    UNIQUE,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_error      TEXT,
    last_status     INTEGER,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_by_webhook ON outbox (webhook_id, id);

CREATE TABLE outbox_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id   INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status_code INTEGER,
    outcome     TEXT    NOT NULL,
    error       TEXT,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX outbox_attempts_by_row ON outbox_attempts (outbox_id, id);
