package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recount through {@code kill -9} (issue 18): a {@code --derive channel} backfill recount of the
 * last whole hour is killed with the server while it runs, the server restarts and the recount is
 * run again; the derived channel then counts exactly its members' events, the members' own counts
 * are what they were (nothing lost or doubled), and an audit finds nothing. Servers from the jar.
 */
class RecountKillTest {
  private static final long HOUR = 3_600_000L;
  private static final int EVENTS = 20_000;

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private final EventCounts events = new EventCounts();

  @Test
  void aRecountKilledMidwayIsRedoneWithNothingLostOrDoubled() throws Exception {
    long to = Math.floorDiv(System.currentTimeMillis(), HOUR) * HOUR;
    String range =
        new JsonObject()
            .put("from", Instant.ofEpochMilli(to - HOUR).toString())
            .put("to", Instant.ofEpochMilli(to).toString())
            .encode();
    Path data = dir.resolve("data");
    long[] before = new long[3];
    try (ServerProcess plain =
        ServerProcess.embedded("plain", dir, data, "--raw-export-interval", "1s")) {
      plain.start();
      events.awaitHealthy(plain);
      for (int batch = 0; batch < EVENTS / 1_000; batch++) {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 1_000; i++) {
          int n = batch * 1_000 + i;
          body.append("{\"id\":\"k-")
              .append(n)
              .append("\",\"entity\":\"video:")
              .append(n % 3)
              .append("\",\"type\":\"view\",\"time\":")
              .append(to - HOUR + (n * 179L) % HOUR)
              .append("}\n");
        }
        assertThat(events.post(plain, body.toString()).statusCode()).isEqualTo(202);
      }
      Awaitility.await() // every event is counted (the audit below may answer before that)
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(300))
          .until(() -> counted(plain) == EVENTS);
      Awaitility.await() // the hour is exported: the audit stops answering 409
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(300))
          .until(() -> post(plain, "/v1/admin/audit", range).statusCode() == 200);
      for (int v = 0; v < 3; v++) {
        before[v] = total(plain, "video:" + v).getLong("count");
      }
    }
    try (ServerProcess derived =
        ServerProcess.embedded(
            "derived", dir, data, "--raw-export-interval", "1s", "--derive", "channel")) {
      derived.start();
      events.awaitHealthy(derived);
      put(derived, "video:0");
      put(derived, "video:1");
      CompletableFuture<HttpResponse<String>> killed =
          http.sendAsync(
              request(derived, "/v1/admin/recount", range), HttpResponse.BodyHandlers.ofString());
      Thread.sleep(150);
      derived.kill9();
      killed.handle((r, e) -> null).join();

      derived.start();
      events.awaitHealthy(derived);
      HttpResponse<String> redo = post(derived, "/v1/admin/recount", range);
      assertThat(redo.statusCode()).as(redo.body()).isEqualTo(200);
      for (int v = 0; v < 3; v++) {
        assertThat(total(derived, "video:" + v).getLong("count")).isEqualTo(before[v]);
      }
      assertThat(total(derived, "channel:c1").getLong("count")).isEqualTo(before[0] + before[1]);
      JsonObject audit = new JsonObject(post(derived, "/v1/admin/audit", range).body());
      assertThat(audit.getLong("mismatched")).as(audit.encode()).isZero();
    }
  }

  private long counted(ServerProcess server) throws Exception {
    long n = 0;
    for (int v = 0; v < 3; v++) {
      n += total(server, "video:" + v).getLong("count");
    }
    return n;
  }

  private HttpRequest request(ServerProcess server, String path, String body) {
    return HttpRequest.newBuilder(URI.create(server.url() + path))
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  private HttpResponse<String> post(ServerProcess server, String path, String body)
      throws Exception {
    return http.send(request(server, path, body), HttpResponse.BodyHandlers.ofString());
  }

  private void put(ServerProcess server, String entity) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(server.url() + "/v1/entities/" + entity + "/attributes"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"channel\": \"c1\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  private JsonObject total(ServerProcess server, String entity) throws Exception {
    return server.total(http, entity);
  }
}
