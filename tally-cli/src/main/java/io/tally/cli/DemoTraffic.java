package io.tally.cli;

import static java.util.Objects.requireNonNull;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code tally serve --demo}: a synthetic but realistic stream posted to the server's own {@code
 * POST /v1/events}, so a newcomer sees the dashboard move at once. Videos {@code video:0 …
 * video:N-1} are viewed with Zipf popularity; some views are followed by a like (about 1 in 16) or
 * a share (about 1 in 60) of the same video. The rate drifts slowly around {@code eventsPerSecond}
 * (±30 % over a minute) so the charts have a shape. Every event carries a unique id, and now and
 * then a batch is sent twice, the way a client retries after a lost answer: the server's dedup
 * window counts it once.
 *
 * <p>On a server that requires API keys the demo posts with the key in {@code TALLY_KEY}, which
 * needs the ingest scope; {@link #postFirstBatch()} finds out before the stream starts, so {@code
 * tally serve --demo} can refuse at once with one line saying what to do. The demo never makes a
 * key itself: keys are made by whoever holds an admin key or the stopped data dir.
 *
 * <p>One background thread; {@link #start()} and {@link #close()} from the wiring thread, the
 * counters from any thread.
 */
final class DemoTraffic implements AutoCloseable {
  /** Demo videos: few enough that Top-K stays exact with the default sketch size. */
  static final int VIDEOS = 500;

  static final double ZIPF_EXPONENT = 1.1;
  private static final long TICK_MILLIS = 100;
  private static final double LIKE_PER_VIEW = 1 / 16.0;
  private static final double SHARE_PER_VIEW = 1 / 60.0;

  private final String baseUrl;

  /**
   * No CA file; on a server with keys, an ingest key (TALLY_KEY for {@code tally serve --demo}).
   */
  private final ClientOptions client;

  private final int eventsPerSecond;
  private final double retryProbability;
  private final ZipfSampler videos = new ZipfSampler(VIDEOS, ZIPF_EXPONENT);
  private final SplittableRandom random;
  private final String runId;
  private final AtomicLong views = new AtomicLong();
  private final AtomicLong likes = new AtomicLong();
  private final AtomicLong shares = new AtomicLong();
  private final AtomicLong resent = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;
  private long nextId;

  /** Why the server refused the last post (not 202 or 503), for the one line the demo prints. */
  private String refusal;

  /**
   * @param baseUrl the server, e.g. {@code http://127.0.0.1:8080}
   * @param eventsPerSecond the average rate, 1 to 100,000
   * @param retryProbability how often a batch is sent a second time (with the same ids)
   */
  DemoTraffic(
      String baseUrl,
      ClientOptions client,
      int eventsPerSecond,
      double retryProbability,
      long seed) {
    this.baseUrl = requireNonNull(baseUrl, "baseUrl");
    this.client = requireNonNull(client, "client");
    if (eventsPerSecond < 1 || eventsPerSecond > 100_000) {
      throw new IllegalArgumentException(
          "the demo rate must be 1 to 100000 events/s, got " + eventsPerSecond);
    }
    this.eventsPerSecond = eventsPerSecond;
    this.retryProbability = retryProbability;
    this.random = new SplittableRandom(seed);
    this.runId = Long.toString(Math.abs(seed % 1_000_000_000L), 36);
    thread = new Thread(this::run, "tally-demo");
    thread.setDaemon(true);
  }

  DemoTraffic(String baseUrl, int eventsPerSecond, double retryProbability, long seed) {
    this(baseUrl, new ClientOptions(), eventsPerSecond, retryProbability, seed);
  }

  /** The stream {@code tally serve --demo} posts, with the key from {@code TALLY_KEY} if set. */
  DemoTraffic(String baseUrl, int eventsPerSecond) {
    this(baseUrl, ClientOptions.fromEnvironment(), eventsPerSecond, 0.02, System.nanoTime());
  }

  /**
   * Posts the first batch on the caller's thread, before {@link #start()}.
   *
   * @return null when the server took it (or is stopping); else one line saying why the demo cannot
   *     run here, e.g. that the server requires API keys and which key to give it
   */
  String postFirstBatch() {
    Batch batch = batch(Math.max(1, (int) Math.round(eventsPerSecond * TICK_MILLIS / 1000.0)));
    if (post(batch.json())) {
      count(batch);
      return null;
    }
    return refusal; // null: stopping
  }

  void start() {
    thread.start();
  }

  /** Distinct view events the server acknowledged (a re-sent batch counts once). */
  long views() {
    return views.get();
  }

  long likes() {
    return likes.get();
  }

  long shares() {
    return shares.get();
  }

  /** Batches sent a second time with the same ids. */
  long resentBatches() {
    return resent.get();
  }

  private void run() {
    long start = System.nanoTime();
    long tick = 0;
    while (running) {
      double minutes = (System.nanoTime() - start) / 60e9;
      double rate = eventsPerSecond * (1 + 0.3 * Math.sin(2 * Math.PI * minutes));
      int n = Math.max(1, (int) Math.round(rate * TICK_MILLIS / 1000.0));
      Batch batch = batch(n);
      if (!post(batch.json())) {
        if (refusal != null) {
          System.err.println("tally: demo stream stopped: " + refusal);
        }
        return;
      }
      count(batch);
      if (random.nextDouble() < retryProbability && post(batch.json())) {
        resent.incrementAndGet();
      }
      tick++;
      long sleepNanos = start + tick * TICK_MILLIS * 1_000_000 - System.nanoTime();
      if (sleepNanos > 0) {
        try {
          Thread.sleep(sleepNanos / 1_000_000, (int) (sleepNanos % 1_000_000));
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private void count(Batch batch) {
    views.addAndGet(batch.views());
    likes.addAndGet(batch.likes());
    shares.addAndGet(batch.shares());
  }

  /** One request body and how many events of each type it holds. */
  private record Batch(byte[] json, int views, int likes, int shares) {}

  /** {@code viewCount} view events, each maybe followed by a like or a share of the same video. */
  private Batch batch(int viewCount) {
    StringBuilder json = new StringBuilder(viewCount * 64).append('[');
    int likeCount = 0;
    int shareCount = 0;
    for (int i = 0; i < viewCount; i++) {
      String video = videos.name(videos.nextIndex());
      event(json, video, "view");
      double r = random.nextDouble();
      if (r < LIKE_PER_VIEW) {
        event(json, video, "like");
        likeCount++;
      } else if (r < LIKE_PER_VIEW + SHARE_PER_VIEW) {
        event(json, video, "share");
        shareCount++;
      }
    }
    json.setCharAt(json.length() - 1, ']');
    return new Batch(
        json.toString().getBytes(StandardCharsets.UTF_8), viewCount, likeCount, shareCount);
  }

  private void event(StringBuilder json, String entity, String type) {
    json.append("{\"id\":\"demo-")
        .append(runId)
        .append('-')
        .append(nextId++)
        .append("\",\"entity\":\"")
        .append(entity)
        .append("\",\"type\":\"")
        .append(type)
        .append("\"},");
  }

  /**
   * Posts until the server took it; false once stopping, the server is gone, or it refused ({@link
   * #refusal}).
   */
  private boolean post(byte[] batch) {
    while (running) {
      try {
        HttpResponse<String> r = HttpCalls.postJson(client, baseUrl, "/v1/events", batch);
        if (r.statusCode() == 202) {
          return true;
        }
        if (r.statusCode() != 503) {
          refusal = describe(r);
          return false;
        }
        Thread.sleep(1000); // back-pressure: retry the same ids
      } catch (ConnectException e) {
        return false; // the server is stopping
      } catch (IOException e) {
        pause();
      } catch (InterruptedException e) {
        return false;
      }
    }
    return false;
  }

  private String describe(HttpResponse<String> r) {
    String reason = r.body();
    try {
      reason = new JsonObject(r.body()).getString("error", reason);
    } catch (DecodeException | ClassCastException e) {
      // not Tally's error object: the raw body says it
    }
    boolean keyRefused = r.statusCode() == 401 || r.statusCode() == 403;
    if (keyRefused && !client.hasKey()) {
      return "this server requires API keys and TALLY_KEY is not set: give the demo a key with the ingest scope, "
          + "e.g. TALLY_KEY=$(tally keys create --data-dir <data dir> --scope ingest --name demo) tally serve --demo";
    }
    if (keyRefused) {
      return "the server refused TALLY_KEY (HTTP "
          + r.statusCode()
          + ": "
          + reason
          + "); the demo needs a key with "
          + "the ingest scope";
    }
    return "the server answered HTTP " + r.statusCode() + ": " + reason;
  }

  private void pause() {
    try {
      Thread.sleep(1000);
    } catch (InterruptedException e) {
      running = false;
    }
  }

  /**
   * Stops the stream and waits (up to 10 s) for the request in flight, which is not interrupted:
   * once {@code close} returns, the counters say exactly what the server acknowledged.
   */
  @Override
  public void close() {
    running = false;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
