package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.engines.LocalEngines;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Tally cluster node as a child process of the test: the built jar, {@code serve --mode
 * cluster} against the test run's Kafka and Cassandra, its output in {@code <dir>/<name>.log} and
 * its data (the attributes replica) in {@code <dir>/<name>-data}.
 * It can be killed with SIGKILL, paused with SIGSTOP and resumed, and started again on the same
 * port.
 */
final class ClusterNode implements AutoCloseable {
  static final Path JAR = Path.of("..").toAbsolutePath().normalize().resolve("tally-cli/target/tally.jar");
  /** How soon a dead or paused node's partitions move (its consumer group session timeout). */
  static final int SESSION_TIMEOUT_MILLIS = 6_000;

  final String name;
  final int port;
  private final Path log;
  private final List<String> command;
  private Process process;

  ClusterNode(String name, Path dir, LocalEngines engines, String run, int partitions, String... extraArgs)
      throws IOException {
    this.name = name;
    this.port = freePort();
    this.log = dir.resolve(name + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    command = new ArrayList<>(List.of(java, "-Xmx768m", "-jar", JAR.toString(), "serve", "--mode", "cluster",
        "--port", Integer.toString(port),
        "--kafka", engines.kafka().bootstrapServers(),
        "--cassandra", engines.cassandra().contactPoint().getHostString() + ":" + engines.cassandra().contactPoint().getPort(),
        "--topic-prefix", run + ".",
        "--keyspace", run,
        "--partitions", Integer.toString(partitions),
        "--node-id", name,
        "--data-dir", dir.resolve(name + "-data").toString(),
        "--session-timeout-ms", Integer.toString(SESSION_TIMEOUT_MILLIS)));
    command.addAll(List.of(extraArgs));
  }

  void start() throws IOException {
    assertThat(JAR).as("the runnable jar, which mvn verify builds before this module").isRegularFile();
    Files.writeString(log, "==== test: start " + name + " ====\n", StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  void kill9() throws InterruptedException {
    process.destroyForcibly();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  void pause() throws Exception {
    signal("STOP");
  }

  void resume() throws Exception {
    signal("CONT");
  }

  private void signal(String sig) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start();
    assertThat(kill.waitFor()).isZero();
  }

  /** The node's log so far. */
  String log() throws IOException {
    return Files.readString(log);
  }

  /** SIGTERM (a graceful stop), then SIGKILL after 40 s. */
  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(40, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
