package dev.tollgate.controlplane.stats;

import dev.tollgate.controlplane.admin.AdminApi;
import dev.tollgate.controlplane.usage.UsageFlushService;
import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.KeyDelta;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import dev.tollgate.proto.usage.v1.UsageBucket;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Users, keys and provider keys made through the admin API, and usage put in through the flush,
 * exactly as data planes send it: what the summaries read is what the flush wrote.
 */
final class StatsFixtures {

  final long user = AdminApi.createUser();
  final long group = AdminApi.createGroup();
  final long providerKey = AdminApi.createProviderKey(group, "sk-stats-test-secret");
  private final UsageFlushService flushes;
  private final String instance = "stats-" + UUID.randomUUID();
  private long sequence;

  StatsFixtures(UsageFlushService flushes) {
    this.flushes = flushes;
  }

  long key() {
    return AdminApi.createKey(user, List.of(group)).getLong("id");
  }

  /** {@code requests} requests of which {@code failures} failed, {@code limited} of those 429s. */
  static Counters counts(long requests, long failures, long limited) {
    return counts(requests, failures, limited, 0);
  }

  /** As above, {@code estimated} of the requests with estimated tokens. */
  static Counters counts(long requests, long failures, long limited, long estimated) {
    return Counters.newBuilder()
        .setEstimatedRequests(estimated)
        .setRequests(requests)
        .setSuccessRequests(requests - failures)
        .setFailureRequests(failures)
        .setRateLimitedRequests(limited)
        .setPromptTokens(10 * requests)
        .setCompletionTokens(2 * requests)
        .setTotalTokens(12 * requests)
        .build();
  }

  /** Flushes one bucket (and the matching key and provider-key deltas) in its own batch. */
  void use(long key, long providerKey, String model, Instant minute, Counters counters)
      throws Exception {
    FlushRequest.Builder batch =
        FlushRequest.newBuilder()
            .setDpInstanceId(instance)
            .setSequence(++sequence)
            .addKeyDeltas(KeyDelta.newBuilder().setKeyId(key).setCounters(counters))
            .addBuckets(
                UsageBucket.newBuilder()
                    .setBucketStartUnixS(minute.getEpochSecond() / 60 * 60)
                    .setKeyId(key)
                    .setProviderKeyId(providerKey)
                    .setModel(model)
                    .setCounters(counters)
                    .setLatencyMsSum(100 * counters.getRequests()));
    if (providerKey != 0) {
      batch.addProviderKeyDeltas(
          ProviderKeyDelta.newBuilder()
              .setProviderKeyId(providerKey)
              .setCounters(counters)
              .setLatencyMsSum(100 * counters.getRequests()));
    }
    flushes.apply(batch.build());
  }

  void use(long key, Instant minute, long requests) throws Exception {
    use(key, providerKey, "gpt-4o-mini", minute, counts(requests, 0, 0));
  }

  /** A random minute-aligned instant in a year no other test writes usage in. */
  static Instant quietMinute(int year) {
    long start = Instant.parse(year + "-01-01T00:00:00Z").getEpochSecond();
    long days = (long) (Math.random() * 300);
    return Instant.ofEpochSecond(start + days * 86_400 + 12 * 3_600 + 34 * 60);
  }
}
