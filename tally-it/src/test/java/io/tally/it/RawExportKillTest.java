package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The raw store's export through {@code kill -9} (issue 18): 200,000 events (5 % of them re-sent
 * with the same id) are counted by a server from the jar with the raw store off; once their minutes
 * have closed it restarts with the raw store on, and is SIGKILLed whenever a Parquet file is half
 * written, three times. After a last start, SQL over the raw store must hold every counted event
 * exactly once — the same counts and sums per entity as {@code /v1/total} — and the store's
 * directory no file its manifest does not list.
 */
class RawExportKillTest {
  private static final int EVENTS = 200_000;
  private static final int ENTITIES = 40;
  private static final int KILLS = 3;

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private final EventCounts events = new EventCounts();

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void killsDuringExportLoseAndDoubleNothing() throws Exception {
    Path data = dir.resolve("data");
    Map<String, long[]> expected = new TreeMap<>();
    try (ServerProcess counting =
        ServerProcess.embedded("counting", dir, data, "--partitions", "4", "--raw", "false")) {
      counting.start();
      events.awaitHealthy(counting);
      send(counting, expected);
      awaitCounted(counting, expected);
      counting.kill9();
    }
    long minuteEnd = (System.currentTimeMillis() / 60_000 + 1) * 60_000;
    Thread.sleep(Math.max(0, minuteEnd - System.currentTimeMillis()) + 1_000);
    Path raw = data.resolve("raw");
    int hits = 0;
    try (ServerProcess exporting =
        ServerProcess.embedded(
            "exporting", dir, data, "--partitions", "4", "--raw-export-interval", "1s")) {
      for (int k = 0; k < KILLS; k++) {
        exporting.start();
        if (awaitHalfWrittenFile(raw, exporting)) {
          exporting.kill9();
          hits++;
        } else {
          exporting.kill9();
          break;
        }
      }
      assertThat(hits).as("kills while a Parquet file was half written").isPositive();
      exporting.start();
      events.awaitHealthy(exporting);
      long total = expected.values().stream().mapToLong(c -> c[0]).sum();
      awaitRawCount(exporting, total);
      assertThat(exporting.log())
          .as("a restart deleted what a kill left half written")
          .contains("which the manifest does not list");
      JsonArray doubled =
          rows(
              exporting,
              "SELECT count(*) - count(DISTINCT entity || '/' || id), count(DISTINCT \"offset\" ||"
                  + " '/' || partition) FROM events");
      assertThat(doubled.getJsonArray(0).getLong(0)).as("events stored twice").isZero();
      assertThat(doubled.getJsonArray(0).getLong(1)).isEqualTo(total);
      JsonArray perEntity =
          rows(
              exporting,
              "SELECT entity, count(*), sum(value) FROM events GROUP BY entity ORDER BY entity");
      assertThat(perEntity).hasSize(expected.size());
      for (Object o : perEntity) {
        JsonArray row = (JsonArray) o;
        long[] want = expected.get(row.getString(0));
        assertThat(List.of(row.getLong(1), row.getLong(2)))
            .as(row.getString(0))
            .containsExactly(want[0], want[1]);
        JsonObject t = total(exporting, row.getString(0));
        assertThat(List.of(t.getLong("count"), t.getLong("sum")))
            .as(row.getString(0) + " in /v1/total")
            .containsExactly(want[0], want[1]);
      }
      ServerProcess.rawFiles(raw, true);
    }
  }

  /** Sends the events, 1,000 a request; {@code expected} gets count and sum per entity. */
  private void send(ServerProcess server, Map<String, long[]> expected) throws Exception {
    Random r = new Random(18);
    long now = System.currentTimeMillis();
    Set<String> seen = new HashSet<>();
    for (int b = 0; b < EVENTS / 1000; b++) {
      JsonArray batch = new JsonArray();
      for (int i = 0; i < 1000; i++) {
        int n = b * 1000 + i;
        int id = n > 0 && r.nextInt(20) == 0 ? n - 1 : n; // re-sent: same id, same event
        String entity = "video:" + (id % ENTITIES);
        long value = 1 + id % 3;
        batch.add(
            new JsonObject()
                .put("id", "r-" + id)
                .put("entity", entity)
                .put("type", "view")
                .put("time", now - (id % 3_600) * 1000L)
                .put("value", value));
        if (seen.add("r-" + id)) {
          long[] c = expected.computeIfAbsent(entity, k -> new long[2]);
          c[0]++;
          c[1] += value;
        }
      }
      HttpResponse<String> resp =
          http.send(
              HttpRequest.newBuilder(URI.create(server.url() + "/v1/events"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(batch.encode()))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(resp.statusCode()).as(resp.body()).isEqualTo(202);
    }
  }

  private JsonObject total(ServerProcess server, String entity) throws Exception {
    return server.total(http, entity);
  }

  private void awaitCounted(ServerProcess server, Map<String, long[]> expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      while (total(server, e.getKey()).getLong("count") != e.getValue()[0]) {
        assertThat(System.nanoTime()).as("counted in time: " + e.getKey()).isLessThan(deadline);
        Thread.sleep(100);
      }
    }
  }

  private JsonArray rows(ServerProcess server, String sql) throws Exception {
    return server.sqlRows(http, sql);
  }

  private void awaitRawCount(ServerProcess server, long total) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    long n;
    while ((n = rows(server, "SELECT count(*) FROM events").getJsonArray(0).getLong(0)) < total) {
      assertThat(System.nanoTime())
          .as("exported in time, " + n + " of " + total)
          .isLessThan(deadline);
      Thread.sleep(200);
    }
    assertThat(n).as("events in the raw store").isEqualTo(total);
  }

  /** Waits (up to 60 s) until a Parquet file is being written; false if the export finished. */
  private static boolean awaitHalfWrittenFile(Path raw, ServerProcess server) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      assertThat(server.alive()).as("server running; its log:%n%s", server.log()).isTrue();
      if (Files.isDirectory(raw) && !files(raw, ".tmp").isEmpty()) {
        return true;
      }
      Thread.sleep(1);
    }
    return false;
  }

  private static List<Path> files(Path raw, String suffix) throws IOException {
    try (Stream<Path> all = Files.walk(raw)) {
      return all.filter(p -> p.toString().endsWith(suffix)).toList();
    } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException e) {
      return List.of(); // a file vanished while listed: look again
    }
  }
}
