package io.tally.core.recount;

import io.tally.model.Granularity;
import java.time.Instant;
import java.util.Set;

/**
 * What a recount or audit covers: the rows whose buckets lie in {@code [fromMillis, toMillis)}
 * (event time, whole hours), of entities whose name (a derived entity's name for its shards) starts
 * with {@code entityPrefix}, of {@code types} (empty: every type).
 */
public record RecountRange(long fromMillis, long toMillis, String entityPrefix, Set<String> types) {
  public RecountRange {
    entityPrefix = entityPrefix == null ? "" : entityPrefix;
    types = Set.copyOf(types);
    if (Granularity.HOUR.bucketStart(fromMillis) != fromMillis
        || Granularity.HOUR.bucketStart(toMillis) != toMillis) {
      throw new RecountRefusedException(
          RecountRefusedException.Reason.BAD_RANGE,
          "from and to must be whole hours (UTC), e.g. 2026-12-05T06:00:00Z; got "
              + Instant.ofEpochMilli(fromMillis)
              + " and "
              + Instant.ofEpochMilli(toMillis));
    }
    if (fromMillis >= toMillis) {
      throw new RecountRefusedException(
          RecountRefusedException.Reason.BAD_RANGE, "from must be before to");
    }
    if (toMillis - fromMillis > Recount.MAX_RANGE_MILLIS) {
      throw new RecountRefusedException(
          RecountRefusedException.Reason.BAD_RANGE,
          "at most "
              + Recount.MAX_RANGE_MILLIS / 86_400_000
              + " days at once (the rows of a range are held in memory); split the range");
    }
  }

  /** One hour from {@code fromMillis}, every entity and type (what the auditor checks). */
  public static RecountRange hour(long fromMillis) {
    return new RecountRange(fromMillis, fromMillis + Granularity.HOUR.millis(), "", Set.of());
  }

  /** Whether the row entity {@code baseEntity} (shard suffix removed) and {@code type} are in. */
  boolean covers(String baseEntity, String type) {
    return baseEntity.startsWith(entityPrefix) && (types.isEmpty() || types.contains(type));
  }

  @Override
  public String toString() {
    return Instant.ofEpochMilli(fromMillis)
        + ".."
        + Instant.ofEpochMilli(toMillis)
        + (entityPrefix.isEmpty() ? "" : " entities " + entityPrefix + "*")
        + (types.isEmpty() ? "" : " types " + types);
  }
}
