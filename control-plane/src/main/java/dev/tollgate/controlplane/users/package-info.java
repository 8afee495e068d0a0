/**
 * Users (tenants owning keys) and their (user, provider group) RPM overrides.
 *
 * <p>Deleting a user keeps the row as {@code deleted} (replicated as STATUS_DELETED, left out of
 * snapshots) and revokes every key of the user in the same transaction and revision. Clearing an
 * override keeps its row with {@code rpm_override} NULL and a new revision, so data planes learn it
 * is gone; snapshots carry only overrides that are set.
 */
package dev.tollgate.controlplane.users;
