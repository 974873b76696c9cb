package io.tally.rocksdb;

import io.tally.core.aggregate.CounterKey;
import io.tally.model.Granularity;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The layout of the {@code counters} column family. A counter row is up to two entries, both
 * plain 64-bit additions for RocksDB's {@code UInt64AddOperator} merge (values: u64
 * little-endian, as that operator reads them, wrapping mod 2^64):
 *
 * <ul>
 *   <li>field {@code c}: the count;
 *   <li>field {@code s}: the <em>excess</em> {@code Σ (value − 1)} mod 2^64, so that
 *       {@code sum = count + excess}. Events of value 1 — plain counting, the common case — add
 *       nothing here, and a flush whose events all have value 1 writes no {@code s} entry at
 *       all: half the merges, which are the embedded mode's dominant cost. A value of 0 adds
 *       −1, which the wrapping addition handles.
 * </ul>
 *
 * <pre>
 *  0     1          3          3+E   4+E     4+E+T  5+E+T                     13+E+T  14+E+T
 *  +-----+----------+----------+-----+-------+------+-------------------------+-------+
 *  | v=1 | E (u16)  | entity   | T   | type  | gran | bucket start (i64 with  | field |
 *  |     |          | (UTF-8)  |(u8) |(UTF-8)| (u8) | sign bit flipped, BE)   | c | s |
 *  +-----+----------+----------+-----+-------+------+-------------------------+-------+
 *  gran: 0 minute, 1 hour, 2 day, 3 total (bucket start 0).
 * </pre>
 *
 * Flipping the sign bit makes the big-endian bytes sort like the signed times, so the buckets of
 * one (entity, type, granularity) are one contiguous, time-ordered key range, before 1970 too.
 */
final class CounterKeyDescriptor {
  static final byte COUNT = 'c';
  static final byte EXCESS = 's';
  private static final byte VERSION = 1;

  private CounterKeyDescriptor() {}

  /** The key prefix of every row of (entity, type): version, entity and type. */
  static byte[] seriesPrefix(String entity, String type) {
    byte[] e = entity.getBytes(StandardCharsets.UTF_8);
    byte[] t = type.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + 2 + e.length + 1 + t.length)
        .put(VERSION)
        .putShort((short) e.length)
        .put(e)
        .put((byte) t.length)
        .put(t)
        .array();
  }

  /** The key prefix of every bucket of (entity, type, granularity). */
  static byte[] prefix(String entity, String type, Granularity granularity) {
    byte[] series = seriesPrefix(entity, type);
    byte[] p = Arrays.copyOf(series, series.length + 1);
    p[series.length] = (byte) granularity.ordinal();
    return p;
  }

  /** Prefix followed by the bucket start, without the field byte: a range bound. */
  static byte[] bucketBound(byte[] prefix, long bucketStartMillis) {
    return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(bucketStartMillis ^ Long.MIN_VALUE).array();
  }

  static byte[] key(CounterKey key, byte field) {
    return key(seriesPrefix(key.entity(), key.type()), key, field);
  }

  /** The key of {@code key}'s row, given its {@link #seriesPrefix}. */
  static byte[] key(byte[] seriesPrefix, CounterKey key, byte field) {
    return ByteBuffer.allocate(seriesPrefix.length + 10)
        .put(seriesPrefix)
        .put((byte) key.granularity().ordinal())
        .putLong(key.bucketStartMillis() ^ Long.MIN_VALUE)
        .put(field)
        .array();
  }

  static long bucketStart(byte[] key) {
    return ByteBuffer.wrap(key).getLong(key.length - 9) ^ Long.MIN_VALUE;
  }

  static byte field(byte[] key) {
    return key[key.length - 1];
  }

  static byte[] encodeValue(long v) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (v >>> (8 * i));
    }
    return b;
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
}
