package io.tally.client.internal;

import io.tally.client.TallyClientException;

/**
 * One attempt failed in a way another attempt may fix: a timeout, a connection error, 408, 429 or
 * 5xx, or every node's breaker open. The retry policy retries exactly these, waiting at least
 * {@link #retryAfterMillis()} when the server said so.
 */
public final class RetriableException extends TallyClientException {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final long retryAfterMillis;

  public RetriableException(String message, int status, Throwable cause) {
    this(message, status, -1, cause);
  }

  /**
   * @param retryAfterMillis the server's {@code Retry-After} in milliseconds, or -1 when it sent
   *     none
   */
  public RetriableException(String message, int status, long retryAfterMillis, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.retryAfterMillis = retryAfterMillis;
  }

  /** How long the server asked to wait before the next attempt (ms), or -1 when it did not say. */
  public long retryAfterMillis() {
    return retryAfterMillis;
  }

  /** The HTTP status, or 0 when no answer came. */
  public int status() {
    return status;
  }
}
