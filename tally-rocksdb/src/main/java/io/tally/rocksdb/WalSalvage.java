package io.tally.rocksdb;

import java.util.OptionalLong;

/**
 * What opening a data dir with {@code salvageWal} found and dropped: RocksDB recovered its
 * write-ahead log up to the last intact record (point in time), so counters, checkpoints and the
 * event log agree with each other, but acknowledged writes after the damage are gone.
 *
 * @param damage what was wrong, in RocksDB's and Tally's words
 * @param recoveredSequence the last RocksDB sequence number that survived
 * @param recordedSequence the last sequence number recorded as durable before ({@link
 *     WalWatermark}); empty if none was recorded (a data dir of an older layout, or a damaged
 *     watermark)
 */
public record WalSalvage(String damage, long recoveredSequence, OptionalLong recordedSequence) {

  /**
   * Sequence numbers recorded as durable that did not survive (each put of an event batch, counter
   * row or checkpoint takes one), or -1 if unknown.
   */
  public long lostSequenceNumbers() {
    return recordedSequence.isPresent() && recordedSequence.getAsLong() > recoveredSequence
        ? recordedSequence.getAsLong() - recoveredSequence
        : recordedSequence.isPresent() ? 0 : -1;
  }

  /** One line for the log and {@code /healthz}. */
  public String describe() {
    String lost =
        lostSequenceNumbers() > 0
            ? "sequence numbers "
                + (recoveredSequence + 1)
                + " to "
                + recordedSequence.getAsLong()
                + " ("
                + lostSequenceNumbers()
                + " writes: event batches, counter rows and checkpoints) were lost"
            : lostSequenceNumbers() == 0
                ? "everything up to the last recorded sequence number "
                    + recordedSequence.getAsLong()
                    + " survived; writes after it (at most the last second before the damage) may"
                    + " be lost"
                : "no durable sequence number was recorded, so how much was lost is unknown";
    return "write-ahead log salvaged: "
        + damage
        + "; kept everything up to sequence number "
        + recoveredSequence
        + "; "
        + lost;
  }
}
