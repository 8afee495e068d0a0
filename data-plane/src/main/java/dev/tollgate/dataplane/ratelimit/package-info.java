/**
 * Limits shared by every data-plane replica, in Redis: RPM of the key, its user, and the provider
 * group or the (user, group) override; TPM of the key; concurrent requests of the key and the user.
 *
 * <p>{@link dev.tollgate.dataplane.ratelimit.RateLimiter} is the contract the request path uses;
 * {@link dev.tollgate.dataplane.ratelimit.RedisRateLimiter} implements it with one Lua script
 * ({@code limits.lua}) that admits a batch of requests one after the other, each all-or-nothing;
 * {@link dev.tollgate.dataplane.ratelimit.RedisKeys} builds every key (formats in {@code
 * docs/redis-keys.md}).
 *
 * <p>Threads: each event loop owns its Redis connection, its queue of requests waiting to be
 * admitted, and the leases it holds; all of that is touched only on that loop's thread (answers
 * from Redis hop back to it). {@link dev.tollgate.dataplane.ratelimit.Limits} and {@link
 * dev.tollgate.dataplane.ratelimit.Decision} are immutable. Only the fail-mode counters and the
 * rate-limited log are shared, through atomics.
 *
 * <p>Guarantees: admissions are exact across replicas (Redis runs each script call atomically and
 * windows come from Redis' clock); a refused request counts against no scope. A concurrency lease
 * lives {@code tollgate.redis.lease-ttl} and is renewed every third of it while its request runs,
 * and released when the request ends however it ends; a replica that dies leaves leases that expire
 * on their own. TPM is charged after the response from its usage, so a request that starts while
 * the window is still under its limit may take it over; the next ones are refused until the window
 * resets. When Redis does not answer within {@code tollgate.redis.timeout} the fail mode decides
 * (open by default): then limits are not enforced (open) or requests are refused with 503 (closed),
 * and TPM charges and lease renewals of that moment are lost, while lease releases are kept and
 * sent with the next call that reaches Redis (up to a bound, beyond which leases expire on their
 * own), so an outage does not hold finished requests' slots.
 *
 * <p>On a Redis Cluster ({@link dev.tollgate.dataplane.ratelimit.RedisTopology}; {@link
 * dev.tollgate.dataplane.ratelimit.RateLimiterProducer} picks the limiter) {@link
 * dev.tollgate.dataplane.ratelimit.RedisClusterRateLimiter} runs the same script once per hash slot
 * a request touches, unbatched: the key owner's scopes share the user's slot (hash tags), the
 * group's RPM window has its own and is counted first, then taken back when the owner's scopes
 * refuse. A refused request still counts against no scope; a data plane that dies between the two
 * steps leaves the group's window over by one until its minute ends. Answers hop back to the
 * request's context; its lease table is concurrent (renewed from a periodic timer).
 */
package dev.tollgate.dataplane.ratelimit;
