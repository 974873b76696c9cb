package io.tally.cli.cluster;

import io.tally.model.TallyException;

/** The demo cluster cannot do what was asked; the message says why and what to do, for people. */
final class ClusterException extends TallyException {
  private static final long serialVersionUID = 1L;

  ClusterException(String message) {
    super(message);
  }

  ClusterException(String message, Throwable cause) {
    super(message, cause);
  }
}
