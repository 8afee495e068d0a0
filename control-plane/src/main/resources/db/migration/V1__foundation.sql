-- Tollgate foundation schema. Counters that summaries need live as columns written by the usage
-- flush; rates are computed when read. Tables whose counters the flush updates keep 30 % of each page
-- free (fillfactor 70) so those updates are HOT: no index is touched while no indexed column changes,
-- which makes applying a large batch several times cheaper. Every table the data plane replicates carries the config
-- revision of its last change (see config_state).

-- One row: the revision of the newest committed config change. Every config-changing transaction
-- takes the next revision with UPDATE ... RETURNING, which holds this row's lock until commit, so
-- revisions become visible in the order they were taken: "changes after R" never skips one.
CREATE TABLE config_state (
    id       integer PRIMARY KEY CHECK (id = 1),
    revision bigint  NOT NULL
);
INSERT INTO config_state (id, revision) VALUES (1, 0);

CREATE TABLE app_user (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status            text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    rpm_limit         integer     NOT NULL DEFAULT 0 CHECK (rpm_limit >= 0),
    concurrency_limit integer     NOT NULL DEFAULT 0 CHECK (concurrency_limit >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    config_revision   bigint      NOT NULL
);
CREATE INDEX app_user_config_revision_idx ON app_user (config_revision);

CREATE TABLE provider_group (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text        NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    platform          text        NOT NULL CHECK (platform IN ('openai')),
    models            text[]      NOT NULL,
    model_mapping     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status            text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    rpm_limit         integer     NOT NULL DEFAULT 0 CHECK (rpm_limit >= 0),
    requests          bigint      NOT NULL DEFAULT 0,
    success_requests  bigint      NOT NULL DEFAULT 0,
    failure_requests  bigint      NOT NULL DEFAULT 0,
    prompt_tokens     bigint      NOT NULL DEFAULT 0,
    completion_tokens bigint      NOT NULL DEFAULT 0,
    total_tokens      bigint      NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    config_revision   bigint      NOT NULL
) WITH (fillfactor = 70);
CREATE INDEX provider_group_config_revision_idx ON provider_group (config_revision);

CREATE TABLE provider_key (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id               bigint      NOT NULL REFERENCES provider_group (id),
    base_url               text        NOT NULL,
    -- AES-256-GCM: 12-byte nonce followed by ciphertext and tag (see SecretCipher).
    secret_ciphertext      bytea       NOT NULL,
    -- Last 4 characters of the secret, to tell keys apart in the admin API.
    secret_hint            text        NOT NULL,
    priority               integer     NOT NULL DEFAULT 0,
    weight                 integer     NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 10000),
    status                 text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    -- NULL = adaptive: the data plane learns the limit.
    max_concurrent         integer     NULL CHECK (max_concurrent BETWEEN 1 AND 1000),
    learned_max_concurrent integer     NULL,
    requests               bigint      NOT NULL DEFAULT 0,
    success_requests       bigint      NOT NULL DEFAULT 0,
    failure_requests       bigint      NOT NULL DEFAULT 0,
    prompt_tokens          bigint      NOT NULL DEFAULT 0,
    completion_tokens      bigint      NOT NULL DEFAULT 0,
    total_tokens           bigint      NOT NULL DEFAULT 0,
    last_used_at           timestamptz NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    config_revision        bigint      NOT NULL
) WITH (fillfactor = 70);
CREATE INDEX provider_key_group_idx ON provider_key (group_id);
CREATE INDEX provider_key_config_revision_idx ON provider_key (config_revision);

CREATE TABLE api_key (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id           bigint      NOT NULL REFERENCES app_user (id),
    name              text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The first characters of the secret ("tg-" + 8), shown to operators to recognise a key.
    prefix            text        NOT NULL,
    -- Lowercase hex SHA-256 of the whole secret; the secret itself is never stored.
    token_hash        text        NOT NULL UNIQUE,
    status            text        NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'disabled', 'expired', 'quota_exhausted', 'revoked')),
    expires_at        timestamptz NULL,
    -- Tokens the key may use in all; -1 = unlimited. quota_used is advanced by the usage flush.
    quota_limit       bigint      NOT NULL DEFAULT -1 CHECK (quota_limit >= -1),
    quota_used        bigint      NOT NULL DEFAULT 0,
    rpm_limit         integer     NOT NULL DEFAULT 0 CHECK (rpm_limit >= 0),
    concurrency_limit integer     NOT NULL DEFAULT 0 CHECK (concurrency_limit >= 0),
    allowed_models    text[]      NOT NULL DEFAULT '{}',
    ip_allow          text[]      NOT NULL DEFAULT '{}',
    ip_deny           text[]      NOT NULL DEFAULT '{}',
    requests          bigint      NOT NULL DEFAULT 0,
    success_requests  bigint      NOT NULL DEFAULT 0,
    failure_requests  bigint      NOT NULL DEFAULT 0,
    prompt_tokens     bigint      NOT NULL DEFAULT 0,
    completion_tokens bigint      NOT NULL DEFAULT 0,
    total_tokens      bigint      NOT NULL DEFAULT 0,
    last_accessed_at  timestamptz NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    config_revision   bigint      NOT NULL
) WITH (fillfactor = 70);
CREATE INDEX api_key_user_idx ON api_key (user_id);
CREATE INDEX api_key_config_revision_idx ON api_key (config_revision);

-- Which provider groups a key may be routed to. A change here bumps the key's config_revision.
CREATE TABLE api_key_group (
    key_id   bigint NOT NULL REFERENCES api_key (id),
    group_id bigint NOT NULL REFERENCES provider_group (id),
    PRIMARY KEY (key_id, group_id)
);
CREATE INDEX api_key_group_group_idx ON api_key_group (group_id);

-- Last batch applied per data-plane instance: the exactly-once guard of the usage flush.
CREATE TABLE flush_ledger (
    dp_instance_id text        PRIMARY KEY,
    last_sequence  bigint      NOT NULL,
    -- Error events the instance counted but did not describe (its per-batch bound).
    errors_dropped bigint      NOT NULL DEFAULT 0,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Per-minute usage by (key, provider key, model); provider_key_id 0 = no upstream was reached.
-- Every flush within a minute adds to that minute's rows again: fillfactor 70 keeps those updates
-- HOT as well.
CREATE TABLE usage_minute (
    bucket_start      timestamptz NOT NULL,
    key_id            bigint      NOT NULL,
    provider_key_id   bigint      NOT NULL,
    model             text        NOT NULL,
    requests          bigint      NOT NULL,
    success_requests  bigint      NOT NULL,
    failure_requests  bigint      NOT NULL,
    prompt_tokens     bigint      NOT NULL,
    completion_tokens bigint      NOT NULL,
    total_tokens      bigint      NOT NULL,
    latency_ms_sum    bigint      NOT NULL,
    PRIMARY KEY (bucket_start, key_id, provider_key_id, model)
) WITH (fillfactor = 70);
CREATE INDEX usage_minute_key_idx ON usage_minute (key_id, bucket_start);

CREATE TABLE error_event (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at     timestamptz NOT NULL,
    key_id          bigint      NOT NULL,
    provider_key_id bigint      NULL,
    model           text        NOT NULL,
    status_code     integer     NOT NULL,
    error_class     text        NOT NULL,
    message         text        NOT NULL,
    latency_ms      bigint      NOT NULL,
    request_id      text        NOT NULL,
    dp_instance_id  text        NOT NULL
);
CREATE INDEX error_event_occurred_idx ON error_event (occurred_at);
CREATE INDEX error_event_key_idx ON error_event (key_id, occurred_at);
