package dev.tollgate.bench.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * Times the admin API of a running control plane against a seeded database (see {@link AdminSeed}):
 * for each endpoint a warm-up, then sequential timed calls (one at a time, keep-alive), latency in
 * an HdrHistogram; one JSON line per endpoint. An endpoint that answers anything but 2xx is
 * reported with that status and not timed, so the benchmark runs before every endpoint exists.
 *
 * <pre>
 * run   --url http://127.0.0.1:18090 --token T --db-url jdbc:… --label 10k --out results.jsonl
 * table results.jsonl --baseline 10k   (Markdown, each label side by side with its p99 ratio)
 * </pre>
 */
public final class AdminApiBench {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One endpoint: a name for the table and a path whose {placeholders} come from the seed. */
  record Endpoint(String name, String path) {}

  /**
   * What is measured. Paths follow the admin API as issue 3 names it; a placeholder is filled from
   * the seeded database ({key}: the hottest key, in every minute bucket and with the most errors).
   */
  static final List<Endpoint> ENDPOINTS =
      List.of(
          new Endpoint("keys: first page", "/admin/v1/keys?page=1&page_size=100"),
          new Endpoint(
              "keys: deep page ({deep_page})", "/admin/v1/keys?page={deep_page}&page_size=100"),
          new Endpoint(
              "keys: cursor at the same depth", "/admin/v1/keys?cursor={cursor}&limit=100"),
          new Endpoint("keys: status=disabled", "/admin/v1/keys?status=disabled&page_size=100"),
          new Endpoint("keys: user_id", "/admin/v1/keys?user_id={user}&page_size=100"),
          new Endpoint("keys: group_id", "/admin/v1/keys?group_id={group}&page_size=100"),
          new Endpoint("keys: search (prefix)", "/admin/v1/keys?search={search}&page_size=100"),
          new Endpoint(
              "keys: exclude_statuses",
              "/admin/v1/keys?exclude_statuses=revoked,expired&page_size=100"),
          new Endpoint(
              "keys: sort by requests", "/admin/v1/keys?sort=requests&order=desc&page_size=100"),
          new Endpoint("keys/stats", "/admin/v1/keys/stats"),
          new Endpoint("usage/summary", "/admin/v1/usage/summary"),
          new Endpoint("usage/windows", "/admin/v1/usage/windows"),
          new Endpoint("usage/windows key", "/admin/v1/usage/windows?key_id={key}"),
          new Endpoint("usage/windows user", "/admin/v1/usage/windows?user_id={user}"),
          new Endpoint("usage/windows group", "/admin/v1/usage/windows?group_id={group}"),
          new Endpoint("usage/windows model", "/admin/v1/usage/windows?model={model}"),
          new Endpoint(
              "usage/timeseries 1m over 1h",
              "/admin/v1/usage/timeseries?from={from_1h}&to={now}&step=1m"),
          new Endpoint(
              "usage/timeseries 1h over 7d",
              "/admin/v1/usage/timeseries?from={from_7d}&to={now}&step=1h"),
          new Endpoint(
              "usage/timeseries 1d over 30d",
              "/admin/v1/usage/timeseries?from={from_30d}&to={now}&step=1d"),
          new Endpoint(
              "usage/timeseries key 1h over 7d",
              "/admin/v1/usage/timeseries?key_id={key}&from={from_7d}&to={now}&step=1h"),
          new Endpoint("keys/{id}/usage 24h", "/admin/v1/keys/{key}/usage?period=24h"),
          new Endpoint("provider-groups/{id}/stats", "/admin/v1/provider-groups/{group}/stats"),
          new Endpoint("provider-keys/{id}/stats", "/admin/v1/provider-keys/{provider_key}/stats"),
          new Endpoint("attention", "/admin/v1/attention?window=1h"),
          new Endpoint("errors: newest", "/admin/v1/errors?limit=100"),
          new Endpoint("errors: key", "/admin/v1/errors?key_id={key}&limit=100"),
          new Endpoint("errors: status 502", "/admin/v1/errors?status_code=502&limit=100"),
          new Endpoint(
              "errors: lookup",
              "/admin/v1/errors/lookup?key_id={key}&timestamp={error_ts}&status_code=500"
                  + "&window_seconds=300"),
          new Endpoint("rpm-status key", "/admin/v1/keys/{key}/rpm-status"),
          new Endpoint("rpm-status user", "/admin/v1/users/{user}/rpm-status"),
          new Endpoint(
              "adaptive: provider keys", "/admin/v1/adaptive-concurrency/provider-keys?limit=100"),
          new Endpoint("adaptive: summary", "/admin/v1/adaptive-concurrency/summary"),
          new Endpoint(
              "adaptive: one provider key",
              "/admin/v1/provider-keys/{adaptive_key}/concurrency-stats"));

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("table")) {
      table(args);
      return;
    }
    run(args);
  }

  private static void run(String[] args) throws Exception {
    Map<String, String> o = options(args, 0);
    String base = require(o, "--url");
    String token = require(o, "--token");
    String label = require(o, "--label");
    Path out = Path.of(require(o, "--out"));
    int warmup = Integer.parseInt(o.getOrDefault("--warmup", "50"));
    int calls = Integer.parseInt(o.getOrDefault("--calls", "200"));
    String only = o.get("--only");

    var client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    var caller = new Caller(client, base, token);
    Map<String, String> values = seedValues(require(o, "--db-url"), o);
    values.put("cursor", cursorAtDepth(caller, Long.parseLong(values.get("deep_page"))));

    for (Endpoint endpoint : ENDPOINTS) {
      if (only != null && !endpoint.name().contains(only)) {
        continue;
      }
      String name = fill(endpoint.name(), values);
      String path = fill(endpoint.path(), values);
      ObjectNode line = JSON.createObjectNode().put("label", label).put("endpoint", name);
      line.put("path", path);
      if (path.contains("{")) {
        line.put("status", "no " + path.replaceAll(".*\\{([a-z_]+)}.*", "$1"));
        write(out, line);
        System.out.printf("%-40s %s%n", name, line.get("status").asText());
        continue;
      }
      int first = caller.status(path);
      if (first / 100 != 2) {
        line.put("status", "HTTP " + first);
        write(out, line);
        System.out.printf("%-40s HTTP %d (not timed)%n", name, first);
        continue;
      }
      for (int i = 0; i < warmup; i++) {
        caller.status(path);
      }
      var histogram = new Histogram(60_000_000L, 3);
      Map<Integer, Integer> failures = new TreeMap<>();
      for (int i = 0; i < calls; i++) {
        long t = System.nanoTime();
        int status = caller.status(path);
        histogram.recordValue(Math.max(1, (System.nanoTime() - t) / 1_000));
        if (status / 100 != 2) {
          failures.merge(status, 1, Integer::sum);
        }
      }
      line.put("status", failures.isEmpty() ? "ok" : "errors " + failures);
      line.put("calls", calls);
      line.put("p50_ms", histogram.getValueAtPercentile(50) / 1000.0);
      line.put("p99_ms", histogram.getValueAtPercentile(99) / 1000.0);
      line.put("max_ms", histogram.getMaxValue() / 1000.0);
      write(out, line);
      System.out.printf(
          Locale.ROOT,
          "%-40s p50 %8.2f ms  p99 %8.2f ms  max %8.2f ms  %s%n",
          name,
          line.get("p50_ms").asDouble(),
          line.get("p99_ms").asDouble(),
          line.get("max_ms").asDouble(),
          line.get("status").asText());
    }
  }

  /** Ids and times the endpoints need, read from the seeded database. */
  private static Map<String, String> seedValues(String dbUrl, Map<String, String> o)
      throws SQLException {
    Map<String, String> v = new LinkedHashMap<>();
    try (Connection c =
            DriverManager.getConnection(
                dbUrl,
                o.getOrDefault("--db-user", "tollgate"),
                o.getOrDefault("--db-password", "tollgate"));
        Statement s = c.createStatement()) {
      try (ResultSet r =
          s.executeQuery(
              "SELECT k.id, k.user_id, k.prefix, (SELECT min(group_id) FROM api_key_group g"
                  + " WHERE g.key_id = k.id), (SELECT count(*) FROM api_key) FROM api_key k"
                  + " WHERE k.id = 1")) {
        if (!r.next()) {
          throw new IllegalStateException("the database has no key 1: seed it with AdminSeed");
        }
        v.put("key", r.getString(1));
        v.put("user", r.getString(2));
        v.put("search", r.getString(3));
        v.put("group", r.getString(4));
        long keys = r.getLong(5);
        v.put("deep_page", Long.toString(Math.max(1, Math.min(10_000, keys / 100))));
      }
      try (ResultSet r =
          s.executeQuery(
              "SELECT min(id) FILTER (WHERE group_id = "
                  + v.get("group")
                  + "),"
                  + " min(id) FILTER (WHERE max_concurrent IS NULL) FROM provider_key")) {
        r.next();
        v.put("provider_key", r.getString(1));
        v.put("adaptive_key", r.getString(2));
      }
      try (ResultSet r =
          s.executeQuery(
              "SELECT model FROM usage_minute WHERE key_id = 1 ORDER BY bucket_start DESC LIMIT 1")) {
        v.put("model", r.next() ? r.getString(1) : AdminSeed.MODELS.get(0));
      }
      try (ResultSet r =
          s.executeQuery(
              "SELECT occurred_at FROM error_event WHERE key_id = 1 ORDER BY occurred_at DESC"
                  + " LIMIT 1 OFFSET 50")) {
        if (r.next()) {
          v.put(
              "error_ts",
              r.getTimestamp(1)
                  .toInstant()
                  .plusSeconds(7)
                  .truncatedTo(ChronoUnit.SECONDS)
                  .toString());
        }
      }
    }
    Instant now = Instant.now().truncatedTo(ChronoUnit.MINUTES);
    v.put("now", now.toString());
    v.put("from_1h", now.minus(Duration.ofHours(1)).toString());
    v.put("from_7d", now.minus(Duration.ofDays(7)).toString());
    v.put("from_30d", now.minus(Duration.ofDays(30)).toString());
    return v;
  }

  /**
   * The cursor that starts the deep page ((deep_page - 1) * 100 keys in), reached by following
   * next_cursor with limit=1000: the way a client gets there. Null when the cursor list is missing.
   */
  private static String cursorAtDepth(Caller caller, long deepPage)
      throws IOException, InterruptedException {
    long depth = (deepPage - 1) * 100;
    String cursor = null;
    long walked = 0;
    while (walked < depth) {
      int step = (int) Math.min(1000, depth - walked);
      String path =
          "/admin/v1/keys?limit=" + step + (cursor == null ? "" : "&cursor=" + encode(cursor));
      HttpResponse<byte[]> response = caller.get(path);
      if (response.statusCode() / 100 != 2) {
        System.out.printf("cursor walk: %s answered HTTP %d%n", path, response.statusCode());
        return null;
      }
      JsonNode next = JSON.readTree(response.body()).path("next_cursor");
      if (next.isMissingNode() || next.isNull()) {
        System.out.printf("cursor walk: the list ended after %d keys%n", walked + step);
        return null;
      }
      cursor = next.asText();
      walked += step;
    }
    return cursor == null ? null : encode(cursor);
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private static String fill(String template, Map<String, String> values) {
    String result = template;
    for (var e : values.entrySet()) {
      if (e.getValue() != null) {
        result = result.replace("{" + e.getKey() + "}", e.getValue());
      }
    }
    return result;
  }

  private static void write(Path out, ObjectNode line) throws IOException {
    Files.writeString(
        out,
        JSON.writeValueAsString(line) + "\n",
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  /** Markdown: one row per endpoint, one p50/p99 pair per label, the p99 ratio to the baseline. */
  private static void table(String[] args) throws IOException {
    Map<String, String> o = options(args, 2);
    Path file = Path.of(args[1]);
    List<String> labels = new ArrayList<>();
    Map<String, Map<String, JsonNode>> rows = new LinkedHashMap<>();
    for (String text : Files.readAllLines(file)) {
      if (text.isBlank()) {
        continue;
      }
      JsonNode line = JSON.readTree(text);
      String label = line.get("label").asText();
      if (!labels.contains(label)) {
        labels.add(label);
      }
      String endpoint = line.get("endpoint").asText().replaceAll(" \\(\\d+\\)$", "");
      rows.computeIfAbsent(endpoint, k -> new LinkedHashMap<>()).put(label, line);
    }
    String baseline = o.getOrDefault("--baseline", labels.isEmpty() ? "" : labels.get(0));
    var header = new StringBuilder("| endpoint |");
    var rule = new StringBuilder("|---|");
    for (String label : labels) {
      header.append(' ').append(label).append(" p50 | ").append(label).append(" p99 |");
      rule.append("---:|---:|");
    }
    for (String label : labels) {
      if (!label.equals(baseline)) {
        header.append(" p99 ").append(label).append(" / ").append(baseline).append(" |");
        rule.append("---:|");
      }
    }
    System.out.println(header);
    System.out.println(rule);
    for (var row : rows.entrySet()) {
      var line = new StringBuilder("| ").append(row.getKey()).append(" |");
      for (String label : labels) {
        JsonNode n = row.getValue().get(label);
        if (n == null) {
          line.append(" – | – |");
        } else if (!n.has("p99_ms")) {
          line.append(' ').append(n.get("status").asText()).append(" | |");
        } else {
          line.append(
              String.format(
                  Locale.ROOT,
                  " %.2f ms | %.2f ms",
                  n.get("p50_ms").asDouble(),
                  n.get("p99_ms").asDouble()));
          line.append(
              n.get("status").asText().equals("ok")
                  ? " |"
                  : " (" + n.get("status").asText() + ") |");
        }
      }
      JsonNode base = row.getValue().get(baseline);
      for (String label : labels) {
        if (label.equals(baseline)) {
          continue;
        }
        JsonNode n = row.getValue().get(label);
        if (base != null && n != null && base.has("p99_ms") && n.has("p99_ms")) {
          line.append(
              String.format(
                  Locale.ROOT,
                  " %.2f× |",
                  n.get("p99_ms").asDouble() / base.get("p99_ms").asDouble()));
        } else {
          line.append(" |");
        }
      }
      System.out.println(line);
    }
  }

  private static Map<String, String> options(String[] args, int from) {
    Map<String, String> o = new LinkedHashMap<>();
    for (int i = from; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        System.err.println("admin-api-bench: bad argument " + args[i]);
        System.exit(2);
      }
      o.put(args[i], args[++i]);
    }
    return o;
  }

  private static String require(Map<String, String> o, String name) {
    String value = o.get(name);
    if (value == null) {
      System.err.println("admin-api-bench: " + name + " is required");
      System.exit(2);
    }
    return value;
  }

  /** GETs with the operator token; the body is read whole so the timing covers it. */
  private record Caller(HttpClient client, String base, String token) {

    HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
      var request =
          HttpRequest.newBuilder(URI.create(base + path))
              .header("Authorization", "Bearer " + token)
              .timeout(Duration.ofSeconds(30))
              .GET()
              .build();
      return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    int status(String path) throws IOException, InterruptedException {
      try {
        return get(path).statusCode();
      } catch (java.net.http.HttpTimeoutException e) {
        return 599;
      }
    }
  }
}
