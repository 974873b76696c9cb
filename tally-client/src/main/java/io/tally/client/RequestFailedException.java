package io.tally.client;

/**
 * A request failed for good: the retries were exhausted on retriable failures (the cause is the
 * last one), or the server answered with a status that retrying cannot fix (e.g. 413, a 400 for the
 * body as a whole, 401 for a missing, unknown or revoked API key, 403 for a key without the route's
 * scope), sent once and never retried; the message carries the server's reason, never the key. For
 * an event, the server may or may not have stored it (after a 401 or 403: it did not): sending it
 * again later with the same id is safe (the server deduplicates ids).
 */
public final class RequestFailedException extends TallyClientException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public RequestFailedException(String message, int status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  /** The HTTP status of the last answer, or 0 when there was none (timeout, connection error). */
  public int status() {
    return status;
  }
}
