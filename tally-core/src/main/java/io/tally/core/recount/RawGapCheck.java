package io.tally.core.recount;

import io.tally.core.raw.RawGap;
import java.time.Instant;
import java.util.List;

/**
 * Refuses a recount or audit whose range may hold events the raw store lacks for good ({@link
 * RawGap}): rebuilt from that store, its rows would silently drop them. Stateless; thread-safe.
 */
final class RawGapCheck {
  private RawGapCheck() {}

  /**
   * @param maxFutureMillis how far after its append time an event time may lie
   * @throws RecountRefusedException ({@link RecountRefusedException.Reason#RAW_GAP}) naming the
   *     first gap whose events may lie in {@code range}
   */
  static void refuseIfLacking(RecountRange range, List<RawGap> gaps, long maxFutureMillis) {
    for (RawGap g : gaps) {
      if (g.mayHoldEventsIn(range.fromMillis(), range.toMillis(), maxFutureMillis)) {
        throw new RecountRefusedException(
            RecountRefusedException.Reason.RAW_GAP,
            "the raw store lacks "
                + g
                + ", deleted from the log before they were exported; their event times may lie"
                + " between "
                + Instant.ofEpochMilli(g.fromAppendMillis())
                + " and "
                + Instant.ofEpochMilli(g.toAppendMillis() + maxFutureMillis)
                + ", in the range "
                + range
                + ": it cannot be recounted or audited from the raw store");
      }
    }
  }
}
