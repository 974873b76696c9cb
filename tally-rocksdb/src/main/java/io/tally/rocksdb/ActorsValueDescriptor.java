package io.tally.rocksdb;

import io.tally.core.codec.CorruptRecordException;
import io.tally.core.uniques.ActorSketch;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The value of a counter row's actors entry (field {@code u}, data dir format 4; see {@link
 * CounterKeyDescriptor}): the row's actor sketch, replaced whole (a put, never a merge) by each
 * write that unions a delta's sketch into it.
 *
 * <pre>
 *  0          1                5
 *  +----------+----------------+------------------------------------------------------------+
 *  | v=1 (u8) | CRC32C of the  | Apache DataSketches HLL sketch, compact HLL_4 serialization |
 *  |          | sketch (u32 BE)|                                                            |
 *  +----------+----------------+------------------------------------------------------------+
 * </pre>
 *
 * A value of another version, whose checksum does not match, or whose sketch does not parse, is
 * refused with a {@link CorruptRecordException} naming the row: a damaged sketch is never read as
 * "no actors" or merged over. Stateless and thread-safe.
 */
final class ActorsValueDescriptor {
  static final byte VERSION = 1;
  private static final int HEADER = 1 + 4;

  private ActorsValueDescriptor() {}

  private static int crc(byte[] b, int from) {
    CRC32C crc = new CRC32C();
    crc.update(b, from, b.length - from);
    return (int) crc.getValue();
  }

  static byte[] encode(ActorSketch sketch) {
    byte[] s = sketch.toBytes();
    return ByteBuffer.allocate(HEADER + s.length).put(VERSION).putInt(crc(s, 0)).put(s).array();
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
    if (value.length <= HEADER
        || value[0] != VERSION
        || ByteBuffer.wrap(value).getInt(1) != crc(value, HEADER)) {
      throw new CorruptRecordException(
          "the actors entry of counter row "
              + where
              + " is damaged: "
              + value.length
              + " bytes, version "
              + (value.length == 0 ? "none" : Byte.toString(value[0]))
              + " (this Tally writes version "
              + VERSION
              + "), or its checksum does not match");
    }
    return ActorSketch.fromBytes(
        Arrays.copyOfRange(value, HEADER, value.length), "counter row " + where);
  }
}
