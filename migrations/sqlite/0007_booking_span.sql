-- A booking holds its space for at most two days (the longest booking the
-- settings allow is 24 h, the longest cleaning buffer 4 h). With that bound
-- the no-overlap triggers look for clashes only among bookings that start
-- in [NEW.starts_at - 2 days, NEW.blocked_until): the (space_id, starts_at)
-- index bounds the search on both sides, so the cost of a write no longer
-- grows with the space's history. The bound itself is enforced here too.
DROP TRIGGER bookings_no_overlap_insert;
DROP TRIGGER bookings_no_overlap_update;

CREATE TRIGGER bookings_span_insert
BEFORE INSERT ON bookings
WHEN NEW.blocked_until - NEW.starts_at > 172800
BEGIN
    SELECT RAISE(ABORT, 'booking_too_long');
END;

CREATE TRIGGER bookings_span_update
BEFORE UPDATE OF starts_at, blocked_until ON bookings
WHEN NEW.blocked_until - NEW.starts_at > 172800
BEGIN
    SELECT RAISE(ABORT, 'booking_too_long');
END;

CREATE TRIGGER bookings_no_overlap_insert
BEFORE INSERT ON bookings
WHEN NEW.state NOT IN ('cancelled', 'no_show') AND NEW.deleted_at IS NULL
BEGIN
    SELECT RAISE(ABORT, 'booking_overlap')
    WHERE EXISTS (
        SELECT 1 FROM bookings b
        WHERE b.space_id = NEW.space_id
          AND b.starts_at >= NEW.starts_at - 172800
          AND b.starts_at < NEW.blocked_until
          AND NEW.starts_at < b.blocked_until
          AND b.state NOT IN ('cancelled', 'no_show')
          AND b.deleted_at IS NULL
    );
END;

CREATE TRIGGER bookings_no_overlap_update
BEFORE UPDATE OF space_id, starts_at, blocked_until, state, deleted_at ON bookings
WHEN NEW.state NOT IN ('cancelled', 'no_show') AND NEW.deleted_at IS NULL
BEGIN
    SELECT RAISE(ABORT, 'booking_overlap')
    WHERE EXISTS (
        SELECT 1 FROM bookings b
        WHERE b.space_id = NEW.space_id
          AND b.starts_at >= NEW.starts_at - 172800
          AND b.starts_at < NEW.blocked_until
          AND NEW.starts_at < b.blocked_until
          AND b.id <> NEW.id
          AND b.state NOT IN ('cancelled', 'no_show')
          AND b.deleted_at IS NULL
    );
END;
