package io.tally.core.partition;

import java.nio.charset.StandardCharsets;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * Maps an entity to its partition: {@code floorMod(murmur3_x86_32(utf8(entity), seed 0), P)}.
 *
 * <p>This mapping is a durable contract (DESIGN.md invariant 4): every row of an entity is written
 * by exactly one partition's processor, in both modes, and P is fixed when a data dir or topic is
 * created. Changing the hash or P re-homes entities and would break that.
 *
 * <p>Immutable and thread-safe.
 */
public final class Partitioner {
  /** Largest supported partition count. */
  public static final int MAX_PARTITIONS = 4096;

  private final int partitions;

  public Partitioner(int partitions) {
    if (partitions < 1 || partitions > MAX_PARTITIONS) {
      throw new IllegalArgumentException(
          "partitions must be between 1 and " + MAX_PARTITIONS + ", got " + partitions);
    }
    this.partitions = partitions;
  }

  public int partitions() {
    return partitions;
  }

  /** The partition of {@code entity}, in {@code [0, partitions)}. */
  public int partition(String entity) {
    return Math.floorMod(hash(entity), partitions);
  }

  /** murmur3 x86 32-bit of the entity's UTF-8 bytes, seed 0. */
  public static int hash(String entity) {
    byte[] bytes = entity.getBytes(StandardCharsets.UTF_8);
    return MurmurHash3.hash32x86(bytes, 0, bytes.length, 0);
  }
}
