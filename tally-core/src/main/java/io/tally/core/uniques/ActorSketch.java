package io.tally.core.uniques;

import static java.util.Objects.requireNonNull;

import io.tally.core.codec.CorruptRecordException;
import io.tally.model.Uniques;
import java.util.Arrays;
import java.util.Base64;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;
import org.apache.datasketches.memory.Memory;

/**
 * The distinct actors of one counter row (or of one flush's delta for it): an immutable, serialized
 * Apache DataSketches HLL sketch in its compact HLL_4 form, the bytes every store keeps as the
 * row's {@code actors} value (DataSketches' own documented, versioned format).
 *
 * <p>The sketch lists the hashes of its actors while there are few ("coupon" mode, exact but for a
 * 26-bit hash collision: 4 bytes per actor), then switches to 2^lgK registers of 4 bits (HLL mode,
 * {@code 2^(lgK-1) + 40} bytes at most).
 *
 * <p>Immutable and thread-safe; equal when the bytes are equal.
 */
public final class ActorSketch {
  /** Mode bits of the sketch preamble's byte 7: 0 list, 1 set (both exact), 2 HLL. */
  private static final int MODE_BYTE = 7;

  private static final int HLL_MODE = 2;
  private static final int STD_DEVS_95 = 2;

  private final byte[] bytes;

  private ActorSketch(byte[] bytes) {
    this.bytes = bytes;
  }

  /**
   * The sketch of {@code sketch}'s actors, in canonical form: unioned with itself, which leaves its
   * registers as they are but marks an HLL-mode sketch "out of order", so that its estimate comes
   * from the registers alone (DataSketches' composite estimator) rather than from the order of its
   * updates (the HIP estimator). Only then is a row's estimate the same however often a delta was
   * unioned into it: a union changes no register twice, but would switch the estimator.
   */
  static ActorSketch of(HllSketch sketch) {
    byte[] compact = sketch.toCompactByteArray();
    if ((compact[MODE_BYTE] & 3) != HLL_MODE) {
      return new ActorSketch(compact); // a list of hashes: its estimate does not depend on order
    }
    Union u = new Union(sketch.getLgConfigK());
    u.update(sketch);
    u.update(sketch);
    return new ActorSketch(u.getResult(TgtHllType.HLL_4).toCompactByteArray());
  }

  /**
   * Reads stored bytes, checking that they parse as an HLL sketch of an allowed lgK. DataSketches
   * does not check every byte (a flipped register goes unnoticed): a store that must refuse any
   * damage keeps a checksum beside the bytes (tally-rocksdb's actors entry does).
   *
   * @param where names the bytes' place (a row key) in the exception
   * @throws CorruptRecordException naming {@code where} when they are not a valid HLL sketch
   */
  public static ActorSketch fromBytes(byte[] bytes, String where) {
    requireNonNull(bytes, "bytes");
    String problem;
    try {
      HllSketch s = HllSketch.heapify(Memory.wrap(bytes));
      int lgK = s.getLgConfigK();
      problem = lgK < UniquesConfig.MIN_LG_K || lgK > UniquesConfig.MAX_LG_K ? "lgK " + lgK : null;
    } catch (RuntimeException e) { // DataSketches throws several kinds on bad bytes
      problem = e.toString();
    }
    if (problem != null) {
      throw new CorruptRecordException(
          "the actor sketch of " + where + " is damaged (" + bytes.length + " bytes): " + problem);
    }
    return new ActorSketch(bytes.clone());
  }

  /** The serialized sketch (a copy). */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** Serialized size in bytes. */
  public int sizeBytes() {
    return bytes.length;
  }

  HllSketch sketch() {
    return HllSketch.heapify(Memory.wrap(bytes));
  }

  /**
   * The union of {@code stored} and {@code delta}: what a store keeps after applying a delta.
   * Idempotent: {@code merge(merge(a, d), d)} has the actors of {@code merge(a, d)}. The result has
   * the smaller lgK of two sketches in HLL mode (a union can only lose precision), else the larger.
   *
   * @param stored the row's sketch, or null for a row without one
   */
  public static ActorSketch merge(ActorSketch stored, ActorSketch delta) {
    requireNonNull(delta, "delta");
    if (stored == null) {
      return delta;
    }
    HllSketch a = stored.sketch();
    HllSketch b = delta.sketch();
    Union u = new Union(Math.max(a.getLgConfigK(), b.getLgConfigK()));
    u.update(a);
    u.update(b);
    return of(u.getResult(TgtHllType.HLL_4));
  }

  /** Whether the sketch still lists its actors' hashes (so its estimate is a count). */
  public boolean exact() {
    return (bytes[MODE_BYTE] & 3) != HLL_MODE;
  }

  /** The estimate and its 95 % bounds. */
  public Uniques estimate() {
    return estimate(sketch(), exact());
  }

  static Uniques estimate(HllSketch s, boolean exact) {
    if (s.isEmpty()) {
      return Uniques.NONE;
    }
    long estimate = Math.round(s.getEstimate());
    if (exact) {
      return new Uniques(estimate, estimate, estimate, true);
    }
    long lower = Math.min(estimate, (long) Math.floor(s.getLowerBound(STD_DEVS_95)));
    long upper = Math.max(estimate, (long) Math.ceil(s.getUpperBound(STD_DEVS_95)));
    return new Uniques(estimate, lower, upper, false);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ActorSketch other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "ActorSketch[" + Base64.getEncoder().encodeToString(bytes) + "]";
  }
}
