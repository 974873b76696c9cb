package io.tally.raw;

import static java.util.Objects.requireNonNull;

/**
 * One Parquet file of the raw store, as the manifest lists it.
 *
 * @param path relative to the raw store's directory, with '/' separators
 * @param partition the log partition its events come from
 * @param fromOffset the offset of its first event
 * @param toOffset one past the offset of its last event
 * @param rows how many events it holds
 * @param minAppendMillis the append time of its first event
 * @param maxAppendMillis the append time of its last event
 */
public record RawFile(
    String path,
    int partition,
    long fromOffset,
    long toOffset,
    long rows,
    long minAppendMillis,
    long maxAppendMillis) {
  public RawFile {
    requireNonNull(path, "path");
    if (path.isEmpty() || path.contains("\t") || path.contains("\n") || path.contains("..")) {
      throw new IllegalArgumentException("bad raw file path: " + path);
    }
    if (partition < 0 || fromOffset < 0 || toOffset <= fromOffset || rows < 1) {
      throw new IllegalArgumentException("bad raw file range: " + path);
    }
  }
}
