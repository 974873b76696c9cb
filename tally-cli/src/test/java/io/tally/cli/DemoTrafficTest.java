package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.process.ProcessorConfig;
import io.tally.server.EmbeddedTally;
import io.tally.server.ServerConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tally serve --demo}'s stream against a real embedded server: it posts views, fewer likes
 * and fewer shares of Zipf-popular videos, re-sends some batches with the same ids, and the server
 * counts every acknowledged event exactly once.
 */
class DemoTrafficTest {
  @TempDir Path dir;

  @Test
  void postsARealisticStreamThatIsCountedExactlyOnceDespiteResentBatches() throws Exception {
    try (EmbeddedTally tally = EmbeddedTally.start(ServerConfig.defaults(dir.resolve("data")).withPort(0)
        .withProcessor(ProcessorConfig.DEFAULTS.withFlushIntervalMillis(100)))) {
      DemoTraffic demo = new DemoTraffic(tally.url(), 2000, 0.3, 7);
      demo.start();
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> demo.views() >= 4000 && demo.resentBatches() >= 3);
      demo.close();

      assertThat(demo.likes()).isPositive().isLessThan(demo.views() / 5);
      assertThat(demo.shares()).isPositive().isLessThan(demo.likes());
      // every acknowledged event, once: the top list of all demo videos sums to what the demo sent
      Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        assertThat(topSum(tally, "view")).isEqualTo(demo.views());
        assertThat(topSum(tally, "like")).isEqualTo(demo.likes());
        assertThat(topSum(tally, "share")).isEqualTo(demo.shares());
      });
      JsonObject top = top(tally, "view");
      assertThat(top.getBoolean("exact")).isTrue();
      assertThat(top.getJsonArray("items").getJsonObject(0).getString("entity")).isEqualTo("video:0"); // Zipf's most popular
      JsonObject overview = new JsonObject(HttpCalls.get(new ClientOptions(), tally.url(), "/v1/overview", Map.of()).body());
      assertThat(overview.getLong("acceptedEvents")).as("re-sent batches are accepted again, and deduplicated")
          .isGreaterThan(demo.views() + demo.likes() + demo.shares());
    }
  }

  private static JsonObject top(EmbeddedTally tally, String type) throws Exception {
    return new JsonObject(HttpCalls.get(new ClientOptions(), tally.url(), "/v1/top", Map.of("type", type, "window", "5m", "k", "1000")).body());
  }

  private static long topSum(EmbeddedTally tally, String type) throws Exception {
    long sum = 0;
    for (Object item : top(tally, type).getJsonArray("items")) {
      sum += ((JsonObject) item).getLong("estimate");
    }
    return sum;
  }
}
