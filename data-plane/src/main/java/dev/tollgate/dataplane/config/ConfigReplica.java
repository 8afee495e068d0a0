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
  }
}
