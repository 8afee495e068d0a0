/**
 * The admin API's usage summaries: key stats, the usage summary across provider groups, usage
 * windows and time series, per-key usage by model, provider group and provider key stats, and the
 * attention list.
 *
 * <p>Cost: no summary reads more than a bounded number of rows, whatever the number of keys or the
 * age of the installation (docs/architecture.md, invariant 2). They read what the usage flush keeps
 * in the same transaction as each batch: the counters of each key, provider key and group, the
 * tiers of usage_* tables (per key and model; per installation, user, group, provider key and
 * model), and the key stats tables kept by triggers. A window is read from the coarsest tiers that
 * fit ({@link dev.tollgate.controlplane.stats.Tier#cover}); rates and means are computed when read.
 *
 * <p>Time: buckets are aligned to UTC; windows end with the current minute, which counts whole.
 * Services take "now" as a parameter so what a window covers is explicit and testable.
 */
package dev.tollgate.controlplane.stats;
