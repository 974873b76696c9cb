package io.tally.core;

/** Root of Tally's own exceptions; the subtype says which policy handles it. */
public class TallyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TallyException(String message) {
    super(message);
  }

  public TallyException(String message, Throwable cause) {
    super(message, cause);
  }
}
