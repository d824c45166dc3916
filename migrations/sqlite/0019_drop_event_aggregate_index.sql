-- The index of events by aggregate was read by nothing the server does:
-- the live feed reads events by id. It cost an entry on every event's
-- write, and on PostgreSQL, whose statistics of a young table say it is
-- nearly empty, it drew the feed's reads away from the primary key into
-- reading every event of a kind (see `live::SELECT`).
DROP INDEX domain_events_aggregate;
