package io.tally.rocksdb;

import io.tally.core.codec.CorruptRecordException;
import io.tally.core.topk.SlotKey;
import io.tally.core.topk.TopKWindow;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The layout of the {@code topk} column family: one entry per (partition, type, window, slot)
 * holding that slot's frequent-items sketch ({@link io.tally.core.topk.SlotSketches}).
 *
 * <pre>
 * key:   0     1                5     6      6+T                10+T                     18+T
 *        +-----+----------------+-----+------+------------------+------------------------+
 *        | v=1 | partition (u32 | T   | type | window minutes   | slot start (i64, sign  |
 *        |     | BE)            |(u8) |(UTF8)| (u32 BE)         | bit flipped, BE)       |
 *        +-----+----------------+-----+------+------------------+------------------------+
 * value: [v=1 u8][sketch bytes]
 * </pre>
 *
 * Keys of one partition are contiguous, so a partition loads with one prefix scan.
 */
final class TopKSlotDescriptor {
  private static final byte VERSION = 1;

  private TopKSlotDescriptor() {}

  /** A decoded key. */
  record Key(int partition, SlotKey slot) {}

  static byte[] key(int partition, SlotKey k) {
    byte[] t = k.type().getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(18 + t.length)
        .put(VERSION)
        .putInt(partition)
        .put((byte) t.length)
        .put(t)
        .putInt((int) (k.window().millis() / 60_000))
        .putLong(k.slotStartMillis() ^ Long.MIN_VALUE)
        .array();
  }

  /** The first 5 bytes of every key of {@code partition}. */
  static byte[] partitionPrefix(int partition) {
    return ByteBuffer.allocate(5).put(VERSION).putInt(partition).array();
  }

  static Key decodeKey(byte[] key) {
    try {
      ByteBuffer in = ByteBuffer.wrap(key);
      if (in.get() != VERSION) {
        throw new CorruptRecordException("top-K slot key has an unknown version");
      }
      int partition = in.getInt();
      byte[] t = new byte[in.get() & 0xFF];
      in.get(t);
      TopKWindow window = new TopKWindow(in.getInt() * 60_000L);
      long start = in.getLong() ^ Long.MIN_VALUE;
      if (in.hasRemaining()) {
        throw new CorruptRecordException("top-K slot key is too long");
      }
      return new Key(partition, new SlotKey(new String(t, StandardCharsets.UTF_8), window, start));
    } catch (RuntimeException e) {
      if (e instanceof CorruptRecordException c) {
        throw c;
      }
      throw new CorruptRecordException("top-K slot key is malformed: " + e.getMessage());
    }
  }

  static byte[] value(byte[] sketch) {
    byte[] v = new byte[sketch.length + 1];
    v[0] = VERSION;
    System.arraycopy(sketch, 0, v, 1, sketch.length);
    return v;
  }

  static byte[] sketch(byte[] value) {
    if (value.length < 1 || value[0] != VERSION) {
      throw new CorruptRecordException("top-K slot value has an unknown version");
    }
    return Arrays.copyOfRange(value, 1, value.length);
  }
}
