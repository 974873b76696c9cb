package io.tally.client;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tally.server.EmbeddedTally;
import io.tally.server.config.EffectiveConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acknowledgement is lost after the server stored the batch (the case a timeout leaves the
 * client in): a proxy forwards every request to a real server but cuts the connection instead of
 * relaying every third answer. The client retries those batches with the same ids, and every event
 * is counted exactly once.
 */
class LostAckTest {
  @TempDir Path dir;
  private EmbeddedTally server;
  private HttpServer proxy;
  private final ExecutorService proxyThreads = Executors.newCachedThreadPool();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger cut = new AtomicInteger();

  @BeforeEach
  void start() throws IOException {
    server =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 200)
                .server());
    HttpClient upstream = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    proxy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    proxy.setExecutor(proxyThreads);
    proxy.createContext("/", exchange -> forward(upstream, exchange));
    proxy.start();
  }

  private void forward(HttpClient upstream, HttpExchange exchange) throws IOException {
    try (exchange) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(server.url() + exchange.getRequestURI()));
      String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
      if (encoding != null) {
        request.header("Content-Encoding", encoding);
      }
      if (exchange.getRequestMethod().equals("POST")) {
        request
            .header("Content-Type", exchange.getRequestHeaders().getFirst("Content-Type"))
            .POST(HttpRequest.BodyPublishers.ofByteArray(exchange.getRequestBody().readAllBytes()));
      }
      HttpResponse<byte[]> answer =
          upstream.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      boolean ingest = exchange.getRequestURI().getPath().equals("/v1/events");
      if (ingest && requests.incrementAndGet() % 3 == 0) {
        cut.incrementAndGet();
        return; // stored upstream, but the client gets no answer: the connection just closes
      }
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(answer.statusCode(), answer.body().length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer.body());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @AfterEach
  void stop() {
    proxy.stop(0);
    proxyThreads.shutdownNow();
    server.close();
  }

  @Test
  void retriesABatchWhoseAckWasLostAndCountsItsEventsOnce() {
    int entities = 10;
    int events = 3_000;
    List<CompletableFuture<Sent>> futures = new ArrayList<>();
    try (TallyClient client =
        TallyClient.builder()
            .baseUrls("http://127.0.0.1:" + proxy.getAddress().getPort())
            .maxBatchEvents(100)
            .retry(10, Duration.ofMillis(10), Duration.ofMillis(100))
            .circuitBreaker(100, 100, 100, Duration.ofSeconds(1), 1)
            .build()) {
      for (int i = 0; i < events; i++) {
        futures.add(client.send("video:" + (i % entities), "view"));
      }
      client.flush().join();
      assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
      assertThat(cut.get())
          .as("answers cut after the server stored the batch")
          .isGreaterThanOrEqualTo(5);

      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                long total = 0;
                for (int e = 0; e < entities; e++) {
                  total += client.total("video:" + e, "view").join().count();
                }
                return total >= events;
              });
      sleep(600); // three more flushes
      for (int e = 0; e < entities; e++) {
        assertThat(client.total("video:" + e, "view").join().count()).isEqualTo(events / entities);
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
