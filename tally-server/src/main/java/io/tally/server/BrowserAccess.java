package io.tally.server;

import static java.util.Objects.requireNonNull;

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

/**
 * Browser access: the CORS policy of every route and {@code GET /tally.js}, the beacon script.
 *
 * <p>CORS: a request without an {@code Origin} header (curl, the SDK) or from the server's own
 * origin passes untouched. One from an origin in {@link BrowserSettings#corsOrigins()} gets
 * {@code Access-Control-Allow-Origin} and a preflight ({@code OPTIONS} with {@code
 * Access-Control-Request-Method}) is answered here with 204. Any other origin gets a 403 naming
 * the flag that would allow it — the server must refuse it itself, because a "simple" request
 * (what {@code navigator.sendBeacon} sends: a POST with {@code Content-Type: text/plain}) reaches
 * the server without a preflight, and ingest reads a {@code text/plain} body as JSON. (Vert.x's
 * own {@code CorsHandler} allows every origin when none is configured; Tally's default is none.)
 *
 * <p>{@code /tally.js} is public (a {@code <script>} tag loads it without an Origin header).
 * Stateless and thread-safe; handlers run on the event loops.
 */
final class BrowserAccess {
  static final String SCRIPT_PATH = "/tally.js";
  private static final String SCRIPT_RESOURCE = "/io/tally/server/tally.js";

  private final BrowserSettings settings;
  private final Buffer script;

  private BrowserAccess(BrowserSettings settings) {
    this.settings = requireNonNull(settings, "settings");
    try (InputStream in = BrowserAccess.class.getResourceAsStream(SCRIPT_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("resource " + SCRIPT_RESOURCE + " is missing from the build");
      }
      this.script = Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Mounts the CORS policy in front of every route, and {@code GET /tally.js}; call before adding routes. */
  static void mount(Router router, BrowserSettings settings) {
    BrowserAccess access = new BrowserAccess(settings);
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
    if (!settings.allows(origin)) {
      ctx.response().setStatusCode(403).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(Buffer.buffer(TallyJson.error("origin " + origin
              + " is not allowed to call this server; start it with --cors-origin " + origin)));
      return;
    }
    ctx.response().putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, origin).putHeader(HttpHeaders.VARY, "Origin");
    String preflightMethod = request.getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD);
    if (request.method() == HttpMethod.OPTIONS && preflightMethod != null) {
      ctx.response().setStatusCode(204)
          .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, PUT, DELETE")
          .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type, Content-Encoding")
          .putHeader(HttpHeaders.ACCESS_CONTROL_MAX_AGE, "600")
          .end();
      return;
    }
    ctx.next();
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
