package io.tally.server;

import io.tally.model.TallyException;
import io.tally.server.security.GatewaySecurity;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server, on Vert.x Web: the router with its handlers in order — request metrics, CORS
 * ({@link BrowserAccess}), the security gate, then each capability's {@link Routes} ({@link
 * IngestRoutes}, {@link QueryRoutes}, {@link AttributeRoutes}, or their {@code absent()} routes on
 * a node without the role), {@code GET /v1/overview}, the operations routes ({@link OpsRoutes}) and
 * the dashboard ({@link Dashboard}) — and the servers that share its port, until {@link #close()}
 * stops them gracefully ({@link GracefulStop}). docs/api.md documents each route; every error goes
 * through {@link ErrorAnswers}. Thread-safe.
 */
final class HttpApi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);

  private final Vertx vertx;
  private final List<HttpServer> servers = new ArrayList<>();
  private final HttpServerOptions options;
  private final Router router;
  private final OpsRoutes ops;
  private final GatewaySecurity security;
  private final GracefulStop stop;

  private HttpApi(
      ServerConfig config,
      List<Routes> capabilities,
      OpsRoutes ops,
      Overview overview,
      GatewaySecurity security) {
    this.ops = ops;
    this.security = security;
    this.vertx = Vertx.vertx();
    this.stop = new GracefulStop(security::connectionsAwaitingARequest);
    router = Router.router(vertx);
    router.route().handler(stop::markAnswer); // while stopping: Connection: close
    ops.mountMetricsHandler(router); // first, so refused requests are measured too
    BrowserAccess.mount(
        router, config.browser(), security::authOn); // CORS preflights are answered before the gate
    security.mount(router, vertx); // keys, scopes, rate limits, request deadlines
    for (Routes routes : capabilities) {
      routes.mount(router);
    }
    ops.mount(router);
    router
        .get("/v1/overview")
        .handler(
            ctx -> {
              if (QueryParams.valid(ctx, java.util.Set.of())) {
                ErrorAnswers.fromWorker(ctx, overview::json, QueryRoutes.UNAVAILABLE);
              }
            });
    vertx.setPeriodic(EventRate.SAMPLE_MILLIS, id -> overview.sampleRate());
    Dashboard.mount(router);
    router.route().failureHandler(ctx -> ErrorAnswers.failure(ctx, ops.ingestMeters()));
    router.errorHandler(
        404, ctx -> ErrorAnswers.error(ctx, 404, "no route " + ctx.request().path()));
    router.errorHandler(
        405,
        ctx ->
            ErrorAnswers.error(
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
                            .invalidRequestHandler(req -> ErrorAnswers.invalidRequest(req, bound))
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
   * Starts serving.
   *
   * @param capabilities the routes of each role: a capability, or its {@code absent()} routes
   * @param ops metrics, health and readiness; closed with the API
   * @param overview what {@code GET /v1/overview} answers
   * @param security the gateway's security, owned (closed) by the API from now on
   */
  static HttpApi start(
      ServerConfig config,
      List<Routes> capabilities,
      OpsRoutes ops,
      Overview overview,
      GatewaySecurity security) {
    HttpApi api = new HttpApi(config, capabilities, ops, overview, security);
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

  /** Stops gracefully ({@link GracefulStop}), then closes Vert.x, the ops routes and security. */
  @Override
  public void close() {
    List<HttpServer> started;
    synchronized (servers) {
      started = List.copyOf(servers);
    }
    stop.stop(started);
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("closing Vert.x did not complete cleanly: {}", e.toString());
    }
    ops.close();
    security.close();
  }
}
