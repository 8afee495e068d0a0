package dev.tollgate.controlplane.ratelimit;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One RPM limit that applies, and this minute's use of it. */
@Schema(description = "One requests-per-minute limit that applies, and this minute's use of it.")
public record RpmScopeView(
    @Schema(
            description =
                "key, user, group (the group's limit, for users without an override) or"
                    + " user_group (a (user, group) override: > 0 limits, 0 exempts from the"
                    + " group's limit).",
            enumeration = {"key", "user", "group", "user_group"})
        String scope,
    @Schema(description = "Id of the key, user or group the limit belongs to.") long id,
    @Schema(description = "For user_group: the user; absent otherwise.", nullable = true)
        @JsonInclude(JsonInclude.Include.NON_NULL)
        Long userId,
    @Schema(description = "Requests per minute allowed; 0 = unlimited (no counter is kept).")
        int limit,
    @Schema(description = "Requests admitted in the current minute.") long used,
    @Schema(description = "limit minus used, never below 0; null when unlimited.", nullable = true)
        Long remaining,
    @Schema(description = "Seconds until the current minute (Redis' clock) ends, 1..60.")
        int resetsInSeconds) {}
