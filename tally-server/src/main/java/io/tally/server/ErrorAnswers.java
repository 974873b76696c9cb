package io.tally.server;

import io.tally.core.enrich.BadAttributesException;
import io.tally.core.query.BadQueryException;
import io.tally.core.query.PositionNotReachedException;
import io.tally.core.recount.RecountRefusedException;
import io.tally.model.TallyException;
import io.tally.model.json.TallyJson;
import io.tally.server.http.RequestBody;
import io.tally.server.security.Credentials;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every answer of the HTTP API that is not a route's own success, in one place: exceptions mapped
 * to statuses once ({@link #fromWorker}, {@link #failure}), and every error sent as {@code
 * {"error": "..."}} and logged as one line per request, credentials redacted ({@link Credentials}).
 *
 * <table>
 *   <caption>status of each exception</caption>
 *   <tr><td>{@link BadQueryException}, {@link BadAttributesException}</td><td>400</td></tr>
 *   <tr><td>{@link NotFoundException}</td><td>404</td></tr>
 *   <tr><td>{@link RecountRefusedException}</td><td>409 if not exported yet or a raw gap, else 400</td></tr>
 *   <tr><td>{@link PositionNotReachedException}</td><td>504 + Retry-After</td></tr>
 *   <tr><td>{@link RequestBody.Refused}</td><td>its own (400, 413, 415)</td></tr>
 *   <tr><td>other {@link TallyException}, a timeout</td><td>503 + Retry-After</td></tr>
 *   <tr><td>anything else</td><td>500, logged with its stack</td></tr>
 * </table>
 *
 * Stateless and thread-safe; called on event loops.
 */
final class ErrorAnswers {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final String JSON = "application/json";

  private ErrorAnswers() {}

  /** A resource that has no such thing (e.g. an entity without attributes): 404. */
  static final class NotFoundException extends TallyException {
    private static final long serialVersionUID = 1L;

    NotFoundException(String message) {
      super(message);
    }
  }

  /**
   * Runs {@code answer} on a worker thread (store reads and writes block) and answers on the event
   * loop: its bytes with 200, null with 204, an exception by the table above.
   *
   * @param unavailable the 503's message ("the counter store is unavailable")
   */
  static void fromWorker(RoutingContext ctx, Callable<byte[]> answer, String unavailable) {
    ctx.vertx()
        .executeBlocking(answer, false)
        .onComplete(result -> answer(ctx, result, unavailable));
  }

  /**
   * Runs {@code answer} here, on the event loop, and answers as {@link #fromWorker} does: for reads
   * that take microseconds and never wait (a local store's lookups), where two thread hand-offs
   * would cost more than the read and add a scheduler's delay to the answer.
   */
  static void now(RoutingContext ctx, Callable<byte[]> answer, String unavailable) {
    AsyncResult<byte[]> result;
    try {
      result = Future.succeededFuture(answer.call());
    } catch (Exception e) {
      result = Future.failedFuture(e);
    }
    answer(ctx, result, unavailable);
  }

  private static void answer(RoutingContext ctx, AsyncResult<byte[]> result, String unavailable) {
    if (result.succeeded()) {
      if (result.result() == null) {
        ctx.response().setStatusCode(204).end();
      } else {
        send(ctx, 200, result.result());
      }
      return;
    }
    Throwable cause =
        result.cause() instanceof ExecutionException e && e.getCause() != null
            ? e.getCause()
            : result.cause();
    if (cause instanceof BadQueryException || cause instanceof BadAttributesException) {
      error(ctx, 400, cause.getMessage());
    } else if (cause instanceof NotFoundException) {
      error(ctx, 404, cause.getMessage());
    } else if (cause instanceof RecountRefusedException r) {
      error(ctx, refusedStatus(r.reason()), r.getMessage());
    } else if (cause instanceof PositionNotReachedException) {
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
      error(ctx, 504, cause.getMessage());
    } else if (cause instanceof TallyException || cause instanceof TimeoutException) {
      LOG.warn("{}: {}", unavailable, Credentials.redact(cause.toString()));
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
      error(ctx, 503, unavailable + ": " + cause.getMessage());
    } else {
      ctx.fail(cause);
    }
  }

  /** The router's failure handler: a body refused while read, a closed connection, or a bug. */
  static void failure(RoutingContext ctx, IngestMeters meters) {
    int status = ctx.statusCode();
    Throwable t = ctx.failure();
    if (t instanceof RequestBody.Refused refused) {
      if (ctx.request().path().equals(HttpMetrics.INGEST_PATH)) {
        meters.refused(IngestMeters.RequestReason.ofStatus(refused.status()));
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

  /**
   * A request the HTTP codec could not read (its line or headers over the limits, or not HTTP):
   * 414, 431 or 400 with a JSON error like every other answer, then the connection is closed.
   */
  static void invalidRequest(HttpServerRequest req, HttpServerOptions options) {
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

  /** Answers {@code {"error": message}} and logs it, both with credentials redacted. */
  static void error(RoutingContext ctx, int status, String message) {
    String said = Credentials.redact(message);
    logFailure(ctx, status, said);
    send(ctx, status, TallyJson.error(said));
  }

  /** Logs a failed request as one line, credentials redacted. */
  static void logFailure(RoutingContext ctx, int status, String message) {
    LOG.info(
        "{} {} -> {} {}",
        ctx.request().method(),
        ctx.request().path(),
        status,
        Credentials.redact(message));
  }

  /** Sends a JSON answer unless one was sent already. */
  static void send(RoutingContext ctx, int status, byte[] body) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
        .end(Buffer.buffer(body));
  }

  /** 409 where the store's state refuses (may change or needs an operator), 400 for the range. */
  private static int refusedStatus(RecountRefusedException.Reason reason) {
    return switch (reason) {
      case NOT_EXPORTED, RAW_GAP -> 409;
      case BAD_RANGE, PAST_RETENTION -> 400;
    };
  }
}
