-- Guest booking: closed dates, equipment, promo codes, blocked periods,
-- bookings with their equipment and consent records.
--
-- The no-double-booking rule lives in the database. Every live booking
-- (not cancelled, not no-show, not deleted) occupies [starts_at,
-- blocked_until): its end plus the cleaning buffer in force when it was
-- made. The exclusion constraint refuses a row whose range meets another
-- live range of the same space, whatever the isolation level or instance.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE closed_dates (
    date        TEXT PRIMARY KEY,           -- YYYY-MM-DD, studio-local
    reason      TEXT NOT NULL DEFAULT ''
);

CREATE TABLE equipment (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    price       BIGINT  NOT NULL CHECK (price >= 0),
    per_hour    BOOLEAN NOT NULL DEFAULT FALSE,
    stock       INTEGER NOT NULL CHECK (stock >= 0),
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    sort_order  INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE promo_codes (
    code         TEXT    PRIMARY KEY,       -- stored upper-case
    percent_off  INTEGER CHECK (percent_off BETWEEN 1 AND 100),
    amount_off   BIGINT  CHECK (amount_off > 0),
    valid_from   BIGINT,
    valid_until  BIGINT,
    max_uses     INTEGER CHECK (max_uses > 0),
    used_count   INTEGER NOT NULL DEFAULT 0,
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   BIGINT  NOT NULL,
    CHECK ((percent_off IS NULL) <> (amount_off IS NULL))
);

CREATE TABLE blocked_periods (
    id          TEXT   PRIMARY KEY,
    space_id    TEXT   REFERENCES spaces (id),   -- NULL: the whole studio
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    reason      TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    created_by  TEXT,
    CHECK (starts_at < ends_at)
);
CREATE INDEX blocked_periods_time ON blocked_periods (starts_at, ends_at);

CREATE TABLE bookings (
    id                    TEXT    PRIMARY KEY,
    reference             TEXT    NOT NULL UNIQUE,
    space_id              TEXT    NOT NULL REFERENCES spaces (id),
    starts_at             BIGINT  NOT NULL,
    ends_at               BIGINT  NOT NULL,
    blocked_until         BIGINT  NOT NULL,
    people_count          INTEGER NOT NULL CHECK (people_count > 0),
    client_name           TEXT    NOT NULL,
    client_phone          TEXT    NOT NULL,  -- E.164
    client_phone_display  TEXT    NOT NULL,  -- as typed
    client_email          TEXT,
    special_requirements  TEXT    NOT NULL DEFAULT '',
    promo_code            TEXT,
    price_base            BIGINT  NOT NULL,
    price_equipment       BIGINT  NOT NULL,
    price_extra_people    BIGINT  NOT NULL,
    price_discount        BIGINT  NOT NULL,
    price_total           BIGINT  NOT NULL,
    payment_status        TEXT    NOT NULL DEFAULT 'unpaid'
        CHECK (payment_status IN ('unpaid', 'partially_paid', 'paid', 'refunded')),
    source                TEXT    NOT NULL CHECK (source IN ('website', 'phone', 'walk_in', 'staff')),
    notes                 TEXT    NOT NULL DEFAULT '',
    internal_notes        TEXT    NOT NULL DEFAULT '',
    state                 TEXT    NOT NULL
        CHECK (state IN ('pending', 'confirmed', 'in_progress', 'completed', 'cancelled', 'no_show')),
    version               INTEGER NOT NULL DEFAULT 1,
    created_at            BIGINT  NOT NULL,
    created_by            TEXT,
    updated_at            BIGINT  NOT NULL,
    updated_by            TEXT,
    deleted_at            BIGINT,
    CHECK (starts_at < ends_at AND ends_at <= blocked_until)
);
CREATE INDEX bookings_space_time ON bookings (space_id, starts_at);
CREATE INDEX bookings_time ON bookings (starts_at);
CREATE INDEX bookings_phone ON bookings (client_phone);

ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap
    EXCLUDE USING gist (space_id WITH =, int8range(starts_at, blocked_until) WITH &&)
    WHERE (state NOT IN ('cancelled', 'no_show') AND deleted_at IS NULL);

CREATE TABLE booking_equipment (
    booking_id    TEXT    NOT NULL REFERENCES bookings (id),
    equipment_id  TEXT    NOT NULL REFERENCES equipment (id),
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    unit_price    BIGINT  NOT NULL,
    per_hour      BOOLEAN NOT NULL,
    PRIMARY KEY (booking_id, equipment_id)
);

-- Proof of consent to personal-data processing (152-FZ art. 9, GDPR art. 7).
CREATE TABLE consent_records (
    id            TEXT   PRIMARY KEY,
    booking_id    TEXT   NOT NULL REFERENCES bookings (id),
    text_version  TEXT   NOT NULL,
    given_at      BIGINT NOT NULL,
    ip            TEXT   NOT NULL,
    user_agent    TEXT   NOT NULL
);

-- Who moved a booking between states, when and why.
CREATE TABLE booking_state_history (
    id          BIGSERIAL PRIMARY KEY,
    booking_id  TEXT    NOT NULL REFERENCES bookings (id),
    from_state  TEXT,
    to_state    TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    actor       TEXT,
    at          BIGINT  NOT NULL
);
CREATE INDEX booking_state_history_booking ON booking_state_history (booking_id);
