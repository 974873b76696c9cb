package io.tally.rocksdb;

import io.tally.core.codec.CorruptRecordException;
import io.tally.core.uniques.ActorSketch;
import java.util.Arrays;

/**
 * The value of a counter row's actors entry (field {@code u}, data dir format 4; see {@link
 * CounterKeyDescriptor}): the row's actor sketch, replaced whole (a put, never a merge) by each
 * write that unions a delta's sketch into it.
 *
 * <pre>
 *  0          1
 *  +----------+------------------------------------------------------------+
 *  | v=1 (u8) | Apache DataSketches HLL sketch, compact HLL_4 serialization |
 *  +----------+------------------------------------------------------------+
 * </pre>
 *
 * A value of another version, or whose sketch does not parse, is refused with a {@link
 * CorruptRecordException} naming the row: a damaged sketch is never read as "no actors" or merged
 * over. Stateless and thread-safe.
 */
final class ActorsValueDescriptor {
  static final byte VERSION = 1;

  private ActorsValueDescriptor() {}

  static byte[] encode(ActorSketch sketch) {
    byte[] s = sketch.toBytes();
    byte[] v = new byte[1 + s.length];
    v[0] = VERSION;
    System.arraycopy(s, 0, v, 1, s.length);
    return v;
  }

  /**
   * @param value the stored value, or null for a row without actors (then null)
   * @param where names the row, for the exception
   * @throws CorruptRecordException when the value is not a sketch of this layout
   */
  static ActorSketch decode(byte[] value, Object where) {
    if (value == null) {
      return null;
    }
    if (value.length < 2 || value[0] != VERSION) {
      throw new CorruptRecordException(
          "the actors entry of counter row "
              + where
              + " is damaged: "
              + value.length
              + " bytes, version "
              + (value.length == 0 ? "none" : Byte.toString(value[0]))
              + " (this Tally writes version "
              + VERSION
              + ")");
    }
    return ActorSketch.fromBytes(
        Arrays.copyOfRange(value, 1, value.length), "counter row " + where);
  }
}
