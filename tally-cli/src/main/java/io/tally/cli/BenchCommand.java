package io.tally.cli;

import io.tally.model.Event;
import io.tally.model.json.TallyJson;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tally bench}: a load generator against a running server. {@code --clients} connections
 * each send batched ingest requests back to back, one more queries totals; it reports accepted
 * events/s and latency percentiles, then checks that every acknowledged event was counted once.
 * It runs on one Vert.x event loop (Netty), and builds most request bodies before the clock
 * starts, so on a small machine it leaves the cores to the server. (Freshness probes,
 * HdrHistogram and JSON output are tracked separately.)
 *
 * <p>Threading: every callback runs on the single client event loop, so the recorders need no
 * locks; the main thread only starts, sleeps and reads them after the loop finished.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measure ingest throughput and query latency against a running Tally.")
final class BenchCommand implements Callable<Integer> {
  @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "Default: ${DEFAULT-VALUE}.") String url;
  @Option(names = "--clients", defaultValue = "4", description = "Concurrent ingest connections. Default: ${DEFAULT-VALUE}.") int clients;
  @Option(names = "--batch", defaultValue = "1000", description = "Events per request. Default: ${DEFAULT-VALUE}.") int batch;
  @Option(names = "--seconds", defaultValue = "20", description = "Duration. Default: ${DEFAULT-VALUE}.") int seconds;
  @Option(names = "--entities", defaultValue = "100000", description = "Distinct entities. Default: ${DEFAULT-VALUE}.") int entities;
  @Option(names = "--prepared-events", defaultValue = "4000000",
      description = "Events whose request bodies are built before the clock starts, so generating them does not take"
          + " CPU from a server on the same machine; later requests are built on the fly. Default: ${DEFAULT-VALUE}.")
  long preparedEvents;
  @Option(names = "--zipf", defaultValue = "1.0",
      description = "Zipf exponent of entity popularity (0: uniform; ~1: like video views). Default: ${DEFAULT-VALUE}.") double zipf;

  private volatile boolean running = true;
  private long accepted;
  private long errors;
  private long seq;
  private String runId;
  private final List<Long> ackNanos = new ArrayList<>();
  private final ArrayDeque<Request> prepared = new ArrayDeque<>();
  private long[] expected;
  private String type;

  /** A request body and the entity index of each of its events, for the exact-count check. */
  private record Request(Buffer body, int[] entities) {}
  private final List<Long> queryNanos = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    ZipfSampler cdf = new ZipfSampler(entities, zipf);
    runId = Long.toString(System.currentTimeMillis(), 36) + "-";
    type = "bench." + runId.substring(0, runId.length() - 1); // a fresh series per run
    expected = new long[entities];
    for (long n = 0; n + batch <= preparedEvents; n += batch) {
      prepared.add(request(cdf));
    }
    URI u = URI.create(url);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    HttpClientAgent http = vertx.createHttpClient(
        new HttpClientOptions().setDefaultHost(u.getHost()).setDefaultPort(u.getPort()).setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(clients + 1));
    CountDownLatch done = new CountDownLatch(clients + 1);
    long start = System.nanoTime();
    vertx.runOnContext(v -> {
      for (int c = 0; c < clients; c++) {
        ingestLoop(http, cdf, done);
      }
      queryLoop(http, cdf, done);
    });
    Thread.sleep(seconds * 1000L);
    running = false;
    done.await();
    double elapsed = (System.nanoTime() - start) / 1e9;
    long[] acks = sorted(ackNanos);
    long[] queries = sorted(queryNanos);
    System.out.printf("accepted %,d events in %.1f s: %,.0f events/s (%d clients, %d events/request, %,d entities, zipf %.2f), errors %d%n",
        accepted, elapsed, accepted / elapsed, clients, batch, entities, zipf, errors);
    System.out.printf("ack latency per request: p50 %.1f ms, p99 %.1f ms (%d requests)%n", pct(acks, 50), pct(acks, 99), acks.length);
    System.out.printf("GET /v1/total while ingesting: p50 %.2f ms, p99 %.2f ms (%d queries)%n", pct(queries, 50), pct(queries, 99), queries.length);
    long mismatches = exactCountCheck(http, cdf);
    vertx.close().toCompletionStage().toCompletableFuture().get();
    return errors == 0 && mismatches == 0 ? 0 : 1;
  }

  private void ingestLoop(HttpClientAgent http, ZipfSampler cdf, CountDownLatch done) {
    if (!running) {
      done.countDown();
      return;
    }
    Request prepared = this.prepared.poll();
    Request request = prepared != null ? prepared : request(cdf);
    long t0 = System.nanoTime();
    http.request(HttpMethod.POST, "/v1/events")
        .compose(req -> req.putHeader("Content-Type", "application/json").send(request.body()))
        .compose(resp -> resp.body().map(b -> resp.statusCode()))
        .onComplete(ar -> {
          if (ar.succeeded() && ar.result() == 202) {
            accepted += batch;
            for (int e : request.entities()) {
              expected[e]++;
            }
            ackNanos.add(System.nanoTime() - t0);
          } else {
            errors++;
          }
          ingestLoop(http, cdf, done);
        });
  }

  /** One request of {@code batch} unique events timed at the moment it is built. */
  private Request request(ZipfSampler cdf) {
    List<Event> events = new ArrayList<>(batch);
    int[] indexes = new int[batch];
    long now = System.currentTimeMillis();
    for (int i = 0; i < batch; i++) {
      indexes[i] = cdf.nextIndex();
      events.add(new Event(runId + seq++, cdf.name(indexes[i]), type, now, 1));
    }
    return new Request(Buffer.buffer(TallyJson.events(events)), indexes);
  }

  /**
   * Waits until the server has counted everything (backlog 0), then reads the total of every
   * entity this run sent to and compares it with what was acknowledged. Returns the mismatches.
   */
  private long exactCountCheck(HttpClientAgent http, ZipfSampler cdf) throws Exception {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (true) {
      String health = http.request(HttpMethod.GET, "/healthz").compose(req -> req.send())
          .compose(resp -> resp.body()).toCompletionStage().toCompletableFuture().get().toString();
      if (new io.vertx.core.json.JsonObject(health).getJsonObject("checks").getLong("backlogEvents") == 0) {
        break;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the server did not catch up within 120 s: " + health);
      }
      Thread.sleep(100);
    }
    Thread.sleep(1_500); // the backlog counts applied flushes; let asOf settle too
    java.util.concurrent.atomic.AtomicLong mismatches = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(16);
    int checked = 0;
    for (int e = 0; e < expected.length; e++) {
      if (expected[e] == 0) {
        continue;
      }
      checked++;
      long want = expected[e];
      String entity = cdf.name(e);
      inFlight.acquire();
      http.request(HttpMethod.GET, "/v1/total?type=" + type + "&entity=" + entity).compose(req -> req.send())
          .compose(resp -> resp.body())
          .onComplete(ar -> {
            long got = ar.succeeded() ? new io.vertx.core.json.JsonObject(ar.result().toString()).getLong("count") : -1;
            if (got != want && mismatches.incrementAndGet() <= 10) {
              System.out.printf("exact-count check: %s expected %d, server says %d%n", entity, want, got);
            }
            inFlight.release();
          });
    }
    inFlight.acquire(16);
    System.out.printf("exact-count check: %,d entities, %s%n", checked,
        mismatches.get() == 0 ? "every total equals the acknowledged events" : mismatches.get() + " differ");
    return mismatches.get();
  }

  private void queryLoop(HttpClientAgent http, ZipfSampler cdf, CountDownLatch done) {
    if (!running) {
      done.countDown();
      return;
    }
    long t0 = System.nanoTime();
    Future<Integer> status = http.request(HttpMethod.GET,
            "/v1/total?type=" + type + "&entity=" + cdf.next())
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> resp.statusCode()));
    status.onComplete(ar -> {
      if (ar.succeeded() && ar.result() == 200) {
        queryNanos.add(System.nanoTime() - t0);
      } else {
        errors++;
      }
      queryLoop(http, cdf, done);
    });
  }

  private static long[] sorted(List<Long> values) {
    long[] a = values.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(a);
    return a;
  }

  private static double pct(long[] sorted, double p) {
    return sorted.length == 0 ? Double.NaN : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)] / 1e6;
  }
}
