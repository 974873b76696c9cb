package io.tally.core.raw;

import java.util.List;

/**
 * Read-only SQL over the raw store's view {@code events(id, entity, type, time, value, attributes,
 * …)}. Implementations refuse anything but one query (no writes, no attaching, installing or
 * loading, no copying, no file outside the raw store) and bound each query's time, rows and memory.
 * Thread-safe.
 */
public interface RawSql {

  /**
   * Runs {@code sql}.
   *
   * @throws RawQueryException if the statement is refused, fails or runs out of time or memory; its
   *     message says why and may be shown to the client
   */
  Answer query(String sql);

  /**
   * A query's answer.
   *
   * @param asOfMillis every counted event appended before this instant was visible to the query
   *     ({@link Long#MIN_VALUE} if nothing was exported yet)
   * @param columns column names, in order
   * @param types the SQL type name of each column
   * @param rows at most the row limit; each value is null, a {@link String}, {@link Long}, {@link
   *     Double}, {@link Boolean}, {@link java.math.BigDecimal}, a {@link java.util.Map} or a {@link
   *     List} of such values (timestamps as ISO-8601 strings, UTC)
   * @param truncated whether more rows were left off than the limit allowed
   */
  record Answer(
      long asOfMillis,
      List<String> columns,
      List<String> types,
      List<List<Object>> rows,
      boolean truncated) {
    public Answer {
      columns = List.copyOf(columns);
      types = List.copyOf(types);
      rows = List.copyOf(rows);
    }
  }
}
