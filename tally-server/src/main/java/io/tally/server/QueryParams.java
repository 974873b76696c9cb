package io.tally.server;

import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.TreeSet;

/**
 * The query-string check every reading route makes before it reads a parameter. Stateless and
 * thread-safe.
 */
final class QueryParams {
  /** The parameters of a series read: {@code /v1/stats} and each {@code /v1/stats/batch} item. */
  static final Set<String> SERIES =
      Set.of("entity", "type", "fn", "from", "to", "granularity", "fill");

  /** Read-your-writes: a position token from an ingest answer, and how long to wait for it. */
  static final String AFTER = "after";

  static final String WAIT = "wait";

  /** The parameters of {@code GET /v1/stats}: a series read, after a position. */
  static final Set<String> SERIES_READ =
      Set.of("entity", "type", "fn", "from", "to", "granularity", "fill", AFTER, WAIT);

  private QueryParams() {}

  /**
   * Whether the query string holds only parameters in {@code allowed}, each at most once; if not,
   * answers 400 naming the problem (which value of a repeated parameter counts would be a guess).
   */
  static boolean valid(RoutingContext ctx, Set<String> allowed) {
    MultiMap params = ctx.request().params();
    for (String name : params.names()) {
      if (!allowed.contains(name)) {
        ErrorAnswers.error(
            ctx,
            400,
            "unknown parameter '"
                + name
                + "'; "
                + (allowed.isEmpty()
                    ? ctx.request().path() + " takes no parameters"
                    : "allowed: " + String.join(", ", new TreeSet<>(allowed))));
        return false;
      }
      int times = params.getAll(name).size();
      if (times > 1) {
        ErrorAnswers.error(
            ctx, 400, "parameter '" + name + "' is given " + times + " times; give it once");
        return false;
      }
    }
    return true;
  }
}
