package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.client.BufferFullPolicy;
import io.tally.client.ClientListener;
import io.tally.client.Sent;
import io.tally.client.TallyClient;
import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.Stats;
import io.tally.model.Total;
import io.tally.model.Uniques;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Distinct actors through {@code kill -9} (issue 19): the same seeded events with actors (Zipf over
 * 50,000 actors) go through the SDK to two servers built from the jar: one SIGKILLed three times
 * while they arrive and restarted on its data dir (the client re-sends what the kills cut off, with
 * the same ids; the server replays whatever deltas a kill lost from its log), one never
 * interrupted. Once both have counted every event, every answer of {@code fn=uniques} — total,
 * minute, hour and day buckets, the ranges' unions — must be the same on both: a replayed delta's
 * sketch union cannot inflate a row. The answers are also checked against the exact numbers.
 */
class UniquesKillTest {
  private static final int EVENTS = 40_000;
  private static final int ENTITIES = 12;
  private static final int ACTORS = 50_000;
  private static final int KILLS = 3;
  private static final long HOUR = 3_600_000L;

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private final long end = Granularity.MINUTE.bucketStart(System.currentTimeMillis());
  private final long start = end - 3 * HOUR;

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void uniquesAfterKillsEqualThoseOfAnUninterruptedRun() throws Exception {
    List<Event> events = events(7);
    Map<String, Set<String>> actorsOf = new LinkedHashMap<>();
    for (Event e : events) {
      actorsOf.computeIfAbsent(e.entity(), k -> new HashSet<>()).add(e.actor());
    }
    Map<String, Object> killed;
    Map<String, Object> calm;
    try (ServerProcess server = ServerProcess.embedded("killed", dir, "--partitions", "4")) {
      killed = run(server, events, KILLS);
    }
    try (ServerProcess server = ServerProcess.embedded("calm", dir, "--partitions", "4")) {
      calm = run(server, events, 0);
    }
    assertThat(killed).hasSize(calm.size());
    for (Map.Entry<String, Object> e : calm.entrySet()) {
      assertThat(killed.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
    }
    int within = 0;
    for (Map.Entry<String, Set<String>> e : actorsOf.entrySet()) {
      Uniques u = (Uniques) calm.get(e.getKey() + " total");
      int truth = e.getValue().size();
      within += u.lowerBound() <= truth && truth <= u.upperBound() ? 1 : 0;
    }
    assertThat(within).as("totals within their 95 %% bounds").isGreaterThanOrEqualTo(ENTITIES - 2);
  }

  private List<Event> events(long seed) {
    Random r = new Random(seed);
    double[] cdf = new double[ACTORS];
    double total = 0;
    for (int k = 0; k < ACTORS; k++) {
      total += 1 / Math.pow(k + 1, 1.0);
      cdf[k] = total;
    }
    List<Event> out = new ArrayList<>(EVENTS);
    for (int n = 0; n < EVENTS; n++) {
      int i = java.util.Arrays.binarySearch(cdf, r.nextDouble() * total);
      int actor = Math.min(ACTORS - 1, i >= 0 ? i : -i - 1);
      long time = start + (long) (r.nextDouble() * 3 * HOUR);
      out.add(
          new Event("u-" + n, "video:" + r.nextInt(ENTITIES), "view", time, 1, "user-" + actor));
    }
    return out;
  }

  /** Sends {@code events}, killing the server {@code kills} times; then reads every answer. */
  private Map<String, Object> run(ServerProcess server, List<Event> events, int kills)
      throws Exception {
    AtomicLong retries = new AtomicLong();
    AtomicInteger killsWithSendsPending = new AtomicInteger();
    AtomicLong pending = new AtomicLong();
    Map<String, Long> sent = new LinkedHashMap<>();
    for (Event e : events) {
      sent.merge(e.entity(), 1L, Long::sum);
    }
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
      List<CompletableFuture<Sent>> futures =
          java.util.Collections.synchronizedList(new ArrayList<>());
      Thread sender =
          new Thread(
              () -> {
                for (int n = 0; n < events.size(); n++) {
                  pending.incrementAndGet();
                  futures.add(
                      tally
                          .send(events.get(n))
                          .whenComplete((id, err) -> pending.decrementAndGet()));
                  if (n % 1000 == 0) {
                    sleep(20); // spread the sends over the kills
                  }
                }
              });
      sender.start();
      Random r = new Random(42);
      for (int k = 0; k < kills; k++) {
        Thread.sleep(200 + r.nextInt(400));
        if (pending.get() > 0) {
          killsWithSendsPending.incrementAndGet();
        }
        server.kill9();
        Thread.sleep(r.nextInt(300));
        server.start();
      }
      sender.join();
      List<CompletableFuture<Sent>> all = List.copyOf(futures);
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(3, TimeUnit.MINUTES);
      awaitHealthy(server);
      awaitCounted(tally, sent);
      if (kills > 0) {
        assertThat(killsWithSendsPending.get()).as("kills that cut off sends").isPositive();
        assertThat(retries.get()).as("the client had to retry").isPositive();
      }
      return answers(tally, sent.keySet());
    }
  }

  private void awaitCounted(TallyClient tally, Map<String, Long> sent) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    List<String> wrong;
    do {
      wrong = new ArrayList<>();
      for (Map.Entry<String, Long> e : sent.entrySet()) {
        Total t = tally.total(e.getKey(), "view").get(30, TimeUnit.SECONDS);
        assertThat(t.count())
            .as(e.getKey() + " is never over-counted")
            .isLessThanOrEqualTo(e.getValue());
        if (t.count() != e.getValue()) {
          wrong.add(e.getKey() + " " + t.count() + " of " + e.getValue());
        }
      }
      if (!wrong.isEmpty()) {
        Thread.sleep(200);
      }
    } while (!wrong.isEmpty() && System.nanoTime() < deadline);
    assertThat(wrong).as("every event counted once").isEmpty();
  }

  /** Every uniques answer, by name: totals, and per granularity the buckets and the range. */
  private Map<String, Object> answers(TallyClient tally, Set<String> entities) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    for (String entity : entities) {
      out.put(entity + " total", tally.uniques(entity, "view").get(30, TimeUnit.SECONDS));
      for (Granularity g : Granularity.TIMED) {
        Stats s =
            tally
                .uniques(entity, "view", g, Instant.ofEpochMilli(start), Instant.ofEpochMilli(end))
                .get(30, TimeUnit.SECONDS);
        assertThat(s.buckets()).as(entity + " " + g + " has buckets").isNotEmpty();
        out.put(entity + " " + g.wireName() + " buckets", s.buckets());
        out.put(entity + " " + g.wireName() + " range", s.rangeUniques());
      }
    }
    return out;
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
