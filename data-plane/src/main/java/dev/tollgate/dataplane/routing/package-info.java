/**
 * Choosing a provider group and provider key for a request.
 *
 * <p>Threads: called on event-loop threads; stateless (randomness from {@link
 * java.util.concurrent.ThreadLocalRandom}) and reads only the immutable config view.
 */
package dev.tollgate.dataplane.routing;
