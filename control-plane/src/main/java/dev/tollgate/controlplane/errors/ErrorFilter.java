package dev.tollgate.controlplane.errors;

import java.time.Instant;

/**
 * What the error list is narrowed to; every field null means "any". The time range is [from, to).
 */
record ErrorFilter(
    Long keyId, Long providerKeyId, String model, Integer statusCode, Instant from, Instant to) {}
