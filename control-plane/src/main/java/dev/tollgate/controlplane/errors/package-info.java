/**
 * Error events as operators read them: the newest-first list with filters and the nearest-error
 * lookup. Error events are written by the usage flush ({@code usage.FlushRepository}); this package
 * only reads them, with plain JDBC, each query an index range scan that stops after the rows it
 * returns (the indexes are in {@code V5__error_lookup_indexes.sql}), so its cost does not grow with
 * the table.
 */
package dev.tollgate.controlplane.errors;
