package io.tally.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.datastax.oss.driver.api.core.CqlSession;
import io.tally.cli.TallyCommand;
import io.tally.engines.FreePorts;
import io.tally.model.Event;
import io.tally.model.json.TallyJson;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code tally cluster up}, {@code status} and {@code down} for real, each in its own JVM as a
 * person would run them: real Kafka and Cassandra, two Tally nodes, on free ports, in a directory
 * under {@code target/} (kept for its logs). About 60–90 s on two cores; the replicated topology
 * (three of each, ~5.5 GB RSS) about 2.5 min more.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class ClusterLifecycleTest {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** Holds the cluster's directory and each command's output. */
  private Path run;

  private Path dir;

  @AfterEach
  void killWhateverIsLeft() {
    if (dir == null) {
      return;
    }
    ClusterState.read(dir)
        .ifPresent(
            state ->
                state
                    .processes()
                    .forEach(
                        p ->
                            p.find()
                                .ifPresent(
                                    handle -> {
                                      handle.destroyForcibly();
                                      handle.onExit().orTimeout(30, TimeUnit.SECONDS).join();
                                    })));
  }

  @Test
  void upStartsACountingClusterThatOutlivesTheCommandAndDownStopsAllOfIt() throws Exception {
    Files.createDirectories(Path.of("target"));
    run = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "cluster-up-");
    dir = run.resolve("cluster");
    int[] ports = FreePorts.take(6);
    String node1 = "http://127.0.0.1:" + ports[4];
    String node2 = "http://127.0.0.1:" + ports[5];

    Run up =
        tally(
            "cluster",
            "up",
            "--dir",
            dir.toString(),
            "--kafka-port",
            "" + ports[0],
            "--kafka-controller-port",
            "" + ports[1],
            "--cassandra-port",
            "" + ports[2],
            "--cassandra-storage-port",
            "" + ports[3],
            "--node-ports",
            ports[4] + "," + ports[5]);

    assertThat(up.exit()).as(up.output()).isZero();
    assertThat(up.output())
        .contains(
            node1,
            node2,
            "127.0.0.1:" + ports[0],
            "127.0.0.1:" + ports[2],
            "cluster/logs/node-1.log");
    ClusterState state = ClusterState.read(dir).orElseThrow();
    assertThat(state.processes())
        .extracting(ClusterProcess::name)
        .containsExactly("kafka", "cassandra", "node-1", "node-2");
    assertThat(state.processes())
        .as("every process outlives the `up` JVM")
        .allSatisfy(p -> assertThat(p.find()).as(p.name()).isPresent());
    assertThat(get(node1 + "/healthz").statusCode()).isEqualTo(200);
    assertThat(get(node2 + "/healthz").statusCode()).isEqualTo(200);

    // the README's demo: send to one node, read on the other — at once, with the send's position
    sendOnOneNodeAndReadOnTheOther(node1, node2);

    // both nodes share the cluster's raw store: SQL answers on each (docs/raw.md#cluster-mode)
    for (String node : List.of(node1, node2)) {
      HttpResponse<String> sql =
          post(
              node + "/v1/query",
              "{\"sql\": \"SELECT count(*) FROM events\"}".getBytes(StandardCharsets.UTF_8));
      assertThat(sql.statusCode()).as(sql.body()).isEqualTo(200);
    }
    assertThat(dir.resolve("raw").resolve("partitions")).isDirectory();

    Run status = tally("cluster", "status", "--dir", dir.toString());
    assertThat(status.exit()).as(status.output()).isZero();
    assertThat(status.output()).contains("4 of 4 processes alive");
    assertThat(status.output().lines().filter(l -> l.matches("\\s+[\\w-]+\\s+\\d+\\s+alive\\s.*")))
        .as(status.output())
        .hasSize(4);

    Run again = tally("cluster", "up", "--dir", dir.toString());
    assertThat(again.exit()).as(again.output()).isZero();
    assertThat(again.output()).contains("already up");

    Run down = tally("cluster", "down", "--dir", dir.toString());
    assertThat(down.exit()).as(down.output()).isZero();
    assertThat(down.output()).contains("Stopped 4 processes");
    for (ClusterProcess p : state.processes()) {
      Optional<ProcessHandle> left = ProcessHandle.of(p.pid()).filter(ProcessHandle::isAlive);
      assertThat(left).as(p.name() + " (pid " + p.pid() + ") after down").isEmpty();
    }
    assertThat(down.output())
        .as("nodes stop first, Kafka last")
        .containsSubsequence("node-", "node-", "cassandra", "kafka");

    Run downAgain = tally("cluster", "down", "--dir", dir.toString());
    assertThat(downAgain.exit()).isZero();
    assertThat(downAgain.output()).contains("already down");
  }

  @Test
  void upWithPostgresStartsTwoShardsAndAStreamingReplicaThatServesShardOnesReads()
      throws Exception {
    Files.createDirectories(Path.of("target"));
    run = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "cluster-postgres-");
    // PostgreSQL runs as the postgres user when this is root: it must reach the cluster directory
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
    dir = run.resolve("cluster");
    int[] ports = ClusterPortsTest.postgresPorts();
    String node1 = "http://127.0.0.1:" + ports[2];
    String node2 = "http://127.0.0.1:" + ports[3];
    int pg = ports[4];

    Run up =
        tally(
            "cluster",
            "up",
            "--store",
            "postgres",
            "--dir",
            dir.toString(),
            "--kafka-port",
            "" + ports[0],
            "--kafka-controller-port",
            "" + ports[1],
            "--postgres-port",
            "" + pg,
            "--node-ports",
            ports[2] + "," + ports[3]);

    assertThat(up.exit()).as(up.output()).isZero();
    assertThat(up.output())
        .contains("PostgreSQL  shards 127.0.0.1:" + pg, "replica 127.0.0.1:" + (pg + 2));
    ClusterState state = ClusterState.read(dir).orElseThrow();
    assertThat(state.processes())
        .extracting(ClusterProcess::name)
        .containsExactly(
            "kafka", "postgres-1", "postgres-2", "postgres-1-replica", "node-1", "node-2");
    assertThat(state.processes()).allSatisfy(p -> assertThat(p.find()).as(p.name()).isPresent());

    // events on both shards, read back with read-your-writes on the other node
    sendOnOneNodeAndReadOnTheOther(node1, node2);

    // the nodes read shard 1 from its replica (the metric says which copy answered)
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                get(node2 + "/metrics")
                    .body()
                    .lines()
                    .anyMatch(
                        l ->
                            l.startsWith("tally_postgres_replica_serving{")
                                && l.contains("shard=\"0\"")
                                && l.endsWith(" 1.0")));

    Run status = tally("cluster", "status", "--json", "--dir", dir.toString());
    assertThat(status.exit()).as(status.output()).isZero();
    JsonObject json = new JsonObject(status.stdout());
    assertThat(json.getBoolean("healthy")).isTrue();
    JsonObject postgres = json.getJsonObject("replication").getJsonObject("postgres");
    assertThat(postgres.getInteger("up")).isEqualTo(3);
    JsonObject primary = postgres.getJsonArray("servers").getJsonObject(0);
    assertThat(primary.getString("role")).isEqualTo("primary");
    assertThat(primary.getLong("streamingReplicas")).isEqualTo(1L);
    JsonObject replica = postgres.getJsonArray("servers").getJsonObject(2);
    assertThat(replica.getString("role")).isEqualTo("replica");
    assertThat(replica.getString("receiver")).isEqualTo("streaming");
    assertThat(json.getJsonObject("replication").containsKey("cassandra")).isFalse();
    Run plain = tally("cluster", "status", "--dir", dir.toString());
    assertThat(plain.exit()).as(plain.output()).isZero();
    assertThat(plain.output())
        .contains(
            "6 of 6 processes alive",
            "PostgreSQL: 3 of 3 servers up",
            "postgres-1 primary, 1 replica streaming",
            "postgres-1-replica replica, streaming");

    Run down = tally("cluster", "down", "--dir", dir.toString());
    assertThat(down.exit()).as(down.output()).isZero();
    assertThat(down.output())
        .contains("Stopped 6 processes")
        .containsSubsequence("node-", "node-", "postgres-", "kafka");
    for (ClusterProcess p : state.processes()) {
      assertThat(ProcessHandle.of(p.pid()).filter(ProcessHandle::isAlive))
          .as(p.name() + " after down")
          .isEmpty();
    }
  }

  @Test
  void replicasThreeStartsThreeOfEachReplicatedAndStatusJsonReportsTheLossOfABrokerAndANode()
      throws Exception {
    Files.createDirectories(Path.of("target"));
    run = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "cluster-replicas-");
    dir = run.resolve("cluster");
    int[] ports = ClusterPortsTest.replicatedPorts();
    String node1 = "http://127.0.0.1:" + ports[4];
    String node3 = "http://127.0.0.1:" + ports[6];
    String bootstrap = "127.0.0.1:" + ports[0];

    Run up =
        tally(
            "cluster",
            "up",
            "--replicas",
            "3",
            "--dir",
            dir.toString(),
            "--kafka-port",
            "" + ports[0],
            "--kafka-controller-port",
            "" + ports[1],
            "--cassandra-port",
            "" + ports[2],
            "--cassandra-storage-port",
            "" + ports[3],
            "--node-ports",
            ports[4] + "," + ports[5] + "," + ports[6]);

    assertThat(up.exit()).as(up.output()).isZero();
    assertThat(up.output())
        .contains(
            "127.0.0.1:" + ports[0] + ",127.0.0.1:" + (ports[0] + 100),
            "127.0.0.3:" + ports[2],
            "RF 3");
    ClusterState state = ClusterState.read(dir).orElseThrow();
    assertThat(state.processes())
        .extracting(ClusterProcess::name)
        .containsExactly(
            "kafka-1",
            "kafka-2",
            "kafka-3",
            "cassandra-1",
            "cassandra-2",
            "cassandra-3",
            "node-1",
            "node-2",
            "node-3");
    assertThat(state.processes()).allSatisfy(p -> assertThat(p.find()).as(p.name()).isPresent());
    assertThat(state.processes())
        .filteredOn(p -> p.kind() == ClusterProcess.Kind.CASSANDRA)
        .extracting(ClusterProcess::address)
        .containsExactly("127.0.0.1:" + ports[2], "127.0.0.2:" + ports[2], "127.0.0.3:" + ports[2]);

    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(3);
      assertThat(admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).voters())
          .as("a controller quorum of three")
          .hasSize(3);
      for (String topic : List.of("tally.events", "tally.deltas", "__consumer_offsets")) {
        TopicDescription d =
            admin
                .describeTopics(List.of(topic))
                .allTopicNames()
                .get(30, TimeUnit.SECONDS)
                .get(topic);
        assertThat(d.partitions())
            .as(topic)
            .allSatisfy(part -> assertThat(part.replicas()).hasSize(3));
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config =
            admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
        assertThat(config.get("min.insync.replicas").value()).as(topic).isEqualTo("2");
      }
    }
    try (CqlSession cql =
        CqlSession.builder()
            .addContactPoint(new InetSocketAddress("127.0.0.1", ports[2]))
            .withLocalDatacenter("datacenter1")
            .build()) {
      assertThat(cql.getMetadata().getNodes()).hasSize(3);
      assertThat(
              cql.getMetadata()
                  .getKeyspace("tally")
                  .orElseThrow()
                  .getReplication()
                  .get("replication_factor"))
          .isEqualTo("3");
    }

    String entity = "video:" + UUID.randomUUID();
    byte[] event =
        TallyJson.events(
            List.of(
                new Event(
                    UUID.randomUUID().toString(), entity, "view", System.currentTimeMillis(), 1)));
    assertThat(post(node1 + "/v1/events", event).statusCode()).isEqualTo(202);
    String total = node3 + "/v1/total?type=view&entity=" + entity;
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(() -> new JsonObject(get(total).body()).getLong("count", 0L) == 1L);

    Run healthy = tally("cluster", "status", "--json", "--dir", dir.toString());
    assertThat(healthy.exit()).as(healthy.output()).isZero();
    JsonObject status = new JsonObject(healthy.stdout());
    assertThat(status.getBoolean("healthy")).isTrue();
    assertThat(status.getJsonArray("processes")).hasSize(9);
    JsonObject first = status.getJsonArray("processes").getJsonObject(0);
    assertThat(first.getString("name")).isEqualTo("kafka-1");
    assertThat(first.getString("role")).isEqualTo("kafka");
    assertThat(first.getLong("pid")).isEqualTo(state.processes().get(0).pid());
    assertThat(first.getString("address")).isEqualTo(bootstrap);
    assertThat(first.getBoolean("alive")).isTrue();
    assertThat(first.getLong("rssBytes")).isPositive();
    JsonObject kafka = status.getJsonObject("replication").getJsonObject("kafka");
    assertThat(kafka.getInteger("brokers")).isEqualTo(3);
    assertThat(kafka.getInteger("partitions")).isPositive();
    assertThat(kafka.getJsonArray("underReplicatedPartitions")).isEmpty();
    JsonObject cassandra = status.getJsonObject("replication").getJsonObject("cassandra");
    assertThat(cassandra.getInteger("up")).isEqualTo(3);
    assertThat(cassandra.getInteger("down")).isZero();

    ClusterProcess broker3 = state.processes().get(2);
    ClusterProcess cassandra3 = state.processes().get(5);
    kill(broker3);
    kill(cassandra3);
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              Run degraded = tally("cluster", "status", "--json", "--dir", dir.toString());
              assertThat(degraded.exit()).as(degraded.output()).isOne();
              JsonObject json = new JsonObject(degraded.stdout());
              assertThat(json.getBoolean("healthy")).isFalse();
              assertThat(json.getJsonArray("processes").getJsonObject(2).getBoolean("alive"))
                  .isFalse();
              JsonObject k = json.getJsonObject("replication").getJsonObject("kafka");
              assertThat(k.getInteger("brokers")).isEqualTo(2);
              assertThat(k.getJsonArray("underReplicatedPartitions")).isNotEmpty();
              assertThat(k.getInteger("offlinePartitions")).isZero();
              JsonObject c = json.getJsonObject("replication").getJsonObject("cassandra");
              assertThat(c.getInteger("up")).isEqualTo(2);
              assertThat(c.getInteger("down")).isEqualTo(1);
              assertThat(c.getJsonArray("nodes").getJsonObject(2).getString("address"))
                  .isEqualTo("127.0.0.3:" + ports[2]);
              assertThat(c.getJsonArray("nodes").getJsonObject(2).getString("state"))
                  .isEqualTo("DOWN");
            });
    Run plain = tally("cluster", "status", "--dir", dir.toString());
    assertThat(plain.exit()).isOne();
    assertThat(plain.output())
        .contains("7 of 9 processes alive", "under-replicated", "2 of 3 nodes up")
        .containsPattern("127\\.0\\.0\\.3:" + ports[2] + " DOWN");

    Run down = tally("cluster", "down", "--dir", dir.toString());
    assertThat(down.exit()).as(down.output()).isZero();
    assertThat(down.output()).contains("Stopped 7 processes");
    for (ClusterProcess p : state.processes()) {
      assertThat(ProcessHandle.of(p.pid()).filter(ProcessHandle::isAlive))
          .as(p.name() + " after down")
          .isEmpty();
    }
  }

  private static void kill(ClusterProcess p) {
    ProcessHandle handle = p.find().orElseThrow();
    handle.destroyForcibly();
    handle.onExit().orTimeout(30, TimeUnit.SECONDS).join();
  }

  /**
   * @param output stdout, then stderr
   * @param stdout stdout alone
   */
  private record Run(int exit, String output, String stdout) {}

  /**
   * Runs {@code tally <args>} in a JVM of its own, from the module directory; waits for it to exit.
   */
  private Run tally(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                TallyCommand.class.getName()));
    command.addAll(List.of(args));
    Path output = Files.createTempFile(run, "tally-" + args[1] + "-", ".out");
    Path errors = Files.createTempFile(run, "tally-" + args[1] + "-", ".err");
    Process tally =
        new ProcessBuilder(command)
            .redirectOutput(output.toFile())
            .redirectError(errors.toFile())
            .start();
    if (!tally.waitFor(4, TimeUnit.MINUTES)) {
      tally.destroyForcibly();
      throw new AssertionError(
          "tally "
              + String.join(" ", args)
              + " did not finish in 4 min:\n"
              + Files.readString(output));
    }
    String stdout = Files.readString(output, StandardCharsets.UTF_8);
    return new Run(
        tally.exitValue(), stdout + Files.readString(errors, StandardCharsets.UTF_8), stdout);
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String url, byte[] body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The README's demo: one event sent to {@code node1} with {@code tally send}, read at once on
   * {@code node2} with {@code tally total --after} the position the send printed.
   */
  private void sendOnOneNodeAndReadOnTheOther(String node1, String node2) throws Exception {
    String entity = "video:" + UUID.randomUUID();
    Run send = tally("send", "--url", node1, "--entity", entity, "--type", "view");
    assertThat(send.exit()).as(send.output()).isZero();
    Matcher position =
        Pattern.compile("accepted 1 of 1 events; position (\\S+)").matcher(send.stdout());
    assertThat(position.find()).as(send.stdout()).isTrue();
    Run read =
        tally(
            "total",
            "--url",
            node2,
            "--entity",
            entity,
            "--type",
            "view",
            "--after",
            position.group(1),
            "--wait",
            "60000");
    assertThat(read.exit()).as(read.output()).isZero();
    assertThat(new JsonObject(read.stdout().strip()).getLong("count")).isEqualTo(1L);
  }
}
