package io.tally.core.query;

import io.tally.model.TallyException;

/**
 * A read-your-writes query whose position was not counted within its wait: the answer would not
 * hold the caller's writes, so none is given (HTTP 504). The message says how far behind the store
 * is.
 */
public final class PositionNotReachedException extends TallyException {
  private static final long serialVersionUID = 1L;

  private final long behindEvents;

  public PositionNotReachedException(String message, long behindEvents) {
    super(message);
    this.behindEvents = behindEvents;
  }

  /** Log offsets of the position not yet counted, summed over its partitions. */
  public long behindEvents() {
    return behindEvents;
  }
}
