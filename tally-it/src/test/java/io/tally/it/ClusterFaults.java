package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.tally.engines.EngineProcess;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
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
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;

/**
 * Faults for a replicated demo cluster ({@code tally cluster up --replicas 3}), on its processes as
 * {@code cluster.json} records them: SIGKILL and restart with the same command line, SIGSTOP and
 * SIGCONT; and the probes that say a fault has healed — Kafka without under-replicated partitions,
 * Cassandra answering a read at consistency ALL, a Tally node answering {@code /healthz}. Owns the
 * processes it restarts and kills them on {@link #close}. One test thread.
 */
final class ClusterFaults implements AutoCloseable {
  private final Map<String, JsonObject> processes;
  private final List<Process> restarted = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Admin admin;
  private final CqlSession cql;

  /**
   * @param processes the recorded processes by name ({@code kafka-1}, {@code cassandra-2}, …)
   */
  ClusterFaults(Map<String, JsonObject> processes) {
    this.processes = processes;
    List<String> brokers = new ArrayList<>();
    List<InetSocketAddress> cassandra = new ArrayList<>();
    for (JsonObject p : processes.values()) {
      if (p.getString("kind").equals("KAFKA")) {
        brokers.add(p.getString("address"));
      } else if (p.getString("kind").equals("CASSANDRA")) {
        String[] hostPort = p.getString("address").split(":");
        cassandra.add(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])));
      }
    }
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", brokers));
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 8_000);
    admin = Admin.create(props);
    cql =
        CqlSession.builder().addContactPoints(cassandra).withLocalDatacenter("datacenter1").build();
  }

  JsonObject process(String name) {
    return processes.get(name);
  }

  /** SIGKILL; returns the process's command line, to start it again with {@link #restart}. */
  List<String> kill9(String name) throws Exception {
    JsonObject process = processes.get(name);
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

  /** Starts a killed process again with its command line, appending to its log. */
  void restart(String name, List<String> line) throws IOException {
    Path log = Path.of(processes.get(name).getString("log"));
    restarted.add(
        new ProcessBuilder(line)
            .directory(log.getParent().toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start());
  }

  /** SIGSTOP ({@code stop = true}) or SIGCONT. */
  void freeze(String name, boolean stop) throws Exception {
    Process kill =
        new ProcessBuilder(
                "kill", stop ? "-STOP" : "-CONT", processes.get(name).getLong("pid").toString())
            .inheritIO()
            .start();
    assertThat(kill.waitFor()).as("kill %s %s", stop ? "-STOP" : "-CONT", name).isZero();
  }

  /** The name of the broker that is the active controller ({@code kafka-<node id>}). */
  String controllerLeader() throws Exception {
    return "kafka-"
        + admin.describeMetadataQuorum().quorumInfo().get(10, TimeUnit.SECONDS).leaderId();
  }

  /**
   * Whether every partition of every topic, internal ones too, has its full replica set in sync.
   */
  boolean kafkaFullyReplicated() {
    try {
      var names =
          admin
              .listTopics(new ListTopicsOptions().listInternal(true))
              .names()
              .get(8, TimeUnit.SECONDS);
      for (TopicDescription t :
          admin.describeTopics(names).allTopicNames().get(8, TimeUnit.SECONDS).values()) {
        if (t.partitions().stream()
            .anyMatch(p -> p.leader() == null || p.isr().size() < p.replicas().size())) {
          return false;
        }
      }
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** Whether all three replicas answer: a read of Tally's keyspace at consistency ALL. */
  boolean cassandraAllReplicasAnswer() {
    try {
      cql.execute(
          SimpleStatement.newInstance("SELECT name FROM tally.meta LIMIT 1")
              .setConsistencyLevel(ConsistencyLevel.ALL)
              .setTimeout(Duration.ofSeconds(5)));
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Whether the Tally node {@code name} answers {@code /healthz} with 200. */
  boolean tallyNodeHealthy(String name) {
    try {
      HttpResponse<Void> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:"
                              + processes.get(name).getInteger("port")
                              + "/healthz"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Whether something listens on the recorded process's address. */
  boolean listening(String name) {
    JsonObject p = processes.get(name);
    String address = p.getString("address"); // host:port, or a node's http://host:port
    String host = URI.create(address.contains("://") ? address : "tcp://" + address).getHost();
    return EngineProcess.accepts(host, p.getInteger("port"));
  }

  /** Seconds until {@code healed} holds, polled every 500 ms; fails after {@code max}. */
  static double secondsUntil(String what, BooleanSupplier healed, Duration max)
      throws InterruptedException {
    long start = System.nanoTime();
    while (!healed.getAsBoolean()) {
      if (System.nanoTime() - start > max.toNanos()) {
        throw new AssertionError(what + " did not heal within " + max);
      }
      Thread.sleep(500);
    }
    return (System.nanoTime() - start) / 1e9;
  }

  @Override
  public void close() {
    cql.close();
    admin.close(Duration.ofSeconds(5));
    for (Process p : restarted) {
      p.destroyForcibly();
      p.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(e -> p).join();
    }
  }
}
