package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.core.query.BadQueryException;
import io.tally.core.raw.RawQueryException;
import io.tally.core.raw.RawSql;
import io.tally.server.http.RequestBody;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.Semaphore;

/**
 * {@code POST /v1/query {"sql": "…"}}: read-only SQL over the raw store's {@code events} view
 * (docs/api.md, "Ad-hoc questions in SQL"). The answer states {@code asOf}: every counted event
 * logged before it was visible. A refused statement, or one that runs into the time or memory
 * limit, is a 400 saying why; more than {@value #MAX_CONCURRENT} queries at once a 503, so the
 * memory SQL may take stays bounded. Thread-safe.
 */
final class SqlRoutes implements Routes {
  static final String PATH = "/v1/query";

  /** Most SQL queries running at once; each may use the configured query memory. */
  static final int MAX_CONCURRENT = 2;

  private static final int MAX_BODY_BYTES = 64 * 1024;
  private static final String UNAVAILABLE = "the raw store is unavailable";

  private final RawSql sql;
  private final Semaphore running = new Semaphore(MAX_CONCURRENT);

  SqlRoutes(RawSql sql) {
    this.sql = requireNonNull(sql, "sql");
  }

  /** A server without a raw store: 404 saying why. */
  static Routes absent(String why) {
    return router -> router.post(PATH).handler(ctx -> ErrorAnswers.error(ctx, 404, why));
  }

  @Override
  public void mount(Router router) {
    router
        .post(PATH)
        .handler(RequestBody.limitedTo(MAX_BODY_BYTES, "shorten the query"))
        .handler(this::query);
  }

  private void query(RoutingContext ctx) {
    String statement = statement(ctx);
    if (statement == null) {
      return;
    }
    if (!running.tryAcquire()) {
      ctx.response().putHeader("Retry-After", "1");
      ErrorAnswers.error(
          ctx, 503, "more than " + MAX_CONCURRENT + " SQL queries at once; try again shortly");
      return;
    }
    ErrorAnswers.fromWorker(
        ctx,
        () -> {
          try {
            return answer(sql.query(statement));
          } catch (RawQueryException e) {
            if (e.reason() == RawQueryException.Reason.UNAVAILABLE) {
              throw e;
            }
            throw new BadQueryException(e.getMessage());
          } finally {
            running.release();
          }
        },
        UNAVAILABLE);
  }

  /** The body's {@code sql}, or null after answering 400. */
  private static String statement(RoutingContext ctx) {
    Object decoded;
    try {
      byte[] body = RequestBody.bytes(ctx);
      decoded = body.length == 0 ? null : Json.decodeValue(Buffer.buffer(body));
    } catch (DecodeException e) {
      ErrorAnswers.error(ctx, 400, "body is not valid JSON: " + e.getMessage());
      return null;
    }
    if (!(decoded instanceof JsonObject o)
        || !(o.getValue("sql") instanceof String s)
        || s.isBlank()) {
      ErrorAnswers.error(ctx, 400, "body must be a JSON object {\"sql\": \"SELECT …\"}");
      return null;
    }
    for (String field : o.fieldNames()) {
      if (!field.equals("sql")) {
        ErrorAnswers.error(ctx, 400, "unknown field '" + field + "'; allowed: sql");
        return null;
      }
    }
    return s;
  }

  private static byte[] answer(RawSql.Answer a) {
    JsonArray rows = new JsonArray();
    for (var row : a.rows()) {
      rows.add(new JsonArray(row));
    }
    JsonObject o =
        new JsonObject()
            .put(
                "asOf",
                a.asOfMillis() == Long.MIN_VALUE
                    ? null
                    : Instant.ofEpochMilli(a.asOfMillis()).toString())
            .put("columns", new JsonArray(a.columns()))
            .put("types", new JsonArray(a.types()))
            .put("rows", rows)
            .put("truncated", a.truncated());
    return o.encode().getBytes(StandardCharsets.UTF_8);
  }
}
