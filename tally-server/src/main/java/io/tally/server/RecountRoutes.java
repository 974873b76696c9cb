package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.core.query.BadQueryException;
import io.tally.core.recount.Auditor;
import io.tally.core.recount.Recount;
import io.tally.core.recount.RecountRange;
import io.tally.core.recount.RecountReport;
import io.tally.model.Granularity;
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
import java.time.format.DateTimeParseException;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;

/**
 * {@code POST /v1/admin/recount} and {@code POST /v1/admin/audit} (admin scope, docs/api.md): the
 * body {@code {"from": …, "to": …, "entityPrefix": "…", "types": ["…"]}} names a range of whole
 * hours; the answer is the {@link RecountReport}. A recount swaps the rebuilt rows in; an audit
 * only compares (and becomes the auditor's latest finding). One runs at a time; a second gets a
 * 503. Thread-safe.
 */
final class RecountRoutes implements Routes {
  static final String RECOUNT = "/v1/admin/recount";
  static final String AUDIT = "/v1/admin/audit";

  private static final int MAX_BODY_BYTES = 64 * 1024;
  private static final Set<String> FIELDS = Set.of("from", "to", "entityPrefix", "types");

  private final Recount recount;
  private final Auditor auditor;
  private final Callable<AutoCloseable> exclusive;
  private final Semaphore running = new Semaphore(1);

  /**
   * @param exclusive held around each recount that swaps rows in: keeps recounts of other processes
   *     sharing the store out meanwhile (cluster mode), blocking until they are done
   */
  RecountRoutes(Recount recount, Auditor auditor, Callable<AutoCloseable> exclusive) {
    this.recount = requireNonNull(recount, "recount");
    this.auditor = requireNonNull(auditor, "auditor");
    this.exclusive = requireNonNull(exclusive, "exclusive");
  }

  /** A server without a raw store: 404 saying why. */
  static Routes absent(String why) {
    return router -> {
      router.post(RECOUNT).handler(ctx -> ErrorAnswers.error(ctx, 404, why));
      router.post(AUDIT).handler(ctx -> ErrorAnswers.error(ctx, 404, why));
    };
  }

  @Override
  public void mount(Router router) {
    router
        .post(RECOUNT)
        .handler(RequestBody.limitedTo(MAX_BODY_BYTES, "shorten the request"))
        .handler(ctx -> run(ctx, true));
    router
        .post(AUDIT)
        .handler(RequestBody.limitedTo(MAX_BODY_BYTES, "shorten the request"))
        .handler(ctx -> run(ctx, false));
  }

  private void run(RoutingContext ctx, boolean apply) {
    RecountRange range;
    try {
      range = range(RequestBody.bytes(ctx));
    } catch (BadQueryException | io.tally.core.recount.RecountRefusedException e) {
      ErrorAnswers.error(ctx, 400, e.getMessage());
      return;
    }
    if (!running.tryAcquire()) {
      ctx.response().putHeader("Retry-After", "5");
      ErrorAnswers.error(ctx, 503, "a recount or audit is running; try again when it is done");
      return;
    }
    ErrorAnswers.fromWorker(
        ctx,
        () -> {
          try {
            RecountReport r;
            if (apply) {
              AutoCloseable held = exclusive.call();
              try {
                r = recount.run(range, true);
              } finally {
                held.close();
              }
              auditor.recounted(r);
            } else {
              r = auditor.audit(range);
            }
            return json(r).encode().getBytes(StandardCharsets.UTF_8);
          } finally {
            running.release();
          }
        },
        "the recount failed");
  }

  /** The body's range. */
  static RecountRange range(byte[] body) {
    Object decoded;
    try {
      decoded = body.length == 0 ? null : Json.decodeValue(Buffer.buffer(body));
    } catch (DecodeException e) {
      throw new BadQueryException("body is not valid JSON: " + e.getMessage());
    }
    if (!(decoded instanceof JsonObject o)) {
      throw new BadQueryException(
          "body must be a JSON object {\"from\": \"2026-12-05T06:00:00Z\", \"to\": …,"
              + " \"entityPrefix\": \"video:\", \"types\": [\"view\"]}");
    }
    for (String field : o.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw new BadQueryException("unknown field '" + field + "'; allowed: " + FIELDS);
      }
    }
    Object prefix = o.getValue("entityPrefix");
    if (prefix != null && !(prefix instanceof String)) {
      throw new BadQueryException("entityPrefix must be a string");
    }
    Set<String> types = new LinkedHashSet<>();
    Object t = o.getValue("types");
    if (t != null) {
      if (!(t instanceof JsonArray a)) {
        throw new BadQueryException("types must be an array of strings");
      }
      for (Object x : a) {
        if (!(x instanceof String s) || s.isEmpty()) {
          throw new BadQueryException("types must be an array of non-empty strings");
        }
        types.add(s);
      }
    }
    return new RecountRange(time(o, "from"), time(o, "to"), (String) prefix, types);
  }

  private static long time(JsonObject o, String field) {
    Object v = o.getValue(field);
    if (v instanceof Number n) {
      return n.longValue();
    }
    if (v instanceof String s) {
      try {
        return Instant.parse(s).toEpochMilli();
      } catch (DateTimeParseException e) {
        throw new BadQueryException(
            field + " must be ISO-8601 (2026-12-05T06:00:00Z) or epoch ms; got '" + s + "'");
      }
    }
    throw new BadQueryException(field + " is required: ISO-8601 or epoch ms");
  }

  static JsonObject json(RecountReport r) {
    JsonArray differences = new JsonArray();
    for (RecountReport.Difference d : r.differences()) {
      differences.add(
          new JsonObject()
              .put("entity", d.key().entity())
              .put("type", d.key().type())
              .put("granularity", d.key().granularity().wireName())
              .put("start", Instant.ofEpochMilli(d.key().bucketStartMillis()).toString())
              .put(
                  "served",
                  new JsonObject().put("count", d.servedCount()).put("sum", d.servedSum()))
              .put(
                  "recounted",
                  new JsonObject().put("count", d.recountedCount()).put("sum", d.recountedSum())));
    }
    JsonArray granularities = new JsonArray();
    for (Granularity g : r.granularities()) {
      granularities.add(g.wireName());
    }
    return new JsonObject()
        .put("from", Instant.ofEpochMilli(r.range().fromMillis()).toString())
        .put("to", Instant.ofEpochMilli(r.range().toMillis()).toString())
        .put("entityPrefix", r.range().entityPrefix())
        .put("types", new JsonArray(r.range().types().stream().sorted().toList()))
        .put("applied", r.applied())
        .put("granularities", granularities)
        .put("unchanged", r.unchanged())
        .put("changed", r.changed())
        .put("added", r.added())
        .put("removed", r.removed())
        .put("mismatched", r.mismatched())
        .put("totalsAdjusted", r.totalsAdjusted())
        .put("eventsRead", r.eventsRead())
        .put("topKSlotsChanged", r.topKSlotsChanged())
        .put("topKSlotsSkipped", r.topKSlotsSkipped())
        .put("differences", differences);
  }
}
