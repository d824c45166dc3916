-- A booking holds its space for at most two days (the longest booking the
-- settings allow is 24 h, the longest cleaning buffer 4 h). Stated as a
-- constraint so every query may rely on it to bound its search from below.
ALTER TABLE bookings ADD CONSTRAINT bookings_span CHECK (blocked_until - starts_at <= 172800);
