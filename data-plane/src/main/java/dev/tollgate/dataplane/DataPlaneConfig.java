package dev.tollgate.dataplane;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every knob of the data plane. Each property can be set by its environment variable, e.g. {@code
 * tollgate.flush-interval} by {@code TOLLGATE_FLUSH_INTERVAL}; durations accept {@code 5s}, {@code
 * 200ms} or ISO-8601.
 */
@ConfigMapping(prefix = "tollgate")
public interface DataPlaneConfig {

  /** The control plane's gRPC endpoint as {@code host:port} ({@code TOLLGATE_CONTROL_PLANE}). */
  @WithDefault("127.0.0.1:8080")
  String controlPlane();

  /**
   * Shared secret sent as {@code authorization: Bearer <token>} on every call to the control plane
   * ({@code TOLLGATE_INTERNAL_TOKEN}); start-up fails without it.
   */
  Optional<String> internalToken();

  /** How often counted usage is flushed to the control plane ({@code TOLLGATE_FLUSH_INTERVAL}). */
  @WithDefault("5s")
  Duration flushInterval();

  /** Deadline of one UsageService.Flush call. */
  @WithDefault("5s")
  Duration flushTimeout();

  /** Longest wait between two attempts to send a batch the control plane did not acknowledge. */
  @WithDefault("30s")
  Duration flushMaxBackoff();

  /** How long shutdown keeps retrying the final flush before giving up and exiting. */
  @WithDefault("20s")
  Duration shutdownFlushTimeout();

  /** Error events described per batch; the ones beyond are only counted as errors_dropped. */
  @WithDefault("1000")
  int maxErrorEventsPerFlush();

  /** Largest accepted request body; larger ones are refused with 413. */
  @WithDefault("10485760")
  int maxRequestBodyBytes();

  /** Calls to upstream providers. */
  Upstream upstream();

  /** The config replica fed by the control plane. */
  Replica replica();

  /** Which address a request comes from, for the keys' ip_allow / ip_deny lists. */
  ClientIp clientIp();

  /** Redis, where the limits shared by all replicas live. */
  Redis redis();

  /** Which address a request comes from, for the keys' ip_allow / ip_deny lists. */
  interface ClientIp {
    /**
     * Header a reverse proxy in front of the data plane writes the client address into, e.g. {@code
     * X-Forwarded-For} (comma-separated, each proxy appending the address it saw); {@code none}
     * (the default) uses the TCP peer address and ignores every such header, which is the only safe
     * choice when clients can reach the data plane directly.
     */
    @WithDefault("none")
    String header();

    /**
     * With a header and no {@link #trustedProxies}: how many proxies in front of the data plane
     * append to it; the client is the address that many entries from the right. A header with fewer
     * entries did not come through them all, and the TCP peer address is used instead.
     */
    @WithDefault("1")
    int trustedHops();

    /**
     * With a header: CIDRs of the proxies in front of the data plane. When set, the header is only
     * read if the TCP peer is one of them, and the client is the right-most entry that is not.
     */
    Optional<List<String>> trustedProxies();
  }

  /** Redis, where the limits shared by all replicas live. */
  interface Redis {
    /**
     * {@code redis://[:password@]host:port[/db]} ({@code TOLLGATE_REDIS_URL}); every data plane of
     * one deployment must use the same server and database.
     */
    @WithDefault("redis://127.0.0.1:6379")
    String url();

    /**
     * What a request gets when Redis does not answer in time or is down: {@code open} (admitted
     * without limits, counted in {@code tollgate_ratelimit_redis_unavailable_total}) or {@code
     * closed} (refused with 503 {@code limits_unavailable}).
     */
    @WithDefault("open")
    FailMode failMode();

    /** Longest a request waits for Redis to admit it before the fail mode decides. */
    @WithDefault("50ms")
    Duration timeout();

    /**
     * How long a concurrency lease lives without renewal; leases of a data plane that died expire
     * after this, and live ones are renewed every third of it.
     */
    @WithDefault("30s")
    Duration leaseTtl();

    /** Longest wait before reconnecting after the connection to Redis failed. */
    @WithDefault("1s")
    Duration reconnectInterval();

    /** Most requests admitted by one script call; more wait for the next call. */
    @WithDefault("256")
    int maxBatch();
  }

  /** Behaviour when Redis cannot decide. */
  enum FailMode {
    OPEN,
    CLOSED
  }

  /** Calls to upstream providers. */
  interface Upstream {
    /** TCP (and TLS) connect timeout. */
    @WithDefault("5s")
    Duration connectTimeout();

    /**
     * Time from sending the request to the response headers; a non-streamed completion only starts
     * once the model has finished, hence the generous default.
     */
    @WithDefault("120s")
    Duration firstByteTimeout();

    /** Longest silence between two response chunks once the response has started. */
    @WithDefault("120s")
    Duration idleTimeout();

    /** Pooled connections per upstream host. */
    @WithDefault("512")
    int maxConnectionsPerHost();
  }

  /** The config replica fed by the control plane. */
  interface Replica {
    /** Deadline of one ConfigService.GetSnapshot call. */
    @WithDefault("10s")
    Duration snapshotTimeout();

    /**
     * A Watch stream silent for this long is presumed dead and reopened (the control plane sends a
     * heartbeat at least every 5 s).
     */
    @WithDefault("15s")
    Duration watchSilenceTimeout();

    /** First wait before retrying a failed snapshot or Watch; doubles up to the maximum. */
    @WithDefault("200ms")
    Duration retryMinBackoff();

    /** Longest wait between two attempts to reach the control plane. */
    @WithDefault("5s")
    Duration retryMaxBackoff();
  }
}
