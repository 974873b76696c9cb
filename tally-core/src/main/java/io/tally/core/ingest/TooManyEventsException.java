package io.tally.core.ingest;

import io.tally.model.TallyException;

/** One request carries more events than {@link IngestLimits#maxEventsPerRequest()}. */
public final class TooManyEventsException extends TallyException {
  private static final long serialVersionUID = 1L;

  public TooManyEventsException(int limit) {
    super("a request may carry at most " + limit + " events; split the batch");
  }
}
