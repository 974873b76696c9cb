package io.tally.server;

/**
 * Operations settings: what {@code /readyz} requires. docs/operations.md explains each.
 *
 * @param readyMaxBacklogEvents most events logged but not yet applied by the processors while the
 *     node still reports ready ({@code --ready-max-backlog}); beyond it {@code /readyz} answers 503
 */
public record OpsConfig(long readyMaxBacklogEvents) {
  /**
   * Ready while at most a million events wait to be counted (ingest pushes back at five million).
   */
  public static final OpsConfig DEFAULTS = new OpsConfig(1_000_000);

  public OpsConfig {
    if (readyMaxBacklogEvents < 0) {
      throw new IllegalArgumentException(
          "ready max backlog must not be negative, got " + readyMaxBacklogEvents);
    }
  }
}
