-- A new booking adds itself to its client's row instead of recounting all
-- of the client's bookings: the recount read every booking a regular
-- client ever made, on each booking's write. Exact for inserts: a live
-- booking adds one to the counts and can only raise the latest dates; an
-- inserted booking already deleted counts for nothing. The upsert takes
-- the client's row lock as the recount does, so a concurrent recount
-- (an update or delete of the same client's booking, at READ COMMITTED)
-- either runs after this commits and sees the booking, or commits first
-- and this adds to its result. Updates and deletes still recount.
CREATE OR REPLACE FUNCTION bookings_client_stats() RETURNS trigger AS $$
DECLARE
    before TEXT;
    after TEXT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.client_phone_bidx IS NOT NULL AND NEW.deleted_at IS NULL THEN
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
        END IF;
        RETURN NULL;
    END IF;
    before := OLD.client_phone_bidx;
    IF TG_OP <> 'DELETE' THEN
        after := NEW.client_phone_bidx;
    END IF;
    IF before IS NOT DISTINCT FROM after THEN
        before := NULL;
    END IF;
    IF before IS NOT NULL AND after IS NOT NULL AND before > after THEN
        PERFORM client_stats_refresh(after);
        PERFORM client_stats_refresh(before);
    ELSE
        IF before IS NOT NULL THEN
            PERFORM client_stats_refresh(before);
        END IF;
        IF after IS NOT NULL THEN
            PERFORM client_stats_refresh(after);
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
