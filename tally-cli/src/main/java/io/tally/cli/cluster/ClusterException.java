package io.tally.cli.cluster;

/** The demo cluster cannot do what was asked; the message says why and what to do, for people. */
final class ClusterException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ClusterException(String message) {
    super(message);
  }

  ClusterException(String message, Throwable cause) {
    super(message, cause);
  }
}
