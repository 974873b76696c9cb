package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.engines.FreePorts;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * No single point of failure, on real engines: {@code tally cluster up --replicas 3} (3 Kafka
 * brokers with RF 3 / min ISR 2, 3 Cassandra nodes with RF 3 and LOCAL_QUORUM, 3 Tally nodes) takes
 * a steady load through the Java SDK given all three node URLs ({@link SdkLoad}: at least {@value
 * #EVENTS} events, one in {@value SdkLoad#RESEND_EVERY} re-sent with its id) and queries through a
 * second SDK client ({@link SdkQueries}) while, one at a time: (1) a broker is SIGKILLed and
 * restarted, (2) a Cassandra node is SIGKILLed and restarted, (3) a Tally node is SIGKILLed and
 * restarted, (4) a Cassandra node is SIGSTOPped for 20 s and resumed, (5) the Kafka controller
 * leader is SIGKILLed and restarted. Each fault must heal (the probes of {@link ClusterFaults}),
 * and the heal times are printed. Then every acknowledged event is counted exactly once on every
 * node; at least 99 % of ingest requests were accepted on their first attempt; no query reached the
 * caller as an error, and none was answered with an error status (a killed node's unanswered
 * attempts are the SDK's to skip). About 6 minutes on two cores and 5.5 GB of RAM.
 */
@Timeout(value = 14, unit = TimeUnit.MINUTES)
class ReplicatedChaosTest {
  private static final long EVENTS = 300_000;
  private static final int EVENTS_PER_SECOND = 2_000;
  private static final Duration HEAL = Duration.ofSeconds(150);

  private Path dir;

  @AfterEach
  void stopEverything() throws Exception {
    if (dir != null && Files.exists(dir.resolve("cluster.json"))) {
      tally("cluster", "down", "--dir", dir.toString());
    }
  }

  @Test
  void ingestAndQueriesRideThroughFiveFaultsExactly() throws Throwable {
    Files.createDirectories(Path.of("target"));
    Path run = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "chaos-");
    dir = run.resolve("cluster");
    int[] ports = ports();
    String up =
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
    List<String> nodes =
        List.of(
            "http://127.0.0.1:" + ports[4],
            "http://127.0.0.1:" + ports[5],
            "http://127.0.0.1:" + ports[6]);
    Map<String, JsonObject> processes = new LinkedHashMap<>();
    for (Object p :
        new JsonObject(Files.readString(dir.resolve("cluster.json"))).getJsonArray("processes")) {
      processes.put(((JsonObject) p).getString("name"), (JsonObject) p);
    }
    assertThat(processes).as(up).hasSize(9);

    Map<String, Double> heal = new LinkedHashMap<>();
    try (ClusterFaults faults = new ClusterFaults(processes);
        SdkLoad load = new SdkLoad("chaos" + System.nanoTime(), nodes).start(EVENTS_PER_SECOND);
        SdkQueries queries = new SdkQueries(nodes).start()) {
      Thread.sleep(10_000);

      List<String> line = faults.kill9("kafka-2");
      Thread.sleep(5_000);
      faults.restart("kafka-2", line);
      heal.put("broker kill -9", healed("kafka", faults::kafkaFullyReplicated));

      line = faults.kill9("cassandra-2");
      Thread.sleep(10_000);
      faults.restart("cassandra-2", line);
      heal.put("Cassandra kill -9", healed("cassandra", faults::cassandraAllReplicasAnswer));

      line = faults.kill9("node-2");
      Thread.sleep(5_000);
      faults.restart("node-2", line);
      heal.put("Tally node kill -9", healed("node-2", () -> faults.tallyNodeHealthy("node-2")));

      faults.freeze("cassandra-3", true);
      Thread.sleep(20_000);
      faults.freeze("cassandra-3", false);
      heal.put("Cassandra SIGSTOP 20 s", healed("cassandra", faults::cassandraAllReplicasAnswer));

      String leader = faults.controllerLeader();
      line = faults.kill9(leader);
      Thread.sleep(5_000);
      faults.restart(leader, line);
      heal.put(
          "controller leader (" + leader + ") kill -9",
          healed("kafka", faults::kafkaFullyReplicated));

      load.finish(EVENTS, Duration.ofMinutes(4));
      Thread.sleep(2_000); // queries after the last fault, too
      queries.stop();
      for (String node : nodes) {
        await()
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofSeconds(2))
            .untilAsserted(() -> assertThat(load.mismatches(node)).as(node).isEmpty());
      }
      System.out.println("chaos: " + load.summary() + "; " + queries.summary());
      System.out.println("chaos: seconds from restart (SIGCONT) to healed: " + heal);

      assertThat(load.distinct()).isGreaterThanOrEqualTo(EVENTS);
      assertThat(load.acked.get()).isEqualTo(load.offered.get());
      assertThat(load.acceptedShare())
          .as("ingest requests accepted on their first attempt: " + load.summary())
          .isGreaterThanOrEqualTo(0.99);
      assertThat(queries.failedCalls).as(queries.summary()).isEmpty();
      assertThat(queries.errorAnswers).as(queries.summary()).isEmpty();
      assertThat(queries.unstated.get()).as("every answer states its consistency").isZero();
      assertThat(queries.calls.get()).isGreaterThan(100);
    }
  }

  /**
   * Seconds until the probe says {@code what} healed after a restart; fails after {@link #HEAL}.
   */
  private static double healed(String what, java.util.function.BooleanSupplier probe)
      throws InterruptedException {
    double seconds = ClusterFaults.secondsUntil(what, probe, HEAL);
    Thread.sleep(5_000); // the load runs on a healed cluster before the next fault
    return Math.round(seconds * 10) / 10.0;
  }

  /** Free ports: Kafka's two base ports with +100 and +200 free too, CQL, storage, 3 nodes. */
  private static int[] ports() throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int[] p = FreePorts.take(7);
      if (free(p[0] + 100) && free(p[0] + 200) && free(p[1] + 100) && free(p[1] + 200)) {
        return p;
      }
    }
    throw new AssertionError("no free ports in 100 draws");
  }

  private static boolean free(int port) {
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.isBound();
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Runs {@code tally <args>} from the built jar and returns its output; fails unless it exits 0.
   */
  private String tally(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                ServerProcess.JAR.toString()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(Path.of("target").toAbsolutePath(), "chaos-" + args[1], ".out");
    Process p =
        new ProcessBuilder(command)
            .directory(Path.of("..").toAbsolutePath().normalize().toFile())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("tally " + String.join(" ", args)).isTrue();
    String output = Files.readString(out);
    assertThat(p.exitValue()).as(output).isZero();
    return output;
  }
}
