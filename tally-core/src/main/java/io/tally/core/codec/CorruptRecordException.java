package io.tally.core.codec;

import io.tally.model.TallyException;

/** Stored bytes do not decode: a bug or disk corruption, never a client's fault. */
public final class CorruptRecordException extends TallyException {
  private static final long serialVersionUID = 1L;

  public CorruptRecordException(String message) {
    super(message);
  }
}
