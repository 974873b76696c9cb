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
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tally bench}: a load generator against a running server. {@code --clients} connections
 * post batched ingest requests back to back; one more queries totals; a probe posts single events
 * and measures how long until a query sees them (freshness). It reports accepted events/s, latency
 * percentiles (HdrHistogram) and errors by kind, then waits until the server has counted everything
 * and checks every entity's total against what was acknowledged (exact-count check).
 *
 * <p>It runs on one Vert.x event loop (Netty) and builds most request bodies before the clock
 * starts, so on a small machine it leaves the cores to the server. Threading: every callback runs
 * on that event loop, so the recorders need no locks; the main thread only starts, sleeps and reads
 * them after the loop has finished.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measure ingest throughput, query latency and freshness against a running Tally.")
final class BenchCommand implements Callable<Integer> {
  @Option(
      names = "--url",
      defaultValue = "http://127.0.0.1:8080",
      description = "Default: ${DEFAULT-VALUE}.")
  String url;

  @picocli.CommandLine.Mixin ClientOptions client;

  @Option(
      names = "--clients",
      defaultValue = "4",
      description = "Concurrent ingest connections. Default: ${DEFAULT-VALUE}.")
  int clients;

  @Option(
      names = "--batch",
      defaultValue = "1000",
      description = "Events per request. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(
      names = "--duration",
      defaultValue = "20s",
      converter = DurationConverter.class,
      description = "How long to send, e.g. 10s or 2m. Default: ${DEFAULT-VALUE}.")
  Duration duration;

  @Option(
      names = "--entities",
      defaultValue = "100000",
      description = "Distinct entities. Default: ${DEFAULT-VALUE}.")
  int entities;

  @Option(
      names = "--zipf",
      defaultValue = "1.0",
      description =
          "Zipf exponent of entity popularity (0: uniform; ~1: like video views). Default: ${DEFAULT-VALUE}.")
  double zipf;

  @Option(
      names = "--prepared-events",
      defaultValue = "4000000",
      description =
          "Events whose request bodies are built before the clock starts, so generating them does not take"
              + " CPU from a server on the same machine; later requests are built on the fly. Default: ${DEFAULT-VALUE}.")
  long preparedEvents;

  @Option(names = "--json", description = "Print the report as one JSON object (for scripts).")
  boolean json;

  @Option(
      names = "--spawn",
      description =
          "Start an embedded server for the run in a separate JVM (this jar, `serve` on a free port and a"
              + " temporary data dir, stopped and deleted afterwards) instead of using --url.")
  boolean spawn;

  @Option(
      names = "--spawn-heap",
      defaultValue = "1g",
      description = "With --spawn: the server's -Xmx. Default: ${DEFAULT-VALUE}.")
  String spawnHeap;

  @Option(
      names = "--rate",
      defaultValue = "0",
      description =
          "Target ingest rate in events/s (0: as fast as the clients go). Default: ${DEFAULT-VALUE}.")
  long rate;

  @Option(
      names = "--query-rate",
      defaultValue = "0",
      description =
          "Queries/s sent on a fixed schedule whatever the answers' latency (open loop, so slow answers"
              + " are not hidden), each timed from when it was due; the report says how late this"
              + " generator itself sent them (queryLatenessMs). 0: one query at a time, back to back."
              + " Default: ${DEFAULT-VALUE}.")
  int queryRate;

  @Option(
      names = "--series-share",
      defaultValue = "0.1",
      description =
          "Share of the scheduled queries that read a 24-hour minute series instead of a total."
              + " Default: ${DEFAULT-VALUE}.")
  double seriesShare;

  @Option(
      names = "--actors",
      defaultValue = "0",
      description =
          "Distinct actors (viewers) events are drawn from, uniformly, so fn=uniques has work; 0:"
              + " events carry no actor. Default: ${DEFAULT-VALUE}.")
  int actors;

  @Option(
      names = "--query-fn",
      defaultValue = "count",
      description =
          "What the scheduled queries ask for: count, sum, avg or uniques (totals and series alike)."
              + " Default: ${DEFAULT-VALUE}.")
  String queryFn;

  @Option(
      names = "--types",
      split = ",",
      defaultValue = "view,like,share",
      description =
          "Event types, comma-separated; drawn with Zipf(1) popularity in this order (the defaults: 55 %% views,"
              + " 27 %% likes, 18 %% shares). Each run prefixes them with a fresh run id. Default: ${DEFAULT-VALUE}.")
  List<String> typeNames;

  @Option(
      names = "--time-spread",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description =
          "Event times are drawn uniformly from [now − spread, now] when a request is built. Default: ${DEFAULT-VALUE}.")
  Duration timeSpread;

  @Option(
      names = "--warmup",
      defaultValue = "5s",
      converter = DurationConverter.class,
      description =
          "Load sent before measuring starts (the same load: both JVMs compile their hot paths, the connection"
              + " pool fills); its rate and latencies are not reported, its events are checked. Default: ${DEFAULT-VALUE}.")
  Duration warmup;

  @Option(
      names = "--duplicates",
      defaultValue = "0",
      description =
          "Share of ingest requests that re-send an already acknowledged request (same ids), like a client"
              + " retrying after a lost answer; the exact-count check then proves they were counted once. Default: ${DEFAULT-VALUE}.")
  double duplicates;

  private static final long PROBE_INTERVAL_MILLIS = 200;

  /** Series read per request by the exact-count check (the batch read's limit). */
  private static final int CHECK_BATCH = 100;

  /**
   * Every request's future completes within this, whatever happens to the connection: the request
   * options' idle and connect timeouts alone once left an exact-count check waiting forever for
   * answers that never came.
   */
  private static final long ANSWER_TIMEOUT_SECONDS = 60;

  /** How long one poll of the backlog waits for its answer before the next is sent. */
  private static final long BACKLOG_POLL_TIMEOUT_SECONDS = 5;

  /** How many acknowledged requests are kept for --duplicates to re-send. */
  private static final int RESEND_RING = 256;

  /**
   * A request body and the series (entity × types + type) of each of its events, for the
   * exact-count check.
   */
  private record Request(Buffer body, int[] series) {}

  private volatile boolean running = true;
  private final ArrayDeque<Request> prepared = new ArrayDeque<>();
  private final Histogram ackMicros = new Histogram(3);
  private final Histogram queryMicros = new Histogram(3);
  private final Histogram seriesMicros = new Histogram(3);

  /**
   * How late this generator sent each answered scheduled query after it was due: its own timer, GC
   * and scheduling, not the server's. Part of that query's latency, which is timed from when it was
   * due.
   */
  private final Histogram queryLatenessMicros = new Histogram(3);

  private final Histogram freshnessMicros = new Histogram(3);
  private final Map<String, Long> errors = new TreeMap<>();

  /** Written on the event loop only; read by the progress bar. */
  private volatile long accepted;

  /** Events acknowledged during the warm-up, not in the reported rate. */
  private volatile long warmupAccepted;

  private long sentEvents;
  private long queriesSent;
  private long startNanos;

  /** When the last ingest answer came, and when the server had counted everything (backlog 0). */
  private long sendEndNanos;

  private long countedNanos;

  /** Backlog polls that got no answer in time: each adds up to 5 s to the catch-up. */
  private long backlogPollsUnanswered;

  private long seq;

  /** Writes every request body (made once the run's id and type names are known). */
  private EventBodyWriter bodies;

  private long probesSent;

  /** Acknowledged events per series (entity index × types + type index). */
  private long[] expected;

  private String runId;

  /** The run's event types; queries and probes use the first. */
  private String[] types;

  private String type;
  private double[] typeCdf;

  /** Recently acknowledged requests, for --duplicates; a re-sent one adds nothing to expected. */
  private final Request[] acked = new Request[RESEND_RING];

  private long ackedRequests;
  private long resentEvents;

  @Override
  public Integer call() throws Exception {
    if (!spawn) {
      return run();
    }
    try (SpawnedServer server = SpawnedServer.start(spawnHeap)) {
      url = server.url();
      System.err.println(
          "bench: started an embedded server at "
              + url
              + " (pid "
              + server.pid()
              + ", -Xmx"
              + spawnHeap
              + ")");
      return run();
    }
  }

  private Integer run() throws Exception {
    ZipfSampler sampler = new ZipfSampler(entities, zipf);
    if (duplicates < 0 || duplicates >= 1 || typeNames.isEmpty()) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this),
          "--duplicates must be in [0, 1) and --types must name at least one type");
    }
    if (actors < 0 || !java.util.Set.of("count", "sum", "avg", "uniques").contains(queryFn)) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this),
          "--actors must be 0 or more and --query-fn one of count, sum, avg, uniques");
    }
    runId = Long.toString(System.currentTimeMillis(), 36);
    // fresh series per run, so earlier runs do not disturb the check
    types = typeNames.stream().map(t -> "bench." + runId + "." + t).toArray(String[]::new);
    String[] entityNames = new String[sampler.entities()];
    for (int k = 0; k < entityNames.length; k++) {
      entityNames[k] = sampler.name(k);
    }
    bodies = new EventBodyWriter(runId + "-", entityNames, types);
    type = types[0];
    typeCdf = new double[types.length];
    double total = 0;
    for (int t = 0; t < types.length; t++) {
      typeCdf[t] = total += 1.0 / (t + 1);
    }
    for (int t = 0; t < types.length; t++) {
      typeCdf[t] /= total;
    }
    expected = new long[Math.multiplyExact(entities, types.length)];
    for (long n = 0; n + batch <= preparedEvents; n += batch) {
      prepared.add(request(sampler));
    }
    URI u = URI.create(url);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    HttpClientAgent http = client(vertx, u, true, clients + 2 + (queryRate > 0 ? 32 : 0));
    CountDownLatch ingestDone = new CountDownLatch(clients);
    CountDownLatch done = new CountDownLatch(2);
    long start = System.nanoTime();
    startNanos = start;
    vertx.runOnContext(
        v -> {
          for (int c = 0; c < clients; c++) {
            ingestLoop(vertx, http, sampler, ingestDone);
          }
          if (queryRate > 0) {
            scheduledQueries(vertx, http, sampler, done);
          } else {
            queryLoop(http, sampler, done);
          }
          probeLoop(vertx, http, done);
        });
    long measuring = warmup.isZero() ? start : endWarmup(vertx);
    waitShowingProgress(measuring);
    running = false;
    ingestDone.await();
    sendEndNanos = System.nanoTime();
    // the rate counts until the last ingest answer, not the freshness probe's last wait
    double elapsed = (sendEndNanos - measuring) / 1e9;
    done.await();
    JsonObject exact = exactCountCheck(vertx, http, u, sampler);
    vertx.close().toCompletionStage().toCompletableFuture().get();
    JsonObject report = report(elapsed, exact);
    System.out.println(json ? report.encode() : text(report));
    return errors.isEmpty() && exact.getBoolean("ok") ? 0 : 1;
  }

  /**
   * Sleeps through the warm-up, then, on the event loop that records everything, forgets the
   * latencies so far and notes the acknowledged count. Returns when measuring starts.
   */
  private long endWarmup(Vertx vertx) throws InterruptedException {
    if (!json) {
      System.err.println("bench: warming up for " + warmup.toSeconds() + " s (not measured)");
    }
    Thread.sleep(warmup.toMillis());
    CountDownLatch reset = new CountDownLatch(1);
    long[] at = new long[1];
    vertx.runOnContext(
        v -> {
          for (Histogram h :
              List.of(ackMicros, queryMicros, seriesMicros, queryLatenessMicros, freshnessMicros)) {
            h.reset();
          }
          warmupAccepted = accepted;
          at[0] = System.nanoTime();
          reset.countDown();
        });
    reset.await();
    return at[0];
  }

  private void ingestLoop(
      Vertx vertx, HttpClientAgent http, ZipfSampler sampler, CountDownLatch done) {
    if (!running) {
      done.countDown();
      return;
    }
    if (rate > 0) {
      // the schedule: event n is due n / rate seconds after the start
      long dueNanos = startNanos + (long) (sentEvents * 1e9 / rate);
      long early = dueNanos - System.nanoTime();
      if (early > 1_000_000) {
        vertx.setTimer(early / 1_000_000, id -> ingestLoop(vertx, http, sampler, done));
        return;
      }
    }
    sentEvents += batch;
    boolean resend =
        duplicates > 0
            && ackedRequests > 0
            && ThreadLocalRandom.current().nextDouble() < duplicates;
    Request request =
        resend
            ? acked[
                (int) (ThreadLocalRandom.current().nextLong(Math.min(ackedRequests, RESEND_RING)))]
            : prepared.isEmpty() ? request(sampler) : prepared.poll();
    long t0 = System.nanoTime();
    post(http, request.body())
        .onComplete(
            ar -> {
              if (ar.succeeded() && ar.result() == 202) {
                accepted += batch;
                if (resend) {
                  resentEvents += batch;
                } else {
                  for (int e : request.series()) {
                    expected[e]++;
                  }
                  acked[(int) (ackedRequests++ % RESEND_RING)] = request;
                }
                ackMicros.recordValue((System.nanoTime() - t0) / 1000);
              } else {
                error(
                    "ingest",
                    ar.succeeded() ? "HTTP " + ar.result() : ar.cause().getClass().getSimpleName());
              }
              ingestLoop(vertx, http, sampler, done);
            });
  }

  /**
   * Open-loop queries: every millisecond, as many as the schedule says are due, each timed from
   * when it was due (so waiting for a connection counts), mixing totals and 24-hour minute series.
   */
  private void scheduledQueries(
      Vertx vertx, HttpClientAgent http, ZipfSampler sampler, CountDownLatch done) {
    Random random = new Random(42);
    vertx.setPeriodic(
        1,
        id -> {
          if (!running) {
            vertx.cancelTimer(id);
            done.countDown();
            return;
          }
          long now = System.nanoTime();
          while (queriesSent < (now - startNanos) * queryRate / 1_000_000_000L) {
            long dueNanos = startNanos + queriesSent * 1_000_000_000L / queryRate;
            queriesSent++;
            boolean series = random.nextDouble() < seriesShare;
            String entity = sampler.next();
            String path =
                series
                    ? "/v1/stats?type="
                        + type
                        + "&entity="
                        + entity
                        + "&granularity=minute&fn="
                        + queryFn
                        + "&from="
                        + (System.currentTimeMillis() - 86_400_000L)
                        + "&to="
                        + System.currentTimeMillis()
                    : "/v1/total?type=" + type + "&entity=" + entity + "&fn=" + queryFn;
            long sentNanos = System.nanoTime();
            get(http, path)
                .onComplete(
                    ar -> {
                      if (ar.succeeded()) {
                        (series ? seriesMicros : queryMicros)
                            .recordValue((System.nanoTime() - dueNanos) / 1000);
                        // with the latency, so both describe the same answered queries
                        queryLatenessMicros.recordValue((sentNanos - dueNanos) / 1000);
                      } else {
                        error(series ? "series query" : "query", ar.cause().getMessage());
                      }
                    });
          }
        });
  }

  private void queryLoop(HttpClientAgent http, ZipfSampler sampler, CountDownLatch done) {
    if (!running) {
      done.countDown();
      return;
    }
    long t0 = System.nanoTime();
    get(http, "/v1/total?type=" + type + "&entity=" + sampler.next())
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                queryMicros.recordValue((System.nanoTime() - t0) / 1000);
              } else {
                error("query", ar.cause().getMessage());
              }
              queryLoop(http, sampler, done);
            });
  }

  /**
   * Every {@value #PROBE_INTERVAL_MILLIS} ms: post one event, then poll until a query counts it.
   */
  private void probeLoop(Vertx vertx, HttpClientAgent http, CountDownLatch done) {
    if (!running) {
      done.countDown();
      return;
    }
    long n = ++probesSent;
    String entity = "probe:" + runId;
    Event probe = new Event(runId + "-probe-" + n, entity, type, System.currentTimeMillis(), 1);
    post(http, Buffer.buffer(TallyJson.events(List.of(probe))))
        .onComplete(
            ar -> {
              if (ar.failed() || ar.result() != 202) {
                error(
                    "probe",
                    ar.succeeded() ? "HTTP " + ar.result() : ar.cause().getClass().getSimpleName());
                vertx.setTimer(PROBE_INTERVAL_MILLIS, id -> probeLoop(vertx, http, done));
                return;
              }
              long acked = System.nanoTime();
              awaitVisible(
                  vertx,
                  http,
                  entity,
                  n,
                  acked,
                  () -> vertx.setTimer(PROBE_INTERVAL_MILLIS, id -> probeLoop(vertx, http, done)));
            });
  }

  private void awaitVisible(
      Vertx vertx,
      HttpClientAgent http,
      String entity,
      long count,
      long ackedNanos,
      Runnable then) {
    get(http, "/v1/total?type=" + type + "&entity=" + entity)
        .onComplete(
            ar -> {
              if (ar.succeeded()
                  && new JsonObject(ar.result().toString()).getLong("count", 0L) >= count) {
                freshnessMicros.recordValue((System.nanoTime() - ackedNanos) / 1000);
                then.run();
              } else if (System.nanoTime() - ackedNanos > 60_000_000_000L) {
                error("probe", "not visible within 60 s");
                then.run();
              } else {
                vertx.setTimer(
                    10, id -> awaitVisible(vertx, http, entity, count, ackedNanos, then));
              }
            });
  }

  private Future<Integer> post(HttpClientAgent http, Buffer body) {
    return http.request(options(HttpMethod.POST, "/v1/events"))
        .compose(req -> req.putHeader("Content-Type", "application/json").send(body))
        .compose(resp -> resp.body().map(b -> resp.statusCode()))
        .timeout(ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /**
   * GET whose body is always read (so the pooled connection is released) and which fails unless
   * 200.
   */
  private Future<Buffer> get(HttpClientAgent http, String path) {
    return http.request(options(HttpMethod.GET, path))
        .compose(req -> req.send())
        .compose(
            resp ->
                resp.body()
                    .compose(
                        body ->
                            resp.statusCode() == 200
                                ? Future.succeededFuture(body)
                                : Future.failedFuture("HTTP " + resp.statusCode())))
        .timeout(ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /** HTTPS for an https URL, trusting {@code --ca-file} when given. */
  private HttpClientOptions tls(HttpClientOptions options, URI u) {
    if ("https".equalsIgnoreCase(u.getScheme())) {
      options.setSsl(true).setUseAlpn(true);
      if (client.caFile != null) {
        options.setTrustOptions(
            new io.vertx.core.net.PemTrustOptions().addCertPath(client.caFile.toString()));
      }
    }
    return options;
  }

  /** Every request gives up after 30 s without a byte, so a lost response cannot hang the run. */
  private io.vertx.core.http.RequestOptions options(HttpMethod method, String path) {
    // connect timeout: also bounds the wait for a pooled connection, so no request can wait forever
    io.vertx.core.http.RequestOptions o =
        new io.vertx.core.http.RequestOptions()
            .setMethod(method)
            .setURI(path)
            .setIdleTimeout(30_000)
            .setConnectTimeout(30_000);
    if (client.key != null && !client.key.isBlank()) {
      o.putHeader("Authorization", "Bearer " + client.key.trim());
    }
    return o;
  }

  private void error(String where, String kind) {
    errors.merge(where + ": " + kind, 1L, Long::sum);
  }

  /**
   * One request of {@code batch} unique events, timed within --time-spread before the moment it is
   * built.
   */
  private Request request(ZipfSampler sampler) {
    int[] series = new int[batch];
    long now = System.currentTimeMillis();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long spread = timeSpread.toMillis();
    bodies.start();
    for (int i = 0; i < batch; i++) {
      int entity = sampler.nextIndex();
      int t = typeIndex(random.nextDouble());
      series[i] = entity * types.length + t;
      long time = spread > 0 ? now - random.nextLong(spread + 1) : now;
      bodies.event(seq++, entity, t, time, actors > 0 ? random.nextInt(actors) : -1);
    }
    return new Request(Buffer.buffer(bodies.finish()), series);
  }

  private int typeIndex(double u) {
    int t = 0;
    while (t < typeCdf.length - 1 && u >= typeCdf[t]) {
      t++;
    }
    return t;
  }

  /** A client of {@code u}, each connection kept for the next request or not. */
  private HttpClientAgent client(Vertx vertx, URI u, boolean keepAlive, int connections) {
    return vertx.createHttpClient(
        tls(
            new HttpClientOptions()
                .setDefaultHost(u.getHost())
                .setDefaultPort(u.getPort())
                .setKeepAlive(keepAlive),
            u),
        new PoolOptions().setHttp1MaxSize(connections));
  }

  /**
   * Waits until the server has counted everything (backlog 0), then reads the total of every entity
   * this run sent to and compares it with what was acknowledged.
   *
   * <p>The wait polls {@code /healthz} on a client of its own, a new connection per poll, sent from
   * the event loop, each given {@value #BACKLOG_POLL_TIMEOUT_SECONDS} s: on the run's pool a poll
   * sent from this thread right after the load sometimes never left the client (the server saw no
   * request; every connection idle on both sides) until its 60 s timeout, which the catch-up and
   * the counted rate then included.
   */
  private JsonObject exactCountCheck(Vertx vertx, HttpClientAgent http, URI u, ZipfSampler sampler)
      throws Exception {
    HttpClientAgent poll = client(vertx, u, false, 1);
    long deadline = System.nanoTime() + 300_000_000_000L;
    while (backlog(vertx, poll) != 0) {
      if (System.nanoTime() > deadline) {
        return new JsonObject()
            .put("ok", false)
            .put("reason", "the server did not catch up within 300 s");
      }
      Thread.sleep(100);
    }
    countedNanos = System.nanoTime();
    poll.close();
    Thread.sleep(1_500); // the backlog counts applied flushes; let asOf settle too
    AtomicLong mismatches = new AtomicLong();
    AtomicLong unanswered = new AtomicLong();
    List<String> examples = java.util.Collections.synchronizedList(new ArrayList<>());
    Semaphore inFlight = new Semaphore(8);
    List<Integer> group = new ArrayList<>(CHECK_BATCH);
    int checked = 0;
    for (int e = 0; e < expected.length; e++) {
      if (expected[e] != 0) {
        checked++;
        group.add(e);
      }
      if (group.size() == CHECK_BATCH || (e == expected.length - 1 && !group.isEmpty())) {
        inFlight.acquire();
        checkGroup(
            http, sampler, List.copyOf(group), 1, mismatches, unanswered, examples, inFlight);
        group.clear();
      }
    }
    inFlight.acquire(8);
    return new JsonObject()
        .put("ok", mismatches.get() == 0 && unanswered.get() == 0)
        .put("series", checked)
        .put("mismatches", mismatches.get())
        .put("unanswered", unanswered.get())
        .put("examples", new io.vertx.core.json.JsonArray(examples));
  }

  /**
   * Reads the totals of up to {@value #CHECK_BATCH} series with one {@code POST /v1/stats/batch}
   * and compares each with what was acknowledged; a request that gets no answer is tried again (up
   * to 3 times) before its series count as unanswered — a lost answer is not a wrong count.
   */
  private void checkGroup(
      HttpClientAgent http,
      ZipfSampler sampler,
      List<Integer> series,
      int attempt,
      AtomicLong mismatches,
      AtomicLong unanswered,
      List<String> examples,
      Semaphore inFlight) {
    io.vertx.core.json.JsonArray queries = new io.vertx.core.json.JsonArray();
    for (int e : series) {
      queries.add(
          new JsonObject()
              .put("entity", sampler.name(e / types.length))
              .put("type", types[e % types.length]));
    }
    http.request(options(HttpMethod.POST, "/v1/stats/batch"))
        .compose(
            req ->
                req.putHeader("Content-Type", "application/json")
                    .send(new JsonObject().put("queries", queries).toBuffer()))
        .compose(
            resp ->
                resp.body()
                    .compose(
                        body ->
                            resp.statusCode() == 200
                                ? Future.succeededFuture(body)
                                : Future.failedFuture("HTTP " + resp.statusCode() + " " + body)))
        .timeout(ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .onComplete(
            ar -> {
              if (ar.failed() && attempt < 3) {
                checkGroup(
                    http, sampler, series, attempt + 1, mismatches, unanswered, examples, inFlight);
                return;
              }
              try {
                if (ar.failed()) {
                  unanswered.addAndGet(series.size());
                  if (examples.size() < 10) {
                    examples.add(series.size() + " series unanswered after 3 tries: " + ar.cause());
                  }
                  return;
                }
                io.vertx.core.json.JsonArray results =
                    new JsonObject(ar.result()).getJsonArray("results");
                for (int i = 0; i < series.size(); i++) {
                  int e = series.get(i);
                  JsonObject r = results.getJsonObject(i);
                  String got =
                      r.containsKey("count") ? String.valueOf(r.getLong("count")) : r.encode();
                  if (!got.equals(Long.toString(expected[e]))
                      && mismatches.incrementAndGet() <= 10) {
                    examples.add(
                        sampler.name(e / types.length)
                            + " "
                            + types[e % types.length]
                            + ": expected "
                            + expected[e]
                            + ", server says "
                            + got);
                  }
                }
              } finally {
                inFlight.release();
              }
            });
  }

  /** Sleeps for the run's duration; unless --json, a progress bar on stderr shows time and acks. */
  private void waitShowingProgress(long startNanos) throws InterruptedException {
    long end = startNanos + duration.toNanos();
    if (json) {
      Thread.sleep(duration.toMillis());
      return;
    }
    try (ProgressBar bar =
        new ProgressBarBuilder()
            .setTaskName("bench")
            .setInitialMax(Math.max(1, duration.toSeconds()))
            .setUnit(" s", 1)
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(500)
            .setConsumer(new ConsoleProgressBarConsumer(System.err))
            .build()) {
      while (System.nanoTime() < end) {
        Thread.sleep(Math.max(1, Math.min(250, (end - System.nanoTime()) / 1_000_000)));
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        bar.stepTo(Math.min(bar.getMax(), (long) elapsed));
        long measured = accepted - warmupAccepted;
        bar.setExtraMessage(
            String.format(
                " %,d events acked, %,.0f/s", measured, measured / Math.max(0.001, elapsed)));
      }
    }
  }

  /**
   * The server's backlog from /healthz, or -1 while it answers anything but 200 (e.g. a store
   * retrying) or nothing within {@value #BACKLOG_POLL_TIMEOUT_SECONDS} s (counted in the report's
   * {@code backlogPollsUnanswered}).
   */
  private long backlog(Vertx vertx, HttpClientAgent poll) throws InterruptedException {
    CompletableFuture<Buffer> answer = new CompletableFuture<>();
    vertx.runOnContext(
        v ->
            get(poll, "/healthz")
                .timeout(BACKLOG_POLL_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .onComplete(
                    ar -> {
                      if (ar.succeeded()) {
                        answer.complete(ar.result());
                      } else {
                        answer.completeExceptionally(ar.cause());
                      }
                    }));
    try {
      return new JsonObject(answer.get().toString())
          .getJsonObject("checks")
          .getLong("backlogEvents");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TimeoutException) {
        backlogPollsUnanswered++;
      }
      return -1;
    }
  }

  private JsonObject report(double elapsedSeconds, JsonObject exact) {
    return new JsonObject()
        .put(
            "config",
            new JsonObject()
                .put("url", url)
                .put("clients", clients)
                .put("batch", batch)
                .put("durationSeconds", duration.toMillis() / 1000.0)
                .put("entities", entities)
                .put("zipf", zipf)
                .put("rate", rate)
                .put("queryRate", queryRate)
                .put("seriesShare", seriesShare)
                .put("actors", actors)
                .put("queryFn", queryFn)
                .put("types", new io.vertx.core.json.JsonArray(typeNames))
                .put("timeSpreadSeconds", timeSpread.toMillis() / 1000.0)
                .put("duplicates", duplicates)
                .put("warmupSeconds", warmup.toMillis() / 1000.0))
        .put("acceptedEvents", accepted - warmupAccepted)
        .put("warmupEvents", warmupAccepted)
        .put("resentEvents", resentEvents)
        .put("eventsPerSecond", Math.round((accepted - warmupAccepted) / elapsedSeconds))
        // counted: every acknowledged event (warm-up included) over the time from the first
        // request until the server had counted them all (null when it never caught up)
        .put("catchUpSeconds", countedNanos == 0 ? null : (countedNanos - sendEndNanos) / 1e9)
        .put("backlogPollsUnanswered", backlogPollsUnanswered)
        .put(
            "countedEventsPerSecond",
            countedNanos == 0 ? null : Math.round(accepted * 1e9 / (countedNanos - startNanos)))
        .put("ackLatencyMs", percentiles(ackMicros, 50, 90, 99, 99.9))
        .put("totalQueryLatencyMs", percentiles(queryMicros, 50, 99))
        .put("seriesQueryLatencyMs", percentiles(seriesMicros, 50, 99))
        .put("queryLatenessMs", percentiles(queryLatenessMicros, 50, 99))
        .put("freshnessMs", percentiles(freshnessMicros, 50, 99))
        .put("errors", new JsonObject(new TreeMap<>(errors)))
        .put("exactCount", exact);
  }

  private static JsonObject percentiles(Histogram h, double... ps) {
    JsonObject o = new JsonObject().put("count", h.getTotalCount());
    for (double p : ps) {
      o.put(
          "p" + (p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p)),
          h.getTotalCount() == 0 ? null : h.getValueAtPercentile(p) / 1000.0);
    }
    return o;
  }

  private static String text(JsonObject r) {
    JsonObject c = r.getJsonObject("config");
    JsonObject exact = r.getJsonObject("exactCount");
    return String.format(
        "accepted %,d events in %.0f s: %,d events/s (%d clients, %d events/request, %,d entities, zipf %.2f, %d types)%n"
            + "counted: %,d events/s from the first request until the server's backlog was 0, %.1f s after the last answer (backlog polls unanswered in 5 s: %d)%n"
            + "re-sent duplicates among them: %,d events%n"
            + "ack latency per request (ms): %s%n"
            + "GET /v1/total while ingesting (ms): %s%n"
            + "GET /v1/stats, 24 h of minutes, while ingesting (ms): %s%n"
            + "of which this generator sent the scheduled queries late by (ms): %s%n"
            + "freshness, ack to visible in a query (ms): %s%n"
            + "errors: %s%n"
            + "exact-count check: %s",
        r.getLong("acceptedEvents"),
        c.getDouble("durationSeconds"),
        r.getLong("eventsPerSecond"),
        c.getInteger("clients"),
        c.getInteger("batch"),
        c.getInteger("entities"),
        c.getDouble("zipf"),
        c.getJsonArray("types").size(),
        r.getLong("countedEventsPerSecond", -1L),
        r.getDouble("catchUpSeconds", -1.0),
        r.getLong("backlogPollsUnanswered"),
        r.getLong("resentEvents"),
        r.getJsonObject("ackLatencyMs").encode(),
        r.getJsonObject("totalQueryLatencyMs").encode(),
        r.getJsonObject("seriesQueryLatencyMs").encode(),
        r.getJsonObject("queryLatenessMs").encode(),
        r.getJsonObject("freshnessMs").encode(),
        r.getJsonObject("errors").isEmpty() ? "none" : r.getJsonObject("errors").encode(),
        exact.getBoolean("ok")
            ? "passed, "
                + exact.getInteger("series")
                + " (entity, type) totals each equal to the distinct acknowledged events"
            : "FAILED " + exact.encode());
  }
}
