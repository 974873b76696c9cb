package io.tally.core.topk;

import io.tally.core.codec.CorruptRecordException;
import java.util.HashMap;
import java.util.Map;
import org.apache.datasketches.common.ArrayOfStringsSerDe;
import org.apache.datasketches.common.SketchesException;
import org.apache.datasketches.frequencies.ErrorType;
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

  /**
   * The item that keeps a purged sketch's error. The library serializes a sketch without active
   * counters as an empty one, and merges such a sketch as nothing, so a sketch whose purge dropped
   * every counter (small sketches, many entities) would lose its maximum error: the upper bound of
   * an entity counted in that slot would fall below its true count. Such a sketch gets this item
   * with count 1 before it is serialized. No entity can be named so (validation refuses control
   * characters), and rankings skip it ({@link #isEntity}).
   */
  static final String KEEPS_ERROR = "\u0000";

  private SlotSketches() {}

  /**
   * The bytes of {@code sketch}; a sketch without counters but with an error first gets {@link
   * #KEEPS_ERROR}, in the object too, so what is stored and what is held in memory agree.
   */
  public static byte[] serialize(ItemsSketch<String> sketch) {
    if (sketch.getNumActiveItems() == 0 && sketch.getMaximumError() > 0) {
      sketch.update(KEEPS_ERROR, 1);
    }
    return sketch.toByteArray(SERDE);
  }

  /** Whether an item of a slot sketch is an entity (not {@link #KEEPS_ERROR}). */
  public static boolean isEntity(String item) {
    return !KEEPS_ERROR.equals(item);
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

  /**
   * A new sketch holding what {@code sketch} holds: every item with its count, the same maximum
   * error, stream length and map size, so that it answers and goes on counting as {@code sketch}
   * read back from its bytes would ({@code SlotSketchesTest} checks both). It shares the item
   * strings instead of decoding new ones: 1.4× (a full 1,024-entry sketch) to 4× (a small one)
   * faster than the read-back a staged slot started from before.
   */
  public static ItemsSketch<String> copy(ItemsSketch<String> sketch) {
    // the capacity is 3/4 of the (power of two) map size the sketch was built with
    int maxMapSize = sketch.getMaximumMapCapacity() / 3 * 4;
    return new ItemsSketch<String>(maxMapSize).merge(sketch);
  }

  /**
   * Whether {@code sketch} holds every entity it was given with its exact count: it never purged
   * (fewer than {@code 0.75 × sketchSize} distinct entities were added), so its error is 0.
   */
  public static boolean isExact(ItemsSketch<String> sketch) {
    return sketch.getMaximumError() == 0;
  }

  /**
   * The count of every entity of an {@linkplain #isExact exact} sketch (null: an absent slot, no
   * entities).
   */
  public static Map<String, Long> counts(ItemsSketch<String> sketch) {
    Map<String, Long> out = new HashMap<>();
    if (sketch != null) {
      for (ItemsSketch.Row<String> r : sketch.getFrequentItems(ErrorType.NO_FALSE_NEGATIVES)) {
        if (isEntity(r.getItem())) {
          out.put(r.getItem(), r.getLowerBound());
        }
      }
    }
    return out;
  }

  /**
   * A new sketch of {@code sketchSize} holding each entity of the {@linkplain #isExact exact}
   * {@code sketch} (null: none) with its count plus its entry in {@code difference} (signed);
   * entities that end at 0 or below are left out. Exact as long as fewer than {@code 0.75 ×
   * sketchSize} entities remain.
   *
   * @throws IllegalArgumentException if {@code sketch} is not exact: its counts are not the
   *     entities' counts, so a difference cannot be applied to them
   */
  public static ItemsSketch<String> corrected(
      ItemsSketch<String> sketch, Map<String, Long> difference, int sketchSize) {
    if (sketch != null && !isExact(sketch)) {
      throw new IllegalArgumentException("only an exact slot sketch can be corrected");
    }
    Map<String, Long> counts = counts(sketch);
    difference.forEach((entity, d) -> counts.merge(entity, d, Long::sum));
    ItemsSketch<String> out = new ItemsSketch<>(sketchSize);
    counts.entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.comparingByKey()) // the same sketch for the same counts
        .forEach(e -> out.update(e.getKey(), e.getValue()));
    return out;
  }
}
