package io.tally.it;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.EmbeddedTally;
import io.tally.server.config.EffectiveConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard on a server that requires API keys, in headless Chromium: it first asks for a key
 * and shows no numbers, shows the server's refusal of a key without the query scope, and with a
 * query key shows the counts moving as events are posted (with an ingest key). The key stays in the
 * tab's sessionStorage, never in the URL, survives a reload, and "forget key" removes it. Leaves
 * {@code target/dashboard-auth.png} (signed in) and {@code target/dashboard-auth-refused.png}.
 */
class DashboardAuthBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Pattern KEY = Pattern.compile("\"key\"\\s*:\\s*\"([^\"]+)\"");

  @TempDir Path dir;
  private EmbeddedTally tally;
  private ChromeDriver driver;
  private WebDriverWait wait;
  private final HttpClient http = HttpClient.newHttpClient();
  private String ingestKey;
  private String queryKey;
  private int nextId;

  @BeforeEach
  void start() throws Exception {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 200)
                .with(TOPK_WINDOWS, "1h")
                .server());
    // the first admin key from loopback while none exists; from then on every /v1 route needs a key
    String admin = createKey(null, "{\"name\":\"root\",\"scopes\":[\"admin\"]}");
    ingestKey = createKey(admin, "{\"name\":\"producer\",\"scopes\":[\"ingest\"]}");
    queryKey = createKey(admin, "{\"name\":\"dashboard\",\"scopes\":[\"query\"]}");
    driver = HeadlessChromium.start();
    wait = new WebDriverWait(driver, WAIT, Duration.ofMillis(200));
  }

  @AfterEach
  void stop() {
    try {
      HeadlessChromium.quitFailingOnScriptErrors(driver);
    } finally {
      if (tally != null) {
        tally.close();
      }
    }
  }

  @Test
  void asksForAQueryKeyShowsRefusalsAndWithAQueryKeyShowsTheCountsMove() throws Exception {
    long accepted = post("video:7", 120);

    // no key: the sign-in strip, and nothing read from the API
    driver.get(tally.url() + "/");
    WebElement signin = driver.findElement(By.id("signin"));
    wait.until(d -> signin.isDisplayed() && "needed".equals(signin.getDomAttribute("data-state")));
    assertThat(signin.getText()).contains("query").contains("Authorization: Bearer");
    // the sign-in strip's command runs as written: it names this server's URL
    assertThat(driver.findElement(By.id("signin-origin")).getText()).isEqualTo(tally.url());
    assertThat(driver.findElement(By.id("signin-error")).getText()).isEmpty();
    assertThat(driver.findElement(By.id("accepted")).getDomAttribute("data-value")).isEmpty();
    assertThat(driver.findElements(By.cssSelector("#top tbody tr"))).isEmpty();
    assertThat(driver.findElement(By.id("key-chip")).isDisplayed()).isFalse();

    // a key without the query scope: the server's reason, and the key is not kept
    enterKey(ingestKey, false);
    wait.until(d -> "refused".equals(signin.getDomAttribute("data-state")));
    assertThat(driver.findElement(By.id("signin-error")).getText())
        .contains("HTTP 403")
        .contains("lacks the query scope");
    assertThat(storedKey("sessionStorage")).isNull();
    assertThat(driver.findElement(By.id("accepted")).getDomAttribute("data-value")).isEmpty();
    Path refused = Path.of("target", "dashboard-auth-refused.png");
    Files.copy(
        driver.getScreenshotAs(OutputType.FILE).toPath(),
        refused,
        StandardCopyOption.REPLACE_EXISTING);

    // an unknown key: 401 and its reason
    enterKey("tly_sk_000000000000_" + "A".repeat(43), false);
    wait.until(d -> d.findElement(By.id("signin-error")).getText().contains("unknown API key"));
    assertThat(driver.findElement(By.id("signin-error")).getText()).contains("HTTP 401");

    // the query key (Enter works too): the numbers, the top table and the chart
    enterKey(queryKey, true);
    wait.until(d -> !signin.isDisplayed());
    waitForValue("accepted", Long.toString(accepted));
    WebElement chart = driver.findElement(By.id("series-chart"));
    wait.until(
        d ->
            "video:7".equals(chart.getDomAttribute("data-entity"))
                && "120".equals(chart.getDomAttribute("data-total")));
    assertThat(driver.findElement(By.id("key-chip")).isDisplayed()).isTrue();
    assertThat(driver.findElement(By.id("key-id")).getText())
        .isEqualTo(queryKey.substring(0, 19) + "_…");
    assertThat(storedKey("sessionStorage")).isEqualTo(queryKey);
    assertThat(storedKey("localStorage")).isNull();
    assertThat(driver.getCurrentUrl()).doesNotContain(queryKey.substring(20));

    // events posted with the ingest key move the numbers and the chart
    long version = Long.parseLong(chart.getDomAttribute("data-version"));
    accepted += post("video:7", 300);
    accepted += post("video:3", 40);
    waitForValue("accepted", Long.toString(accepted));
    wait.until(d -> "420".equals(chart.getDomAttribute("data-total")));
    assertThat(Long.parseLong(chart.getDomAttribute("data-version"))).isGreaterThan(version);
    wait.until(d -> d.findElements(By.cssSelector("#top tbody tr")).size() == 2);
    // the prefix picker offers the namespace it saw ranked
    wait.until(d -> d.findElements(By.cssSelector("#prefixes option[value='video:']")).size() == 1);
    wait.until(
        d -> Double.parseDouble(d.findElement(By.id("rate")).getDomAttribute("data-value")) > 0);
    Path shot = Path.of("target", "dashboard-auth.png");
    Files.copy(
        driver.getScreenshotAs(OutputType.FILE).toPath(),
        shot,
        StandardCopyOption.REPLACE_EXISTING);
    assertThat(Files.size(shot)).isGreaterThan(10_000);

    // a reload in the same tab keeps the key
    driver.navigate().refresh();
    waitForValue("accepted", Long.toString(accepted));
    assertThat(driver.findElement(By.id("signin")).isDisplayed()).isFalse();

    // "forget key": the strip again, the numbers gone, the key out of storage
    driver.findElement(By.id("key-forget")).click();
    WebElement strip = driver.findElement(By.id("signin"));
    wait.until(d -> strip.isDisplayed() && "needed".equals(strip.getDomAttribute("data-state")));
    assertThat(driver.findElement(By.id("accepted")).getDomAttribute("data-value")).isEmpty();
    assertThat(driver.findElements(By.cssSelector("#top tbody tr"))).isEmpty();
    assertThat(driver.findElements(By.cssSelector("#prefixes option"))).isEmpty();
    assertThat(storedKey("sessionStorage")).isNull();
  }

  private void enterKey(String key, boolean pressEnter) {
    WebElement input = driver.findElement(By.id("key"));
    input.clear();
    if (pressEnter) {
      input.sendKeys(key, Keys.ENTER);
    } else {
      input.sendKeys(key);
      driver.findElement(By.id("key-use")).click();
    }
  }

  private Object storedKey(String storage) {
    return ((JavascriptExecutor) driver)
        .executeScript("return window." + storage + ".getItem('tally.queryKey')");
  }

  private void waitForValue(String id, String value) {
    wait.until(d -> value.equals(d.findElement(By.id(id)).getDomAttribute("data-value")));
  }

  /** Makes a key through the admin route ({@code byKey} null: no key yet) and answers its token. */
  private String createKey(String byKey, String body) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(tally.url() + "/v1/admin/keys"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (byKey != null) {
      r.header("Authorization", "Bearer " + byKey);
    }
    HttpResponse<String> answer = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
    Matcher m = KEY.matcher(answer.body());
    assertThat(m.find()).as(answer.body()).isTrue();
    return m.group(1);
  }

  /**
   * Posts {@code n} views of {@code entity}, now, with the ingest key; answers how many were
   * accepted.
   */
  private long post(String entity, int n) throws Exception {
    StringBuilder json = new StringBuilder("[");
    long now = System.currentTimeMillis();
    for (int i = 0; i < n; i++) {
      json.append(i == 0 ? "" : ",")
          .append("{\"id\":\"a")
          .append(nextId++)
          .append("\",\"entity\":\"")
          .append(entity)
          .append("\",\"type\":\"view\",\"time\":")
          .append(now)
          .append('}');
    }
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(tally.url() + "/v1/events"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + ingestKey)
                .POST(HttpRequest.BodyPublishers.ofString(json.append(']').toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    assertThat(r.body()).contains("\"rejected\":[]");
    return n;
  }
}
