package io.tally.client;

/** The root of every exception the SDK raises or completes a future with. */
public class TallyClientException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TallyClientException(String message) {
    super(message);
  }

  public TallyClientException(String message, Throwable cause) {
    super(message, cause);
  }
}
