package io.tally.core.raw;

/**
 * The raw store's settings.
 *
 * @param enabled whether counted events are exported at all ({@code raw.enabled})
 * @param dir where the store lives ({@code raw.dir}); {@code null}: {@code <data dir>/raw}
 * @param retentionMillis how long exported events are kept, by append time ({@code raw.retention})
 * @param exportIntervalMillis how often closed minutes are exported ({@code raw.export-interval})
 * @param exportThreads partitions exported at once ({@code raw.export-threads})
 * @param queryTimeoutMillis longest a SQL query may run
 * @param queryMaxRows most rows a SQL answer holds (the rest is left off and said so)
 * @param queryMemoryBytes most memory one SQL query may use
 */
public record RawConfig(
    boolean enabled,
    java.nio.file.Path dir,
    long retentionMillis,
    long exportIntervalMillis,
    int exportThreads,
    long queryTimeoutMillis,
    int queryMaxRows,
    long queryMemoryBytes) {

  /** Most events the export writes in one write, which becomes one file (or one per hour). */
  public static final int MAX_EVENTS_PER_WRITE = 100_000;

  public static final RawConfig DEFAULTS =
      new RawConfig(true, null, 30L * 86_400_000, 60_000, 2, 10_000, 10_000, 256L << 20);

  public RawConfig {
    if (retentionMillis < 3_600_000) {
      throw new IllegalArgumentException("raw retention must be at least an hour");
    }
    if (exportIntervalMillis < 1_000 || exportIntervalMillis > 3_600_000) {
      throw new IllegalArgumentException("raw export interval must be from 1s to 1h");
    }
    if (exportThreads < 1 || exportThreads > 64) {
      throw new IllegalArgumentException("raw export threads must be from 1 to 64");
    }
    if (queryTimeoutMillis < 1 || queryMaxRows < 1 || queryMemoryBytes < (16L << 20)) {
      throw new IllegalArgumentException(
          "raw query limits must be positive, memory at least 16 MB");
    }
  }

  /** These settings with {@code dir} as the store's directory. */
  public RawConfig withDir(java.nio.file.Path dir) {
    return new RawConfig(
        enabled,
        dir,
        retentionMillis,
        exportIntervalMillis,
        exportThreads,
        queryTimeoutMillis,
        queryMaxRows,
        queryMemoryBytes);
  }
}
