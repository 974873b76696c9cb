package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
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
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tally bench} end to end against the built jar: the report has its structure and the
 * exact-count check passes. Speed is not asserted here (docs/benchmarks.md has the numbers).
 */
class BenchSmokeTest {
  private static final Path JAR =
      Path.of("..").toAbsolutePath().normalize().resolve("tally-cli/target/tally.jar");
  @TempDir Path dir;
  private Process server;

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.destroyForcibly();
    }
  }

  @Test
  void benchReportsThroughputLatencyFreshnessAndAnExactCount() throws Exception {
    JsonObject report =
        bench(
            startServer(),
            "--prepared-events",
            "50000",
            "--duplicates",
            "0.2",
            "--actors",
            "500",
            "--query-fn",
            "uniques");
    assertThat(report.getLong("acceptedEvents")).isPositive();
    assertThat(report.getLong("warmupEvents"))
        .as("the warm-up's events are checked but not in the rate")
        .isPositive();
    assertThat(report.getLong("eventsPerSecond")).isPositive();
    assertThat(report.getJsonObject("ackLatencyMs").fieldNames())
        .contains("p50", "p90", "p99", "p99.9");
    assertThat(report.getJsonObject("totalQueryLatencyMs").getLong("count")).isPositive();
    assertThat(report.getJsonObject("freshnessMs").getLong("count")).isPositive();
    assertThat(report.getJsonObject("errors")).as("fn=uniques queries answered").isEmpty();
    assertThat(report.getJsonObject("config").getInteger("actors")).isEqualTo(500);
    JsonObject exact = report.getJsonObject("exactCount");
    assertThat(exact.getBoolean("ok")).as(exact.encode()).isTrue();
    assertThat(report.getLong("resentEvents")).as("re-sent duplicates").isPositive();
    assertThat(exact.getInteger("series")).as("(entity, type) series checked").isGreaterThan(2000);
    assertThat(exact.getLong("mismatches")).isZero();
    assertThat(report.getLong("backlogPollsUnanswered"))
        .as(
            "every /healthz poll of the catch-up answered within 5 s (the run's pool once lost one)")
        .isZero();
  }

  /**
   * An open-loop run times each scheduled query from when it was due, and says how late the
   * generator itself sent them: that lateness is part of each query's latency, so it is never more.
   */
  @Test
  void anOpenLoopRunSaysHowLateTheGeneratorSentItsQueries() throws Exception {
    JsonObject report =
        bench(
            startServer(),
            "--prepared-events",
            "20000",
            "--rate",
            "5000",
            "--query-rate",
            "200",
            "--series-share",
            "0");
    JsonObject totals = report.getJsonObject("totalQueryLatencyMs");
    JsonObject late = report.getJsonObject("queryLatenessMs");
    assertThat(report.getJsonObject("errors")).isEmpty();
    assertThat(totals.getLong("count")).as("about 200 queries a second for 3 s").isGreaterThan(300);
    assertThat(late.getLong("count"))
        .as("the same answered queries")
        .isEqualTo(totals.getLong("count"));
    assertThat(late.getDouble("p50")).isLessThanOrEqualTo(totals.getDouble("p50"));
    assertThat(late.getDouble("p99")).isLessThanOrEqualTo(totals.getDouble("p99"));
    assertThat(report.getJsonObject("exactCount").getBoolean("ok")).isTrue();
  }

  /** Starts {@code tally serve} on a free port and returns its URL once it is healthy. */
  private String startServer() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    server =
        new ProcessBuilder(
                java(),
                "-Xmx1g",
                "-jar",
                JAR.toString(),
                "serve",
                "--port",
                Integer.toString(port),
                "--data-dir",
                dir.resolve("data").toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("server.log").toFile())
            .start();
    String url = "http://127.0.0.1:" + port;
    HttpClient http = HttpClient.newHttpClient();
    Awaitility.await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () ->
                http.send(
                            HttpRequest.newBuilder(URI.create(url + "/healthz")).build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200);
    return url;
  }

  /**
   * Runs {@code tally bench --url url} for 3 s after 1 s of warm-up over 2,000 entities, with
   * {@code args} and {@code --json}, to its end, and returns its report.
   */
  private JsonObject bench(String url, String... args) throws Exception {
    Path out = dir.resolve("bench.json");
    List<String> command = new ArrayList<>(List.of(java(), "-Xmx1g", "-jar", JAR.toString()));
    command.addAll(
        List.of("bench", "--url", url, "--duration", "3s", "--warmup", "1s", "--entities", "2000"));
    command.addAll(List.of(args));
    command.add("--json");
    Process bench =
        new ProcessBuilder(command)
            .redirectError(dir.resolve("bench.err").toFile())
            .redirectOutput(out.toFile())
            .start();
    assertThat(bench.waitFor(3, TimeUnit.MINUTES)).isTrue();
    List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
    assertThat(bench.exitValue()).as(String.join("\n", lines)).isZero();
    return new JsonObject(lines.get(lines.size() - 1));
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
