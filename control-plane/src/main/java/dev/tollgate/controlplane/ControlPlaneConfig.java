package dev.tollgate.controlplane;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The control plane's settings. The three secrets have no default outside the test and dev
 * profiles: {@code application.properties} binds them to their environment variables, so a missing
 * one stops the start-up with a message naming the variable.
 */
@ConfigMapping(prefix = "tollgate")
public interface ControlPlaneConfig {

  /** Bearer token operators present on {@code /admin/v1/*} (env TOLLGATE_ADMIN_TOKEN). */
  String adminToken();

  /**
   * Base64 of exactly 32 random bytes: the AES-256-GCM key for provider secrets at rest (env
   * TOLLGATE_ENCRYPTION_KEY).
   */
  String encryptionKey();

  /** Bearer token data planes present on every gRPC call (env TOLLGATE_INTERNAL_TOKEN). */
  String internalToken();

  /**
   * The streaming replica the admin API's read-only endpoints read from when TOLLGATE_DB_READ_URL
   * names one (the datasource "read"); unset, everything reads the primary.
   */
  DbRead dbRead();

  interface DbRead {
    /**
     * Replay lag above which the read-only endpoints read the primary instead, until the replica is
     * back under it (env TOLLGATE_DB_READ_MAX_LAG).
     */
    @WithDefault("10s")
    Duration maxLag();

    /** How often the replica's replay lag is measured (env TOLLGATE_DB_READ_LAG_INTERVAL). */
    @WithDefault("1s")
    Duration lagInterval();
  }

  /** The admin API's key lists. */
  Listing listing();

  interface Listing {
    /**
     * How often one id range of api_key_listing's sort counters is refreshed from api_key (env
     * TOLLGATE_LISTING_REFRESH_INTERVAL).
     */
    @WithDefault("1s")
    Duration refreshInterval();

    /** Keys (an id range) refreshed per interval (env TOLLGATE_LISTING_REFRESH_BATCH). */
    @WithDefault("10000")
    int refreshBatch();
  }

  /** Operator tokens (besides the bootstrap TOLLGATE_ADMIN_TOKEN). */
  Operators operators();

  interface Operators {
    /**
     * How long a looked-up operator token is trusted before it is read again: a revoked token stops
     * working on every replica within this (env TOLLGATE_OPERATORS_CACHE_TTL).
     */
    @WithDefault("1s")
    Duration cacheTtl();
  }

  /** The operators' console at /console: its sign-in sessions. */
  Console console();

  interface Console {
    /**
     * A console session unused this long ends; each use moves its end forward (env
     * TOLLGATE_CONSOLE_SESSION_IDLE_TIMEOUT).
     */
    @WithDefault("30m")
    Duration sessionIdleTimeout();

    /**
     * The longest a console session lasts however much it is used, after which the operator signs
     * in again with a token (env TOLLGATE_CONSOLE_SESSION_MAX_AGE).
     */
    @WithDefault("12h")
    Duration sessionMaxAge();

    /**
     * Whether the session cookie carries the Secure attribute (env TOLLGATE_CONSOLE_SECURE_COOKIE).
     * Unset: when the request came over HTTPS, as the control plane sees it (set true behind a
     * TLS-terminating proxy that does not forward the scheme).
     */
    Optional<Boolean> secureCookie();
  }

  /** How concurrent usage flushes are coalesced into one transaction (FlushCoalescer). */
  FlushCoalesce flushCoalesce();

  interface FlushCoalesce {
    /**
     * Whether batches of different data planes arriving together are applied in one transaction
     * (env TOLLGATE_FLUSH_COALESCE); false applies each batch in its own.
     */
    @WithDefault("true")
    boolean enabled();

    /**
     * How long a round waits after its first batch for others to arrive (env
     * TOLLGATE_FLUSH_COALESCE_WINDOW, 0 to 1s); batches that arrive while a round runs join the
     * next one anyway.
     */
    @WithDefault("10ms")
    Duration window();

    /**
     * Key deltas above which a round takes no more batches (env
     * TOLLGATE_FLUSH_COALESCE_MAX_KEY_DELTAS): bounds a round's transaction and memory.
     */
    @WithDefault("1000000")
    int maxKeyDeltas();

    /**
     * Rounds applied at once, each on its own connection (env TOLLGATE_FLUSH_COALESCE_APPLIERS, 1
     * to 16).
     */
    @WithDefault("2")
    int appliers();
  }

  /** How rpm-status reads the data planes' RPM counters from Redis. */
  RpmStatus rpmStatus();

  /** The Redis the data planes count in (TOLLGATE_REDIS_URL), read by rpm-status. */
  Redis redis();

  interface Redis {
    /**
     * Whether TOLLGATE_REDIS_URL names a Redis Cluster (env TOLLGATE_REDIS_CLUSTER); a URL listing
     * more than one node means a cluster without it. Must match the data planes' setting.
     */
    @WithDefault("false")
    boolean cluster();
  }

  interface RpmStatus {
    /**
     * Longest wait for Redis (TIME and MGET together) before rpm-status answers 503: an unreachable
     * Redis must not hold an operator's request for the client's default timeout.
     */
    @WithDefault("2s")
    Duration redisTimeout();
  }

  /** How config changes reach watching data planes. */
  Watch watch();

  interface Watch {
    /** How often one shared poller per process reads the committed config revision. */
    @WithDefault("200ms")
    Duration pollInterval();

    /**
     * Silence on a Watch stream after which a heartbeat is sent. Checked at every poll, so the gap
     * can exceed it by one poll interval: 4 s keeps the contract's "at least every 5 s".
     */
    @WithDefault("4s")
    Duration heartbeatInterval();

    /**
     * A Watch stream is completed (status OK) after this long and the data plane resumes from its
     * last revision: a backstop bounding any stream whose cancel went unnoticed (see
     * StreamResetInterceptor for why that can happen).
     */
    @WithDefault("10m")
    Duration maxStreamAge();

    /**
     * Budget of one snapshot chunk or change-set part on the config stream, in serialized bytes
     * ({@code TOLLGATE_WATCH_MESSAGE_BUDGET_BYTES}). Far below the data plane's inbound limit; an
     * entity larger than the budget (none the admin API accepts) travels alone.
     */
    @WithDefault("1048576")
    int messageBudgetBytes();

    /**
     * Most entities one Watch change set may carry ({@code TOLLGATE_WATCH_MAX_CHANGE_ENTITIES}); a
     * data plane further behind is told to load a new snapshot, which streams in bounded memory,
     * instead of the control plane holding a huge change set.
     */
    @WithDefault("100000")
    int maxChangeEntities();

    /**
     * Longest a GetSnapshot stream may wait for the data plane to take the next chunk before the
     * control plane gives up on it and frees its database transaction.
     */
    @WithDefault("60s")
    Duration snapshotStallTimeout();
  }

  /** Provider keys' health as the data planes report it in their usage flushes. */
  ProviderHealth providerHealth();

  interface ProviderHealth {
    /**
     * A data plane's report of a provider key counts for this long after the data plane observed it
     * (env TOLLGATE_PROVIDER_HEALTH_MAX_AGE). Data planes repeat an unhealthy key's report at least
     * every 30 s and once more when it recovers, so this must stay well above 30 s and their flush
     * interval; older reports are those of data planes that went away.
     */
    @WithDefault("2m")
    Duration maxAge();
  }

  /** How long each tier of usage and the error events are kept (UsageRetentionJob). */
  Retention retention();

  interface Retention {
    /**
     * Minute buckets (env TOLLGATE_RETENTION_MINUTE_BUCKETS). At least 25h: the 24-hour window
     * reads minutes at its start.
     */
    @WithDefault("48h")
    Duration minuteBuckets();

    /**
     * Hour buckets, per key and per scope, and the per-key failure hours the attention list reads
     * (env TOLLGATE_RETENTION_HOUR_BUCKETS). At least 8d: the attention list reads up to 7 days.
     */
    @WithDefault("90d")
    Duration hourBuckets();

    /** Day buckets (env TOLLGATE_RETENTION_DAY_BUCKETS); unset keeps them forever. */
    Optional<Duration> dayBuckets();

    /** Error events (env TOLLGATE_RETENTION_ERROR_EVENTS). */
    @WithDefault("7d")
    Duration errorEvents();

    /**
     * How long flush dead letters are kept (env TOLLGATE_RETENTION_FLUSH_DEAD_LETTERS): long enough
     * for an operator to look at what a data plane sent that could not be applied.
     */
    @WithDefault("30d")
    Duration flushDeadLetters();

    /** How often one replica deletes what is older (env TOLLGATE_RETENTION_INTERVAL). */
    @WithDefault("10m")
    Duration interval();

    /**
     * Rows deleted per statement, each in its own short transaction (env
     * TOLLGATE_RETENTION_BATCH_SIZE).
     */
    @WithDefault("5000")
    int batchSize();
  }

  /**
   * TLS between the planes. Off by default: gRPC shares the HTTP port in plaintext, for local runs.
   * On, gRPC moves to its own port, served only over TLS (see GrpcTlsCustomizer for why a port of
   * its own), while the HTTP port keeps the admin API, probes and metrics.
   */
  GrpcTls grpcTls();

  interface GrpcTls {
    /**
     * Serve gRPC over TLS on {@link #port()} instead of in plaintext on the HTTP port (env
     * TOLLGATE_GRPC_TLS_ENABLED). Needs {@link #cert()} and {@link #key()}.
     */
    @WithDefault("false")
    boolean enabled();

    /** The gRPC TLS port (env TOLLGATE_GRPC_TLS_PORT); used only when enabled. */
    @WithDefault("9443")
    int port();

    /**
     * PEM file of the server certificate, then any intermediates (env TOLLGATE_GRPC_TLS_CERT), for
     * the name the data planes dial (TOLLGATE_CONTROL_PLANE's host).
     */
    Optional<Path> cert();

    /**
     * PEM file of the certificate's private key, unencrypted PKCS#8 (env TOLLGATE_GRPC_TLS_KEY).
     */
    Optional<Path> key();

    /**
     * PEM file of the CA certificates that sign data planes' client certificates (env
     * TOLLGATE_GRPC_TLS_CLIENT_CA). Set, a data plane without a certificate they signed is refused
     * during the handshake (mutual TLS); unset, any client may connect and the internal token alone
     * authenticates it.
     */
    Optional<Path> clientCa();
  }
}
