-- How guests reach the studio (phone, messengers, address and directions in
-- each language, a map link), kept as one JSON document: it is read and
-- written whole, never queried by its parts.
ALTER TABLE studio_settings ADD COLUMN contacts TEXT NOT NULL DEFAULT '{}';
