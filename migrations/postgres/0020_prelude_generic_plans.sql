-- `booking_prelude` (0018) was planned anew on every call: PL/pgSQL keeps
-- a plan per statement, but with parameters PostgreSQL compares a plan
-- for the values at hand with one for any values, and for a range of
-- times the generic plan's estimate stays the dearer, so it planned every
-- booking's reads again (about a tenth of the machine's time under the
-- load test). Its statements have one sensible plan whatever the values
-- (one space, a few hours; blocked periods of that space), so the generic
-- plan is used from the first call.
ALTER FUNCTION booking_prelude(TEXT, TEXT[], BIGINT, BIGINT) SET plan_cache_mode = force_generic_plan;

-- The index by start time also holds the space: the bookings near a new
-- one are found in the index alone (the space compared there), instead of
-- fetching every space's bookings of those hours to drop seven in eight.
-- PostgreSQL prefers this index to (space_id, starts_at) for such reads,
-- because start times follow the table's order; everything that read the
-- old index reads this one the same way.
DROP INDEX bookings_time;
CREATE INDEX bookings_time ON bookings (starts_at, space_id);
