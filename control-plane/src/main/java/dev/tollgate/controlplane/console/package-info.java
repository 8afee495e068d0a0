/**
 * The operators' console at {@code /console}: a page and its scripts (no build step, no framework;
 * {@link dev.tollgate.controlplane.console.ConsoleAssets}) that read and change everything through
 * the admin API, and the sign-in sessions that let a browser call that API without ever holding the
 * operator token in script-readable storage.
 *
 * <p>Sessions ({@link dev.tollgate.controlplane.console.ConsoleSessionService}): an operator token
 * is exchanged once for a random id in an HttpOnly, SameSite=Strict cookie; the admin API's auth
 * filter accepts that cookie as it accepts a bearer token, with the same roles, and every change
 * must carry the session's CSRF token. Sessions live in PostgreSQL so that every replica serves
 * them; they end when idle, at a maximum age, on sign-out, or when their operator token is revoked.
 *
 * <p>Threads: pages and assets are answered on the event loop from memory. Session look-ups made by
 * the auth filter hit a per-replica cache on the event loop; a miss reads PostgreSQL on a worker
 * thread. Sign-in and sign-out run on worker threads.
 */
package dev.tollgate.controlplane.console;
