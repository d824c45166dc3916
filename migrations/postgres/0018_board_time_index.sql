-- The board counts its columns and finds the latest finished bookings of
-- a date range: with the state, the space and the deletion mark in the
-- time index those read the index alone instead of looking up every
-- booking of the range in the table (2,000 of them for a busy fortnight,
-- four times per board). It replaces the index on the start alone, which
-- it serves as well (same first column), so writes keep one index.
CREATE INDEX bookings_time_board ON bookings (starts_at, state, space_id, deleted_at);
DROP INDEX bookings_time;
