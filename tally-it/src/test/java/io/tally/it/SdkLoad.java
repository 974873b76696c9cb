package io.tally.it;

import io.tally.client.BufferFullPolicy;
import io.tally.client.ClientListener;
import io.tally.client.TallyClient;
import io.tally.model.Event;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A steady load through the Java SDK, given every node's URL, as an application would send it: one
 * thread offers new events (unique ids, skewed popularity over {@value #ENTITIES} entities) at a
 * fixed rate, and re-sends one in {@value #RESEND_EVERY} with its id, as an application that missed
 * an answer would. It keeps sending until told to finish and a minimum is reached, then waits for
 * every send to complete. The SDK's listener counts every attempt on {@code /v1/events} and how it
 * ended, so the share acknowledged on the first try is known. Thread-safe counters; one sender.
 */
final class SdkLoad implements AutoCloseable {
  static final String TYPE = "view";
  static final int ENTITIES = 200;
  static final int RESEND_EVERY = 50;

  private final String run;
  private final TallyClient client;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Map<String, AtomicLong> expected = new ConcurrentHashMap<>();
  final AtomicLong offered = new AtomicLong();
  final AtomicLong acked = new AtomicLong();
  final AtomicLong resent = new AtomicLong();
  final AtomicLong attempts = new AtomicLong();
  final AtomicLong attemptsAccepted = new AtomicLong();
  final AtomicLong attempts503 = new AtomicLong();
  final AtomicLong attemptsUnanswered = new AtomicLong();
  final AtomicLong attemptsOther = new AtomicLong();
  private final AtomicLong pending = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final AtomicBoolean finishing = new AtomicBoolean();
  private volatile long minimum;
  private Thread sender;

  SdkLoad(String run, List<String> nodes) {
    this.run = run;
    this.client =
        TallyClient.builder()
            .baseUrls(nodes.toArray(String[]::new))
            .connectTimeout(Duration.ofSeconds(1))
            .requestTimeout(Duration.ofSeconds(20))
            .linger(Duration.ofMillis(10))
            .maxBatchEvents(200)
            .buffer(50_000, BufferFullPolicy.BLOCK)
            .blockTimeout(Duration.ofMinutes(3))
            .retry(100, Duration.ofMillis(100), Duration.ofSeconds(2))
            .listener(
                new ClientListener() {
                  @Override
                  public void onAttempt(URI node, String path, int status, Duration elapsed) {
                    if (path.equals("/v1/events")) {
                      count(status);
                    }
                  }
                })
            .build();
  }

  private void count(int status) {
    attempts.incrementAndGet();
    (status == 202
            ? attemptsAccepted
            : status == 503 ? attempts503 : status == 0 ? attemptsUnanswered : attemptsOther)
        .incrementAndGet();
  }

  /** Starts offering {@code eventsPerSecond} new events a second. */
  SdkLoad start(int eventsPerSecond) {
    sender = new Thread(() -> send(eventsPerSecond), "sdk-load");
    sender.start();
    return this;
  }

  private void send(int eventsPerSecond) {
    Random random = new Random(run.hashCode());
    int perTick = Math.max(1, eventsPerSecond / 50);
    long next = System.nanoTime();
    try {
      for (long n = 0; !(finishing.get() && n >= minimum); ) {
        for (int i = 0; i < perTick; i++, n++) {
          // skewed popularity: low numbers are far more frequent
          String entity = "video:" + (int) Math.floor(Math.pow(random.nextDouble(), 3) * ENTITIES);
          Event event = new Event(run + "-" + n, entity, TYPE, System.currentTimeMillis(), 1);
          expected.computeIfAbsent(entity, k -> new AtomicLong()).incrementAndGet();
          offer(event);
          if (n % RESEND_EVERY == 0) {
            resent.incrementAndGet();
            offer(event);
          }
        }
        next += TimeUnit.MILLISECONDS.toNanos(20);
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
      }
    } catch (Throwable e) {
      failure.compareAndSet(null, e);
    }
  }

  private void offer(Event event) {
    offered.incrementAndGet();
    pending.incrementAndGet();
    client
        .send(event)
        .whenComplete(
            (id, error) -> {
              if (error != null) {
                failure.compareAndSet(null, error);
              } else {
                acked.incrementAndGet();
              }
              pending.decrementAndGet();
            });
  }

  /**
   * Lets the sender stop once it offered at least {@code events} new events, then waits until every
   * send completed; rethrows the first that failed.
   */
  void finish(long events, Duration max) throws Throwable {
    minimum = events;
    finishing.set(true);
    long deadline = System.nanoTime() + max.toNanos();
    sender.join(max.toMillis());
    client.flush().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    while (pending.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    if (failure.get() != null) {
      throw failure.get();
    }
    if (sender.isAlive() || pending.get() > 0) {
      throw new AssertionError("the load did not finish within " + max + ": " + summary());
    }
  }

  /** New events offered so far (re-sends not included). */
  long distinct() {
    return offered.get() - resent.get();
  }

  /** Attempts on {@code /v1/events} that were accepted, as a share of all attempts. */
  double acceptedShare() {
    return attempts.get() == 0 ? 1 : (double) attemptsAccepted.get() / attempts.get();
  }

  String summary() {
    return String.format(
        "%,d events acknowledged (%,d distinct, %,d re-sent with their ids); %,d ingest requests:"
            + " %,d accepted (%.2f %%), %,d × 503, %,d unanswered, %,d other",
        acked.get(),
        distinct(),
        resent.get(),
        attempts.get(),
        attemptsAccepted.get(),
        100 * acceptedShare(),
        attempts503.get(),
        attemptsUnanswered.get(),
        attemptsOther.get());
  }

  /** The entities whose total on {@code url} differs from the distinct events sent to them. */
  List<String> mismatches(String url) throws Exception {
    return ClusterLoad.mismatches(http, url, expected);
  }

  @Override
  public void close() {
    finishing.set(true);
    minimum = 0;
    client.close();
  }
}
