package io.tally.rocksdb;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.uniques.ActorSketch;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import java.util.Map;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

/**
 * The actors entries of counter rows ({@link ActorsValueDescriptor}, field {@code u} of {@link
 * CounterKeyDescriptor}) for {@link RocksDbCounterStore}: the read-union-put of a delta's sketch,
 * and reads. A damaged entry fails the read or write with a {@link
 * io.tally.core.codec.CorruptRecordException} naming the row; it is never merged over.
 *
 * <p>Thread-safe. A row's entry is only written by its partition's processor (DESIGN.md invariant
 * 4), so reading it before the WriteBatch that replaces it races with no other writer.
 */
final class RocksDbActors {
  /** A put of one row's actors entry. */
  record Put(byte[] key, byte[] value) {}

  private final RocksDbStorage storage;

  RocksDbActors(RocksDbStorage storage) {
    this.storage = requireNonNull(storage, "storage");
  }

  /** The stored sketch of {@code d}'s row unioned with {@code d}'s, as the put that stores it. */
  Put unioned(byte[] key, CounterDelta d) {
    try {
      ActorSketch stored =
          ActorsValueDescriptor.decode(storage.db().get(storage.counters(), key), d.key());
      return new Put(key, ActorsValueDescriptor.encode(ActorSketch.merge(stored, d.actors())));
    } catch (RocksDBException e) {
      throw new TallyException(
          "reading the actors of " + d.key() + " failed: " + e.getMessage(), e);
    }
  }

  /** The sketch of row {@code key}, or null. */
  ActorSketch read(CounterKey key) {
    try {
      return ActorsValueDescriptor.decode(
          storage
              .db()
              .get(storage.counters(), CounterKeyDescriptor.key(key, CounterKeyDescriptor.ACTORS)),
          key);
    } catch (RocksDBException e) {
      throw new TallyException("reading the actors of " + key + " failed", e);
    }
  }

  /**
   * Puts the sketches of (entity, type) in one time range, {@code [from, to)}, into {@code out}.
   */
  void scan(
      String entity,
      String type,
      Granularity g,
      long rangeStart,
      long fromMillis,
      long toMillis,
      Map<Long, ActorSketch> out) {
    byte[] series = CounterKeyDescriptor.series(entity, type);
    try (Slice lower =
            new Slice(CounterKeyDescriptor.bucketBound(g, rangeStart, series, fromMillis));
        Slice upper = new Slice(CounterKeyDescriptor.bucketBound(g, rangeStart, series, toMillis));
        ReadOptions ro = new ReadOptions().setIterateLowerBound(lower).setIterateUpperBound(upper);
        RocksIterator it = storage.db().newIterator(storage.counters(), ro)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (CounterKeyDescriptor.field(key) == CounterKeyDescriptor.ACTORS) {
          long start = CounterKeyDescriptor.bucketStart(key);
          out.put(
              start,
              ActorsValueDescriptor.decode(it.value(), new CounterKey(entity, type, g, start)));
        }
      }
    }
  }
}
