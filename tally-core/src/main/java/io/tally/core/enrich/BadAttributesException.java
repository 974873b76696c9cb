package io.tally.core.enrich;

import io.tally.model.TallyException;

/**
 * An entity or its attributes break a rule; the message names it and is safe to show the client.
 */
public final class BadAttributesException extends TallyException {
  private static final long serialVersionUID = 1L;

  public BadAttributesException(String message) {
    super(message);
  }
}
