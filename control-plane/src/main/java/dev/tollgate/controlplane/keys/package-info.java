/**
 * Client api keys ("tg-…") and their provider-group bindings.
 *
 * <p>Guarantees: the secret exists only in the 201 answer to its creation; the database keeps its
 * lowercase hex SHA-256 ({@code token_hash}), which is what data planes look up. Every change of a
 * key or its bindings takes a new config revision in the same transaction, so watching data planes
 * pick it up (a revoke or disable within 2 s). Counters, {@code quota_used} and {@code
 * last_accessed_at} belong to the usage flush and are never written from here.
 */
package dev.tollgate.controlplane.keys;
