package io.tally.core.process;

import io.tally.core.uniques.UniquesConfig;

/**
 * Tuning of the processor.
 *
 * @param threads processor threads; partition p belongs to thread {@code p % threads}
 * @param flushIntervalMillis how often pending deltas are sealed and written (freshness)
 * @param maxRowsPerFlush pending counter rows that force an early flush (bounds memory)
 * @param maxPollRecords most records read from one partition per poll
 * @param dedupWindowMillis dedup window in log append time
 * @param dedupCapacity most id sightings remembered per partition (memory: ≤ 56 bytes each)
 * @param maxRetryBackoffMillis longest wait between attempts to write a failed flush
 * @param unhealthyAfterMillis how long a processor may keep failing before health checks fail
 * @param uniques how the actors of a flush are sketched (the stores' sketch size)
 */
public record ProcessorConfig(
    int threads,
    long flushIntervalMillis,
    int maxRowsPerFlush,
    int maxPollRecords,
    long dedupWindowMillis,
    int dedupCapacity,
    long maxRetryBackoffMillis,
    long unhealthyAfterMillis,
    UniquesConfig uniques) {

  public static final ProcessorConfig DEFAULTS =
      new ProcessorConfig(
          Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())),
          250, // embedded mode's; cluster mode's 'auto' is 500 (ConfigKeys)
          500_000,
          10_000,
          10 * 60_000L,
          1_000_000,
          5_000,
          10_000,
          UniquesConfig.DEFAULTS);

  /** Tuning with the default sketch size. */
  public ProcessorConfig(
      int threads,
      long flushIntervalMillis,
      int maxRowsPerFlush,
      int maxPollRecords,
      long dedupWindowMillis,
      int dedupCapacity,
      long maxRetryBackoffMillis,
      long unhealthyAfterMillis) {
    this(
        threads,
        flushIntervalMillis,
        maxRowsPerFlush,
        maxPollRecords,
        dedupWindowMillis,
        dedupCapacity,
        maxRetryBackoffMillis,
        unhealthyAfterMillis,
        UniquesConfig.DEFAULTS);
  }

  public ProcessorConfig {
    java.util.Objects.requireNonNull(uniques, "uniques");
    if (threads < 1) {
      throw new IllegalArgumentException("processor threads must be at least 1, got " + threads);
    }
    if (flushIntervalMillis < 1 || maxRowsPerFlush < 1 || maxPollRecords < 1) {
      throw new IllegalArgumentException(
          "flush interval, rows per flush and poll size must be positive");
    }
    if (dedupWindowMillis < 0
        || dedupCapacity < 1
        || maxRetryBackoffMillis < 1
        || unhealthyAfterMillis < 0) {
      throw new IllegalArgumentException("dedup window must be ≥ 0, capacity and backoff positive");
    }
  }

  public ProcessorConfig withThreads(int n) {
    return new ProcessorConfig(
        n,
        flushIntervalMillis,
        maxRowsPerFlush,
        maxPollRecords,
        dedupWindowMillis,
        dedupCapacity,
        maxRetryBackoffMillis,
        unhealthyAfterMillis,
        uniques);
  }

  public ProcessorConfig withUniques(UniquesConfig u) {
    return new ProcessorConfig(
        threads,
        flushIntervalMillis,
        maxRowsPerFlush,
        maxPollRecords,
        dedupWindowMillis,
        dedupCapacity,
        maxRetryBackoffMillis,
        unhealthyAfterMillis,
        u);
  }

  public ProcessorConfig withFlushIntervalMillis(long millis) {
    return new ProcessorConfig(
        threads,
        millis,
        maxRowsPerFlush,
        maxPollRecords,
        dedupWindowMillis,
        dedupCapacity,
        maxRetryBackoffMillis,
        unhealthyAfterMillis,
        uniques);
  }

  public ProcessorConfig withDedup(long windowMillis, int capacity) {
    return new ProcessorConfig(
        threads,
        flushIntervalMillis,
        maxRowsPerFlush,
        maxPollRecords,
        windowMillis,
        capacity,
        maxRetryBackoffMillis,
        unhealthyAfterMillis,
        uniques);
  }

  public ProcessorConfig withFailurePolicy(long maxRetryBackoffMillis, long unhealthyAfterMillis) {
    return new ProcessorConfig(
        threads,
        flushIntervalMillis,
        maxRowsPerFlush,
        maxPollRecords,
        dedupWindowMillis,
        dedupCapacity,
        maxRetryBackoffMillis,
        unhealthyAfterMillis,
        uniques);
  }
}
