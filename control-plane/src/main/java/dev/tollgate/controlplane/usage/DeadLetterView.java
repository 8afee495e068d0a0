package dev.tollgate.controlplane.usage;

import com.fasterxml.jackson.annotation.JsonRawValue;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One part of a flush batch the control plane kept instead of applying. */
@Schema(
    description =
        "One part of a usage flush batch the control plane could not apply and kept instead; the"
            + " rest of its batch was applied.")
public record DeadLetterView(
    @Schema(description = "Id of the dead letter; with received_at it orders the list.") long id,
    @Schema(description = "When the control plane received the batch.") Instant receivedAt,
    @Schema(description = "The data-plane instance that sent the batch.") String dpInstanceId,
    @Schema(description = "The batch's sequence number for that instance.") long sequence,
    @Schema(
            description = "Which list of the batch the item was in.",
            enumeration = {
              "key_delta",
              "provider_key_delta",
              "bucket",
              "error",
              "adjustment",
              "errors_dropped",
              "provider_key_health"
            })
        String part,
    @Schema(description = "The item's position in that list, as the data plane sent it.")
        int itemIndex,
    @Schema(
            description =
                "Why it was not applied: invalid (breaks a rule of the contract), unknown_key or"
                    + " unknown_provider_key (names an id this control plane does not have),"
                    + " apply_failed (the database refused the batch; every part of it is kept).",
            enumeration = {"invalid", "unknown_key", "unknown_provider_key", "apply_failed"})
        String reason,
    @Schema(description = "What exactly is wrong, naming the field.") String detail,
    @Schema(
            description =
                "The item as received, as proto3 JSON with the field names of usage.proto.",
            type = SchemaType.OBJECT)
        @JsonRawValue
        String item) {}
