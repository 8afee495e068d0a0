-- The admin API at a million keys: what its lists read instead of api_key, the counts their totals
-- come from, search indexes, operator tokens and the audit log.
--
-- Why a side table: the usage flush updates api_key's counters every few seconds and relies on HOT
-- updates (no index on a counter column). An index on requests, total_tokens or last_accessed_at
-- there would make every flush update touch every index, and the flush's updates also keep clearing
-- api_key's visibility map, so index-only scans over api_key would visit the heap anyway.
-- api_key_listing holds one narrow row per key: status (kept exact by a trigger, in the same
-- transaction as the change), created_at, and a copy of the sort counters that
-- ListingRefresher refreshes in small batches (stale by at most one refresh cycle).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE api_key_listing (
    key_id           bigint      NOT NULL,
    user_id          bigint      NOT NULL,
    status           text        NOT NULL,
    name             text        NOT NULL,
    prefix           text        NOT NULL,
    created_at       timestamptz NOT NULL,
    requests         bigint      NOT NULL DEFAULT 0,
    total_tokens     bigint      NOT NULL DEFAULT 0,
    -- '-infinity' = never used: NOT NULL keeps keyset comparisons and cursors simple.
    last_accessed_at timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (key_id) INCLUDE (status)
);
-- Every list index carries status, so a status or exclude_statuses filter is checked in the index
-- (index-only scans) and a deep page skips index entries, not rows. "Sort by created" is id order
-- (identity ids are handed out in creation order), which api_key_group's (group_id, key_id) index
-- also gives, so a group's keys come in order without sorting them.
CREATE INDEX api_key_listing_status_idx ON api_key_listing (status, key_id);
CREATE INDEX api_key_listing_user_idx ON api_key_listing (user_id, key_id) INCLUDE (status);
CREATE INDEX api_key_listing_created_idx ON api_key_listing (created_at, key_id) INCLUDE (status);
CREATE INDEX api_key_listing_requests_idx ON api_key_listing (requests, key_id) INCLUDE (status);
CREATE INDEX api_key_listing_tokens_idx ON api_key_listing (total_tokens, key_id) INCLUDE (status);
CREATE INDEX api_key_listing_last_used_idx ON api_key_listing (last_accessed_at, key_id) INCLUDE (status);

-- Keys per status, overall ('all', scope_id 0), per user and per provider group: the totals of
-- unfiltered and status/user/group-filtered lists, without COUNT(*) over a million rows. 'bucket'
-- counts keys per block of 4096 ids (scope_id = id >> 12): a deep page in creation order finds its
-- block by summing a few hundred of these rows, then skips at most 4096 index entries in it.
CREATE TABLE api_key_count (
    scope    text   NOT NULL CHECK (scope IN ('all', 'user', 'group', 'bucket')),
    scope_id bigint NOT NULL,
    status   text   NOT NULL,
    n        bigint NOT NULL,
    PRIMARY KEY (scope, scope_id, status)
);

-- Key lists filtered by group walk this index in key order.
DROP INDEX api_key_group_group_idx;
CREATE INDEX api_key_group_group_idx ON api_key_group (group_id, key_id);

-- search: a substring of the name (trigram GIN, case-insensitive) or the start of the key prefix.
CREATE INDEX api_key_listing_name_trgm_idx ON api_key_listing USING gin (name gin_trgm_ops);
CREATE INDEX api_key_listing_prefix_idx ON api_key_listing (prefix text_pattern_ops);
CREATE INDEX app_user_name_trgm_idx ON app_user USING gin (name gin_trgm_ops);
CREATE INDEX app_user_status_idx ON app_user (status, id);
CREATE INDEX app_user_created_idx ON app_user (created_at, id);
CREATE INDEX provider_key_group_id_idx ON provider_key (group_id, id);

-- Adds signed deltas to api_key_count (n has no CHECK: PostgreSQL checks the row an upsert proposes
-- to insert, a negative delta, before it resolves the conflict); rows are upserted in key order so concurrent transactions
-- lock them in the same order and never deadlock on each other.
CREATE FUNCTION api_key_count_add(deltas jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO api_key_count (scope, scope_id, status, n)
    SELECT d.scope, d.scope_id, d.status, sum(d.n)
      FROM jsonb_to_recordset(deltas) AS d(scope text, scope_id bigint, status text, n bigint)
     GROUP BY d.scope, d.scope_id, d.status
     ORDER BY d.scope, d.scope_id, d.status
    ON CONFLICT (scope, scope_id, status) DO UPDATE SET n = api_key_count.n + EXCLUDED.n
$$;

-- Statement-level with a transition table: a bulk INSERT ... SELECT of a million keys costs one
-- grouped upsert, not a million.
CREATE FUNCTION api_key_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO api_key_listing (key_id, user_id, status, name, prefix, created_at, requests,
                                 total_tokens, last_accessed_at)
    SELECT id, user_id, status, name, prefix, created_at, requests, total_tokens,
           COALESCE(last_accessed_at, '-infinity')
      FROM inserted;
    PERFORM api_key_count_add(COALESCE(jsonb_agg(c), '[]'::jsonb))
       FROM (SELECT 'all' AS scope, 0 AS scope_id, status, count(*) AS n FROM inserted GROUP BY status
             UNION ALL
             SELECT 'user', user_id, status, count(*) FROM inserted GROUP BY user_id, status
             UNION ALL
             SELECT 'bucket', id >> 12, status, count(*) FROM inserted GROUP BY id >> 12, status) c;
    RETURN NULL;
END $$;
CREATE TRIGGER api_key_inserted AFTER INSERT ON api_key
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION api_key_inserted();

-- Row-level and only for status and name: the usage flush's UPDATE names neither, so it never
-- fires these triggers (PostgreSQL fires UPDATE OF only for columns in the SET list).
CREATE FUNCTION api_key_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE api_key_listing SET name = NEW.name, prefix = NEW.prefix WHERE key_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER api_key_renamed AFTER UPDATE OF name, prefix ON api_key
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.prefix IS DISTINCT FROM NEW.prefix)
    EXECUTE FUNCTION api_key_renamed();

CREATE FUNCTION api_key_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE api_key_listing SET status = NEW.status WHERE key_id = NEW.id;
    PERFORM api_key_count_add(COALESCE(jsonb_agg(c), '[]'::jsonb))
       FROM (SELECT 'all' AS scope, 0 AS scope_id, OLD.status AS status, -1 AS n
             UNION ALL SELECT 'all', 0, NEW.status, 1
             UNION ALL SELECT 'user', OLD.user_id, OLD.status, -1
             UNION ALL SELECT 'user', NEW.user_id, NEW.status, 1
             UNION ALL SELECT 'bucket', OLD.id >> 12, OLD.status, -1
             UNION ALL SELECT 'bucket', NEW.id >> 12, NEW.status, 1
             UNION ALL SELECT 'group', g.group_id, OLD.status, -1 FROM api_key_group g WHERE g.key_id = NEW.id
             UNION ALL SELECT 'group', g.group_id, NEW.status, 1 FROM api_key_group g WHERE g.key_id = NEW.id) c;
    RETURN NULL;
END $$;
CREATE TRIGGER api_key_status_changed AFTER UPDATE OF status ON api_key
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION api_key_status_changed();

CREATE FUNCTION api_key_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM api_key_listing l USING deleted d WHERE l.key_id = d.id;
    PERFORM api_key_count_add(COALESCE(jsonb_agg(c), '[]'::jsonb))
       FROM (SELECT 'all' AS scope, 0 AS scope_id, status, -count(*) AS n FROM deleted GROUP BY status
             UNION ALL
             SELECT 'user', user_id, status, -count(*) FROM deleted GROUP BY user_id, status
             UNION ALL
             SELECT 'bucket', id >> 12, status, -count(*) FROM deleted GROUP BY id >> 12, status) c;
    RETURN NULL;
END $$;
CREATE TRIGGER api_key_deleted AFTER DELETE ON api_key
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION api_key_deleted();

CREATE FUNCTION api_key_group_bound() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api_key_count_add(COALESCE(jsonb_agg(c), '[]'::jsonb))
       FROM (SELECT 'group' AS scope, b.group_id AS scope_id, k.status, count(*) AS n
               FROM bound b JOIN api_key k ON k.id = b.key_id GROUP BY b.group_id, k.status) c;
    RETURN NULL;
END $$;
CREATE TRIGGER api_key_group_bound AFTER INSERT ON api_key_group
    REFERENCING NEW TABLE AS bound FOR EACH STATEMENT EXECUTE FUNCTION api_key_group_bound();

-- The status comes from the listing row: the foreign key makes bindings go before their key, so the
-- row is still there.
CREATE FUNCTION api_key_group_unbound() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM api_key_count_add(COALESCE(jsonb_agg(c), '[]'::jsonb))
       FROM (SELECT 'group' AS scope, u.group_id AS scope_id, l.status, -count(*) AS n
               FROM unbound u JOIN api_key_listing l ON l.key_id = u.key_id
              GROUP BY u.group_id, l.status) c;
    RETURN NULL;
END $$;
CREATE TRIGGER api_key_group_unbound AFTER DELETE ON api_key_group
    REFERENCING OLD TABLE AS unbound FOR EACH STATEMENT EXECUTE FUNCTION api_key_group_unbound();

-- Existing keys.
INSERT INTO api_key_listing (key_id, user_id, status, name, prefix, created_at, requests,
                             total_tokens, last_accessed_at)
SELECT id, user_id, status, name, prefix, created_at, requests, total_tokens,
       COALESCE(last_accessed_at, '-infinity')
  FROM api_key;
INSERT INTO api_key_count (scope, scope_id, status, n)
SELECT 'all', 0, status, count(*) FROM api_key GROUP BY status
UNION ALL
SELECT 'user', user_id, status, count(*) FROM api_key GROUP BY user_id, status
UNION ALL
SELECT 'bucket', id >> 12, status, count(*) FROM api_key GROUP BY id >> 12, status
UNION ALL
SELECT 'group', g.group_id, k.status, count(*)
  FROM api_key_group g JOIN api_key k ON k.id = g.key_id GROUP BY g.group_id, k.status;

-- Operators' bearer tokens beside the bootstrap TOLLGATE_ADMIN_TOKEN. Only the SHA-256 is kept.
CREATE TABLE operator_token (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role       text        NOT NULL CHECK (role IN ('viewer', 'admin')),
    -- "tgo-" + 8 characters, to recognise a token in lists.
    prefix     text        NOT NULL,
    token_hash text        NOT NULL UNIQUE,
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz NULL
);
CREATE INDEX operator_token_created_idx ON operator_token (created_at, id);

-- Every admin mutation: who (an operator token id or 'bootstrap'), what, when, before and after
-- (the resource as the API shows it: never a secret).
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor       text        NOT NULL,
    action      text        NOT NULL,
    entity_type text        NOT NULL,
    entity_id   text        NOT NULL,
    before      jsonb       NULL,
    after       jsonb       NULL
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_log_occurred_idx ON audit_log (occurred_at, id);
