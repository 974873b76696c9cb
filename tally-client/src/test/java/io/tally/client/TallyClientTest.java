package io.tally.client;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.Statistic;
import io.tally.model.Stats;
import io.tally.model.TopK;
import io.tally.model.Total;
import io.tally.server.EmbeddedTally;
import io.tally.server.config.EffectiveConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SDK against a real in-process embedded server (RocksDB on a temp dir, port 0). */
class TallyClientTest {
  @TempDir Path dir;
  private EmbeddedTally server;
  private TallyClient client;

  @BeforeEach
  void start() {
    server =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, dir.resolve("data"))
                .with(SERVER_PORT, 0)
                .with(PROCESSOR_FLUSH_INTERVAL_MS, 200)
                .server());
    client = TallyClient.builder().baseUrls(server.url()).build();
  }

  @AfterEach
  void stop() {
    client.close();
    server.close();
  }

  private long count(String entity, String type) {
    return client.total(entity, type).join().count();
  }

  @Test
  void sendsAnEventAndReadsItsTotalBack() {
    String id = client.send("video:42", "view").join().id();

    assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> count("video:42", "view") == 1);
    Total total = client.total("video:42", "view").join();
    assertThat(total.entity()).isEqualTo("video:42");
    assertThat(total.sum()).isEqualTo(1);
    assertThat(total.asOfMillis()).isPositive();
  }

  @Test
  void keepsTheCallersIdAndCountsAResentIdOnce() {
    long now = System.currentTimeMillis();
    Event event = new Event("order-7", "shop:1", "purchase", now, 30);
    assertThat(client.send(event).join().id()).isEqualTo("order-7");
    assertThat(client.send(event).join().id()).isEqualTo("order-7");
    client.send(new Event("order-8", "shop:1", "purchase", now, 12)).join();

    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> client.total("shop:1", "purchase").join().sum() == 42);
    assertThat(count("shop:1", "purchase")).isEqualTo(2);
  }

  @Test
  void manyConcurrentSendersAreEachCountedExactlyOnce() throws Exception {
    int threads = 8;
    int perThread = 2_000;
    int entities = 40;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<List<CompletableFuture<Sent>>>> sent = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      sent.add(
          pool.submit(
              () -> {
                List<CompletableFuture<Sent>> futures = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                  futures.add(
                      client.send("video:" + ((thread * perThread + i) % entities), "view"));
                }
                return futures;
              }));
    }
    Set<String> ids = new HashSet<>();
    for (Future<List<CompletableFuture<Sent>>> f : sent) {
      for (CompletableFuture<Sent> future : f.get(60, TimeUnit.SECONDS)) {
        ids.add(future.get(60, TimeUnit.SECONDS).id());
      }
    }
    pool.shutdown();

    assertThat(ids).hasSize(threads * perThread);
    long expectedEach = (long) threads * perThread / entities;
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              for (int e = 0; e < entities; e++) {
                if (count("video:" + e, "view") != expectedEach) {
                  return false;
                }
              }
              return true;
            });
  }

  @Test
  void failsOnlyTheInvalidEventsOfABatchWithTheServersReasons() {
    long now = System.currentTimeMillis();
    CompletableFuture<Sent> good1 = client.send("video:1", "view");
    CompletableFuture<Sent> badEntity = client.send(new Event(null, "video 1!", "view", now, 1));
    CompletableFuture<Sent> good2 = client.send("video:1", "view");
    CompletableFuture<Sent> tooOld =
        client.send(new Event(null, "video:1", "view", now - Duration.ofDays(30).toMillis(), 1));
    CompletableFuture<Sent> badType = client.send(new Event(null, "video:1", "VIEW", now, 1));
    client.flush().join();

    assertThat(good1).isCompleted();
    assertThat(good1.join().id()).isNotBlank();
    assertThat(good2.join().position()).isNotBlank();
    for (CompletableFuture<Sent> bad : List.of(badEntity, tooOld, badType)) {
      assertThatThrownBy(bad::join)
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOf(EventRejectedException.class);
    }
    assertThat(reason(badEntity)).contains("entity");
    assertThat(reason(tooOld)).contains("old");
    assertThat(reason(badType)).contains("type");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> count("video:1", "view") == 2);
  }

  @Test
  void failsEveryEventOfABatchTheServerRejectsWhole() {
    long now = System.currentTimeMillis();
    CompletableFuture<Sent> a = client.send(new Event(null, "x", "VIEW", now, 1));
    CompletableFuture<Sent> b = client.send(new Event(null, "y", "view", now, -5));
    client.flush().join();

    assertThat(reason(a)).contains("type");
    assertThat(reason(b)).contains("value");
  }

  private static String reason(CompletableFuture<Sent> f) {
    assertThat(f).isCompletedExceptionally();
    Throwable t = f.handle((v, e) -> e instanceof CompletionException ? e.getCause() : e).join();
    assertThat(t).isInstanceOf(EventRejectedException.class);
    return ((EventRejectedException) t).reason();
  }

  @Test
  void answersStatsAndTopAsTypedResults() {
    long now = System.currentTimeMillis();
    for (int i = 0; i < 5; i++) {
      client.send(new Event(null, "video:a", "view", now, 2));
    }
    client.send(new Event(null, "video:b", "view", now, 1));
    client.flush().join();
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> count("video:a", "view") == 5 && count("video:b", "view") == 1);

    Stats stats =
        client
            .stats(
                "video:a",
                "view",
                Statistic.SUM,
                Granularity.HOUR,
                Instant.ofEpochMilli(now).minus(Duration.ofHours(2)),
                null)
            .join();
    assertThat(stats.granularity()).isEqualTo(Granularity.HOUR);
    assertThat(stats.buckets()).hasSize(1);
    assertThat(stats.buckets().get(0).sum()).isEqualTo(10);
    assertThat(stats.buckets().get(0).startMillis()).isEqualTo(Granularity.HOUR.bucketStart(now));

    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> client.top("view", "5m", 2).join().items().size() == 2);
    TopK top = client.top("view", "5m", 2).join();
    assertThat(top.items().get(0).entity()).isEqualTo("video:a");
    assertThat(top.items().get(0).estimate()).isEqualTo(5);
    assertThat(top.items().get(1).entity()).isEqualTo("video:b");
  }

  @Test
  void reportsABadQueryWithTheServersReasonWithoutRetrying() {
    assertThatThrownBy(() -> client.top("view", "3w", 2).join())
        .cause()
        .isInstanceOf(RequestFailedException.class)
        .hasMessageContaining("HTTP 400")
        .hasMessageContaining("window");
  }

  @Test
  void closeSendsWhatIsBuffered() {
    TallyClient lingering =
        TallyClient.builder().baseUrls(server.url()).linger(Duration.ofSeconds(30)).build();
    List<CompletableFuture<Sent>> futures = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      futures.add(lingering.send("page:home", "view"));
    }
    lingering.close();

    assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> count("page:home", "view") == 10);
    assertThatThrownBy(() -> lingering.send("page:home", "view").join())
        .cause()
        .hasMessageContaining("closed");
  }
}
