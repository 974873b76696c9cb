package io.tally.server;

import io.tally.core.TallyException;
import io.tally.core.enrich.AttributeService;
import io.tally.core.enrich.BadAttributesException;
import io.tally.core.ingest.Ingestor;
import io.tally.core.ingest.OverloadedException;
import io.tally.core.ingest.TooManyEventsException;
import io.tally.core.query.BadQueryException;
import io.tally.core.query.QueryService;
import io.tally.core.topk.TopKService;
import io.tally.model.IngestResult;
import io.tally.model.json.AttributesJson;
import io.tally.model.json.EventJsonReader;
import io.tally.model.json.MalformedBodyException;
import io.tally.model.json.TallyJson;
import io.tally.server.http.RequestBody;
import io.tally.server.security.Credentials;
import io.tally.server.security.GatewaySecurity;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP routes, on Vert.x Web. docs/api.md documents each.
 *
 * <ul>
 *   <li>{@code POST /v1/events}: JSON array, one object, or NDJSON → 202 once durable;
 *   <li>{@code GET /v1/stats}, {@code GET /v1/total}, {@code POST /v1/stats/batch}, {@code GET
 *       /v1/top}: queries;
 *   <li>{@code PUT}, {@code GET}, {@code DELETE /v1/entities/{entity}/attributes}: an entity's
 *       attributes (enrichment; {@link AttributeService});
 *   <li>{@code GET /v1/overview}: ingest rate, lag and freshness ({@link Overview});
 *   <li>{@code GET /}: the live dashboard ({@link Dashboard});
 *   <li>{@code GET /metrics}, {@code /healthz}, {@code /readyz}, {@code /openapi.yaml}, {@code
 *       /docs}: operations ({@link OpsRoutes});
 *   <li>{@code GET /tally.js} and the CORS policy of every route: {@link BrowserAccess}.
 * </ul>
 *
 * Every error answer is {@code {"error": "..."}} with a 4xx or 5xx status, and is logged as one
 * line per request (never per event). Handlers run on Vert.x event loops; the log's completion hops
 * back to the request's context before answering.
 */
final class HttpApi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final String JSON = "application/json";
  private static final Set<String> STATS_PARAMS =
      Set.of("entity", "type", "fn", "from", "to", "granularity", "fill");
  private static final Set<String> BATCH_ITEM_FIELDS =
      Set.of("entity", "type", "fn", "from", "to", "granularity", "fill");

  /** Most (entity, type) reads in one {@code POST /v1/stats/batch}. */
  static final int MAX_BATCH_ITEMS = 100;

  private static final Set<String> TOTAL_PARAMS = Set.of("entity", "type");
  private static final String ATTRIBUTES_PATH = "/v1/entities/:entity/attributes";

  /** 32 attributes of at most 64 + 128 characters fit with room for JSON escapes. */
  private static final int MAX_ATTRIBUTES_BODY_BYTES = 64 * 1024;

  private static final long ATTRIBUTES_WAIT_SECONDS = 30;

  /** 100 items of a few hundred bytes each fit with room to spare. */
  private static final long BATCH_BODY_LIMIT = 256 * 1024;

  private static final Set<String> TOP_PARAMS = Set.of("type", "window", "k");

  private final Vertx vertx;
  private final List<HttpServer> servers = new ArrayList<>();
  private final HttpServerOptions options;
  private final Router router;
  private final Ingestor ingestor;
  private final QueryService queries;
  private final TopKService topK;
  private final OpsRoutes ops;
  private final AttributeService attributes;
  private final GatewaySecurity security;
  private final boolean deriving;
  private volatile boolean draining;

  private HttpApi(
      ServerConfig config,
      Ingestor ingestor,
      QueryService queries,
      AttributeService attributes,
      TopKService topK,
      OpsRoutes ops,
      Overview overview,
      GatewaySecurity security) {
    this.ingestor = ingestor;
    this.queries = queries;
    this.attributes = attributes;
    this.topK = topK;
    this.ops = ops;
    this.vertx = Vertx.vertx();
    router = Router.router(vertx);
    this.security = security;
    this.deriving = !config.derive().isEmpty();
    router
        .route()
        .handler(
            ctx -> { // while stopping, no connection is kept for another request
              if (draining) {
                ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
              }
              ctx.next();
            });
    ops.mountMetricsHandler(router); // first, so refused requests are measured too
    BrowserAccess.mount(
        router, config.browser(), security::authOn); // CORS preflights are answered before the gate
    security.mount(router, vertx); // keys, scopes, rate limits, request deadlines
    if (ingestor != null) {
      router
          .post("/v1/events")
          .handler(RequestBody.limitedTo(config.maxBodyBytes(), "split the batch"))
          .handler(this::ingest);
    } else {
      router
          .post("/v1/events")
          .handler(ctx -> error(ctx, 404, "this node runs without the ingest role"));
    }
    if (queries != null) {
      router.get("/v1/stats").handler(this::stats);
      router.get("/v1/total").handler(this::total);
      router
          .post("/v1/stats/batch")
          .handler(RequestBody.limitedTo(BATCH_BODY_LIMIT, "split the queries"))
          .handler(this::batch);
    } else {
      router
          .get("/v1/stats")
          .handler(ctx -> error(ctx, 404, "this node runs without the query role"));
      router
          .post("/v1/stats/batch")
          .handler(ctx -> error(ctx, 404, "this node runs without the query role"));
      router
          .get("/v1/total")
          .handler(ctx -> error(ctx, 404, "this node runs without the query role"));
    }
    if (attributes != null) {
      router
          .put(ATTRIBUTES_PATH)
          .handler(RequestBody.limitedTo(MAX_ATTRIBUTES_BODY_BYTES))
          .handler(this::putAttributes);
      router.get(ATTRIBUTES_PATH).handler(this::getAttributes);
      router.delete(ATTRIBUTES_PATH).handler(this::deleteAttributes);
    } else {
      router
          .route(ATTRIBUTES_PATH)
          .handler(ctx -> error(ctx, 404, "this node runs without the ingest or query role"));
    }
    if (topK != null) {
      router.get("/v1/top").handler(this::top);
    } else {
      router
          .get("/v1/top")
          .handler(ctx -> error(ctx, 404, "this node runs without the query role"));
    }
    ops.mount(router, queries);
    router
        .get("/v1/overview")
        .handler(
            ctx -> {
              if (!unknownParams(ctx, Set.of())) {
                query(ctx, overview::json);
              }
            });
    vertx.setPeriodic(EventRate.SAMPLE_MILLIS, id -> overview.sampleRate());
    Dashboard.mount(router);
    router.route().failureHandler(this::failure);
    router.errorHandler(404, ctx -> error(ctx, 404, "no route " + ctx.request().path()));
    router.errorHandler(
        405,
        ctx ->
            error(
                ctx,
                405,
                "method " + ctx.request().method() + " not allowed on " + ctx.request().path()));
    options =
        security.configure(
            new HttpServerOptions()
                .setHost(config.host())
                .setPort(config.port())
                .setCompressionSupported(true)
                .setDecompressionSupported(false) // RequestBody decodes, and answers bad codings
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(16384));
  }

  /**
   * One server per event loop on the same address: Vert.x shares the socket and spreads connections
   * over them, so parsing uses every core. Each server is started from its own verticle instance:
   * servers created from one non-Vert.x thread would all land on that thread's one sticky context,
   * i.e. a single event loop (measured: one busy event-loop thread at ~11k single-event
   * requests/s). Port 0 is resolved to a free port first, since Vert.x would give each instance its
   * own.
   */
  private void listen(int instances) throws Exception {
    int port = options.getPort();
    if (port == 0) {
      try (java.net.ServerSocket probe =
          new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(options.getHost()))) {
        port = probe.getLocalPort();
      }
    }
    HttpServerOptions bound = new HttpServerOptions(options).setPort(port);
    vertx
        .deployVerticle(
            () ->
                new VerticleBase() {
                  @Override
                  public Future<?> start() {
                    HttpServer server =
                        vertx
                            .createHttpServer(bound)
                            .requestHandler(router)
                            .invalidRequestHandler(HttpApi.this::invalidRequest)
                            .connectionHandler(security::onConnection);
                    synchronized (servers) {
                      servers.add(server);
                    }
                    return server.listen();
                  }
                },
            new DeploymentOptions().setInstances(instances))
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  /**
   * Starts serving; a null argument answers 404 on its routes (a node without that role).
   *
   * @param ingestor null without the ingest role
   * @param queries null without the query role
   * @param attributes null on a node that serves no attribute routes
   * @param topK null without the query role
   * @param ops metrics, health and readiness; closed with the API
   * @param overview what {@code GET /v1/overview} answers
   * @param security the gateway's security, owned (closed) by the API from now on
   */
  static HttpApi start(
      ServerConfig config,
      Ingestor ingestor,
      QueryService queries,
      AttributeService attributes,
      TopKService topK,
      OpsRoutes ops,
      Overview overview,
      GatewaySecurity security) {
    HttpApi api = new HttpApi(config, ingestor, queries, attributes, topK, ops, overview, security);
    try {
      api.listen(Math.max(1, Runtime.getRuntime().availableProcessors()));
    } catch (Exception e) {
      api.vertx.close();
      ops.close();
      security.close();
      throw new TallyException(
          "cannot listen on "
              + config.host()
              + ":"
              + config.port()
              + ": "
              + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()),
          e);
    }
    return api;
  }

  /** The routes served, for tests that compare them with the OpenAPI description. */
  List<io.vertx.ext.web.Route> routes() {
    return router.getRoutes();
  }

  /** {@code https} with TLS, else {@code http}. */
  String scheme() {
    return security.scheme();
  }

  int port() {
    synchronized (servers) {
      return servers.get(0).actualPort();
    }
  }

  /**
   * A request the HTTP codec could not read (its line or headers over the limits, or not HTTP):
   * 414, 431 or 400 with a JSON error like every other answer, then the connection is closed.
   */
  private void invalidRequest(HttpServerRequest req) {
    Throwable cause = req.decoderResult().cause();
    int status;
    String message;
    if (cause instanceof io.netty.handler.codec.http.TooLongHttpLineException) {
      status = 414;
      message =
          "request line longer than the limit of " + options.getMaxInitialLineLength() + " bytes";
    } else if (cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException) {
      status = 431;
      message = "request headers larger than the limit of " + options.getMaxHeaderSize() + " bytes";
    } else {
      status = 400;
      message = "malformed HTTP request";
    }
    LOG.info("invalid request from {} -> {} {}", req.remoteAddress(), status, message);
    req.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
        .putHeader(HttpHeaders.CONNECTION, "close")
        .end(Buffer.buffer(TallyJson.error(message)))
        .onComplete(done -> req.connection().close());
  }

  private void ingest(RoutingContext ctx) {
    try {
      ingestor.checkAdmission();
    } catch (OverloadedException e) {
      ops.ingestMeters().refused(IngestMeters.RequestReason.OVERLOADED);
      overloaded(ctx, e);
      return;
    }
    byte[] bytes = RequestBody.bytes(ctx);
    if (bytes.length == 0) {
      ops.ingestMeters().refused(IngestMeters.RequestReason.EMPTY_BODY);
      error(ctx, 400, "body is empty: send a JSON array of events, one event object, or NDJSON");
      return;
    }
    Ingestor.Request request = ingestor.newRequest();
    String contentType = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    try {
      if (isNdjson(contentType)) {
        EventJsonReader.readNdjson(bytes, 0, bytes.length, request.receivedAtMillis(), request);
      } else {
        EventJsonReader.readJson(bytes, 0, bytes.length, request.receivedAtMillis(), request);
      }
    } catch (MalformedBodyException e) {
      ops.ingestMeters().refused(IngestMeters.RequestReason.MALFORMED_BODY);
      error(ctx, 400, e.getMessage());
      return;
    } catch (TooManyEventsException e) {
      ops.ingestMeters().refused(IngestMeters.RequestReason.TOO_MANY_EVENTS);
      error(ctx, 413, e.getMessage());
      return;
    }
    CompletableFuture<IngestResult> appended;
    try {
      appended = ingestor.submit(request);
    } catch (OverloadedException e) {
      ops.ingestMeters().refused(IngestMeters.RequestReason.OVERLOADED);
      overloaded(ctx, e);
      return;
    }
    Context context = vertx.getOrCreateContext();
    appended.whenComplete(
        (result, failure) ->
            context.runOnContext(
                v -> {
                  if (failure != null) {
                    LOG.warn("append failed: {}", failure.getMessage());
                    ops.ingestMeters().refused(IngestMeters.RequestReason.NOT_DURABLE);
                    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
                    error(
                        ctx, 503, "the events could not be made durable; retry with the same ids");
                  } else {
                    ops.ingestMeters().answered(result);
                    int status = result.accepted() == 0 && !result.rejected().isEmpty() ? 400 : 202;
                    if (status != 202) {
                      logFailure(
                          ctx,
                          status,
                          "all "
                              + result.rejected().size()
                              + " events rejected, first: "
                              + result.rejected().get(0).reason());
                    }
                    send(ctx, status, TallyJson.ingestResult(result));
                  }
                }));
  }

  private static boolean isNdjson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String ct = contentType.toLowerCase(java.util.Locale.ROOT);
    return ct.startsWith("application/x-ndjson")
        || ct.startsWith("application/ndjson")
        || ct.startsWith("application/jsonl");
  }

  private void stats(RoutingContext ctx) {
    if (unknownParams(ctx, STATS_PARAMS)) {
      return;
    }
    HttpServerRequest r = ctx.request();
    query(
        ctx,
        () ->
            TallyJson.stats(
                queries.stats(
                    r.getParam("entity"),
                    r.getParam("type"),
                    r.getParam("fn"),
                    r.getParam("from"),
                    r.getParam("to"),
                    r.getParam("granularity"),
                    r.getParam("fill"))));
  }

  private void total(RoutingContext ctx) {
    if (unknownParams(ctx, TOTAL_PARAMS)) {
      return;
    }
    query(
        ctx,
        () ->
            TallyJson.total(
                queries.total(ctx.request().getParam("entity"), ctx.request().getParam("type"))));
  }

  private void top(RoutingContext ctx) {
    if (unknownParams(ctx, TOP_PARAMS)) {
      return;
    }
    HttpServerRequest r = ctx.request();
    query(
        ctx,
        () -> TallyJson.topK(topK.top(r.getParam("type"), r.getParam("window"), r.getParam("k"))));
  }

  private interface Answer {
    byte[] get();
  }

  /** Runs a query on a worker thread (store reads block) and answers on the event loop. */
  private void query(RoutingContext ctx, Answer answer) {
    vertx
        .executeBlocking(answer::get, false)
        .onComplete(
            result -> {
              if (result.succeeded()) {
                send(ctx, 200, result.result());
              } else if (result.cause() instanceof BadQueryException e) {
                error(ctx, 400, e.getMessage());
              } else if (result.cause() instanceof TallyException e) {
                LOG.warn("query failed: {}", e.getMessage());
                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
                error(ctx, 503, "the counter store is unavailable: " + e.getMessage());
              } else {
                ctx.fail(result.cause());
              }
            });
  }

  /**
   * {@code POST /v1/stats/batch}: {@code {"queries":[{"entity":…,"type":…}, …]}} with up to {@value
   * #MAX_BATCH_ITEMS} items, each answered like {@code /v1/total} or, when it names a {@code
   * granularity}, like {@code /v1/stats} (same fields as that route's parameters). A bad item gets
   * {@code {"error":…}} in its place; only a malformed body fails the whole request.
   */
  private void batch(RoutingContext ctx) {
    List<JsonObject> items = new ArrayList<>();
    try {
      byte[] body = RequestBody.bytes(ctx);
      Object decoded =
          body.length == 0 ? null : io.vertx.core.json.Json.decodeValue(Buffer.buffer(body));
      Object list = decoded instanceof JsonObject request ? request.getValue("queries") : null;
      if (!(list instanceof io.vertx.core.json.JsonArray array)) {
        error(ctx, 400, "body must be a JSON object {\"queries\":[{\"entity\":…,\"type\":…},…]}");
        return;
      }
      for (String field : ((JsonObject) decoded).fieldNames()) {
        if (!field.equals("queries")) {
          error(ctx, 400, "unknown field '" + field + "'; allowed: queries");
          return;
        }
      }
      if (array.isEmpty() || array.size() > MAX_BATCH_ITEMS) {
        error(
            ctx, 400, "queries must hold 1 to " + MAX_BATCH_ITEMS + " items, got " + array.size());
        return;
      }
      for (int i = 0; i < array.size(); i++) {
        if (!(array.getValue(i) instanceof JsonObject item)) {
          error(ctx, 400, "queries[" + i + "] must be an object");
          return;
        }
        items.add(item);
      }
    } catch (io.vertx.core.json.DecodeException e) {
      error(ctx, 400, "body is not valid JSON" + where(e));
      return;
    }
    query(
        ctx,
        () -> {
          List<Object> results = new ArrayList<>(items.size());
          for (JsonObject item : items) {
            results.add(batchItem(item));
          }
          return TallyJson.batch(results);
        });
  }

  /**
   * One batch item's answer, or its error message (a store failure fails the whole batch with 503).
   */
  private Object batchItem(JsonObject item) {
    for (String field : item.fieldNames()) {
      if (!BATCH_ITEM_FIELDS.contains(field)) {
        return "unknown field '"
            + field
            + "'; allowed: "
            + String.join(", ", new java.util.TreeSet<>(BATCH_ITEM_FIELDS));
      }
      Object v = item.getValue(field);
      if (!(v instanceof String) && !(v instanceof Number)) {
        return field + " must be a string or a number";
      }
    }
    try {
      String granularity = text(item, "granularity");
      if (granularity == null || granularity.equalsIgnoreCase("total")) {
        return queries.total(text(item, "entity"), text(item, "type"));
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

  /**
   * Where a JSON syntax error is, in words ({@code " at line 1, column 7"}), without parser jargon.
   */
  private static String where(io.vertx.core.json.DecodeException e) {
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

  private void putAttributes(RoutingContext ctx) {
    if (!deriving) {
      error(
          ctx,
          409,
          "attributes would have no effect: this server runs without --derive, so no attribute"
              + " derives an entity; start it with --derive <attribute>");
      return;
    }
    String entity = ctx.pathParam("entity");
    Map<String, String> given;
    try {
      given = AttributesJson.read(RequestBody.bytes(ctx));
    } catch (MalformedBodyException e) {
      error(ctx, 400, e.getMessage());
      return;
    }
    blocking(
        ctx,
        () -> {
          attributes.put(entity, given).get(ATTRIBUTES_WAIT_SECONDS, TimeUnit.SECONDS);
          return AttributesJson.write(given);
        });
  }

  private void getAttributes(RoutingContext ctx) {
    String entity = ctx.pathParam("entity");
    blocking(
        ctx,
        () -> {
          Map<String, String> found = attributes.get(entity);
          if (found.isEmpty()) {
            throw new NoAttributesException(entity + " has no attributes");
          }
          return AttributesJson.write(found);
        });
  }

  private void deleteAttributes(RoutingContext ctx) {
    String entity = ctx.pathParam("entity");
    blocking(
        ctx,
        () -> {
          attributes.delete(entity).get(ATTRIBUTES_WAIT_SECONDS, TimeUnit.SECONDS);
          return null;
        });
  }

  /** Thrown on a worker thread for a 404 answer. */
  private static final class NoAttributesException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NoAttributesException(String message) {
      super(message, null, false, false);
    }
  }

  private interface BlockingAnswer {
    /** The 200 body, or null for 204. */
    byte[] get() throws Exception;
  }

  /** Runs an attribute request on a worker thread (store reads and writes block). */
  private void blocking(RoutingContext ctx, BlockingAnswer answer) {
    vertx
        .executeBlocking(answer::get, false)
        .onComplete(
            result -> {
              Throwable cause =
                  result.cause() instanceof ExecutionException e && e.getCause() != null
                      ? e.getCause()
                      : result.cause();
              if (result.succeeded() && result.result() == null) {
                ctx.response().setStatusCode(204).end();
              } else if (result.succeeded()) {
                send(ctx, 200, result.result());
              } else if (cause instanceof BadAttributesException e) {
                error(ctx, 400, e.getMessage());
              } else if (cause instanceof NoAttributesException e) {
                error(ctx, 404, e.getMessage());
              } else if (cause instanceof TallyException || cause instanceof TimeoutException) {
                LOG.warn("attribute request failed: {}", cause.toString());
                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
                error(ctx, 503, "the attributes are unavailable: " + cause.getMessage());
              } else {
                ctx.fail(cause);
              }
            });
  }

  /**
   * Answers 400 and returns true if the query string holds a parameter not in {@code allowed}, or
   * one given more than once (which value counts would be a guess).
   */
  private boolean unknownParams(RoutingContext ctx, Set<String> allowed) {
    io.vertx.core.MultiMap params = ctx.request().params();
    for (String name : params.names()) {
      if (!allowed.contains(name)) {
        error(
            ctx,
            400,
            "unknown parameter '"
                + name
                + "'; "
                + (allowed.isEmpty()
                    ? ctx.request().path() + " takes no parameters"
                    : "allowed: " + String.join(", ", new java.util.TreeSet<>(allowed))));
        return true;
      }
      int times = params.getAll(name).size();
      if (times > 1) {
        error(ctx, 400, "parameter '" + name + "' is given " + times + " times; give it once");
        return true;
      }
    }
    return false;
  }

  private void overloaded(RoutingContext ctx, OverloadedException e) {
    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Integer.toString(e.retryAfterSeconds()));
    error(ctx, 503, e.getMessage() + "; retry later with the same ids");
  }

  private void failure(RoutingContext ctx) {
    int status = ctx.statusCode();
    Throwable t = ctx.failure();
    if (t instanceof RequestBody.Refused refused) {
      if (ctx.request().path().equals(HttpMetrics.INGEST_PATH)) {
        ops.ingestMeters().refused(IngestMeters.RequestReason.ofStatus(refused.status()));
      }
      error(ctx, refused.status(), refused.getMessage());
    } else if (t instanceof io.vertx.core.http.HttpClosedException) {
      LOG.info(
          "{} {}: the connection closed before the request was read",
          ctx.request().method(),
          ctx.request().path());
    } else if (status >= 400 && status < 500) {
      error(ctx, status, t != null && t.getMessage() != null ? t.getMessage() : "bad request");
    } else {
      LOG.error(
          "{} {} failed: {}",
          ctx.request().method(),
          ctx.request().path(),
          Credentials.redact(String.valueOf(t)));
      error(ctx, 500, "internal error");
    }
  }

  /** Answers {@code {"error": message}} and logs it, both with credentials redacted. */
  /** How long a graceful stop waits for a just-connected client's first request. */
  private static final long FIRST_REQUEST_GRACE_MILLIS = 2_000;

  /**
   * Closes the one listening socket the servers share, leaving their connections open. Vert.x has
   * no public call for this: its graceful {@code shutdown} closes the listener only once every
   * server instance has been shut down, and each instance closes its idle connections at once —
   * including one accepted a moment ago whose request is still on the way, which the client sees as
   * a reset. So the socket is reached through Vert.x's internals (HttpServerImpl.tcpServer →
   * NetServerImpl.actualServer → bindFuture); if they change, this logs a warning and the stop
   * falls back to plain {@code shutdown}, which only widens that window again.
   */
  private static void stopListening(List<HttpServer> started) {
    if (started.isEmpty()) {
      return;
    }
    try {
      Object tcp = field(started.get(0), "tcpServer");
      Object actual = field(tcp, "actualServer");
      Future<?> bound = (Future<?>) field(actual, "bindFuture");
      if (bound != null && bound.result() instanceof io.netty.channel.Channel listener) {
        listener.close().await(5, TimeUnit.SECONDS);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("could not close the listening socket ahead of the connections: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Object field(Object owner, String name) throws ReflectiveOperationException {
    for (Class<?> c = owner.getClass(); c != null; c = c.getSuperclass()) {
      try {
        java.lang.reflect.Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(owner);
      } catch (NoSuchFieldException e) {
        // look in the superclass
      }
    }
    throw new NoSuchFieldException(owner.getClass().getName() + "." + name);
  }

  private static void error(RoutingContext ctx, int status, String message) {
    String said = Credentials.redact(message);
    logFailure(ctx, status, said);
    send(ctx, status, TallyJson.error(said));
  }

  private static void logFailure(RoutingContext ctx, int status, String message) {
    LOG.info(
        "{} {} -> {} {}",
        ctx.request().method(),
        ctx.request().path(),
        status,
        Credentials.redact(message));
  }

  private static void send(RoutingContext ctx, int status, byte[] body) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
        .end(Buffer.buffer(body));
  }

  /**
   * Stops gracefully: every request on a connection the server accepted is answered, and a client
   * connecting afterwards finds no listener (connection refused), never a reset.
   *
   * <ol>
   *   <li>answers from now on say {@code Connection: close};
   *   <li>the listening socket is closed, connections stay open ({@link #stopListening});
   *   <li>connections that are open but have not delivered their first request yet (a client that
   *       just connected) get up to {@value #FIRST_REQUEST_GRACE_MILLIS} ms to deliver it;
   *   <li>Vert.x's graceful shutdown then waits (up to 10 s) for every request in progress to be
   *       answered, and closes each connection once its answer is sent.
   * </ol>
   */
  @Override
  public void close() {
    draining = true;
    List<CompletableFuture<Void>> stopping = new ArrayList<>();
    List<HttpServer> started;
    synchronized (servers) {
      started = List.copyOf(servers);
    }
    stopListening(started);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FIRST_REQUEST_GRACE_MILLIS);
    while (security.connectionsAwaitingARequest() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (HttpServer server : started) {
      stopping.add(server.shutdown(10, TimeUnit.SECONDS).toCompletionStage().toCompletableFuture());
    }
    try {
      CompletableFuture.allOf(stopping.toArray(CompletableFuture[]::new)).get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("HTTP shutdown did not complete cleanly: {}", e.toString());
    }
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("closing Vert.x did not complete cleanly: {}", e.toString());
    }
    ops.close();
    security.close();
  }
}
