/**
 * What every admin endpoint shares: operator authentication and roles ({@link
 * dev.tollgate.controlplane.admin.AdminAuthFilter}: the bootstrap token or an operator token,
 * {@code viewer} reads, {@code admin} changes), operator tokens, strict JSON binding and the input
 * rules every endpoint shares ({@link dev.tollgate.controlplane.admin.Fields}' bounds, no NUL or
 * lone surrogate anywhere, JSON bodies only: {@link
 * dev.tollgate.controlplane.admin.AdminInputFilter}), list parameters and pagination ({@link
 * dev.tollgate.controlplane.admin.ListRequest}, {@link dev.tollgate.controlplane.admin.ListQuery}:
 * page or keyset cursor, ids from an index first, then only the page's rows), and errors as {@code
 * application/problem+json} naming the field that was wrong.
 *
 * <p>Threads: the auth and input filters run on the event loop; a token missing from the cache is
 * read on a worker. The authenticated {@link dev.tollgate.controlplane.admin.Operator} travels on
 * the Vert.x routing context to the audit log.
 */
package dev.tollgate.controlplane.admin;
