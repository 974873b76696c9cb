package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/**
 * Debian's headless Chromium driven through Debian's chromedriver (nothing is downloaded), with a
 * fresh profile under {@code target/} so no state leaks from one test into the next.
 */
final class HeadlessChromium {
  static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  static final String CHROMIUM = "/usr/bin/chromium";

  private HeadlessChromium() {}

  /** A new browser with a 1440×1040 window; the caller quits it. */
  static ChromeDriver start() throws IOException {
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
    Path profile =
        Files.createDirectories(Path.of("target", "chrome-profile-" + UUID.randomUUID()));
    ChromeOptions options =
        new ChromeOptions()
            .setBinary(CHROMIUM)
            .addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1440,1040",
                "--user-data-dir=" + profile.toAbsolutePath());
    options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER))
            .usingAnyFreePort()
            .build();
    return new ChromeDriver(service, options);
  }

  /**
   * Quits {@code driver} (null: nothing to do), failing first if the page's console logged an
   * uncaught script error: a page that throws in a path the test does not look at still fails it. A
   * refused HTTP call is logged too, and is not one.
   */
  static void quitFailingOnScriptErrors(ChromeDriver driver) {
    if (driver == null) {
      return;
    }
    try {
      List<String> uncaught =
          driver.manage().logs().get(LogType.BROWSER).getAll().stream()
              .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
              .map(LogEntry::getMessage)
              .filter(m -> m.contains("Uncaught"))
              .toList();
      assertThat(uncaught).as("uncaught script errors").isEmpty();
    } finally {
      driver.quit();
    }
  }
}
