-- A new booking adds itself to its client's row instead of recounting all
-- of the client's bookings: the recount read every booking a regular
-- client ever made, on each booking's write. Exact for inserts: a live
-- booking adds one to the counts and can only raise the latest dates; an
-- inserted booking already deleted counts for nothing. The upsert takes
-- the client's row lock as the recount does, so a concurrent recount
-- (an update or delete of the same client's booking, at READ COMMITTED)
-- either runs after this commits and sees the booking, or commits first
-- and this adds to its result. Updates and deletes still recount, through
-- the trigger of 0011, which no longer fires on inserts.
CREATE FUNCTION bookings_client_stats_add() RETURNS trigger AS $$
BEGIN
    INSERT INTO client_stats AS c
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
        bookings = c.bookings + 1,
        visits = c.visits + EXCLUDED.visits,
        no_shows = c.no_shows + EXCLUDED.no_shows,
        cancellations = c.cancellations + EXCLUDED.cancellations,
        spent = c.spent + EXCLUDED.spent,
        -- GREATEST skips NULLs.
        last_visit = GREATEST(c.last_visit, EXCLUDED.last_visit),
        last_start = GREATEST(c.last_start, EXCLUDED.last_start);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER bookings_client_stats ON bookings;
CREATE TRIGGER bookings_client_stats
    AFTER DELETE OR UPDATE OF client_phone_bidx, state, price_total, starts_at, deleted_at
    ON bookings FOR EACH ROW EXECUTE FUNCTION bookings_client_stats();
CREATE TRIGGER bookings_client_stats_add
    AFTER INSERT ON bookings FOR EACH ROW
    WHEN (NEW.client_phone_bidx IS NOT NULL AND NEW.deleted_at IS NULL)
    EXECUTE FUNCTION bookings_client_stats_add();
