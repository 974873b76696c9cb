package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.rocksdb.FsyncPolicy;
import io.tally.rocksdb.RocksDbCounterStore;
import io.tally.rocksdb.RocksDbEventLog;
import io.tally.rocksdb.RocksDbStorage;
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
 * Back-pressure, store outages and graceful shutdown, in process, with the processors' writes going
 * through a {@link FaultyDeltaSink}.
 */
class FailureHandlingTest {
  @TempDir Path dir;
  private EmbeddedTally tally;
  private TallyHttp http;
  private final AtomicReference<FaultyDeltaSink> sink = new AtomicReference<>();

  private void start(EffectiveConfig overrides) {
    ServerConfig config = ProcessorTuning.withFailurePolicy(overrides.server(), 200, 500);
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

  /** Port 0, 100 ms flushes; {@link #start} adds a fast failure policy (200 ms, 500 ms). */
  private EffectiveConfig config() {
    return EffectiveConfig.defaults()
        .with(STORAGE_DATA_DIR, dir.resolve("data"))
        .with(SERVER_PORT, 0)
        .with(PROCESSOR_FLUSH_INTERVAL_MS, 100);
  }

  @AfterEach
  void stop() {
    if (tally != null) {
      tally.close();
    }
  }

  private static String batch(String entity, String idPrefix, int from, int n) {
    StringBuilder b = new StringBuilder("[");
    for (int i = from; i < from + n; i++) {
      b.append(i > from ? "," : "")
          .append("{\"id\":\"")
          .append(idPrefix)
          .append(i)
          .append("\",\"entity\":\"")
          .append(entity)
          .append("\",\"type\":\"view\"}");
    }
    return b.append(']').toString();
  }

  private JsonObject health() {
    return new JsonObject(http.get("/healthz").body());
  }

  private long total(String entity) {
    return new JsonObject(http.get("/v1/total?entity=" + entity + "&type=view").body())
        .getLong("count");
  }

  private void awaitTotal(String entity, long expected) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> total(entity) == expected);
  }

  @Test
  void aSlowProcessorTurnsIntoBackPressureAndEverythingIsCountedOnceItCatchesUp() {
    start(
        config()
            .with(INGEST_MAX_EVENTS_PER_REQUEST, 1_000)
            .with(INGEST_MAX_IN_FLIGHT_EVENTS, 10_000)
            .with(INGEST_MAX_BACKLOG_EVENTS, 2_000));
    sink.get().delayMillis(1_500);
    int sent = 0;
    HttpResponse<String> refused = null;
    for (int attempt = 0; attempt < 50 && refused == null; attempt++) {
      HttpResponse<String> r = http.postJson(batch("slow:1", "s", sent, 1_000));
      if (r.statusCode() == 202) {
        sent += 1_000;
        assertThat(health().getJsonObject("checks").getLong("backlogEvents"))
            .as("the backlog stays within its bound plus one request")
            .isLessThanOrEqualTo(3_000);
      } else {
        refused = r;
      }
    }
    assertThat(refused).as("ingest refuses once the backlog is over its bound").isNotNull();
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(new JsonObject(refused.body()).getString("error")).contains("backlog");

    sink.get().delayMillis(0);
    int target = sent + 5_000;
    while (sent < target) {
      HttpResponse<String> r = http.postJson(batch("slow:1", "s", sent, 1_000));
      if (r.statusCode() == 202) {
        sent += 1_000;
      } else {
        assertThat(r.statusCode()).isEqualTo(503);
        sleep(100);
      }
    }
    awaitTotal("slow:1", sent);
  }

  @Test
  void aStoreOutageNeverAdvancesTheCheckpointTurnsUnhealthyAndRecoversWithExactCounts() {
    start(config());
    assertThat(http.postJson(batch("outage:1", "o", 0, 100)).statusCode()).isEqualTo(202);
    awaitTotal("outage:1", 100);

    sink.get().failing(true);
    assertThat(http.postJson(batch("outage:1", "o", 100, 50)).statusCode())
        .as("ingest keeps accepting into the durable log during a store outage")
        .isEqualTo(202);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> http.get("/healthz").statusCode() == 503);
    JsonObject unhealthy = health();
    assertThat(unhealthy.getString("status")).isEqualTo("unhealthy");
    assertThat(unhealthy.getJsonObject("checks").getJsonObject("processor").getString("reason"))
        .contains("injected store failure");
    // answers may come from the query cache for up to one flush interval: wait that out first
    sleep(1_100);
    String asOfBefore =
        new JsonObject(http.get("/v1/total?entity=outage:1&type=view").body()).getString("asOf");
    long failedSoFar = sink.get().failedWrites();
    sleep(1_100);
    assertThat(sink.get().failedWrites())
        .as("it keeps retrying, with backoff")
        .isGreaterThan(failedSoFar);
    JsonObject during = new JsonObject(http.get("/v1/total?entity=outage:1&type=view").body());
    assertThat(during.getLong("count")).isEqualTo(100);
    assertThat(during.getString("asOf"))
        .as("nothing was applied, so the checkpoint did not move")
        .isEqualTo(asOfBefore);

    sink.get().failing(false);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> http.get("/healthz").statusCode() == 200);
    awaitTotal("outage:1", 150);
    sleep(500);
    assertThat(total("outage:1")).as("the retried flush is applied once").isEqualTo(150);
  }

  @Test
  void gracefulShutdownCountsEverythingLoggedSoTheNextStartReprocessesNothing() {
    start(config().with(PROCESSOR_FLUSH_INTERVAL_MS, 1_000));
    for (int i = 0; i < 20; i++) {
      assertThat(http.postJson(batch("graceful:" + (i % 7), "g" + i + "-", 0, 250)).statusCode())
          .isEqualTo(202);
    }
    tally.close(); // right away: much of it is still unprocessed
    tally = null;

    try (RocksDbStorage storage = RocksDbStorage.open(dir.resolve("data"), 8)) {
      RocksDbEventLog log =
          new RocksDbEventLog(storage, InstantSource.system(), FsyncPolicy.ALWAYS);
      RocksDbCounterStore store = new RocksDbCounterStore(storage);
      try {
        for (int p = 0; p < 8; p++) {
          long end = log.head(p).endOffset();
          long checkpointed = store.checkpoint(p).map(cp -> cp.nextOffset()).orElse(0L);
          assertThat(checkpointed)
              .as("partition %d: checkpoint at the end of the log", p)
              .isEqualTo(end);
        }
      } finally {
        log.close();
      }
    }

    start(config());
    long total = 0;
    for (int e = 0; e < 7; e++) {
      total += total("graceful:" + e);
    }
    assertThat(total).isEqualTo(5_000);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
