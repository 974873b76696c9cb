package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.partition.Partitioner;
import io.tally.model.Event;
import io.tally.model.json.TallyJson;
import io.tally.server.config.ConfigKeys;
import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An event's identity for dedup is (entity, id), through the embedded server (real HTTP, real
 * RocksDB): the outcome of re-using an id never depends on which partition an entity hashes to
 * (issue 20 item 7).
 */
class DedupIdentityTest {
  private static final int OTHERS = 16;

  @TempDir Path dir;
  private EmbeddedTally tally;
  private TallyHttp http;
  private ServerConfig config;

  @BeforeEach
  void start() {
    config =
        EffectiveConfig.defaults()
            .with(ConfigKeys.STORAGE_DATA_DIR, dir.resolve("data"))
            .with(ConfigKeys.SERVER_PORT, 0)
            .server();
    tally = EmbeddedTally.start(config);
    http = new TallyHttp(tally.url());
  }

  @AfterEach
  void stop() {
    tally.close();
  }

  /**
   * The scenario: {@code rid:base} and 16 {@code rid:otherN} with one id, at least one of
   * them in {@code rid:base}'s partition — before, exactly those were dropped as duplicates.
   */
  @Test
  void theSameIdOnOtherEntitiesCountsOnceForEachWhateverTheirPartition() {
    Partitioner partitioner = new Partitioner(config.partitions());
    int basePartition = partitioner.partition("rid:base");
    List<String> others = new ArrayList<>();
    for (int i = 1; others.size() < OTHERS; i++) {
      others.add("rid:other" + i);
    }
    long samePartition =
        others.stream().filter(e -> partitioner.partition(e) == basePartition).count();
    assertThat(samePartition).as("the scenario needs a same-partition entity").isPositive();

    long now = System.currentTimeMillis();
    send(List.of(new Event("r-1", "rid:base", "view", now, 1)));
    List<Event> batch = new ArrayList<>();
    for (String e : others) {
      batch.add(new Event("r-1", e, "view", now, 1));
    }
    send(batch);
    send(List.of(new Event("r-1", "rid:base", "view", now, 1))); // a real retry: dropped
    awaitCounted();

    assertThat(count("rid:base")).isEqualTo(1);
    for (String e : others) {
      assertThat(count(e)).as("%s (partition %d)", e, partitioner.partition(e)).isEqualTo(1);
    }
  }

  private void send(List<Event> events) {
    HttpResponse<String> r = http.post("/v1/events", "application/json", TallyJson.events(events));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
  }

  private long count(String entity) {
    HttpResponse<String> r = http.get("/v1/total?entity=" + TallyHttp.q(entity) + "&type=view");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getLong("count");
  }

  private void awaitCounted() {
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                new JsonObject(http.get("/healthz").body())
                        .getJsonObject("checks")
                        .getLong("backlogEvents")
                    == 0);
  }
}
