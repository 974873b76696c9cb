package io.tally.client;

/**
 * The client's event buffer was full and the {@link BufferFullPolicy} gave up on the event: it was
 * never sent.
 */
public final class BufferFullException extends TallyClientException {
  private static final long serialVersionUID = 1L;

  public BufferFullException(String message) {
    super(message);
  }
}
