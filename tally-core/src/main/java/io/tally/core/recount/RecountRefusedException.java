package io.tally.core.recount;

import io.tally.model.TallyException;

/** A recount or audit that cannot be done; the message says why and may be shown to the client. */
public final class RecountRefusedException extends TallyException {
  private static final long serialVersionUID = 1L;

  /** Why: the client's range, or the state of the raw store. */
  public enum Reason {
    /** Not whole hours, empty or too long. */
    BAD_RANGE,
    /** The range ends after the raw store's as-of: not every event of it is exported yet. */
    NOT_EXPORTED,
    /** The range starts before what the raw store (or every counter granularity) still keeps. */
    PAST_RETENTION,
    /**
     * The range may hold events the raw store lacks for good ({@link io.tally.core.raw.RawGap}).
     */
    RAW_GAP
  }

  private final Reason reason;

  public RecountRefusedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
