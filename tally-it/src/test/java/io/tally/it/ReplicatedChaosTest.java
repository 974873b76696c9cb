package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.engines.EngineProcess;
import io.tally.engines.FreePorts;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * No single point of failure, on real engines: {@code tally cluster up --replicas 3} (3 Kafka
 * brokers with RF 3 / min ISR 2, 3 Cassandra nodes with RF 3 and LOCAL_QUORUM, 3 Tally nodes),
 * steady ingest to all three nodes with re-sent duplicates ({@link ClusterLoad}) and queries to all
 * three while, one at a time, a broker is SIGKILLed and restarted and a Cassandra node is SIGKILLed
 * and restarted (each from its own argument file, on its data). Every acknowledged event is counted
 * exactly once on every node, and every query sent during the run is answered 2xx with a stated
 * consistency. About 4 minutes on two cores and 5.5 GB of RAM.
 */
@Timeout(value = 9, unit = TimeUnit.MINUTES)
class ReplicatedChaosTest {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final List<Process> restarted = new ArrayList<>();
  private Path dir;

  @AfterEach
  void stopEverything() throws Exception {
    for (Process p : restarted) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
    if (dir != null && Files.exists(dir.resolve("cluster.json"))) {
      tally("cluster", "down", "--dir", dir.toString());
    }
  }

  @Test
  void ingestAndQueriesRideThroughTheLossOfABrokerAndOfACassandraNodeExactly() throws Throwable {
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
    Map<String, JsonObject> processes = new ConcurrentHashMap<>();
    for (Object p :
        new JsonObject(Files.readString(dir.resolve("cluster.json"))).getJsonArray("processes")) {
      processes.put(((JsonObject) p).getString("name"), (JsonObject) p);
    }
    assertThat(processes).as(up).hasSize(9);

    ClusterLoad load =
        new ClusterLoad("chaos" + System.nanoTime(), () -> nodes).start(3, 45_000, 250, 40);
    Queries queries = new Queries(nodes);
    queries.start();

    Thread.sleep(5_000);
    JsonObject broker = processes.get("kafka-2");
    List<String> brokerLine = kill9(broker);
    Thread.sleep(5_000);
    restart(broker, brokerLine);
    await()
        .atMost(Duration.ofSeconds(90))
        .until(() -> EngineProcess.accepts("127.0.0.1", broker.getInteger("port")));

    Thread.sleep(5_000);
    JsonObject cassandra = processes.get("cassandra-2");
    List<String> cassandraLine = kill9(cassandra);
    Thread.sleep(10_000);
    restart(cassandra, cassandraLine);
    await()
        .atMost(Duration.ofSeconds(120))
        .until(() -> EngineProcess.accepts("127.0.0.2", cassandra.getInteger("port")));

    load.await(Duration.ofMinutes(4));
    queries.stop();
    for (String node : nodes) {
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofSeconds(2))
          .untilAsserted(() -> assertThat(load.mismatches(node)).as(node).isEmpty());
    }
    System.out.println("chaos: " + load.summary() + "; " + queries.summary());
    assertThat(load.acked.get()).isGreaterThanOrEqualTo(45_000);
    assertThat(load.resent.get()).as("duplicates were re-sent").isPositive();
    assertThat(queries.sent.get()).isPositive();
    assertThat(queries.failures).as(queries.summary()).isEmpty();
    assertThat(queries.unstated.get()).as("every answer states its consistency").isZero();
  }

  /** Queries totals on every node in turn until stopped; records any answer that is not 2xx. */
  private final class Queries {
    final List<String> nodes;
    final AtomicLong sent = new AtomicLong();
    final AtomicLong one = new AtomicLong();
    final AtomicLong unstated = new AtomicLong();
    final List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicReference<Thread> thread = new AtomicReference<>();

    Queries(List<String> nodes) {
      this.nodes = nodes;
    }

    void start() {
      Thread t =
          new Thread(
              () -> {
                int i = 0;
                while (running.get()) {
                  String node = nodes.get(i++ % nodes.size());
                  query(node + "/v1/total?type=" + ClusterLoad.TYPE + "&entity=video:" + (i % 7));
                  try {
                    Thread.sleep(200);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "chaos-queries");
      t.start();
      thread.set(t);
    }

    private void query(String url) {
      sent.incrementAndGet();
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
          failures.add(url + " → " + r.statusCode() + " " + r.body());
          return;
        }
        String c = new JsonObject(r.body()).getString("consistency");
        if (c == null) {
          unstated.incrementAndGet();
        } else if (c.equals("one")) {
          one.incrementAndGet();
        }
      } catch (IOException | InterruptedException e) {
        failures.add(url + " → " + e);
      }
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.get().join(30_000);
    }

    String summary() {
      return sent.get()
          + " queries, "
          + failures.size()
          + " not 2xx, "
          + one.get()
          + " answered from one replica"
          + (failures.isEmpty() ? "" : " (first: " + failures.get(0) + ")");
    }
  }

  /** SIGKILL of a recorded process; returns its command line, to start it again. */
  private static List<String> kill9(JsonObject process) throws Exception {
    long pid = process.getLong("pid");
    List<String> line =
        List.of(
            new String(
                    Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8)
                .split("\0"));
    assertThat(line).contains(process.getString("argument"));
    ProcessHandle handle = ProcessHandle.of(pid).orElseThrow();
    handle.destroyForcibly();
    handle.onExit().get(30, TimeUnit.SECONDS);
    return line;
  }

  /** Starts an engine again with its command line, in its directory, appending to its log. */
  private void restart(JsonObject process, List<String> line) throws IOException {
    Path log = Path.of(process.getString("log"));
    restarted.add(
        new ProcessBuilder(line)
            .directory(log.getParent().toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start());
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
