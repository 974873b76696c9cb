package io.tally.model.json;

import io.tally.model.TallyException;

/**
 * The body as a whole is not acceptable (not JSON, invalid UTF-8, nested too deeply, not an array
 * or object). Nothing of it was accepted; the message says why and is safe to show to the client.
 */
public final class MalformedBodyException extends TallyException {
  private static final long serialVersionUID = 1L;

  public MalformedBodyException(String message) {
    super(message, false);
  }
}
