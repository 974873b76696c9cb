package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.config.EffectiveConfig;
import io.tally.testkit.FaultyDeltaSink;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /readyz} names every check with its state, and a node whose backlog is over the bound (its
 * store failing, within the grace period) is alive ({@code /healthz} 200) but not ready (503), and
 * ready again once it caught up.
 */
class ReadinessTest {
  @TempDir Path dir;
  private EmbeddedTally tally;
  private TallyHttp http;
  private final AtomicReference<FaultyDeltaSink> sink = new AtomicReference<>();

  private void start(EffectiveConfig overrides) {
    ServerConfig config =
        ProcessorTuning.withFailurePolicy(
            overrides
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 100)
                .server(),
            200,
            60_000);
    tally =
        EmbeddedTally.start(
            config,
            InstantSource.system(),
            store -> {
              FaultyDeltaSink faulty = new FaultyDeltaSink(store);
              sink.set(faulty);
              return faulty;
            });
    http = new TallyHttp(tally.url());
  }

  @AfterEach
  void stop() {
    if (tally != null) {
      tally.close();
    }
  }

  private JsonObject readyz(int expectedStatus) {
    HttpResponse<String> r = http.get("/readyz");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(expectedStatus);
    return new JsonObject(r.body());
  }

  @Test
  void readyOnceOpenAndRecoveredNamingEveryCheck() {
    start(EffectiveConfig.defaults());
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> http.get("/readyz").statusCode() == 200);
    JsonObject ready = readyz(200);
    assertThat(ready.getString("status")).isEqualTo("ready");
    JsonObject checks = ready.getJsonObject("checks");
    assertThat(checks.fieldNames())
        .containsExactlyInAnyOrder("log", "store", "recovery", "processor", "lag");
    for (String name : checks.fieldNames()) {
      assertThat(checks.getJsonObject(name).getString("state")).as(name).isEqualTo("ok");
    }
    assertThat(checks.getJsonObject("recovery").getString("detail")).isEqualTo("done");
    assertThat(checks.getJsonObject("lag").getString("detail")).contains("bound 1000000");
  }

  @Test
  void notReadyButAliveWhileTheBacklogIsOverItsBound() {
    start(EffectiveConfig.defaults().with(OPS_READY_MAX_BACKLOG, 10));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> http.get("/readyz").statusCode() == 200);
    sink.get().failing(true);
    StringBuilder events = new StringBuilder("[");
    for (int i = 0; i < 50; i++) {
      events
          .append(i > 0 ? "," : "")
          .append("{\"id\":\"r-")
          .append(i)
          .append("\",\"entity\":\"video:1\",\"type\":\"view\"}");
    }
    assertThat(http.postJson(events.append(']').toString()).statusCode()).isEqualTo(202);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sink.get().failedWrites() > 0);

    JsonObject notReady = readyz(503);
    assertThat(notReady.getString("status")).isEqualTo("not ready");
    JsonObject checks = notReady.getJsonObject("checks");
    assertThat(checks.getJsonObject("lag").getString("state")).isEqualTo("failing");
    assertThat(checks.getJsonObject("lag").getString("detail"))
        .startsWith("50 events not yet counted");
    assertThat(checks.getJsonObject("processor").getString("state"))
        .isEqualTo("ok"); // retrying within its grace period
    assertThat(checks.getJsonObject("processor").getString("detail"))
        .contains("injected store failure");
    assertThat(checks.getJsonObject("log").getString("state")).isEqualTo("ok");
    HttpResponse<String> alive = http.get("/healthz");
    assertThat(alive.statusCode()).isEqualTo(200);
    assertThat(
            new JsonObject(alive.body())
                .getJsonObject("checks")
                .getJsonObject("processor")
                .getString("state"))
        .isEqualTo("retrying");

    sink.get().failing(false);
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> http.get("/readyz").statusCode() == 200);
    assertThat(
            new JsonObject(http.get("/v1/total?entity=video:1&type=view").body()).getLong("count"))
        .isEqualTo(50);
  }
}
