-- Each name-index row names its booking's client (the phone's blind index)
-- too, so the client base's name search and its total read this index
-- alone instead of visiting a booking per match. The rows of deleted
-- bookings go: a deleted booking leaves every search. The key stays
-- (token, booking_id); SQLite keeps the whole row in that B-tree.
CREATE TABLE client_name_index_v2 (
    token       TEXT NOT NULL,
    booking_id  TEXT NOT NULL REFERENCES bookings (id),
    phone_bidx  TEXT NOT NULL,
    PRIMARY KEY (token, booking_id)
) WITHOUT ROWID;

INSERT INTO client_name_index_v2 (token, booking_id, phone_bidx)
    SELECT i.token, i.booking_id, b.client_phone_bidx
    FROM client_name_index i JOIN bookings b ON b.id = i.booking_id
    WHERE b.client_phone_bidx IS NOT NULL AND b.deleted_at IS NULL;

DROP TABLE client_name_index;
ALTER TABLE client_name_index_v2 RENAME TO client_name_index;
