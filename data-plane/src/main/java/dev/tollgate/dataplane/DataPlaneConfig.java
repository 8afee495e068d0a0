package dev.tollgate.dataplane;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
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

  /**
   * Serialised bytes of the error events described per flush interval; the failures beyond are only
   * counted as errors_dropped ({@code TOLLGATE_MAX_ERROR_EVENT_BYTES_PER_FLUSH}).
   */
  @WithDefault("262144")
  int maxErrorEventBytesPerFlush();

  /**
   * Largest serialised flush batch, in bytes ({@code TOLLGATE_FLUSH_MAX_BATCH_BYTES}): what one
   * interval counted is sent as as many batches as it takes, each under this. Keep it well under
   * the control plane's TOLLGATE_GRPC_MAX_INBOUND_BYTES; at least 16384.
   */
  @WithDefault("1048576")
  int flushMaxBatchBytes();

  /**
   * While flushes fail, how often the data plane asks its channel to connect to the control plane
   * again (skipping gRPC's own reconnect backoff): the first flush goes out as soon as the channel
   * is ready, not after a backoff chosen while the control plane was down.
   */
  @WithDefault("500ms")
  Duration flushReconnectInterval();

  /**
   * Largest message accepted from the control plane, in bytes ({@code
   * TOLLGATE_CONTROL_PLANE_MAX_INBOUND_BYTES}); gRPC's default would be 4 MiB.
   */
  @WithDefault("16777216")
  int controlPlaneMaxInboundBytes();

  /** Largest accepted request body; larger ones are refused with 413. */
  @WithDefault("10485760")
  int maxRequestBodyBytes();

  /**
   * SIGTERM: how long the replica keeps serving normally while its readiness reports DOWN, before
   * it refuses new requests and drains ({@code TOLLGATE_SHUTDOWN_DELAY}); the time Kubernetes needs
   * to take it out of the Service's endpoints. Also Quarkus' {@code quarkus.shutdown.delay}.
   */
  @WithDefault("5s")
  Duration shutdownDelay();

  /** The HTTP front door. */
  Http http();

  /** The HTTP front door: what a client may make the gateway wait for. */
  interface Http {
    /**
     * Longest time from the end of a request's headers to the end of its body ({@code
     * TOLLGATE_HTTP_BODY_TIMEOUT}); a slower body is refused with 408 and the connection closed.
     */
    @WithDefault("30s")
    Duration bodyTimeout();
  }

  /** Calls to upstream providers. */
  Upstream upstream();

  /** The config replica fed by the control plane. */
  Replica replica();

  /** Choosing provider keys: failover, cooldowns, circuit breakers, adaptive concurrency. */
  Routing routing();

  /** Which address a request comes from, for the keys' ip_allow / ip_deny lists. */
  ClientIp clientIp();

  /** Redis, where the limits shared by all replicas live. */
  Redis redis();

  /** TLS to the control plane's gRPC; plaintext unless enabled. */
  ControlPlaneTls controlPlaneTls();

  /**
   * TLS to the control plane, matching its TOLLGATE_GRPC_TLS_* settings: then {@code
   * TOLLGATE_CONTROL_PLANE} names its gRPC TLS port, and a host its certificate is issued for.
   */
  interface ControlPlaneTls {
    /** Speak TLS to the control plane ({@code TOLLGATE_CONTROL_PLANE_TLS_ENABLED}). */
    @WithDefault("false")
    boolean enabled();

    /**
     * PEM file of the CA certificates to trust for the control plane's certificate ({@code
     * TOLLGATE_CONTROL_PLANE_TLS_CA}); unset, the JVM's default trust store.
     */
    Optional<Path> ca();

    /**
     * PEM file of this data plane's client certificate chain, for a control plane that requires one
     * ({@code TOLLGATE_CONTROL_PLANE_TLS_CERT}); set together with {@link #key()}.
     */
    Optional<Path> cert();

    /**
     * PEM file of the client certificate's unencrypted PKCS#8 private key ({@code
     * TOLLGATE_CONTROL_PLANE_TLS_KEY}).
     */
    Optional<Path> key();
  }

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
     * Whether {@link #url()} names a Redis Cluster ({@code TOLLGATE_REDIS_CLUSTER}): then the URLs,
     * comma-separated, are seed nodes of the cluster. A URL listing more than one node means a
     * cluster without this flag. Limits keep the same meaning on either; the keys carry hash tags
     * on a cluster ({@code docs/redis-keys.md}).
     */
    @WithDefault("false")
    boolean cluster();

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

    /**
     * After Redis refused or did not take a connection, how long the fail mode decides at once
     * before the next attempt.
     */
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
    /**
     * Deadline of one ConfigService.GetSnapshot stream, begin to end ({@code
     * TOLLGATE_REPLICA_SNAPSHOT_TIMEOUT}). A snapshot that began but has not ended by then is
     * discarded as stuck and loaded again. A million keys take well under a minute.
     */
    @WithDefault("120s")
    Duration snapshotTimeout();

    /**
     * Largest config-stream message this replica accepts, in bytes ({@code
     * TOLLGATE_REPLICA_MAX_INBOUND_MESSAGE_BYTES}). The control plane keeps its chunks near its
     * message budget (1 MiB by default) and the admin API's field bounds keep any one entity well
     * under 1 MiB, so 16 MiB leaves a wide margin; a larger message fails the stream as stuck
     * ({@code message_too_large}) instead of being buffered.
     */
    @WithDefault("16777216")
    int maxInboundMessageBytes();

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

  /** Choosing provider keys: failover, cooldowns, circuit breakers, adaptive concurrency. */
  interface Routing {
    /** Other provider keys tried after a retryable upstream error, per request. */
    @WithDefault("2")
    int maxRetries();

    /** Cooldown after a 429 whose headers say nothing about when to come back. */
    @WithDefault("5s")
    Duration defaultCooldown();

    /** Cooldown after a 429 classified as a concurrency refusal without a retry-after. */
    @WithDefault("1s")
    Duration concurrencyCooldown();

    /** Upper bound of any 429 cooldown, whatever the headers say. */
    @WithDefault("5m")
    Duration maxCooldown();

    /**
     * How long a provider key refused with 401/403 stays out of service, unless the control plane
     * sends a changed copy of it (e.g. a new secret) earlier.
     */
    @WithDefault("10m")
    Duration authFailureCooldown();

    /** The per-provider-key circuit breaker. */
    Circuit circuit();

    /** Learning the concurrency limit of provider keys with max_concurrent 0. */
    Adaptive adaptive();
  }

  /** The per-provider-key circuit breaker (5xx, connect errors and timeouts). */
  interface Circuit {
    /** Most recent tries of a provider key the error rate is computed over. */
    @WithDefault("20")
    int windowSize();

    /** Fewest tries in the window before the circuit may open. */
    @WithDefault("5")
    int minimumSamples();

    /** Error rate, in percent, at or above which the circuit opens. */
    @WithDefault("50")
    int failureRatePercent();

    /** Wait before the first half-open probe; doubles after each failed probe. */
    @WithDefault("5s")
    Duration openDuration();

    /** Longest wait between half-open probes. */
    @WithDefault("5m")
    Duration maxOpenDuration();
  }

  /** Learning the concurrency limit of provider keys with max_concurrent 0. */
  interface Adaptive {
    /**
     * Limit a provider key starts from when neither Redis nor the control plane knows a learned
     * one.
     */
    @WithDefault("10")
    int initialLimit();

    /** Lowest learned limit. */
    @WithDefault("3")
    int minLimit();

    /** Highest learned limit. */
    @WithDefault("200")
    int maxLimit();

    /** Added to the limit under sustained utilisation. */
    @WithDefault("2")
    int increaseStep();

    /** Added to the limit after {@link #probeAfter()} without a 429. */
    @WithDefault("2")
    int probeStep();

    /** Utilisation (in flight / limit) a sample must reach to count as high. */
    @WithDefault("0.7")
    double highUtilisation();

    /** Share of the recent samples that must be high for an increase. */
    @WithDefault("0.6")
    double highSampleShare();

    /** Fewest samples before an increase is considered. */
    @WithDefault("5")
    int minimumSamples();

    /** Samples kept (one per sync interval). */
    @WithDefault("10")
    int sampleWindow();

    /**
     * Further 429s within this long of a decrease do not lower the limit again: one burst of
     * refusals, seen by many requests at once, counts once.
     */
    @WithDefault("1s")
    Duration decreaseDebounce();

    /** No increase within this long of a 429. */
    @WithDefault("5m")
    Duration increaseQuietPeriod();

    /** A probe increase after this long without a 429 (and without a probe). */
    @WithDefault("30m")
    Duration probeAfter();

    /**
     * How often each data plane publishes its in-flight counts and reads the shared limit from
     * Redis; also the utilisation sampling period.
     */
    @WithDefault("1s")
    Duration syncInterval();

    /** Longest wait for one Redis call; past it the data plane carries on with local state. */
    @WithDefault("200ms")
    Duration redisTimeout();
  }
}
