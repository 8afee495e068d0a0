/**
 * Requests-per-minute status for operators: this minute's use of every RPM limit that applies to a
 * key or a user, read from the data planes' counters in Redis without counting a request (TIME and
 * MGET only; {@link dev.tollgate.controlplane.ratelimit.RpmCounterKeys} builds the keys exactly as
 * docs/redis-keys.md specifies them). The limits come from PostgreSQL. Redis is optional for the
 * rest of the control plane: when it is unreachable only rpm-status fails, with a 503.
 */
package dev.tollgate.controlplane.ratelimit;
