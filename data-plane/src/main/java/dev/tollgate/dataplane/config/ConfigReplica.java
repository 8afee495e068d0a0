package dev.tollgate.dataplane.config;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicReference;

/**
 * This replica's current copy of the configuration. Written by the Watch stream's thread only, read
 * by every request.
 */
@ApplicationScoped
public class ConfigReplica {

  private final AtomicReference<ConfigView> current = new AtomicReference<>();

  // System.nanoTime of the last snapshot, change or heartbeat; 0 before the first.
  private volatile long lastUpdateNanos;

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
   * Seconds since the control plane last spoke (snapshot, change or heartbeat); -1 before the first
   * snapshot.
   */
  public double secondsSinceLastUpdate() {
    long last = lastUpdateNanos;
    return last == 0 ? -1 : (System.nanoTime() - last) / 1e9;
  }
}
