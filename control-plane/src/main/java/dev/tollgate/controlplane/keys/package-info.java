/**
 * Client api keys ("tg-…"), their provider-group bindings, and their lists.
 *
 * <p>Guarantees: the secret exists only in the answer to its creation or rotation; the database
 * keeps its lowercase hex SHA-256 ({@code token_hash}), which is what data planes look up, so a
 * rotation replaces the hash and the old secret stops working with that revision. Every change of a
 * key or its bindings takes a new config revision in the same transaction, so watching data planes
 * pick it up (a revoke or disable within 2 s), and writes an audit entry in that transaction.
 * Counters, {@code quota_used} and {@code last_accessed_at} belong to the usage flush; only
 * reset-quota sets {@code quota_used} back to 0, under the row lock the flush takes too.
 *
 * <p>Lists ({@link dev.tollgate.controlplane.keys.ApiKeyRepository}) never scan api_key: triggers
 * (V3) keep {@code api_key_listing} and {@code api_key_count} exact in the same transaction as each
 * insert and status change; {@link dev.tollgate.controlplane.keys.ListingRefresher} copies the sort
 * counters in the background (one replica at a time, advisory lock), so orders by requests, tokens
 * or last use lag by at most one pass.
 */
package dev.tollgate.controlplane.keys;
