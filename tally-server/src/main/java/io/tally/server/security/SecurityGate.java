package io.tally.server.security;

import io.tally.core.auth.ApiKey;
import io.tally.core.auth.ApiKeyTokens;
import io.tally.core.auth.KeyRing;
import io.tally.core.auth.Scope;
import io.tally.model.json.TallyJson;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of every request: the concurrent-request cap and per-request deadline, the
 * per-address rate limit, then, for {@code /v1/…} routes while auth is on, the API key, its scope,
 * a publishable key's origin, and the per-key rate limit. Admin routes get an audit line.
 *
 * <table>
 *   <caption>scope each route needs</caption>
 *   <tr><td>{@code POST /v1/events}</td><td>ingest</td></tr>
 *   <tr><td>{@code /v1/stats}, {@code /v1/stats/batch}, {@code /v1/total}, {@code /v1/top}, {@code /v1/query}, {@code /v1/overview}</td>
 *       <td>query</td></tr>
 *   <tr><td>{@code /v1/entities/…}, {@code /v1/admin/…}</td><td>admin</td></tr>
 *   <tr><td>any other {@code /v1/…}</td><td>any valid key</td></tr>
 *   <tr><td>outside {@code /v1/} ({@code /healthz}, …) and CORS preflights</td><td>none</td></tr>
 * </table>
 *
 * A key is sent as {@code Authorization: Bearer <key>}. A publishable key may instead be sent as
 * the {@code key} query parameter of {@code POST /v1/events} (a page's {@code sendBeacon} cannot
 * set headers); secret keys are refused there, since URLs end up in logs. Missing or bad key: 401;
 * valid key without the scope, or a publishable key from an origin it does not list: 403.
 *
 * <p>Thread-safe; handlers run on the request's event loop.
 */
final class SecurityGate {
  private static final Logger LOG = LoggerFactory.getLogger(SecurityGate.class);

  /**
   * Routing-context key of the request's authenticated {@link ApiKey} (absent while auth is off).
   */
  static final String KEY = "tally.apiKey";

  private final Vertx vertx;
  private final KeyRing ring;
  private final BooleanSupplier authOn;
  private final ConnectionGuard guard;
  private final ClientRateLimiter perKey;
  private final ClientRateLimiter perAddress;
  private final SecurityConfig.Limits limits;
  private final AtomicInteger inFlight = new AtomicInteger();

  /** Per event loop, confined to it. */
  private final ThreadLocal<Deadlines> requestDeadlines = new ThreadLocal<>();

  SecurityGate(
      Vertx vertx,
      KeyRing ring,
      BooleanSupplier authOn,
      ConnectionGuard guard,
      SecurityConfig config) {
    this.vertx = vertx;
    this.ring = ring;
    this.authOn = authOn;
    this.guard = guard;
    this.limits = config.limits();
    SecurityConfig.RateLimits r = config.rateLimits();
    perKey =
        r.perKeyPerSecond() > 0
            ? new ClientRateLimiter(r.perKeyPerSecond(), r.maxTrackedClients())
            : null;
    perAddress =
        r.perAddressPerSecond() > 0
            ? new ClientRateLimiter(r.perAddressPerSecond(), r.maxTrackedClients())
            : null;
  }

  /** This event loop's request deadlines. */
  private Deadlines requestDeadlines() {
    Deadlines d = requestDeadlines.get();
    if (d == null) {
      d = Deadlines.ticking(vertx, limits.requestTimeoutMillis());
      requestDeadlines.set(d);
    }
    return d;
  }

  void handle(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    if (inFlight.incrementAndGet() > limits.maxConcurrentRequests()) {
      inFlight.decrementAndGet();
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
      refuse(
          ctx,
          503,
          "more than " + limits.maxConcurrentRequests() + " requests in progress; retry later");
      return;
    }
    guard.requestStarted(req);
    Deadlines.Deadline deadline = requestDeadlines().start(() -> expire(ctx));
    ctx.addEndHandler(
        done -> {
          deadline.cancel();
          inFlight.decrementAndGet();
          guard.requestEnded(req);
        });
    if (perAddress != null) {
      // only when limiting: the address's text was 4 % of an event loop's time per request
      String address = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
      if (!perAddress.tryAcquire(address)) {
        tooMany(ctx, "address " + address);
        return;
      }
    }
    try {
      req.params(); // decoded once here, so a malformed query string is a 400 rather than a
      // failure later
    } catch (IllegalArgumentException e) {
      refuse(ctx, 400, "malformed query string: " + AuditLog.clean(String.valueOf(e.getMessage())));
      return;
    }
    // the path the router matches on (dot segments and double slashes resolved, unreserved
    // escapes decoded): deciding on the raw path would let /v1/x/../admin/keys pass as an unknown
    // route
    String path = ctx.normalizedPath();
    if (req.method() == HttpMethod.OPTIONS || path == null || !path.startsWith("/v1/")) {
      ctx.next();
      return;
    }
    Scope scope = scopeOf(path);
    if (!authOn.getAsBoolean()) {
      if (scope == Scope.ADMIN) {
        AuditLog.onEnd(ctx, null, true);
      }
      ctx.next();
      return;
    }
    authenticate(ctx, path, scope);
  }

  private void authenticate(RoutingContext ctx, String path, Scope scope) {
    HttpServerRequest req = ctx.request();
    String token = bearer(req);
    if (token == null && req.method() == HttpMethod.POST && "/v1/events".equals(path)) {
      String inUrl = req.getParam("key");
      if (inUrl != null && !ApiKeyTokens.looksPublishable(inUrl)) {
        unauthorized(
            ctx,
            scope,
            "only publishable keys (tly_pk_…) may be sent in the URL; send secret keys as "
                + "Authorization: Bearer <key>");
        return;
      }
      token = inUrl;
    }
    if (token == null) {
      unauthorized(ctx, scope, "missing API key: send Authorization: Bearer <key>");
      return;
    }
    KeyRing.Check check = ring.check(token);
    if (!check.ok()) {
      unauthorized(ctx, scope, check.problem());
      return;
    }
    ApiKey key = check.key();
    if (scope != null && !key.allows(scope)) {
      forbidden(
          ctx, key, scope, "API key " + key.id() + " lacks the " + scope.wireName() + " scope");
      return;
    }
    if (key.kind() == ApiKey.Kind.PUBLISHABLE) {
      String origin = req.getHeader(HttpHeaders.ORIGIN);
      if (origin == null || !key.origins().contains(origin)) {
        forbidden(
            ctx,
            key,
            scope,
            "publishable key "
                + key.id()
                + " is not allowed from origin "
                + (origin == null ? "(none sent)" : "'" + AuditLog.clean(origin) + "'"));
        return;
      }
    }
    if (perKey != null && !perKey.tryAcquire(key.id())) {
      tooMany(ctx, "API key " + key.id());
      return;
    }
    ctx.put(KEY, key);
    if (scope == Scope.ADMIN) {
      AuditLog.onEnd(ctx, key, false);
    }
    ctx.next();
  }

  /** The scope a route needs; null for unknown {@code /v1/} routes (any valid key, then 404). */
  static Scope scopeOf(String path) {
    if (path.equals("/v1/events")) {
      return Scope.INGEST;
    }
    if (path.equals("/v1/stats")
        || path.equals("/v1/stats/batch")
        || path.equals("/v1/total")
        || path.equals("/v1/top")
        || path.equals("/v1/query")
        || path.equals("/v1/overview")) { // the dashboard's numbers are a read like any other
      return Scope.QUERY;
    }
    if (path.startsWith("/v1/entities/")
        || path.equals("/v1/admin")
        || path.startsWith("/v1/admin/")) {
      return Scope.ADMIN;
    }
    return null;
  }

  private static String bearer(HttpServerRequest req) {
    String h = req.getHeader(HttpHeaders.AUTHORIZATION);
    if (h == null || h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return h.substring(7).trim();
  }

  /** The request's deadline passed: close its connection (HTTP/2: reset its stream). */
  private void expire(RoutingContext ctx) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    HttpServerRequest req = ctx.request();
    LOG.info(
        "{} {} from {} not done within {} ms; closing it",
        req.method(),
        req.path(),
        req.remoteAddress(),
        limits.requestTimeoutMillis());
    if (req.version() == HttpVersion.HTTP_2) {
      ctx.response().reset();
    } else {
      req.connection().close();
    }
  }

  private void unauthorized(RoutingContext ctx, Scope scope, String reason) {
    if (scope == Scope.ADMIN) {
      AuditLog.refused(ctx, "anonymous", 401, reason);
    }
    ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"tally\"");
    refuse(ctx, 401, reason);
  }

  private void forbidden(RoutingContext ctx, ApiKey key, Scope scope, String reason) {
    if (scope == Scope.ADMIN) {
      AuditLog.refused(ctx, key.id() + "(" + key.name() + ")", 403, reason);
    }
    refuse(ctx, 403, reason);
  }

  private void tooMany(RoutingContext ctx, String who) {
    ctx.response()
        .putHeader(
            HttpHeaders.RETRY_AFTER, Integer.toString(ClientRateLimiter.RETRY_AFTER_SECONDS));
    refuse(
        ctx,
        429,
        "rate limit of "
            + who
            + " exceeded; retry after "
            + ClientRateLimiter.RETRY_AFTER_SECONDS
            + " s");
  }

  /** Answers {@code {"error": message}} and logs it, both with credentials redacted. */
  static void refuse(RoutingContext ctx, int status, String message) {
    String said = Credentials.redact(message);
    LOG.info("{} {} -> {} {}", ctx.request().method(), ctx.request().path(), status, said);
    if (!ctx.response().ended()) {
      ctx.response()
          .setStatusCode(status)
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(Buffer.buffer(TallyJson.error(said)));
    }
  }
}
