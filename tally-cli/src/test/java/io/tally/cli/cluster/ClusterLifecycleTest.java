package io.tally.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.cli.TallyCommand;
import io.tally.engines.FreePorts;
import io.tally.model.Event;
import io.tally.model.json.TallyJson;
import io.vertx.core.json.JsonObject;
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
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code tally cluster up}, {@code status} and {@code down} for real, each in its own JVM as a
 * person would run them: real Kafka and Cassandra, two Tally nodes, on free ports, in a directory
 * under {@code target/} (kept for its logs). About 60–90 s on two cores.
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

    String entity = "video:" + UUID.randomUUID();
    byte[] event =
        TallyJson.events(
            List.of(
                new Event(
                    UUID.randomUUID().toString(), entity, "view", System.currentTimeMillis(), 1)));
    assertThat(post(node1 + "/v1/events", event).statusCode()).isEqualTo(202);
    String total = node2 + "/v1/total?type=view&entity=" + entity;
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(() -> new JsonObject(get(total).body()).getLong("count", 0L) == 1L);

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

  private record Run(int exit, String output) {}

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
    Process tally =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    if (!tally.waitFor(4, TimeUnit.MINUTES)) {
      tally.destroyForcibly();
      throw new AssertionError(
          "tally "
              + String.join(" ", args)
              + " did not finish in 4 min:\n"
              + Files.readString(output));
    }
    return new Run(tally.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
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
}
