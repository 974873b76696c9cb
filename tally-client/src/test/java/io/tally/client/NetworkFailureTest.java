package io.tally.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.tally.client.FakeTallyServer.Mode;
import io.tally.client.internal.FullJitterBackoff;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Timeouts, retries with backoff and jitter, the circuit breaker and the buffer-full policies,
 * against {@link FakeTallyServer}s that answer 503 or never answer.
 */
class NetworkFailureTest {
  private FakeTallyServer a;
  private FakeTallyServer b;
  private final List<Duration> waits = new CopyOnWriteArrayList<>();
  private final List<String> transitions = new CopyOnWriteArrayList<>();
  private final ClientListener listener =
      new ClientListener() {
        @Override
        public void onRetry(int attempt, Duration wait, Throwable cause) {
          waits.add(wait);
        }

        @Override
        public void onBreakerTransition(URI node, State from, State to) {
          transitions.add(node.getPort() + ":" + from + "->" + to);
        }
      };

  @BeforeEach
  void start() throws Exception {
    a = new FakeTallyServer();
    b = new FakeTallyServer();
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
  }

  /** A breaker that never opens in these tests unless a test configures one. */
  private TallyClientBuilder lenient(String... urls) {
    return TallyClient.builder()
        .baseUrls(urls)
        .listener(listener)
        .linger(Duration.ZERO)
        .circuitBreaker(100, 1000, 1000, Duration.ofSeconds(1), 1);
  }

  private static Throwable failure(CompletableFuture<?> f) {
    return f.handle((v, e) -> e instanceof CompletionException ? e.getCause() : e).join();
  }

  @Test
  void retriesA503WithFullJitterBackoffWithinBoundsAndTheSameIdsThenGivesUp() {
    a.mode(Mode.UNAVAILABLE);
    FullJitterBackoff backoff =
        new FullJitterBackoff(Duration.ofMillis(40), Duration.ofMillis(300));
    Throwable t;
    try (TallyClient client =
        lenient(a.url()).retry(6, Duration.ofMillis(40), Duration.ofMillis(300)).build()) {
      t = failure(client.send("video:1", "view"));
    }

    assertThat(t)
        .isInstanceOf(RequestFailedException.class)
        .hasMessageContaining("gave up after 6 attempts")
        .hasMessageContaining("503");
    assertThat(((RequestFailedException) t).status()).isEqualTo(503);
    List<FakeTallyServer.Received> got = a.received();
    assertThat(got).hasSize(6);
    assertThat(got).extracting(FakeTallyServer.Received::body).containsOnly(got.get(0).body());
    assertThat(waits).hasSize(5);
    List<Long> caps = new ArrayList<>();
    for (int n = 1; n <= 5; n++) {
      long cap = backoff.capMillis(n);
      caps.add(cap);
      long chosen = waits.get(n - 1).toMillis();
      assertThat(chosen).as("wait before retry %d", n).isBetween(1L, cap);
      long observed = (got.get(n).atNanos() - got.get(n - 1).atNanos()) / 1_000_000;
      assertThat(observed).as("observed gap before retry %d", n).isGreaterThanOrEqualTo(chosen - 2);
    }
    assertThat(caps).containsExactly(40L, 80L, 160L, 300L, 300L);
  }

  @Test
  void fullJitterSpreadsWaitsUniformlyUpToTheExponentialCap() {
    FullJitterBackoff backoff =
        new FullJitterBackoff(Duration.ofMillis(100), Duration.ofSeconds(5));
    for (int attempt = 1; attempt <= 10; attempt++) {
      long cap = backoff.capMillis(attempt);
      assertThat(cap).isEqualTo(Math.min(5000, 100L << (attempt - 1)));
      long min = Long.MAX_VALUE;
      long max = 0;
      double sum = 0;
      int samples = 20_000;
      for (int i = 0; i < samples; i++) {
        long w = backoff.apply(attempt, null);
        min = Math.min(min, w);
        max = Math.max(max, w);
        sum += w;
      }
      assertThat(min).isBetween(1L, Math.max(1, cap / 20));
      assertThat(max).isBetween(cap - cap / 20, cap);
      assertThat(sum / samples).isBetween(cap * 0.45, cap * 0.55);
    }
  }

  @Test
  void timesOutAServerThatNeverAnswersAndRetriesElsewhere() {
    a.mode(Mode.HANG);
    Throwable t;
    try (TallyClient client =
        lenient(a.url())
            .requestTimeout(Duration.ofMillis(300))
            .retry(2, Duration.ofMillis(10), Duration.ofMillis(10))
            .build()) {
      t = failure(client.send("video:1", "view"));
    }
    assertThat(t)
        .isInstanceOf(RequestFailedException.class)
        .hasRootCauseInstanceOf(HttpTimeoutException.class);
    assertThat(((RequestFailedException) t).status()).isZero();
    assertThat(a.received()).hasSize(2);

    try (TallyClient client =
        lenient(a.url(), b.url())
            .requestTimeout(Duration.ofMillis(300))
            .retry(3, Duration.ofMillis(10), Duration.ofMillis(10))
            .build()) {
      for (int i = 0; i < 4; i++) {
        assertThat(client.send("video:1", "view").join().id()).isNotBlank();
      }
    }
    assertThat(b.received()).hasSize(4);
  }

  @Test
  void breakerOpensSkipsTheFailingNodeAndHalfOpensAfterItsWait() {
    a.mode(Mode.UNAVAILABLE);
    try (TallyClient client =
        TallyClient.builder()
            .baseUrls(a.url(), b.url())
            .listener(listener)
            .linger(Duration.ZERO)
            .retry(10, Duration.ofMillis(5), Duration.ofMillis(20))
            .circuitBreaker(50, 4, 4, Duration.ofMillis(3000), 1)
            .build()) {
      for (int i = 0; i < 8; i++) {
        assertThat(client.send("video:1", "view").join().id()).isNotBlank(); // retried onto b
      }
      assertThat(client.breakerState(a.url())).isEqualTo(State.OPEN);
      assertThat(client.breakerState(b.url())).isEqualTo(State.CLOSED);
      int seenByA = a.received().size();
      assertThat(seenByA).isEqualTo(4);
      for (int i = 0; i < 10; i++) {
        client.send("video:1", "view").join();
      }
      assertThat(a.received()).hasSize(seenByA); // skipped while open

      Awaitility.await()
          .pollDelay(Duration.ofMillis(3050))
          .atMost(Duration.ofSeconds(5))
          .until(
              () -> {
                client.send("video:1", "view").join();
                return a.received().size() > seenByA;
              });
      assertThat(a.received()).hasSize(seenByA + 1); // one trial call, which failed
      assertThat(client.breakerState(a.url())).isEqualTo(State.OPEN);

      a.mode(Mode.ACCEPT);
      Awaitility.await()
          .pollDelay(Duration.ofMillis(3050))
          .atMost(Duration.ofSeconds(5))
          .until(
              () -> {
                client.send("video:1", "view").join();
                return client.breakerState(a.url()) == State.CLOSED;
              });
    }
    String port = Integer.toString(URI.create(a.url()).getPort());
    assertThat(transitions)
        .containsExactly(
            port + ":CLOSED->OPEN",
            port + ":OPEN->HALF_OPEN",
            port + ":HALF_OPEN->OPEN",
            port + ":OPEN->HALF_OPEN",
            port + ":HALF_OPEN->CLOSED");
    int sent = 0;
    for (FakeTallyServer.Received r : b.received()) {
      sent += r.events();
    }
    assertThat(sent).isGreaterThanOrEqualTo(18);
  }

  /**
   * One event in flight (hanging), one held by the sender thread waiting for a slot, then the
   * buffer.
   */
  private TallyClient fillBuffer(
      BufferFullPolicy policy, Duration blockTimeout, List<CompletableFuture<Sent>> sent) {
    a.mode(Mode.HANG);
    TallyClient client =
        lenient(a.url())
            .maxBatchEvents(1)
            .maxInFlightBatches(1)
            .buffer(2, policy)
            .blockTimeout(blockTimeout)
            .requestTimeout(Duration.ofSeconds(30))
            .retry(1, Duration.ofMillis(1), Duration.ofMillis(1))
            .build();
    sent.add(client.send("video:1", "view"));
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> a.received().size() == 1);
    sent.add(client.send("video:1", "view"));
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> client.bufferedEvents() == 0);
    sent.add(client.send("video:1", "view"));
    sent.add(client.send("video:1", "view"));
    assertThat(client.bufferedEvents()).isEqualTo(2);
    return client;
  }

  private void releaseAndExpectAllStored(TallyClient client, List<CompletableFuture<Sent>> sent) {
    a.release();
    client.flush().join();
    assertThat(sent).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    client.close();
  }

  @Test
  void dropPolicyFailsTheNewEventAtOnceAndCountsIt() {
    List<CompletableFuture<Sent>> sent = new ArrayList<>();
    TallyClient client = fillBuffer(BufferFullPolicy.DROP, Duration.ZERO, sent);
    CompletableFuture<Sent> dropped = client.send("video:1", "view");

    assertThat(failure(dropped))
        .isInstanceOf(BufferFullException.class)
        .hasMessageContaining("dropped");
    assertThat(client.droppedEvents()).isEqualTo(1);
    releaseAndExpectAllStored(client, sent);
  }

  @Test
  void failFastPolicyThrowsFromSend() {
    List<CompletableFuture<Sent>> sent = new ArrayList<>();
    TallyClient client = fillBuffer(BufferFullPolicy.FAIL_FAST, Duration.ZERO, sent);

    assertThatThrownBy(() -> client.send("video:1", "view"))
        .isInstanceOf(BufferFullException.class);
    assertThat(client.droppedEvents()).isZero();
    releaseAndExpectAllStored(client, sent);
  }

  @Test
  void blockPolicyWaitsForRoomUpToItsTimeout() {
    List<CompletableFuture<Sent>> sent = new ArrayList<>();
    TallyClient client = fillBuffer(BufferFullPolicy.BLOCK, Duration.ofMillis(200), sent);
    long start = System.nanoTime();
    CompletableFuture<Sent> timedOut = client.send("video:1", "view");

    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(190).toNanos());
    assertThat(failure(timedOut))
        .isInstanceOf(BufferFullException.class)
        .hasMessageContaining("still full");

    Thread releaser =
        new Thread(
            () -> {
              try {
                Thread.sleep(100);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              a.release();
            });
    releaser.start();
    CompletableFuture<Sent> waited =
        client.send("video:1", "view"); // blocks until the release makes room
    sent.add(waited);
    releaseAndExpectAllStored(client, sent);
  }
}
