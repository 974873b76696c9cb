package io.tally.core.process;

import io.tally.core.dedup.DedupWindow;
import io.tally.core.log.LogRecord;
import java.util.List;

/**
 * Hints a {@link DedupWindow} with the identities a run of log records will look up, so that the
 * window's cache misses for them overlap ({@link DedupWindow#expect}, {@link DedupWindow#warm}).
 * Every reader that feeds a window from the log in order uses it: the processor, the rebuild of a
 * window, the raw export and the recount. Without it each lookup's miss into the window's index
 * waits for the one before: the raw export, which did without, spent 17 % of its time in the
 * window's probe (JFR, a cluster node at 27,000 events/s), against 4 % in the processor, which had
 * it. Only a hint: every answer of the window is the same with or without it.
 */
public final class DedupLookAhead {
  private DedupLookAhead() {}

  /**
   * Expects the identities of {@code records[from, to)} at or past {@code fromOffset} that have an
   * id, then warms the window up to the last one's append time. At most {@link
   * DedupWindow#LOOK_AHEAD} records are expected; call it for each such run before sighting it.
   */
  public static void hint(
      DedupWindow window, List<LogRecord> records, int from, int to, long fromOffset) {
    for (int i = from; i < to; i++) {
      LogRecord r = records.get(i);
      if (r.offset() >= fromOffset && r.event().id() != null) {
        window.expect(r.event().entity(), r.event().id());
      }
    }
    window.warm(records.get(to - 1).appendTimeMillis());
  }

  /**
   * For a reader sighting {@code records} one by one: at the start of each run of {@link
   * DedupWindow#LOOK_AHEAD} records ({@code i} a multiple of it), hints the run as {@link #hint}
   * does; elsewhere does nothing.
   */
  public static void hintRunAt(
      DedupWindow window, List<LogRecord> records, int i, long fromOffset) {
    if (i % DedupWindow.LOOK_AHEAD == 0) {
      hint(window, records, i, Math.min(records.size(), i + DedupWindow.LOOK_AHEAD), fromOffset);
    }
  }
}
