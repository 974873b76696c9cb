package io.tally.server;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.json.TallyJson;
import io.tally.server.config.EffectiveConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole embedded pipeline over real HTTP and real RocksDB: concurrent clients, re-sent ids,
 * then every total and every minute, hour and day bucket compared with the exact expectation.
 */
class EndToEndCountTest {
  private static final int EVENTS = 200_000;
  private static final int CLIENTS = 4;
  private static final int ENTITIES = 5_000;
  private static final String[] TYPES = {"view", "like", "share"};
  private static final int BATCH = 1_000;
  private static final double RESEND_RATIO = 0.05;
  private static final long SPREAD_MILLIS = 6 * 3_600_000L;

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
                .server());
    http = new TallyHttp(tally.url());
  }

  @AfterEach
  void stop() {
    tally.close();
  }

  /** Expected counts, built from the events the server acknowledged (first sighting of each id). */
  private static final class Expected {
    final Map<String, long[]> rows = new HashMap<>();

    void add(Event e) {
      String base = e.entity() + "|" + e.type() + "|";
      bump(base + "total|0", e.value());
      for (Granularity g : Granularity.TIMED) {
        bump(base + g.wireName() + "|" + g.bucketStart(e.timeMillis()), e.value());
      }
    }

    private void bump(String key, long value) {
      long[] cell = rows.computeIfAbsent(key, k -> new long[2]);
      cell[0]++;
      cell[1] += value;
    }

    long[] get(String entity, String type, String granularity, long bucket) {
      return rows.getOrDefault(entity + "|" + type + "|" + granularity + "|" + bucket, new long[2]);
    }
  }

  @Test
  void countsEveryAcknowledgedEventExactlyOnceInEveryGranularity() throws Exception {
    long now = System.currentTimeMillis();
    long oldest = now - SPREAD_MILLIS;
    Random random = new Random(42);
    List<Event> unique = new ArrayList<>(EVENTS);
    for (int i = 0; i < EVENTS; i++) {
      String entity = "video:" + random.nextInt(ENTITIES);
      String type = TYPES[random.nextInt(TYPES.length)];
      long time = oldest + (long) (random.nextDouble() * SPREAD_MILLIS);
      unique.add(new Event("e-" + i, entity, type, time, 1 + random.nextInt(10)));
    }
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    List<Future<Integer>> results = new ArrayList<>();
    int perClient = EVENTS / CLIENTS;
    for (int c = 0; c < CLIENTS; c++) {
      List<Event> mine = unique.subList(c * perClient, (c + 1) * perClient);
      long seed = c;
      results.add(pool.submit(() -> sendWithResends(mine, new Random(seed))));
    }
    int resent = 0;
    for (Future<Integer> f : results) {
      resent += f.get();
    }
    pool.shutdown();
    assertThat(resent).isGreaterThanOrEqualTo((int) (EVENTS * RESEND_RATIO * 0.9));

    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                new JsonObject(http.get("/healthz").body())
                        .getJsonObject("checks")
                        .getLong("backlogEvents")
                    == 0);

    Expected expected = new Expected();
    unique.forEach(expected::add);
    long from = Granularity.DAY.bucketStart(oldest);
    long to = now + 60_000;
    for (int e = 0; e < ENTITIES; e++) {
      String entity = "video:" + e;
      for (String type : TYPES) {
        JsonObject total =
            new JsonObject(http.get("/v1/total?entity=" + entity + "&type=" + type).body());
        long[] t = expected.get(entity, type, "total", 0);
        assertThat(total.getLong("count")).as("total count of %s %s", entity, type).isEqualTo(t[0]);
        assertThat(total.getLong("sum")).as("total sum of %s %s", entity, type).isEqualTo(t[1]);
      }
    }
    // Bucket series for every tenth entity (all types, granularities and both functions) bound the
    // run time.
    for (int e = 0; e < ENTITIES; e += 10) {
      String entity = "video:" + e;
      for (String type : TYPES) {
        for (Granularity g : Granularity.TIMED) {
          for (String fn : new String[] {"count", "sum"}) {
            HttpResponse<String> r =
                http.get(
                    "/v1/stats?entity="
                        + entity
                        + "&type="
                        + type
                        + "&fn="
                        + fn
                        + "&granularity="
                        + g.wireName()
                        + "&from="
                        + from
                        + "&to="
                        + to);
            assertThat(r.statusCode()).isEqualTo(200);
            JsonArray buckets = new JsonObject(r.body()).getJsonArray("buckets");
            long seen = 0;
            for (int i = 0; i < buckets.size(); i++) {
              JsonObject b = buckets.getJsonObject(i);
              long start = java.time.Instant.parse(b.getString("start")).toEpochMilli();
              long[] want = expected.get(entity, type, g.wireName(), start);
              assertThat(b.getLong("value"))
                  .as("%s %s %s %s at %s", fn, entity, type, g, b.getString("start"))
                  .isEqualTo(fn.equals("count") ? want[0] : want[1]);
              seen += b.getLong("value");
            }
            long[] t = expected.get(entity, type, "total", 0);
            assertThat(seen)
                .as("%s over all %s buckets of %s %s", fn, g, entity, type)
                .isEqualTo(fn.equals("count") ? t[0] : t[1]);
          }
        }
      }
    }
  }

  /**
   * Sends the events in batches; each batch also re-sends about 5 % already acknowledged events.
   */
  private int sendWithResends(List<Event> events, Random random) {
    TallyHttp client = new TallyHttp(tally.url());
    List<Event> acked = new ArrayList<>();
    int resent = 0;
    for (int i = 0; i < events.size(); i += BATCH) {
      List<Event> batch = new ArrayList<>(events.subList(i, Math.min(events.size(), i + BATCH)));
      int extra = acked.isEmpty() ? 0 : (int) Math.round(batch.size() * RESEND_RATIO);
      for (int k = 0; k < extra; k++) {
        batch.add(acked.get(random.nextInt(acked.size())));
      }
      resent += extra;
      HttpResponse<String> r =
          client.post("/v1/events", "application/json", TallyJson.events(batch));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      JsonObject body = new JsonObject(r.body());
      assertThat(body.getInteger("accepted")).isEqualTo(batch.size());
      assertThat(body.getJsonArray("rejected")).isEmpty();
      acked.addAll(events.subList(i, Math.min(events.size(), i + BATCH)));
    }
    return resent;
  }
}
