package io.tally.client;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.tally.client.internal.ClientConfig;
import io.tally.server.config.EffectiveConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK against a real embedded server with API keys on: a key with the scope sends and queries;
 * no key, a revoked key or one without the scope fails each event at once with the server's reason
 * — one request, no retry, the breaker untouched; over a per-key rate limit the SDK waits the
 * server's {@code Retry-After} and every event still counts exactly once.
 */
class ApiKeyClientTest {
  @TempDir Path dir;
  private KeyedTally tally;
  private final List<TallyClient> clients = new ArrayList<>();
  private final List<String> retries = new CopyOnWriteArrayList<>();
  private final List<String> transitions = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    clients.forEach(TallyClient::close);
    if (tally != null) {
      tally.close();
    }
  }

  private void start(UnaryOperator<EffectiveConfig> customize) {
    tally = new KeyedTally(dir, customize, null);
  }

  private TallyClient client(String key, int attempts, Duration maxBackoff) {
    TallyClientBuilder b =
        TallyClient.builder()
            .baseUrls(tally.url())
            .retry(attempts, Duration.ofMillis(20), maxBackoff)
            .listener(
                new ClientListener() {
                  @Override
                  public void onRetry(int attempt, Duration wait, Throwable cause) {
                    retries.add(wait.toMillis() + " ms after " + cause.getMessage());
                  }

                  @Override
                  public void onBreakerTransition(
                      URI node, CircuitBreaker.State from, CircuitBreaker.State to) {
                    transitions.add(from + "->" + to);
                  }
                });
    TallyClient c = (key == null ? b : b.apiKey(key)).build();
    clients.add(c);
    return c;
  }

  private long count(TallyClient reader, String entity) {
    return reader.total(entity, "view").join().count();
  }

  @Test
  void anIngestKeySendsAndAQueryKeyReadsEveryEventExactlyOnce() {
    start(c -> c);
    TallyClient producer = client(tally.secretKey("producer", "ingest"), 8, Duration.ofSeconds(1));
    TallyClient reader = client(tally.secretKey("reader", "query"), 8, Duration.ofSeconds(1));
    List<CompletableFuture<Sent>> sent = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      sent.add(producer.send("video:" + (i % 10), "view"));
    }
    producer.flush().join();

    assertThat(sent).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> count(reader, "video:0") == 100);
    sleep(600); // a few flushes later: nothing counted twice
    for (int e = 0; e < 10; e++) {
      assertThat(count(reader, "video:" + e)).as("video:" + e).isEqualTo(100);
    }
    assertThat(retries).isEmpty();
    assertThat(
            tally.requests("POST", "/v1/events", 401) + tally.requests("POST", "/v1/events", 403))
        .isZero();
  }

  @Test
  void aKeyWithoutTheQueryScopeFailsAQueryAtOnceWithTheServersReason() {
    start(c -> c);
    String ingestOnly = tally.secretKey("producer", "ingest");
    TallyClient producer = client(ingestOnly, 8, Duration.ofSeconds(1));

    assertThatThrownBy(() -> producer.total("video:1", "view").join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(RequestFailedException.class)
        .hasMessageContaining("HTTP 403")
        .hasMessageContaining("lacks the query scope")
        .hasMessageNotContaining(ingestOnly);
    assertThat(retries).isEmpty();
    assertThat(tally.requests("GET", "/v1/total", 403)).isEqualTo(1);
  }

  @Test
  void noKeyARevokedKeyAndAQueryOnlyKeyFailEveryEventOnceWithoutRetryOrTrippingTheBreaker() {
    start(c -> c);
    String revoked = tally.secretKey("old", "ingest");
    tally.revoke(revoked);
    String queryOnly = tally.secretKey("reader", "query");
    refusedOnce(null, 401, "missing API key");
    refusedOnce(revoked, 401, "was revoked");
    refusedOnce(queryOnly, 403, "lacks the ingest scope");

    assertThat(retries).isEmpty();
    assertThat(transitions).isEmpty();
    assertThat(tally.requests("POST", "/v1/events", 202)).isZero();
  }

  /**
   * Three events in one batch with {@code key}: each fails with {@code status} and the reason; the
   * server saw one request.
   */
  private void refusedOnce(String key, int status, String reason) {
    long before = tally.requests("POST", "/v1/events", status);
    TallyClient c = client(key, 8, Duration.ofMillis(200));
    List<CompletableFuture<Sent>> sent =
        List.of(c.send("video:1", "view"), c.send("video:2", "view"), c.send("video:3", "view"));
    c.flush().join();

    for (CompletableFuture<Sent> f : sent) {
      assertThatThrownBy(f::join)
          .cause()
          .isInstanceOfSatisfying(
              RequestFailedException.class,
              e -> {
                assertThat(e.status()).isEqualTo(status);
                assertThat(e.getMessage()).contains(reason);
                if (key != null) {
                  assertThat(e.getMessage()).doesNotContain(key);
                }
              });
    }
    assertThat(c.breakerState(tally.url())).isEqualTo(CircuitBreaker.State.CLOSED);
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> assertThat(tally.requests("POST", "/v1/events", status) - before).isEqualTo(1));
  }

  @Test
  void overTheKeysRateLimitEveryBatchWaitsTheServersRetryAfterAndCountsOnce() {
    start(c -> c.with(SECURITY_RATE_LIMIT_PER_KEY, 4).with(SECURITY_RATE_LIMIT_PER_ADDRESS, 0));
    TallyClient producer =
        TallyClient.builder()
            .baseUrls(tally.url())
            .apiKey(tally.secretKey("producer", "ingest"))
            .maxBatchEvents(10)
            .linger(Duration.ZERO)
            .retry(40, Duration.ofMillis(20), Duration.ofSeconds(3))
            .listener(
                new ClientListener() {
                  @Override
                  public void onRetry(int attempt, Duration wait, Throwable cause) {
                    retries.add(wait.toMillis() + " ms after " + cause.getMessage());
                  }
                })
            .build();
    clients.add(producer);
    List<CompletableFuture<Sent>> sent = new ArrayList<>();
    for (int i = 0; i < 160; i++) {
      sent.add(producer.send("page:" + (i % 4), "view"));
    }
    producer.flush().join();

    assertThat(sent).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThat(tally.requests("POST", "/v1/events", 429)).isPositive();
    assertThat(retries)
        .isNotEmpty()
        .allSatisfy(
            r -> {
              assertThat(r).contains("HTTP 429");
              long waited = Long.parseLong(r.substring(0, r.indexOf(' ')));
              assertThat(waited)
                  .as(r)
                  .isBetween(1_000L, 3_000L); // Retry-After: 1, at most the max backoff
            });
    assertThat(producer.breakerState(tally.url())).isEqualTo(CircuitBreaker.State.CLOSED);
    TallyClient reader = client(tally.secretKey("reader", "query"), 40, Duration.ofSeconds(3));
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> count(reader, "page:0") == 40);
    sleep(600);
    for (int e = 0; e < 4; e++) {
      assertThat(count(reader, "page:" + e)).isEqualTo(40);
    }
  }

  @Test
  void theKeyIsValidatedWithoutEchoingItAndNeverShown() {
    String bad = "tly_sk_abc def";
    assertThatThrownBy(() -> TallyClient.builder().apiKey(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining(bad);
    assertThatThrownBy(() -> TallyClient.builder().apiKey(""))
        .isInstanceOf(IllegalArgumentException.class);
    String secret = "tly_sk_0123456789ab_" + "S".repeat(43);
    try (TallyClient c =
        TallyClient.builder().baseUrls("http://127.0.0.1:1").apiKey(secret).build()) {
      assertThat(c.toString()).doesNotContain(secret);
    }
    ClientConfig config =
        new ClientConfig(
            List.of(URI.create("http://127.0.0.1:1")),
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            1,
            1024,
            Duration.ZERO,
            1,
            1,
            BufferFullPolicy.BLOCK,
            Duration.ZERO,
            1,
            Duration.ofMillis(1),
            Duration.ofMillis(1),
            50,
            1,
            1,
            Duration.ofSeconds(1),
            1,
            false,
            0,
            ClientListener.NONE,
            InstantSource.system(),
            secret,
            null);
    assertThat(config.toString()).doesNotContain(secret).contains("apiKey=(set, not shown)");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
