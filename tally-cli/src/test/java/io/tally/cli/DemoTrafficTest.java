package io.tally.cli;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.EmbeddedTally;
import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tally serve --demo}'s stream against a real embedded server: it posts views, fewer likes
 * and fewer shares of Zipf-popular videos, re-sends some batches with the same ids, and the server
 * counts every acknowledged event exactly once. On a server with API keys, the first batch tells
 * whether the demo's key may ingest, with one line saying what to do when it may not.
 */
class DemoTrafficTest {
  @TempDir Path dir;

  @Test
  void postsARealisticStreamThatIsCountedExactlyOnceDespiteResentBatches() throws Exception {
    try (EmbeddedTally tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 100)
                .server())) {
      DemoTraffic demo = new DemoTraffic(tally.url(), 2000, 0.3, 7);
      demo.start();
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> demo.views() >= 4000 && demo.resentBatches() >= 3);
      demo.close();

      assertThat(demo.likes()).isPositive().isLessThan(demo.views() / 5);
      assertThat(demo.shares()).isPositive().isLessThan(demo.likes());
      // every acknowledged event, once: the top list of all demo videos sums to what the demo sent
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                assertThat(topSum(tally, "view")).isEqualTo(demo.views());
                assertThat(topSum(tally, "like")).isEqualTo(demo.likes());
                assertThat(topSum(tally, "share")).isEqualTo(demo.shares());
              });
      JsonObject top = top(tally, "view");
      assertThat(top.getBoolean("exact")).isTrue();
      assertThat(top.getJsonArray("items").getJsonObject(0).getString("entity"))
          .isEqualTo("video:0"); // Zipf's most popular
      JsonObject overview =
          new JsonObject(
              HttpCalls.get(new ClientOptions(), tally.url(), "/v1/overview", Map.of()).body());
      assertThat(overview.getLong("acceptedEvents"))
          .as("re-sent batches are accepted again, and deduplicated")
          .isGreaterThan(demo.views() + demo.likes() + demo.shares());
    }
  }

  @Test
  void onAServerWithKeysTheDemoNeedsAnIngestKeyAndSaysSo() throws Exception {
    try (EmbeddedTally tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 100)
                .server())) {
      String admin = createKey(tally, null, "admin"); // from loopback while no key exists
      String query = createKey(tally, admin, "query");
      String ingest = createKey(tally, admin, "ingest");

      String noKey = new DemoTraffic(tally.url(), keyed(null), 500, 0, 1).postFirstBatch();
      assertThat(noKey)
          .contains("requires API keys")
          .contains("TALLY_KEY is not set")
          .contains("--scope ingest")
          .doesNotContain("\n");
      String wrongScope = new DemoTraffic(tally.url(), keyed(query), 500, 0, 2).postFirstBatch();
      assertThat(wrongScope)
          .contains(
              "refused TALLY_KEY (HTTP 403: API key "
                  + query.substring(7, 19)
                  + " lacks the ingest scope)");

      DemoTraffic demo = new DemoTraffic(tally.url(), keyed(ingest), 500, 0, 3);
      assertThat(demo.postFirstBatch()).isNull();
      demo.start();
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> demo.views() >= 500);
      demo.close();
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                JsonObject top =
                    new JsonObject(
                        HttpCalls.get(
                                keyed(query),
                                tally.url(),
                                "/v1/top",
                                Map.of("type", "view", "window", "5m", "k", "1000"))
                            .body());
                long sum = 0;
                for (Object item : top.getJsonArray("items")) {
                  sum += ((JsonObject) item).getLong("estimate");
                }
                assertThat(sum).isEqualTo(demo.views());
              });
    }
  }

  private static ClientOptions keyed(String key) {
    ClientOptions o = new ClientOptions();
    o.key = key;
    return o;
  }

  private static String createKey(EmbeddedTally tally, String byKey, String scope)
      throws Exception {
    var r =
        HttpCalls.postJson(
            keyed(byKey),
            tally.url(),
            "/v1/admin/keys",
            ("{\"name\":\"" + scope + "\",\"scopes\":[\"" + scope + "\"]}")
                .getBytes(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return new JsonObject(r.body()).getString("key");
  }

  private static JsonObject top(EmbeddedTally tally, String type) throws Exception {
    return new JsonObject(
        HttpCalls.get(
                new ClientOptions(),
                tally.url(),
                "/v1/top",
                Map.of("type", type, "window", "5m", "k", "1000"))
            .body());
  }

  private static long topSum(EmbeddedTally tally, String type) throws Exception {
    long sum = 0;
    for (Object item : top(tally, type).getJsonArray("items")) {
      sum += ((JsonObject) item).getLong("estimate");
    }
    return sum;
  }
}
