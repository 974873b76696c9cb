package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a newcomer does on a fresh clone: {@code ./tally serve}, post events with curl, read the
 * counts, stop with SIGTERM, start again and find the same counts.
 */
class LauncherTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  @TempDir Path dir;
  private Process server;

  @AfterEach
  void killServer() {
    if (server != null && server.isAlive()) {
      server.destroyForcibly();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private String start(int port) throws Exception {
    server =
        new ProcessBuilder(
                ROOT.resolve("tally").toString(),
                "serve",
                "--port",
                Integer.toString(port),
                "--data-dir",
                dir.resolve("data").toString())
            .directory(ROOT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("server-" + System.nanoTime() + ".log").toFile())
            .start();
    String url = "http://127.0.0.1:" + port;
    Awaitility.await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                curl("-s", "-o", "/dev/null", "-w", "%{http_code}", url + "/healthz")
                    .equals("200"));
    return url;
  }

  private static String curl(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("curl", "--max-time", "10"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    CompletableFuture<String> out =
        CompletableFuture.supplyAsync(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                return String.join("\n", r.lines().toList());
              } catch (IOException e) {
                return "";
              }
            });
    p.waitFor(20, TimeUnit.SECONDS);
    return out.get(5, TimeUnit.SECONDS);
  }

  private static long number(String json, String field) {
    Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
    assertThat(m.find()).as("%s in %s", field, json).isTrue();
    return Long.parseLong(m.group(1));
  }

  @Test
  void serveAnswersCurlAndKeepsCountsAcrossAGracefulRestart() throws Exception {
    int port = freePort();
    String url = start(port);
    String ack =
        curl(
            "-s",
            "-X",
            "POST",
            url + "/v1/events",
            "-H",
            "Content-Type: application/json",
            "-d",
            "[{\"id\":\"a\",\"entity\":\"video:42\",\"type\":\"view\"},"
                + "{\"id\":\"b\",\"entity\":\"video:42\",\"type\":\"view\",\"value\":5},"
                + "{\"id\":\"a\",\"entity\":\"video:42\",\"type\":\"view\"}]");
    assertThat(number(ack, "accepted")).isEqualTo(3);
    String totalUrl = url + "/v1/total?entity=video:42&type=view";
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> curl("-s", totalUrl).contains("\"count\":2"));
    assertThat(number(curl("-s", totalUrl), "sum")).isEqualTo(6);
    String series = curl("-s", url + "/v1/stats?entity=video:42&type=view&granularity=hour");
    assertThat(number(series, "value")).isEqualTo(2);

    server.destroy(); // SIGTERM: graceful
    assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(server.exitValue()).isIn(0, 143);

    url = start(port);
    String again = curl("-s", url + "/v1/total?entity=video:42&type=view");
    assertThat(number(again, "count")).isEqualTo(2);
    assertThat(number(again, "sum")).isEqualTo(6);
    String resent =
        curl(
            "-s",
            "-X",
            "POST",
            url + "/v1/events",
            "-H",
            "Content-Type: application/json",
            "-d",
            "[{\"id\":\"a\",\"entity\":\"video:42\",\"type\":\"view\"}]");
    assertThat(number(resent, "accepted")).isEqualTo(1);
    Thread.sleep(2_500); // two flush intervals: a wrongly counted duplicate would show by now
    assertThat(number(curl("-s", url + "/v1/total?entity=video:42&type=view"), "count"))
        .as("an id re-sent after a restart, inside the dedup window, is counted once")
        .isEqualTo(2);
    assertThat(Files.list(dir).filter(p -> p.toString().endsWith(".log")).count()).isEqualTo(2);
  }
}
