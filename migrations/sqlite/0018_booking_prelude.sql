-- PostgreSQL takes a new booking's locks and first reads in one function
-- (`booking_prelude`); SQLite's writers are one at a time and need no
-- locks, and its reads are one query in the server. Nothing changes here:
-- this keeps both backends' schemas at the same version (a backup names
-- the version it was made at).
SELECT 1;
