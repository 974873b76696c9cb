package io.tally.server;

/**
 * Processor tuning that no configuration key sets, for tests that need a processor to give up or
 * retry fast. Every keyed setting comes from the effective configuration; only the processor's
 * failure policy is replaced, through the record's canonical constructor. Stateless.
 */
final class ProcessorTuning {
  private ProcessorTuning() {}

  /**
   * {@code config} with processors that wait at most {@code maxRetryBackoffMillis} between attempts
   * to write a failed flush and report unhealthy after {@code unhealthyAfterMillis}.
   */
  static ServerConfig withFailurePolicy(
      ServerConfig config, long maxRetryBackoffMillis, long unhealthyAfterMillis) {
    return new ServerConfig(
        config.host(),
        config.port(),
        config.dataDir(),
        config.partitions(),
        config.fsync(),
        config.maxBodyBytes(),
        config.query(),
        config.logRetentionMillis(),
        config.processor().withFailurePolicy(maxRetryBackoffMillis, unhealthyAfterMillis),
        config.ingest(),
        config.validation(),
        config.derive(),
        config.topK(),
        config.ops(),
        config.browser(),
        config.security(),
        config.salvageWal(),
        config.raw());
  }
}
