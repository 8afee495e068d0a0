package dev.tollgate.controlplane.groups;

import dev.tollgate.controlplane.admin.Fields;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Body of {@code POST /admin/v1/provider-keys}; max_concurrent absent = adaptive. */
public record CreateProviderKeyRequest(
    @Schema(description = "The provider group (existing, not deleted). Required.") Long groupId,
    @Schema(
            description =
                "Absolute http(s) URL such as https://api.openai.com/v1, at most 2048 characters."
                    + " Required.",
            minLength = 1,
            maxLength = Fields.MAX_URL_LENGTH)
        String baseUrl,
    @Schema(
            description = "The upstream credential, 1 to 16384 characters; write-only. Required.",
            minLength = 1,
            maxLength = Fields.MAX_SECRET_LENGTH,
            writeOnly = true)
        String secret,
    @Schema(description = "Lower value = tried first (default 0).") Integer priority,
    @Schema(description = "Relative share among keys of the same priority, 1..10000 (default 1).")
        Integer weight,
    @Schema(description = "Fixed concurrency limit 1..1000; absent = adaptive.")
        Integer maxConcurrent) {}
