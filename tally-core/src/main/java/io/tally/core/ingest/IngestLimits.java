package io.tally.core.ingest;

/**
 * Bounds on ingest (DESIGN.md invariant 6: every buffer has a bound; beyond it ingest answers 503
 * with Retry-After instead of growing).
 *
 * @param maxEventsPerRequest most events one request may carry (beyond: 413)
 * @param maxInFlightEvents most events accepted but not yet durable in the log, over all requests
 * @param maxBacklogEvents most events durable in the log but not yet applied by the processors
 */
public record IngestLimits(int maxEventsPerRequest, long maxInFlightEvents, long maxBacklogEvents) {
  public static final IngestLimits DEFAULTS = new IngestLimits(50_000, 500_000, 5_000_000);

  public IngestLimits {
    if (maxEventsPerRequest < 1
        || maxInFlightEvents < maxEventsPerRequest
        || maxBacklogEvents < 1) {
      throw new IllegalArgumentException(
          "ingest limits must be positive and maxInFlightEvents ≥ maxEventsPerRequest");
    }
  }
}
