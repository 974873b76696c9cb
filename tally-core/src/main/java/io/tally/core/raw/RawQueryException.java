package io.tally.core.raw;

import io.tally.model.TallyException;

/** A SQL query over the raw store was refused or failed; the message is for the client. */
public final class RawQueryException extends TallyException {
  private static final long serialVersionUID = 1L;

  /** Why a query did not answer: the client's statement, or the bounds it ran into. */
  public enum Reason {
    /** Not one read-only query, or invalid SQL: the client's fault. */
    REFUSED,
    /** Ran longer than the time limit. */
    TIMEOUT,
    /** Needed more memory than the bound. */
    TOO_LARGE,
    /** The raw store is off or failed. */
    UNAVAILABLE
  }

  private final Reason reason;

  public RawQueryException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
