package io.tally.core.process;

/**
 * Whether a processor thread is keeping up with its work.
 *
 * @param ok true while reads and writes succeed
 * @param reason what fails, or "ok"
 * @param failingSinceMillis when the current run of failures began
 * @param consecutiveFailures failed attempts in a row
 */
public record ProcessorHealth(
    boolean ok, String reason, long failingSinceMillis, long consecutiveFailures) {
  public static final ProcessorHealth OK = new ProcessorHealth(true, "ok", 0, 0);

  /** A failing state; {@code failures} of {@link Long#MAX_VALUE} means it stopped for good. */
  public static ProcessorHealth failing(String reason, long sinceMillis, long failures) {
    return new ProcessorHealth(false, reason, sinceMillis, failures);
  }

  /** Whether the thread stopped for good ({@link WorkerRunner}): it will never be OK again. */
  public boolean stoppedForGood() {
    return !ok && consecutiveFailures == Long.MAX_VALUE;
  }

  /** The health after one more failed attempt at {@code nowMillis}: the run of failures goes on. */
  public ProcessorHealth afterFailure(String reason, long nowMillis) {
    return ok
        ? new ProcessorHealth(false, reason, nowMillis, 1)
        : new ProcessorHealth(false, reason, failingSinceMillis, consecutiveFailures + 1);
  }
}
