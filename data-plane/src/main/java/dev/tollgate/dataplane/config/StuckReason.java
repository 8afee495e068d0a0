package dev.tollgate.dataplane.config;

/**
 * Why the replica cannot follow the control plane's config stream although the control plane
 * answers: the stream itself cannot be applied. Each is healed by loading a new snapshot; the
 * reason is the {@code reason} tag of {@code tollgate_config_apply_failures_total} and the {@code
 * stuck_reason} of the readiness details.
 */
public enum StuckReason {
  /** Building or updating the view from what arrived threw. */
  APPLY_FAILED("apply_failed"),
  /**
   * A message was over the replica's inbound limit (tollgate.replica.max-inbound-message-bytes).
   */
  MESSAGE_TOO_LARGE("message_too_large"),
  /** A change did not follow the revision the replica is at: something in between was missed. */
  REVISION_GAP("revision_gap"),
  /**
   * A snapshot began but did not end properly (cut off, timed out, or its totals did not match).
   */
  SNAPSHOT_INCOMPLETE("snapshot_incomplete");

  private final String tag;

  StuckReason(String tag) {
    this.tag = tag;
  }

  /** The value used in metrics and health details. */
  public String tag() {
    return tag;
  }
}
