package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.query.QueryConfig;
import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and sloppy input against one running server: each gets the right 4xx and a reason, the
 * good events of the same batch are counted, and the server stays healthy throughout.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
  @TempDir static Path dir;
  private EmbeddedTally tally;
  private TallyHttp http;

  @BeforeAll
  void start() {
    tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .server());
    http = new TallyHttp(tally.url());
  }

  @AfterAll
  void stop() {
    assertThat(http.get("/healthz").statusCode()).isEqualTo(200);
    tally.close();
  }

  private static JsonObject json(HttpResponse<String> r) {
    return new JsonObject(r.body());
  }

  private long totalOf(String entity) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> json(http.get("/healthz")).getJsonObject("checks").getLong("backlogEvents") == 0);
    return json(http.get("/v1/total?entity=" + entity + "&type=view")).getLong("count");
  }

  private void assertRejectedAlongsideGoodEvent(String entity, String badEvent, String reasonPart) {
    HttpResponse<String> r =
        http.postJson("[{\"entity\":\"" + entity + "\",\"type\":\"view\"}," + badEvent + "]");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonObject body = json(r);
    assertThat(body.getInteger("accepted")).isEqualTo(1);
    assertThat(body.getJsonArray("rejected")).hasSize(1);
    assertThat(body.getJsonArray("rejected").getJsonObject(0).getInteger("index")).isEqualTo(1);
    assertThat(body.getJsonArray("rejected").getJsonObject(0).getString("reason"))
        .contains(reasonPart);
    assertThat(totalOf(entity)).isEqualTo(1);
  }

  @Test
  void malformedJsonIs400WithAReason() {
    HttpResponse<String> r = http.postJson("[{\"entity\":\"video:1\",\"type\":\"view\"");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).getString("error")).contains("malformed JSON");
  }

  @Test
  void wrongTypesAreRejectedPerEvent() {
    assertRejectedAlongsideGoodEvent(
        "wrong:types", "{\"entity\":42,\"type\":\"view\"}", "entity must be a string");
  }

  @Test
  void badActorsAreRejectedPerEventNamingTheRule() {
    assertRejectedAlongsideGoodEvent(
        "bad:actor1",
        "{\"entity\":\"video:1\",\"type\":\"view\",\"actor\":42}",
        "actor must be a string");
    assertRejectedAlongsideGoodEvent(
        "bad:actor2",
        "{\"entity\":\"video:1\",\"type\":\"view\",\"actor\":\"user 7\"}",
        "actor may only contain printable ASCII");
    assertRejectedAlongsideGoodEvent(
        "bad:actor3",
        "{\"entity\":\"video:1\",\"type\":\"view\",\"actor\":\"" + "x".repeat(129) + "\"}",
        "actor is longer than 128 characters");
  }

  @Test
  void missingFieldsAreRejectedPerEvent() {
    assertRejectedAlongsideGoodEvent(
        "missing:type", "{\"entity\":\"video:1\"}", "type is required");
  }

  @Test
  void oversizedStringsAreRejectedPerEvent() {
    assertRejectedAlongsideGoodEvent(
        "long:entity",
        "{\"entity\":\"" + "v".repeat(300) + "\",\"type\":\"view\"}",
        "longer than 256");
  }

  @Test
  void timesTooFarInThePastOrFutureAreRejected() {
    long now = System.currentTimeMillis();
    assertRejectedAlongsideGoodEvent(
        "old:time",
        "{\"entity\":\"video:1\",\"type\":\"view\",\"time\":" + (now - 8L * 86_400_000) + "}",
        "older than");
    assertRejectedAlongsideGoodEvent(
        "future:time",
        "{\"entity\":\"video:1\",\"type\":\"view\",\"time\":\"2099-01-01T00:00:00Z\"}",
        "in the future");
  }

  @Test
  void negativeAndHugeValuesAreRejected() {
    assertRejectedAlongsideGoodEvent(
        "neg:value",
        "{\"entity\":\"video:1\",\"type\":\"view\",\"value\":-1}",
        "value must be between");
    assertRejectedAlongsideGoodEvent(
        "huge:value",
        "{\"entity\":\"video:1\",\"type\":\"view\",\"value\":123456789012345678901234567890}",
        "value out of range");
    assertRejectedAlongsideGoodEvent(
        "float:value", "{\"entity\":\"video:1\",\"type\":\"view\",\"value\":1.5}", "integer");
  }

  @Test
  void everyEventRejectedIs400WithTheReasons() {
    HttpResponse<String> r = http.postJson("[{\"entity\":\"video:1\"}]");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).getJsonArray("rejected").getJsonObject(0).getString("reason"))
        .contains("type is required");
  }

  @Test
  void invalidUtf8Is400() {
    byte[] body = "[{\"entity\":\"video:XY\",\"type\":\"view\"}]".getBytes(StandardCharsets.UTF_8);
    int x = new String(body, StandardCharsets.UTF_8).indexOf("XY");
    body[x] = (byte) 0xC3; // a UTF-8 lead byte followed by a non-continuation byte
    body[x + 1] = (byte) 0x28;
    HttpResponse<String> r = http.post("/v1/events", "application/json", body);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).getString("error")).containsIgnoringCase("UTF-8");
  }

  @Test
  void deeplyNestedJsonIs400() {
    HttpResponse<String> r = http.postJson("[".repeat(5000) + "]".repeat(5000));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).getString("error")).containsIgnoringCase("nesting");
  }

  @Test
  void oversizedBodyIs413() {
    byte[] body = new byte[5 << 20];
    java.util.Arrays.fill(body, (byte) ' ');
    body[0] = '[';
    body[body.length - 1] = ']';
    HttpResponse<String> r = http.post("/v1/events", "application/json", body);
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(json(r).getString("error")).contains("limit");
  }

  @Test
  void tooManyEventsInOneRequestIs413() {
    String one = "{\"entity\":\"video:1\",\"type\":\"view\"}";
    String body = "[" + (one + ",").repeat(50_000) + one + "]";
    HttpResponse<String> r = http.postJson(body);
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(json(r).getString("error")).contains("at most 50000 events");
  }

  @Test
  void ndjsonRejectsOnlyTheBadLine() {
    String body =
        "{\"entity\":\"nd:json\",\"type\":\"view\"}\n{\"entity\":\n\n{\"entity\":\"nd:json\",\"type\":\"view\"}\n";
    HttpResponse<String> r =
        http.post("/v1/events", "application/x-ndjson", body.getBytes(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(json(r).getInteger("accepted")).isEqualTo(2);
    assertThat(json(r).getJsonArray("rejected").getJsonObject(0).getInteger("index")).isEqualTo(1);
    assertThat(totalOf("nd:json")).isEqualTo(2);
  }

  @Test
  void unknownPathIs404AndWrongMethodIs405() {
    assertThat(http.get("/v2/nothing").statusCode()).isEqualTo(404);
    assertThat(json(http.get("/v2/nothing")).getString("error")).contains("/v2/nothing");
    assertThat(http.method("DELETE", "/v1/events").statusCode()).isEqualTo(405);
    assertThat(http.method("PUT", "/v1/total").statusCode()).isEqualTo(405);
  }

  @Test
  void badQueryParametersAre400NamingTheProblem() {
    assertThat(json(http.get("/v1/total?type=view")).getString("error"))
        .contains("entity is required");
    assertThat(http.get("/v1/total?type=view").statusCode()).isEqualTo(400);
    assertThat(json(http.get("/v1/stats?entity=a&type=view&granularity=week")).getString("error"))
        .contains("minute, hour, day, auto");
    assertThat(json(http.get("/v1/stats?entity=a&type=view&fn=median")).getString("error"))
        .contains("count, sum, avg, uniques");
    assertThat(http.get("/v1/total?entity=a&type=view&fn=median").statusCode()).isEqualTo(400);
    assertThat(json(http.get("/v1/stats?entity=a&type=view&from=yesterday")).getString("error"))
        .contains("from must be");
    assertThat(json(http.get("/v1/stats?entity=a&type=view&from=2000&to=1000")).getString("error"))
        .contains("before");
    assertThat(json(http.get("/v1/stats?entity=a&type=view&colour=red")).getString("error"))
        .contains("unknown parameter 'colour'");
    HttpResponse<String> tooMany =
        http.get(
            "/v1/stats?entity=a&type=view&granularity=day&from=1990-01-01T00:00:00Z&to=2026-01-01T00:00:00Z");
    assertThat(tooMany.statusCode()).isEqualTo(400);
    assertThat(json(tooMany).getString("error"))
        .contains("limit is " + QueryConfig.DEFAULTS.maxBuckets());
  }

  @Test
  void emptyBodyIs400() {
    assertThat(http.postJson("").statusCode()).isEqualTo(400);
    assertThat(http.postJson("42").statusCode()).isEqualTo(400);
  }

  @Test
  void batchTooLargeNamesItsOwnLimit() {
    String item = "{\"entity\":\"" + "e".repeat(200) + "\",\"type\":\"view\"},";
    byte[] body =
        ("{\"queries\":[" + item.repeat(1_500) + "{\"entity\":\"a\",\"type\":\"b\"}]}")
            .getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> r = http.post("/v1/stats/batch", "application/json", body);
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(json(r).getString("error")).contains("limit of 262144 bytes");
  }

  @Test
  void batchErrorsArePlainWords() {
    for (String body :
        new String[] {"[1,2]", "{\"queries\":[", "{\"queries\": /* no */ []}", "{'queries':[]}"}) {
      HttpResponse<String> r =
          http.post("/v1/stats/batch", "application/json", body.getBytes(StandardCharsets.UTF_8));
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      assertThat(json(r).getString("error"))
          .as(body)
          .doesNotContain("java.", "Feature", "jackson", "LinkedHashMap");
    }
    assertThat(
            json(http.post(
                    "/v1/stats/batch",
                    "application/json",
                    "{\"queries\":[".getBytes(StandardCharsets.UTF_8)))
                .getString("error"))
        .startsWith("body is not valid JSON at line 1");
  }

  @Test
  void batchRefusesUnknownTopLevelFields() {
    HttpResponse<String> r =
        http.post(
            "/v1/stats/batch",
            "application/json",
            "{\"queries\":[{\"entity\":\"a\",\"type\":\"view\"}],\"querys\":[]}"
                .getBytes(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).getString("error")).contains("unknown field 'querys'; allowed: queries");
  }

  @Test
  void aRepeatedQueryParameterIs400() {
    HttpResponse<String> r = http.get("/v1/total?entity=a&entity=b&type=view");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).getString("error")).contains("parameter 'entity' is given 2 times");
    assertThat(http.get("/v1/stats?entity=a&type=view&fn=sum&fn=count").statusCode())
        .isEqualTo(400);
    assertThat(http.get("/v1/top?type=view&window=1h&k=5&k=6").statusCode()).isEqualTo(400);
  }

  @Test
  void aParameterOnTheOverviewSaysItTakesNone() {
    HttpResponse<String> r = http.get("/v1/overview?x=1");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(json(r).getString("error"))
        .isEqualTo("unknown parameter 'x'; /v1/overview takes no parameters");
  }

  @Test
  void anEmojiIsNamedByItsCodePoint() {
    assertRejectedAlongsideGoodEvent(
        "emoji:ok",
        "{\"entity\":\"video:\uD83D\uDE00\",\"type\":\"view\"}",
        "U+1F600 at position 6");
    HttpResponse<String> r = http.postJson("[{\"entity\":\"a\uD83D\uDE00\",\"type\":\"view\"}]");
    assertThat(r.body()).doesNotContain("U+D83D");
  }

  @Test
  void attributesOnAServerWithoutDeriveAre409() {
    HttpResponse<String> r = http.put("/v1/entities/video:1/attributes", "{\"channel\":\"c1\"}");
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(json(r).getString("error")).contains("--derive");
  }
}
