package io.tally.rocksdb;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.codec.CorruptRecordException;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.store.Checkpoint;
import io.tally.core.topk.SlotCorrection;
import io.tally.core.topk.SlotKey;
import io.tally.core.topk.SlotSketches;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKSlots;
import io.tally.core.topk.TopKStore;
import io.tally.core.topk.TopKWindow;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.datasketches.frequencies.ItemsSketch;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Top-K state: each partition's {@link TopKSlots} in memory, persisted in the {@code
 * topk} column family ({@link TopKSlotDescriptor}).
 *
 * <p>A {@link Staging} ({@link #stage}) feeds a batch's minute deltas to their partitions' slots
 * and puts the changed slots (and deletes the expired ones) into the batch's WriteBatch, beside the
 * counter merges and checkpoints; only once that WriteBatch is written are they {@linkplain
 * Staged#commit() committed} in memory. So the stored sketches always match the stored checkpoints:
 * after a crash the processor replays from the checkpoint onto exactly the sketches that do not yet
 * hold those events. The slots are loaded at open; those already past their window are deleted
 * then.
 *
 * <p>Thread-safe: the processor threads write disjoint partitions, so each partition's slots are
 * only staged by one thread (DeltaSink's contract); queries read committed sketches only.
 */
final class RocksDbTopK implements TopKStore {
  private static final Logger LOG = LoggerFactory.getLogger(RocksDbTopK.class);

  private final RocksDbStorage storage;
  private final TopKConfig config;
  private final InstantSource clock;
  private final Partitioner partitioner;
  private final TopKSlots[] slots;

  RocksDbTopK(RocksDbStorage storage, TopKConfig config, InstantSource clock) {
    this.storage = requireNonNull(storage, "storage");
    this.config = requireNonNull(config, "config");
    this.clock = requireNonNull(clock, "clock");
    this.partitioner = new Partitioner(storage.partitions());
    this.slots = new TopKSlots[storage.partitions()];
    for (int p = 0; p < slots.length; p++) {
      slots[p] = new TopKSlots(p, config);
    }
    load();
  }

  /**
   * Loads every stored slot still inside a configured window and deletes the rest. With Top-K
   * switched off nothing is touched (a window switched on later counts from then on).
   */
  private void load() {
    if (!config.enabled()) {
      return;
    }
    long now = clock.millis();
    int loaded = 0;
    try (WriteBatch expired = new WriteBatch();
        RocksIterator it = storage.db().newIterator(storage.topK())) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] key = it.key();
        try {
          TopKSlotDescriptor.Key k = TopKSlotDescriptor.decodeKey(key);
          if (k.partition() >= slots.length
              || !config.windows().contains(k.slot().window())
              || k.slot().window().expired(k.slot().slotStartMillis(), now)) {
            expired.delete(storage.topK(), key);
          } else {
            slots[k.partition()].load(
                k.slot(), TopKSlotDescriptor.sketch(it.value()), TopKSlots.UNPOSITIONED);
            loaded++;
          }
        } catch (CorruptRecordException e) {
          LOG.warn("dropping an unreadable top-K slot: {}", e.getMessage());
          expired.delete(storage.topK(), key);
        }
      }
      if (expired.count() > 0) {
        // safe outside any checkpoint: a slot past its window is never read, nor written again
        try (WriteOptions wo = new WriteOptions()) {
          storage.write(wo, expired);
        }
      }
      if (loaded > 0 || expired.count() > 0) {
        LOG.info(
            "top-K: loaded {} slot sketches, dropped {} past their window",
            loaded,
            expired.count());
      }
    } catch (RocksDBException e) {
      throw new TallyException("loading the top-K slots failed: " + e.getMessage(), e);
    }
  }

  /** What a batch changes, staged in its WriteBatch; {@link #commit()} once that is written. */
  interface Staged {
    void commit();
  }

  /**
   * Starts staging one batch's changes; the caller holds off {@link #correct} (the landing lock of
   * {@link RocksDbCounterStore}) from here to the commit, so no correction lands on slots being
   * staged.
   */
  Staging stage() {
    return new Staging(clock.millis());
  }

  /**
   * One batch's Top-K changes: fed each delta in the caller's own pass over the batch, while the
   * entity's chars are in the cache (a second pass over 100,000 series here found them cold: the
   * shard suffix looked up per entity was ~5–10 % of a processor's samples), then put into the
   * batch's WriteBatch.
   */
  final class Staging {
    private final long now;
    private final Map<Integer, TopKSlots.Update> updates = new HashMap<>();
    private String entity;
    private TopKSlots.Update update;

    private Staging(long now) {
      this.now = now;
    }

    /** Feeds a delta of the batch (only minute rows rank); deltas come grouped by series. */
    void add(CounterDelta d) {
      if (!config.enabled() || d.key().granularity() != Granularity.MINUTE) {
        return;
      }
      if (!d.key().entity().equals(entity)) {
        entity = d.key().entity();
        int partition = DerivedEntities.writerPartition(entity, partitioner);
        update = updates.computeIfAbsent(partition, p -> slots[p].update(now));
      }
      update.add(d, TopKSlots.UNPOSITIONED);
    }

    /**
     * Puts the changed slots, and the expired slots of every partition with a checkpoint in the
     * batch, into {@code wb}; {@link Staged#commit()} once that is written.
     */
    Staged finish(List<Checkpoint> checkpoints, WriteBatch wb) throws RocksDBException {
      if (!config.enabled()) {
        return () -> {};
      }
      for (Checkpoint cp : checkpoints) { // partitions with news also drop their expired slots
        updates.computeIfAbsent(cp.partition(), p -> slots[p].update(now));
      }
      for (Map.Entry<Integer, TopKSlots.Update> e : updates.entrySet()) {
        int p = e.getKey();
        for (Map.Entry<SlotKey, TopKSlots.Slot> s : e.getValue().changed().entrySet()) {
          wb.put(
              storage.topK(),
              TopKSlotDescriptor.key(p, s.getKey()),
              TopKSlotDescriptor.value(s.getValue().bytes()));
        }
        for (SlotKey k : e.getValue().expired()) {
          wb.delete(storage.topK(), TopKSlotDescriptor.key(p, k));
        }
      }
      return () -> updates.values().forEach(TopKSlots.Update::commit);
    }
  }

  /**
   * Applies a recount's corrections of partition {@code p}'s slots to the committed ones and puts
   * the corrected slots into {@code wb}. The caller holds off every writer from {@link #stage} to
   * its commit ({@link RocksDbCounterStore}'s landing lock), so no batch is staged on the slots
   * being corrected.
   */
  Staged correct(int p, List<SlotCorrection> corrections, WriteBatch wb) throws RocksDBException {
    if (!config.enabled() || corrections.isEmpty()) {
      return () -> {};
    }
    TopKSlots.Update u = slots[p].update(clock.millis());
    for (SlotCorrection c : corrections) {
      if (!u.correct(c, TopKSlots.UNPOSITIONED)) {
        LOG.warn(
            "top-K slot {} of partition {} is no longer exact: the recount's correction is not"
                + " applied",
            c.slot(),
            p);
      }
    }
    for (Map.Entry<SlotKey, TopKSlots.Slot> s : u.changed().entrySet()) {
      wb.put(
          storage.topK(),
          TopKSlotDescriptor.key(p, s.getKey()),
          TopKSlotDescriptor.value(s.getValue().bytes()));
    }
    return u::commit;
  }

  /** Partition {@code p}'s stored slots at {@code snapshot}. */
  Map<SlotKey, ItemsSketch<String>> stored(int p, Snapshot snapshot) {
    Map<SlotKey, ItemsSketch<String>> out = new HashMap<>();
    try (Slice lower = new Slice(TopKSlotDescriptor.partitionPrefix(p));
        Slice upper = new Slice(TopKSlotDescriptor.partitionPrefix(p + 1));
        ReadOptions ro =
            new ReadOptions()
                .setSnapshot(snapshot)
                .setIterateLowerBound(lower)
                .setIterateUpperBound(upper);
        RocksIterator it = storage.db().newIterator(storage.topK(), ro)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        TopKSlotDescriptor.Key k = TopKSlotDescriptor.decodeKey(it.key());
        out.put(k.slot(), SlotSketches.deserialize(TopKSlotDescriptor.sketch(it.value())));
      }
    }
    return out;
  }

  TopKConfig config() {
    return config;
  }

  @Override
  public List<ItemsSketch<String>> sketches(
      String type, TopKWindow window, long firstSlotStartMillis) {
    List<ItemsSketch<String>> out = new ArrayList<>();
    for (TopKSlots s : slots) {
      s.collect(type, window, firstSlotStartMillis, out);
    }
    return out;
  }
}
