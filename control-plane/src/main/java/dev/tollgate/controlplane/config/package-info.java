/**
 * Config revisions and the internal gRPC ConfigService that data planes replicate from.
 *
 * <p>Ordering: every config-changing transaction takes its revision from {@link
 * dev.tollgate.controlplane.config.ConfigRevisions} and stamps the rows it changes with it; the
 * config_state row lock makes revisions commit in order. Readers ({@link
 * dev.tollgate.controlplane.config.ConfigRepository}) read the revision and the rows in one
 * REPEATABLE READ transaction, so "everything after R" is complete up to the revision they report.
 *
 * <p>Size: a snapshot and a change set are cut into messages under a byte budget ({@link
 * dev.tollgate.controlplane.config.ConfigChunker}); a snapshot streams from database cursors at the
 * pace the data plane reads it, so memory does not grow with the key count.
 *
 * <p>Threads: gRPC calls arrive on the event loop; a snapshot is read and sent by one worker, which
 * waits while the stream is not ready; Watch streams are fed by one shared poller thread plus
 * workers for the reads ({@link dev.tollgate.controlplane.config.ConfigChangePoller}).
 */
package dev.tollgate.controlplane.config;
