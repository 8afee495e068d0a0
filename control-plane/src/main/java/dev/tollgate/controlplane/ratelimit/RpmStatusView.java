package dev.tollgate.controlplane.ratelimit;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** rpm-status of a key or a user. */
@Schema(description = "This minute's use of every requests-per-minute limit of a key or a user.")
public record RpmStatusView(
    @Schema(
            description = "key or user.",
            enumeration = {"key", "user"})
        String subject,
    @Schema(description = "Id of the key or user.") long id,
    @Schema(description = "The current minute: floor(Redis unix time / 60).") long minute,
    @Schema(
            description =
                "Every applicable limit: the key's (for a key), the user's, and per provider group"
                    + " the group's limit or the (user, group) override.")
        List<RpmScopeView> scopes) {}
