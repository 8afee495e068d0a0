package dev.tollgate.dataplane.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.bench.console.HeadlessChromium;
import dev.tollgate.bench.stub.StubUpstream;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operators' console in a real browser (Debian's chromium, headless, through WebDriver),
 * against a control plane and a data plane started from their jars, on a database of 10,000 keys:
 * sign in, find a key by search with the keyboard only, page through, disable it and see the data
 * plane refuse it, see the overview chart move after traffic, see that a viewer is offered no
 * action and that the API refuses a viewer's change anyway, see a provider key's circuit open.
 * Screenshots of every page go to {@code target/console-screenshots/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path SHOTS = Path.of("target", "console-screenshots");
  private static final int SEEDED_KEYS = 10_000;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static GatewayProcesses gateway;
  private static Vertx vertx;
  private static HeadlessChromium chromium;
  private static ChromeDriver browser;
  private static final int dpPort = GatewayProcesses.freePort();
  private static String console;
  private static long userId;
  private static long groupId;
  private static long providerKeyId;
  private static long keyId;
  private static String keyName;
  private static String keySecret;

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(SHOTS);
    vertx = Vertx.vertx();
    int stubPort = GatewayProcesses.freePort();
    StubUpstream.deploy(vertx, stubPort, 1, "sk-console-e2e")
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    gateway = new GatewayProcesses();
    gateway.createDatabase();
    gateway.startControlPlane();
    console = "http://127.0.0.1:" + gateway.cpPort;

    userId = post("/admin/v1/users", "{\"name\":\"console-e2e\"}").get("id").asLong();
    groupId =
        post(
                "/admin/v1/provider-groups",
                "{\"name\":\"console-e2e\",\"platform\":\"openai\",\"models\":[\"gpt-4o-mini\"]}")
            .get("id")
            .asLong();
    providerKeyId =
        post(
                "/admin/v1/provider-keys",
                "{\"group_id\":"
                    + groupId
                    + ",\"base_url\":\"http://127.0.0.1:"
                    + stubPort
                    + "/v1\",\"secret\":\"sk-console-e2e\"}")
            .get("id")
            .asLong();
    // 10,000 keys in one statement (the listing and count triggers follow each row), in one
    // config revision the data plane loads at start; then the key the test looks for.
    gateway.execute(
        "WITH rev AS (UPDATE config_state SET revision = revision + 1 WHERE id = 1"
            + " RETURNING revision)"
            + " INSERT INTO api_key (user_id, name, prefix, token_hash, status, config_revision,"
            + " created_at)"
            + " SELECT "
            + userId
            + ", 'seeded-' || lpad(i::text, 5, '0'), 'tg-' || substr(md5(i::text), 1, 8),"
            + " encode(sha256(('seeded-secret-' || i)::bytea), 'hex'),"
            + " CASE WHEN i % 10 = 0 THEN 'disabled' ELSE 'active' END, rev.revision,"
            + " now() - make_interval(mins => i)"
            + " FROM generate_series(1, "
            + SEEDED_KEYS
            + ") i, rev");
    keyName = "needle-" + UUID.randomUUID().toString().substring(0, 8);
    JsonNode key =
        post(
            "/admin/v1/keys",
            "{\"user_id\":"
                + userId
                + ",\"name\":\""
                + keyName
                + "\",\"group_ids\":["
                + groupId
                + "]}");
    keyId = key.get("id").asLong();
    keySecret = key.get("key").asText();
    gateway.startDataPlane(dpPort, Duration.ofSeconds(1));
    chromium = new HeadlessChromium(1280, 900);
    browser = chromium.driver();
  }

  @AfterAll
  static void stop() {
    if (chromium != null) {
      chromium.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (vertx != null) {
      vertx.close();
    }
  }

  @Test
  @Order(1)
  void signsInWithAnOperatorTokenAndKeepsItOutOfScriptsReach() {
    // Given a browser that is not signed in, When it opens the keys page
    browser.get(console + "/console/keys");

    // Then it is sent to the sign-in form, which takes the token and returns to the keys page
    awaitUrl("/console/sign-in");
    shot("sign-in");
    browser.findElement(By.id("token")).sendKeys(gateway.adminToken, Keys.ENTER);
    awaitUrl("/console/keys");
    awaitReady();
    assertThat(text("#who-name")).contains("bootstrap (admin)");

    // And the session is an HttpOnly cookie: no script sees it, nothing is in web storage
    assertThat((String) script("return document.cookie")).doesNotContain("tollgate_console");
    assertThat((Long) script("return localStorage.length + sessionStorage.length")).isZero();
    assertThat(browser.manage().getCookieNamed("tollgate_console").isHttpOnly()).isTrue();
  }

  @Test
  @Order(2)
  void pagesThroughTenThousandKeys() {
    browser.get(console + "/console/keys");
    awaitReady();
    assertThat(text(".pager .count")).contains("of 201").contains("10,001 in all");
    String firstOfPageOne = text("#key-results tbody tr td");
    shot("keys");

    browser.findElement(By.cssSelector(".pager a[rel=next]")).click();
    awaitReady();

    assertThat(browser.getCurrentUrl()).endsWith("/console/keys?page=2");
    assertThat(rows()).hasSize(50);
    assertThat(text("#key-results tbody tr td")).isNotEqualTo(firstOfPageOne);
    assertThat(text(".pager .count")).startsWith("Page 2 of 201");
  }

  @Test
  @Order(3)
  void findsAKeyAmongTenThousandBySearchWithTheKeyboardOnly() {
    // Given the keys page, with the focus at the top
    browser.get(console + "/console/keys");
    awaitReady();

    // When the operator tabs to the search field, types the name and presses Enter
    Actions keys = new Actions(browser);
    for (int i = 0; i < 60 && !"search".equals(focusedName()); i++) {
      keys.sendKeys(Keys.TAB).perform();
    }
    assertThat(focusedName()).as("the search field is reachable with Tab").isEqualTo("search");
    keys.sendKeys(keyName.substring(0, 10), Keys.ENTER).perform();
    awaitReady();

    // Then the URL holds the search (a shareable view) and the one key is listed
    assertThat(browser.getCurrentUrl()).contains("search=" + keyName.substring(0, 10));
    assertThat(rows()).hasSize(1);
    assertThat(text("#key-results tbody tr td")).isEqualTo(keyName);
    shot("keys-search");

    // And reloading the URL shows the same view
    browser.navigate().refresh();
    awaitReady();
    assertThat(rows()).hasSize(1);
  }

  @Test
  @Order(4)
  void theOverviewChartMovesAfterTrafficThroughTheDataPlane() throws Exception {
    // Given the overview before any traffic
    browser.get(console + "/console");
    awaitReady();
    assertThat(chartTotals()).isEqualTo("0,0");

    // When 12 requests succeed through the data plane
    awaitDataPlaneStatus(keySecret, 200, Duration.ofSeconds(60));
    for (int i = 0; i < 11; i++) {
      assertThat(chat(keySecret).statusCode()).isEqualTo(200);
    }

    // Then, once the data plane has flushed, the chart shows them as successes
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!chartTotals().startsWith("12,") && System.nanoTime() < deadline) {
      Thread.sleep(500);
      browser.navigate().refresh();
      awaitReady();
    }
    assertThat(chartTotals()).as("successes,failures in the chart").startsWith("12,");
    assertThat(browser.findElements(By.cssSelector("#usage-chart rect.ok"))).isNotEmpty();
    shot("overview");
  }

  @Test
  @Order(5)
  void disablingAKeyAfterConfirmationMakesTheDataPlaneRefuseIt() throws Exception {
    // Given the key's page
    browser.get(console + "/console/keys/" + keyId);
    awaitReady();
    awaitText(".facts", "12 succeeded");
    shot("key");

    // When Disable is pressed, first cancelled, then confirmed
    button("Disable").click();
    browser.findElement(By.cssSelector("dialog.confirm button[value=cancel]")).click();
    assertThat(api("/admin/v1/keys/" + keyId).get("status").asText()).isEqualTo("active");
    button("Disable").click();
    assertThat(text("dialog.confirm h2")).contains("Disable key " + keyName);
    shot("key-confirm");
    browser.findElement(By.cssSelector("dialog.confirm button[value=ok]")).click();

    // Then the page shows it disabled and the data plane refuses it within seconds
    awaitText(".facts", "disabled");
    assertThat(api("/admin/v1/keys/" + keyId).get("status").asText()).isEqualTo("disabled");
    awaitDataPlaneStatus(keySecret, 401, Duration.ofSeconds(5));
  }

  @Test
  @Order(6)
  void aViewerSeesNoActionAndTheApiStillRefusesAChange() throws Exception {
    String viewerToken =
        post("/admin/v1/operator-tokens", "{\"name\":\"console-viewer\",\"role\":\"viewer\"}")
            .get("token")
            .asText();
    try (HeadlessChromium other = new HeadlessChromium(1280, 900)) {
      ChromeDriver viewer = other.driver();
      viewer.get(console + "/console/sign-in#token=" + viewerToken);
      new WebDriverWait(viewer, Duration.ofSeconds(30))
          .until(d -> d.getCurrentUrl().endsWith("/console"));
      assertThat(viewer.getCurrentUrl()).doesNotContain(viewerToken);

      // Every page a viewer can read shows no action: no button but the filters' and the pager's,
      // no create or edit form, and no link to the operator tokens
      for (String page :
          List.of(
              "/console/keys/" + keyId,
              "/console/keys",
              "/console/users",
              "/console/users/" + userId,
              "/console/providers?group=" + groupId,
              "/console/provider-keys/" + providerKeyId)) {
        viewer.get(console + page);
        awaitReady(viewer);
        assertThat(viewer.findElements(By.cssSelector("#main .problem"))).as(page).isEmpty();
        assertThat(
                viewer.findElements(By.cssSelector("#main button, #main summary")).stream()
                    .filter(WebElement::isDisplayed)
                    .map(WebElement::getText))
            .as("actions a viewer sees on " + page)
            .allMatch(label -> label.equals("Apply") || label.equals("Go"));
        assertThat(
                viewer.findElements(By.cssSelector(".admin-only")).stream()
                    .filter(WebElement::isDisplayed))
            .as(page)
            .isEmpty();
        assertThat(
                viewer.findElement(By.cssSelector("#nav a[href='/console/tokens']")).isDisplayed())
            .isFalse();
      }
      viewer.get(console + "/console/keys/" + keyId);
      awaitReady(viewer);
      awaitText(viewer, ".facts", "disabled");
      screenshot(viewer, "key-viewer");

      // When the viewer's session tries a change anyway (its own CSRF token, from the page)
      @SuppressWarnings("unchecked")
      List<Object> refusal =
          (List<Object>)
              viewer.executeAsyncScript(
                  "const done = arguments[arguments.length - 1];"
                      + " fetch('/console/session').then((r) => r.json())"
                      + ".then((s) => fetch('/admin/v1/keys/"
                      + keyId
                      + "', { method: 'PATCH', headers: { 'Content-Type': 'application/json',"
                      + " 'X-CSRF-Token': s.csrf_token }, body: '{\"status\":\"active\"}' }))"
                      + ".then((r) => r.json().then((p) => done([r.status, p.detail])))"
                      + ".catch((e) => done([0, String(e)]));");

      // Then the API refuses it, naming the role
      assertThat(((Number) refusal.get(0)).intValue()).isEqualTo(403);
      assertThat((String) refusal.get(1)).contains("viewer");
    }
    assertThat(api("/admin/v1/keys/" + keyId).get("status").asText()).isEqualTo("disabled");
  }

  @Test
  @Order(7)
  void everyPageRendersWithoutAProblem() throws Exception {
    List<String[]> pages =
        List.of(
            new String[] {"users", "/console/users"},
            new String[] {"user", "/console/users/" + userId},
            new String[] {"providers", "/console/providers?group=" + groupId},
            new String[] {"provider-key", "/console/provider-keys/" + providerKeyId},
            new String[] {"errors", "/console/errors"},
            new String[] {"audit", "/console/audit"},
            new String[] {"tokens", "/console/tokens"},
            new String[] {"overview-1h", "/console?step=1h"});
    for (String[] page : pages) {
      browser.get(console + page[1]);
      awaitReady();
      assertThat(browser.findElements(By.cssSelector("#main .problem")))
          .as(page[0] + " shows no problem")
          .isEmpty();
      shot(page[0]);
    }
    // And at a phone's width
    browser.manage().window().setSize(new Dimension(390, 844));
    try {
      browser.get(console + "/console/keys?status=disabled");
      awaitReady();
      assertThat(rows()).isNotEmpty();
      shot("keys-phone");
    } finally {
      browser.manage().window().setSize(new Dimension(1280, 900));
    }
  }

  @Test
  @Order(8)
  void theProvidersPageShowsACircuitTheDataPlaneOpened() throws Exception {
    // Given a usable key, and its provider key failing upstream (500) until the data plane opens
    // its circuit and answers 503 itself (at 50 % errors of the last 20 tries, at least 5)
    JsonNode key =
        post(
            "/admin/v1/keys",
            "{\"user_id\":"
                + userId
                + ",\"name\":\"circuit-e2e\",\"group_ids\":["
                + groupId
                + "]}");
    String secret = key.get("key").asText();
    awaitDataPlaneStatus(secret, 200, Duration.ofSeconds(10));
    int failures = 0;
    int status = 0;
    while (failures < 20
        && (status = chat(secret, ",\"x_stub\":{\"status\":500}").statusCode()) == 500) {
      failures++;
    }
    assertThat(status).as("after %d upstream 500s", failures).isEqualTo(503);
    assertThat(failures).isGreaterThanOrEqualTo(1);

    // When the providers page is shown (the data plane flushes every second)
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      browser.get(console + "/console/providers?group=" + groupId);
      awaitReady();
      if (!browser.findElements(By.cssSelector("#main .circuit-open")).isEmpty()
          || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(500);
    }

    // Then the provider key's circuit shows open, with its errors in a row
    assertThat(text("#main .circuit-open")).isEqualTo("open");
    assertThat(
            browser
                .findElements(By.cssSelector("#main td[data-label='Errors in a row']"))
                .get(0)
                .getText())
        .isEqualTo(String.valueOf(failures));
    shot("providers-circuit-open");
    browser.get(console + "/console/provider-keys/" + providerKeyId);
    awaitReady();
    awaitText(".facts", "1 data plane reporting");
    assertThat(text("#main .circuit-open")).isEqualTo("open");
    shot("provider-key-circuit-open");
  }

  // --- helpers -------------------------------------------------------------------------------

  private static String chartTotals() {
    return browser
        .findElement(By.cssSelector("#usage-chart .sr-total"))
        .getDomAttribute("data-total");
  }

  private static void awaitReady() {
    awaitReady(browser);
  }

  private static void awaitReady(ChromeDriver driver) {
    new WebDriverWait(driver, Duration.ofSeconds(30))
        .until(
            d ->
                "ready"
                    .equals(
                        ((JavascriptExecutor) d)
                            .executeScript(
                                "const m = document.getElementById('main');"
                                    + " return m && m.dataset.state")));
  }

  private static void awaitUrl(String path) {
    new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> d.getCurrentUrl().contains(path));
  }

  private static void awaitText(String css, String text) {
    awaitText(browser, css, text);
  }

  private static void awaitText(ChromeDriver driver, String css, String text) {
    new WebDriverWait(driver, Duration.ofSeconds(15))
        .until(
            d ->
                d.findElements(By.cssSelector(css)).stream()
                    .anyMatch(e -> e.getText().contains(text)));
  }

  private static WebElement button(String label) {
    return browser.findElements(By.cssSelector("#main button")).stream()
        .filter(b -> b.getText().equals(label))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no button " + label));
  }

  private static List<WebElement> rows() {
    return browser.findElements(By.cssSelector("#key-results tbody tr"));
  }

  private static String text(String css) {
    return browser.findElement(By.cssSelector(css)).getText();
  }

  private static String focusedName() {
    return (String) script("return document.activeElement && document.activeElement.name");
  }

  private static Object script(String js) {
    return ((JavascriptExecutor) browser).executeScript(js);
  }

  private static void shot(String name) {
    screenshot(browser, name);
  }

  /** The whole page, beyond the window's height (Chrome DevTools' captureBeyondViewport). */
  @SuppressWarnings("unchecked")
  private static void screenshot(ChromeDriver driver, String name) {
    Map<String, Object> metrics = driver.executeCdpCommand("Page.getLayoutMetrics", Map.of());
    Map<String, Object> size = (Map<String, Object>) metrics.get("cssContentSize");
    Map<String, Object> shot =
        driver.executeCdpCommand(
            "Page.captureScreenshot",
            Map.of(
                "format",
                "png",
                "captureBeyondViewport",
                true,
                "clip",
                Map.of(
                    "x", 0,
                    "y", 0,
                    "width", ((Number) size.get("width")).doubleValue(),
                    "height", Math.min(((Number) size.get("height")).doubleValue(), 8000),
                    "scale", 1)));
    try {
      Files.write(
          SHOTS.resolve(name + ".png"), Base64.getDecoder().decode((String) shot.get("data")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode post(String path, String body) throws Exception {
    return JSON.readTree(gateway.admin("POST", path, body, 201));
  }

  private static JsonNode api(String path) throws Exception {
    return JSON.readTree(gateway.admin("GET", path, null, 200));
  }

  private static HttpResponse<String> chat(String secret) throws Exception {
    return chat(secret, "");
  }

  /** A chat completion; {@code more} adds top-level members to the body (",\"x\":1"). */
  private static HttpResponse<String> chat(String secret, String more) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dpPort + "/v1/chat/completions"))
            .header("Authorization", "Bearer " + secret)
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(30))
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"model\":\"gpt-4o-mini\",\"max_tokens\":1,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
                        + more
                        + "}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void awaitDataPlaneStatus(String secret, int status, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    int last = -1;
    while (System.nanoTime() < deadline) {
      last = chat(secret).statusCode();
      if (last == status) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the data plane answered " + last + ", not " + status);
  }
}
