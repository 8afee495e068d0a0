package dev.tollgate.bench.admin;

import dev.tollgate.controlplane.groups.SecretCipher;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.flywaydb.core.Flyway;

/**
 * Fills a PostgreSQL database the way a large Tollgate installation looks, for the admin API
 * benchmark: users, provider groups with provider keys (fixed and adaptive), client keys with
 * realistic statuses, limits, counters and created/last-used spread, key-group bindings, (user,
 * group) overrides, adaptive-concurrency history, minute usage buckets for the last 48 hours, a
 * month of usage in every coarser usage tier the schema has (any {@code usage_*} table with a
 * {@code bucket_start} column: hourly, daily, …, discovered at run time), and error events for the
 * last 7 days.
 *
 * <p>The database is dropped and created afresh, migrated with the control plane's own Flyway
 * migrations (from its jar), and filled with {@code COPY}; plain indexes of the big tables are
 * dropped while they fill and rebuilt afterwards (a build is much cheaper than a million index
 * inserts). Everything is deterministic for a given {@code --seed}. The finished database carries a
 * comment naming the parameters, which {@code --check} compares (with Flyway's pending migrations)
 * to decide whether a seeded database can be reused.
 *
 * <p>Deterministic ids: the tables are filled in id order on a fresh database, so identity columns
 * number the rows 1..n; the seeder checks that after each table and relies on it for references.
 */
public final class AdminSeed {

  static final String MARKER = "tollgate-admin-seed v1";

  /**
   * Flyway's per-migration INFO lines would drown the seeder's own progress. Held in a field: JUL
   * keeps loggers weakly, and a collected one forgets its level.
   */
  private static final java.util.logging.Logger FLYWAY_LOG =
      java.util.logging.Logger.getLogger("org.flywaydb");

  /** The key the benchmark uses for per-key endpoints: it is in every minute bucket. */
  static final int HOT_KEYS = 20;

  static final List<String> MODELS =
      List.of(
          "gpt-4o-mini",
          "gpt-4o",
          "gpt-4.1",
          "gpt-4.1-mini",
          "o3-mini",
          "claude-sonnet-4",
          "claude-haiku-4",
          "text-embedding-3-small");
  private static final String[] KEY_WORDS = {
    "prod", "staging", "ci", "batch", "mobile", "web", "etl", "research", "support", "search"
  };
  private static final String[] KEY_STATUSES = {
    "active", "disabled", "expired", "quota_exhausted", "revoked"
  };
  private static final int[] KEY_STATUS_WEIGHTS = {80, 7, 5, 4, 4};
  private static final int[] ERROR_CODES = {429, 500, 502, 503, 504, 400, 401};
  private static final int[] ERROR_CODE_WEIGHTS = {40, 15, 15, 10, 10, 5, 5};
  private static final String[] ERROR_CLASSES = {
    "rate_limited",
    "upstream_error",
    "bad_gateway",
    "unavailable",
    "timeout",
    "bad_request",
    "upstream_auth"
  };
  private static final String BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  private final Options options;
  private final Instant now = Instant.now().truncatedTo(ChronoUnit.MINUTES);

  private AdminSeed(Options options) {
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    FLYWAY_LOG.setLevel(java.util.logging.Level.WARNING);
    Options options = Options.parse(args);
    AdminSeed seed = new AdminSeed(options);
    if (options.check) {
      String reason = seed.reuseRefusal();
      if (reason != null) {
        System.out.println("admin-seed: " + options.database() + " needs seeding: " + reason);
        System.exit(1);
      }
      System.out.println("admin-seed: " + options.database() + " is seeded with these parameters");
      return;
    }
    seed.run();
  }

  /**
   * Null when the database exists, was seeded with these parameters, and has no pending migration.
   */
  String reuseRefusal() throws SQLException {
    try (Connection c = maintenance();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = ?")) {
      s.setString(1, options.database());
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          return "it does not exist";
        }
        String comment = r.getString(1);
        if (comment == null || !comment.startsWith(marker() + " seeded_at=")) {
          return "it was seeded with other parameters or not completely (" + comment + ")";
        }
        // Usage and errors are placed relative to the seeding time: an old seed has empty recent
        // windows, which would flatter the windows endpoints.
        Instant seededAt = Instant.parse(comment.substring(comment.lastIndexOf('=') + 1));
        if (seededAt.isBefore(Instant.now().minus(Duration.ofHours(options.maxAgeHours)))) {
          return "it was seeded at " + seededAt + ", more than " + options.maxAgeHours + " h ago";
        }
      }
    }
    int pending = flyway().info().pending().length;
    if (pending > 0) {
      return pending + " migration(s) of the control plane are newer than its seed";
    }
    return null;
  }

  private String marker() {
    return MARKER + " " + options.describe();
  }

  private void run() throws Exception {
    long started = System.nanoTime();
    log("seeding %s: %s", options.database(), options.describe());
    recreateDatabase();
    flyway().migrate();
    try (Connection c = connect()) {
      try (Statement s = c.createStatement()) {
        s.execute("SET synchronous_commit = off");
        s.execute("SET maintenance_work_mem = '512MB'");
      }
      users(c);
      groups(c);
      providerKeys(c);
      // The listing side table (V3) is filled by triggers on api_key: its indexes wait too.
      withoutPlainIndexes(c, List.of("api_key", "api_key_group", "api_key_listing"), () -> keys(c));
      overrides(c);
      adjustments(c);
      withoutPlainIndexes(c, List.of("usage_minute"), () -> minuteUsage(c));
      tiers(c);
      withoutPlainIndexes(c, List.of("error_event"), () -> errors(c));
      try (Statement s = c.createStatement()) {
        s.execute("UPDATE config_state SET revision = 1");
        long t = System.nanoTime();
        s.execute("VACUUM (ANALYZE)");
        log("vacuum analyze: %d ms", (System.nanoTime() - t) / 1_000_000);
        s.execute(
            "COMMENT ON DATABASE "
                + options.database()
                + " IS '"
                + marker().replace("'", "''")
                + " seeded_at="
                + now
                + "'");
      }
    }
    log("seeded %s in %d s", options.database(), (System.nanoTime() - started) / 1_000_000_000);
  }

  private void recreateDatabase() throws SQLException {
    try (Connection c = maintenance();
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + options.database() + " WITH (FORCE)");
      s.execute("CREATE DATABASE " + options.database());
    }
  }

  private Flyway flyway() {
    return Flyway.configure()
        .dataSource(options.dbUrl, options.user, options.password)
        .locations("classpath:db/migration")
        .load();
  }

  private void users(Connection c) throws Exception {
    var rnd = new SplittableRandom(options.seed);
    try (var w =
        new CopyWriter(
            c,
            "app_user",
            "name, status, rpm_limit, concurrency_limit, created_at, updated_at,"
                + " config_revision")) {
      for (int i = 1; i <= options.users; i++) {
        Instant created = now.minus(Duration.ofMinutes(rnd.nextLong(2 * 365 * 24 * 60)));
        w.add("user-" + i)
            .add(rnd.nextInt(100) < 97 ? "active" : "disabled")
            .add(rnd.nextBoolean() ? 0 : 600 * (1 + rnd.nextInt(100)))
            .add(rnd.nextInt(100) < 70 ? 0 : 1 + rnd.nextInt(64))
            .add(created)
            .add(created)
            .add(1);
        w.end();
      }
      w.close();
      finished(c, "app_user", w.rows());
    }
  }

  private void groups(Connection c) throws Exception {
    var rnd = new SplittableRandom(options.seed + 1);
    try (var w =
        new CopyWriter(
            c,
            "provider_group",
            "name, platform, models, status, rpm_limit, requests, success_requests,"
                + " failure_requests, prompt_tokens, completion_tokens, total_tokens,"
                + " rate_limited_requests, latency_ms_sum, upstream_429_rpm,"
                + " upstream_429_concurrency, upstream_429_unknown, created_at, updated_at,"
                + " config_revision")) {
      for (int g = 1; g <= options.groups; g++) {
        long requests = 1_000_000L + rnd.nextLong(100_000_000L);
        long failures = requests * (1 + rnd.nextInt(5)) / 100;
        long prompt = requests * (200 + rnd.nextInt(600));
        long completion = requests * (50 + rnd.nextInt(300));
        Instant created = now.minus(Duration.ofDays(30 + rnd.nextInt(700)));
        w.add("group-" + g)
            .add(MODELS.get(modelOf(g)).startsWith("claude") ? "anthropic" : "openai")
            .addArray(List.of(MODELS.get(modelOf(g)), MODELS.get(modelOf(g + 1))))
            .add(rnd.nextInt(100) < 95 ? "active" : "disabled")
            .add(rnd.nextBoolean() ? 0 : 1000 * (1 + rnd.nextInt(100)))
            .add(requests)
            .add(requests - failures)
            .add(failures)
            .add(prompt)
            .add(completion)
            .add(prompt + completion)
            .add(failures / 3)
            .add(requests * (300 + rnd.nextInt(1500)))
            .add(failures / 6)
            .add(failures / 8)
            .add(failures / 20)
            .add(created)
            .add(created)
            .add(1);
        w.end();
      }
      w.close();
      finished(c, "provider_group", w.rows());
    }
  }

  private void providerKeys(Connection c) throws Exception {
    var rnd = new SplittableRandom(options.seed + 2);
    var cipher = new SecretCipher(options.encryptionKey);
    try (var w =
        new CopyWriter(
            c,
            "provider_key",
            "group_id, base_url, secret_ciphertext, secret_hint, priority, weight, status,"
                + " max_concurrent, learned_max_concurrent, requests, success_requests,"
                + " failure_requests, prompt_tokens, completion_tokens, total_tokens,"
                + " rate_limited_requests, latency_ms_sum, upstream_429_rpm,"
                + " upstream_429_concurrency, upstream_429_unknown, last_429_at, last_429_kind,"
                + " last_used_at, created_at, updated_at, config_revision")) {
      for (int g = 1; g <= options.groups; g++) {
        for (int k = 0; k < options.providerKeysPerGroup; k++) {
          String secret = "sk-bench-" + g + "-" + k + "-" + Long.toHexString(rnd.nextLong());
          boolean adaptive = isAdaptive(g, k);
          long requests = 100_000L + rnd.nextLong(20_000_000L);
          long failures = requests * (1 + rnd.nextInt(5)) / 100;
          long prompt = requests * (200 + rnd.nextInt(600));
          long completion = requests * (50 + rnd.nextInt(300));
          long rpm429 = failures / (4 + rnd.nextInt(4));
          long conc429 = adaptive ? failures / (6 + rnd.nextInt(6)) : failures / 40;
          long unknown429 = failures / 30;
          boolean had429 = rnd.nextInt(100) < 80;
          Instant created = now.minus(Duration.ofDays(10 + rnd.nextInt(300)));
          w.add(g)
              .add("https://api.openai.com/v1")
              .addBytes(cipher.encrypt(secret))
              .add(secret.substring(secret.length() - 4))
              .add(k < 2 ? 0 : 1)
              .add(1 + rnd.nextInt(10));
          w.add(rnd.nextInt(100) < 93 ? "active" : "disabled");
          if (adaptive) {
            w.addNull().add(4 + rnd.nextInt(60));
          } else {
            w.add(10 * (1 + rnd.nextInt(20))).addNull();
          }
          w.add(requests)
              .add(requests - failures)
              .add(failures)
              .add(prompt)
              .add(completion)
              .add(prompt + completion)
              .add(rpm429 + conc429 + unknown429)
              .add(requests * (300 + rnd.nextInt(1500)))
              .add(rpm429)
              .add(conc429)
              .add(unknown429);
          if (had429) {
            w.add(now.minus(Duration.ofSeconds(rnd.nextInt(86_400))))
                .add(new String[] {"rpm", "concurrency", "unknown"}[rnd.nextInt(3)]);
          } else {
            w.addNull().addNull();
          }
          w.add(now.minus(Duration.ofSeconds(rnd.nextInt(600)))).add(created).add(created).add(1);
          w.end();
        }
      }
      w.close();
      finished(c, "provider_key", w.rows());
    }
  }

  /** Half the provider keys learn their limit (max_concurrent NULL). */
  static boolean isAdaptive(int group, int indexInGroup) {
    return (group + indexInGroup) % 2 == 0;
  }

  private void keys(Connection c) throws Exception {
    var rnd = new SplittableRandom(options.seed + 3);
    MessageDigest sha256 = sha256();
    HexFormat hex = HexFormat.of();
    try (var w =
        new CopyWriter(
            c,
            "api_key",
            "user_id, name, prefix, token_hash, status, expires_at, quota_limit, quota_used,"
                + " rpm_limit, concurrency_limit, allowed_models, requests, success_requests,"
                + " failure_requests, prompt_tokens, completion_tokens, total_tokens,"
                + " rate_limited_requests, estimated_requests, last_accessed_at, created_at,"
                + " updated_at, config_revision")) {
      // One COPY at a time per connection: the second bindings are remembered and written after.
      var twoGroups = new java.util.BitSet();
      for (long id = 1; id <= options.keys; id++) {
        // A tenth of the keys belong to the first 1 % of users: a few users own many keys.
        long user =
            rnd.nextInt(10) == 0
                ? 1 + rnd.nextInt(Math.max(1, options.users / 100))
                : 1 + rnd.nextInt(options.users);
        String status = id <= HOT_KEYS ? "active" : KEY_STATUSES[weighted(rnd, KEY_STATUS_WEIGHTS)];
        byte[] digest =
            sha256.digest(("tg-bench-" + options.seed + "-" + id).getBytes(StandardCharsets.UTF_8));
        var prefix = new StringBuilder("tg-");
        for (int i = 0; i < 8; i++) {
          prefix.append(BASE62.charAt((digest[i] & 0xff) % BASE62.length()));
        }
        Instant created = now.minus(Duration.ofMinutes(1 + rnd.nextLong(730L * 24 * 60)));
        boolean used = id <= HOT_KEYS || rnd.nextInt(100) < 70;
        long requests = 0;
        if (used) {
          requests = (long) Math.exp(rnd.nextDouble() * 13);
          if (id <= HOT_KEYS) {
            requests += 10_000_000L;
          }
        }
        long failures = requests * rnd.nextInt(8) / 100;
        long prompt = requests * (100 + rnd.nextInt(900));
        long completion = requests * (20 + rnd.nextInt(400));
        long quotaLimit = rnd.nextBoolean() ? -1 : 1_000_000L * (1 + rnd.nextInt(500));
        long quotaUsed =
            status.equals("quota_exhausted") && quotaLimit > 0
                ? quotaLimit
                : Math.min(prompt + completion, quotaLimit < 0 ? Long.MAX_VALUE : quotaLimit);
        Instant expires =
            switch (status) {
              case "expired" -> now.minus(Duration.ofDays(1 + rnd.nextInt(200)));
              default ->
                  rnd.nextInt(100) < 20 ? now.plus(Duration.ofDays(1 + rnd.nextInt(365))) : null;
            };
        Instant lastUsed = null;
        if (used) {
          long sinceCreated = Duration.between(created, now).toSeconds();
          // Recent use is likelier: the square pulls the offset towards now.
          double r = rnd.nextDouble();
          lastUsed = now.minusSeconds((long) (r * r * Math.min(sinceCreated, 30L * 86_400)));
        }
        w.add(user)
            .add(KEY_WORDS[rnd.nextInt(KEY_WORDS.length)] + "-" + id)
            .add(prefix.toString())
            .add(hex.formatHex(digest))
            .add(status)
            .add(expires)
            .add(quotaLimit)
            .add(quotaUsed)
            .add(rnd.nextInt(100) < 60 ? 0 : 60 * (1 + rnd.nextInt(100)))
            .add(rnd.nextInt(100) < 70 ? 0 : 1 + rnd.nextInt(50));
        w.addArray(rnd.nextInt(100) < 80 ? List.of() : List.of(MODELS.get(modelOf(id))))
            .add(requests)
            .add(requests - failures)
            .add(failures)
            .add(prompt)
            .add(completion)
            .add(prompt + completion)
            .add(failures / 4)
            .add(requests / 50)
            .add(lastUsed)
            .add(created)
            .add(created)
            .add(1);
        w.end();
        if (rnd.nextInt(100) < 30) {
          twoGroups.set((int) id);
        }
      }
      w.close();
      finished(c, "api_key", w.rows());
      try (var bindings = new CopyWriter(c, "api_key_group", "key_id, group_id")) {
        for (long id = 1; id <= options.keys; id++) {
          long group = groupOf(id);
          bindings.add(id).add(group);
          bindings.end();
          long second = 1 + (group % options.groups);
          if (twoGroups.get((int) id) && second != group) {
            bindings.add(id).add(second);
            bindings.end();
          }
        }
        bindings.close();
        log("api_key_group: %,d rows", bindings.rows());
      }
    }
  }

  /** The first group a key is bound to; its usage and errors go through that group's keys. */
  long groupOf(long keyId) {
    return 1 + Math.floorMod(keyId * 2_654_435_761L, options.groups);
  }

  static int modelOf(long id) {
    return (int) Math.floorMod(id * 40_503L, MODELS.size());
  }

  private long providerKeyOf(long keyId, long salt) {
    long group = groupOf(keyId);
    return (group - 1) * options.providerKeysPerGroup
        + 1
        + Math.floorMod(keyId + salt, options.providerKeysPerGroup);
  }

  private void overrides(Connection c) throws Exception {
    var rnd = new SplittableRandom(options.seed + 4);
    try (var w =
        new CopyWriter(c, "user_group_limit", "user_id, group_id, rpm_override, config_revision")) {
      for (long u = 1; u <= options.users; u += 5) {
        w.add(u).add(1 + u % options.groups);
        switch (rnd.nextInt(3)) {
          case 0 -> w.addNull();
          case 1 -> w.add(0);
          default -> w.add(100 * (1 + rnd.nextInt(100)));
        }
        w.add(1);
        w.end();
      }
      w.close();
      log("user_group_limit: %,d rows", w.rows());
    }
  }

  private void adjustments(Connection c) throws Exception {
    var rnd = new SplittableRandom(options.seed + 5);
    String[] reasons = {"concurrency_429", "unknown_429", "increase", "increase", "probe", "reset"};
    try (var w =
        new CopyWriter(
            c,
            "concurrency_adjustment",
            "provider_key_id, adjusted_at, old_limit, new_limit, reason, utilisation,"
                + " dp_instance_id")) {
      // In time order across all keys, as the flush writes them.
      int perKey = 100;
      long pk = 0;
      List<Long> adaptive = new ArrayList<>();
      for (int g = 1; g <= options.groups; g++) {
        for (int k = 0; k < options.providerKeysPerGroup; k++) {
          pk++;
          if (isAdaptive(g, k)) {
            adaptive.add(pk);
          }
        }
      }
      long total = (long) perKey * adaptive.size();
      long span = Duration.ofDays(30).toSeconds();
      for (long i = 0; i < total; i++) {
        long key = adaptive.get(rnd.nextInt(adaptive.size()));
        String reason = reasons[rnd.nextInt(reasons.length)];
        int old = 4 + rnd.nextInt(60);
        int next =
            switch (reason) {
              case "increase", "probe" -> old + 1;
              case "reset" -> 8;
              default -> Math.max(1, old / 2);
            };
        w.add(key)
            .add(now.minusSeconds(span - span * i / total))
            .add(old)
            .add(next)
            .add(reason)
            .add(Math.round(rnd.nextDouble() * 100) / 100.0)
            .add("dp-" + rnd.nextInt(4));
        w.end();
      }
      w.close();
      log("concurrency_adjustment: %,d rows", w.rows());
    }
  }

  private void minuteUsage(Connection c) throws Exception {
    var rnd = new SplittableRandom(options.seed + 6);
    int perMinute = options.minuteRows();
    try (var w =
        new CopyWriter(
            c,
            "usage_minute",
            "bucket_start, key_id, provider_key_id, model, requests, success_requests,"
                + " failure_requests, prompt_tokens, completion_tokens, total_tokens,"
                + " latency_ms_sum, rate_limited_requests, estimated_requests")) {
      for (int m = 48 * 60 - 1; m >= 0; m--) {
        Instant bucket = now.minus(Duration.ofMinutes(m));
        writeUsageRows(w, rnd, bucket, perMinute, m, 1);
      }
      w.close();
      log("usage_minute: %,d rows (%d per minute)", w.rows(), perMinute);
    }
  }

  /**
   * {@code rows} usage rows of one bucket: the hot keys first, then distinct other keys (a stride
   * prime to the key count never repeats within a bucket), so the primary key is never violated.
   */
  private void writeUsageRows(
      CopyWriter w, SplittableRandom rnd, Instant bucket, int rows, long salt, int scale) {
    int hot = (int) Math.min(HOT_KEYS, options.keys);
    long others = options.keys - hot;
    long start = rnd.nextLong(Math.max(1, others));
    long stride = others % 7919 == 0 ? 7907 : 7919;
    for (int j = 0; j < rows && j < options.keys; j++) {
      long key = j < hot ? j + 1 : hot + 1 + Math.floorMod(start + (long) j * stride, others);
      long requests = (j < hot ? 50 + rnd.nextInt(200) : 1 + rnd.nextInt(40)) * (long) scale;
      long failures = requests * rnd.nextInt(6) / 100;
      long prompt = requests * (100 + rnd.nextInt(900));
      long completion = requests * (20 + rnd.nextInt(400));
      w.add(bucket)
          .add(key)
          .add(rnd.nextInt(100) < 2 ? 0 : providerKeyOf(key, salt))
          .add(MODELS.get(modelOf(key)))
          .add(requests)
          .add(requests - failures)
          .add(failures)
          .add(prompt)
          .add(completion)
          .add(prompt + completion)
          .add(requests * (200 + rnd.nextInt(1800)))
          .add(failures / 3)
          .add(requests / 50);
      w.end();
    }
  }

  /**
   * Fills every coarser usage tier with a month of data: a month of hourly rows is generated once
   * into a scratch table shaped like usage_minute, then aggregated into each tier at its own
   * granularity (from its name), mapping the tier's columns by name. A tier column the scratch rows
   * cannot give (user_id and group_id are derived from the key and provider key) stops the seeding
   * with its name, so a schema change is never silently benchmarked on empty tables.
   */
  private void tiers(Connection c) throws Exception {
    Map<String, String> tiers = new LinkedHashMap<>();
    try (Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public'"
                    + " AND column_name = 'bucket_start' AND table_name LIKE 'usage\\_%'"
                    + " AND table_name <> 'usage_minute'"
                    + " AND table_name NOT LIKE 'usage\\_scope\\_%' ORDER BY table_name")) {
      while (r.next()) {
        String table = r.getString(1);
        String unit = unitOf(table);
        if (unit == null) {
          throw new IllegalStateException(
              "usage tier "
                  + table
                  + ": cannot tell its bucket size from its name (minute, hour, day, week, month)");
        }
        tiers.put(table, unit);
      }
    }
    if (tiers.isEmpty()) {
      log("no coarser usage tiers in this schema");
      return;
    }
    try (Statement s = c.createStatement()) {
      s.execute("CREATE UNLOGGED TABLE seed_usage_hour (LIKE usage_minute INCLUDING DEFAULTS)");
    }
    var rnd = new SplittableRandom(options.seed + 7);
    int perHour = options.hourRows();
    try (var w =
        new CopyWriter(
            c,
            "seed_usage_hour",
            "bucket_start, key_id, provider_key_id, model, requests, success_requests,"
                + " failure_requests, prompt_tokens, completion_tokens, total_tokens,"
                + " latency_ms_sum, rate_limited_requests, estimated_requests")) {
      Instant hour = now.truncatedTo(ChronoUnit.HOURS);
      for (int h = 31 * 24 - 1; h >= 0; h--) {
        writeUsageRows(w, rnd, hour.minus(Duration.ofHours(h)), perHour, h, 20);
      }
      w.close();
      log("month of hourly usage to roll up: %,d rows (%d per hour)", w.rows(), perHour);
    }
    for (var tier : tiers.entrySet()) {
      rollUp(c, tier.getKey(), tier.getValue());
    }
    scopeRollUp(c, "usage_scope_minute", "usage_minute", "minute");
    scopeRollUp(c, "usage_scope_hour", "seed_usage_hour", "hour");
    scopeRollUp(c, "usage_scope_day", "seed_usage_hour", "day");
    try (Statement s = c.createStatement()) {
      s.execute("DROP TABLE seed_usage_hour");
    }
  }

  /**
   * Fills a per-scope usage tier (whole installation, user, group, provider key, model; see V4)
   * from {@code source} the way the flush does: one aggregate over grouping sets.
   */
  private void scopeRollUp(Connection c, String table, String source, String unit)
      throws Exception {
    String counters =
        "requests, success_requests, failure_requests, rate_limited_requests,"
            + " estimated_requests, prompt_tokens, completion_tokens, total_tokens, latency_ms_sum";
    StringBuilder sums = new StringBuilder();
    for (String counter : counters.split(",\\s*")) {
      sums.append(", sum(u.").append(counter).append(")");
    }
    String sql =
        "INSERT INTO "
            + table
            + " (scope, subject, bucket_start, "
            + counters
            + ") SELECT CASE WHEN GROUPING(k.user_id) = 0 THEN 'user'"
            + " WHEN GROUPING(p.group_id) = 0 THEN 'group'"
            + " WHEN GROUPING(u.provider_key_id) = 0 THEN 'provider_key'"
            + " WHEN GROUPING(u.model) = 0 THEN 'model' ELSE 'all' END,"
            + " CASE WHEN GROUPING(k.user_id) = 0 THEN k.user_id::text"
            + " WHEN GROUPING(p.group_id) = 0 THEN p.group_id::text"
            + " WHEN GROUPING(u.provider_key_id) = 0 THEN u.provider_key_id::text"
            + " WHEN GROUPING(u.model) = 0 THEN u.model ELSE '' END,"
            + " date_trunc('"
            + unit
            + "', u.bucket_start)"
            + sums
            + " FROM "
            + source
            + " u JOIN api_key k ON k.id = u.key_id"
            + " LEFT JOIN provider_key p ON p.id = u.provider_key_id"
            + " GROUP BY date_trunc('"
            + unit
            + "', u.bucket_start),"
            + " GROUPING SETS ((), (k.user_id), (p.group_id), (u.provider_key_id), (u.model))"
            + " HAVING (GROUPING(p.group_id) = 1 OR p.group_id IS NOT NULL)"
            + " AND (GROUPING(u.provider_key_id) = 1 OR u.provider_key_id <> 0)";
    long[] rows = new long[1];
    withoutPlainIndexes(
        c,
        List.of(table),
        () -> {
          try (Statement s = c.createStatement()) {
            rows[0] = s.executeUpdate(sql);
          }
        });
    log("%s (per scope and %s): %,d rows", table, unit, rows[0]);
  }

  static String unitOf(String table) {
    String t = table.toLowerCase(Locale.ROOT);
    if (t.contains("minute")) {
      return "minute";
    }
    if (t.contains("hour")) {
      return "hour";
    }
    if (t.contains("day") || t.contains("daily")) {
      return "day";
    }
    if (t.contains("week")) {
      return "week";
    }
    if (t.contains("month")) {
      return "month";
    }
    return null;
  }

  private static final List<String> SCRATCH_COUNTERS =
      List.of(
          "requests",
          "success_requests",
          "failure_requests",
          "prompt_tokens",
          "completion_tokens",
          "total_tokens",
          "latency_ms_sum",
          "rate_limited_requests",
          "estimated_requests");

  /**
   * Fills one tier from usage_minute (a minute tier) or the month of hourly rows. Columns map by
   * name: bucket_start is truncated to the tier's unit, key_id / provider_key_id / model are kept,
   * user_id and group_id come from the key and provider key, counters are summed; a tier of
   * failures keeps only the buckets with some, as the flush writes it. The per-scope tiers have
   * their own roll-up ({@link #scopeRollUp}).
   */
  private void rollUp(Connection c, String table, String unit) throws Exception {
    String source = unit.equals("minute") ? "usage_minute" : "seed_usage_hour";
    String bucket = "date_trunc('" + unit + "', u.bucket_start)";
    List<String> columns = new ArrayList<>();
    List<String> select = new ArrayList<>();
    List<String> groupBy = new ArrayList<>();
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT column_name, is_nullable = 'YES' OR column_default IS NOT NULL"
                + " OR is_identity = 'YES' FROM information_schema.columns"
                + " WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position")) {
      s.setString(1, table);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          String column = r.getString(1);
          boolean optional = r.getBoolean(2);
          String expression;
          boolean dimension = true;
          switch (column) {
            case "bucket_start" -> expression = bucket;
            case "key_id", "provider_key_id", "model" -> expression = "u." + column;
            case "user_id" -> expression = "k.user_id";
            case "group_id" -> expression = "coalesce(p.group_id, 0)";
            default -> {
              if (SCRATCH_COUNTERS.contains(column)) {
                expression = "sum(u." + column + ")";
                dimension = false;
              } else if (optional) {
                continue;
              } else {
                throw new IllegalStateException(
                    "usage tier "
                        + table
                        + " has a required column the seeder cannot fill: "
                        + column);
              }
            }
          }
          columns.add(column);
          select.add(expression);
          if (dimension) {
            groupBy.add(expression);
          }
        }
      }
    }
    String from =
        " FROM "
            + source
            + " u JOIN api_key k ON k.id = u.key_id"
            + " LEFT JOIN provider_key p ON p.id = u.provider_key_id";
    String having = table.contains("failure") ? " HAVING sum(u.failure_requests) > 0" : "";
    String sql =
        "INSERT INTO "
            + table
            + " ("
            + String.join(", ", columns)
            + ") SELECT "
            + String.join(", ", select)
            + from
            + " GROUP BY "
            + String.join(", ", groupBy)
            + having;
    long[] rows = new long[1];
    withoutPlainIndexes(
        c,
        List.of(table),
        () -> {
          try (Statement s = c.createStatement()) {
            rows[0] = s.executeUpdate(sql);
          }
        });
    log("%s (per %s, from %s): %,d rows", table, unit, source, rows[0]);
  }

  private void errors(Connection c) throws Exception {
    var rnd = new SplittableRandom(options.seed + 8);
    long total = options.errors();
    long span = Duration.ofDays(7).toMillis();
    Instant from = now.minus(Duration.ofDays(7));
    try (var w =
        new CopyWriter(
            c,
            "error_event",
            "occurred_at, key_id, provider_key_id, model, status_code, error_class, message,"
                + " latency_ms, request_id, dp_instance_id")) {
      for (long i = 0; i < total; i++) {
        long key;
        int pick = rnd.nextInt(100);
        if (pick < 30) {
          key = 1 + rnd.nextInt((int) Math.min(HOT_KEYS, options.keys));
        } else {
          // Skewed towards low ids: a few keys fail a lot, most rarely.
          double r = rnd.nextDouble();
          key = 1 + (long) (options.keys * r * r * r);
        }
        int kind = weighted(rnd, ERROR_CODE_WEIGHTS);
        int status = ERROR_CODES[kind];
        w.add(from.plusMillis(span * i / total + rnd.nextInt(1000))).add(key);
        if (status == 401 || rnd.nextInt(100) < 5) {
          w.addNull();
        } else {
          w.add(providerKeyOf(key, i));
        }
        w.add(MODELS.get(modelOf(key)))
            .add(status)
            .add(ERROR_CLASSES[kind])
            .add("upstream answered " + status + " for request " + i)
            .add(status == 504 ? 60_000 : 20 + rnd.nextInt(3000))
            .add("req-" + Long.toHexString(rnd.nextLong()))
            .add("dp-" + rnd.nextInt(4));
        w.end();
      }
      w.close();
      log("error_event: %,d rows over 7 days", w.rows());
    }
  }

  static int weighted(SplittableRandom rnd, int[] weights) {
    int sum = 0;
    for (int weight : weights) {
      sum += weight;
    }
    int pick = rnd.nextInt(sum);
    for (int i = 0; i < weights.length; i++) {
      pick -= weights[i];
      if (pick < 0) {
        return i;
      }
    }
    return weights.length - 1;
  }

  /**
   * Drops the plain (non-constraint) indexes of the tables (those that exist), runs the fill,
   * rebuilds them.
   */
  private void withoutPlainIndexes(Connection c, List<String> tables, Fill fill) throws Exception {
    List<String[]> indexes = new ArrayList<>();
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                + " WHERE i.indrelid = to_regclass(?) AND NOT EXISTS"
                + " (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)")) {
      for (String table : tables) {
        s.setString(1, table);
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            indexes.add(new String[] {r.getString(1), r.getString(2)});
          }
        }
      }
    }
    try (Statement s = c.createStatement()) {
      for (String[] index : indexes) {
        s.execute("DROP INDEX " + index[0]);
      }
    }
    long t = System.nanoTime();
    fill.run();
    long filled = System.nanoTime();
    try (Statement s = c.createStatement()) {
      for (String[] index : indexes) {
        s.execute(index[1]);
      }
    }
    log(
        "%s: filled in %d ms, %d index(es) rebuilt in %d ms",
        String.join(", ", tables),
        (filled - t) / 1_000_000,
        indexes.size(),
        (System.nanoTime() - filled) / 1_000_000);
  }

  private interface Fill {
    void run() throws Exception;
  }

  private static void finished(Connection c, String table, long rows) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT count(*), coalesce(max(id), 0) FROM " + table)) {
      r.next();
      if (r.getLong(1) != rows || r.getLong(2) != rows) {
        throw new IllegalStateException(
            table
                + ": expected ids 1.."
                + rows
                + ", found "
                + r.getLong(1)
                + " rows up to id "
                + r.getLong(2)
                + " (the database was not fresh)");
      }
    }
    log("%s: %,d rows", table, rows);
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(options.dbUrl, options.user, options.password);
  }

  private Connection maintenance() throws SQLException {
    String url = options.dbUrl.replaceFirst("/[^/?]+(\\?|$)", "/" + options.maintenanceDb + "$1");
    return DriverManager.getConnection(url, options.user, options.password);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-256", e);
    }
  }

  static void log(String format, Object... args) {
    System.out.printf("admin-seed: " + format + "%n", args);
  }

  /** Command-line options; every one has a default except the database URL. */
  static final class Options {
    String dbUrl;
    String user = "tollgate";
    String password = "tollgate";
    String maintenanceDb = "postgres";
    long keys = 1_000_000;
    int users = 10_000;
    int groups = 100;
    int providerKeysPerGroup = 5;
    long errors = -1;
    int minuteRows = -1;
    int hourRows = -1;
    long seed = 42;
    String encryptionKey = "VG9sbGdhdGUgYmVuY2htYXJrIGtleTogbm90IHByb2Q=";
    int maxAgeHours = 24;
    boolean check;

    static Options parse(String[] args) {
      var o = new Options();
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        if (arg.equals("--check")) {
          o.check = true;
          continue;
        }
        if (i + 1 >= args.length) {
          throw usage("missing value for " + arg);
        }
        String v = args[++i];
        switch (arg) {
          case "--db-url" -> o.dbUrl = v;
          case "--db-user" -> o.user = v;
          case "--db-password" -> o.password = v;
          case "--maintenance-db" -> o.maintenanceDb = v;
          case "--keys" -> o.keys = Long.parseLong(v);
          case "--users" -> o.users = Integer.parseInt(v);
          case "--groups" -> o.groups = Integer.parseInt(v);
          case "--provider-keys-per-group" -> o.providerKeysPerGroup = Integer.parseInt(v);
          case "--errors" -> o.errors = Long.parseLong(v);
          case "--minute-rows" -> o.minuteRows = Integer.parseInt(v);
          case "--hour-rows" -> o.hourRows = Integer.parseInt(v);
          case "--seed" -> o.seed = Long.parseLong(v);
          case "--encryption-key" -> o.encryptionKey = v;
          case "--max-age-hours" -> o.maxAgeHours = Integer.parseInt(v);
          default -> throw usage("unknown option " + arg);
        }
      }
      if (o.dbUrl == null) {
        throw usage("--db-url is required");
      }
      if (o.keys < 1 || o.users < 1 || o.groups < 1 || o.providerKeysPerGroup < 1) {
        throw usage("--keys, --users, --groups and --provider-keys-per-group must be >= 1");
      }
      if (!o.database().matches("[a-z_][a-z0-9_]*")) {
        throw usage("the database name must be a plain lowercase identifier: " + o.database());
      }
      return o;
    }

    String database() {
      String path = dbUrl.replaceFirst("^jdbc:postgresql://[^/]+/", "");
      int q = path.indexOf('?');
      return q < 0 ? path : path.substring(0, q);
    }

    /** Errors over 7 days: two per key, at least 100,000, at most 10 million. */
    long errors() {
      return errors >= 0 ? errors : Math.max(100_000, Math.min(10_000_000, 2 * keys));
    }

    /** Usage rows per minute bucket: traffic grows with the key count, within 50..2,000. */
    int minuteRows() {
      return minuteRows >= 0 ? minuteRows : (int) Math.max(50, Math.min(2_000, keys / 500));
    }

    /**
     * Usage rows per hour of the month that fills the coarser tiers: as many as per minute, which
     * keeps a 1M-key seed within minutes (the roll-ups into six V4 tiers dominate its time).
     */
    int hourRows() {
      return hourRows >= 0 ? hourRows : minuteRows();
    }

    String describe() {
      return String.format(
          Locale.ROOT,
          "keys=%d users=%d groups=%d provider_keys_per_group=%d errors=%d minute_rows=%d"
              + " hour_rows=%d seed=%d",
          keys,
          users,
          groups,
          providerKeysPerGroup,
          errors(),
          minuteRows(),
          hourRows(),
          seed);
    }

    private static IllegalArgumentException usage(String problem) {
      System.err.println("admin-seed: " + problem);
      System.err.println(
          "usage: AdminSeed --db-url jdbc:postgresql://host:port/db [--check] [--keys N]"
              + " [--users N] [--groups N] [--provider-keys-per-group N] [--errors N]"
              + " [--minute-rows N] [--hour-rows N] [--seed N] [--encryption-key BASE64]"
              + " [--max-age-hours N (with --check)]"
              + " [--db-user U] [--db-password P] [--maintenance-db postgres]");
      System.exit(2);
      return new IllegalArgumentException(problem);
    }
  }
}
