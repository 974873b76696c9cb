package io.tally.model;

/**
 * Root of Tally's own exceptions, in every module (here in tally-model so that the model's JSON
 * readers and the SDK share it); the subtype says which policy handles it.
 */
public class TallyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TallyException(String message) {
    super(message);
  }

  public TallyException(String message, Throwable cause) {
    super(message, cause);
  }

  /** For exceptions thrown often, as answers to bad input: without a stack trace. */
  protected TallyException(String message, boolean writableStackTrace) {
    super(message, null, false, writableStackTrace);
  }
}
