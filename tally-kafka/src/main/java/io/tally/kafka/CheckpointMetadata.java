package io.tally.kafka;

import io.tally.core.store.Checkpoint;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;

/**
 * A {@link Checkpoint} as Kafka keeps it: the committed offset is the next offset, and the offset's
 * metadata string carries the rest ({@code v1;<lastAppendTime>;<asOf>}), committed in the same
 * transaction as the deltas.
 */
final class CheckpointMetadata {
  private static final String PREFIX = "v1;";

  private CheckpointMetadata() {}

  static String format(Checkpoint cp) {
    return PREFIX + cp.lastAppendTimeMillis() + ";" + cp.asOfMillis();
  }

  /** The checkpoint of {@code partition} committed as {@code committed}; initial if none. */
  static Checkpoint parse(int partition, OffsetAndMetadata committed) {
    if (committed == null) {
      return Checkpoint.initial(partition);
    }
    String m = committed.metadata();
    if (m != null && m.startsWith(PREFIX)) {
      String[] parts = m.substring(PREFIX.length()).split(";");
      if (parts.length == 2) {
        try {
          return new Checkpoint(
              partition, committed.offset(), Long.parseLong(parts[0]), Long.parseLong(parts[1]));
        } catch (NumberFormatException e) {
          // fall through: treat as a checkpoint without dedup history
        }
      }
    }
    // committed by something else: resume there, but the dedup window cannot be rebuilt
    return new Checkpoint(partition, committed.offset(), Long.MIN_VALUE, 0L);
  }
}
