-- Provider keys' health as each data plane sees it (circuit breaker, 429 cooldown, errors in a
-- row), reported in the usage flush. Only the data planes know it, each its own: the newest report
-- per (provider key, data plane instance) is kept, written in the flush's transaction, and the
-- admin API combines the recent ones (see TOLLGATE_PROVIDER_HEALTH_MAX_AGE). A data plane that
-- went away stops reporting; its rows are ignored once old and deleted by the retention job.
CREATE TABLE provider_key_health (
    provider_key_id      bigint      NOT NULL REFERENCES provider_key (id),
    dp_instance_id       text        NOT NULL,
    circuit_state        text        NOT NULL CHECK (circuit_state IN ('closed', 'open', 'half_open')),
    cooldown_until       timestamptz NULL,
    consecutive_failures integer     NOT NULL CHECK (consecutive_failures >= 0),
    observed_at          timestamptz NOT NULL,
    PRIMARY KEY (provider_key_id, dp_instance_id)
);
CREATE INDEX provider_key_health_observed_idx ON provider_key_health (observed_at);

-- A report the control plane cannot keep (it breaks a rule, or names no provider key) is a dead
-- letter of its own part, as the other lists of a flush batch are (V8).
ALTER TABLE flush_dead_letter DROP CONSTRAINT flush_dead_letter_part_check;
ALTER TABLE flush_dead_letter ADD CONSTRAINT flush_dead_letter_part_check
    CHECK (part IN ('key_delta', 'provider_key_delta', 'bucket', 'error', 'adjustment',
                    'errors_dropped', 'provider_key_health'));
