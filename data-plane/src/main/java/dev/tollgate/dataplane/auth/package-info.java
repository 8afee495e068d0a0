/**
 * Client key authentication against the config replica: the key's status, expiry and owner, its
 * address rules (deny before allow; the address from {@link
 * dev.tollgate.dataplane.auth.ClientAddressResolver}), its quota, and its model allow-list.
 *
 * <p>Threads: called on event-loop threads; stateless apart from a per-thread SHA-256 digest, and
 * reads only the immutable view it is handed (CIDRs already parsed there) and the meter's lock-free
 * unflushed-token counters, so no synchronisation is needed. Requests refused before the model
 * check are not metered: there is no valid key to count them on; a refused model is counted on the
 * key as a failure.
 */
package dev.tollgate.dataplane.auth;
