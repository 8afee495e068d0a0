-- Indexes for the admin API's error list and nearest-error lookup (GET /admin/v1/errors,
-- /admin/v1/errors/lookup). The list is newest first, keyset-paginated on (occurred_at, id): each
-- filter gets an index whose equality column comes first and (occurred_at, id) after it, so a page
-- is one index range scan that stops after `limit` rows whatever the table's size. The lookup reads
-- at most two rows per status preference from (key_id, status_code, occurred_at, id) and
-- (key_id, occurred_at, id).
--
-- The V1 indexes on (occurred_at) and (key_id, occurred_at) are replaced by the same columns with
-- id appended (they serve every query the old ones served, retention's range deletes included).
DROP INDEX error_event_occurred_idx;
DROP INDEX error_event_key_idx;
CREATE INDEX error_event_occurred_idx ON error_event (occurred_at, id);
CREATE INDEX error_event_key_idx ON error_event (key_id, occurred_at, id);
CREATE INDEX error_event_key_status_idx ON error_event (key_id, status_code, occurred_at, id);
CREATE INDEX error_event_provider_key_idx ON error_event (provider_key_id, occurred_at, id)
    WHERE provider_key_id IS NOT NULL;
CREATE INDEX error_event_status_idx ON error_event (status_code, occurred_at, id);
CREATE INDEX error_event_model_idx ON error_event (model, occurred_at, id);

-- Adaptive-concurrency history of one provider key, newest first and keyset-paginated on
-- (adjusted_at, id): the V2 index gains id.
DROP INDEX concurrency_adjustment_key_idx;
CREATE INDEX concurrency_adjustment_key_idx ON concurrency_adjustment (provider_key_id, adjusted_at, id);
