package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.core.ingest.Ingestor;
import io.tally.core.ingest.OverloadedException;
import io.tally.core.ingest.TooManyEventsException;
import io.tally.model.IngestResult;
import io.tally.model.json.EventJsonReader;
import io.tally.model.json.MalformedBodyException;
import io.tally.model.json.TallyJson;
import io.tally.server.http.RequestBody;
import io.vertx.core.Context;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/events}: a JSON array, one object, or NDJSON → 202 once durable (docs/api.md).
 * Every refusal is counted by reason ({@link IngestMeters}). Thread-safe; handlers run on event
 * loops, and the log's completion hops back to the request's context before answering.
 */
final class IngestRoutes implements Routes {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);

  private final Ingestor ingestor;
  private final IngestMeters meters;
  private final int maxBodyBytes;

  IngestRoutes(Ingestor ingestor, IngestMeters meters, int maxBodyBytes) {
    this.ingestor = requireNonNull(ingestor, "ingestor");
    this.meters = requireNonNull(meters, "meters");
    this.maxBodyBytes = maxBodyBytes;
  }

  /** A node without the ingest role: 404 naming it. */
  static Routes absent() {
    return router ->
        router
            .post("/v1/events")
            .handler(ctx -> ErrorAnswers.error(ctx, 404, "this node runs without the ingest role"));
  }

  @Override
  public void mount(Router router) {
    router
        .post("/v1/events")
        .handler(RequestBody.limitedTo(maxBodyBytes, "split the batch"))
        .handler(this::ingest);
  }

  private void ingest(RoutingContext ctx) {
    try {
      ingestor.checkAdmission();
    } catch (OverloadedException e) {
      overloaded(ctx, e);
      return;
    }
    byte[] bytes = RequestBody.bytes(ctx);
    if (bytes.length == 0) {
      meters.refused(IngestMeters.RequestReason.EMPTY_BODY);
      ErrorAnswers.error(
          ctx, 400, "body is empty: send a JSON array of events, one event object, or NDJSON");
      return;
    }
    Ingestor.Request request = ingestor.newRequest();
    try {
      if (isNdjson(ctx.request().getHeader(HttpHeaders.CONTENT_TYPE))) {
        EventJsonReader.readNdjson(bytes, 0, bytes.length, request.receivedAtMillis(), request);
      } else {
        EventJsonReader.readJson(bytes, 0, bytes.length, request.receivedAtMillis(), request);
      }
    } catch (MalformedBodyException e) {
      meters.refused(IngestMeters.RequestReason.MALFORMED_BODY);
      ErrorAnswers.error(ctx, 400, e.getMessage());
      return;
    } catch (TooManyEventsException e) {
      meters.refused(IngestMeters.RequestReason.TOO_MANY_EVENTS);
      ErrorAnswers.error(ctx, 413, e.getMessage());
      return;
    }
    CompletableFuture<IngestResult> appended;
    try {
      appended = ingestor.submit(request);
    } catch (OverloadedException e) {
      overloaded(ctx, e);
      return;
    }
    Context context = ctx.vertx().getOrCreateContext();
    appended.whenComplete(
        (result, failure) -> context.runOnContext(v -> answer(ctx, result, failure)));
  }

  private void answer(RoutingContext ctx, IngestResult result, Throwable failure) {
    if (failure != null) {
      LOG.warn("append failed: {}", failure.getMessage());
      meters.refused(IngestMeters.RequestReason.NOT_DURABLE);
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
      ErrorAnswers.error(ctx, 503, "the events could not be made durable; retry with the same ids");
      return;
    }
    meters.answered(result);
    int status = result.accepted() == 0 && !result.rejected().isEmpty() ? 400 : 202;
    if (status != 202) {
      ErrorAnswers.logFailure(
          ctx,
          status,
          "all "
              + result.rejected().size()
              + " events rejected, first: "
              + result.rejected().get(0).reason());
    }
    ErrorAnswers.send(ctx, status, TallyJson.ingestResult(result));
  }

  private void overloaded(RoutingContext ctx, OverloadedException e) {
    meters.refused(IngestMeters.RequestReason.OVERLOADED);
    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Integer.toString(e.retryAfterSeconds()));
    ErrorAnswers.error(ctx, 503, e.getMessage() + "; retry later with the same ids");
  }

  private static boolean isNdjson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String ct = contentType.toLowerCase(Locale.ROOT);
    return ct.startsWith("application/x-ndjson")
        || ct.startsWith("application/ndjson")
        || ct.startsWith("application/jsonl");
  }
}
