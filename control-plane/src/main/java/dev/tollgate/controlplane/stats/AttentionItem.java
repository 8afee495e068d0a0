package dev.tollgate.controlplane.stats;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(description = "A key or provider key with failures in the window.")
public record AttentionItem(
    @Schema(description = "The api key or provider key.") long id,
    @Schema(description = "The key's name, or the provider key's base_url.") String name,
    @Schema(description = "Its status.") String status,
    @Schema(description = "Requests in the window.") long requests,
    @Schema(description = "Failed requests in the window.") long failures,
    @Schema(description = "Requests answered 429 in the window.") long rateLimited,
    @Schema(description = "failures / requests in the window, null without requests.")
        Double failureRate) {}
