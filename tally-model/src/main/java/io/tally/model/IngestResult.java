package io.tally.model;

import java.util.List;

/**
 * The answer to one ingest request: how many events are now durable in the log, and which were
 * rejected and why. Rejected events were not stored; retrying them unchanged fails again.
 *
 * @param position the {@link Position#token() token} of where the accepted events were appended,
 *     for a query's {@code after}; null when no event was accepted (or the server is older)
 */
public record IngestResult(int accepted, List<Rejection> rejected, String position) {
  public IngestResult {
    rejected = List.copyOf(rejected);
  }

  /** An answer without a position. */
  public IngestResult(int accepted, List<Rejection> rejected) {
    this(accepted, rejected, null);
  }
}
