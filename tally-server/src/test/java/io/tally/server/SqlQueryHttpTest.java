package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/query} on the embedded server (real RocksDB, real DuckDB): after the minutes
 * close, SQL over the raw store answers what {@code /v1/total} and {@code /v1/stats} answer, and
 * forbidden statements get a 400.
 */
class SqlQueryHttpTest {
  private static final String[] TYPES = {"view", "like"};

  @TempDir Path dir;
  private final AtomicLong ahead = new AtomicLong();
  private final InstantSource clock =
      () -> Instant.ofEpochMilli(System.currentTimeMillis() + ahead.get());
  private EmbeddedTally tally;
  private TallyHttp http;

  private void start(boolean raw) {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(RAW_ENABLED, raw)
                .with(RAW_EXPORT_INTERVAL, "1s")
                .server(),
            clock);
    http = new TallyHttp(tally.url());
  }

  @AfterEach
  void stop() {
    if (tally != null) {
      tally.close();
    }
  }

  private HttpResponse<String> sql(String statement) {
    return http.post(
        "/v1/query",
        "application/json",
        new JsonObject().put("sql", statement).encode().getBytes(StandardCharsets.UTF_8));
  }

  private JsonArray rows(String statement) {
    HttpResponse<String> r = sql(statement);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getJsonArray("rows");
  }

  @Test
  void sqlAnswersWhatTotalAndStatsAnswer() {
    start(true);
    Random random = new Random(7);
    Map<String, long[]> expected = new HashMap<>();
    long now = clock.millis();
    for (int batch = 0; batch < 20; batch++) {
      JsonArray events = new JsonArray();
      for (int i = 0; i < 100; i++) {
        int n = batch * 100 + i;
        String entity = "video:" + random.nextInt(10);
        String type = TYPES[random.nextInt(2)];
        long value = 1 + random.nextInt(5);
        String id = "e" + (random.nextInt(10) == 0 && n > 0 ? n - 1 : n); // ~10 % re-sent ids
        long time = now - random.nextInt(3 * 3_600_000);
        events.add(
            new JsonObject()
                .put("id", id)
                .put("entity", entity)
                .put("type", type)
                .put("time", time)
                .put("value", value));
      }
      assertThat(http.postJson(events.encode()).statusCode()).isEqualTo(202);
    }
    ahead.addAndGet(120_000); // every minute of the appends is closed
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              JsonObject a = new JsonObject(sql("SELECT count(*) FROM events").body());
              return a.getString("asOf") != null
                  && Instant.parse(a.getString("asOf")).toEpochMilli() > now + 60_000;
            });
    for (int e = 0; e < 10; e++) {
      for (String type : TYPES) {
        String entity = "video:" + e;
        JsonObject total =
            new JsonObject(http.get("/v1/total?entity=" + entity + "&type=" + type).body());
        JsonArray sum =
            rows("SELECT count(*), coalesce(sum(value), 0) FROM events WHERE entity = '"
                    + entity
                    + "' AND type = '"
                    + type
                    + "'")
                .getJsonArray(0);
        assertThat(sum.getLong(0)).as(entity + " " + type).isEqualTo(total.getLong("count"));
        assertThat(sum.getLong(1)).as(entity + " " + type).isEqualTo(total.getLong("sum"));
      }
    }
    JsonArray hours =
        rows(
            "SELECT epoch_ms(date_trunc('hour', time)) AS hour, count(*) FROM events"
                + " WHERE entity = 'video:3' AND type = 'view' GROUP BY 1 ORDER BY 1");
    JsonObject stats =
        new JsonObject(
            http.get(
                    "/v1/stats?entity=video:3&type=view&granularity=hour&from="
                        + (now - 4 * 3_600_000)
                        + "&to="
                        + (now + 3_600_000))
                .body());
    Map<Long, Long> fromStats = new HashMap<>();
    for (Object o : stats.getJsonArray("buckets")) {
      JsonObject b = (JsonObject) o;
      if (b.getLong("value") > 0) {
        fromStats.put(Instant.parse(b.getString("start")).toEpochMilli(), b.getLong("value"));
      }
    }
    Map<Long, Long> fromSql = new HashMap<>();
    for (Object o : hours) {
      JsonArray row = (JsonArray) o;
      fromSql.put(row.getLong(0), row.getLong(1));
    }
    assertThat(fromSql).isEqualTo(fromStats).isNotEmpty();
  }

  @Test
  void refusesWritesAndFilesOutsideTheStoreWithA400() throws Exception {
    start(true);
    Path secret = dir.resolve("secret.csv");
    Files.writeString(secret, "a\n1\n");
    for (String statement :
        new String[] {
          "COPY (SELECT 1) TO '" + dir.resolve("x.csv") + "'",
          "CREATE TABLE t (a INTEGER)",
          "ATTACH '" + dir.resolve("y.duckdb") + "'",
          "INSTALL httpfs",
          "LOAD parquet",
          "SELECT * FROM read_csv('" + secret + "')",
          "SELECT 1; SELECT 2",
        }) {
      HttpResponse<String> r = sql(statement);
      assertThat(r.statusCode()).as(statement).isEqualTo(400);
      assertThat(new JsonObject(r.body()).getString("error")).as(statement).isNotBlank();
    }
    assertThat(dir.resolve("x.csv")).doesNotExist();
    assertThat(dir.resolve("y.duckdb")).doesNotExist();
    assertThat(
            http.post(
                    "/v1/query",
                    "application/json",
                    "{\"query\":1}".getBytes(StandardCharsets.UTF_8))
                .statusCode())
        .isEqualTo(400);
  }

  @Test
  void answers404WhenTheRawStoreIsOff() {
    start(false);
    HttpResponse<String> r = sql("SELECT 1");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body()).contains("raw.enabled=false");
    assertThat(dir.resolve("data").resolve("raw")).doesNotExist();
  }
}
