package io.tally.client;

import static java.util.Objects.requireNonNull;

import io.tally.model.Granularity;
import io.tally.model.Statistic;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One read of {@code /v1/stats} (or, from {@link #total}, of a total inside a batch), with every
 * option the HTTP API has. Immutable: each option returns a new query. Unset options take the
 * server's defaults (fn count, granularity minute, the last 60 buckets, no filling).
 *
 * <pre>{@code
 * tally.stats(StatsQuery.of("video:42", "view").autoGranularity().from(dayAgo).fillZeros())
 * }</pre>
 *
 * <p>Thread-safe (immutable).
 */
public final class StatsQuery {
  private final Map<String, String> params;

  private StatsQuery(Map<String, String> params) {
    this.params = params;
  }

  /** A series read of (entity, type). */
  public static StatsQuery of(String entity, String type) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("entity", requireNonNull(entity, "entity"));
    p.put("type", requireNonNull(type, "type"));
    return new StatsQuery(p);
  }

  /** A total of (entity, type): only for {@link TallyClient#batch}. */
  public static StatsQuery total(String entity, String type) {
    return of(entity, type).with("granularity", "total");
  }

  public StatsQuery fn(Statistic fn) {
    return with("fn", fn.wireName());
  }

  public StatsQuery granularity(Granularity granularity) {
    return with("granularity", granularity.wireName());
  }

  /**
   * {@code granularity=auto}: the finest granularity retained for the whole range within the
   * server's bucket limit.
   */
  public StatsQuery autoGranularity() {
    return with("granularity", "auto");
  }

  public StatsQuery from(Instant from) {
    return with("from", from.toString());
  }

  /** Exclusive. */
  public StatsQuery to(Instant to) {
    return with("to", to.toString());
  }

  /** {@code fill=zero}: every bucket of the range, empty ones as 0. */
  public StatsQuery fillZeros() {
    return with("fill", "zero");
  }

  /** The query's parameters as the HTTP API names them, in a stable order. */
  Map<String, String> params() {
    return params;
  }

  boolean isTotal() {
    return "total".equals(params.get("granularity"));
  }

  private StatsQuery with(String name, String value) {
    Map<String, String> p = new LinkedHashMap<>(params);
    p.put(name, requireNonNull(value, name));
    return new StatsQuery(p);
  }

  @Override
  public String toString() {
    return params.toString();
  }
}
