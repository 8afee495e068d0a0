package dev.tollgate.dataplane.config;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * This replica's current copy of the configuration, and whether the stream that feeds it is stuck.
 * Written by the Watch stream's thread only, read by every request.
 */
@ApplicationScoped
public class ConfigReplica {

  private final AtomicReference<ConfigView> current = new AtomicReference<>();

  // System.nanoTime of the last snapshot, change or heartbeat; 0 before the first.
  private volatile long lastUpdateNanos;

  /** Set while the config stream cannot be applied; null when it flows. */
  private volatile Stuck stuck;

  private final AtomicLong applyFailures = new AtomicLong();

  /**
   * Why and since when (System.nanoTime) the stream is stuck.
   *
   * @param detail what went wrong, for operators (never a secret: statuses and counts only)
   */
  public record Stuck(StuckReason reason, String detail, long sinceNanos) {}

  /** The current view, or null until the first snapshot has been loaded. */
  public ConfigView view() {
    return current.get();
  }

  /** Whether a snapshot has been loaded (readiness). */
  public boolean loaded() {
    return current.get() != null;
  }

  /** Replaces the whole view (a snapshot, or a change applied to the previous view). */
  public void replace(ConfigView view) {
    current.set(view);
    lastUpdateNanos = System.nanoTime();
  }

  /**
   * Records that the config stream could not be applied; the first failure of a run sets the time
   * it started. Cleared by {@link #unstuck()} once a snapshot is loaded again.
   */
  public void stuck(StuckReason reason, String detail) {
    applyFailures.incrementAndGet();
    Stuck previous = stuck;
    stuck = new Stuck(reason, detail, previous == null ? System.nanoTime() : previous.sinceNanos());
  }

  /** The stream flows again (a snapshot was loaded). */
  public void unstuck() {
    stuck = null;
  }

  /** Why the stream is stuck, or null when it is not. */
  public Stuck stuckState() {
    return stuck;
  }

  /** Times the stream could not be applied, since start. */
  public long applyFailures() {
    return applyFailures.get();
  }

  /**
   * Seconds since the control plane last spoke (snapshot, change or heartbeat); -1 before the first
   * snapshot.
   */
  public double secondsSinceLastUpdate() {
    long last = lastUpdateNanos;
    return last == 0 ? -1 : (System.nanoTime() - last) / 1e9;
  }
}
