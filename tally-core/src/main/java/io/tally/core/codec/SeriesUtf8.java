package io.tally.core.codec;

import io.tally.core.aggregate.CounterKey;

/**
 * The UTF-8 of a series' entity and type, kept from the last key asked for: the rows of one series
 * come one after another (a flush drains them minute, hour, day, total, and sinks keep that order),
 * so most keys find their strings encoded already. Used by {@link DeltaCodec} and by the Cassandra
 * writer.
 *
 * <p>Not thread-safe; one per encoding pass.
 */
public final class SeriesUtf8 {
  private String entityString;
  private String typeString;
  private byte[] entity;
  private byte[] type;

  /**
   * Encodes {@code key}'s entity and type, unless they equal the last key's.
   *
   * @return this, holding their bytes
   * @throws IllegalArgumentException for a string of more than 65,535 bytes
   */
  public SeriesUtf8 of(CounterKey key) {
    if (!key.entity().equals(entityString)) {
      entity = DeltaCodec.utf8(key.entity());
      entityString = key.entity();
    }
    if (!key.type().equals(typeString)) {
      type = DeltaCodec.utf8(key.type());
      typeString = key.type();
    }
    return this;
  }

  /** The last key's entity as UTF-8; not to be modified. */
  public byte[] entity() {
    return entity;
  }

  /** The last key's type as UTF-8; not to be modified. */
  public byte[] type() {
    return type;
  }
}
