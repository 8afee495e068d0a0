/**
 * The benchmarks' load generator: sends one prepared HTTP/1.1 request over pooled keep-alive
 * connections at a fixed rate or at saturation, and reports HdrHistogram percentiles as one JSON
 * line per run ({@link dev.tollgate.bench.loadgen.RunResult}); {@code loadgen table} puts runs of
 * several targets side by side ({@link dev.tollgate.bench.loadgen.ComparisonTable}).
 *
 * <p>Threads: in fixed-rate mode the main thread is the pacer. It parks (then spins the last ~80
 * µs) until each request's intended start and hands the request to an event loop; it never waits
 * for a response, so a slow target cannot slow the schedule (open loop). Latency is measured from
 * the intended start, so time a request spent queued behind a slow one is counted (coordinated
 * omission corrected, as in wrk2). In saturation mode each of C lanes lives on one event loop and
 * sends its next request when the previous one ended (closed loop); latency is measured from the
 * send. Requests are issued and completed only on event-loop threads; the histograms take
 * concurrent writers; results are read once the run has drained.
 */
package dev.tollgate.bench.loadgen;
