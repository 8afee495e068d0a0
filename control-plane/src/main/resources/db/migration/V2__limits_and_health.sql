-- Columns and tables the admin API (issue 3) and the data plane's limits and routing (issue 4) share
-- through the config stream and the usage flush. Later migrations of each side add their own
-- indexes and tables.

-- 'deleted': removed through the admin API. The row stays (its counters and usage rows keep their
-- meaning) and is replicated once more as STATUS_DELETED so every data plane drops it.
ALTER TABLE app_user DROP CONSTRAINT app_user_status_check;
ALTER TABLE app_user ADD CONSTRAINT app_user_status_check
    CHECK (status IN ('active', 'disabled', 'deleted'));
ALTER TABLE provider_group DROP CONSTRAINT provider_group_status_check;
ALTER TABLE provider_group ADD CONSTRAINT provider_group_status_check
    CHECK (status IN ('active', 'disabled', 'deleted'));
ALTER TABLE provider_key DROP CONSTRAINT provider_key_status_check;
ALTER TABLE provider_key ADD CONSTRAINT provider_key_status_check
    CHECK (status IN ('active', 'disabled', 'deleted'));

ALTER TABLE provider_group DROP CONSTRAINT provider_group_platform_check;
ALTER TABLE provider_group ADD CONSTRAINT provider_group_platform_check
    CHECK (platform IN ('openai', 'anthropic'));
ALTER TABLE provider_group ADD COLUMN fallback_group_id bigint NULL REFERENCES provider_group (id);

-- Counters every counted table gains: 429 answers, and requests whose tokens were estimated.
ALTER TABLE api_key
    ADD COLUMN rate_limited_requests bigint NOT NULL DEFAULT 0,
    ADD COLUMN estimated_requests    bigint NOT NULL DEFAULT 0;
ALTER TABLE provider_group
    ADD COLUMN rate_limited_requests bigint NOT NULL DEFAULT 0,
    ADD COLUMN estimated_requests    bigint NOT NULL DEFAULT 0,
    ADD COLUMN latency_ms_sum        bigint NOT NULL DEFAULT 0,
    ADD COLUMN upstream_429_rpm         bigint NOT NULL DEFAULT 0,
    ADD COLUMN upstream_429_concurrency bigint NOT NULL DEFAULT 0,
    ADD COLUMN upstream_429_unknown     bigint NOT NULL DEFAULT 0;
ALTER TABLE provider_key
    ADD COLUMN rate_limited_requests bigint NOT NULL DEFAULT 0,
    ADD COLUMN estimated_requests    bigint NOT NULL DEFAULT 0,
    ADD COLUMN latency_ms_sum        bigint NOT NULL DEFAULT 0,
    ADD COLUMN upstream_429_rpm         bigint NOT NULL DEFAULT 0,
    ADD COLUMN upstream_429_concurrency bigint NOT NULL DEFAULT 0,
    ADD COLUMN upstream_429_unknown     bigint NOT NULL DEFAULT 0,
    ADD COLUMN last_429_at   timestamptz NULL,
    ADD COLUMN last_429_kind text NULL CHECK (last_429_kind IN ('rpm', 'concurrency', 'unknown')),
    -- When an operator last reset the learned limit; data planes discard learned state older than it.
    ADD COLUMN learning_reset_at timestamptz NULL;
ALTER TABLE usage_minute
    ADD COLUMN rate_limited_requests bigint NOT NULL DEFAULT 0,
    ADD COLUMN estimated_requests    bigint NOT NULL DEFAULT 0;

-- (user, group) requests-per-minute overrides. rpm_override NULL = inherit the group's limit,
-- 0 = exempt, > 0 = limit. Replicated to the data planes like the other config tables.
CREATE TABLE user_group_limit (
    user_id         bigint      NOT NULL REFERENCES app_user (id),
    group_id        bigint      NOT NULL REFERENCES provider_group (id),
    rpm_override    integer     NULL CHECK (rpm_override >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    config_revision bigint      NOT NULL,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX user_group_limit_group_idx ON user_group_limit (group_id);
CREATE INDEX user_group_limit_config_revision_idx ON user_group_limit (config_revision);

-- History of learned concurrency limits, written by the usage flush from the data planes' reports.
CREATE TABLE concurrency_adjustment (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_key_id bigint           NOT NULL REFERENCES provider_key (id),
    adjusted_at     timestamptz      NOT NULL,
    old_limit       integer          NOT NULL,
    new_limit       integer          NOT NULL,
    reason          text             NOT NULL
        CHECK (reason IN ('concurrency_429', 'unknown_429', 'increase', 'probe', 'reset')),
    utilisation     double precision NOT NULL,
    dp_instance_id  text             NOT NULL
);
CREATE INDEX concurrency_adjustment_key_idx ON concurrency_adjustment (provider_key_id, adjusted_at);
CREATE INDEX concurrency_adjustment_time_idx ON concurrency_adjustment (adjusted_at);
