package io.tally.rocksdb;

import io.tally.core.codec.CorruptRecordException;
import io.tally.core.store.Checkpoint;
import java.nio.ByteBuffer;

/**
 * The layout of checkpoints in the default column family, written in the same WriteBatch as the
 * counter merges they cover.
 *
 * <pre>
 * key:   "checkpoint/" (ASCII) + partition (u32 BE)
 * value: 0         1                  9                         17                25
 *        +---------+------------------+-------------------------+-----------------+
 *        | ver = 1 | next offset (i64)| last append time (i64)  | as of (i64)     |
 *        +---------+------------------+-------------------------+-----------------+
 * </pre>
 */
final class CheckpointDescriptor {
  private static final byte[] PREFIX =
      "checkpoint/".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte VERSION = 1;

  private CheckpointDescriptor() {}

  static byte[] key(int partition) {
    return ByteBuffer.allocate(PREFIX.length + 4).put(PREFIX).putInt(partition).array();
  }

  static byte[] value(Checkpoint cp) {
    return ByteBuffer.allocate(25)
        .put(VERSION)
        .putLong(cp.nextOffset())
        .putLong(cp.lastAppendTimeMillis())
        .putLong(cp.asOfMillis())
        .array();
  }

  static Checkpoint decode(int partition, byte[] value) {
    if (value.length != 25 || value[0] != VERSION) {
      throw new CorruptRecordException(
          "checkpoint of partition " + partition + " has an unknown format");
    }
    ByteBuffer in = ByteBuffer.wrap(value);
    return new Checkpoint(partition, in.getLong(1), in.getLong(9), in.getLong(17));
  }
}
