package io.tally.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Request metrics for every route, as the first handler of the router: latency by method, route
 * template and status ({@code tally.http.server.requests}, a histogram), and the body bytes of
 * {@code POST /v1/events} ({@code tally.ingest.bytes}).
 *
 * <p>The route tag is the template ({@code /v1/entities/:entity/attributes}), never the path, so
 * the series stay few. When a request ended in the failure handler (whose route has no path), the
 * template is found by matching the path against the router's routes; unknown paths are tagged
 * {@code unmatched}. Timers are looked up in a map keyed by (method, route, status) and registered
 * once. Thread-safe: handlers run on any event loop.
 */
final class HttpMetrics {
  static final String INGEST_PATH = "/v1/events";
  private static final String UNMATCHED = "unmatched";

  private record Key(String method, String route, int status) {}

  private record Template(String path, Pattern pattern) {}

  private final MeterRegistry registry;
  private final Counter ingestBytes;
  private final ConcurrentHashMap<Key, Timer> timers = new ConcurrentHashMap<>();
  private volatile Router router;
  private volatile List<Template> templates;

  HttpMetrics(MeterRegistry registry) {
    this.registry = registry;
    ingestBytes =
        Counter.builder("tally.ingest.bytes")
            .baseUnit("bytes")
            .description("Request body bytes received on POST /v1/events")
            .register(registry);
  }

  /** Installs the measuring handler in front of every other route of {@code router}. */
  void mount(Router router) {
    this.router = router;
    router.route().order(-1_000).handler(this::handle);
  }

  private void handle(RoutingContext ctx) {
    long start = System.nanoTime();
    ctx.addEndHandler(done -> record(ctx, System.nanoTime() - start));
    ctx.next();
  }

  private void record(RoutingContext ctx, long nanos) {
    String route = route(ctx);
    int status = ctx.response().getStatusCode();
    String method = ctx.request().method().name();
    timers
        .computeIfAbsent(new Key(method, route, status), this::timer)
        .record(nanos, TimeUnit.NANOSECONDS);
    if (route.equals(INGEST_PATH)) {
      ingestBytes.increment(ctx.request().bytesRead());
    }
  }

  private Timer timer(Key key) {
    return Timer.builder("tally.http.server.requests")
        .description(
            "HTTP requests by method, route template and status, from first byte routed to response end")
        .tag("method", key.method())
        .tag("route", key.route())
        .tag("status", Integer.toString(key.status()))
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(100_000))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
  }

  private String route(RoutingContext ctx) {
    Route current = ctx.currentRoute();
    if (current != null && current.getPath() != null) {
      return current.getPath();
    }
    String path = ctx.normalizedPath();
    for (Template t : templates()) {
      if (t.pattern().matcher(path).matches()) {
        return t.path();
      }
    }
    return UNMATCHED;
  }

  private List<Template> templates() {
    List<Template> known = templates;
    if (known == null && router != null) {
      known = new ArrayList<>();
      for (Route r : router.getRoutes()) {
        String path = r.getPath();
        if (path != null) {
          known.add(
              new Template(path, Pattern.compile(toRegex(path) + (r.isExactPath() ? "/?" : ".*"))));
        }
      }
      templates = known = List.copyOf(known);
    }
    return known == null ? List.of() : known;
  }

  /** {@code /a/:b/c} → {@code \Q/a\E/[^/]+\Q/c\E}: a path parameter matches one segment. */
  private static String toRegex(String template) {
    StringBuilder regex = new StringBuilder();
    for (String part : template.split("(?=/)")) {
      if (part.startsWith("/:")) {
        regex.append("/[^/]+");
      } else {
        regex.append(Pattern.quote(part));
      }
    }
    return regex.toString();
  }
}
