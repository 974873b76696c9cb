package io.tally.server.security;

import io.tally.core.auth.ApiKey;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per admin request (key management and entity attributes), allowed or refused, on the
 * SLF4J logger {@value #LOGGER}, so it can be routed to its own file or shipper:
 *
 * <pre>
 * who=3f9a0c21d4e7(ops-laptop) from=10.0.0.7 action="DELETE /v1/admin/keys/8d02b1f0aa39" status=200 detail="revoked key 8d02b1f0aa39 (web-beacon)"
 * </pre>
 *
 * The time is the log line's own. Never holds a key's token, only ids and names; values of
 * attributes are not logged either. Thread-safe.
 */
public final class AuditLog {
  public static final String LOGGER = "tally.audit";

  /** Routing-context key under which a handler leaves what it did, for the audit line. */
  static final String DETAIL = "tally.audit.detail";

  private static final Logger AUDIT = LoggerFactory.getLogger(LOGGER);

  private AuditLog() {}

  /** Logs the request when it ends (or its connection closes), with its final status. */
  static void onEnd(RoutingContext ctx, ApiKey key, boolean authOff) {
    String who =
        key != null
            ? key.id() + "(" + clean(key.name()) + ")"
            : authOff ? "anonymous(auth off)" : "anonymous";
    String from =
        ctx.request().remoteAddress() == null ? "?" : ctx.request().remoteAddress().hostAddress();
    String action = ctx.request().method() + " " + clean(ctx.request().path());
    ctx.addEndHandler(
        done -> {
          Object detail = ctx.get(DETAIL);
          int status = ctx.response().getStatusCode();
          AUDIT.info(
              "who={} from={} action=\"{}\" status={}{}",
              who,
              from,
              action,
              // whether the answer was sent, not done.succeeded(): over HTTP/2 the end handlers
              // also see the stream's close, which fails them after a complete answer
              ctx.response().ended() ? status : "aborted",
              detail == null ? "" : " detail=\"" + clean(detail.toString()) + "\"");
        });
  }

  /** Logs a refusal that ends the request at once. */
  static void refused(RoutingContext ctx, String who, int status, String reason) {
    String from =
        ctx.request().remoteAddress() == null ? "?" : ctx.request().remoteAddress().hostAddress();
    AUDIT.info(
        "who={} from={} action=\"{} {}\" status={} detail=\"{}\"",
        clean(who),
        from,
        ctx.request().method(),
        clean(ctx.request().path()),
        status,
        clean(reason));
  }

  /**
   * Credentials redacted ({@link Credentials}), control characters and quotes replaced, length
   * capped: a log line stays one line and holds no secret.
   */
  static String clean(String raw) {
    String s = Credentials.redact(raw);
    StringBuilder b = new StringBuilder(Math.min(s.length(), 200));
    for (int i = 0; i < s.length() && i < 200; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c == 0x7f || c == '"' ? '?' : c);
    }
    return s.length() > 200 ? b + "…" : b.toString();
  }
}
