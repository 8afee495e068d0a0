/**
 * Client key authentication against the config replica.
 *
 * <p>Threads: called on event-loop threads; stateless apart from a per-thread SHA-256 digest, and
 * reads only the immutable view it is handed, so no synchronisation is needed. Refused requests are
 * not metered: there is no valid key to count them on.
 */
package dev.tollgate.dataplane.auth;
