-- What a new booking reads before its writes, in one round trip instead of
-- three (the locks, the blocked-time check, the rollup's day). The locks
-- are the ones `Tx::lock_calendar` takes for one space: the studio shared,
-- the space, then each item (the caller passes them sorted, so two
-- bookings sharing items cannot wait for each other). The reads come
-- after them, each in a snapshot of its own (a volatile function's
-- statements see what committed before they began, in READ COMMITTED), so
-- a block or booking committed while this waited for a lock is seen.
-- One row per booking of the space starting within 30 hours of p_from
-- (the new booking's studio day lies inside, whatever the zone), or one
-- row of NULLs when there is none; every row carries the count of blocked
-- periods covering [p_from, p_until) and the id the booking's event will
-- take.
CREATE FUNCTION booking_prelude(p_space TEXT, p_items TEXT[], p_from BIGINT, p_until BIGINT)
RETURNS TABLE (
    blocks BIGINT,
    event_id BIGINT,
    time_zone TEXT,
    b_starts_at BIGINT,
    b_ends_at BIGINT,
    b_created_at BIGINT,
    b_state TEXT,
    b_cancelled_by TEXT,
    b_source TEXT,
    b_total BIGINT
)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    item TEXT;
    n_blocks BIGINT;
    n_event BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(7202);
    PERFORM pg_advisory_xact_lock(7204, hashtext(p_space));
    FOREACH item IN ARRAY p_items LOOP
        PERFORM pg_advisory_xact_lock(7205, hashtext(item));
    END LOOP;
    SELECT COUNT(*) INTO n_blocks FROM blocked_periods p
     WHERE (p.space_id = p_space OR p.space_id IS NULL) AND p.starts_at < p_until AND p.ends_at > p_from;
    IF n_blocks > 0 THEN
        RETURN QUERY SELECT n_blocks, NULL::BIGINT, NULL::TEXT, NULL::BIGINT, NULL::BIGINT, NULL::BIGINT,
            NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::BIGINT;
        RETURN;
    END IF;
    n_event := nextval('domain_events_id_seq');
    RETURN QUERY
    SELECT n_blocks, n_event, s.time_zone, b.starts_at, b.ends_at, b.created_at, b.state, b.cancelled_by,
           b.source, b.price_total
      FROM studio_settings s
      LEFT JOIN bookings b ON b.space_id = p_space AND b.deleted_at IS NULL
       AND b.starts_at > p_from - 108000 AND b.starts_at < p_from + 108000
     WHERE s.id = 1;
END
$$;
