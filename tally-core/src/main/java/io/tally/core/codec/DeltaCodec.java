package io.tally.core.codec;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.RowCorrection;
import io.tally.core.store.Checkpoint;
import io.tally.core.topk.SlotCorrection;
import io.tally.core.uniques.ActorSketch;
import io.tally.model.Granularity;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of a {@link DeltaRecord}, as carried by the deltas topic. Big-endian; strings are
 * UTF-8 with a u16 length.
 *
 * <pre>
 *  version (u8 = 1 or 2) | flags (u8; bit 0: has checkpoint) | n (i32)
 *  n × [ entity | type | granularity ordinal (u8) | bucket start (i64) | count (i64) | sum (i64)
 *        | version 2 only: A (i32, -1: no actors) | A bytes: the row's actor sketch ]
 *  checkpoint: partition (i32) | next offset (i64) | last append time (i64) | as-of (i64)
 *  flag bit 1 only: m (i32) | m × [ entity | type | granularity ordinal (u8) | bucket start (i64)
 *        | count (i64, signed) | sum (i64, signed) ]: a recount's corrections
 *  flag bit 2 only: k (i32) | k × [ type | window minutes (i32) | slot start (i64) | e (i32)
 *        | e × [ entity | count (i64, signed) ] ]: a recount's corrections of Top-K slots
 * </pre>
 *
 * <p>A record whose deltas carry no actor sketch is written as version 1, byte for byte what builds
 * before version 2 wrote and read; only a record with sketches needs version 2, which an older
 * build refuses loudly ("unknown delta record version 2") rather than misreads. Likewise a record
 * with corrections (flag bit 1, written by a recount in cluster mode only) is refused by a build
 * before them ("unknown delta record flags"), which dead-letters it: recount in cluster mode needs
 * every materializer on a build that knows it. The same holds for Top-K slot corrections (flag bit
 * 2).
 *
 * <p>Stateless and thread-safe.
 */
public final class DeltaCodec {
  private static final byte VERSION = 1;
  private static final byte VERSION_ACTORS = 2;
  private static final int MAX_SKETCH_BYTES = 1 << 22;
  private static final int FLAG_CHECKPOINT = 1;
  private static final int FLAG_CORRECTIONS = 2;
  private static final int FLAG_SLOT_CORRECTIONS = 4;
  private static final Granularity[] GRANULARITIES = Granularity.values();

  private DeltaCodec() {}

  public static byte[] encode(DeltaRecord record) {
    List<EncodedKey> deltaKeys = new ArrayList<>(record.deltas().size());
    List<EncodedKey> correctionKeys = new ArrayList<>(record.corrections().size());
    boolean actors = record.deltas().stream().anyMatch(d -> d.actors() != null);
    int size = 1 + 1 + 4 + (record.checkpoint() == null ? 0 : 4 + 8 + 8 + 8);
    SeriesUtf8 series = new SeriesUtf8();
    for (CounterDelta d : record.deltas()) {
      EncodedKey k = EncodedKey.of(d.key(), series);
      deltaKeys.add(k);
      size += k.bytes() + 8 + 8;
      if (actors) {
        size += 4 + (d.actors() == null ? 0 : d.actors().sizeBytes());
      }
    }
    if (!record.corrections().isEmpty()) {
      size += 4;
      for (RowCorrection c : record.corrections()) {
        EncodedKey k = EncodedKey.of(c.key(), series);
        correctionKeys.add(k);
        size += k.bytes() + 8 + 8;
      }
    }
    byte[] slots = SlotCorrectionCodec.encode(record.slotCorrections());
    size += slots.length;
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put(actors ? VERSION_ACTORS : VERSION);
    out.put(
        (byte)
            ((record.checkpoint() == null ? 0 : FLAG_CHECKPOINT)
                | (record.corrections().isEmpty() ? 0 : FLAG_CORRECTIONS)
                | (slots.length == 0 ? 0 : FLAG_SLOT_CORRECTIONS)));
    out.putInt(record.deltas().size());
    for (int i = 0; i < deltaKeys.size(); i++) {
      CounterDelta d = record.deltas().get(i);
      deltaKeys.get(i).put(out);
      out.putLong(d.count());
      out.putLong(d.sum());
      if (actors) {
        if (d.actors() == null) {
          out.putInt(-1);
        } else {
          byte[] sketch = d.actors().toBytes();
          out.putInt(sketch.length);
          out.put(sketch);
        }
      }
    }
    Checkpoint cp = record.checkpoint();
    if (cp != null) {
      out.putInt(cp.partition());
      out.putLong(cp.nextOffset());
      out.putLong(cp.lastAppendTimeMillis());
      out.putLong(cp.asOfMillis());
    }
    if (!record.corrections().isEmpty()) {
      out.putInt(record.corrections().size());
      for (int i = 0; i < correctionKeys.size(); i++) {
        RowCorrection c = record.corrections().get(i);
        correctionKeys.get(i).put(out);
        out.putLong(c.count());
        out.putLong(c.sum());
      }
    }
    out.put(slots);
    return out.array();
  }

  /** A key with its strings as UTF-8, encoded once for both the record's size and its bytes. */
  private record EncodedKey(CounterKey key, byte[] entity, byte[] type) {
    /** {@code key} encoded, its strings through {@code series} (shared with the key before). */
    static EncodedKey of(CounterKey key, SeriesUtf8 series) {
      series.of(key);
      return new EncodedKey(key, series.entity(), series.type());
    }

    /** entity | type | granularity ordinal (u8) | bucket start (i64); read back by {@link #key}. */
    int bytes() {
      return 2 + entity.length + 2 + type.length + 1 + 8;
    }

    void put(ByteBuffer out) {
      putString(out, entity);
      putString(out, type);
      out.put((byte) key.granularity().ordinal());
      out.putLong(key.bucketStartMillis());
    }
  }

  /**
   * @throws CorruptRecordException when the bytes are not a delta record of this layout
   */
  public static DeltaRecord decode(byte[] bytes) {
    return decode(bytes, null);
  }

  /**
   * Decodes as {@link #decode(byte[])} does, the keys' entities and types through {@code strings}:
   * a record names each series four times (minute, hour, day, total), and a materializer sees the
   * same hot entities step after step, so their strings are made once and their hash codes stay
   * cached.
   *
   * @param strings the calling thread's cache, or {@code null} to decode every string anew
   * @throws CorruptRecordException when the bytes are not a delta record of this layout
   */
  public static DeltaRecord decode(byte[] bytes, StringCache strings) {
    if (bytes == null) {
      throw new CorruptRecordException("a delta record has no value");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    try {
      byte version = in.get();
      if (version != VERSION && version != VERSION_ACTORS) {
        throw new CorruptRecordException("unknown delta record version " + version);
      }
      int flags = in.get() & 0xFF;
      if ((flags & ~(FLAG_CHECKPOINT | FLAG_CORRECTIONS | FLAG_SLOT_CORRECTIONS)) != 0) {
        throw new CorruptRecordException("unknown delta record flags " + flags);
      }
      int n = in.getInt();
      if (n < 0 || n > in.remaining() / (2 + 2 + 1 + 24)) {
        throw new CorruptRecordException(
            "delta count " + n + " does not fit in " + in.remaining() + " bytes");
      }
      List<CounterDelta> deltas = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        CounterKey key = key(in, strings);
        long count = in.getLong();
        long sum = in.getLong();
        ActorSketch sketch = version == VERSION_ACTORS ? sketch(in, key) : null;
        deltas.add(new CounterDelta(key, count, sum, sketch));
      }
      Checkpoint cp = null;
      if ((flags & FLAG_CHECKPOINT) != 0) {
        cp = new Checkpoint(in.getInt(), in.getLong(), in.getLong(), in.getLong());
      }
      List<RowCorrection> corrections = new ArrayList<>();
      if ((flags & FLAG_CORRECTIONS) != 0) {
        int m = in.getInt();
        if (m < 1 || m > in.remaining() / (2 + 2 + 1 + 24)) {
          throw new CorruptRecordException(
              "correction count " + m + " does not fit in " + in.remaining() + " bytes");
        }
        for (int i = 0; i < m; i++) {
          corrections.add(new RowCorrection(key(in, strings), in.getLong(), in.getLong()));
        }
      }
      List<SlotCorrection> slots =
          (flags & FLAG_SLOT_CORRECTIONS) != 0 ? SlotCorrectionCodec.decode(in) : List.of();
      if (in.hasRemaining()) {
        throw new CorruptRecordException(in.remaining() + " trailing bytes after a delta record");
      }
      return new DeltaRecord(deltas, cp, corrections, slots);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new CorruptRecordException("truncated or malformed delta record: " + e);
    }
  }

  private static CounterKey key(ByteBuffer in, StringCache strings) {
    String entity = getString(in, strings);
    String type = getString(in, strings);
    int g = in.get() & 0xFF;
    if (g >= GRANULARITIES.length) {
      throw new CorruptRecordException("unknown granularity " + g);
    }
    return new CounterKey(entity, type, GRANULARITIES[g], in.getLong());
  }

  private static ActorSketch sketch(ByteBuffer in, CounterKey key) {
    int length = in.getInt();
    if (length == -1) {
      return null;
    }
    if (length < 0 || length > MAX_SKETCH_BYTES || length > in.remaining()) {
      throw new CorruptRecordException(
          "actor sketch length " + length + " does not fit in " + in.remaining() + " bytes");
    }
    byte[] b = new byte[length];
    in.get(b);
    return ActorSketch.fromBytes(b, key.toString());
  }

  static byte[] utf8(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > 0xFFFF) {
      throw new IllegalArgumentException("string of " + b.length + " bytes exceeds 65535");
    }
    return b;
  }

  static void putString(ByteBuffer out, byte[] b) {
    out.putShort((short) b.length);
    out.put(b);
  }

  static String getString(ByteBuffer in) {
    return getString(in, null);
  }

  private static String getString(ByteBuffer in, StringCache strings) {
    int length = in.getShort() & 0xFFFF;
    if (length > in.remaining()) {
      throw new CorruptRecordException(
          "string length " + length + " exceeds remaining " + in.remaining());
    }
    int at = in.arrayOffset() + in.position();
    String s =
        strings == null
            ? new String(in.array(), at, length, StandardCharsets.UTF_8)
            : strings.decode(in.array(), at, length);
    in.position(in.position() + length);
    return s;
  }
}
