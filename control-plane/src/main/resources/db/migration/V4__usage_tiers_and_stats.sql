-- Usage in tiers, and the aggregates the admin API's summaries read, all written by the usage flush
-- in the transaction that applies a batch, so every tier agrees with the minute buckets exactly and
-- no summary scans request rows or a table of a million keys.
--
-- Tiers: minute (usage_minute, from V1), hour and day. Each tier has two shapes:
--   * per key and model (usage_minute also per provider key): what one key's windows, series and
--     per-model usage read, through the (key_id, bucket_start) indexes;
--   * per scope (usage_scope_*): one row per bucket for the whole installation, each user, each
--     provider group, each provider key and each model, so their windows and series read one row
--     per bucket whatever the number of keys.
-- Retention (UsageRetentionJob) deletes old buckets of each tier; bucket_start leads, or follows
-- scope, in an index of every table for that.
--
-- Counters updated by every flush within a bucket: fillfactor 70 keeps those updates HOT.

CREATE TABLE usage_hour (
    bucket_start          timestamptz NOT NULL,
    key_id                bigint      NOT NULL,
    model                 text        NOT NULL,
    requests              bigint      NOT NULL,
    success_requests      bigint      NOT NULL,
    failure_requests      bigint      NOT NULL,
    rate_limited_requests bigint      NOT NULL,
    estimated_requests    bigint      NOT NULL,
    prompt_tokens         bigint      NOT NULL,
    completion_tokens     bigint      NOT NULL,
    total_tokens          bigint      NOT NULL,
    latency_ms_sum        bigint      NOT NULL,
    PRIMARY KEY (bucket_start, key_id, model)
) WITH (fillfactor = 70);
CREATE INDEX usage_hour_key_idx ON usage_hour (key_id, bucket_start);

CREATE TABLE usage_day (LIKE usage_hour INCLUDING ALL) WITH (fillfactor = 70);

-- scope: 'all' (subject ''), 'user', 'group', 'provider_key' (subject = the id in decimal) or
-- 'model' (subject = the model the client asked for). Requests that reached no upstream have no
-- group or provider key row.
CREATE TABLE usage_scope_minute (
    scope                 text        NOT NULL
        CHECK (scope IN ('all', 'user', 'group', 'provider_key', 'model')),
    subject               text        NOT NULL,
    bucket_start          timestamptz NOT NULL,
    requests              bigint      NOT NULL,
    success_requests      bigint      NOT NULL,
    failure_requests      bigint      NOT NULL,
    rate_limited_requests bigint      NOT NULL,
    estimated_requests    bigint      NOT NULL,
    prompt_tokens         bigint      NOT NULL,
    completion_tokens     bigint      NOT NULL,
    total_tokens          bigint      NOT NULL,
    latency_ms_sum        bigint      NOT NULL,
    PRIMARY KEY (scope, subject, bucket_start)
) WITH (fillfactor = 70);
-- For reads across the subjects of one scope (the provider keys of the attention list) and for
-- retention, which deletes scope by scope.
CREATE INDEX usage_scope_minute_bucket_idx ON usage_scope_minute (scope, bucket_start);

CREATE TABLE usage_scope_hour (LIKE usage_scope_minute INCLUDING ALL) WITH (fillfactor = 70);
CREATE TABLE usage_scope_day (LIKE usage_scope_minute INCLUDING ALL) WITH (fillfactor = 70);

-- Keys with failed requests per hour: only buckets with failures are written here, so the attention
-- list reads the failing keys of a window, not every key that was used in it.
CREATE TABLE usage_key_failure_hour (
    bucket_start          timestamptz NOT NULL,
    key_id                bigint      NOT NULL,
    failure_requests      bigint      NOT NULL,
    rate_limited_requests bigint      NOT NULL,
    PRIMARY KEY (bucket_start, key_id)
) WITH (fillfactor = 70);

-- GET /admin/v1/keys/stats reads this one row and V3's api_key_count (keys per status), never
-- api_key. The usage flush adds each batch's key deltas to it (one row update per batch, taken last
-- so it is held only until the commit); the triggers below add inserted keys' counters and quota
-- limits, remove deleted keys', follow quota limit changes and quota resets. So every path that
-- creates, deletes or changes a key (admin API, seeding, manual SQL) keeps it right.
CREATE TABLE api_key_usage_totals (
    id                    integer PRIMARY KEY CHECK (id = 1),
    -- Keys with a quota limit (quota_limit >= 0), and the sum of those limits.
    limited_keys          bigint  NOT NULL,
    quota_limit_sum       bigint  NOT NULL,
    quota_used            bigint  NOT NULL,
    requests              bigint  NOT NULL,
    success_requests      bigint  NOT NULL,
    failure_requests      bigint  NOT NULL,
    rate_limited_requests bigint  NOT NULL,
    estimated_requests    bigint  NOT NULL,
    prompt_tokens         bigint  NOT NULL,
    completion_tokens     bigint  NOT NULL,
    total_tokens          bigint  NOT NULL
);

INSERT INTO api_key_usage_totals
SELECT 1, count(*) FILTER (WHERE quota_limit >= 0),
       coalesce(sum(quota_limit) FILTER (WHERE quota_limit >= 0), 0),
       coalesce(sum(quota_used), 0), coalesce(sum(requests), 0),
       coalesce(sum(success_requests), 0), coalesce(sum(failure_requests), 0),
       coalesce(sum(rate_limited_requests), 0), coalesce(sum(estimated_requests), 0),
       coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0),
       coalesce(sum(total_tokens), 0)
  FROM api_key;

-- Statement-level with transition tables (both named "changed"): a bulk insert (seeding a million
-- keys) costs one aggregate, not a trigger call per row. Inserted keys are added, deleted ones
-- removed.
CREATE FUNCTION api_key_totals_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sign integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    UPDATE api_key_usage_totals t
       SET limited_keys = t.limited_keys + sign * c.limited_keys,
           quota_limit_sum = t.quota_limit_sum + sign * c.quota_limit_sum,
           quota_used = t.quota_used + sign * c.quota_used,
           requests = t.requests + sign * c.requests,
           success_requests = t.success_requests + sign * c.success_requests,
           failure_requests = t.failure_requests + sign * c.failure_requests,
           rate_limited_requests = t.rate_limited_requests + sign * c.rate_limited_requests,
           estimated_requests = t.estimated_requests + sign * c.estimated_requests,
           prompt_tokens = t.prompt_tokens + sign * c.prompt_tokens,
           completion_tokens = t.completion_tokens + sign * c.completion_tokens,
           total_tokens = t.total_tokens + sign * c.total_tokens
      FROM (SELECT count(*) FILTER (WHERE quota_limit >= 0) AS limited_keys,
                   coalesce(sum(quota_limit) FILTER (WHERE quota_limit >= 0), 0)
                       AS quota_limit_sum,
                   sum(quota_used) AS quota_used, sum(requests) AS requests,
                   sum(success_requests) AS success_requests,
                   sum(failure_requests) AS failure_requests,
                   sum(rate_limited_requests) AS rate_limited_requests,
                   sum(estimated_requests) AS estimated_requests,
                   sum(prompt_tokens) AS prompt_tokens,
                   sum(completion_tokens) AS completion_tokens, sum(total_tokens) AS total_tokens
              FROM changed HAVING count(*) > 0) c
     WHERE t.id = 1;
    RETURN NULL;
END $$;

-- Row-level and only when quota_limit really changed: the usage flush's updates of api_key never
-- name it, so they never fire this.
CREATE FUNCTION api_key_totals_quota_limit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE api_key_usage_totals
       SET limited_keys = limited_keys + (NEW.quota_limit >= 0)::int - (OLD.quota_limit >= 0)::int,
           quota_limit_sum = quota_limit_sum + greatest(NEW.quota_limit, 0)
                                             - greatest(OLD.quota_limit, 0)
     WHERE id = 1;
    RETURN NULL;
END $$;

-- quota_used only grows through the flush, which adds its batch's sum itself; anything that lowers
-- it (a quota reset) is followed here. The WHEN clause is evaluated per row of a flush's UPDATE but
-- is false there, so the function never runs for it.
CREATE FUNCTION api_key_totals_quota_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE api_key_usage_totals SET quota_used = quota_used - (OLD.quota_used - NEW.quota_used)
     WHERE id = 1;
    RETURN NULL;
END $$;

CREATE TRIGGER api_key_totals_insert AFTER INSERT ON api_key
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION api_key_totals_rows();
CREATE TRIGGER api_key_totals_delete AFTER DELETE ON api_key
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION api_key_totals_rows();
CREATE TRIGGER api_key_totals_quota_limit AFTER UPDATE OF quota_limit ON api_key
    FOR EACH ROW WHEN (OLD.quota_limit IS DISTINCT FROM NEW.quota_limit)
    EXECUTE FUNCTION api_key_totals_quota_limit();
CREATE TRIGGER api_key_totals_quota_reset AFTER UPDATE OF quota_used ON api_key
    FOR EACH ROW WHEN (NEW.quota_used < OLD.quota_used)
    EXECUTE FUNCTION api_key_totals_quota_reset();
