package dev.tollgate.bench.console;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Times the console in headless chromium: from navigation start to the view fully rendered with its
 * data (the console marks {@code console-ready} with the Performance API once the page's API
 * answers are in the DOM), read from the browser's own clock, so WebDriver's round trips are not
 * counted.
 *
 * <p>Scenarios: the keys page (first page of 50), a search by a key's prefix, and a filtered search
 * (a name substring and a status). Each is loaded {@code --warmup} times untimed, then {@code
 * --loads} times; every load is a full navigation (page, cached assets, session and list calls).
 * Prints one JSON line per scenario; exits 1 when a load rendered a problem instead.
 */
public final class ConsoleLoadBench {

  private ConsoleLoadBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length >= 2 && args[0].equals("table")) {
      System.out.print(table(Files.readAllLines(Path.of(args[1]))));
      return;
    }
    Map<String, String> o = options(args);
    String url = required(o, "--url");
    String token = required(o, "--token");
    int loads = Integer.parseInt(o.getOrDefault("--loads", "50"));
    int warmup = Integer.parseInt(o.getOrDefault("--warmup", "5"));
    String label = o.getOrDefault("--label", "");
    Map<String, String> scenarios = new LinkedHashMap<>();
    scenarios.put("keys page", "/console/keys");
    if (o.containsKey("--prefix")) {
      scenarios.put("search by prefix", "/console/keys?search=" + encode(o.get("--prefix")));
    }
    if (o.containsKey("--search")) {
      scenarios.put(
          "filtered search",
          "/console/keys?search=" + encode(o.get("--search")) + "&status=active");
    }
    List<String> lines = new ArrayList<>();
    boolean failed = false;
    try (HeadlessChromium chromium = new HeadlessChromium(1280, 900)) {
      ChromeDriver driver = chromium.driver();
      signIn(driver, url, token);
      for (var scenario : scenarios.entrySet()) {
        Histogram ms = new Histogram(60_000_000L, 3);
        int rows = -1;
        for (int i = 0; i < warmup + loads; i++) {
          Load load = load(driver, url + scenario.getValue());
          if (load.problem != null) {
            System.err.println(scenario.getKey() + ": the page showed a problem: " + load.problem);
            failed = true;
            break;
          }
          rows = load.rows;
          if (i >= warmup) {
            ms.recordValue(Math.round(load.millis * 1000));
          }
        }
        String line =
            String.format(
                Locale.ROOT,
                "{\"label\":\"%s\",\"scenario\":\"%s\",\"loads\":%d,\"rows\":%d,"
                    + "\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f,\"mean_ms\":%.1f}",
                label,
                scenario.getKey(),
                ms.getTotalCount(),
                rows,
                ms.getValueAtPercentile(50) / 1000.0,
                ms.getValueAtPercentile(99) / 1000.0,
                ms.getMaxValue() / 1000.0,
                ms.getMean() / 1000.0);
        System.out.println(line);
        lines.add(line);
      }
    }
    if (o.containsKey("--json-out")) {
      Files.write(
          Path.of(o.get("--json-out")),
          lines,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
    System.exit(failed ? 1 : 0);
  }

  private static final java.util.regex.Pattern FIELD =
      java.util.regex.Pattern.compile("\"(label|scenario|p50_ms|p99_ms)\":\"?([^\",}]*)");

  /**
   * A Markdown table of the JSON lines: per scenario, p50 and p99 of each label side by side (in
   * the order they ran), and the p99 of the last label over the first's.
   */
  static String table(List<String> lines) {
    Map<String, Map<String, String[]>> byScenario = new LinkedHashMap<>();
    List<String> labels = new ArrayList<>();
    for (String line : lines) {
      Map<String, String> f = new LinkedHashMap<>();
      var m = FIELD.matcher(line);
      while (m.find()) {
        f.put(m.group(1), m.group(2));
      }
      if (!labels.contains(f.get("label"))) {
        labels.add(f.get("label"));
      }
      byScenario
          .computeIfAbsent(f.get("scenario"), k -> new LinkedHashMap<>())
          .put(f.get("label"), new String[] {f.get("p50_ms"), f.get("p99_ms")});
    }
    var out = new StringBuilder("| scenario |");
    labels.forEach(l -> out.append(" p50 ").append(l).append(" | p99 ").append(l).append(" |"));
    out.append(" p99 ").append(labels.get(labels.size() - 1)).append(" / ").append(labels.get(0));
    out.append(" |\n|---|").append("---:|".repeat(labels.size() * 2 + 1)).append('\n');
    byScenario.forEach(
        (scenario, byLabel) -> {
          out.append("| ").append(scenario).append(" |");
          for (String label : labels) {
            String[] v = byLabel.getOrDefault(label, new String[] {"–", "–"});
            out.append(' ').append(v[0]).append(" ms | ").append(v[1]).append(" ms |");
          }
          String[] first = byLabel.get(labels.get(0));
          String[] last = byLabel.get(labels.get(labels.size() - 1));
          out.append(
              first == null || last == null
                  ? " – |"
                  : String.format(
                      Locale.ROOT,
                      " %.2f |",
                      Double.parseDouble(last[1]) / Double.parseDouble(first[1])));
          out.append('\n');
        });
    return out.toString();
  }

  /** Signs in through the console's own form, as an operator would. */
  static void signIn(ChromeDriver driver, String url, String token) {
    driver.get(url + "/console/sign-in");
    new WebDriverWait(driver, Duration.ofSeconds(30))
        .until(d -> !d.findElements(By.id("token")).isEmpty());
    driver.findElement(By.id("token")).sendKeys(token);
    driver.findElement(By.cssSelector("form.sign-in button[type=submit]")).click();
    new WebDriverWait(driver, Duration.ofSeconds(60))
        .until(d -> !d.getCurrentUrl().contains("/sign-in"));
  }

  private record Load(double millis, int rows, String problem) {}

  private static Load load(ChromeDriver driver, String url) {
    driver.get(url);
    new WebDriverWait(driver, Duration.ofSeconds(60))
        .until(
            d ->
                "ready"
                    .equals(
                        ((JavascriptExecutor) d)
                            .executeScript(
                                "return document.getElementById('main').dataset.state")));
    Object[] result =
        ((List<?>)
                ((JavascriptExecutor) driver)
                    .executeScript(
                        "const m = performance.getEntriesByName('console-ready')[0];"
                            + " const p = document.querySelector('#main .problem');"
                            + " return [m ? m.startTime : -1,"
                            + " document.querySelectorAll('#main tbody tr').length,"
                            + " p ? p.textContent : null];"))
            .toArray();
    return new Load(
        ((Number) result[0]).doubleValue(), ((Number) result[1]).intValue(), (String) result[2]);
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private static String required(Map<String, String> o, String name) {
    String value = o.get(name);
    if (value == null) {
      System.err.println(
          "usage: ConsoleLoadBench --url http://127.0.0.1:PORT --token OPERATOR_TOKEN"
              + " [--loads 50] [--warmup 5] [--prefix tg-…] [--search TEXT] [--label L]"
              + " [--json-out FILE]");
      System.exit(2);
    }
    return value;
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> o = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected an option, got " + args[i]);
      }
      o.put(args[i], args[i + 1]);
    }
    return o;
  }
}
