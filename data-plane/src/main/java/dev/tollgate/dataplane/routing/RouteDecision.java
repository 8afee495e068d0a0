package dev.tollgate.dataplane.routing;

/** What routing decided for a request: a {@link Route}, or {@link Unavailable}. */
public sealed interface RouteDecision permits Route, Unavailable {}
