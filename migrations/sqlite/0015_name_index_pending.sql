-- New name-index rows first go to a pending list, as PostgreSQL's GIN
-- indexes keep one: a booking appends its dozen rows at the end of this
-- small table (one or two pages) instead of writing a dozen pages at
-- random places of the large index, on the guest's request path. A
-- background job moves the list into client_name_index in one
-- transaction; searches read both. A booking's rows are always all in one
-- of the two tables (they are written together and moved together).
-- No AUTOINCREMENT: it would write sqlite_sequence on every booking.
CREATE TABLE client_name_pending (
    id          INTEGER PRIMARY KEY,
    token       TEXT NOT NULL,
    booking_id  TEXT NOT NULL,
    phone_bidx  TEXT NOT NULL
);
