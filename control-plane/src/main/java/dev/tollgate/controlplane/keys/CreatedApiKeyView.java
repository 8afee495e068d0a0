package dev.tollgate.controlplane.keys;

import com.fasterxml.jackson.annotation.JsonUnwrapped;

/** The answer to creating a key: the only time the secret {@code key} is ever shown. */
public record CreatedApiKeyView(String key, @JsonUnwrapped ApiKeyView details) {}
