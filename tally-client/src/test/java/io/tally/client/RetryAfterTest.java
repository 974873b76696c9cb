package io.tally.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.tally.client.FakeTallyServer.Mode;
import java.net.URI;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code Retry-After} on 429 and 503, against a {@link FakeTallyServer}: the SDK waits at least
 * what the server asked, never more than its max backoff, in seconds or as an HTTP-date; a 429 does
 * not open the node's breaker (the node is up; it refuses this client).
 */
class RetryAfterTest {
  private FakeTallyServer server;
  private final List<Duration> waits = new CopyOnWriteArrayList<>();
  private final ClientListener listener =
      new ClientListener() {
        @Override
        public void onRetry(int attempt, Duration wait, Throwable cause) {
          waits.add(wait);
        }

        @Override
        public void onAttempt(URI node, String path, int status, Duration elapsed) {
          attempts.add(path + " " + status);
        }
      };
  private final List<String> attempts = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = new FakeTallyServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private TallyClientBuilder client(int attempts, Duration maxBackoff) {
    return TallyClient.builder()
        .baseUrls(server.url())
        .linger(Duration.ZERO)
        .retry(attempts, Duration.ofMillis(10), maxBackoff)
        .listener(listener);
  }

  @Test
  void a429IsRetriedAfterItsRetryAfterAndDoesNotOpenTheBreaker() {
    server.mode(Mode.TOO_MANY);
    server.retryAfter("1");
    // a breaker that three failures in a row would open
    try (TallyClient c =
        client(3, Duration.ofSeconds(5))
            .circuitBreaker(50, 4, 2, Duration.ofSeconds(30), 1)
            .build()) {
      CompletableFuture<Sent> f = c.send("video:1", "view");
      assertThatThrownBy(f::join)
          .cause()
          .isInstanceOfSatisfying(
              RequestFailedException.class, e -> assertThat(e.status()).isEqualTo(429));
      assertThat(c.breakerState(server.url())).isEqualTo(CircuitBreaker.State.CLOSED);
    }
    assertThat(server.received()).hasSize(3);
    assertThat(attempts)
        .as("every attempt reported, with its path and status")
        .containsExactly("/v1/events 429", "/v1/events 429", "/v1/events 429");
    assertThat(waits)
        .hasSize(2)
        .allSatisfy(w -> assertThat(w).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(5)));
    List<FakeTallyServer.Received> r = server.received();
    for (int i = 1; i < r.size(); i++) {
      assertThat(Duration.ofNanos(r.get(i).atNanos() - r.get(i - 1).atNanos()))
          .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    }
  }

  @Test
  void aLongRetryAfterIsCappedAtTheMaxBackoffAndTheEventStillCountsOnce() {
    server.mode(Mode.UNAVAILABLE);
    server.retryAfter("3600");
    try (TallyClient c = client(5, Duration.ofMillis(300)).build()) {
      CompletableFuture<Sent> f = c.send("video:1", "view");
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> server.received().size() >= 2);
      server.mode(Mode.ACCEPT);
      String id = f.join().id();
      assertThat(waits)
          .isNotEmpty()
          .allSatisfy(w -> assertThat(w).isEqualTo(Duration.ofMillis(300)));
      assertThat(server.received()).allSatisfy(r -> assertThat(r.body()).contains(id));
    }
  }

  @Test
  void anHttpDateRetryAfterIsHonouredToo() {
    server.mode(Mode.TOO_MANY);
    server.retryAfter(
        DateTimeFormatter.RFC_1123_DATE_TIME.format(
            ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(2)));
    try (TallyClient c = client(2, Duration.ofSeconds(10)).build()) {
      assertThatThrownBy(c.send("video:1", "view")::join)
          .cause()
          .isInstanceOf(RequestFailedException.class);
    }
    assertThat(waits).hasSize(1);
    // the date has one-second resolution: at least ~1 s from now, at most the 2 s plus the jitter
    assertThat(waits.get(0)).isBetween(Duration.ofMillis(900), Duration.ofMillis(2_100));
  }
}
