package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The query features of one running embedded server over HTTP: series with {@code fill=zero} and
 * {@code granularity=auto}, batch reads, the query cache's counters, and ingest refusing events
 * older than the minute retention (here 2 hours).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueryFeaturesTest {
  private static final long HOUR = 3_600_000L;
  @TempDir static Path dir;
  private EmbeddedTally tally;
  private TallyHttp http;
  private final long now = System.currentTimeMillis();
  private final long minute = now - now % 60_000;

  @BeforeAll
  void start() {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(RETENTION_MINUTE, "2h")
                .with(RETENTION_HOUR, "48h")
                .with(RETENTION_DAY, "forever")
                .server());
    http = new TallyHttp(tally.url());
    // video:1 gets 3 views 10 minutes ago and 2 views 5 minutes ago (one of them sent twice);
    // video:2 one like
    String events =
        "["
            + event("a1", "video:1", "view", minute - 600_000)
            + ","
            + event("a2", "video:1", "view", minute - 600_000)
            + ","
            + event("a3", "video:1", "view", minute - 600_000)
            + ","
            + event("b1", "video:1", "view", minute - 300_000)
            + ","
            + event("b2", "video:1", "view", minute - 300_000)
            + ","
            + event("b2", "video:1", "view", minute - 300_000)
            + ","
            + event("c1", "video:2", "like", minute - 300_000)
            + "]";
    assertThat(http.postJson(events).statusCode()).isEqualTo(202);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> json(http.get("/v1/total?entity=video:1&type=view")).getLong("count") == 5);
  }

  @AfterAll
  void stop() {
    tally.close();
  }

  private static String event(String id, String entity, String type, long time) {
    return "{\"id\":\""
        + id
        + "\",\"entity\":\""
        + entity
        + "\",\"type\":\""
        + type
        + "\",\"time\":"
        + time
        + "}";
  }

  private static JsonObject json(HttpResponse<String> r) {
    return new JsonObject(r.body());
  }

  private HttpResponse<String> batch(String body) {
    return http.post("/v1/stats/batch", "application/json", body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void fillZeroReturnsEveryBucketOfTheRangeInUtc() {
    String range = "&from=" + (minute - 600_000) + "&to=" + (minute - 240_000);
    JsonArray sparse =
        json(http.get("/v1/stats?entity=video:1&type=view&granularity=minute" + range))
            .getJsonArray("buckets");
    assertThat(sparse).hasSize(2);
    JsonArray filled =
        json(http.get("/v1/stats?entity=video:1&type=view&granularity=minute&fill=zero" + range))
            .getJsonArray("buckets");
    assertThat(filled).hasSize(6);
    assertThat(filled.getJsonObject(0).getLong("value")).isEqualTo(3);
    assertThat(filled.getJsonObject(1).getLong("value")).isZero();
    assertThat(filled.getJsonObject(5).getLong("value")).isEqualTo(2);
    assertThat(filled.getJsonObject(0).getString("start"))
        .isEqualTo(Instant.ofEpochMilli(minute - 600_000).toString())
        .endsWith("Z");
    assertThat(http.get("/v1/stats?entity=video:1&type=view&fill=some").statusCode())
        .isEqualTo(400);
  }

  @Test
  void autoPicksMinutesWhileTheyAreRetainedAndHoursOrDaysBeyond() {
    JsonObject recent =
        json(http.get("/v1/stats?entity=video:1&type=view&granularity=auto&from=" + (now - HOUR)));
    assertThat(recent.getString("granularity")).isEqualTo("minute");
    assertThat(
            recent.getJsonArray("buckets").stream()
                .mapToLong(b -> ((JsonObject) b).getLong("value"))
                .sum())
        .isEqualTo(5);
    // minutes are kept 2 hours here, hours 48
    assertThat(
            json(http.get(
                    "/v1/stats?entity=video:1&type=view&granularity=auto&from=" + (now - 3 * HOUR)))
                .getString("granularity"))
        .isEqualTo("hour");
    assertThat(
            json(http.get(
                    "/v1/stats?entity=video:1&type=view&granularity=auto&from="
                        + (now - 72 * HOUR)))
                .getString("granularity"))
        .isEqualTo("day");
  }

  @Test
  void batchReadsAnswerEachItemInOrderAndReportBadItemsInPlace() {
    HttpResponse<String> r =
        batch(
            "{\"queries\":[{\"entity\":\"video:1\",\"type\":\"view\"},"
                + "{\"entity\":\"video:2\",\"type\":\"like\"},"
                + "{\"entity\":\"video:3\",\"type\":\"view\"},"
                + "{\"entity\":\"video:1\",\"type\":\"view\",\"granularity\":\"minute\",\"from\":"
                + (minute - 600_000)
                + ",\"fill\":\"zero\"},"
                + "{\"entity\":\"bad entity\",\"type\":\"view\"},"
                + "{\"entity\":\"video:1\",\"type\":\"view\",\"granularity\":\"week\"},"
                + "{\"entity\":\"video:1\",\"type\":\"view\",\"colour\":\"red\"}]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonArray results = json(r).getJsonArray("results");
    assertThat(results).hasSize(7);
    assertThat(results.getJsonObject(0).getLong("count")).isEqualTo(5);
    assertThat(results.getJsonObject(1).getLong("count")).isEqualTo(1);
    assertThat(results.getJsonObject(2).getLong("count")).isZero();
    assertThat(results.getJsonObject(3).getJsonArray("buckets")).hasSize(11);
    assertThat(results.getJsonObject(4).getString("error")).contains("entity");
    assertThat(results.getJsonObject(5).getString("error")).contains("minute, hour, day, auto");
    assertThat(results.getJsonObject(6).getString("error")).contains("unknown field 'colour'");
  }

  @Test
  void aBatchOfMoreThan100ItemsOrAMalformedBodyIsRefusedWhole() {
    StringBuilder many = new StringBuilder("{\"queries\":[");
    for (int i = 0; i < 101; i++) {
      many.append(i == 0 ? "" : ",")
          .append("{\"entity\":\"video:")
          .append(i)
          .append("\",\"type\":\"view\"}");
    }
    HttpResponse<String> tooMany = batch(many.append("]}").toString());
    assertThat(tooMany.statusCode()).isEqualTo(400);
    assertThat(json(tooMany).getString("error")).contains("1 to 100 items");
    for (String bad :
        new String[] {
          "", "[]", "{\"queries\":{}}", "{\"queries\":[1]}", "{\"queries\":[", "{\"queries\":[]}"
        }) {
      HttpResponse<String> b = batch(bad);
      assertThat(b.statusCode()).as(bad).isEqualTo(400);
      assertThat(json(b).getString("error")).as(bad).isNotBlank();
    }
  }

  @Test
  void theQueryCacheCountsHitsAndMissesInHealthz() {
    JsonObject before = json(http.get("/healthz")).getJsonObject("queryCache");
    http.get("/v1/total?entity=video:cache&type=view");
    http.get("/v1/total?entity=video:cache&type=view");
    JsonObject after = json(http.get("/healthz")).getJsonObject("queryCache");
    assertThat(after.getLong("misses")).isGreaterThan(before.getLong("misses"));
    assertThat(after.getLong("hits") + after.getLong("misses"))
        .isEqualTo(before.getLong("hits") + before.getLong("misses") + 2);
  }

  @Test
  void eventsOlderThanTheMinuteRetentionAreRejectedWithTheReason() {
    HttpResponse<String> r =
        http.postJson(
            "["
                + event("old1", "video:old", "view", now - 3 * HOUR)
                + ","
                + event("new1", "video:old", "view", now - HOUR)
                + "]");
    assertThat(r.statusCode()).isEqualTo(202);
    JsonObject body = json(r);
    assertThat(body.getInteger("accepted")).isEqualTo(1);
    assertThat(body.getJsonArray("rejected").getJsonObject(0).getString("reason"))
        .contains("older than the accepted 2 h")
        .contains("minute retention");
  }
}
