/**
 * Choosing a provider group and provider key for a request, and keeping unusable keys out of the
 * choice: 429 cooldowns, 401/403 take-outs, circuit breakers, fixed and learned concurrency limits.
 *
 * <p>Threads: {@link dev.tollgate.dataplane.routing.PriorityWeightedRouter} runs on event-loop
 * threads for every request and does no I/O; it reads the immutable config view and {@link
 * dev.tollgate.dataplane.routing.ProviderKeyHealth}, whose per-key state is shared by all event
 * loops (atomics, volatiles, Resilience4j's thread-safe breaker). An {@link
 * dev.tollgate.dataplane.routing.UpstreamLease} belongs to one request and is used on its event
 * loop only. {@link dev.tollgate.dataplane.routing.AdaptiveConcurrency} syncs with Redis from a
 * Vert.x periodic timer (an event loop) with asynchronous calls bounded by {@code
 * tollgate.routing.adaptive.redis-timeout}; the utilisation samples it keeps are written by that
 * timer only.
 *
 * <p>Guarantees: a lease is ended exactly once however the request ends (answered, failed over,
 * client gone), so in-flight counts never drift. Every learned-limit change is made atomically in
 * Redis by one Lua script and reported once, by the data plane that made it; with Redis
 * unreachable, changes are made and reported locally and the shared state wins again at the next
 * sync.
 */
package dev.tollgate.dataplane.routing;
