package dev.tollgate.controlplane.errors;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The answer of the nearest-error lookup. */
@Schema(description = "The error of the key nearest in time to the timestamp asked about.")
public record ErrorLookupView(
    @Schema(description = "The error event found.") ErrorEventView error,
    @Schema(
            description =
                "same_status_code: it has the status_code asked for; any_status_code: none with"
                    + " that status was within the window, this is the nearest of any status (also"
                    + " when no status_code was given).",
            enumeration = {"same_status_code", "any_status_code"})
        String match,
    @Schema(
            description =
                "occurred_at minus the timestamp asked about, in milliseconds (negative: before).")
        long offsetMs) {}
