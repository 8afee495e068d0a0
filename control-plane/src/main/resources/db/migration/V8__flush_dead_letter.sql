-- Parts of usage flush batches the control plane could not apply (usage.proto's Flush): kept here,
-- written in the transaction that applied the rest of their batch, so nothing a data plane counted
-- disappears silently and no bad part blocks the batches after it. Listed by the admin API at
-- /admin/v1/flush/dead-letters, newest first.
CREATE TABLE flush_dead_letter (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at    timestamptz NOT NULL DEFAULT now(),
    dp_instance_id text        NOT NULL,
    sequence       bigint      NOT NULL,
    -- Which list of the FlushRequest the item was in, and its position there as sent.
    part           text        NOT NULL CHECK (part IN ('key_delta', 'provider_key_delta', 'bucket',
                                                        'error', 'adjustment', 'errors_dropped')),
    item_index     integer     NOT NULL,
    reason         text        NOT NULL CHECK (reason IN ('invalid', 'unknown_key',
                                                          'unknown_provider_key', 'apply_failed')),
    -- What is wrong, naming the field.
    detail         text        NOT NULL,
    -- The item as received: proto3 JSON (field names as in usage.proto), escaped to ASCII so that a
    -- NUL or an unpaired surrogate in it is stored as its \u escape.
    item           text        NOT NULL
);
-- The list reads newest first, optionally for one data-plane instance or one reason.
CREATE INDEX flush_dead_letter_received_idx ON flush_dead_letter (received_at, id);
CREATE INDEX flush_dead_letter_instance_idx ON flush_dead_letter (dp_instance_id, received_at, id);
CREATE INDEX flush_dead_letter_reason_idx ON flush_dead_letter (reason, received_at, id);
