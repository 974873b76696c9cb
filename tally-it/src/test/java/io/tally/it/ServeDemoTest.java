package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a newcomer sees: {@code ./tally serve --demo} prints the dashboard's URL, the page is there,
 * and counts move at once without anyone posting; SIGTERM stops the stream and the server. On a
 * server with API keys the demo posts with the ingest key in {@code TALLY_KEY}, and without one it
 * stops at once with one line saying what to do.
 */
class ServeDemoTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  @TempDir Path dir;
  private Process server;

  @AfterEach
  void killServer() {
    if (server != null && server.isAlive()) {
      server.destroyForcibly();
    }
  }

  @Test
  void demoPrintsTheDashboardUrlAndTheCountsMove() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path log = dir.resolve("server.log");
    server =
        new ProcessBuilder(
                ROOT.resolve("tally").toString(),
                "serve",
                "--demo",
                "--demo-rate",
                "500",
                "--port",
                Integer.toString(port),
                "--data-dir",
                dir.resolve("data").toString())
            .directory(ROOT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();

    Pattern open =
        Pattern.compile("^open (http://\\S+/) for the live dashboard$", Pattern.MULTILINE);
    String[] url = new String[1];
    Awaitility.await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              Matcher m = open.matcher(Files.readString(log));
              return m.find() && (url[0] = m.group(1)) != null;
            });
    assertThat(url[0]).isEqualTo("http://127.0.0.1:" + port + "/");
    HttpResponse<String> page = get(url[0]);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("<title>Tally");

    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              String overview = get(url[0] + "v1/overview").body();
              assertThat(number(overview, "acceptedEvents")).isGreaterThanOrEqualTo(1000);
              assertThat(number(overview, "eventsPerSecond")).isPositive();
              String views = get(url[0] + "v1/top?type=view&window=5m&k=1").body();
              String likes = get(url[0] + "v1/top?type=like&window=5m&k=1").body();
              assertThat(views).contains("\"entity\":\"video:");
              assertThat(number(likes, "estimate"))
                  .isPositive()
                  .isLessThan(number(views, "estimate"));
            });

    server.destroy(); // SIGTERM: the stream stops, then the server
    assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(server.exitValue()).isIn(0, 143);
    assertThat(Files.readString(log)).contains("stopped");
  }

  @Test
  void onAServerWithKeysTheDemoPostsWithTheIngestKeyInTallyKeyAndRefusesToStartWithout()
      throws Exception {
    Path data = dir.resolve("data");
    String ingest = createKey(data, "ingest");
    String query = createKey(data, "query");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path log = dir.resolve("refused.log");
    ProcessBuilder serve =
        new ProcessBuilder(
                ROOT.resolve("tally").toString(),
                "serve",
                "--demo",
                "--demo-rate",
                "500",
                "--port",
                Integer.toString(port),
                "--data-dir",
                data.toString())
            .directory(ROOT.toFile())
            .redirectErrorStream(true);
    serve.environment().remove("TALLY_KEY");
    server = serve.redirectOutput(log.toFile()).start();
    assertThat(server.waitFor(3, TimeUnit.MINUTES)).isTrue();
    assertThat(server.exitValue()).isEqualTo(1);
    assertThat(Files.readAllLines(log))
        .filteredOn(l -> l.startsWith("tally: --demo: "))
        .singleElement()
        .asString()
        .contains("requires API keys")
        .contains("TALLY_KEY")
        .contains("--scope ingest");

    Path okLog = dir.resolve("demo.log");
    serve.environment().put("TALLY_KEY", ingest);
    server = serve.redirectOutput(okLog.toFile()).start();
    String overview = "http://127.0.0.1:" + port + "/v1/overview";
    Awaitility.await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> Files.readString(okLog).contains("demo: posting about"));
    assertThat(get(overview).statusCode()).as("keys are still required").isEqualTo(401);
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(number(get(overview, query).body(), "acceptedEvents"))
                    .isGreaterThanOrEqualTo(1000));
    server.destroy();
    assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(Files.readString(okLog)).doesNotContain("demo stream stopped");
  }

  /** {@code tally keys create --data-dir} (the server stopped): the token it prints. */
  private static String createKey(Path data, String scope) throws Exception {
    Process p =
        new ProcessBuilder(
                ROOT.resolve("tally").toString(),
                "keys",
                "create",
                "--data-dir",
                data.toString(),
                "--scope",
                scope,
                "--name",
                "demo-" + scope)
            .directory(ROOT.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String token = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThat(token).startsWith("tly_sk_");
    return token;
  }

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return get(url, null);
  }

  private HttpResponse<String> get(String url, String key)
      throws IOException, InterruptedException {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
    if (key != null) {
      r.header("Authorization", "Bearer " + key);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static double number(String json, String field) {
    Matcher m = Pattern.compile("\"" + field + "\":([0-9.]+)").matcher(json);
    assertThat(m.find()).as("%s in %s", field, json).isTrue();
    return Double.parseDouble(m.group(1));
  }
}
