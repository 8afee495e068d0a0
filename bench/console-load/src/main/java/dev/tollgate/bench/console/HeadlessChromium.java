package dev.tollgate.bench.console;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's chromium, headless, driven through Debian's chromedriver (apt packages {@code chromium}
 * and {@code chromium-driver}; {@code scripts/test.sh} installs them). Both paths are given
 * explicitly, so Selenium never starts Selenium Manager, which would try to download a browser or
 * driver. The flags keep Chromium off the network (no background updates, sync, or component
 * downloads) and let it run as root in a container; each instance has a fresh profile, removed by
 * {@link #close}.
 */
public final class HeadlessChromium implements AutoCloseable {

  /** Where Debian installs the browser (env TOLLGATE_CHROMIUM overrides). */
  public static final String BROWSER =
      System.getenv().getOrDefault("TOLLGATE_CHROMIUM", "/usr/bin/chromium");

  /** Where Debian installs its driver (env TOLLGATE_CHROMEDRIVER overrides). */
  public static final String DRIVER =
      System.getenv().getOrDefault("TOLLGATE_CHROMEDRIVER", "/usr/bin/chromedriver");

  private final Path profile;
  private final ChromeDriver driver;

  /** A browser whose window is {@code width} × {@code height} CSS pixels. */
  public HeadlessChromium(int width, int height) throws IOException {
    if (!new File(BROWSER).canExecute() || !new File(DRIVER).canExecute()) {
      throw new IllegalStateException(
          "Debian's chromium and chromedriver are needed at "
              + BROWSER
              + " and "
              + DRIVER
              + ": apt-get install chromium chromium-driver (scripts/test.sh does)");
    }
    profile = Files.createTempDirectory("tollgate-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BROWSER);
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--password-store=basic",
        "--window-size=" + width + "," + height,
        "--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(DRIVER))
            .usingAnyFreePort()
            .build();
    driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
  }

  public ChromeDriver driver() {
    return driver;
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      } catch (IOException e) {
        System.err.println("could not remove " + profile + ": " + e.getMessage());
      }
    }
  }
}
