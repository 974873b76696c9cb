package io.tally.it;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.EmbeddedTally;
import io.tally.server.config.EffectiveConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: headless Debian Chromium, driven by Selenium through Debian's
 * chromedriver (nothing is downloaded), against a real embedded server. Events posted over HTTP
 * must show up in the big numbers, the top-entities table and the series chart, and picking an
 * entity must chart its series. Leaves {@code target/dashboard.png} for people to look at.
 */
class DashboardBrowserTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  private EmbeddedTally tally;
  private ChromeDriver driver;
  private WebDriverWait wait;
  private final HttpClient http = HttpClient.newHttpClient();
  private final Map<String, Long> views = new HashMap<>();
  private final Map<String, Long> likes = new HashMap<>();
  private int nextId;

  @BeforeEach
  void start() throws IOException {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 200)
                .with(TOPK_WINDOWS, "1h,24h")
                .server()); // the page ranks over the first
    driver = HeadlessChromium.start();
    wait = new WebDriverWait(driver, WAIT, Duration.ofMillis(200));
    // the page re-renders the top table on every refresh: a row found a moment ago may be gone
    wait.ignoring(StaleElementReferenceException.class);
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
  void showsLiveNumbersTopEntitiesAndThePickedEntitysSeries() throws Exception {
    driver.get(tally.url() + "/");
    waitForAttribute(By.id("status"), "data-state", "ok");
    waitForAttribute(By.id("accepted"), "data-value", "0");
    assertThat(((JavascriptExecutor) driver).executeScript("return typeof uPlot"))
        .isEqualTo("function");

    // the last half hour of a small Zipf-popular catalogue: views, and about one like per eight
    // views
    Random random = new Random(42);
    long now = System.currentTimeMillis();
    StringBuilder batch = new StringBuilder();
    for (int i = 0; i < 4000; i++) {
      String video = "video:" + (int) Math.floor(Math.pow(random.nextDouble(), 3) * 40);
      long time = now - (long) (random.nextDouble() * 30 * 60_000);
      add(batch, video, "view", time);
      if (random.nextInt(8) == 0) {
        add(batch, video, "like", time);
      }
    }
    long accepted = post(batch);
    String topView = top(views, 0);
    String secondView = top(views, 1);

    // the big numbers move
    waitForAttribute(By.id("accepted"), "data-value", Long.toString(accepted));
    wait.until(
        d ->
            number(d.findElement(By.id("rate-chart")), "data-max")
                > 0); // the rate's last two minutes
    wait.until(d -> number(d.findElement(By.id("lag")), "data-value") == 0);
    waitForAttribute(By.id("freshness"), "data-value", null);

    // the top table ranks exactly, and the page charts its first entity until someone picks one
    assertThat(driver.findElement(By.cssSelector("#top-window button.on")).getText())
        .isEqualTo("1h");
    wait.until(
        d ->
            topRows(d).size() == 10
                && topView.equals(topRows(d).get(0).getDomAttribute("data-entity")));
    assertThat(topRows(driver).get(0).getDomAttribute("data-estimate"))
        .isEqualTo(views.get(topView).toString());
    WebElement chart = driver.findElement(By.id("series-chart"));
    wait.until(
        d ->
            topView.equals(chart.getDomAttribute("data-entity"))
                && views.get(topView).toString().equals(chart.getDomAttribute("data-total")));
    assertThat(Integer.parseInt(chart.getDomAttribute("data-points"))).isGreaterThanOrEqualTo(30);

    // more events: the numbers and the chart change
    long version = number(chart, "data-version");
    long postedAt = System.currentTimeMillis();
    String postedMinute = Instant.ofEpochMilli(postedAt).truncatedTo(ChronoUnit.MINUTES).toString();
    StringBuilder more = new StringBuilder();
    for (int i = 0; i < 250; i++) {
      add(more, topView, "view", postedAt);
    }
    accepted += post(more);
    waitForAttribute(By.id("accepted"), "data-value", Long.toString(accepted));
    wait.until(d -> views.get(topView).toString().equals(chart.getDomAttribute("data-total")));
    assertThat(number(chart, "data-version")).isGreaterThan(version);
    // the latest bar holds them, unless a new minute began meanwhile (then the bar before it does)
    wait.until(
        d ->
            number(chart, "data-last-value") >= 250
                || !postedMinute.equals(chart.getDomAttribute("data-last-start")));
    wait.until(d -> number(d.findElement(By.id("rate-chart")), "data-points") >= 2);

    // pick the second entity: its series; then by the hour
    topRows(driver).stream()
        .filter(r -> secondView.equals(r.getDomAttribute("data-entity")))
        .findFirst()
        .orElseThrow()
        .click();
    wait.until(
        d ->
            secondView.equals(chart.getDomAttribute("data-entity"))
                && views.get(secondView).toString().equals(chart.getDomAttribute("data-total")));
    assertThat(chart.getDomAttribute("data-type")).isEqualTo("view");
    assertThat(driver.findElement(By.id("series-title")).getText()).contains(secondView);
    driver.findElement(By.cssSelector("#granularity button[data-g='hour']")).click();
    wait.until(
        d ->
            "hour".equals(chart.getDomAttribute("data-granularity"))
                && views.get(secondView).toString().equals(chart.getDomAttribute("data-total")));

    // likes: switch the top table's type, pick its leader
    WebElement topType = driver.findElement(By.id("top-type"));
    topType.clear();
    topType.sendKeys("like", Keys.TAB);
    String topLike = top(likes, 0);
    wait.until(
        d ->
            "like".equals(d.findElement(By.id("top")).getDomAttribute("data-type"))
                && !topRows(d).isEmpty()
                && topLike.equals(topRows(d).get(0).getDomAttribute("data-entity")));
    clickFirstTopRow(wait);
    wait.until(
        d ->
            topLike.equals(chart.getDomAttribute("data-entity"))
                && "like".equals(chart.getDomAttribute("data-type"))
                && likes.get(topLike).toString().equals(chart.getDomAttribute("data-total")));

    // back to views by the minute for the picture
    topType.clear();
    topType.sendKeys("view", Keys.TAB);
    wait.until(
        d ->
            "view".equals(d.findElement(By.id("top")).getDomAttribute("data-type"))
                && topRows(d).size() == 10);
    clickFirstTopRow(wait);
    driver.findElement(By.cssSelector("#granularity button[data-g='minute']")).click();
    wait.until(
        d ->
            topView.equals(chart.getDomAttribute("data-entity"))
                && "minute".equals(chart.getDomAttribute("data-granularity"))
                && views.get(topView).toString().equals(chart.getDomAttribute("data-total")));
    Path shot = Path.of("target", "dashboard.png");
    Files.copy(
        driver.getScreenshotAs(OutputType.FILE).toPath(),
        shot,
        StandardCopyOption.REPLACE_EXISTING);
    assertThat(Files.size(shot)).isGreaterThan(10_000);
  }

  /**
   * Issue 19: the top table's prefix picker ranks one namespace, offers the namespaces it has seen,
   * and an empty prefix ranks every plain entity again.
   */
  @Test
  void thePrefixPickerRanksOneNamespace() throws Exception {
    long now = System.currentTimeMillis();
    StringBuilder batch = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      add(batch, "video:" + (i % 3), "view", now);
      if (i % 2 == 0) {
        add(batch, "clip:" + (i / 2 % 4), "view", now);
      }
    }
    post(batch);
    driver.get(tally.url() + "/");
    wait.until(d -> topRows(d).size() == 7);
    wait.until(
        d ->
            d.findElements(By.cssSelector("#prefixes option")).stream()
                .map(o -> o.getDomAttribute("value"))
                .toList()
                .equals(List.of("clip:", "video:")));

    WebElement prefix = driver.findElement(By.id("top-prefix"));
    prefix.sendKeys("clip:", Keys.TAB);
    wait.until(
        d ->
            "clip:".equals(d.findElement(By.id("top")).getDomAttribute("data-prefix"))
                && topRows(d).size() == 4
                && topRows(d).stream()
                    .allMatch(r -> r.getDomAttribute("data-entity").startsWith("clip:")));
    assertThat(topRows(driver).get(0).getDomAttribute("data-entity"))
        .isEqualTo(top(filtered("clip:"), 0));

    prefix.clear();
    prefix.sendKeys(Keys.TAB);
    wait.until(
        d ->
            "".equals(d.findElement(By.id("top")).getDomAttribute("data-prefix"))
                && topRows(d).size() == 7);
  }

  private Map<String, Long> filtered(String prefix) {
    Map<String, Long> out = new HashMap<>();
    views.forEach(
        (e, n) -> {
          if (e.startsWith(prefix)) {
            out.put(e, n);
          }
        });
    return out;
  }

  private void add(StringBuilder batch, String entity, String type, long time) {
    batch
        .append(batch.length() == 0 ? "" : ",")
        .append("{\"id\":\"b")
        .append(nextId++)
        .append("\",\"entity\":\"")
        .append(entity)
        .append("\",\"type\":\"")
        .append(type)
        .append("\",\"time\":")
        .append(time)
        .append('}');
    (type.equals("view") ? views : likes).merge(entity, 1L, Long::sum);
  }

  /** Posts the events (a JSON array) and answers how many were accepted. */
  private long post(StringBuilder events) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(tally.url() + "/v1/events"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("[" + events + "]"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    assertThat(r.body()).contains("\"rejected\":[]");
    return events.chars().filter(c -> c == '{').count();
  }

  /** The entity ranked {@code rank} (from 0) by count, ties by name, as Top-K ranks them. */
  private static String top(Map<String, Long> counts, int rank) {
    return counts.entrySet().stream()
        .sorted(
            Map.Entry.<String, Long>comparingByValue()
                .reversed()
                .thenComparing(Map.Entry.comparingByKey()))
        .skip(rank)
        .findFirst()
        .orElseThrow()
        .getKey();
  }

  /** Clicks the top table's first row, again if the table was re-rendered under the click. */
  private static void clickFirstTopRow(WebDriverWait wait) {
    wait.until(
        d -> {
          try {
            topRows(d).get(0).click();
            return true;
          } catch (org.openqa.selenium.StaleElementReferenceException rerendered) {
            return false;
          }
        });
  }

  private static List<WebElement> topRows(WebDriver d) {
    return d.findElements(By.cssSelector("#top tbody tr"));
  }

  private static long number(WebElement e, String attribute) {
    String v = e.getDomAttribute(attribute);
    return v == null || v.isEmpty() ? -1 : (long) Double.parseDouble(v);
  }

  /** Waits until {@code attribute} equals {@code value}, or (value null) until it is non-empty. */
  private void waitForAttribute(By by, String attribute, String value) {
    wait.until(
        d -> {
          String v = d.findElement(by).getDomAttribute(attribute);
          return value == null ? v != null && !v.isEmpty() : value.equals(v);
        });
  }
}
