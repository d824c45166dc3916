-- Only webhook deliveries are looked up by webhook (their delivery list);
-- the staff-chat and e-mail rows of every booking no longer write entries
-- with an empty webhook into this index. A lookup by one webhook
-- (`webhook_id = $1`) implies the index's condition on both backends.
DROP INDEX outbox_by_webhook;
CREATE INDEX outbox_by_webhook ON outbox (webhook_id, id) WHERE webhook_id IS NOT NULL;
