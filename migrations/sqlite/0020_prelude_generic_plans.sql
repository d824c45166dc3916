-- PostgreSQL's migration of this number makes `booking_prelude` use one
-- plan for any values; SQLite has no such function. Both backends keep
-- the same indexes: the index by start time also holds the space (see
-- the PostgreSQL migration), which changes nothing for what read it.
DROP INDEX bookings_time;
CREATE INDEX bookings_time ON bookings (starts_at, space_id);
