package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.core.partition.Partitioner;
import io.tally.engines.LocalEngines;
import io.tally.engines.PostgresServer;
import io.tally.engines.RealEngines;
import io.tally.engines.RealPostgres;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 22, cluster mode on PostgreSQL sharded by partition (real Kafka, a real PostgreSQL holding
 * two shard databases, two Tally nodes from the built jar with {@code --store postgres}): events
 * sent to either node, re-sent ones included, are counted once and read on both; each partition's
 * rows live on shard p mod 2 only; a node whose shard list is given in another order refuses to
 * start; a PostgreSQL outage of 20 s, a node SIGKILLed, a node paused into a zombie and a broker
 * restart, each under load, end with every acknowledged event counted once on every node (as
 * ClusterTest shows on Cassandra).
 */
@ExtendWith({RealEngines.class, RealPostgres.class})
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class PostgresClusterTest {
  private static final int PARTITIONS = 8;
  private static final int ENTITIES = 20;
  private final LocalEngines engines;
  private final PostgresServer postgres;
  private final List<ServerProcess> nodes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  PostgresClusterTest(LocalEngines engines, PostgresServer postgres) {
    this.engines = engines;
    this.postgres = postgres;
  }

  @AfterEach
  void stopNodes() throws Exception {
    for (ServerProcess n : nodes) {
      n.close();
    }
    if (!postgres.isRunning()) {
      postgres.start();
    }
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
  private void assertExactEverywhere(ClusterLoad load) throws Exception {
    for (String url : live()) {
      List<String> last = new ArrayList<>();
      try {
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> {
                  last.clear();
                  last.addAll(load.mismatches(url));
                  return last.isEmpty();
                });
      } catch (ConditionTimeoutException e) {
        throw new AssertionError(
            "counts on " + url + " never became exact; " + load.summary() + "; " + last, e);
      }
    }
  }

  /** Two nodes on two fresh shard databases, both healthy. */
  private List<ServerProcess> twoNodes(String run, Path dir) throws Exception {
    String shards = createDatabase(run + "_a") + "," + createDatabase(run + "_b");
    ServerProcess a = node("a", run, dir, shards);
    awaitHealthy(a);
    ServerProcess b = node("b", run, dir, shards);
    awaitHealthy(b);
    return List.of(a, b);
  }

  @Test
  void aPostgresOutageOf20SecondsBacksUpInKafkaAndConvergesToExact() throws Throwable {
    String run = "pgout" + System.nanoTime() % 1_000_000;
    Path dir = Files.createDirectories(Path.of("target", "cluster-it", run));
    ServerProcess a = twoNodes(run, dir).get(0);
    ClusterLoad load = new ClusterLoad(run, this::live).start(2, 200_000, 500, 100);
    await().atMost(Duration.ofMinutes(1)).until(() -> load.acked.get() >= 10_000);
    postgres.stop();
    long stoppedAt = System.nanoTime();
    long ackedAtStop = load.acked.get();
    // the materializer says why it is stuck: PostgreSQL (a rebalance's failed offset commit may
    // come and go first, while node b's materializer joins the group)
    JsonObject down =
        await()
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(
                () -> materializer(a),
                m ->
                    !m.getString("state").equals("ok")
                        && m.getString("reason", "").contains("PostgreSQL"));
    Thread.sleep(Math.max(0, 20_000 - (System.nanoTime() - stoppedAt) / 1_000_000));
    assertThat(load.acked.get())
        .as("ingest keeps accepting while PostgreSQL is down")
        .isGreaterThan(ackedAtStop + 5_000);
    postgres.start();
    load.await(Duration.ofMinutes(3));
    assertExactEverywhere(load);
    assertThat(load.status503.get()).isZero();
    System.out.println(
        "postgres outage: materializer said " + down.encode() + "; " + load.summary());
  }

  private JsonObject materializer(ServerProcess n) throws Exception {
    return new JsonObject(get(n.url() + "/healthz").body())
        .getJsonObject("checks")
        .getJsonObject("materializer");
  }

  @Test
  void aPausedZombieNodeCannotMakeACountWrongOnPostgres() throws Throwable {
    String run = "pgzombie" + System.nanoTime() % 1_000_000;
    Path dir = Files.createDirectories(Path.of("target", "cluster-it", run));
    List<ServerProcess> ab = twoNodes(run, dir);
    ServerProcess a = ab.get(0);
    ServerProcess b = ab.get(1);
    ClusterLoad load = new ClusterLoad(run, () -> List.of(b.url())).start(2, 60_000, 500, 20);
    await().atMost(Duration.ofMinutes(1)).until(() -> load.acked.get() >= 10_000);
    a.pause(); // SIGSTOP: its session expires, b takes its partitions
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> ClusterTest.owned(b.log()).size() == PARTITIONS);
      Thread.sleep(2_000);
    } finally {
      a.resume(); // the zombie wakes up with uncommitted work, its materializer mid-step
    }
    load.await(Duration.ofMinutes(3));
    assertExactEverywhere(load);
    System.out.println("postgres zombie: " + load.summary());
  }

  @Test
  void aBrokerRestartLosesNoAcknowledgedEventOnPostgres() throws Throwable {
    String run = "pgbroker" + System.nanoTime() % 1_000_000;
    Path dir = Files.createDirectories(Path.of("target", "cluster-it", run));
    twoNodes(run, dir);
    ClusterLoad load = new ClusterLoad(run, this::live).start(2, 100_000, 500, 100);
    await().atMost(Duration.ofMinutes(1)).until(() -> load.acked.get() >= 10_000);
    engines.kafka().restart();
    load.await(Duration.ofMinutes(4));
    assertExactEverywhere(load);
    assertThat(load.otherErrors.get()).as("clients only see retriable 503s").isZero();
    System.out.println("postgres broker restart: " + load.summary());
  }

  @Test
  void aKilledNodesPartitionsMoveToTheOtherWithExactCountsOnBothShards() throws Throwable {
    String run = "pgkill" + System.nanoTime() % 1_000_000;
    Path dir = Files.createDirectories(Path.of("target", "cluster-it", run));
    List<ServerProcess> ab = twoNodes(run, dir);
    ServerProcess a = ab.get(0);
    ServerProcess b = ab.get(1);
    ClusterLoad load = new ClusterLoad(run, this::live).start(4, 120_000, 500, 0);
    await().atMost(Duration.ofMinutes(2)).until(() -> load.acked.get() >= 30_000);
    a.kill9(); // its processor's and materializer's partitions move to b, mid-transaction
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> ClusterTest.owned(b.log()).size() == PARTITIONS);
    a.start();
    awaitHealthy(a);
    load.await(Duration.ofMinutes(3));
    assertExactEverywhere(load);
    System.out.println("postgres failover: " + load.summary());
  }

  private ServerProcess node(String name, String run, Path dir, String shards, String... extra)
      throws Exception {
    List<String> args = new ArrayList<>(List.of("--store", "postgres", "--postgres", shards));
    args.addAll(List.of(extra));
    ServerProcess n =
        new ServerProcess(name, dir, engines, run, PARTITIONS, args.toArray(String[]::new));
    nodes.add(n);
    n.start();
    return n;
  }

  private void awaitHealthy(ServerProcess n) {
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> get(n.url() + "/healthz").statusCode() == 200);
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private void send(ServerProcess n, String id, String entity) throws Exception {
    sendForPosition(n, id, entity);
  }

  private long total(ServerProcess n, String entity) throws Exception {
    HttpResponse<String> r = get(n.url() + "/v1/total?entity=" + entity + "&type=view");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getLong("count");
  }

  private String createDatabase(String name) throws Exception {
    try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(), PostgresServer.USER, "");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return postgres.jdbcUrl(name);
  }

  private static long totalRows(String url, String entity) throws Exception {
    try (Connection c = DriverManager.getConnection(url, PostgresServer.USER, "");
        PreparedStatement s =
            c.prepareStatement(
                "SELECT count(*) FROM tally.counters WHERE entity = ? AND granularity = 'total'")) {
      s.setString(1, entity);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    }
  }

  /**
   * Audit and recount over PostgreSQL (issue 18): a minute row damaged in its shard is named by the
   * audit and repaired by a recount, the total untouched, the next audit clean.
   */
  @Test
  void theAuditReportsExactlyTheRowDamagedInPostgresAndARecountRepairsIt() throws Exception {
    String run = "pgr" + System.nanoTime() % 1_000_000;
    Path dir = Files.createDirectories(Path.of("target", "cluster-it", run));
    String shardA = createDatabase(run + "_a");
    String shardB = createDatabase(run + "_b");
    ServerProcess a =
        node(
            "a",
            run,
            dir,
            shardA + "," + shardB,
            "--raw-dir",
            dir.resolve("raw").toString(),
            "--raw-export-interval",
            "1s");
    awaitHealthy(a);
    long hour = 3_600_000L;
    long to = Math.floorDiv(System.currentTimeMillis(), hour) * hour;
    String range =
        new JsonObject()
            .put("from", java.time.Instant.ofEpochMilli(to - hour).toString())
            .put("to", java.time.Instant.ofEpochMilli(to).toString())
            .encode();
    io.vertx.core.json.JsonArray events = new io.vertx.core.json.JsonArray();
    for (int n = 0; n < 3_000; n++) {
      events.add(
          new JsonObject()
              .put("id", "h-" + n)
              .put("entity", "video:" + n % 3)
              .put("type", "view")
              .put("time", to - hour + (n * 179L) % hour));
    }
    assertThat(post(a, "/v1/events", events.encode()).statusCode()).isEqualTo(202);
    await().atMost(Duration.ofSeconds(60)).until(() -> total(a, "video:1") == 1_000);
    await() // counted and exported: the audit stops answering 409
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> post(a, "/v1/admin/audit", range).statusCode() == 200);
    JsonObject clean = new JsonObject(post(a, "/v1/admin/audit", range).body());
    assertThat(clean.getLong("mismatched")).as(clean.encode()).isZero();
    assertThat(clean.getLong("eventsRead")).isEqualTo(3_000);

    long minute = to - hour; // video:1's event 1 falls in the hour's first minute
    int p = new Partitioner(PARTITIONS).partition("video:1");
    sql(
        p % 2 == 0 ? shardA : shardB,
        "UPDATE tally.counters SET count = count + 3, sum = sum + 3 WHERE entity = 'video:1'"
            + " AND type = 'view' AND granularity = 'minute' AND bucket = "
            + minute);
    JsonObject audit = new JsonObject(post(a, "/v1/admin/audit", range).body());
    assertThat(audit.getLong("mismatched")).as(audit.encode()).isEqualTo(1);
    JsonObject named = audit.getJsonArray("differences").getJsonObject(0);
    assertThat(named.getString("entity")).isEqualTo("video:1");
    assertThat(named.getString("start"))
        .isEqualTo(java.time.Instant.ofEpochMilli(minute).toString());
    assertThat(named.getJsonObject("served").getLong("count"))
        .isEqualTo(named.getJsonObject("recounted").getLong("count") + 3);

    HttpResponse<String> recount = post(a, "/v1/admin/recount", range);
    assertThat(recount.statusCode()).as(recount.body()).isEqualTo(200);
    JsonObject repaired = new JsonObject(recount.body());
    assertThat(repaired.getLong("changed")).as(repaired.encode()).isEqualTo(1);
    assertThat(repaired.getLong("totalsAdjusted")).isZero();
    JsonObject after = new JsonObject(post(a, "/v1/admin/audit", range).body());
    assertThat(after.getLong("mismatched")).as(after.encode()).isZero();
    assertThat(total(a, "video:1")).isEqualTo(1_000);
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

  @Test
  void twoNodesOnTwoShardsCountEveryEventOnceAndAReorderedShardListIsRefused() throws Exception {
    String run = "pg" + System.nanoTime() % 1_000_000;
    Path dir = Files.createDirectories(Path.of("target", "cluster-it", run));
    String shardA = createDatabase(run + "_a");
    String shardB = createDatabase(run + "_b");
    ServerProcess a = node("a", run, dir, shardA + "," + shardB);
    awaitHealthy(a);
    ServerProcess b = node("b", run, dir, shardA + "," + shardB);
    awaitHealthy(b);

    for (int i = 0; i < ENTITIES; i++) {
      send(i % 2 == 0 ? a : b, "e" + i, "video:" + i);
      send(i % 2 == 0 ? b : a, "f" + i, "video:" + i);
      if (i % 4 == 0) {
        send(a, "e" + i, "video:" + i); // a client's retry: the same id, counted once
      }
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              for (int i = 0; i < ENTITIES; i++) {
                assertThat(total(a, "video:" + i)).as("video:" + i + " on a").isEqualTo(2);
                assertThat(total(b, "video:" + i)).as("video:" + i + " on b").isEqualTo(2);
              }
            });

    Partitioner partitioner = new Partitioner(PARTITIONS);
    for (int i = 0; i < ENTITIES; i++) {
      String entity = "video:" + i;
      boolean onA = partitioner.partition(entity) % 2 == 0;
      assertThat(totalRows(shardA, entity)).as(entity + " on shard 0").isEqualTo(onA ? 1 : 0);
      assertThat(totalRows(shardB, entity)).as(entity + " on shard 1").isEqualTo(onA ? 0 : 1);
    }

    ServerProcess reordered = node("c", run, dir, shardB + "," + shardA);
    assertThat(reordered.awaitExit(90))
        .as("a node with the shard list reordered exits by itself, failing")
        .isNotIn(0, -1);
    assertThat(reordered.log()).contains("refusing a changed PostgreSQL shard list");
    assertThat(total(a, "video:0")).isEqualTo(2);
  }

  @Test
  void aReplicaShowsItsLagInAsOfAndReadYourWritesReadsThePrimaryMeanwhile() throws Exception {
    String run = "pgrep" + System.nanoTime() % 1_000_000;
    Path dir = Files.createDirectories(Path.of("target", "cluster-it", run));
    String shardA = createDatabase(run + "_a");
    String shardB = createDatabase(run + "_b");
    Path replicaDir = dir.toAbsolutePath().resolve("replica");
    try (PostgresServer replica =
        PostgresServer.startReplica(postgres, replicaDir, io.tally.engines.FreePorts.take(1)[0])) {
      ServerProcess a =
          new ServerProcess(
              "a",
              dir,
              engines,
              run,
              PARTITIONS,
              "--store",
              "postgres",
              "--postgres",
              shardA + "," + shardB,
              "--postgres-replica",
              replica.jdbcUrl(run + "_a") + ",none");
      nodes.add(a);
      a.start();
      awaitHealthy(a);
      Partitioner partitioner = new Partitioner(PARTITIONS);
      String entity = "video:r0";
      for (int i = 1; partitioner.partition(entity) % 2 != 0; i++) {
        entity = "video:r" + i; // an entity of shard 0, the one with the replica
      }
      int partition = partitioner.partition(entity);
      String e = entity;
      send(a, "r1", entity);
      await().atMost(Duration.ofSeconds(60)).until(() -> total(a, e) == 1);
      assertThat(replicaServing(a)).isEqualTo(1.0);

      sql(replica.jdbcUrl(), "SELECT pg_wal_replay_pause()");
      try {
        String position = sendForPosition(a, "r2", entity);
        await() // the primary has counted it
            .atMost(Duration.ofSeconds(60))
            .until(() -> primaryCount(shardA, e) == 2);
        long primaryAsOf = primaryAsOf(shardA, partition);
        Thread.sleep(500); // past the node's 200 ms as-of memo: the replica's progress is frozen
        JsonObject onReplica = totalAnswer(a, entity, "");
        assertThat(onReplica.getLong("count")).as("the replica has not replayed it").isEqualTo(1);
        assertThat(java.time.Instant.parse(onReplica.getString("asOf")).toEpochMilli())
            .as("the replica's asOf shows its lag")
            .isLessThan(primaryAsOf);

        JsonObject afterPosition = totalAnswer(a, entity, "&after=" + position + "&wait=30000");
        assertThat(afterPosition.getLong("count")).as("read-your-writes holds").isEqualTo(2);
        assertThat(replicaServing(a)).as("shard 0 read from its primary meanwhile").isEqualTo(0.0);
      } finally {
        sql(replica.jdbcUrl(), "SELECT pg_wal_replay_resume()");
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> replicaServing(a) == 1.0);
      assertThat(total(a, entity)).isEqualTo(2);
    }
  }

  private String sendForPosition(ServerProcess n, String id, String entity) throws Exception {
    return n.sendOne(http, id, entity);
  }

  private JsonObject totalAnswer(ServerProcess n, String entity, String extra) throws Exception {
    HttpResponse<String> r = get(n.url() + "/v1/total?entity=" + entity + "&type=view" + extra);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  /** {@code tally_postgres_replica_serving{shard="0"}} on node {@code n}. */
  private double replicaServing(ServerProcess n) throws Exception {
    return get(n.url() + "/metrics")
        .body()
        .lines()
        .filter(l -> l.startsWith("tally_postgres_replica_serving{") && l.contains("shard=\"0\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElse(-1);
  }

  private static void sql(String url, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(url, PostgresServer.USER, "");
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private static long primaryCount(String url, String entity) throws Exception {
    try (Connection c = DriverManager.getConnection(url, PostgresServer.USER, "");
        PreparedStatement s =
            c.prepareStatement(
                "SELECT coalesce(sum(count), 0) FROM tally.counters"
                    + " WHERE entity = ? AND granularity = 'total'")) {
      s.setString(1, entity);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    }
  }

  private static long primaryAsOf(String url, int partition) throws Exception {
    try (Connection c = DriverManager.getConnection(url, PostgresServer.USER, "");
        PreparedStatement s =
            c.prepareStatement("SELECT as_of FROM tally.progress WHERE partition = ?")) {
      s.setInt(1, partition);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    }
  }
}
