package io.tally.client;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.tally.server.EmbeddedTally;
import io.tally.server.config.EffectiveConfig;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * CORS) carries {@code <script src=".../tally.js" data-entity=… async>}; headless Chromium loads it
 * N times and the count goes up by exactly N. A page from an origin that is not allowed counts
 * nothing. On a server with API keys the tag carries a publishable key ({@code data-key}): views
 * from the key's origin for entities under its prefixes count exactly once each; a wrong prefix,
 * another origin or no key count nothing (and the server says it refused them). Chromium and
 * chromedriver come from Debian ({@code .ci/run} installs them).
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
    server =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 200)
                .with(BROWSER_CORS_ORIGINS, List.of(origin(allowedSite)))
                .server());
    client = TallyClient.builder().baseUrls(server.url()).build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    Path profile =
        Files.createDirectories(
            Path.of("target", "chromium-profile-" + System.nanoTime()).toAbsolutePath());
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
        "--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File("/usr/bin/chromedriver"))
            .usingAnyFreePort()
            .build();
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

  /**
   * A site on its own loopback port whose page {@code /video/<entity>} carries the beacon tag: of
   * {@link #server}, or of the server in the {@code tally} query parameter, with the publishable
   * key of the {@code key} parameter as {@code data-key}.
   */
  private HttpServer site() throws IOException {
    HttpServer site =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    site.createContext(
        "/video/",
        exchange -> {
          String entity = exchange.getRequestURI().getPath().substring("/video/".length());
          Map<String, String> params = new HashMap<>();
          String query = exchange.getRequestURI().getRawQuery();
          for (String pair : query == null ? new String[0] : query.split("&")) {
            String[] kv = pair.split("=", 2);
            params.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
          }
          String key = params.get("key");
          String page =
              "<!doctype html><html><head><title>video</title>"
                  + "<script src=\""
                  + params.getOrDefault("tally", server.url())
                  + "/tally.js\" data-entity=\""
                  + entity
                  + "\" data-type=\"view\""
                  + (key == null ? "" : " data-key=\"" + key + "\"")
                  + " async></script>"
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

  /**
   * The page of {@code site} for {@code entity}, beaconing to {@code tally} with {@code key} (null:
   * none).
   */
  private static String page(HttpServer site, String entity, KeyedTally tally, String key) {
    return origin(site)
        + "/video/"
        + entity
        + "?tally="
        + URLEncoder.encode(tally.url(), StandardCharsets.UTF_8)
        + (key == null ? "" : "&key=" + URLEncoder.encode(key, StandardCharsets.UTF_8));
  }

  /**
   * A server with keys on that lets both sites' pages call it (CORS); the key decides what counts.
   */
  private KeyedTally keyedServer() {
    return new KeyedTally(
        dir.resolve("keyed"),
        c -> c.with(BROWSER_CORS_ORIGINS, List.of(origin(allowedSite), origin(otherSite))),
        null);
  }

  @Test
  void withAPublishableKeyEachPageViewFromItsOriginCountsExactlyOnce() {
    try (KeyedTally keyed = keyedServer();
        TallyClient reader =
            TallyClient.builder()
                .baseUrls(keyed.url())
                .apiKey(keyed.secretKey("reader", "query"))
                .build()) {
      String pk = keyed.publishableKey("site", List.of(origin(allowedSite)), List.of("video:"));
      for (int i = 0; i < VIEWS; i++) {
        browser.get(page(allowedSite, "video:42", keyed, pk));
        assertThat(browser.getTitle()).isEqualTo("video");
      }
      browser.get("about:blank");

      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> reader.total("video:42", "view").join().count() >= VIEWS);
      sleep(1_000);
      assertThat(reader.total("video:42", "view").join().count()).isEqualTo(VIEWS);
      assertThat(keyed.requests("POST", "/v1/events", 202)).isEqualTo(VIEWS);
    }
  }

  @Test
  void aPublishableKeyCountsNothingOutsideItsPrefixesOrOriginsAndNoKeyCountsNothing() {
    try (KeyedTally keyed = keyedServer();
        TallyClient reader =
            TallyClient.builder()
                .baseUrls(keyed.url())
                .apiKey(keyed.secretKey("reader", "query"))
                .build()) {
      String pk = keyed.publishableKey("site", List.of(origin(allowedSite)), List.of("video:"));
      browser.get(page(allowedSite, "user:7", keyed, pk)); // outside the key's prefixes: 403
      browser.get(
          page(otherSite, "video:9", keyed, pk)); // CORS allows the site, the key does not: 403
      browser.get(page(allowedSite, "video:10", keyed, null)); // no key: 401
      browser.get(page(allowedSite, "video:8", keyed, pk)); // a control that must count
      browser.get("about:blank");

      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> reader.total("video:8", "view").join().count() == 1);
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(keyed.requests("POST", "/v1/events", 403))
                    .as("refused beacons")
                    .isEqualTo(2);
                assertThat(keyed.requests("POST", "/v1/events", 401))
                    .as("beacon without a key")
                    .isEqualTo(1);
              });
      sleep(1_000);
      for (String entity : List.of("user:7", "video:9", "video:10")) {
        assertThat(reader.total(entity, "view").join().count()).as(entity).isZero();
      }
      assertThat(reader.total("video:8", "view").join().count()).isEqualTo(1);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
