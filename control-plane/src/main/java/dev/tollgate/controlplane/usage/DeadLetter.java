package dev.tollgate.controlplane.usage;

import com.google.protobuf.Message;

/**
 * One part of a flush batch the control plane did not apply and keeps in {@code flush_dead_letter}
 * instead (see usage.proto's Flush).
 *
 * @param part which list of the batch the item came from
 * @param index the item's position in that list, as the data plane sent it
 * @param reason why it was not applied
 * @param detail what exactly is wrong, naming the field (never quoting its text)
 * @param item the item as received
 */
record DeadLetter(Part part, int index, Reason reason, String detail, Message item) {

  /** The lists of a FlushRequest, by the name the table, the metric and the admin API use. */
  enum Part {
    KEY_DELTA("key_delta"),
    PROVIDER_KEY_DELTA("provider_key_delta"),
    BUCKET("bucket"),
    ERROR("error"),
    ADJUSTMENT("adjustment"),
    /** A data plane's report of a provider key's health (ProviderKeyHealthReports). */
    PROVIDER_KEY_HEALTH("provider_key_health"),
    /** FlushRequest.errors_dropped, when negative; the item is a FlushRequest holding only it. */
    ERRORS_DROPPED("errors_dropped");

    final String name;

    Part(String name) {
      this.name = name;
    }
  }

  /** Why an item was not applied (flush_dead_letter.reason). */
  enum Reason {
    /** It breaks a rule of usage.proto (a count, a time, a length, a character). */
    INVALID("invalid"),
    /** It names an api key id the control plane does not have. */
    UNKNOWN_KEY("unknown_key"),
    /** It names a provider key id the control plane does not have. */
    UNKNOWN_PROVIDER_KEY("unknown_provider_key"),
    /**
     * Applying the batch failed in a way retrying cannot cure (the database refused it); every item
     * of the batch is kept with this reason.
     */
    APPLY_FAILED("apply_failed");

    final String name;

    Reason(String name) {
      this.name = name;
    }
  }
}
