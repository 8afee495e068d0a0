/**
 * The audit log: every admin mutation, who made it (an operator token id or {@code bootstrap}),
 * when, and the resource before and after as the admin API shows it (so never a secret).
 *
 * <p>Guarantee: {@link dev.tollgate.controlplane.audit.AuditLog#record} writes in the caller's
 * transaction, so an entry exists exactly when its change committed. Services of every package call
 * it; they pass views, never entities.
 */
package dev.tollgate.controlplane.audit;
