-- Foundation schema. Instants are UTC epoch seconds (BIGINT) on both
-- backends, so range rules (opening hours, overlaps, buffers) are the same
-- integer arithmetic everywhere; wall-clock times live only in the UI.

CREATE TABLE studio_settings (
    id                    INTEGER PRIMARY KEY CHECK (id = 1),
    name                  TEXT    NOT NULL,
    time_zone             TEXT    NOT NULL,
    slot_minutes          INTEGER NOT NULL DEFAULT 60,
    min_booking_minutes   INTEGER NOT NULL DEFAULT 60,
    max_booking_minutes   INTEGER NOT NULL DEFAULT 720,
    buffer_minutes        INTEGER NOT NULL DEFAULT 0,
    lead_minutes          INTEGER NOT NULL DEFAULT 60,
    horizon_days          INTEGER NOT NULL DEFAULT 90,
    cancellation_hours    INTEGER NOT NULL DEFAULT 24,
    created_at            BIGINT  NOT NULL,
    updated_at            BIGINT  NOT NULL
);

-- Weekday 1 = Monday … 7 = Sunday (ISO). Minutes from local midnight.
CREATE TABLE working_hours (
    weekday      INTEGER NOT NULL PRIMARY KEY CHECK (weekday BETWEEN 1 AND 7),
    opens_at     INTEGER NOT NULL CHECK (opens_at BETWEEN 0 AND 1440),
    closes_at    INTEGER NOT NULL CHECK (closes_at BETWEEN 0 AND 1440),
    CHECK (opens_at < closes_at)
);

CREATE TABLE spaces (
    id                  TEXT    PRIMARY KEY,
    slug                TEXT    NOT NULL UNIQUE,
    name                TEXT    NOT NULL,
    description         TEXT    NOT NULL DEFAULT '',
    capacity            INTEGER NOT NULL CHECK (capacity > 0),
    hourly_price        BIGINT  NOT NULL CHECK (hourly_price >= 0),
    included_people     INTEGER NOT NULL CHECK (included_people >= 0),
    extra_person_price  BIGINT  NOT NULL DEFAULT 0 CHECK (extra_person_price >= 0),
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    sort_order          INTEGER NOT NULL DEFAULT 0,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE TABLE employees (
    id                    TEXT    PRIMARY KEY,
    username              TEXT    NOT NULL UNIQUE,
    email                 TEXT    NOT NULL,
    full_name             TEXT    NOT NULL,
    phone                 TEXT,
    position              TEXT,
    department            TEXT,
    role                  TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'manager')),
    active                BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash         TEXT    NOT NULL,
    must_change_password  BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins         INTEGER NOT NULL DEFAULT 0,
    locked_until          BIGINT,
    last_login_at         BIGINT,
    password_changed_at   BIGINT  NOT NULL,
    created_at            BIGINT  NOT NULL,
    updated_at            BIGINT  NOT NULL
);

CREATE TABLE domain_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_type      TEXT    NOT NULL,
    aggregate_type  TEXT    NOT NULL,
    aggregate_id    TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    actor           TEXT,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX domain_events_aggregate ON domain_events (aggregate_type, aggregate_id);
