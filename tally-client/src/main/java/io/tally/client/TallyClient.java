package io.tally.client;

import static java.util.Objects.requireNonNull;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.tally.client.internal.ClientConfig;
import io.tally.client.internal.EventIds;
import io.tally.client.internal.EventSender;
import io.tally.client.internal.HttpTransport;
import io.tally.client.internal.NodePool;
import io.tally.client.internal.ResilientCaller;
import io.tally.model.BatchAnswer;
import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.Statistic;
import io.tally.model.Stats;
import io.tally.model.TopK;
import io.tally.model.Total;
import io.tally.model.Uniques;
import io.tally.model.json.AnswerJsonReader;
import io.tally.model.json.MalformedBodyException;
import io.tally.model.json.TallyJson;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;

/**
 * The Tally Java SDK.
 *
 * <pre>{@code
 * try (TallyClient tally = TallyClient.builder().baseUrls("http://localhost:8080").build()) {
 *   Sent sent = tally.send("video:42", "view").join();      // batched, retried, never counted twice
 *   long views = tally.total("video:42", "view", sent.position()).join().count(); // reads it
 * }
 * }</pre>
 *
 * <p>{@link #send} is non-blocking (unless the buffer is full under {@link
 * BufferFullPolicy#BLOCK}): the event gets an id at once (UUIDv7 when it has none) and its time
 * (now when it has none), is batched with others, and its future completes when the server stored
 * it or it failed for good. Every retry resends the same ids, and the server counts an id once, so
 * a timeout or a restarted server neither loses nor double-counts an event. docs/client.md states
 * every option and failure.
 *
 * <p>Thread-safe: share one client per process. {@link #close()} sends what is buffered first.
 */
public final class TallyClient implements AutoCloseable {
  private final ClientConfig config;
  private final NodePool nodes;
  private final ResilientCaller caller;
  private final EventSender sender;
  private final ScheduledExecutorService scheduler;
  private final HttpTransport transport;

  TallyClient(ClientConfig config) {
    this.config = config;
    this.nodes = new NodePool(config);
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tally-client-retry");
              t.setDaemon(true);
              return t;
            });
    this.transport = new HttpTransport(config);
    this.caller = new ResilientCaller(config, nodes, transport, scheduler);
    this.sender = new EventSender(config, caller, transport);
  }

  public static TallyClientBuilder builder() {
    return new TallyClientBuilder();
  }

  /**
   * Sends an event. One without an id gets a UUIDv7; one with time 0 gets the client clock's now.
   *
   * @return completes with the event's id and position ({@link Sent}) once the server stored it;
   *     exceptionally with {@link EventRejectedException} (invalid, never retried), {@link
   *     RequestFailedException} (gave up) or {@link BufferFullException}
   * @throws BufferFullException only under {@link BufferFullPolicy#FAIL_FAST}
   */
  public CompletableFuture<Sent> send(Event event) {
    requireNonNull(event, "event");
    long time = event.timeMillis() != 0 ? event.timeMillis() : config.clock().millis();
    String id = event.id() != null ? event.id() : EventIds.next(config.clock().millis());
    return sender.offer(
        new Event(id, event.entity(), event.type(), time, event.value(), event.actor()));
  }

  /** Sends one event of value 1 happening now, e.g. {@code send("video:42", "view")}. */
  public CompletableFuture<Sent> send(String entity, String type) {
    return send(new Event(null, entity, type, config.clock().millis(), 1));
  }

  /**
   * Sends what is buffered without waiting for the linger; completes once every event sent before
   * this call has completed (whether stored or failed).
   */
  public CompletableFuture<Void> flush() {
    return sender.flush();
  }

  /**
   * The position of every event this client has stored so far: a query given it as {@code after}
   * reads all of them (read-your-writes for a whole session).
   */
  public String position() {
    return sender.position();
  }

  /** Events dropped because the buffer was full under {@link BufferFullPolicy#DROP}. */
  public long droppedEvents() {
    return sender.dropped();
  }

  /** Events waiting in the buffer for a batch (not those already in flight). */
  public int bufferedEvents() {
    return sender.buffered();
  }

  /** The circuit breaker state of one of the base URLs (as given to the builder). */
  public CircuitBreaker.State breakerState(String baseUrl) {
    return nodes.state(
        URI.create(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl));
  }

  /** {@code GET /v1/total}: the all-time count and sum. */
  public CompletableFuture<Total> total(String entity, String type) {
    return total(entity, type, (String) null);
  }

  /**
   * {@code GET /v1/total} once the events of {@code after} are counted.
   *
   * @param after a position ({@link Sent#position()}, {@link #position()}), or null not to wait;
   *     not counted within the server's wait (5 s), the future fails with {@link
   *     RequestFailedException} of status 504
   */
  public CompletableFuture<Total> total(String entity, String type, String after) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("entity", requireNonNull(entity, "entity"));
    params.put("type", requireNonNull(type, "type"));
    params.put("after", after);
    return query("/v1/total", params, AnswerJsonReader::total);
  }

  /** {@code GET /v1/stats} with every option of the HTTP API ({@link StatsQuery}). */
  public CompletableFuture<Stats> stats(StatsQuery query) {
    return stats(query, null);
  }

  /** {@link #stats(StatsQuery)} once the events of {@code after} are counted (null: at once). */
  public CompletableFuture<Stats> stats(StatsQuery query, String after) {
    if (query.isTotal()) {
      throw new IllegalArgumentException("a total is read with total(); stats() reads a series");
    }
    Map<String, String> params = new LinkedHashMap<>(query.params());
    params.put("after", after);
    return query("/v1/stats", params, AnswerJsonReader::stats);
  }

  /**
   * {@code POST /v1/stats/batch}: up to 100 reads in one request, answered in order; an invalid
   * item is answered with its error ({@link BatchAnswer#error()}) while the others are read.
   */
  public CompletableFuture<List<BatchAnswer>> batch(List<StatsQuery> queries) {
    return batch(queries, null);
  }

  /** {@link #batch(List)} once the events of {@code after} are counted (null: at once). */
  public CompletableFuture<List<BatchAnswer>> batch(List<StatsQuery> queries, String after) {
    List<Map<String, String>> items = new ArrayList<>(queries.size());
    for (StatsQuery q : queries) {
      Map<String, String> item = new LinkedHashMap<>(q.params());
      if (q.isTotal()) {
        item.remove("granularity");
      }
      items.add(item);
    }
    HttpTransport.Payload body = transport.payload(TallyJson.batchRequest(items));
    String path =
        after == null
            ? "/v1/stats/batch"
            : "/v1/stats/batch?after=" + URLEncoder.encode(after, StandardCharsets.UTF_8);
    return caller.call(path, body, response -> read(response, path, AnswerJsonReader::batch));
  }

  /**
   * {@code GET /v1/total?fn=…}: the all-time count and sum and, for {@link Statistic#UNIQUES}, the
   * distinct actors ({@link Total#uniques()}); {@link Total#avg()} is the mean value.
   */
  public CompletableFuture<Total> total(String entity, String type, Statistic fn) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("entity", requireNonNull(entity, "entity"));
    params.put("type", requireNonNull(type, "type"));
    params.put("fn", fn == null ? null : fn.wireName());
    return query("/v1/total", params, AnswerJsonReader::total);
  }

  /**
   * The all-time distinct actors of (entity, type): an estimate with 95 % bounds, exact while
   * {@link Uniques#exact()}.
   */
  public CompletableFuture<Uniques> uniques(String entity, String type) {
    return total(entity, type, Statistic.UNIQUES).thenApply(Total::uniques);
  }

  /**
   * {@code GET /v1/stats?fn=uniques}: distinct actors per bucket ({@link
   * io.tally.model.Bucket#uniques()}) and over the whole range ({@link Stats#rangeUniques()}). A
   * null argument takes the server's default.
   */
  public CompletableFuture<Stats> uniques(
      String entity, String type, Granularity granularity, Instant from, Instant to) {
    return stats(entity, type, Statistic.UNIQUES, granularity, from, to);
  }

  /**
   * {@code GET /v1/stats?fn=avg}: the mean value per bucket ({@link io.tally.model.Bucket#avg()}),
   * with each bucket's count and sum. A null argument takes the server's default.
   */
  public CompletableFuture<Stats> avg(
      String entity, String type, Granularity granularity, Instant from, Instant to) {
    return stats(entity, type, Statistic.AVG, granularity, from, to);
  }

  /**
   * {@code GET /v1/stats}: a series of buckets. A null argument takes the server's default (fn
   * count, granularity minute, the last 60 buckets).
   */
  public CompletableFuture<Stats> stats(
      String entity, String type, Statistic fn, Granularity granularity, Instant from, Instant to) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("entity", requireNonNull(entity, "entity"));
    params.put("type", requireNonNull(type, "type"));
    params.put("fn", fn == null ? null : fn.wireName());
    params.put("granularity", granularity == null ? null : granularity.wireName());
    params.put("from", from == null ? null : from.toString());
    params.put("to", to == null ? null : to.toString());
    return query("/v1/stats", params, AnswerJsonReader::stats);
  }

  /**
   * {@code GET /v1/top}: the {@code k} most frequent entities of {@code type} over {@code window}
   * (e.g. "1h").
   */
  public CompletableFuture<TopK> top(String type, String window, int k) {
    return top(type, window, k, null, null);
  }

  /**
   * {@code GET /v1/top} of one namespace: the entities starting with {@code prefix} (null: every
   * plain entity; a derived prefix like {@code channel:} ranks the derived entities), once the
   * events of {@code after} are counted (null: at once).
   */
  public CompletableFuture<TopK> top(
      String type, String window, int k, String prefix, String after) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("type", requireNonNull(type, "type"));
    params.put("window", requireNonNull(window, "window"));
    params.put("k", Integer.toString(k));
    params.put("prefix", prefix);
    params.put("after", after);
    return query("/v1/top", params, AnswerJsonReader::topK);
  }

  private <T> CompletableFuture<T> query(
      String path, Map<String, String> params, Function<byte[], T> reader) {
    StringJoiner q = new StringJoiner("&", path + "?", "");
    params.forEach(
        (k, v) -> {
          if (v != null) {
            q.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8));
          }
        });
    return caller.call(q.toString(), null, response -> read(response, path, reader));
  }

  private static <T> T read(
      HttpTransport.Response response, String path, Function<byte[], T> reader) {
    ResilientCaller.requireStatus(response, 200);
    try {
      return reader.apply(response.body());
    } catch (MalformedBodyException e) {
      throw new TallyClientException("unreadable answer from " + path + ": " + e.getMessage());
    }
  }

  /**
   * Stops taking events, sends every buffered one, waits until each has completed, then stops the
   * threads.
   */
  @Override
  public void close() {
    sender.close();
    scheduler.shutdownNow();
  }
}
