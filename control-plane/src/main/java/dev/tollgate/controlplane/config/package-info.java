/**
 * Config revisions and the internal gRPC ConfigService that data planes replicate from.
 *
 * <p>Ordering: every config-changing transaction takes its revision from {@link
 * dev.tollgate.controlplane.config.ConfigRevisions} and stamps the rows it changes with it; the
 * config_state row lock makes revisions commit in order. Readers ({@link
 * dev.tollgate.controlplane.config.ConfigRepository}) read the revision and the rows in one
 * REPEATABLE READ transaction, so "everything after R" is complete up to the revision they report.
 *
 * <p>Threads: gRPC calls arrive on the event loop; snapshot reads run on a worker ({@code
 * Blocking}); Watch streams are fed by one shared poller thread plus workers for the reads ({@link
 * dev.tollgate.controlplane.config.ConfigChangePoller}).
 */
package dev.tollgate.controlplane.config;
