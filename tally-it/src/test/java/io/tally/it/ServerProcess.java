package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.engines.ChildJvmOptions;
import io.tally.engines.LocalEngines;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One Tally server as a child process of the test, from the built jar: a cluster node ({@code serve
 * --mode cluster} against the test run's Kafka and Cassandra; its attributes replica in {@code
 * <dir>/<name>-data}) or an embedded server ({@link #embedded}; its data dir {@code
 * <dir>/<name>-data}). Its output goes to {@code <dir>/<name>.log}. It can be killed with SIGKILL,
 * paused with SIGSTOP and resumed, and started again on the same port and data.
 */
final class ServerProcess implements AutoCloseable {
  static final Path JAR =
      Path.of("..").toAbsolutePath().normalize().resolve("tally-cli/target/tally.jar");

  /** How soon a dead or paused node's partitions move (its consumer group session timeout). */
  static final int SESSION_TIMEOUT_MILLIS = 6_000;

  final String name;
  final int port;
  private final Path log;
  private final List<String> command;
  private Process process;

  /**
   * A cluster node named {@code name}, on its own topics ({@code run.}) and keyspace ({@code run}).
   */
  ServerProcess(
      String name, Path dir, LocalEngines engines, String run, int partitions, String... extraArgs)
      throws IOException {
    this(name, dir, freePort());
    command.addAll(
        List.of(
            "--mode",
            "cluster",
            "--kafka",
            engines.kafka().bootstrapServers(),
            "--cassandra",
            engines.cassandra().contactPoint().getHostString()
                + ":"
                + engines.cassandra().contactPoint().getPort(),
            "--topic-prefix",
            run + ".",
            "--keyspace",
            run,
            "--partitions",
            Integer.toString(partitions),
            "--node-id",
            name,
            "--data-dir",
            dir.resolve(name + "-data").toString(),
            "--session-timeout-ms",
            Integer.toString(SESSION_TIMEOUT_MILLIS)));
    command.addAll(List.of(extraArgs));
  }

  private ServerProcess(String name, Path dir, int port) {
    this.name = name;
    this.port = port;
    this.log = dir.resolve(name + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    command = new ArrayList<>(List.of(java, "-Xmx768m"));
    command.addAll(ChildJvmOptions.fromEnvironment());
    command.addAll(List.of("-jar", JAR.toString(), "serve", "--port", Integer.toString(port)));
  }

  /** An embedded server (RocksDB in {@code <dir>/<name>-data}) on a free port. */
  static ServerProcess embedded(String name, Path dir, String... extraArgs) throws IOException {
    return embedded(name, dir, dir.resolve(name + "-data"), extraArgs);
  }

  /** An embedded server with its data dir at {@code dataDir}, its output in {@code dir}. */
  static ServerProcess embedded(String name, Path dir, Path dataDir, String... extraArgs)
      throws IOException {
    ServerProcess p = new ServerProcess(name, dir, freePort());
    p.command.addAll(List.of("--data-dir", dataDir.toString()));
    p.command.addAll(List.of(extraArgs));
    return p;
  }

  void start() throws IOException {
    assertThat(JAR)
        .as("the runnable jar, which mvn verify builds before this module")
        .isRegularFile();
    Files.writeString(
        log,
        "==== test: start " + name + " ====\n",
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  /**
   * Posts one {@code view} event to this server, which must accept it; answers the position token
   * of its append (for {@code after=} reads).
   */
  String sendOne(HttpClient http, String id, String entity) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url() + "/v1/events"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"id\":\"" + id + "\",\"entity\":\"" + entity + "\",\"type\":\"view\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return new JsonObject(r.body()).getString("position");
  }

  /**
   * This server's {@code /v1/total} of {@code entity}'s {@code view} events, which must answer 200.
   */
  JsonObject total(HttpClient http, String entity) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url() + "/v1/total?entity=" + entity + "&type=view"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  /** The rows of this server's answer to {@code POST /v1/query {"sql": sql}}, which must be 200. */
  JsonArray sqlRows(HttpClient http, String sql) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url() + "/v1/query"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(new JsonObject().put("sql", sql).encode()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getJsonArray("rows");
  }

  /**
   * The Parquet files the raw store in {@code raw} lists in its per-partition manifests; with
   * {@code onlyListed}, asserts that no other Parquet or temp file lies in it.
   */
  static Set<Path> rawFiles(Path raw, boolean onlyListed) throws IOException {
    Set<Path> listed = new HashSet<>();
    try (Stream<Path> manifests = Files.list(raw.resolve("partitions"))) {
      for (Path m : manifests.filter(f -> f.toString().endsWith(".manifest")).toList()) {
        for (String line : Files.readAllLines(m)) {
          if (line.startsWith("file\t")) {
            listed.add(raw.resolve(line.split("\t")[1]));
          }
        }
      }
    }
    if (onlyListed) {
      try (Stream<Path> all = Files.walk(raw)) {
        assertThat(
                all.filter(f -> f.toString().endsWith(".parquet") || f.toString().endsWith(".tmp"))
                    .collect(Collectors.toSet()))
            .isEqualTo(listed);
      }
    }
    return listed;
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

  /** SIGTERM without waiting: the graceful stop begins. */
  void terminate() throws Exception {
    signal("TERM");
  }

  private void signal(String sig) throws Exception {
    Process kill =
        new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start();
    assertThat(kill.waitFor()).isZero();
  }

  /**
   * Waits up to {@code seconds} for the process to end by itself (e.g. a start that is refused) and
   * returns its exit code, or -1 if it is still running.
   */
  int awaitExit(int seconds) throws InterruptedException {
    return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
  }

  /** SIGTERM, then waits up to {@code seconds} for the exit; its code, or -1 if still running. */
  int terminate(int seconds) throws InterruptedException {
    process.destroy();
    return awaitExit(seconds);
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
