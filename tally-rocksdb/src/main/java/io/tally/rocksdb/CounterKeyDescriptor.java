package io.tally.rocksdb;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.retention.TimeRanges;
import io.tally.model.Granularity;
import io.tally.model.Sums;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The layout of the {@code counters} column family. A counter row is up to three entries, all plain
 * 64-bit additions for RocksDB's {@code UInt64AddOperator} merge (values: u64 little-endian, as
 * that operator reads them, wrapping mod 2^64). A delta of count {@code c} and sum {@code s} splits
 * its sum into a low part {@code s mod 2^20} and a high part {@code s >>> 20}:
 *
 * <ul>
 *   <li>field {@code c}: the count;
 *   <li>field {@code s}: the <em>excess</em> {@code Σ (low part − c)} mod 2^64, so that {@code low
 *       = count + excess}. Events of value 1 — plain counting, the common case — add nothing here,
 *       and a flush whose events all have value 1 writes no {@code s} entry at all: half the
 *       merges, which are the embedded mode's dominant cost. A value of 0 adds −1, which the
 *       wrapping addition handles;
 *   <li>field {@code h} (data dir format 3): {@code Σ high part}, written only when not 0 (a row's
 *       flush sum of 2^20 = 1,048,576 or more);
 *   <li>field {@code u} (data dir format 4): the row's actor sketch, not a u64 lane: written with a
 *       put of the union of the stored sketch and the delta's ({@link ActorsValueDescriptor}), only
 *       for rows whose events had actors. Readers of the u64 lanes skip it.
 * </ul>
 *
 * <p>{@code sum = low + 2^20 · high}, exactly, while the count is below 2^43 ({@link #sum}): every
 * delta has a count of at least 1 and a low part below 2^20, so {@code low < count · 2^20 < 2^63}
 * cannot wrap; values are at most 2^40 ({@link
 * io.tally.core.validate.ValidationLimits#MAX_VALUE_LIMIT}), so {@code high < 2^63} cannot either.
 * A sum of 2^63 − 1 or more, or a row of 2^43 events or more, reads as {@link Sums#OVERFLOW}: the
 * merges are blind, and a single u64 lane could not tell 5 from 2^64 + 5. Rows of a format-2 dir
 * kept their whole sum in {@code s}, which reads the same as long as it stayed below 2^63; rows
 * that had reached it are marked when the dir is upgraded ({@link SumLanesUpgrade}).
 *
 * <pre>
 *  0     1      2                 10         12         12+E  13+E    13+E+T                  21+E+T  22+E+T
 *  +-----+------+-----------------+----------+----------+-----+-------+-----------------------+-------+
 *  | v=2 | gran | range start     | E (u16)  | entity   | T   | type  | bucket start          | field |
 *  |     | (u8) | (i64 ^ sign, BE)|          | (UTF-8)  |(u8) |(UTF-8)| (i64 ^ sign, BE)      |c|h|s|u|
 *  +-----+------+-----------------+----------+----------+-----+-------+-----------------------+-------+
 *  gran: 0 minute, 1 hour, 2 day, 3 total (range start and bucket start 0).
 * </pre>
 *
 * Time comes first: the rows of one granularity are grouped by {@link TimeRanges time range} (a day
 * of minutes, 30 days of hours, 360 days of days) before entity and type, so retention drops every
 * series' expired rows with one range delete per granularity ({@link #rangeOf}), and a series of
 * one range is still one contiguous, time-ordered key range (a 24-hour minute series is at most two
 * seeks). Flipping the sign bit makes the big-endian bytes sort like the signed times, before 1970
 * too.
 *
 * <p>Layout 1 (data dirs of format 1) put the entity first: {@code [v=1][E][entity][T][type]
 * [gran][bucket][field]}; {@link #fromLayout1} translates its keys, once, when such a dir opens.
 */
final class CounterKeyDescriptor {
  static final byte COUNT = 'c';
  static final byte EXCESS = 's';
  static final byte HIGH = 'h';
  static final byte ACTORS = 'u';

  /** Bits of a delta's sum kept in the excess lane; the rest go to the high lane. */
  static final int LOW_BITS = 20;

  private static final long LOW_MASK = (1L << LOW_BITS) - 1;

  /** From this count on a row's low lane could have wrapped, so its sum is not provably exact. */
  static final long MAX_EXACT_COUNT = 1L << 43;

  static final byte VERSION = 2;
  private static final byte VERSION_1 = 1;

  private CounterKeyDescriptor() {}

  /** {@code [E][entity][T][type]}: the part of a key naming the series, encoded once per series. */
  static byte[] series(String entity, String type) {
    byte[] e = entity.getBytes(StandardCharsets.UTF_8);
    byte[] t = type.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(2 + e.length + 1 + t.length)
        .putShort((short) e.length)
        .put(e)
        .put((byte) t.length)
        .put(t)
        .array();
  }

  static byte[] key(CounterKey key, byte field) {
    return key(series(key.entity(), key.type()), key, field);
  }

  /** The key of {@code key}'s row, given its {@link #series}. */
  static byte[] key(byte[] series, CounterKey key, byte field) {
    Granularity g = key.granularity();
    return ByteBuffer.allocate(10 + series.length + 9)
        .put(VERSION)
        .put((byte) g.ordinal())
        .putLong(TimeRanges.rangeStart(g, key.bucketStartMillis()) ^ Long.MIN_VALUE)
        .put(series)
        .putLong(key.bucketStartMillis() ^ Long.MIN_VALUE)
        .put(field)
        .array();
  }

  /**
   * Bound of the rows of {@code series} in one range, at {@code bucketStartMillis} (no field byte).
   */
  static byte[] bucketBound(Granularity g, long rangeStart, byte[] series, long bucketStartMillis) {
    return ByteBuffer.allocate(10 + series.length + 8)
        .put(VERSION)
        .put((byte) g.ordinal())
        .putLong(rangeStart ^ Long.MIN_VALUE)
        .put(series)
        .putLong(bucketStartMillis ^ Long.MIN_VALUE)
        .array();
  }

  /**
   * {@code [v][gran][range start]}: where the rows of one granularity's range begin; a range-delete
   * bound.
   */
  static byte[] rangeOf(Granularity g, long rangeStart) {
    return ByteBuffer.allocate(10)
        .put(VERSION)
        .put((byte) g.ordinal())
        .putLong(rangeStart ^ Long.MIN_VALUE)
        .array();
  }

  /** Whether {@code key} is a layout-2 row of granularity {@code g}. */
  static boolean sameGranularity(byte[] key, Granularity g) {
    return key.length > 10 && key[0] == VERSION && key[1] == (byte) g.ordinal();
  }

  /** The range start of a layout-2 key. */
  static long rangeStart(byte[] key) {
    return ByteBuffer.wrap(key).getLong(2) ^ Long.MIN_VALUE;
  }

  /** Whether {@code key} is a layout-1 key (data dirs of format 1). */
  static boolean isLayout1(byte[] key) {
    return key.length > 0 && key[0] == VERSION_1;
  }

  /** The layout-2 key of a layout-1 key: same row, same field. */
  static byte[] fromLayout1(byte[] key) {
    ByteBuffer b = ByteBuffer.wrap(key);
    b.get(); // version
    int e = Short.toUnsignedInt(b.getShort());
    b.position(b.position() + e);
    int t = Byte.toUnsignedInt(b.get());
    b.position(b.position() + t);
    int seriesEnd = b.position();
    Granularity g = Granularity.values()[b.get()];
    long bucket = b.getLong() ^ Long.MIN_VALUE;
    byte field = b.get();
    byte[] series = java.util.Arrays.copyOfRange(key, 1, seriesEnd);
    return ByteBuffer.allocate(10 + series.length + 9)
        .put(VERSION)
        .put((byte) g.ordinal())
        .putLong(TimeRanges.rangeStart(g, bucket) ^ Long.MIN_VALUE)
        .put(series)
        .putLong(bucket ^ Long.MIN_VALUE)
        .put(field)
        .array();
  }

  /** The row a layout-2 key belongs to (any field). */
  static CounterKey counterKey(byte[] key) {
    ByteBuffer b = ByteBuffer.wrap(key);
    b.position(1);
    Granularity g = Granularity.values()[b.get()];
    b.position(10);
    int e = Short.toUnsignedInt(b.getShort());
    String entity = new String(key, 12, e, StandardCharsets.UTF_8);
    int t = Byte.toUnsignedInt(key[12 + e]);
    String type = new String(key, 13 + e, t, StandardCharsets.UTF_8);
    return new CounterKey(entity, type, g, bucketStart(key));
  }

  /** Whether {@code a} and {@code b} are keys of the same row (they differ in the field only). */
  static boolean sameRow(byte[] a, byte[] b) {
    return a.length == b.length && java.util.Arrays.equals(a, 0, a.length - 1, b, 0, b.length - 1);
  }

  static long bucketStart(byte[] key) {
    return ByteBuffer.wrap(key).getLong(key.length - 9) ^ Long.MIN_VALUE;
  }

  static byte field(byte[] key) {
    return key[key.length - 1];
  }

  /** What a delta of {@code count} and {@code sum} adds to the excess lane (mod 2^64). */
  static long excessPart(long count, long sum) {
    return (sum & LOW_MASK) - count;
  }

  /** What a delta's {@code sum} adds to the high lane. */
  static long highPart(long sum) {
    return sum >>> LOW_BITS;
  }

  /**
   * The exact sum of a row from its three lanes as stored (each mod 2^64; 0 when absent), or {@link
   * Sums#OVERFLOW} when it is 2^63 − 1 or more or cannot be proven exact.
   */
  static long sum(long count, long excess, long high) {
    if (Long.compareUnsigned(count, MAX_EXACT_COUNT) >= 0) {
      return Sums.OVERFLOW;
    }
    long low = count + excess;
    if (low < 0 || Long.compareUnsigned(high, 1L << (63 - LOW_BITS)) >= 0) {
      return Sums.OVERFLOW;
    }
    return Sums.add(low, high << LOW_BITS);
  }

  static byte[] encodeValue(long v) {
    byte[] b = new byte[8];
    encodeValue(v, b, 0);
    return b;
  }

  /** Writes a lane's value ({@code v}, u64 little-endian) into {@code to} at {@code at}. */
  static void encodeValue(long v, byte[] to, int at) {
    for (int i = 0; i < 8; i++) {
      to[at + i] = (byte) (v >>> (8 * i));
    }
  }

  static long decodeValue(byte[] b) {
    if (b == null) {
      return 0;
    }
    long v = 0;
    for (int i = 0; i < Math.min(8, b.length); i++) {
      v |= (b[i] & 0xFFL) << (8 * i);
    }
    return v;
  }

  /** Rewrites layout-1 counter keys as layout 2, 10,000 entries per atomic WriteBatch. */
  static long convertLayout1(org.rocksdb.RocksDB db, org.rocksdb.ColumnFamilyHandle counters)
      throws org.rocksdb.RocksDBException {
    long converted = 0;
    byte[] end = {2};
    while (true) {
      int n = 0;
      try (org.rocksdb.WriteBatch wb = new org.rocksdb.WriteBatch();
          org.rocksdb.RocksIterator it = db.newIterator(counters)) {
        for (it.seek(new byte[] {1}); it.isValid() && n < 10_000; it.next()) {
          byte[] key = it.key();
          if (!isLayout1(key)) {
            break;
          }
          wb.put(counters, fromLayout1(key), it.value());
          wb.delete(counters, key);
          n++;
        }
        if (n == 0) {
          break;
        }
        try (org.rocksdb.WriteOptions sync = new org.rocksdb.WriteOptions().setSync(true)) {
          db.write(sync, wb);
        }
      }
      converted += n;
    }
    db.compactRange(counters, new byte[] {1}, end);
    return converted;
  }
}
