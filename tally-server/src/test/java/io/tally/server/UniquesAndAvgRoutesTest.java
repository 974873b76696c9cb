package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** {@code fn=avg} and {@code fn=uniques} over HTTP, on a running embedded server (issue 19). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UniquesAndAvgRoutesTest {
  private static final long MINUTE = 60_000L;
  @TempDir static Path dir;
  private EmbeddedTally tally;
  private TallyHttp http;
  private final long t = (System.currentTimeMillis() / 3_600_000L) * 3_600_000L - 3_600_000L;

  @BeforeAll
  void start() {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .server());
    http = new TallyHttp(tally.url());
    StringBuilder body = new StringBuilder("[");
    // minute t: users 0..2 (user-0 twice), values 1, 2, 3, 4; minute t+1: users 2..3, no value
    String[] events = {
      "{\"entity\":\"video:1\",\"type\":\"view\",\"time\":%d,\"value\":1,\"actor\":\"user-0\"}"
          .formatted(t),
      "{\"entity\":\"video:1\",\"type\":\"view\",\"time\":%d,\"value\":2,\"actor\":\"user-0\"}"
          .formatted(t),
      "{\"entity\":\"video:1\",\"type\":\"view\",\"time\":%d,\"value\":3,\"actor\":\"user-1\"}"
          .formatted(t),
      "{\"entity\":\"video:1\",\"type\":\"view\",\"time\":%d,\"value\":4,\"actor\":\"user-2\"}"
          .formatted(t),
      "{\"entity\":\"video:1\",\"type\":\"view\",\"time\":%d,\"actor\":\"user-2\"}"
          .formatted(t + MINUTE),
      "{\"entity\":\"video:1\",\"type\":\"view\",\"time\":%d,\"actor\":\"user-3\"}"
          .formatted(t + MINUTE),
      "{\"entity\":\"video:1\",\"type\":\"view\",\"time\":%d}".formatted(t + 2 * MINUTE)
    };
    body.append(String.join(",", events)).append("]");
    assertThat(http.postJson(body.toString()).statusCode()).isEqualTo(202);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> json("/v1/total?entity=video:1&type=view").getLong("count") == 7);
  }

  @AfterAll
  void stop() {
    tally.close();
  }

  private JsonObject json(String path) {
    return new JsonObject(http.get(path).body());
  }

  @Test
  void uniquesCountsDistinctActorsPerBucketOverTheRangeAndInTotal() {
    JsonObject total = json("/v1/total?entity=video:1&type=view&fn=uniques");
    assertThat(total.getLong("count")).isEqualTo(7);
    assertThat(total.getLong("estimate")).isEqualTo(4);
    assertThat(total.getLong("lowerBound")).isEqualTo(4);
    assertThat(total.getLong("upperBound")).isEqualTo(4);
    assertThat(total.getBoolean("exact")).isTrue();

    JsonObject stats =
        json(
            "/v1/stats?entity=video:1&type=view&fn=uniques&granularity=minute&from="
                + t
                + "&to="
                + (t + 3 * MINUTE));
    assertThat(stats.getString("fn")).isEqualTo("uniques");
    assertThat(stats.getJsonObject("range").getLong("estimate")).isEqualTo(4);
    JsonArray buckets = stats.getJsonArray("buckets");
    assertThat(buckets).hasSize(2); // the third minute's event had no actor
    assertThat(buckets.getJsonObject(0).getLong("value")).isEqualTo(3);
    assertThat(buckets.getJsonObject(0).getLong("estimate")).isEqualTo(3);
    assertThat(buckets.getJsonObject(1).getLong("value")).isEqualTo(2);

    JsonObject batch =
        new JsonObject(
            http.post(
                    "/v1/stats/batch",
                    "application/json",
                    "{\"queries\":[{\"entity\":\"video:1\",\"type\":\"view\",\"fn\":\"uniques\"}]}"
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .body());
    assertThat(batch.getJsonArray("results").getJsonObject(0).getLong("estimate")).isEqualTo(4);
  }

  @Test
  void avgIsSumOverCountPerBucketAndInTotal() {
    JsonObject total = json("/v1/total?entity=video:1&type=view&fn=avg");
    assertThat(total.getLong("sum")).isEqualTo(13);
    assertThat(total.getDouble("avg")).isEqualTo(13.0 / 7);
    JsonObject stats =
        json(
            "/v1/stats?entity=video:1&type=view&fn=avg&granularity=minute&from="
                + t
                + "&to="
                + (t + 3 * MINUTE));
    JsonArray buckets = stats.getJsonArray("buckets");
    assertThat(buckets).hasSize(3);
    assertThat(buckets.getJsonObject(0).getDouble("value")).isEqualTo(2.5);
    assertThat(buckets.getJsonObject(0).getLong("count")).isEqualTo(4);
    assertThat(buckets.getJsonObject(0).getLong("sum")).isEqualTo(10);
    assertThat(buckets.getJsonObject(1).getDouble("value")).isEqualTo(1.0);
  }
}
