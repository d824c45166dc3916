-- The client base as a table: one row per client (the blind index of the
-- phone) with the figures the clients page lists and sorts by, so the page,
-- its total and a search read index lookups instead of aggregating every
-- booking. Kept by a trigger on bookings, whatever writes them (bookings,
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
);
CREATE INDEX client_stats_recent ON client_stats (last_start DESC, phone_bidx);

-- One client's row from that client's bookings. Write transactions run at
-- READ COMMITTED: the client's row is locked first (made empty if it is
-- new), so a second writer waits for the first to commit and each
-- statement after the lock sees its booking. A row lock, not an advisory
-- one: those fill the lock table when one transaction touches thousands of
-- clients (a restore, a retention run).
CREATE FUNCTION client_stats_refresh(bidx TEXT) RETURNS void AS $$
BEGIN
    INSERT INTO client_stats VALUES (bidx, 0, 0, 0, 0, 0, NULL, 0)
        ON CONFLICT (phone_bidx) DO NOTHING;
    PERFORM 1 FROM client_stats WHERE phone_bidx = bidx FOR UPDATE;
    INSERT INTO client_stats
        SELECT client_phone_bidx, COUNT(*),
            SUM(CASE WHEN state = 'completed' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'no_show' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END),
            SUM(CASE WHEN state = 'completed' THEN price_total ELSE 0 END),
            MAX(CASE WHEN state = 'completed' THEN starts_at END),
            MAX(starts_at)
        FROM bookings
        WHERE client_phone_bidx = bidx AND deleted_at IS NULL
        GROUP BY client_phone_bidx
    ON CONFLICT (phone_bidx) DO UPDATE SET
        bookings = EXCLUDED.bookings, visits = EXCLUDED.visits,
        no_shows = EXCLUDED.no_shows, cancellations = EXCLUDED.cancellations,
        spent = EXCLUDED.spent, last_visit = EXCLUDED.last_visit,
        last_start = EXCLUDED.last_start;
    DELETE FROM client_stats WHERE phone_bidx = bidx AND NOT EXISTS
        (SELECT 1 FROM bookings WHERE client_phone_bidx = bidx AND deleted_at IS NULL);
END;
$$ LANGUAGE plpgsql;

-- The client a booking left and the one it now belongs to, locked in one
-- order so two writers moving bookings between the same two clients cannot
-- wait for each other.
CREATE FUNCTION bookings_client_stats() RETURNS trigger AS $$
DECLARE
    before TEXT;
    after TEXT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        before := OLD.client_phone_bidx;
    END IF;
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

CREATE TRIGGER bookings_client_stats
    AFTER INSERT OR DELETE OR UPDATE OF client_phone_bidx, state, price_total, starts_at, deleted_at
    ON bookings FOR EACH ROW EXECUTE FUNCTION bookings_client_stats();

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
