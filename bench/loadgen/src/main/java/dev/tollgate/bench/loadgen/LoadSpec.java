package dev.tollgate.bench.loadgen;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one load run sends, how, and for how long: parsed from the command line, validated once,
 * then immutable.
 *
 * @param url the absolute {@code http://} URL every request goes to
 * @param method the HTTP method
 * @param headers request headers in the order given; {@code Content-Type: application/json} is
 *     added when a body is sent without one
 * @param body the request body, empty for none
 * @param mode fixed rate (open loop) or saturation (closed loop)
 * @param ratePerSecond requests per second in {@link Mode#FIXED}; unused in saturation
 * @param connections the most connections open at once (fixed rate), or exactly this many
 *     connections each sending back-to-back (saturation)
 * @param warmup time run at the same load before measuring; its requests are not recorded
 * @param duration the measured time
 * @param timeout a request with no bytes from the server for this long fails
 * @param eventLoops Vert.x event loops the client runs on
 * @param label the target's name in reports (e.g. {@code direct}, {@code dp})
 * @param scenario the scenario's name in reports; derived from the mode when not given
 * @param expectTail when not null, a 2xx response whose body does not end with this text (ignoring
 *     trailing whitespace) counts as an error; catches truncated streams
 * @param jsonOut when not null, the result's JSON line is also appended to this file
 */
record LoadSpec(
    URI url,
    String method,
    Map<String, String> headers,
    byte[] body,
    Mode mode,
    int ratePerSecond,
    int connections,
    Duration warmup,
    Duration duration,
    Duration timeout,
    int eventLoops,
    String label,
    String scenario,
    String expectTail,
    Path jsonOut) {

  /** How load is offered. */
  enum Mode {
    /** Open loop: requests start on a fixed schedule whatever the responses do. */
    FIXED,
    /** Closed loop: each connection sends its next request as soon as the previous one ends. */
    SATURATION
  }

  static final String USAGE =
      """
      usage: loadgen --url URL [options]          run load, print one JSON line and one human line
             loadgen table RESULTS.jsonl [--baseline LABEL]
                                                 print runs side by side, ratios against the baseline
                                                 (default: the first label in the file)

        --url URL               http://127.0.0.1:PORT/path (required)
        --method M              HTTP method (default POST when a body is given, else GET)
        -H, --header 'N: V'     request header, repeatable
        --body TEXT             inline request body
        --body-file PATH        request body from a file
        --mode fixed|saturation fixed: open loop at --rate, latency measured from each request's
                                intended start (coordinated omission corrected);
                                saturation: closed loop, --connections each back-to-back
        --rate N                requests per second in fixed mode (default 1000)
        --connections N         max connections (fixed, default 32) or exact connections
                                (saturation, default 32)
        --warmup S              seconds at the same load before measuring (default 3)
        --duration S            measured seconds (default 10)
        --timeout S             per-request idle timeout in seconds (default 10)
        --event-loops N         client event loops (default 1)
        --label NAME            target name in the report (default: host:port)
        --scenario NAME         scenario name in the report (default: from mode and load)
        --expect-tail TEXT      a 2xx body must end with TEXT, else it counts as an error
        --json-out PATH         also append the JSON line to PATH
      """;

  /** A command line that cannot run; the message says what is wrong. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }

  static LoadSpec parse(String... args) throws UsageException {
    URI url = null;
    String method = null;
    Map<String, String> headers = new LinkedHashMap<>();
    byte[] body = new byte[0];
    Mode mode = Mode.FIXED;
    int rate = 1000;
    int connections = 32;
    double warmup = 3;
    double duration = 10;
    double timeout = 10;
    int eventLoops = 1;
    String label = null;
    String scenario = null;
    String expectTail = null;
    Path jsonOut = null;
    List<String> rest = new ArrayList<>(List.of(args));
    while (!rest.isEmpty()) {
      String flag = rest.remove(0);
      if (flag.equals("-h") || flag.equals("--help")) {
        throw new UsageException("");
      }
      if (rest.isEmpty()) {
        throw new UsageException("missing value after " + flag);
      }
      String value = rest.remove(0);
      switch (flag) {
        case "--url" -> url = parseUrl(value);
        case "--method" -> method = value.toUpperCase(Locale.ROOT);
        case "-H", "--header" -> {
          int colon = value.indexOf(':');
          if (colon <= 0) {
            throw new UsageException("header must look like 'Name: value', got: " + value);
          }
          headers.put(value.substring(0, colon).trim(), value.substring(colon + 1).trim());
        }
        case "--body" -> body = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        case "--body-file" -> {
          try {
            body = Files.readAllBytes(Path.of(value));
          } catch (IOException e) {
            throw new UsageException("cannot read --body-file " + value + ": " + e.getMessage());
          }
        }
        case "--mode" -> mode = parseMode(value);
        case "--rate" -> rate = positiveInt(flag, value);
        case "--connections" -> connections = positiveInt(flag, value);
        case "--warmup" -> warmup = seconds(flag, value, true);
        case "--duration" -> duration = seconds(flag, value, false);
        case "--timeout" -> timeout = seconds(flag, value, false);
        case "--event-loops" -> eventLoops = positiveInt(flag, value);
        case "--label" -> label = value;
        case "--scenario" -> scenario = value;
        case "--expect-tail" -> expectTail = value.strip();
        case "--json-out" -> jsonOut = Path.of(value);
        default -> throw new UsageException("unknown option " + flag);
      }
    }
    if (url == null) {
      throw new UsageException("--url is required");
    }
    if (method == null) {
      method = body.length > 0 ? "POST" : "GET";
    }
    if (body.length > 0 && headers.keySet().stream().noneMatch("content-type"::equalsIgnoreCase)) {
      headers.put("Content-Type", "application/json");
    }
    if (eventLoops > connections) {
      throw new UsageException("--event-loops must not exceed --connections");
    }
    if (label == null) {
      label = url.getHost() + ":" + url.getPort();
    }
    if (scenario == null) {
      scenario =
          mode == Mode.FIXED ? "fixed " + rate + "/s" : "saturation " + connections + " conns";
    }
    return new LoadSpec(
        url,
        method,
        Map.copyOf(headers),
        body,
        mode,
        rate,
        connections,
        Duration.ofMillis(Math.round(warmup * 1000)),
        Duration.ofMillis(Math.round(duration * 1000)),
        Duration.ofMillis(Math.round(timeout * 1000)),
        eventLoops,
        label,
        scenario,
        expectTail == null || expectTail.isEmpty() ? null : expectTail,
        jsonOut);
  }

  private static URI parseUrl(String value) throws UsageException {
    URI url;
    try {
      url = URI.create(value);
    } catch (IllegalArgumentException e) {
      throw new UsageException("bad --url: " + e.getMessage());
    }
    if (!"http".equals(url.getScheme()) || url.getHost() == null || url.getPort() < 0) {
      throw new UsageException("--url must be http://HOST:PORT/path, got: " + value);
    }
    return url;
  }

  private static Mode parseMode(String value) throws UsageException {
    return switch (value) {
      case "fixed" -> Mode.FIXED;
      case "saturation" -> Mode.SATURATION;
      default -> throw new UsageException("--mode must be fixed or saturation, got: " + value);
    };
  }

  private static int positiveInt(String flag, String value) throws UsageException {
    try {
      int n = Integer.parseInt(value);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException(flag + " must be a positive integer, got: " + value);
  }

  private static double seconds(String flag, String value, boolean zeroAllowed)
      throws UsageException {
    try {
      double s = Double.parseDouble(value);
      // Bounded so a typo cannot leave a load run going for hours.
      if ((s > 0 || (zeroAllowed && s == 0)) && s <= 3600) {
        return s;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException(flag + " must be seconds in (0, 3600], got: " + value);
  }

  /** The path and query the request line carries. */
  String requestUri() {
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    return url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
  }
}
