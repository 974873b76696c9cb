package io.tally.core.query;

import static java.util.Objects.requireNonNull;

import io.tally.core.retention.Retention;
import io.tally.core.store.QuorumLoss;
import io.tally.model.Granularity;

/**
 * How queries are answered.
 *
 * @param maxBuckets most buckets one series query may span
 * @param retention what the store keeps; queries never answer from buckets past it and {@code
 *     granularity=auto} picks the finest granularity retained for the whole range
 * @param cacheMaxEntries most answers the query cache holds (0: no cache)
 * @param cacheTtlMillis how long a cached answer is served; no longer than the processors' flush
 *     interval, so a cached answer is never staler than the next flush would have made it
 * @param onQuorumLoss what a query does when a replicated store cannot reach its read consistency
 */
public record QueryConfig(
    int maxBuckets,
    Retention retention,
    long cacheMaxEntries,
    long cacheTtlMillis,
    QuorumLoss onQuorumLoss) {
  /**
   * The default bucket limit: 10,000, or the default minute retention's whole history when that is
   * more (7 days: 10,081 buckets), so that history can be fetched in one query.
   */
  public static final int DEFAULT_MAX_BUCKETS =
      (int) Math.max(10_000, Retention.DEFAULTS.retainedBuckets(Granularity.MINUTE));

  public static final QueryConfig DEFAULTS =
      new QueryConfig(DEFAULT_MAX_BUCKETS, Retention.DEFAULTS, 100_000, 1_000, QuorumLoss.STALE);

  public QueryConfig {
    requireNonNull(retention, "retention");
    requireNonNull(onQuorumLoss, "onQuorumLoss");
    if (maxBuckets < 1) {
      throw new IllegalArgumentException("maxBuckets must be positive");
    }
    if (cacheMaxEntries < 0 || cacheTtlMillis < 0) {
      throw new IllegalArgumentException(
          "the query cache's size and freshness bound must not be negative");
    }
  }

  public QueryConfig withMaxBuckets(int n) {
    return new QueryConfig(n, retention, cacheMaxEntries, cacheTtlMillis, onQuorumLoss);
  }

  public QueryConfig withRetention(Retention r) {
    return new QueryConfig(maxBuckets, r, cacheMaxEntries, cacheTtlMillis, onQuorumLoss);
  }

  /**
   * The cache: at most {@code entries} answers, each served for at most {@code ttlMillis} (0
   * entries: none).
   */
  public QueryConfig withCache(long entries, long ttlMillis) {
    return new QueryConfig(maxBuckets, retention, entries, ttlMillis, onQuorumLoss);
  }

  public QueryConfig withOnQuorumLoss(QuorumLoss q) {
    return new QueryConfig(maxBuckets, retention, cacheMaxEntries, cacheTtlMillis, q);
  }
}
