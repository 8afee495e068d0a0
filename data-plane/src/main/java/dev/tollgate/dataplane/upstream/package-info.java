/**
 * Calls to upstream providers, reading their usage, and classifying their errors.
 *
 * <p>Threads: {@link dev.tollgate.dataplane.upstream.UpstreamClient} is shared by all event loops
 * (Vert.x pools connections and runs each request's callbacks on the event loop that opened it). A
 * {@link dev.tollgate.dataplane.upstream.UsageExtractor} belongs to one response and is fed on that
 * event loop only; it is not thread-safe and needs not be. {@link
 * dev.tollgate.dataplane.upstream.UpstreamErrorClassifier} is pure and stateless.
 *
 * <p>Usage: extractors read both namings ({@link dev.tollgate.dataplane.upstream.UsageFields}) and
 * also count the characters of generated text they relay ({@link
 * dev.tollgate.dataplane.upstream.TextCounter}, a byte scan without a parse), which is what the
 * estimate of a cut stream ({@link dev.tollgate.dataplane.upstream.TokenUsage#estimate}) is made
 * of. Secrets: the client's credentials (Authorization, x-api-key) are never forwarded; the
 * provider key's secret is set on the upstream request only, and never logged.
 */
package dev.tollgate.dataplane.upstream;
