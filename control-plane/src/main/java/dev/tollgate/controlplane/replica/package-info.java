/**
 * The read replica: the admin API's read-only endpoints (lists, usage and stats, errors, the audit
 * log, the adaptive-concurrency overviews) read a PostgreSQL streaming replica named by
 * TOLLGATE_DB_READ_URL, through {@link dev.tollgate.controlplane.replica.ReadConnections}; every
 * write, every read inside a write, the by-id reads that follow an operator's change, the config
 * stream, the listing refresher, retention and the usage flush stay on the primary.
 *
 * <p>Guarantees: a read-only endpoint reads data at most {@code TOLLGATE_DB_READ_MAX_LAG} behind
 * the primary (plus one measurement interval): {@link
 * dev.tollgate.controlplane.replica.ReplayLagMonitor} measures the replay lag every interval, and a
 * replica that is lagging beyond it, unreachable, not a standby, or silent on one call for three
 * intervals (at least 1 s) sends those reads to the primary until it is back. Falling back rather
 * than answering 503 keeps the operators' console whole while a replica is rebuilt or restarted;
 * the reads are bounded (see the stats and admin packages), so the primary takes them as it did
 * before the replica existed. A query already running on a replica that dies fails like one on a
 * primary that dies (503 with Retry-After). When the primary is unreachable the lag is unknown and
 * the replica, the freshest copy that answers, keeps serving those reads.
 *
 * <p>Threads: one daemon thread ({@code tollgate-replay-lag}) measures; request threads read its
 * last measurement (a volatile snapshot) and report a replica that refused them a connection.
 */
package dev.tollgate.controlplane.replica;
