package io.tally.model;

import java.util.List;

/**
 * The answer to one ingest request: how many events are now durable in the log, and which were
 * rejected and why. Rejected events were not stored; retrying them unchanged fails again.
 */
public record IngestResult(int accepted, List<Rejection> rejected) {
  public IngestResult {
    rejected = List.copyOf(rejected);
  }
}
