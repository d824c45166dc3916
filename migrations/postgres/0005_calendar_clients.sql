-- Calendar, clients and feeds: staff notes about a client (keyed by the
-- normalised phone), the secret of the calendar (ICS) feeds, and indexes
-- for blocked periods and equipment stock over overlapping bookings.
CREATE TABLE client_notes (
    phone       TEXT   PRIMARY KEY,   -- E.164
    notes       TEXT   NOT NULL DEFAULT '',
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT
);

ALTER TABLE studio_settings ADD COLUMN ics_token TEXT;

CREATE INDEX blocked_periods_space ON blocked_periods (space_id, starts_at);
CREATE INDEX booking_equipment_equipment ON booking_equipment (equipment_id);
