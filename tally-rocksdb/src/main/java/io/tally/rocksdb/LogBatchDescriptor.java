package io.tally.rocksdb;

import io.tally.core.codec.CorruptRecordException;
import io.tally.core.codec.EventCodec;
import io.tally.core.codec.StringCache;
import io.tally.core.log.LogRecord;
import io.tally.model.Event;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The layout of the {@code log} column family: one entry per stored record batch.
 *
 * <pre>
 * key (12 bytes, big-endian, so entries sort by partition, then offset):
 *  0                 4                                  12
 *  +-----------------+----------------------------------+
 *  | partition (u32) | base offset (i64, ≥ 0)           |
 *  +-----------------+----------------------------------+
 *
 * value:
 *  0         1                   9             13
 *  +---------+-------------------+-------------+----------------------------------+
 *  | ver = 1 | append time (i64) | count (u32) | count events, {@link EventCodec} v1 |
 *  +---------+-------------------+-------------+----------------------------------+
 * </pre>
 *
 * The records of a batch have offsets {@code base .. base + count − 1} and share the append time.
 */
final class LogBatchDescriptor {
  static final int KEY_BYTES = 12;
  static final int HEADER_BYTES = 13;
  private static final byte VERSION = 1;

  private LogBatchDescriptor() {}

  static byte[] key(int partition, long offset) {
    return ByteBuffer.allocate(KEY_BYTES).putInt(partition).putLong(offset).array();
  }

  static int partition(byte[] key) {
    return ByteBuffer.wrap(key).getInt(0);
  }

  static long baseOffset(byte[] key) {
    return ByteBuffer.wrap(key).getLong(4);
  }

  static byte[] value(long appendTimeMillis, List<Event> events) {
    // each event's strings are encoded once, for the size and then the write
    byte[][] strings = new byte[EventCodec.STRINGS * events.size()][];
    int size = HEADER_BYTES;
    for (int i = 0; i < events.size(); i++) {
      size += EventCodec.strings(events.get(i), strings, EventCodec.STRINGS * i);
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put(VERSION).putLong(appendTimeMillis).putInt(events.size());
    for (int i = 0; i < events.size(); i++) {
      EventCodec.write(events.get(i), strings, EventCodec.STRINGS * i, out);
    }
    return out.array();
  }

  /** Append time from a value (or from at least its first {@link #HEADER_BYTES} bytes). */
  static long appendTime(byte[] value) {
    checkVersion(value);
    return ByteBuffer.wrap(value).getLong(1);
  }

  static int count(byte[] value) {
    checkVersion(value);
    return ByteBuffer.wrap(value).getInt(9);
  }

  /**
   * Adds the records at offsets ≥ {@code fromOffset} to {@code out}, decoding entities and types
   * through {@code strings} (the calling thread's, or null).
   */
  static void decode(
      long baseOffset, byte[] value, long fromOffset, List<LogRecord> out, StringCache strings) {
    checkVersion(value);
    ByteBuffer in = ByteBuffer.wrap(value);
    long appendTime = in.getLong(1);
    int count = in.getInt(9);
    in.position(HEADER_BYTES);
    for (int i = 0; i < count; i++) {
      Event e = EventCodec.read(in, strings);
      if (baseOffset + i >= fromOffset) {
        out.add(new LogRecord(baseOffset + i, appendTime, e));
      }
    }
  }

  private static void checkVersion(byte[] value) {
    if (value.length < HEADER_BYTES || value[0] != VERSION) {
      throw new CorruptRecordException(
          "log batch of unknown version or truncated (" + value.length + " bytes)");
    }
  }
}
