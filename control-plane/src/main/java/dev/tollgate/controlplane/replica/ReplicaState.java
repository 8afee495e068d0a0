package dev.tollgate.controlplane.replica;

/**
 * What the last measurement found the read replica doing, and so where read-only endpoints read.
 */
public enum ReplicaState {
  /** No TOLLGATE_DB_READ_URL: every read on the primary, as without this feature. */
  NONE("none", false),
  /** Configured, not measured yet: the primary until the first measurement says otherwise. */
  STARTING("starting", false),
  /** A standby replaying within the maximum lag: read-only endpoints read here. */
  STREAMING("streaming", true),
  /** A standby more than the maximum lag behind: the primary, until it catches up. */
  LAGGING("lagging", false),
  /** No connection, a failed query, or no measurement for several intervals: the primary. */
  UNREACHABLE("unreachable", false),
  /**
   * It answers but is not in recovery: promoted after a failover, or never a standby. Its data may
   * have parted from the primary's, so the primary.
   */
  NOT_A_STANDBY("not_a_standby", false),
  /**
   * The primary cannot be asked for its position, so the lag is unknown; the standby is still the
   * freshest copy that answers, so read-only endpoints keep reading it.
   */
  PRIMARY_UNREACHABLE("primary_unreachable", true);

  private final String label;
  private final boolean servesReads;

  ReplicaState(String label, boolean servesReads) {
    this.label = label;
    this.servesReads = servesReads;
  }

  /** The name readiness details show. */
  public String label() {
    return label;
  }

  /** Whether read-only endpoints read the replica in this state. */
  public boolean servesReads() {
    return servesReads;
  }
}
