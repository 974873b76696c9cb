package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.client.BufferFullPolicy;
import io.tally.client.ClientListener;
import io.tally.client.Sent;
import io.tally.client.TallyClient;
import io.tally.model.Total;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java SDK's promise, end to end: the server is SIGKILLed (not stopped) three times while four
 * threads send through one {@link TallyClient}, and restarted on the same data dir and port. Every
 * send future must complete normally (the client retried the batches the kills cut off, with the
 * same ids), and every entity's total must equal exactly what was sent: nothing lost, nothing
 * counted twice.
 */
class SdkKillTest {
  private static final int SENDERS = 4;
  private static final int EVENTS_PER_SENDER = 15_000;
  private static final int ENTITIES = 40;
  private static final int KILLS = 3;

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aKilledAndRestartedServerLosesAndDoublesNothing() throws Exception {
    ServerProcess server = ServerProcess.embedded("sdk", dir, "--partitions", "4");
    AtomicLong retries = new AtomicLong();
    AtomicLongArray sent = new AtomicLongArray(ENTITIES);
    List<CompletableFuture<Sent>> futures =
        java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger killsWithSendsPending = new AtomicInteger();
    AtomicLong pending = new AtomicLong(); // sent, not yet acknowledged
    try (server) {
      server.start();
      awaitHealthy(server);
      try (TallyClient tally =
          TallyClient.builder()
              .baseUrls(server.url())
              .connectTimeout(Duration.ofSeconds(1))
              .requestTimeout(Duration.ofSeconds(5))
              .linger(Duration.ofMillis(5))
              .maxBatchEvents(200)
              .buffer(20_000, BufferFullPolicy.BLOCK)
              .blockTimeout(Duration.ofMinutes(2))
              .retry(60, Duration.ofMillis(50), Duration.ofSeconds(1))
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
                    Random r = new Random(sender);
                    for (int n = 0; n < EVENTS_PER_SENDER; n++) {
                      int e = r.nextInt(ENTITIES);
                      pending.incrementAndGet();
                      futures.add(
                          tally
                              .send("video:" + e, "view")
                              .whenComplete((id, err) -> pending.decrementAndGet()));
                      sent.incrementAndGet(e);
                      if (n % 500 == 0) {
                        sleep(10); // spread the sends over the kills
                      }
                    }
                  },
                  "sender-" + s);
          t.start();
          senders.add(t);
        }
        Random r = new Random(42);
        for (int k = 0; k < KILLS; k++) {
          Thread.sleep(300 + r.nextInt(700));
          if (pending.get() > 0) {
            killsWithSendsPending.incrementAndGet();
          }
          server.kill9();
          Thread.sleep(r.nextInt(500));
          server.start();
        }
        for (Thread t : senders) {
          t.join();
        }
        List<CompletableFuture<Sent>> all = List.copyOf(futures);
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(3, TimeUnit.MINUTES);
        assertThat(all)
            .as("every send acknowledged")
            .allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        assertThat(all.stream().map(CompletableFuture::join).distinct().count())
            .as("one id per event")
            .isEqualTo((long) SENDERS * EVENTS_PER_SENDER);

        awaitHealthy(server);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        List<String> wrong;
        do {
          wrong = new ArrayList<>();
          for (int e = 0; e < ENTITIES; e++) {
            Total t = tally.total("video:" + e, "view").get(30, TimeUnit.SECONDS);
            assertThat(t.count())
                .as("video:%d is never over-counted", e)
                .isLessThanOrEqualTo(sent.get(e));
            if (t.count() != sent.get(e)) {
              wrong.add("video:" + e + " " + t.count() + " of " + sent.get(e));
            }
          }
          if (!wrong.isEmpty()) {
            Thread.sleep(200); // the backlog left by the last kill is still being counted
          }
        } while (!wrong.isEmpty() && System.nanoTime() < deadline);
        assertThat(wrong)
            .as("every total exact after %d kills (%d retries)", KILLS, retries.get())
            .isEmpty();
      }
    }
    assertThat(killsWithSendsPending.get()).as("kills that cut off sends").isPositive();
    assertThat(retries.get()).as("the client had to retry").isPositive();
  }

  private void awaitHealthy(ServerProcess server) throws Exception {
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
      } catch (java.io.IOException e) {
        // not listening yet
      }
      assertThat(System.nanoTime()).as("healthy within 90 s").isLessThan(deadline);
      Thread.sleep(50);
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
