package io.tally.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.tally.core.process.ProcessorConfig;
import io.tally.server.BrowserSettings;
import io.tally.server.EmbeddedTally;
import io.tally.server.ServerConfig;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The one-line web integration in a real browser: a page served from another origin (allowed by
 * CORS) carries {@code <script src=".../tally.js" data-entity=… async>}; headless Chromium loads
 * it N times and the count goes up by exactly N. A page from an origin that is not allowed counts
 * nothing. Chromium and chromedriver come from Debian ({@code .ci/run} installs them).
 */
class BeaconBrowserTest {
  private static final int VIEWS = 5;

  @TempDir Path dir;
  private HttpServer allowedSite;
  private HttpServer otherSite;
  private EmbeddedTally server;
  private ChromeDriver browser;
  private TallyClient client;

  @BeforeEach
  void start() throws IOException {
    allowedSite = site();
    otherSite = site();
    server = EmbeddedTally.start(ServerConfig.defaults(dir.resolve("data")).withPort(0)
        .withProcessor(ProcessorConfig.DEFAULTS.withFlushIntervalMillis(200))
        .withBrowser(new BrowserSettings(List.of(origin(allowedSite)))));
    client = TallyClient.builder().baseUrls(server.url()).build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    Path profile = Files.createDirectories(Path.of("target", "chromium-profile-" + System.nanoTime()).toAbsolutePath());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    client.close();
    server.close();
    allowedSite.stop(0);
    otherSite.stop(0);
  }

  /** A site on its own loopback port whose page {@code /video/<entity>} carries the beacon tag. */
  private HttpServer site() throws IOException {
    HttpServer site = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    site.createContext("/video/", exchange -> {
      String entity = exchange.getRequestURI().getPath().substring("/video/".length());
      String page = "<!doctype html><html><head><title>video</title>"
          + "<script src=\"" + server.url() + "/tally.js\" data-entity=\"" + entity + "\" data-type=\"view\" async></script>"
          + "</head><body>a video page</body></html>";
      byte[] bytes = page.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
      exchange.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    });
    site.start();
    return site;
  }

  private static String origin(HttpServer site) {
    return "http://127.0.0.1:" + site.getAddress().getPort();
  }

  private long views(String entity) {
    return client.total(entity, "view").join().count();
  }

  @Test
  void eachPageViewCountsExactlyOnce() {
    assertThat(views("video:42")).isZero();
    for (int i = 0; i < VIEWS; i++) {
      browser.get(origin(allowedSite) + "/video/video:42");
      assertThat(browser.getTitle()).isEqualTo("video");
    }
    browser.get("about:blank");

    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> views("video:42") >= VIEWS);
    sleep(1_000); // several flushes later: no view was sent or counted twice
    assertThat(views("video:42")).isEqualTo(VIEWS);
  }

  @Test
  void aPageFromAnOriginThatIsNotAllowedCountsNothing() {
    browser.get(origin(otherSite) + "/video/video:7");
    browser.get(origin(allowedSite) + "/video/video:8"); // a control that must count
    browser.get("about:blank");

    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> views("video:8") == 1);
    sleep(1_000);
    assertThat(views("video:7")).isZero();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
