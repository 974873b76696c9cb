package io.tally.core.process;

/**
 * Whether a processor thread is keeping up with its work.
 *
 * @param ok true while reads and writes succeed
 * @param reason what fails, or "ok"
 * @param failingSinceMillis when the current run of failures began
 * @param consecutiveFailures failed attempts in a row
 */
public record ProcessorHealth(boolean ok, String reason, long failingSinceMillis, long consecutiveFailures) {
  public static final ProcessorHealth OK = new ProcessorHealth(true, "ok", 0, 0);

  static ProcessorHealth failing(String reason, long sinceMillis, long failures) {
    return new ProcessorHealth(false, reason, sinceMillis, failures);
  }
}
