package io.tally.client;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.EmbeddedTally;
import io.tally.server.config.EffectiveConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server is stopped and a new one started on the same data dir and port while senders keep
 * sending: every event is acknowledged in the end (retried with its id), and each is counted
 * exactly once.
 */
class ServerRestartTest {
  private static final int SENDERS = 4;
  private static final int ENTITIES = 20;

  @TempDir Path dir;

  @Test
  void losesNoEventAndCountsNoneTwiceAcrossARestart() throws Exception {
    EffectiveConfig config =
        EffectiveConfig.defaults()
            .with(STORAGE_DATA_DIR, dir.resolve("data"))
            .with(SERVER_PORT, 0)
            .with(PROCESSOR_FLUSH_INTERVAL_MS, 200);
    EmbeddedTally first = EmbeddedTally.start(config.server());
    int port = first.port();
    ConcurrentLinkedQueue<CompletableFuture<Sent>> futures = new ConcurrentLinkedQueue<>();
    AtomicInteger sent = new AtomicInteger();
    AtomicLongArray perEntity = new AtomicLongArray(ENTITIES);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger retries = new AtomicInteger();
    EmbeddedTally second;
    try (TallyClient client =
        TallyClient.builder()
            .baseUrls(first.url())
            .linger(Duration.ofMillis(5))
            .maxBatchEvents(50)
            .requestTimeout(Duration.ofSeconds(2))
            .retry(30, Duration.ofMillis(50), Duration.ofMillis(500))
            .circuitBreaker(50, 10, 5, Duration.ofMillis(300), 1)
            .listener(
                new ClientListener() {
                  @Override
                  public void onRetry(int attempt, Duration wait, Throwable cause) {
                    retries.incrementAndGet();
                  }
                })
            .build()) {
      List<Thread> senders = new ArrayList<>();
      for (int s = 0; s < SENDERS; s++) {
        int sender = s;
        Thread t =
            new Thread(
                () -> {
                  for (int i = 0; !stop.get(); i++) {
                    int entity = (sender + i) % ENTITIES;
                    futures.add(client.send("video:" + entity, "view"));
                    perEntity.incrementAndGet(entity);
                    sent.incrementAndGet();
                    sleep(1); // about 1,000 events/s per sender
                  }
                });
        t.start();
        senders.add(t);
      }
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> sent.get() > 2_000);
      first.close();
      int sentWhileDown = sent.get();
      sleep(500);
      second = EmbeddedTally.start(config.with(SERVER_PORT, port).server());
      assertThat(sent.get())
          .as("the senders kept sending while the server was down")
          .isGreaterThan(sentWhileDown);
      sleep(1_000);
      stop.set(true);
      for (Thread t : senders) {
        t.join(TimeUnit.SECONDS.toMillis(60));
      }
      client.flush().get(60, TimeUnit.SECONDS);

      assertThat(retries.get()).as("batches were retried across the outage").isPositive();
      assertThat(futures).hasSize(sent.get());
      assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
      try {
        Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> allTotalsEqual(client, perEntity));
        sleep(600); // three more flushes: nothing counted late or twice
        assertThat(allTotalsEqual(client, perEntity)).isTrue();
      } finally {
        second.close();
      }
    }
  }

  private static boolean allTotalsEqual(TallyClient client, AtomicLongArray perEntity) {
    for (int e = 0; e < ENTITIES; e++) {
      long expected = perEntity.get(e);
      long count = client.total("video:" + e, "view").join().count();
      assertThat(count)
          .as("video:%d is never counted beyond its events", e)
          .isLessThanOrEqualTo(expected);
      if (count != expected) {
        return false;
      }
    }
    return true;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
