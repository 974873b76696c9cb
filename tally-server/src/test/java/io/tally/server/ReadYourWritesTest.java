package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.model.Position;
import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, read-your-writes in embedded mode (real HTTP, real RocksDB): the ingest answer's
 * position, given as {@code after}, makes every read route answer with the writes counted, however
 * long the flush interval; a position that is not reached in time gets a 504 saying how far behind.
 */
class ReadYourWritesTest {
  @TempDir Path dir;
  private EmbeddedTally tally;
  private TallyHttp http;

  @BeforeEach
  void start() {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 1_500)
                .server());
    http = new TallyHttp(tally.url());
  }

  @AfterEach
  void stop() {
    tally.close();
  }

  private String sendOne(String id) {
    HttpResponse<String> r =
        http.postJson("{\"id\":\"" + id + "\",\"entity\":\"video:42\",\"type\":\"view\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    String position = new JsonObject(r.body()).getString("position");
    assertThat(position).matches("[A-Za-z0-9_-]+");
    return position;
  }

  private JsonObject ok(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  @Test
  void everyReadAfterTheIngestAnswersPositionHoldsTheEvent() {
    String after = sendOne("e1");

    assertThat(ok(http.get("/v1/total?entity=video:42&type=view&after=" + after)).getLong("count"))
        .isEqualTo(1);
    assertThat(
            ok(http.get("/v1/stats?entity=video:42&type=view&granularity=hour&after=" + after))
                .getJsonArray("buckets")
                .getJsonObject(0)
                .getLong("value"))
        .isEqualTo(1);

    String second = sendOne("e2");
    assertThat(
            ok(http.get("/v1/top?type=view&window=5m&prefix=video:&after=" + second))
                .getJsonArray("items")
                .getJsonObject(0)
                .getLong("estimate"))
        .isEqualTo(2);

    String third = sendOne("e3");
    HttpResponse<String> batch =
        http.post(
            "/v1/stats/batch?after=" + third + "&wait=10000",
            "application/json",
            "{\"queries\":[{\"entity\":\"video:42\",\"type\":\"view\"}]}".getBytes());
    assertThat(ok(batch).getJsonArray("results").getJsonObject(0).getLong("count")).isEqualTo(3);
  }

  @Test
  void aPositionNotReachedInTimeIsA504SayingHowFarBehind() {
    sendOne("e1");
    String unreachable = Position.of(0, 1_000_000).token();

    HttpResponse<String> r =
        http.get("/v1/total?entity=video:42&type=view&wait=200&after=" + unreachable);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
    assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(new JsonObject(r.body()).getString("error"))
        .startsWith("the position was not counted within 200 ms: ")
        .contains("events behind (partition 0 counted up to offset ")
        .contains(" of 1000000)");
  }

  @Test
  void aMalformedOrForeignTokenIsA400() {
    HttpResponse<String> bad = http.get("/v1/total?entity=video:42&type=view&after=%2A%2A");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("after must be a position token from an ingest answer");
    HttpResponse<String> foreign =
        http.get("/v1/total?entity=video:42&type=view&after=" + Position.of(500, 1).token());
    assertThat(foreign.statusCode()).isEqualTo(400);
    assertThat(foreign.body()).contains("the token is from another server");
  }
}
