-- Analytics: daily rollups per space and studio-local day, kept in the
-- transaction of every booking change (so a year's summary reads ~365 rows
-- per space instead of scanning bookings), and who cancelled a booking.

-- 'guest', 'staff' or 'system'; set when a booking is cancelled.
ALTER TABLE bookings ADD COLUMN cancelled_by TEXT
    CHECK (cancelled_by IS NULL OR cancelled_by IN ('guest', 'staff', 'system'));

UPDATE bookings SET cancelled_by = (
    SELECT CASE
        WHEN h.actor IS NOT NULL THEN 'staff'
        WHEN h.reason LIKE 'cancelled by the system%' THEN 'system'
        ELSE 'guest' END
    FROM booking_state_history h
    WHERE h.booking_id = bookings.id AND h.to_state = 'cancelled'
    ORDER BY h.id DESC LIMIT 1)
WHERE state = 'cancelled';

-- One row per space and local day that has bookings starting on it (not
-- deleted). Money in minor units; `hours` is 24 comma-separated minute
-- counts of held time per local hour (the demand heat map).
CREATE TABLE analytics_daily (
    space_id          TEXT    NOT NULL REFERENCES spaces (id),
    day               TEXT    NOT NULL,
    bookings          BIGINT  NOT NULL,
    completed         BIGINT  NOT NULL,
    cancelled_guest   BIGINT  NOT NULL,
    cancelled_staff   BIGINT  NOT NULL,
    cancelled_system  BIGINT  NOT NULL,
    no_show           BIGINT  NOT NULL,
    revenue           BIGINT  NOT NULL,
    booked_value      BIGINT  NOT NULL,
    held              BIGINT  NOT NULL,
    held_minutes      BIGINT  NOT NULL,
    lead_minutes      BIGINT  NOT NULL,
    from_website      BIGINT  NOT NULL,
    from_phone        BIGINT  NOT NULL,
    from_walk_in      BIGINT  NOT NULL,
    from_staff        BIGINT  NOT NULL,
    hours             TEXT    NOT NULL,
    PRIMARY KEY (space_id, day)
);
CREATE INDEX analytics_daily_day ON analytics_daily (day);

-- Where each booking was last counted (its space and start), so a
-- reschedule refreshes the day it left as well as the one it moved to. A
-- new booking is counted where it starts: the trigger writes that within
-- the INSERT itself, so creating a booking costs no extra statement here.
CREATE TABLE analytics_counted (
    booking_id  TEXT   PRIMARY KEY REFERENCES bookings (id),
    space_id    TEXT   NOT NULL,
    starts_at   BIGINT NOT NULL
);
INSERT INTO analytics_counted (booking_id, space_id, starts_at)
    SELECT id, space_id, starts_at FROM bookings;

CREATE TRIGGER bookings_analytics_counted AFTER INSERT ON bookings
BEGIN
    INSERT INTO analytics_counted (booking_id, space_id, starts_at)
    VALUES (NEW.id, NEW.space_id, NEW.starts_at);
END;

-- The time zone the rollups were built in; a different zone in the
-- settings (or no row: a database from before this migration) makes the
-- server rebuild them.
CREATE TABLE analytics_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    time_zone   TEXT    NOT NULL,
    rebuilt_at  BIGINT  NOT NULL
);
