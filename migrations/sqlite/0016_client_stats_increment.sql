-- A new booking adds itself to its client's row instead of recounting all
-- of the client's bookings: the recount read every booking a regular
-- client ever made, on each booking's write (a client with a thousand
-- bookings made each new one read a thousand rows under the write lock).
-- Exact for inserts: a live booking adds one to the counts and can only
-- raise the latest dates; an inserted booking already deleted counts for
-- nothing. Updates and deletes still recount the client (they can lower
-- the figures), as before.
DROP TRIGGER client_stats_insert;

CREATE TRIGGER client_stats_insert AFTER INSERT ON bookings
WHEN NEW.client_phone_bidx IS NOT NULL AND NEW.deleted_at IS NULL
BEGIN
    INSERT INTO client_stats
        (phone_bidx, bookings, visits, no_shows, cancellations, spent, last_visit, last_start)
    VALUES (
        NEW.client_phone_bidx,
        1,
        CASE WHEN NEW.state = 'completed' THEN 1 ELSE 0 END,
        CASE WHEN NEW.state = 'no_show' THEN 1 ELSE 0 END,
        CASE WHEN NEW.state = 'cancelled' THEN 1 ELSE 0 END,
        CASE WHEN NEW.state = 'completed' THEN NEW.price_total ELSE 0 END,
        CASE WHEN NEW.state = 'completed' THEN NEW.starts_at END,
        NEW.starts_at
    )
    ON CONFLICT (phone_bidx) DO UPDATE SET
        bookings = bookings + 1,
        visits = visits + excluded.visits,
        no_shows = no_shows + excluded.no_shows,
        cancellations = cancellations + excluded.cancellations,
        spent = spent + excluded.spent,
        -- SQLite's two-argument max() is NULL when either is.
        last_visit = CASE
            WHEN excluded.last_visit IS NULL THEN last_visit
            WHEN last_visit IS NULL OR excluded.last_visit > last_visit THEN excluded.last_visit
            ELSE last_visit
        END,
        last_start = max(last_start, excluded.last_start);
END;
