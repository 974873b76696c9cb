package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What the storage tests (WAL damage, disk full) share: posting uniquely identified events to one
 * embedded server and reading its totals back. Events go to {@value #ENTITIES} entities {@code
 * video:0..}, type {@code view}, value 1. Not thread-safe: one test thread.
 */
final class EventCounts {
  static final int ENTITIES = 10;

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  /** The NDJSON body of events {@code first .. first+n-1} with ids {@code prefix-i}. */
  static String body(String prefix, long first, int n) {
    StringBuilder b = new StringBuilder();
    for (long i = first; i < first + n; i++) {
      b.append("{\"id\":\"")
          .append(prefix)
          .append('-')
          .append(i)
          .append("\",\"entity\":\"video:")
          .append(i % ENTITIES)
          .append("\",\"type\":\"view\"}\n");
    }
    return b.toString();
  }

  /** Posts {@code body}; the answer's status and its Retry-After header (or null). */
  HttpResponse<String> post(ServerProcess server, String body) throws InterruptedException {
    try {
      return http.send(
          HttpRequest.newBuilder(URI.create(server.url() + "/v1/events"))
              .header("Content-Type", "application/x-ndjson")
              .timeout(Duration.ofSeconds(20))
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return null;
    }
  }

  /** Posts {@code batches} batches of {@code perBatch} events, each of which must be accepted. */
  long ingest(ServerProcess server, String prefix, int batches, int perBatch)
      throws InterruptedException {
    for (int b = 0; b < batches; b++) {
      HttpResponse<String> r = post(server, body(prefix, (long) b * perBatch, perBatch));
      assertThat(r).as("an answer to batch %d", b).isNotNull();
      assertThat(r.statusCode()).as("batch %d: %s", b, r.body()).isEqualTo(202);
    }
    return (long) batches * perBatch;
  }

  String get(ServerProcess server, String path) throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(URI.create(server.url() + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Waits until the server is healthy (fails if it exits meanwhile). */
  void awaitHealthy(ServerProcess server) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      assertThat(server.alive()).as("server running; its log:%n%s", server.log()).isTrue();
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(URI.create(server.url() + "/healthz"))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      assertThat(System.nanoTime()).as("healthy within 90 s").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  /** After a start the backlog is known only once recovery is done. */
  private static boolean countedEverything(JsonObject checks) {
    return "done".equals(checks.getString("recovery")) && checks.getLong("backlogEvents") == 0;
  }

  /** The total count over every entity, once everything logged is counted. */
  long countedTotal(ServerProcess server) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!countedEverything(new JsonObject(get(server, "/healthz")).getJsonObject("checks"))) {
      assertThat(System.nanoTime()).as("backlog counted within 60 s").isLessThan(deadline);
      Thread.sleep(100);
    }
    long total = 0;
    for (int e = 0; e < ENTITIES; e++) {
      total +=
          new JsonObject(get(server, "/v1/total?entity=video:" + e + "&type=view"))
              .getLong("count");
    }
    return total;
  }
}
