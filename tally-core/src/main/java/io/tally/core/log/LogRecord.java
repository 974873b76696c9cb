package io.tally.core.log;

import static java.util.Objects.requireNonNull;

import io.tally.model.Event;

/**
 * One event as stored in a partition of the log.
 *
 * @param offset position in the partition, starting at 0 and rising by 1 per event
 * @param appendTimeMillis when the log accepted it; never decreases along a partition
 */
public record LogRecord(long offset, long appendTimeMillis, Event event) {
  public LogRecord {
    requireNonNull(event, "event");
  }
}
