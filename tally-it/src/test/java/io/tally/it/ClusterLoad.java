package io.tally.it;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A client load for cluster tests: sender threads post batches of new events (unique ids, Zipf-ish
 * entities) to whichever node answers, retrying a batch with the same ids until a node acknowledges
 * it, and re-sending a few acknowledged batches as a client that missed the answer would. It
 * remembers how many distinct events each entity got, which is what the counts must equal.
 */
final class ClusterLoad {
  static final String TYPE = "view";
  private final String run;
  private final Supplier<List<String>> targets;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  final Map<String, AtomicLong> expected = new ConcurrentHashMap<>();
  final AtomicLong acked = new AtomicLong();
  final AtomicLong status503 = new AtomicLong();
  final AtomicLong otherErrors = new AtomicLong();
  final AtomicLong ioErrors = new AtomicLong();
  final AtomicLong resent = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final AtomicReference<String> firstOtherError = new AtomicReference<>();
  private final List<Thread> threads = new ArrayList<>();

  ClusterLoad(String run, Supplier<List<String>> targets) {
    this.run = run;
    this.targets = targets;
  }

  /** Starts {@code senders} threads that together post {@code events} new events in batches. */
  ClusterLoad start(int senders, int events, int batchSize, long pauseMillisBetweenBatches) {
    int perSender = events / senders;
    for (int s = 0; s < senders; s++) {
      int sender = s;
      Thread t =
          new Thread(
              () -> {
                try {
                  send(sender, perSender, batchSize, pauseMillisBetweenBatches);
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              },
              "load-" + s);
      t.start();
      threads.add(t);
    }
    return this;
  }

  private void send(int sender, int events, int batchSize, long pause) throws Exception {
    Random random = new Random(run.hashCode() * 31L + sender);
    for (int sent = 0; sent < events; sent += batchSize) {
      int n = Math.min(batchSize, events - sent);
      StringBuilder body = new StringBuilder("[");
      List<String> entities = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        // skewed popularity: low numbers are far more frequent
        String entity = "video:" + (int) Math.floor(Math.pow(random.nextDouble(), 3) * 200);
        entities.add(entity);
        if (i > 0) {
          body.append(',');
        }
        body.append("{\"id\":\"")
            .append(run)
            .append('-')
            .append(sender)
            .append('-')
            .append(sent + i)
            .append("\",\"entity\":\"")
            .append(entity)
            .append("\",\"type\":\"")
            .append(TYPE)
            .append("\"}");
      }
      body.append(']');
      postUntilAccepted(body.toString(), sender + sent);
      acked.addAndGet(n);
      for (String e : entities) {
        expected.computeIfAbsent(e, k -> new AtomicLong()).incrementAndGet();
      }
      if (random.nextInt(20) == 0) {
        resent.incrementAndGet();
        postUntilAccepted(body.toString(), sender + sent + 1); // a client that missed the ack
      }
      if (pause > 0) {
        Thread.sleep(pause);
      }
    }
  }

  private void postUntilAccepted(String body, int seed) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    int attempt = 0;
    while (System.nanoTime() < deadline) {
      List<String> urls = targets.get();
      String url = urls.get(Math.floorMod(seed + attempt++, urls.size()));
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(url + "/v1/events"))
                    .timeout(Duration.ofSeconds(20))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 202) {
          JsonObject j = new JsonObject(r.body());
          if (!j.getJsonArray("rejected").isEmpty()) {
            throw new AssertionError("events rejected: " + r.body());
          }
          return;
        }
        if (r.statusCode() == 503) {
          status503.incrementAndGet();
        } else {
          otherErrors.incrementAndGet();
          firstOtherError.compareAndSet(null, r.statusCode() + " " + r.body());
        }
      } catch (IOException e) {
        ioErrors.incrementAndGet();
      }
      Thread.sleep(Math.min(1_000, 50L * attempt));
    }
    throw new AssertionError("a batch was not accepted by any node within 3 minutes");
  }

  /** Waits for every sender to finish; rethrows the first failure. */
  void await(Duration max) throws Throwable {
    long deadline = System.nanoTime() + max.toNanos();
    for (Thread t : threads) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      if (t.isAlive()) {
        throw new AssertionError(
            "the load did not finish within " + max + "; acked " + acked.get());
      }
    }
    if (failure.get() != null) {
      throw failure.get();
    }
  }

  String summary() {
    return "acked "
        + acked.get()
        + " events, "
        + resent.get()
        + " batches re-sent, "
        + status503.get()
        + " × 503, "
        + ioErrors.get()
        + " connection errors, "
        + otherErrors.get()
        + " other errors"
        + (firstOtherError.get() != null ? " (first: " + firstOtherError.get() + ")" : "");
  }

  /**
   * The entities whose count on {@code url} differs from what was acknowledged, as "entity:
   * got/want".
   */
  List<String> mismatches(String url) throws Exception {
    return mismatches(http, url, expected);
  }

  /** The entities of {@code expected} whose {@value #TYPE} total on {@code url} differs. */
  static List<String> mismatches(HttpClient http, String url, Map<String, AtomicLong> expected)
      throws Exception {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, AtomicLong> e : expected.entrySet()) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(url + "/v1/total?type=" + TYPE + "&entity=" + e.getKey()))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        out.add(e.getKey() + ": HTTP " + r.statusCode());
        continue;
      }
      long count = new JsonObject(r.body()).getLong("count");
      if (count != e.getValue().get()) {
        out.add(e.getKey() + ": " + count + "/" + e.getValue().get());
      }
    }
    return out;
  }
}
