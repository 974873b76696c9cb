package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Cluster mode end to end on real engines: one Kafka and one Cassandra (separate JVMs, started once
 * per run by {@link RealEngines}) and Tally nodes as child processes of the built jar. Each test
 * has its own topics and keyspace. Every test ends the same way: each entity's total, read from
 * every live node, equals the number of distinct events acknowledged for it.
 */
@ExtendWith(RealEngines.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class ClusterTest {
  private static final int PARTITIONS = 8;
  private static final AtomicInteger RUN = new AtomicInteger();
  private final LocalEngines engines;
  private final List<ServerProcess> nodes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  /** Node logs stay under target/ for people to read after a failure. */
  private Path dir;

  ClusterTest(LocalEngines engines) {
    this.engines = engines;
  }

  @AfterEach
  void stopNodes() throws Exception {
    for (ServerProcess n : nodes) {
      if (n.alive()) {
        n.resume();
      }
      n.close();
    }
    if (!engines.cassandra().isRunning()) {
      engines.cassandra().start();
    }
  }

  private String newRun() throws IOException {
    String run = "it" + RUN.incrementAndGet() + "_" + System.nanoTime() % 1_000_000;
    dir = Files.createDirectories(Path.of("target", "cluster-it", run));
    return run;
  }

  private ServerProcess node(String name, String run, String... extraArgs) throws Exception {
    ServerProcess n = new ServerProcess(name, dir, engines, run, PARTITIONS, extraArgs);
    nodes.add(n);
    n.start();
    awaitHealthy(n);
    return n;
  }

  private void awaitHealthy(ServerProcess n) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> get(n.url() + "/healthz").statusCode() == 200);
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private List<String> live() {
    List<String> urls = new ArrayList<>();
    for (ServerProcess n : nodes) {
      if (n.alive()) {
        urls.add(n.url());
      }
    }
    return urls;
  }

  /** Waits until every live node answers the exact count for every entity. */
  private void assertExactEverywhere(ClusterLoad load, Duration max) throws Exception {
    for (String url : live()) {
      List<List<String>> last = new ArrayList<>(List.of(List.of()));
      try {
        await()
            .atMost(max)
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> {
                  last.set(0, load.mismatches(url));
                  return last.get(0).isEmpty();
                });
      } catch (ConditionTimeoutException e) {
        throw new AssertionError(
            "counts on "
                + url
                + " never became exact; "
                + load.summary()
                + "; mismatches (got/want): "
                + last.get(0),
            e);
      }
    }
  }

  @Test
  void twoNodesTakeEventsAndAnswerExactCountsFromEither() throws Throwable {
    String run = newRun();
    ServerProcess a = node("a", run);
    ServerProcess b = node("b", run);
    ClusterLoad load = new ClusterLoad(run, this::live).start(4, 40_000, 500, 0);
    load.await(Duration.ofMinutes(3));
    assertExactEverywhere(load, Duration.ofSeconds(90));
    assertThat(a.log()).contains("took partitions");
    assertThat(b.log()).contains("took partitions");
    System.out.println("two nodes: " + load.summary());
  }

  @Test
  void rolesSplitAcrossNodesStillCountExactly() throws Throwable {
    String run = newRun();
    ServerProcess gateway = node("gateway", run, "--roles", "ingest,query");
    ServerProcess worker = node("worker", run, "--roles", "processor,materializer,query");
    ClusterLoad load = new ClusterLoad(run, () -> List.of(gateway.url())).start(2, 20_000, 500, 0);
    load.await(Duration.ofMinutes(2));
    assertExactEverywhere(load, Duration.ofSeconds(90));
    assertThat(owned(gateway.log())).as("an ingest node holds no partitions").isEmpty();
    assertThat(owned(worker.log())).hasSize(PARTITIONS);
    JsonObject checks =
        new JsonObject(get(gateway.url() + "/healthz").body()).getJsonObject("checks");
    assertThat(checks.containsKey("processor")).isFalse();
    HttpResponse<String> refused =
        http.send(
            HttpRequest.newBuilder(URI.create(worker.url() + "/v1/events"))
                .POST(HttpRequest.BodyPublishers.ofString("[]"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(refused.statusCode()).isEqualTo(404);
    assertThat(refused.body()).contains("without the ingest role");
    assertSplitRolesMetricsAndReadiness(gateway, worker, load.acked.get());
    System.out.println("split roles: " + load.summary());
  }

  /**
   * Each node's /metrics shows the series of its roles, and both nodes are ready once caught up.
   */
  private void assertSplitRolesMetricsAndReadiness(
      ServerProcess gateway, ServerProcess worker, long acked) throws Exception {
    String gatewayMetrics = get(gateway.url() + "/metrics").body();
    assertThat(sample(gatewayMetrics, "tally_ingest_events_total")).isGreaterThanOrEqualTo(acked);
    assertThat(sample(gatewayMetrics, "tally_log_append_seconds_count")).isPositive();
    assertThat(gatewayMetrics)
        .contains("tally_query_cache_requests_total{result=\"hit\"}")
        .doesNotContain("tally_materializer_lag_records")
        .doesNotContain("tally_processor_lag_events");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              String m = get(worker.url() + "/metrics").body();
              return sample(m, "tally_materializer_lag_records") == 0
                  && sample(m, "tally_processor_lag_events{partition=\"0\"}") == 0;
            });
    String workerMetrics = get(worker.url() + "/metrics").body();
    assertThat(sample(workerMetrics, "tally_materializer_errors_total")).isZero();
    assertThat(sample(workerMetrics, "tally_materializer_dead_letters_total")).isZero();
    assertThat(workerMetrics)
        .contains("tally_dedup_duplicates_total")
        .doesNotContain("tally_ingest_events_total");
    assertThat(sample(workerMetrics, "tally_flush_seconds_count")).isPositive();
    assertThat(sample(workerMetrics, "tally_flush_seconds_sum")).isPositive();
    assertThat(sample(workerMetrics, "tally_flush_rows_sum")).isPositive();
    assertThat(sample(workerMetrics, "tally_flush_failures_total")).isZero();
    assertThat(sample(workerMetrics, "tally_processor_lag_seconds{partition=\"0\"}"))
        .isBetween(0.0, 60.0);
    for (ServerProcess n : List.of(gateway, worker)) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> get(n.url() + "/readyz").statusCode() == 200);
    }
    JsonObject ready = new JsonObject(get(worker.url() + "/readyz").body()).getJsonObject("checks");
    assertThat(ready.fieldNames()).contains("processor", "materializer", "recovery", "lag");
  }

  /** The value of the Prometheus sample {@code series} (name and labels as printed), or fails. */
  private static double sample(String exposition, String series) {
    for (String line : exposition.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1));
      }
    }
    throw new AssertionError("no sample " + series + " in /metrics");
  }

  /**
   * Also the raw store in cluster mode: both nodes export the partitions they own to one shared
   * {@code raw.dir}, every second, through the kill -9 and both ownership moves; afterwards it
   * holds every counted event exactly once, and SQL over it answers what {@code /v1/total} answers.
   */
  @Test
  void aKilledNodesPartitionsMoveToTheOtherAndBackWithExactCounts() throws Throwable {
    String run = newRun();
    String[] raw = {"--raw-dir", dir.resolve("raw").toString(), "--raw-export-interval", "1s"};
    ServerProcess a = node("a", run, raw);
    ServerProcess b = node("b", run, raw);
    ClusterLoad load = new ClusterLoad(run, this::live).start(4, 200_000, 500, 0);
    await().atMost(Duration.ofMinutes(2)).until(() -> load.acked.get() >= 50_000);
    awaitSplit(a, b);
    a.kill9();
    await().atMost(Duration.ofSeconds(60)).until(() -> owned(b.log()).size() == PARTITIONS);
    await().atMost(Duration.ofMinutes(2)).until(() -> load.acked.get() >= 130_000);
    a.start();
    awaitHealthy(a);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> count(a.log(), "took partitions") >= 2 && owned(b.log()).size() < PARTITIONS);
    load.await(Duration.ofMinutes(3));
    assertExactEverywhere(load, Duration.ofSeconds(120));
    assertRawStoreExact(b, load);
    assertThat(b.log()).contains("moved to another owner; released it");
    System.out.println("failover: " + load.summary());
  }

  /**
   * The audit in cluster mode (issue 18): events of the last whole hour are counted and exported to
   * the raw store; SQL over it answers what {@code /v1/total} answers; the audit finds nothing; a
   * minute row damaged in Cassandra (not through the pipeline) is then reported exactly, by the
   * audit, its metric and {@code /healthz}, and a recount repairs it (through the deltas topic and
   * the materializer) while leaving the total as it was.
   */
  @Test
  void theAuditReportsExactlyTheRowDamagedInCassandraAndARecountRepairsIt() throws Throwable {
    String run = newRun();
    ServerProcess a =
        node("a", run, "--raw-dir", dir.resolve("raw").toString(), "--raw-export-interval", "1s");
    long hour = 3_600_000L;
    long to = Math.floorDiv(System.currentTimeMillis(), hour) * hour;
    String range =
        new JsonObject()
            .put("from", Instant.ofEpochMilli(to - hour).toString())
            .put("to", Instant.ofEpochMilli(to).toString())
            .encode();
    JsonArray events = new JsonArray();
    for (int n = 0; n < 3_000; n++) {
      events.add(
          new JsonObject()
              .put("id", "h-" + n)
              .put("entity", "video:" + n % 3)
              .put("type", "view")
              .put("time", to - hour + (n * 179L) % hour));
    }
    assertThat(post(a, "/v1/events", events.encode()).statusCode()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> a.total(http, "video:1").getLong("count") == 1_000);
    await() // counted and exported: the audit stops answering 409
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> post(a, "/v1/admin/audit", range).statusCode() == 200);
    JsonObject clean = new JsonObject(post(a, "/v1/admin/audit", range).body());
    assertThat(clean.getLong("mismatched")).as(clean.encode()).isZero();
    assertThat(clean.getLong("eventsRead")).isEqualTo(3_000);
    assertThat(clean.getLong("topKSlotsChanged")).as(clean.encode()).isZero();
    await() // SQL reads the exported minutes only: wait until the last one is exported too
        .atMost(Duration.ofSeconds(90))
        .until(
            () ->
                a.sqlRows(http, "SELECT count(*) FROM events").getJsonArray(0).getLong(0) == 3_000);
    JsonArray sql =
        a.sqlRows(
            http,
            "SELECT entity, count(*) FROM events WHERE time >= epoch_ms("
                + (to - hour)
                + ") AND time < epoch_ms("
                + to
                + ") GROUP BY entity ORDER BY entity");
    assertThat(sql).hasSize(3);
    for (Object o : sql) {
      JsonArray row = (JsonArray) o;
      assertThat(row.getLong(1)).isEqualTo(a.total(http, row.getString(0)).getLong("count"));
    }

    long minute = to - hour; // video:1's event 1 falls in the hour's first minute
    damageMinuteRow(run, "video:1", minute, 3);
    // and the 24h window's slot (2 h) holding the hour's last minutes, in video:1's partition
    int p = new io.tally.core.partition.Partitioner(PARTITIONS).partition("video:1");
    long slot = Math.floorDiv(to - 60_000, 2 * hour) * 2 * hour;
    java.util.Map<String, Long> slotBefore = daySlot(run, p, slot);
    assertThat(slotBefore).containsKey("video:1");
    damageDaySlot(run, p, slot, "video:1", 5);
    JsonObject audit = new JsonObject(post(a, "/v1/admin/audit", range).body());
    assertThat(audit.getLong("mismatched")).as(audit.encode()).isEqualTo(1);
    assertThat(audit.getLong("topKSlotsChanged")).as(audit.encode()).isEqualTo(1);
    JsonObject named = audit.getJsonArray("differences").getJsonObject(0);
    assertThat(named.getString("entity")).isEqualTo("video:1");
    assertThat(named.getString("granularity")).isEqualTo("minute");
    assertThat(named.getString("start")).isEqualTo(Instant.ofEpochMilli(minute).toString());
    assertThat(named.getJsonObject("served").getLong("count"))
        .isEqualTo(named.getJsonObject("recounted").getLong("count") + 3);
    assertThat(get(a.url() + "/metrics").body()).contains("tally_audit_mismatched_rows 1.0");
    assertThat(
            new JsonObject(get(a.url() + "/healthz").body()).getJsonArray("warnings").getString(0))
        .contains("video:1 view minute " + Instant.ofEpochMilli(minute));
    long total = a.total(http, "video:1").getLong("count");

    HttpResponse<String> recount = post(a, "/v1/admin/recount", range);
    assertThat(recount.statusCode()).as(recount.body()).isEqualTo(200);
    JsonObject repaired = new JsonObject(recount.body());
    assertThat(repaired.getBoolean("applied")).isTrue();
    assertThat(repaired.getLong("changed")).as(repaired.encode()).isEqualTo(1);
    assertThat(repaired.getLong("totalsAdjusted")).isZero();
    assertThat(repaired.getLong("topKSlotsChanged")).as(repaired.encode()).isEqualTo(1);
    assertThat(daySlot(run, p, slot)).isEqualTo(slotBefore); // applied before the answer
    assertThat(minuteRow(run, "video:1", minute)[0])
        .isEqualTo(named.getJsonObject("recounted").getLong("count"));
    JsonObject after = new JsonObject(post(a, "/v1/admin/audit", range).body());
    assertThat(after.getLong("mismatched")).as(after.encode()).isZero();
    assertThat(after.getLong("topKSlotsChanged")).as(after.encode()).isZero();
    assertThat(a.total(http, "video:1").getLong("count")).isEqualTo(total).isEqualTo(1_000);
    assertThat(new JsonObject(get(a.url() + "/healthz").body()).containsKey("warnings")).isFalse();
  }

  /** Count and sum of a minute row as Cassandra holds it. */
  private long[] minuteRow(String keyspace, String entity, long minute) {
    try (CqlSession cql = cql()) {
      Row row =
          cql.execute(
                  "SELECT count, sum FROM "
                      + keyspace
                      + ".counter_rows WHERE entity = ? AND type = 'view'"
                      + " AND granularity = 'minute' AND bucket = ?",
                  entity,
                  minute)
              .one();
      return new long[] {row.getLong(0), row.getLong(1)};
    }
  }

  private CqlSession cql() {
    return CqlSession.builder()
        .addContactPoint(engines.cassandra().contactPoint())
        .withLocalDatacenter("datacenter1")
        .build();
  }

  private static final String DAY_SLOT =
      " WHERE partition = ? AND type = 'view' AND window_minutes = 1440 AND slot_start = ?";

  /** The counts of partition {@code p}'s 24h Top-K slot starting at {@code slot}, in Cassandra. */
  private java.util.Map<String, Long> daySlot(String keyspace, int p, long slot) {
    try (CqlSession cql = cql()) {
      Row row =
          cql.execute("SELECT sketch FROM " + keyspace + ".topk_slots" + DAY_SLOT, p, slot).one();
      assertThat(row).as("the 24h slot of partition " + p).isNotNull();
      return io.tally.core.topk.SlotSketches.counts(
          io.tally.core.topk.SlotSketches.deserialize(bytes(row.getByteBuffer(0))));
    }
  }

  /** Adds {@code by} to an entity in a 24h Top-K slot in Cassandra, as a bug might. */
  private void damageDaySlot(String keyspace, int p, long slot, String entity, long by) {
    try (CqlSession cql = cql()) {
      Row row =
          cql.execute(
                  "SELECT sketch, WRITETIME(sketch) FROM " + keyspace + ".topk_slots" + DAY_SLOT,
                  p,
                  slot)
              .one();
      org.apache.datasketches.frequencies.ItemsSketch<String> sketch =
          io.tally.core.topk.SlotSketches.deserialize(bytes(row.getByteBuffer(0)));
      sketch.update(entity, by);
      cql.execute(
          "UPDATE "
              + keyspace
              + ".topk_slots USING TIMESTAMP "
              + (row.getLong(1) + 1)
              + " SET sketch = ?"
              + DAY_SLOT,
          java.nio.ByteBuffer.wrap(io.tally.core.topk.SlotSketches.serialize(sketch)),
          p,
          slot);
    }
  }

  private static byte[] bytes(java.nio.ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  /** Adds {@code by} to a minute row's count and sum in Cassandra, as a bug or a bad disk might. */
  private void damageMinuteRow(String keyspace, String entity, long minute, long by) {
    try (CqlSession cql = cql()) {
      String where =
          " WHERE entity = ? AND type = 'view' AND granularity = 'minute' AND bucket = ?";
      Row row =
          cql.execute(
                  "SELECT count, sum, WRITETIME(count) FROM " + keyspace + ".counter_rows" + where,
                  entity,
                  minute)
              .one();
      assertThat(row).as("the minute row of " + entity).isNotNull();
      cql.execute(
          "UPDATE "
              + keyspace
              + ".counter_rows USING TIMESTAMP "
              + (row.getLong(2) + 1)
              + " SET count = ?, sum = ?"
              + where,
          row.getLong(0) + by,
          row.getLong(1) + by,
          entity,
          minute);
    }
  }

  private HttpResponse<String> post(ServerProcess n, String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(n.url() + path))
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The shared raw store holds every acknowledged event once (no offset twice, none missing), and
   * SQL's count per entity equals the load's and {@code /v1/total}'s.
   */
  private void assertRawStoreExact(ServerProcess n, ClusterLoad load) throws Exception {
    long total = load.expected.values().stream().mapToLong(AtomicLong::get).sum();
    String counts = "SELECT count(*), count(DISTINCT partition || '/' || \"offset\") FROM events";
    await() // the last minute closes, then the next export takes it
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> n.sqlRows(http, counts).getJsonArray(0).getLong(0) >= total);
    JsonArray stored = n.sqlRows(http, counts).getJsonArray(0);
    assertThat(List.of(stored.getLong(0), stored.getLong(1)))
        .as("events in the raw store, distinct log positions")
        .containsExactly(total, total);
    Map<String, Long> perEntity = new TreeMap<>();
    for (Object o : n.sqlRows(http, "SELECT entity, count(*) FROM events GROUP BY entity")) {
      perEntity.put(((JsonArray) o).getString(0), ((JsonArray) o).getLong(1));
    }
    assertThat(perEntity).hasSize(load.expected.size());
    for (Map.Entry<String, AtomicLong> e : load.expected.entrySet()) {
      assertThat(perEntity.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue().get());
      assertThat(n.total(http, e.getKey()).getLong("count"))
          .as(e.getKey() + " in /v1/total")
          .isEqualTo(e.getValue().get());
    }
    ServerProcess.rawFiles(dir.resolve("raw"), true);
  }

  @Test
  void aPausedZombieProcessorCannotMakeACountWrong() throws Throwable {
    String run = newRun();
    ServerProcess a = node("a", run);
    ServerProcess b = node("b", run);
    ClusterLoad load = new ClusterLoad(run, () -> List.of(b.url())).start(2, 60_000, 500, 20);
    await().atMost(Duration.ofMinutes(1)).until(() -> load.acked.get() >= 10_000);
    awaitSplit(a, b);
    a.pause(); // SIGSTOP: a keeps its sockets, its session expires, b takes its partitions
    await().atMost(Duration.ofSeconds(60)).until(() -> owned(b.log()).size() == PARTITIONS);
    Thread.sleep(2_000);
    a.resume(); // the zombie wakes up with uncommitted work and a stale group generation
    load.await(Duration.ofMinutes(3));
    assertExactEverywhere(load, Duration.ofSeconds(120));
    assertThat(a.log()).containsAnyOf("lost partitions", "fenced", "failed");
    System.out.println("zombie: " + load.summary());
  }

  @Test
  void aCassandraOutageBacksUpInKafkaAndConvergesToExact() throws Throwable {
    String run = newRun();
    ServerProcess a = node("a", run);
    // about 9,000 events/s for about 45 s, so ingest runs through the whole outage
    ClusterLoad load = new ClusterLoad(run, this::live).start(2, 400_000, 500, 100);
    await().atMost(Duration.ofMinutes(1)).until(() -> load.acked.get() >= 10_000);
    engines.cassandra().stop();
    long stoppedAt = System.nanoTime();
    long ackedAtStop = load.acked.get();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              JsonObject h = new JsonObject(get(a.url() + "/healthz").body());
              return !h.getJsonObject("checks")
                  .getJsonObject("materializer")
                  .getString("state")
                  .equals("ok");
            });
    JsonObject health = new JsonObject(get(a.url() + "/healthz").body());
    Thread.sleep(Math.max(0, 20_000 - (System.nanoTime() - stoppedAt) / 1_000_000));
    assertThat(load.acked.get())
        .as("ingest keeps accepting while Cassandra is down")
        .isGreaterThan(ackedAtStop + 5_000);
    engines.cassandra().start();
    load.await(Duration.ofMinutes(3));
    assertExactEverywhere(load, Duration.ofSeconds(120));
    assertThat(health.getJsonObject("checks").getJsonObject("materializer").getString("reason"))
        .contains("Cassandra");
    assertThat(load.status503.get()).isZero();
    System.out.println(
        "store outage: materializer said " + health.encode() + "; " + load.summary());
  }

  @Test
  void aBrokerRestartLosesNoAcknowledgedEvent() throws Throwable {
    String run = newRun();
    node("a", run);
    ClusterLoad load = new ClusterLoad(run, this::live).start(2, 200_000, 500, 100);
    await().atMost(Duration.ofMinutes(1)).until(() -> load.acked.get() >= 10_000);
    engines.kafka().restart();
    load.await(Duration.ofMinutes(4));
    assertExactEverywhere(load, Duration.ofSeconds(120));
    assertThat(load.otherErrors.get()).as("clients only see retriable 503s").isZero();
    System.out.println("broker restart: " + load.summary());
  }

  /** Waits until the partitions are split between the two nodes' processors. */
  private static void awaitSplit(ServerProcess a, ServerProcess b) {
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              Set<Integer> inA = owned(a.log());
              Set<Integer> inB = owned(b.log());
              return !inA.isEmpty() && !inB.isEmpty() && inA.size() + inB.size() == PARTITIONS;
            });
  }

  /**
   * The partitions a node's processor owns, replayed from its "took" / "gave up" / "lost" log
   * lines.
   */
  static Set<Integer> owned(String log) {
    Set<Integer> owned = new TreeSet<>();
    Matcher m = Pattern.compile("(took|gave up|lost) partitions \\[([0-9, ]*)\\]").matcher(log);
    while (m.find()) {
      for (String p : m.group(2).split(",")) {
        if (p.isBlank()) {
          continue;
        }
        if (m.group(1).equals("took")) {
          owned.add(Integer.parseInt(p.trim()));
        } else {
          owned.remove(Integer.parseInt(p.trim()));
        }
      }
    }
    return owned;
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }
}
