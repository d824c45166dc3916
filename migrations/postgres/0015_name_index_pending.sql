-- New name-index rows first go to a pending list, as PostgreSQL's GIN
-- indexes keep one: a booking appends its dozen rows at the end of this
-- small table instead of inserting a dozen entries at random places of
-- the large index's B-tree, on the guest's request path. A background job
-- moves the list into client_name_index in one transaction; searches read
-- both. A booking's rows are always all in one of the two tables (they
-- are written together and moved together).
CREATE TABLE client_name_pending (
    id          BIGSERIAL PRIMARY KEY,
    token       TEXT NOT NULL,
    booking_id  TEXT NOT NULL,
    phone_bidx  TEXT NOT NULL
);
