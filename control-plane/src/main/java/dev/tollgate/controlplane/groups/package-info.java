/**
 * Provider groups (pools of upstream credentials for one platform) and their provider keys.
 *
 * <p>Guarantees: a provider secret is stored only as AES-256-GCM ciphertext ({@link
 * dev.tollgate.controlplane.groups.SecretCipher}), is never returned by the admin API (only "…" and
 * its last 4 characters) and is never logged; it leaves the control plane in clear only on the
 * authenticated internal ConfigService. Counters belong to the usage flush.
 *
 * <p>Deleted groups and provider keys keep their rows (status {@code deleted}, replicated as
 * STATUS_DELETED, left out of snapshots). Fallback chains are checked under one advisory lock, so
 * two concurrent changes cannot close a cycle. A fixed concurrency limit, a mode switch or a reset
 * of learning takes a new revision, so data planes apply it at once.
 */
package dev.tollgate.controlplane.groups;
