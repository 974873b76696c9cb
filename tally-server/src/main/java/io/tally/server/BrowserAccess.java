package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.core.auth.ApiKeyTokens;
import io.tally.model.json.TallyJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.BooleanSupplier;

/**
 * Browser access: the CORS policy of every route and {@code GET /tally.js}, the beacon script.
 *
 * <p>CORS: a request without an {@code Origin} header (curl, the SDK) or from the server's own
 * origin passes untouched. One from an origin in {@link BrowserSettings#corsOrigins()} gets {@code
 * Access-Control-Allow-Origin} and a preflight ({@code OPTIONS} with {@code
 * Access-Control-Request-Method}) is answered here with 204. Any other origin gets a 403 naming the
 * flag that would allow it — the server must refuse it itself, because a "simple" request (what
 * {@code navigator.sendBeacon} sends: a POST with {@code Content-Type: text/plain}) reaches the
 * server without a preflight, and ingest reads a {@code text/plain} body as JSON. (Vert.x's own
 * {@code CorsHandler} allows every origin when none is configured; Tally's default is none.)
 *
 * <p>A publishable API key ({@code tly_pk_…}, in {@code ?key=} or as the bearer token) names its
 * own origins: while API keys are required, a request from an origin outside the CORS list that
 * carries one passes on to the security gate, which admits it only if the key is valid and lists
 * that origin. Without auth no key is checked, so such a request is refused here like any other.
 *
 * <p>{@code /tally.js} is public (a {@code <script>} tag loads it without an Origin header).
 * Stateless and thread-safe; handlers run on the event loops.
 */
final class BrowserAccess {
  static final String SCRIPT_PATH = "/tally.js";
  private static final String SCRIPT_RESOURCE = "/io/tally/server/tally.js";

  private final BrowserSettings settings;
  private final BooleanSupplier keysRequired;
  private final Buffer script;

  private BrowserAccess(BrowserSettings settings, BooleanSupplier keysRequired) {
    this.settings = requireNonNull(settings, "settings");
    this.keysRequired = requireNonNull(keysRequired, "keysRequired");
    try (InputStream in = BrowserAccess.class.getResourceAsStream(SCRIPT_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "resource " + SCRIPT_RESOURCE + " is missing from the build");
      }
      this.script = Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Mounts the CORS policy in front of every route, and {@code GET /tally.js}; call before adding
   * routes.
   *
   * @param keysRequired whether the security gate now checks API keys (publishable keys then vouch
   *     for their origins)
   */
  static void mount(Router router, BrowserSettings settings, BooleanSupplier keysRequired) {
    BrowserAccess access = new BrowserAccess(settings, keysRequired);
    router.route().order(-1000).handler(access::cors);
    router.get(SCRIPT_PATH).handler(access::script);
  }

  private void cors(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String origin = request.getHeader(HttpHeaders.ORIGIN);
    if (origin == null || request.path().equals(SCRIPT_PATH) || sameOrigin(request, origin)) {
      ctx.next();
      return;
    }
    if (!settings.allows(origin) && carriesPublishableKey(request) && keysRequired.getAsBoolean()) {
      // the gate checks the key and that it lists this origin; the page may read the answer either
      // way
      ctx.response()
          .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
          .putHeader(HttpHeaders.VARY, "Origin");
      ctx.next();
      return;
    }
    if (!settings.allows(origin)) {
      ctx.response()
          .setStatusCode(403)
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(
              Buffer.buffer(
                  TallyJson.error(
                      "origin "
                          + origin
                          + " is not allowed to call this server; start it with --cors-origin "
                          + origin)));
      return;
    }
    ctx.response()
        .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
        .putHeader(HttpHeaders.VARY, "Origin");
    String preflightMethod = request.getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD);
    if (request.method() == HttpMethod.OPTIONS && preflightMethod != null) {
      ctx.response()
          .setStatusCode(204)
          .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, PUT, DELETE")
          .putHeader(
              HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS,
              "Content-Type, Content-Encoding, Authorization")
          .putHeader(HttpHeaders.ACCESS_CONTROL_MAX_AGE, "600")
          .end();
      return;
    }
    ctx.next();
  }

  private static boolean carriesPublishableKey(HttpServerRequest request) {
    String auth = request.getHeader(HttpHeaders.AUTHORIZATION);
    String inUrl;
    try {
      inUrl = request.getParam("key");
    } catch (IllegalArgumentException e) {
      inUrl = null; // a malformed query string: the gate answers 400
    }
    return (inUrl != null && ApiKeyTokens.looksPublishable(inUrl))
        || (auth != null
            && auth.length() > 7
            && auth.regionMatches(true, 0, "Bearer ", 0, 7)
            && ApiKeyTokens.looksPublishable(auth.substring(7).trim()));
  }

  /** The page's origin equals the one the browser addressed this server by. */
  private static boolean sameOrigin(HttpServerRequest request, String origin) {
    String host = request.getHeader(HttpHeaders.HOST);
    return host != null && origin.equalsIgnoreCase(request.scheme() + "://" + host);
  }

  private void script(RoutingContext ctx) {
    ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/javascript; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=300")
        .end(script);
  }
}
