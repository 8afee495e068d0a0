package dev.tollgate.dataplane.usage;

import dev.tollgate.proto.usage.v1.ProviderKeyHealthReport;
import java.util.List;

/**
 * Where the flusher gets the provider keys' health it adds to each new batch ({@code
 * FlushRequest.provider_key_health}).
 *
 * <p>Contract: {@link #reportsDue} answers, at most once per provider key, the reports due at
 * {@code nowMs} — a key whose health (circuit state, cooldown, errors in a row) changed since its
 * last report, and a resting key (circuit not closed, or cooling down after a 429) whose last
 * report is {@link #REFRESH_MS} old — and remembers them as reported. A key never reported is due
 * only once it is resting or has failed (the control plane takes an unreported key as healthy).
 * Called only by the flusher, never concurrently.
 */
public interface ProviderHealthReporter {

  /** An unhealthy key is reported at least this often, so a current report can be told apart. */
  long REFRESH_MS = 30_000;

  List<ProviderKeyHealthReport> reportsDue(long nowMs);
}
