package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tally audit} and {@code tally recount} from the built jar against a server from the jar
 * (real RocksDB, real DuckDB): events of the last whole hour, once exported, audit clean and
 * recount unchanged. The commands docs/raw.md and docs/api.md show run here ({@link
 * DocsExamplesTest} names this test for them).
 */
class RecountCliTest {
  private static final long HOUR = 3_600_000L;

  @TempDir Path dir;

  @Test
  void auditAndRecountRunFromTheCommandLine() throws Exception {
    long to = Math.floorDiv(System.currentTimeMillis(), HOUR) * HOUR;
    String from = Instant.ofEpochMilli(to - HOUR).toString();
    String until = Instant.ofEpochMilli(to).toString();
    try (ServerProcess server =
        ServerProcess.embedded("recount", dir, "--raw-export-interval", "1s")) {
      server.start();
      EventCounts events = new EventCounts();
      events.awaitHealthy(server);
      StringBuilder body = new StringBuilder();
      for (int i = 0; i < 200; i++) {
        body.append("{\"id\":\"r-")
            .append(i)
            .append("\",\"entity\":\"video:")
            .append(i % 7)
            .append("\",\"type\":\"view\",\"value\":3,\"time\":")
            .append(to - HOUR + i * 17_000L)
            .append("}\n");
      }
      assertThat(events.post(server, body.toString()).statusCode()).isEqualTo(202);

      String[] audit = {"audit", "--url", server.url(), "--from", from, "--to", until};
      Awaitility.await() // 409 (exit 1) until the range is exported
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> tally(audit).exit != 1);
      Result clean = tally(audit);
      assertThat(clean.exit).as(clean.out).isZero();
      assertThat(clean.out).contains(" 0 changed, 0 added, 0 removed").doesNotContain(" 0 rows");

      Result recount =
          tally("recount", "--url", server.url(), "--from", from, "--to", until, "--types", "view");
      assertThat(recount.exit).as(recount.out).isZero();
      assertThat(recount.out).contains(" 0 changed, 0 added, 0 removed; 0 totals moved");
    }
  }

  private record Result(int exit, String out) {}

  private Result tally(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(ServerProcess.JAR.toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(
        p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }
}
