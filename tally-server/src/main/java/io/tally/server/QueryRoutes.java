package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.core.query.BadQueryException;
import io.tally.core.query.PositionGate;
import io.tally.core.query.QueryService;
import io.tally.core.topk.TopKService;
import io.tally.model.json.TallyJson;
import io.tally.server.http.RequestBody;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * The reads: {@code GET /v1/stats}, {@code GET /v1/total}, {@code POST /v1/stats/batch} and {@code
 * GET /v1/top} (docs/api.md). Each takes {@code after=<position token>} (and {@code wait}): it is
 * answered once the store holds the writes of that position ({@link PositionGate}). Reads that may
 * block run on a worker thread ({@link ErrorAnswers#fromWorker}): every read of a remote store, and
 * every read that waits for a position. A total from a {@linkplain Reads#LOCAL local} store is a
 * few in-memory or page-cache lookups and is answered on the event loop. Thread-safe.
 */
final class QueryRoutes implements Routes {
  /** Most (entity, type) reads in one {@code POST /v1/stats/batch}. */
  static final int MAX_BATCH_ITEMS = 100;

  /** 100 items of a few hundred bytes each fit with room to spare. */
  private static final long BATCH_BODY_LIMIT = 256 * 1024;

  static final String UNAVAILABLE = "the counter store is unavailable";
  private static final Set<String> TOTAL_PARAMS =
      Set.of("entity", "type", "fn", QueryParams.AFTER, QueryParams.WAIT);
  private static final Set<String> TOP_PARAMS =
      Set.of("type", "window", "k", "prefix", QueryParams.AFTER, QueryParams.WAIT);
  private static final Set<String> BATCH_PARAMS = Set.of(QueryParams.AFTER, QueryParams.WAIT);

  /** Where the store's reads go: how long a read may take. */
  enum Reads {
    /** The embedded store: lookups in memory or the page cache, microseconds. */
    LOCAL,
    /** A store over the network (Cassandra, PostgreSQL): a read may take milliseconds. */
    REMOTE
  }

  private final QueryService queries;
  private final TopKService topK;
  private final PositionGate positions;
  private final Reads reads;

  /**
   * @param positions where {@code after=<position token>} waits (read-your-writes)
   */
  QueryRoutes(QueryService queries, TopKService topK, PositionGate positions, Reads reads) {
    this.queries = requireNonNull(queries, "queries");
    this.topK = requireNonNull(topK, "topK");
    this.positions = requireNonNull(positions, "positions");
    this.reads = requireNonNull(reads, "reads");
  }

  /** Waits for the request's {@code after} position, if it names one. */
  private void awaitPosition(HttpServerRequest r) {
    positions.await(r.getParam(QueryParams.AFTER), r.getParam(QueryParams.WAIT));
  }

  /** A node without the query role: 404 naming it. */
  static Routes absent() {
    return router -> {
      for (String path : new String[] {"/v1/stats", "/v1/total", "/v1/top"}) {
        router.get(path).handler(QueryRoutes::noRole);
      }
      router.post("/v1/stats/batch").handler(QueryRoutes::noRole);
    };
  }

  private static void noRole(RoutingContext ctx) {
    ErrorAnswers.error(ctx, 404, "this node runs without the query role");
  }

  @Override
  public void mount(Router router) {
    router.get("/v1/stats").handler(this::stats);
    router.get("/v1/total").handler(this::total);
    router
        .post("/v1/stats/batch")
        .handler(RequestBody.limitedTo(BATCH_BODY_LIMIT, "split the queries"))
        .handler(this::batch);
    router.get("/v1/top").handler(this::top);
  }

  private void stats(RoutingContext ctx) {
    if (!QueryParams.valid(ctx, QueryParams.SERIES_READ)) {
      return;
    }
    HttpServerRequest r = ctx.request();
    ErrorAnswers.fromWorker(
        ctx,
        () -> {
          awaitPosition(r);
          return TallyJson.stats(
              queries.stats(
                  r.getParam("entity"),
                  r.getParam("type"),
                  r.getParam("fn"),
                  r.getParam("from"),
                  r.getParam("to"),
                  r.getParam("granularity"),
                  r.getParam("fill")));
        },
        UNAVAILABLE);
  }

  private void total(RoutingContext ctx) {
    if (!QueryParams.valid(ctx, TOTAL_PARAMS)) {
      return;
    }
    HttpServerRequest r = ctx.request();
    Callable<byte[]> answer =
        () -> {
          awaitPosition(r);
          return TallyJson.total(
              queries.total(r.getParam("entity"), r.getParam("type"), r.getParam("fn")));
        };
    if (reads == Reads.LOCAL && r.getParam(QueryParams.AFTER) == null) {
      ErrorAnswers.now(ctx, answer, UNAVAILABLE);
    } else {
      ErrorAnswers.fromWorker(ctx, answer, UNAVAILABLE);
    }
  }

  private void top(RoutingContext ctx) {
    if (!QueryParams.valid(ctx, TOP_PARAMS)) {
      return;
    }
    HttpServerRequest r = ctx.request();
    ErrorAnswers.fromWorker(
        ctx,
        () -> {
          awaitPosition(r);
          return TallyJson.topK(
              topK.top(
                  r.getParam("type"), r.getParam("window"), r.getParam("k"), r.getParam("prefix")));
        },
        UNAVAILABLE);
  }

  /**
   * {@code POST /v1/stats/batch}: {@code {"queries":[{"entity":…,"type":…}, …]}} with up to {@value
   * #MAX_BATCH_ITEMS} items, each answered like {@code /v1/total} or, when it names a {@code
   * granularity}, like {@code /v1/stats} (same fields as that route's parameters). A bad item gets
   * {@code {"error":…}} in its place; only a malformed body fails the whole request.
   */
  private void batch(RoutingContext ctx) {
    if (!QueryParams.valid(ctx, BATCH_PARAMS)) {
      return;
    }
    List<JsonObject> items = batchItems(ctx);
    if (items == null) {
      return;
    }
    ErrorAnswers.fromWorker(
        ctx,
        () -> {
          awaitPosition(ctx.request());
          List<Object> results = new ArrayList<>(items.size());
          for (JsonObject item : items) {
            results.add(batchItem(item));
          }
          return TallyJson.batch(results);
        },
        UNAVAILABLE);
  }

  /** The batch's items, or null after answering 400. */
  private static List<JsonObject> batchItems(RoutingContext ctx) {
    Object decoded;
    try {
      byte[] body = RequestBody.bytes(ctx);
      decoded = body.length == 0 ? null : Json.decodeValue(Buffer.buffer(body));
    } catch (DecodeException e) {
      ErrorAnswers.error(ctx, 400, "body is not valid JSON" + where(e));
      return null;
    }
    Object list = decoded instanceof JsonObject request ? request.getValue("queries") : null;
    if (!(list instanceof JsonArray array)) {
      ErrorAnswers.error(
          ctx, 400, "body must be a JSON object {\"queries\":[{\"entity\":…,\"type\":…},…]}");
      return null;
    }
    for (String field : ((JsonObject) decoded).fieldNames()) {
      if (!field.equals("queries")) {
        ErrorAnswers.error(ctx, 400, "unknown field '" + field + "'; allowed: queries");
        return null;
      }
    }
    if (array.isEmpty() || array.size() > MAX_BATCH_ITEMS) {
      ErrorAnswers.error(
          ctx, 400, "queries must hold 1 to " + MAX_BATCH_ITEMS + " items, got " + array.size());
      return null;
    }
    List<JsonObject> items = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonObject item)) {
        ErrorAnswers.error(ctx, 400, "queries[" + i + "] must be an object");
        return null;
      }
      items.add(item);
    }
    return items;
  }

  /**
   * One batch item's answer, or its error message (a store failure fails the whole batch with 503).
   */
  private Object batchItem(JsonObject item) {
    for (String field : item.fieldNames()) {
      if (!QueryParams.SERIES.contains(field)) {
        return "unknown field '"
            + field
            + "'; allowed: "
            + String.join(", ", new TreeSet<>(QueryParams.SERIES));
      }
      Object v = item.getValue(field);
      if (!(v instanceof String) && !(v instanceof Number)) {
        return field + " must be a string or a number";
      }
    }
    try {
      String granularity = text(item, "granularity");
      if (granularity == null || granularity.equalsIgnoreCase("total")) {
        return queries.total(text(item, "entity"), text(item, "type"), text(item, "fn"));
      }
      return queries.stats(
          text(item, "entity"),
          text(item, "type"),
          text(item, "fn"),
          text(item, "from"),
          text(item, "to"),
          granularity,
          text(item, "fill"));
    } catch (BadQueryException e) {
      return e.getMessage();
    }
  }

  /** Where a JSON syntax error is, in words ({@code " at line 1, column 7"}), without jargon. */
  private static String where(DecodeException e) {
    if (e.getCause() instanceof com.fasterxml.jackson.core.JsonProcessingException j
        && j.getLocation() != null) {
      return " at line "
          + j.getLocation().getLineNr()
          + ", column "
          + j.getLocation().getColumnNr();
    }
    return "";
  }

  private static String text(JsonObject item, String field) {
    Object v = item.getValue(field);
    return v == null ? null : v instanceof Number n ? Long.toString(n.longValue()) : v.toString();
  }
}
