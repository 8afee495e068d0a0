package dev.tollgate.bench.flush;

import dev.tollgate.controlplane.usage.FlushRepository;
import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.FlushRequest;
import dev.tollgate.proto.usage.v1.KeyDelta;
import dev.tollgate.proto.usage.v1.ProviderKeyDelta;
import dev.tollgate.proto.usage.v1.UsageBucket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import org.flywaydb.core.Flyway;

/**
 * Times applying one flush batch of N key deltas (plus provider-key deltas and their group rollup)
 * three ways on the same database, in one run:
 *
 * <ul>
 *   <li><b>set-based</b>: {@link FlushRepository}, the code the control plane runs;
 *   <li><b>per-row</b>: one {@code UPDATE … WHERE id = ?} executed per row, the way an ORM or a
 *       hand-written loop applies counters;
 *   <li><b>per-row, JDBC batch</b>: the same statements sent with {@code addBatch/executeBatch}.
 * </ul>
 *
 * Then, set-based only, the same batches with one minute bucket per key (upserted into {@code
 * usage_minute}), which is what a data plane really sends.
 *
 * <p>Each figure is the time from the first statement to the commit, median of {@code --repeats}
 * runs, each run starting from a vacuumed table (not timed). The schema is the control plane's own
 * (its Flyway migrations, from its jar).
 */
public final class FlushApplyBench {

  private static final String UPDATE_KEY =
      "UPDATE api_key SET requests = requests + ?, success_requests = success_requests + ?,"
          + " failure_requests = failure_requests + ?, prompt_tokens = prompt_tokens + ?,"
          + " completion_tokens = completion_tokens + ?, total_tokens = total_tokens + ?,"
          + " quota_used = quota_used + ?,"
          + " last_accessed_at = GREATEST(last_accessed_at, to_timestamp(? / 1000.0))"
          + " WHERE id = ?";
  private static final String UPDATE_PROVIDER_KEY =
      "UPDATE provider_key SET requests = requests + ?, success_requests = success_requests + ?,"
          + " failure_requests = failure_requests + ?, prompt_tokens = prompt_tokens + ?,"
          + " completion_tokens = completion_tokens + ?, total_tokens = total_tokens + ?,"
          + " last_used_at = now() WHERE id = ? RETURNING group_id";
  private static final String UPDATE_GROUP =
      "UPDATE provider_group SET requests = requests + ?, success_requests = success_requests + ?,"
          + " failure_requests = failure_requests + ?, prompt_tokens = prompt_tokens + ?,"
          + " completion_tokens = completion_tokens + ?, total_tokens = total_tokens + ?"
          + " WHERE id = ?";

  private static final int PROVIDER_KEYS = 100;
  private static final int GROUPS = 10;

  private final String url;
  private final String user;
  private final String password;
  private final Random random = new Random(42);
  private long sequence;

  private FlushApplyBench(String url, String user, String password) {
    this.url = url;
    this.user = user;
    this.password = password;
  }

  public static void main(String[] args) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:5432/tollgate_bench_flush";
    String user = "tollgate";
    String password = "tollgate";
    int[] sizes = {10_000, 100_000};
    int repeats = 5;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--db-url" -> url = args[++i];
        case "--db-user" -> user = args[++i];
        case "--db-password" -> password = args[++i];
        case "--sizes" ->
            sizes = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--repeats" -> repeats = Integer.parseInt(args[++i]);
        default -> {
          System.err.println(
              "usage: FlushApplyBench [--db-url JDBC] [--db-user U] [--db-password P]"
                  + " [--sizes 10000,100000] [--repeats 5]\nunknown argument: "
                  + args[i]);
          System.exit(2);
        }
      }
    }
    new FlushApplyBench(url, user, password).run(sizes, repeats);
  }

  private void run(int[] sizes, int repeats) throws SQLException {
    int maxKeys = Arrays.stream(sizes).max().orElseThrow();
    System.out.printf(
        Locale.ROOT,
        "flush-apply: %s, %d keys, %d provider keys in %d groups; median of %d runs each%n",
        url,
        maxKeys,
        PROVIDER_KEYS,
        GROUPS,
        repeats);
    prepare(maxKeys);
    // Warm the JIT, the connection and PostgreSQL's caches on every path before measuring.
    for (int i = 0; i < 2; i++) {
      measure(Approach.SET_BASED, batch(Math.min(maxKeys, 20_000)));
      measure(Approach.PER_ROW, batch(Math.min(maxKeys, 2_000)));
      measure(Approach.PER_ROW_BATCHED, batch(Math.min(maxKeys, 2_000)));
    }
    List<String> rows = new ArrayList<>();
    for (int size : sizes) {
      double[] medians = new double[Approach.values().length];
      for (Approach approach : Approach.values()) {
        double[] runs = new double[repeats];
        for (int r = 0; r < repeats; r++) {
          runs[r] = measure(approach, batch(size));
        }
        Arrays.sort(runs);
        medians[approach.ordinal()] = runs[repeats / 2];
      }
      double set = medians[Approach.SET_BASED.ordinal()];
      double perRow = medians[Approach.PER_ROW.ordinal()];
      double batched = medians[Approach.PER_ROW_BATCHED.ordinal()];
      rows.add(
          String.format(
              Locale.ROOT,
              "| %,9d | %,12.1f | %,12.1f | %,21.1f | %12.1fx | %17.1fx |",
              size,
              set,
              perRow,
              batched,
              perRow / set,
              batched / set));
    }
    List<String> full = new ArrayList<>();
    for (int size : sizes) {
      double[] runs = new double[repeats];
      for (int r = 0; r < repeats; r++) {
        runs[r] = measure(Approach.SET_BASED, batch(size, true));
      }
      Arrays.sort(runs);
      full.add(
          String.format(
              Locale.ROOT,
              "  %,d key deltas + %,d minute buckets: %,.1f ms (set-based, median)",
              size,
              size,
              runs[repeats / 2]));
    }
    System.out.println();
    System.out.println(
        "|    deltas | set-based ms |   per-row ms | per-row JDBC batch ms | per-row / set | JDBC batch / set |");
    System.out.println(
        "|-----------|--------------|--------------|-----------------------|---------------|------------------|");
    rows.forEach(System.out::println);
    System.out.println();
    System.out.println("A whole batch as a data plane sends it, one usage bucket per key:");
    full.forEach(System.out::println);
  }

  private enum Approach {
    SET_BASED,
    PER_ROW,
    PER_ROW_BATCHED
  }

  private void prepare(int keys) throws SQLException {
    Flyway.configure()
        .dataSource(url, user, password)
        .cleanDisabled(false)
        .locations("classpath:db/migration")
        .load()
        .clean();
    Flyway.configure()
        .dataSource(url, user, password)
        .locations("classpath:db/migration")
        .load()
        .migrate();
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute("INSERT INTO app_user (name, config_revision) VALUES ('bench', 0)");
      s.execute(
          "INSERT INTO provider_group (name, platform, models, config_revision)"
              + " SELECT 'group-' || g, 'openai', '{gpt-4o-mini}', 0 FROM generate_series(1, "
              + GROUPS
              + ") g");
      s.execute(
          "INSERT INTO provider_key (group_id, base_url, secret_ciphertext, secret_hint,"
              + " config_revision) SELECT 1 + (g % "
              + GROUPS
              + "), 'http://127.0.0.1:9/v1', '\\x00', 'xxxx', 0 FROM generate_series(1, "
              + PROVIDER_KEYS
              + ") g");
      s.execute(
          "INSERT INTO api_key (user_id, name, prefix, token_hash, config_revision)"
              + " SELECT 1, 'key-' || g, 'tg-bench', md5(g::text), 0 FROM generate_series(1, "
              + keys
              + ") g");
      s.execute("VACUUM ANALYZE");
    }
  }

  private FlushRequest batch(int size) {
    return batch(size, false);
  }

  /** With {@code buckets}, also one minute bucket per key, as a data plane sends them. */
  private FlushRequest batch(int size, boolean buckets) {
    List<Long> ids = new ArrayList<>(size);
    for (long id = 1; id <= size; id++) {
      ids.add(id);
    }
    // Replicas send keys in whatever order their maps give; none sorted.
    Collections.shuffle(ids, random);
    long now = System.currentTimeMillis();
    FlushRequest.Builder batch =
        FlushRequest.newBuilder()
            .setDpInstanceId("bench-" + UUID.randomUUID())
            .setSequence(++sequence);
    for (long id : ids) {
      batch.addKeyDeltas(
          KeyDelta.newBuilder()
              .setKeyId(id)
              .setCounters(counters(1 + random.nextInt(20)))
              .setLastAccessedAtUnixMs(now));
    }
    for (long id = 1; id <= PROVIDER_KEYS; id++) {
      batch.addProviderKeyDeltas(
          ProviderKeyDelta.newBuilder()
              .setProviderKeyId(id)
              .setCounters(counters(size / PROVIDER_KEYS)));
    }
    if (buckets) {
      long minute = now / 60_000 * 60;
      for (long id : ids) {
        batch.addBuckets(
            UsageBucket.newBuilder()
                .setBucketStartUnixS(minute)
                .setKeyId(id)
                .setProviderKeyId(1 + id % PROVIDER_KEYS)
                .setModel("gpt-4o-mini")
                .setCounters(counters(1))
                .setLatencyMsSum(250));
      }
    }
    return batch.build();
  }

  private Counters counters(int requests) {
    int prompt = requests * 100;
    int completion = requests * 20;
    return Counters.newBuilder()
        .setRequests(requests)
        .setSuccessRequests(requests)
        .setPromptTokens(prompt)
        .setCompletionTokens(completion)
        .setTotalTokens(prompt + completion)
        .build();
  }

  /** Milliseconds from the first statement to the commit. */
  private double measure(Approach approach, FlushRequest batch) throws SQLException {
    try (Connection c = connect()) {
      // Every run starts from a vacuumed table, as autovacuum and page pruning keep it in
      // production; otherwise each run would pay for the dead row versions the previous runs left.
      try (Statement s = c.createStatement()) {
        s.execute("VACUUM api_key, provider_key, provider_group");
      }
      c.setAutoCommit(false);
      long start = System.nanoTime();
      switch (approach) {
        case SET_BASED -> new FlushRepository().apply(c, batch);
        case PER_ROW -> perRow(c, batch, false);
        case PER_ROW_BATCHED -> perRow(c, batch, true);
      }
      c.commit();
      return (System.nanoTime() - start) / 1e6;
    }
  }

  private static void perRow(Connection c, FlushRequest batch, boolean jdbcBatch)
      throws SQLException {
    try (PreparedStatement ledger =
        c.prepareStatement(
            "INSERT INTO flush_ledger (dp_instance_id, last_sequence) VALUES (?, ?)")) {
      ledger.setString(1, batch.getDpInstanceId());
      ledger.setLong(2, batch.getSequence());
      ledger.executeUpdate();
    }
    try (PreparedStatement update = c.prepareStatement(UPDATE_KEY)) {
      for (KeyDelta delta : batch.getKeyDeltasList()) {
        int i = bind(update, delta.getCounters());
        update.setLong(i++, delta.getCounters().getTotalTokens());
        update.setLong(i++, delta.getLastAccessedAtUnixMs());
        update.setLong(i, delta.getKeyId());
        if (jdbcBatch) {
          update.addBatch();
        } else {
          update.executeUpdate();
        }
      }
      if (jdbcBatch) {
        update.executeBatch();
      }
    }
    try (PreparedStatement provider = c.prepareStatement(UPDATE_PROVIDER_KEY);
        PreparedStatement group = c.prepareStatement(UPDATE_GROUP)) {
      for (ProviderKeyDelta delta : batch.getProviderKeyDeltasList()) {
        provider.setLong(bind(provider, delta.getCounters()), delta.getProviderKeyId());
        long groupId;
        try (var rows = provider.executeQuery()) {
          rows.next();
          groupId = rows.getLong(1);
        }
        group.setLong(bind(group, delta.getCounters()), groupId);
        group.executeUpdate();
      }
    }
  }

  /** Binds the six counters from parameter 1; returns the next parameter index. */
  private static int bind(PreparedStatement s, Counters c) throws SQLException {
    s.setLong(1, c.getRequests());
    s.setLong(2, c.getSuccessRequests());
    s.setLong(3, c.getFailureRequests());
    s.setLong(4, c.getPromptTokens());
    s.setLong(5, c.getCompletionTokens());
    s.setLong(6, c.getTotalTokens());
    return 7;
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(url, user, password);
  }
}
