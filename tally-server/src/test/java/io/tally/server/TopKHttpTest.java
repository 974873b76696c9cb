package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.model.Event;
import io.tally.model.json.TallyJson;
import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/top} on the embedded server: events ingested over HTTP come back as the exact top
 * entities of the window, still after a restart; bad parameters are 400 with a reason.
 */
class TopKHttpTest {
  @TempDir Path dir;
  private EmbeddedTally tally;
  private TallyHttp http;

  @BeforeEach
  void start() {
    startServer();
  }

  private void startServer() {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 100)
                .server());
    http = new TallyHttp(tally.url());
  }

  @AfterEach
  void stop() {
    tally.close();
  }

  @Test
  void topEntitiesOfTheWindowAreExactAndSurviveARestart() {
    long now = System.currentTimeMillis();
    Random random = new Random(7);
    Map<String, Long> lastHour = new HashMap<>();
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      String entity = "video:" + (int) Math.floor(Math.pow(random.nextDouble(), 2.5) * 300);
      boolean old = random.nextInt(10) == 0; // two hours ago: outside 1h
      long time = old ? now - 2 * 3_600_000L : now - 30_000 - random.nextInt(20 * 60_000);
      String type = random.nextInt(5) == 0 ? "like" : "view";
      events.add(new Event("e" + i, entity, type, time, 1));
      if (!old && type.equals("view")) {
        lastHour.merge(entity, 1L, Long::sum);
      }
    }
    for (int from = 0; from < events.size(); from += 500) {
      assertThat(
              http.postJson(
                      new String(
                          TallyJson.events(events.subList(from, from + 500)),
                          java.nio.charset.StandardCharsets.UTF_8))
                  .statusCode())
          .isEqualTo(202);
    }
    List<String> expected =
        lastHour.entrySet().stream()
            .sorted(
                Map.Entry.<String, Long>comparingByValue()
                    .reversed()
                    .thenComparing(Map.Entry.comparingByKey()))
            .limit(5)
            .map(e -> e.getKey() + "=" + e.getValue())
            .toList();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                new JsonObject(http.get("/healthz").body())
                        .getJsonObject("checks")
                        .getLong("backlogEvents")
                    == 0);

    JsonObject top = topOk("/v1/top?type=view&window=1h&k=5");
    assertThat(top.getString("type")).isEqualTo("view");
    assertThat(top.getString("window")).isEqualTo("1h");
    assertThat(top.getInteger("k")).isEqualTo(5);
    assertThat(top.getBoolean("exact")).isTrue();
    assertThat(top.getLong("maxError")).isZero();
    assertThat(top.getString("asOf")).isNotEmpty();
    assertThat(items(top)).containsExactlyElementsOf(expected);
    JsonObject first = top.getJsonArray("items").getJsonObject(0);
    assertThat(first.getLong("lowerBound"))
        .isEqualTo(first.getLong("estimate"))
        .isEqualTo(first.getLong("upperBound"));

    tally.close();
    startServer();
    assertThat(items(topOk("/v1/top?type=view&window=1h&k=5"))).containsExactlyElementsOf(expected);
    assertThat(topOk("/v1/top?type=view&window=24h").getJsonArray("items").size()).isEqualTo(10);
  }

  @Test
  void badParametersAre400NamingTheProblem() {
    assertBad("/v1/top?type=view&window=2h", "window must be one of 5m, 1h, 24h; got '2h'");
    assertBad("/v1/top?type=view", "window is required; one of 5m, 1h, 24h");
    assertBad("/v1/top?type=view&window=1h&k=0", "k must be an integer from 1 to 1000; got '0'");
    assertBad(
        "/v1/top?type=view&window=1h&k=1001", "k must be an integer from 1 to 1000; got '1001'");
    assertBad(
        "/v1/top?type=view&window=1h&k=many", "k must be an integer from 1 to 1000; got 'many'");
    assertBad("/v1/top?window=1h", "type is required");
    assertBad("/v1/top?type=View%21&window=1h", "type");
    assertBad(
        "/v1/top?type=view&window=1h&entity=x",
        "unknown parameter 'entity'; allowed: after, k, prefix, type, wait, window");
  }

  private void assertBad(String url, String message) {
    HttpResponse<String> r = http.get(url);
    assertThat(r.statusCode()).as(url).isEqualTo(400);
    assertThat(new JsonObject(r.body()).getString("error")).as(url).contains(message);
  }

  private JsonObject topOk(String url) {
    HttpResponse<String> r = http.get(url);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  private static List<String> items(JsonObject top) {
    JsonArray items = top.getJsonArray("items");
    List<String> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      out.add(
          items.getJsonObject(i).getString("entity")
              + "="
              + items.getJsonObject(i).getLong("estimate"));
    }
    return out;
  }
}
