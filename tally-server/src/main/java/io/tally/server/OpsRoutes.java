package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.core.query.QueryService;
import io.tally.model.TallyException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The operations routes: {@code GET /metrics} (Prometheus), {@code GET /healthz} (alive), {@code
 * GET /readyz} (ready for traffic), {@code GET /openapi.yaml} (the OpenAPI 3 description of every
 * route) and {@code GET /docs} (Swagger UI from its WebJar, reading {@code /openapi.yaml}).
 * docs/operations.md explains them. Thread-safe; handlers run on event loops, the scrape on a
 * worker.
 */
final class OpsRoutes implements AutoCloseable {
  static final String OPENAPI_RESOURCE = "io/tally/server/openapi.yaml";
  private static final String SWAGGER_INITIALIZER = "io/tally/server/swagger-initializer.js";
  private static final String SWAGGER_UI_PROPERTIES =
      "META-INF/maven/org.webjars/swagger-ui/pom.properties";
  private static final String JSON = "application/json";

  private final TallyMetrics metrics;
  private final Health health;
  private final Readiness readiness;
  private final Buffer openApi = Buffer.buffer(resource(OPENAPI_RESOURCE));
  private final Buffer swaggerInitializer = Buffer.buffer(resource(SWAGGER_INITIALIZER));
  private final String swaggerUiRoot =
      "META-INF/resources/webjars/swagger-ui/" + swaggerUiVersion();

  private final QueryService queries; // whose cache /healthz reports; null on a node without it

  OpsRoutes(TallyMetrics metrics, Health health, Readiness readiness) {
    this(metrics, health, readiness, null);
  }

  private OpsRoutes(
      TallyMetrics metrics, Health health, Readiness readiness, QueryService queries) {
    this.metrics = requireNonNull(metrics, "metrics");
    this.health = requireNonNull(health, "health");
    this.readiness = requireNonNull(readiness, "readiness");
    this.queries = queries;
  }

  /** These routes with {@code /healthz} also reporting the query cache of {@code queries}. */
  OpsRoutes withQueryCache(QueryService queries) {
    return new OpsRoutes(metrics, health, readiness, requireNonNull(queries, "queries"));
  }

  TallyMetrics metrics() {
    return metrics;
  }

  IngestMeters ingestMeters() {
    return metrics.ingest();
  }

  /** Mounts the request metrics in front of every route; call before adding routes. */
  void mountMetricsHandler(Router router) {
    metrics.http().mount(router);
  }

  /** Mounts the operations routes. */
  void mount(Router router) {
    router.get("/metrics").handler(this::scrape);
    router.get("/healthz").handler(this::healthz);
    router.get("/readyz").handler(this::readyz);
    router
        .get("/openapi.yaml")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/yaml")
                    .end(openApi));
    router
        .get("/docs")
        .handler(
            ctx -> { // Vert.x also routes "/docs/" here: that one is the page
              if (ctx.request().path().endsWith("/")) {
                ctx.next();
              } else {
                ctx.redirect("/docs/");
              }
            });
    router
        .get("/docs/swagger-initializer.js")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/javascript; charset=utf-8")
                    .end(swaggerInitializer));
    router.get("/docs/*").handler(StaticHandler.create(swaggerUiRoot));
  }

  private void scrape(RoutingContext ctx) {
    ctx.vertx()
        .executeBlocking(metrics::scrape, false)
        .onComplete(
            result -> {
              if (result.succeeded()) {
                ctx.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                    .end(result.result());
              } else {
                ctx.fail(result.cause());
              }
            });
  }

  /** A component's state on /healthz: ok, retrying (within the grace period), failing, stopped. */
  private static String state(Health.Check c) {
    if (c.state().ok()) {
      return "ok";
    }
    if (c.state().stoppedForGood()) {
      return "stopped";
    }
    return c.healthy() ? "retrying" : "failing";
  }

  private void healthz(RoutingContext ctx) {
    Health.Report h = health.report();
    JsonObject checks = new JsonObject();
    for (Health.Check c : h.checks()) {
      checks.put(
          c.name(),
          new JsonObject()
              .put("state", state(c))
              .put("reason", c.state().reason())
              .put("consecutiveFailures", c.state().consecutiveFailures())
              .put("backlog", c.backlog()));
    }
    checks.put("recovery", h.recovered() ? "done" : "running").put("backlogEvents", h.backlog());
    JsonObject answer =
        new JsonObject().put("status", h.healthy() ? "ok" : "unhealthy").put("checks", checks);
    if (!h.notices().isEmpty()) {
      answer.put("notices", new io.vertx.core.json.JsonArray(h.notices()));
    }
    if (!h.warnings().isEmpty()) {
      answer.put("warnings", new io.vertx.core.json.JsonArray(h.warnings()));
    }
    if (queries != null) {
      QueryService.CacheCounters cache = queries.cacheStats();
      answer.put(
          "queryCache",
          new JsonObject()
              .put("hits", cache.hits())
              .put("misses", cache.misses())
              .put("evictions", cache.evictions())
              .put("entries", cache.entries()));
    }
    ctx.response()
        .setStatusCode(h.healthy() ? 200 : 503)
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
        .end(answer.encode());
  }

  private void readyz(RoutingContext ctx) {
    Readiness.Report r = readiness.report();
    JsonObject checks = new JsonObject();
    for (Readiness.Check c : r.checks()) {
      JsonObject check = new JsonObject().put("state", c.ok() ? "ok" : "failing");
      if (c.detail() != null) {
        check.put("detail", c.detail());
      }
      checks.put(c.name(), check);
    }
    JsonObject answer =
        new JsonObject().put("status", r.ready() ? "ready" : "not ready").put("checks", checks);
    ctx.response()
        .setStatusCode(r.ready() ? 200 : 503)
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
        .end(answer.encode());
  }

  private static byte[] resource(String name) {
    try (InputStream in = OpsRoutes.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new TallyException("resource " + name + " is missing from the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The swagger-ui WebJar's version, which names its resource directory. */
  private static String swaggerUiVersion() {
    Properties p = new Properties();
    try (InputStream in = new ByteArrayInputStream(resource(SWAGGER_UI_PROPERTIES))) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version");
  }

  @Override
  public void close() {
    metrics.close();
  }
}
