/**
 * The Tollgate data plane: authenticates OpenAI-compatible requests against an in-memory replica of
 * the control plane's configuration, routes them to an upstream provider key, streams the answer
 * back and meters usage in memory, flushed to the control plane in batches.
 *
 * <p>Features live in their own packages: {@code proxy} (the request pipeline), {@code auth},
 * {@code routing}, {@code upstream}, {@code usage} and {@code config}. This package holds what they
 * share: the configuration mapping and the channel to the control plane, plaintext or TLS ({@link
 * dev.tollgate.dataplane.ControlPlaneTls}).
 */
package dev.tollgate.dataplane;
