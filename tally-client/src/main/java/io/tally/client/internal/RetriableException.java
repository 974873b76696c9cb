package io.tally.client.internal;

import io.tally.client.TallyClientException;

/**
 * One attempt failed in a way another attempt may fix: a timeout, a connection error, 5xx or
 * 429, or every node's breaker open. The retry policy retries exactly these.
 */
public final class RetriableException extends TallyClientException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public RetriableException(String message, int status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  /** The HTTP status, or 0 when no answer came. */
  public int status() {
    return status;
  }
}
