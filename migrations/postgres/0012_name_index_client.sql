-- Each name-index row names its booking's client (the phone's blind index)
-- too, so the client base's name search and its total read this index
-- alone (an index-only scan: the key carries the client) instead of
-- visiting a booking per match. The rows of deleted bookings go: a deleted
-- booking leaves every search.
DELETE FROM client_name_index i USING bookings b
WHERE b.id = i.booking_id AND (b.client_phone_bidx IS NULL OR b.deleted_at IS NOT NULL);

ALTER TABLE client_name_index ADD COLUMN phone_bidx TEXT;
UPDATE client_name_index i SET phone_bidx = b.client_phone_bidx
FROM bookings b WHERE b.id = i.booking_id;
ALTER TABLE client_name_index ALTER COLUMN phone_bidx SET NOT NULL;

ALTER TABLE client_name_index DROP CONSTRAINT client_name_index_pkey;
ALTER TABLE client_name_index ADD PRIMARY KEY (token, booking_id) INCLUDE (phone_bidx);
