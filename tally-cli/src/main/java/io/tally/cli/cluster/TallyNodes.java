package io.tally.cli.cluster;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import io.tally.cli.TallyCommand;
import io.tally.engines.ChildJvmOptions;
import io.tally.engines.DetachedProcess;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Tally nodes of the demo cluster: this same tally, run as {@code java -jar <its jar> serve --mode
 * cluster …} in a detached process (see {@link DetachedProcess}), its output appended to a log, and
 * probed on {@code GET /healthz}. Stateless; thread-safe.
 */
final class TallyNodes {
  /** How long {@code up} waits for a node to answer {@code /healthz} with 200. */
  static final Duration HEALTHY_TIMEOUT = Duration.ofSeconds(90);

  static final int LOG_TAIL_LINES = 30;

  /**
   * A node's heap: room for the dedup windows of all 8 partitions, the processors' and the raw
   * export's (together sized to 30 % of it: about 719,000 ids each, see processor.dedup-capacity),
   * the materializer's row cache (500,000 rows) and the clients' buffers. At 512 MB a node under
   * full load ended in an OutOfMemoryError once its dedup windows filled. At 1 GB, at 27,000
   * events/s with 200 queries/s, G1 was marking the old generation almost without a break, and the
   * node took 42–44 CPU-µs per event; at 2 GB 22–24, with {@code total} p50 7.7 ms instead of 18–25
   * and freshness p99 2.2–2.7 s instead of 5.8–6.1 (docs/benchmarks.md, 2026-12-06).
   */
  private static final List<String> JVM_OPTIONS = List.of("-Xmx2g", "-XX:+ExitOnOutOfMemoryError");

  private static final Duration POLL = Duration.ofMillis(250);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  /** What {@code GET /healthz} answered: an HTTP status, or 0 and why there was no answer. */
  record Health(int status, String detail) {
    boolean ok() {
      return status == 200;
    }

    @Override
    public String toString() {
      return status == 0 ? detail : status + " " + detail;
    }
  }

  private TallyNodes() {}

  /** {@code node-1} for index 0, and so on. */
  static String name(int index) {
    return "node-" + (index + 1);
  }

  static String url(int port) {
    return "http://127.0.0.1:" + port;
  }

  /**
   * Starts a node in cluster mode on {@code port} with its data in {@code dataDir}, appending its
   * output to {@code log}; returns at once. {@code options} name the store ({@code --cassandra …},
   * or {@code --store postgres --postgres …}) and the replication. The data directory, given
   * verbatim as an argument, identifies the process later.
   */
  static Process start(
      String name, int port, String kafka, List<String> options, Path dataDir, Path log)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(JVM_OPTIONS);
    command.addAll(ChildJvmOptions.fromEnvironment());
    command.addAll(self());
    command.addAll(
        List.of(
            "serve",
            "--mode",
            "cluster",
            "--port",
            Integer.toString(port),
            "--kafka",
            kafka,
            "--node-id",
            name,
            "--data-dir",
            dataDir.toString()));
    command.addAll(options);
    Files.createDirectories(dataDir);
    Files.createDirectories(log.getParent());
    Files.writeString(
        log,
        "==== tally cluster up: "
            + name
            + " starting at "
            + Instant.now()
            + " ====\n"
            + String.join(" ", command)
            + "\n",
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    return DetachedProcess.builder(command)
        .directory(dataDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  /**
   * Waits until the node answers {@code GET /healthz} with 200.
   *
   * @throws ClusterException if it exits first or is not healthy within {@code timeout} (it is then
   *     left running); the message holds the end of its log
   */
  static void awaitHealthy(String name, Process node, int port, Path log, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Health last = probe(port);
    while (!last.ok()) {
      if (!node.isAlive()) {
        throw new ClusterException(
            name
                + " exited with code "
                + node.exitValue()
                + " before it was healthy; "
                + tail(log));
      }
      if (System.nanoTime() - deadline > 0) {
        throw new ClusterException(
            name
                + " (pid "
                + node.pid()
                + ") was not healthy within "
                + timeout.toSeconds()
                + " s (last /healthz: "
                + last
                + "); it is left running for you to inspect; "
                + tail(log));
      }
      sleep(POLL);
      last = probe(port);
    }
  }

  /** {@code GET /healthz} on 127.0.0.1:{@code port}, giving up after 2 s. */
  static Health probe(int port) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url(port) + "/healthz"))
            .timeout(Duration.ofSeconds(2))
            .GET()
            .build();
    try {
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      return new Health(response.statusCode(), status(response.body()));
    } catch (IOException e) {
      return new Health(0, "no answer");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Health(0, "interrupted");
    }
  }

  /**
   * The {@code status} field of a {@code /healthz} answer ({@code ok}, {@code unhealthy}); "" if
   * none.
   */
  private static String status(String body) {
    try {
      return new JsonObject(body).getString("status", "");
    } catch (DecodeException e) {
      return "";
    }
  }

  /** The last {@value #LOG_TAIL_LINES} lines of {@code log}, introduced by its path. */
  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, ISO_8859_1);
      List<String> last = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
      return "the last " + last.size() + " lines of " + log + ":\n" + String.join("\n", last);
    } catch (IOException e) {
      return "cannot read " + log + ": " + e;
    }
  }

  /**
   * The arguments that run this tally: {@code -jar <jar>} when it runs from a jar (as {@code
   * ./tally} does), else its classpath and main class (from an IDE or a test).
   */
  private static List<String> self() {
    Path location;
    try {
      location =
          Path.of(TallyNodes.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException | SecurityException e) {
      throw new ClusterException("cannot locate the tally jar: " + e.getMessage(), e);
    }
    if (Files.isRegularFile(location)) {
      return List.of("-jar", location.toString());
    }
    return List.of("-cp", System.getProperty("java.class.path"), TallyCommand.class.getName());
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClusterException("interrupted", e);
    }
  }
}
