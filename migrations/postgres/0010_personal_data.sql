-- Personal data at rest (issue 13). Guests' names, phones, e-mails, wishes
-- and staff notes are stored sealed with XChaCha20-Poly1305
-- ("pii1.<key id>.<base64url>", see app/src/server/pii.rs); lookups go
-- through keyed hashes (blind indexes). Rows written before this release
-- are sealed at start-up by the server (resumably, in batches), because
-- SQL cannot encrypt them: until then their index columns are NULL.

ALTER TABLE bookings ADD COLUMN client_phone_bidx TEXT;
ALTER TABLE bookings ADD COLUMN client_email_bidx TEXT;
-- Set when retention or an erasure request replaced the personal fields.
ALTER TABLE bookings ADD COLUMN anonymised_at BIGINT;

DROP INDEX bookings_phone;
CREATE INDEX bookings_phone_bidx ON bookings (client_phone_bidx);
CREATE INDEX bookings_email_bidx ON bookings (client_email_bidx);
CREATE INDEX bookings_ends_at ON bookings (ends_at);

-- Keyed hashes of the normalised tokens of a booking's client name and of
-- their prefixes, for name search without the names. One B-tree only (a
-- booking adds a dozen or two rows): rows are removed by their full key,
-- computed from the name they were made from.
CREATE TABLE client_name_index (
    token       TEXT NOT NULL,
    booking_id  TEXT NOT NULL REFERENCES bookings (id),
    PRIMARY KEY (token, booking_id)
);

-- Staff notes about a client, keyed by the blind index of the phone (the
-- old client_notes table keyed by the clear phone is emptied into it at
-- start-up).
CREATE TABLE client_profiles (
    phone_bidx  TEXT   PRIMARY KEY,
    notes       TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT
);

-- Consent: written on the guest form, or verbal (phone, walk-in) recorded
-- by the employee who took the booking.
ALTER TABLE consent_records ADD COLUMN method TEXT NOT NULL DEFAULT 'web_form'
    CHECK (method IN ('web_form', 'verbal'));
ALTER TABLE consent_records ADD COLUMN recorded_by TEXT;
CREATE INDEX consent_records_booking ON consent_records (booking_id);

-- The texts consent is given to, one row per version and language; never
-- changed or removed (a new text is a new version).
CREATE TABLE consent_texts (
    version       TEXT   NOT NULL,
    locale        TEXT   NOT NULL CHECK (locale IN ('en', 'ru')),
    body          TEXT   NOT NULL,
    published_at  BIGINT NOT NULL,
    PRIMARY KEY (version, locale)
);
INSERT INTO consent_texts (version, locale, body, published_at) VALUES
('2026-11-21', 'en', 'I agree to the processing of my personal data (name, phone, e-mail) by the studio to handle this booking, under Russian law 152-FZ and the GDPR. I can withdraw consent at any time by contacting the studio.', 1795219200),
('2026-11-21', 'ru', 'Я согласен(на) на обработку моих персональных данных (имя, телефон, e-mail) студией для оформления этого бронирования в соответствии с 152-ФЗ и GDPR. Согласие можно отозвать в любой момент, обратившись в студию.', 1795219200);

-- How long personal data is kept after a booking ended (152-FZ seeds: 2555 days).
ALTER TABLE studio_settings ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 2555
    CHECK (retention_days BETWEEN 30 AND 36500);

-- A guest's request about their data, made from a manage link; answered by
-- staff before `due_at` (10 working days under 152-FZ).
CREATE TABLE data_requests (
    id            TEXT   PRIMARY KEY,
    kind          TEXT   NOT NULL CHECK (kind IN ('export', 'erase')),
    booking_id    TEXT   NOT NULL REFERENCES bookings (id),
    phone_bidx    TEXT,
    created_at    BIGINT NOT NULL,
    due_at        BIGINT NOT NULL,
    status        TEXT   NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at     BIGINT,
    closed_by     TEXT,
    resolution    TEXT
);
CREATE INDEX data_requests_open ON data_requests (status, due_at);

CREATE FUNCTION consent_texts_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'consent texts are immutable';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER consent_texts_immutable BEFORE UPDATE OR DELETE ON consent_texts
    FOR EACH ROW EXECUTE FUNCTION consent_texts_immutable();
