package io.tally.core.query;

import io.tally.model.TallyException;

/** A query parameter is missing or wrong; the message names it and is safe to show the client. */
public final class BadQueryException extends TallyException {
  private static final long serialVersionUID = 1L;

  public BadQueryException(String message) {
    super(message);
  }
}
