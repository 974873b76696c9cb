package io.tally.core.ingest;

import io.tally.model.TallyException;

/**
 * A bound is reached; the client should retry the same request after {@link #retryAfterSeconds()}.
 */
public final class OverloadedException extends TallyException {
  private static final long serialVersionUID = 1L;
  private final int retryAfterSeconds;

  public OverloadedException(String message, int retryAfterSeconds) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
