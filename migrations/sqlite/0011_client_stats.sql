-- The client base as a table: one row per client (the blind index of the
-- phone) with the figures the clients page lists and sorts by, so the page,
-- its total and a search read index lookups instead of aggregating every
-- booking. Kept by triggers on bookings, whatever writes them (bookings,
-- moves, sealing at start-up, erasure, retention, restore): a client's row
-- is recomputed from that client's own bookings, found by their index.
-- Holds no personal data: keyed hashes and numbers only.
CREATE TABLE client_stats (
    phone_bidx     TEXT    NOT NULL PRIMARY KEY,
    bookings       BIGINT  NOT NULL,
    visits         BIGINT  NOT NULL,
    no_shows       BIGINT  NOT NULL,
    cancellations  BIGINT  NOT NULL,
    spent          BIGINT  NOT NULL,
    -- The start of the latest completed booking (NULL: none yet).
    last_visit     BIGINT,
    -- The start of the latest booking of any state: the page's order.
    last_start     BIGINT  NOT NULL
) WITHOUT ROWID;
CREATE INDEX client_stats_recent ON client_stats (last_start DESC, phone_bidx);

INSERT INTO client_stats
    SELECT client_phone_bidx, COUNT(*),
        SUM(CASE WHEN state = 'completed' THEN 1 ELSE 0 END),
        SUM(CASE WHEN state = 'no_show' THEN 1 ELSE 0 END),
        SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END),
        SUM(CASE WHEN state = 'completed' THEN price_total ELSE 0 END),
        MAX(CASE WHEN state = 'completed' THEN starts_at END),
        MAX(starts_at)
    FROM bookings
    WHERE client_phone_bidx IS NOT NULL AND deleted_at IS NULL
    GROUP BY client_phone_bidx;

-- SQLite has no procedures: the same two statements for the client a
-- booking now belongs to (NEW) and the one it left (OLD). The index is
-- named: statistics taken while the column was still empty (a database
-- sealed in place) would otherwise make every write scan all bookings.
CREATE TRIGGER client_stats_insert AFTER INSERT ON bookings
WHEN NEW.client_phone_bidx IS NOT NULL
BEGIN
    DELETE FROM client_stats WHERE phone_bidx = NEW.client_phone_bidx;
    INSERT INTO client_stats
        SELECT client_phone_bidx, COUNT(*),
            SUM(CASE WHEN state = 'completed' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'no_show' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'completed' THEN price_total ELSE 0 END),
            MAX(CASE WHEN state = 'completed' THEN starts_at END),
            MAX(starts_at)
        FROM bookings INDEXED BY bookings_phone_bidx
        WHERE client_phone_bidx = NEW.client_phone_bidx AND deleted_at IS NULL
        GROUP BY client_phone_bidx;
END;

CREATE TRIGGER client_stats_update_new
AFTER UPDATE OF client_phone_bidx, state, price_total, starts_at, deleted_at ON bookings
WHEN NEW.client_phone_bidx IS NOT NULL
BEGIN
    DELETE FROM client_stats WHERE phone_bidx = NEW.client_phone_bidx;
    INSERT INTO client_stats
        SELECT client_phone_bidx, COUNT(*),
            SUM(CASE WHEN state = 'completed' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'no_show' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'completed' THEN price_total ELSE 0 END),
            MAX(CASE WHEN state = 'completed' THEN starts_at END),
            MAX(starts_at)
        FROM bookings INDEXED BY bookings_phone_bidx
        WHERE client_phone_bidx = NEW.client_phone_bidx AND deleted_at IS NULL
        GROUP BY client_phone_bidx;
END;

CREATE TRIGGER client_stats_update_old
AFTER UPDATE OF client_phone_bidx ON bookings
WHEN OLD.client_phone_bidx IS NOT NULL AND OLD.client_phone_bidx IS NOT NEW.client_phone_bidx
BEGIN
    DELETE FROM client_stats WHERE phone_bidx = OLD.client_phone_bidx;
    INSERT INTO client_stats
        SELECT client_phone_bidx, COUNT(*),
            SUM(CASE WHEN state = 'completed' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'no_show' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'completed' THEN price_total ELSE 0 END),
            MAX(CASE WHEN state = 'completed' THEN starts_at END),
            MAX(starts_at)
        FROM bookings INDEXED BY bookings_phone_bidx
        WHERE client_phone_bidx = OLD.client_phone_bidx AND deleted_at IS NULL
        GROUP BY client_phone_bidx;
END;

CREATE TRIGGER client_stats_delete AFTER DELETE ON bookings
WHEN OLD.client_phone_bidx IS NOT NULL
BEGIN
    DELETE FROM client_stats WHERE phone_bidx = OLD.client_phone_bidx;
    INSERT INTO client_stats
        SELECT client_phone_bidx, COUNT(*),
            SUM(CASE WHEN state = 'completed' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'no_show' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'completed' THEN price_total ELSE 0 END),
            MAX(CASE WHEN state = 'completed' THEN starts_at END),
            MAX(starts_at)
        FROM bookings INDEXED BY bookings_phone_bidx
        WHERE client_phone_bidx = OLD.client_phone_bidx AND deleted_at IS NULL
        GROUP BY client_phone_bidx;
END;
