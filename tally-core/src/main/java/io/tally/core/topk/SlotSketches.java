package io.tally.core.topk;

import io.tally.core.codec.CorruptRecordException;
import org.apache.datasketches.common.ArrayOfStringsSerDe;
import org.apache.datasketches.common.SketchesException;
import org.apache.datasketches.frequencies.ItemsSketch;
import org.apache.datasketches.memory.Memory;

/**
 * The durable form of a slot sketch: the library's own serialization of an {@code
 * ItemsSketch<String>} with {@link ArrayOfStringsSerDe} (UTF-8 items), which carries its own
 * preamble, version and family id. Both stores keep exactly these bytes.
 *
 * <p>Thread-safe and stateless.
 */
public final class SlotSketches {
  private static final ArrayOfStringsSerDe SERDE = new ArrayOfStringsSerDe();

  private SlotSketches() {}

  public static byte[] serialize(ItemsSketch<String> sketch) {
    return sketch.toByteArray(SERDE);
  }

  /**
   * A new sketch read from {@code bytes}.
   *
   * @throws CorruptRecordException if the bytes are not a frequent-items sketch of strings
   */
  public static ItemsSketch<String> deserialize(byte[] bytes) {
    try {
      return ItemsSketch.getInstance(Memory.wrap(bytes), SERDE);
    } catch (SketchesException | IndexOutOfBoundsException e) {
      throw new CorruptRecordException("not a top-K slot sketch: " + e.getMessage());
    }
  }
}
