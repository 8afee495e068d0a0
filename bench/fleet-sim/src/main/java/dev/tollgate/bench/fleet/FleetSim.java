package dev.tollgate.bench.fleet;

import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The fleet simulator: N {@link SimulatedDataPlane}s flushing to one control plane started from its
 * jar ({@link ControlPlaneProcess}) on a database of its own ({@link FleetDatabase}), for every
 * combination of mode (the control plane's flush path: {@code baseline} applies each batch in its
 * own transaction, {@code coalesced} lets it coalesce concurrent batches), distribution and N.
 *
 * <ul>
 *   <li><b>spread</b>: K keys, each active on every data plane (a load balancer spreads each key's
 *       traffic over the fleet), so every interval brings each key's delta N times;
 *   <li><b>distinct</b>: each data plane its own keys.
 * </ul>
 *
 * Per run it prints key-deltas offered and applied per second, the flush latency (send to
 * acknowledgement) p50/p99, the backlog (counted ticks not yet acknowledged, in seconds of traffic)
 * in the middle and at the end of the window, and after the data planes' final flush whether
 * PostgreSQL holds exactly what was acknowledged: every key's counters, the usage tiers' sums,
 * provider keys and groups, each data plane's ledger row.
 */
public final class FleetSim {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  static ClientInterceptor bearer(String token) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token);
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }

  /** One run's figures. */
  record Result(
      String mode,
      String distribution,
      int dataPlanes,
      int keysPerDp,
      double offeredPerS,
      double appliedPerS,
      double rowsPerS,
      double p50Ms,
      double p99Ms,
      double backlogMidS,
      double backlogEndS,
      long retries,
      String check) {

    boolean grows() {
      // More than one interval of traffic behind at the end, and more than in the middle.
      return backlogEndS > backlogMidS + 0.5 && backlogEndS > 1.0;
    }
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    System.out.printf(
        Locale.ROOT,
        "fleet-sim: modes %s, distributions %s, N %s, %d s per run, flush every %d ms in batches of"
            + " at most %,d bytes; spread %,d keys, distinct %,d keys per data plane%n",
        o.modes,
        o.distributions,
        o.dataPlanes,
        o.seconds,
        o.intervalMs,
        o.maxBatchBytes,
        o.spreadKeys,
        o.distinctKeysPerDp);
    int maxN = o.dataPlanes.stream().mapToInt(Integer::intValue).max().orElseThrow();
    long totalKeys = o.spreadKeys + (long) maxN * o.distinctKeysPerDp;
    FleetDatabase db = new FleetDatabase(o.dbUrl, o.dbUser, o.dbPassword, totalKeys);
    db.prepare(SimulatedDataPlane.PROVIDER_KEYS);
    System.out.printf(Locale.ROOT, "seeded %,d keys%n", totalKeys);

    List<Result> results = new ArrayList<>();
    boolean allExact = true;
    for (String mode : o.modes) {
      try (ControlPlaneProcess cp =
          ControlPlaneProcess.start(o.cpJar, o.port, o.dbUrl, mode, o.logDir, o.cpEnv)) {
        for (String distribution : o.distributions) {
          for (int n : o.dataPlanes) {
            Result result = runOnce(o, db, mode, distribution, n);
            results.add(result);
            allExact &= result.check().equals("exact");
            printRow(result);
          }
        }
      }
    }
    System.out.println();
    printTable(results);
    printRatios(results);
    if (!allExact) {
      System.out.println("\nFAILED: PostgreSQL does not hold exactly what was acknowledged");
      System.exit(1);
    }
  }

  private static Result runOnce(
      Options o, FleetDatabase db, String mode, String distribution, int n) throws Exception {
    boolean spread = distribution.equals("spread");
    int keysPerDp = spread ? o.spreadKeys : o.distinctKeysPerDp;
    long startMs = System.currentTimeMillis() + 2000;
    long stopMs = startMs + o.seconds * 1000L;
    Random random = new Random(42 + n);
    List<ManagedChannel> channels = new ArrayList<>();
    List<SimulatedDataPlane> fleet = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    String run = mode + "-" + distribution + "-" + n + "-" + Long.toString(startMs, 36);
    for (int i = 0; i < n; i++) {
      // Each data plane has its own connection, as replicas behind a load balancer do.
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", o.port)
              .usePlaintext()
              .maxInboundMessageSize(16 << 20)
              .build();
      channels.add(channel);
      long firstKey = spread ? 1 : o.spreadKeys + 1 + (long) i * o.distinctKeysPerDp;
      SimulatedDataPlane dp =
          new SimulatedDataPlane(
              "fleet-" + run + "-" + i,
              firstKey,
              keysPerDp,
              o.intervalMs,
              startMs,
              stopMs,
              // Replicas are not synchronised: each flushes at its own phase of the interval.
              random.nextLong(o.intervalMs),
              o.maxBatchBytes,
              channel,
              o.token);
      fleet.add(dp);
      Thread thread = new Thread(dp, "dp-" + i);
      thread.setDaemon(true);
      threads.add(thread);
    }
    threads.forEach(Thread::start);
    sleepUntil(startMs + o.seconds * 500L);
    long backlogMid = backlog(fleet);
    sleepUntil(stopMs);
    long backlogEnd = backlog(fleet);
    long acknowledgedInWindow =
        fleet.stream().mapToLong(SimulatedDataPlane::acknowledgedOffered).sum();
    long rowsInWindow = fleet.stream().mapToLong(SimulatedDataPlane::deltasAcknowledged).sum();
    for (Thread thread : threads) {
      thread.join(TimeUnit.MINUTES.toMillis(10));
      if (thread.isAlive()) {
        throw new IllegalStateException(thread.getName() + " did not finish its final flush");
      }
    }
    channels.forEach(ManagedChannel::shutdownNow);
    for (SimulatedDataPlane dp : fleet) {
      if (dp.failure() != null) {
        throw new IllegalStateException("data plane failed: " + dp.failure());
      }
    }
    double offeredPerS = (double) n * keysPerDp * 1000 / o.intervalMs;
    double[] latencies =
        fleet.stream()
            .flatMap(dp -> dp.latencies().stream())
            .filter(l -> l[0] >= startMs && l[0] < stopMs)
            .mapToDouble(l -> l[1] / 1e6)
            .sorted()
            .toArray();
    String check = db.verify(fleet);
    return new Result(
        mode,
        distribution,
        n,
        keysPerDp,
        offeredPerS,
        acknowledgedInWindow / (double) o.seconds,
        rowsInWindow / (double) o.seconds,
        percentile(latencies, 0.50),
        percentile(latencies, 0.99),
        backlogMid / offeredPerS,
        backlogEnd / offeredPerS,
        fleet.stream().mapToLong(SimulatedDataPlane::retries).sum(),
        check);
  }

  /** Key-deltas due by now (ticks × keys) that the control plane has not acknowledged. */
  private static long backlog(List<SimulatedDataPlane> fleet) {
    long now = System.currentTimeMillis();
    long behind = 0;
    for (SimulatedDataPlane dp : fleet) {
      behind += dp.offeredBy(now) - dp.acknowledgedOffered();
    }
    return Math.max(0, behind);
  }

  private static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
  }

  private static final String HEADER =
      "| mode      | distribution | DPs | keys/DP | offered key-deltas/s | applied/s | rows written/s"
          + " | flush p50 ms | flush p99 ms | backlog mid s | backlog end s | grows | retries | totals |";

  private static void printRow(Result r) {
    System.out.println(row(r));
  }

  private static String row(Result r) {
    return String.format(
        Locale.ROOT,
        "| %-9s | %-12s | %3d | %,7d | %,20.0f | %,9.0f | %,14.0f | %,12.1f | %,12.1f | %13.1f |"
            + " %13.1f | %-5s | %7d | %s |",
        r.mode(),
        r.distribution(),
        r.dataPlanes(),
        r.keysPerDp(),
        r.offeredPerS(),
        r.appliedPerS(),
        r.rowsPerS(),
        r.p50Ms(),
        r.p99Ms(),
        r.backlogMidS(),
        r.backlogEndS(),
        r.grows() ? "yes" : "no",
        r.retries(),
        r.check());
  }

  private static void printTable(List<Result> results) {
    System.out.println(HEADER);
    System.out.println(HEADER.replaceAll("[^|]", "-"));
    results.forEach(r -> System.out.println(row(r)));
  }

  private static void printRatios(List<Result> results) {
    Map<String, Result> baseline = new LinkedHashMap<>();
    for (Result r : results) {
      if (r.mode().equals("baseline")) {
        baseline.put(r.distribution() + "/" + r.dataPlanes(), r);
      }
    }
    List<String> lines = new ArrayList<>();
    for (Result r : results) {
      Result b = baseline.get(r.distribution() + "/" + r.dataPlanes());
      if (r.mode().equals("baseline") || b == null) {
        continue;
      }
      lines.add(
          String.format(
              Locale.ROOT,
              "| %-12s | %3d | %,17.0f | %,18.0f | %12.2fx | %,15.1f | %,16.1f | %13.2fx |",
              r.distribution(),
              r.dataPlanes(),
              b.appliedPerS(),
              r.appliedPerS(),
              r.appliedPerS() / b.appliedPerS(),
              b.p99Ms(),
              r.p99Ms(),
              b.p99Ms() / r.p99Ms()));
    }
    if (lines.isEmpty()) {
      return;
    }
    System.out.println();
    System.out.println(
        "| distribution | DPs | baseline applied/s | coalesced applied/s | applied ratio |"
            + " baseline p99 ms | coalesced p99 ms | p99 baseline / coalesced |");
    System.out.println(
        "|--------------|-----|-------------------|--------------------|--------------|"
            + "-----------------|------------------|---------------|");
    lines.forEach(System.out::println);
  }

  private static void sleepUntil(long atMs) throws InterruptedException {
    long wait = atMs - System.currentTimeMillis();
    if (wait > 0) {
      Thread.sleep(wait);
    }
  }

  /** Command-line options; every one has a default but the control plane's jar. */
  static final class Options {
    List<String> modes = List.of("baseline", "coalesced");
    List<String> distributions = List.of("spread", "distinct");
    List<Integer> dataPlanes = List.of(1, 10, 50, 100);
    int seconds = 60;
    long intervalMs = 5000;
    int spreadKeys = 10_000;
    int distinctKeysPerDp = 5_000;
    long maxBatchBytes = 1 << 20;
    String dbUrl = "jdbc:postgresql://127.0.0.1:5432/tollgate_bench_fleet";
    String dbUser = "tollgate";
    String dbPassword = "tollgate";
    Path cpJar;
    int port = 18095;
    String token = "fleet-sim-internal-token";
    Path logDir = Path.of(".");
    List<String> cpEnv = new ArrayList<>();

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String value = i + 1 < args.length ? args[i + 1] : null;
        switch (args[i]) {
          case "--modes" -> o.modes = List.of(require(value, args[i]).split(","));
          case "--distributions" -> o.distributions = List.of(require(value, args[i]).split(","));
          case "--dps" ->
              o.dataPlanes =
                  Arrays.stream(require(value, args[i]).split(",")).map(Integer::valueOf).toList();
          case "--seconds" -> o.seconds = Integer.parseInt(require(value, args[i]));
          case "--interval-ms" -> o.intervalMs = Long.parseLong(require(value, args[i]));
          case "--spread-keys" -> o.spreadKeys = Integer.parseInt(require(value, args[i]));
          case "--distinct-keys" -> o.distinctKeysPerDp = Integer.parseInt(require(value, args[i]));
          case "--max-batch-bytes" -> o.maxBatchBytes = Long.parseLong(require(value, args[i]));
          case "--db-url" -> o.dbUrl = require(value, args[i]);
          case "--db-user" -> o.dbUser = require(value, args[i]);
          case "--db-password" -> o.dbPassword = require(value, args[i]);
          case "--cp-jar" -> o.cpJar = Path.of(require(value, args[i]));
          case "--port" -> o.port = Integer.parseInt(require(value, args[i]));
          case "--log-dir" -> o.logDir = Path.of(require(value, args[i]));
          case "--cp-env" -> o.cpEnv.add(require(value, args[i]));
          default -> usage("unknown argument " + args[i]);
        }
        i++;
      }
      if (o.cpJar == null || !Files.isRegularFile(o.cpJar)) {
        usage("--cp-jar must name the control plane's quarkus-run.jar");
      }
      for (String mode : o.modes) {
        if (!mode.equals("baseline") && !mode.equals("coalesced")) {
          usage("--modes takes baseline and/or coalesced, not " + mode);
        }
      }
      for (String d : o.distributions) {
        if (!d.equals("spread") && !d.equals("distinct")) {
          usage("--distributions takes spread and/or distinct, not " + d);
        }
      }
      if (o.maxBatchBytes < 1024) {
        usage("--max-batch-bytes ≥ 1024");
      }
      if (o.seconds < 1 || o.intervalMs < 100 || o.spreadKeys < 1 || o.distinctKeysPerDp < 1) {
        usage("--seconds ≥ 1, --interval-ms ≥ 100, key counts ≥ 1");
      }
      return o;
    }

    private static String require(String value, String option) {
      if (value == null) {
        usage(option + " needs a value");
      }
      return value;
    }

    private static void usage(String problem) {
      System.err.println(
          "usage: FleetSim --cp-jar quarkus-run.jar [--modes baseline,coalesced]"
              + " [--distributions spread,distinct] [--dps 1,10,50,100] [--seconds 60]"
              + " [--interval-ms 5000] [--spread-keys 10000] [--distinct-keys 5000]"
              + " [--max-batch-bytes 1048576] [--db-url JDBC]"
              + " [--port 18095] [--log-dir DIR] [--cp-env NAME=VALUE]…\n"
              + problem);
      System.exit(2);
    }
  }
}
