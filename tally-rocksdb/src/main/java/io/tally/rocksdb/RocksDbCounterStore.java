package io.tally.rocksdb;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.recount.CounterRows;
import io.tally.core.retention.Retention;
import io.tally.core.retention.TimeRanges;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.ReadReport;
import io.tally.core.topk.SlotCorrection;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKStore;
import io.tally.core.topk.TopKWindow;
import io.tally.core.uniques.ActorSketch;
import io.tally.model.Bucket;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.datasketches.frequencies.ItemsSketch;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Counter rows in the {@code counters} column family ({@link CounterKeyDescriptor}) and the
 * processors' checkpoints ({@link CheckpointDescriptor}), and the Top-K slot sketches derived from
 * the minute deltas ({@link RocksDbTopK}); {@link #expire} enforces retention.
 *
 * <p>As the {@link DeltaSink}, a batch becomes one WriteBatch: a {@code UInt64AddOperator} merge
 * per count and per non-zero sum lane (excess, high), a put of the unioned actor sketch per row
 * with actors ({@link ActorsValueDescriptor}: read, union, put — the one writer of a row is its
 * partition's processor, DESIGN.md invariant 4), a put per checkpoint and a put (or delete) per
 * Top-K slot the batch changed (or expired), so deltas, checkpoints and Top-K land together or not
 * at all. The write is not fsync'd on its own: it follows the log appends it covers in the same
 * write-ahead log, so whatever a crash loses of it is re-derived from the log.
 *
 * <p>A checkpoint becomes visible only once its write has landed ({@link #landing}): once a
 * read-your-writes query sees a checkpoint, the Top-K slots of its batch are committed in memory
 * too. Queries read the landed checkpoints from memory ({@link #landed}); a write's long insert
 * never holds them up.
 *
 * <p>Thread-safe. Queries see it as a read-only {@link CounterStore} and {@link TopKStore}.
 *
 * <p>Over the ~300-line aim because it is the one seam implementation of three roles (sink, store,
 * Top-K view) over one column family; the Top-K slots ({@link RocksDbTopK}) and actor entries
 * ({@link RocksDbActors}) live in their own classes.
 */
public final class RocksDbCounterStore
    implements CounterStore, TopKStore, DeltaSink, CounterRows, AutoCloseable {
  private record Merge(byte[] key, long amount) {}

  private final RocksDbStorage storage;

  /** Beyond this many time ranges, a range read first looks up which ranges hold rows at all. */
  private static final long MAX_RANGES_WITHOUT_BOUNDS = 64;

  private final WriteOptions writeOptions = new WriteOptions();

  /**
   * Shared by the writers (disjoint partitions write at once) from staging their Top-K slots until
   * they are committed in memory; {@link #checkpoint} takes it exclusively, so it never sees a
   * checkpoint whose slots are not yet committed, and so does a recount correcting slots ({@link
   * #replace}), so no batch is staged on slots it corrects, and {@link #snapshot}, so no write is
   * half in the snapshot.
   */
  private final ReentrantReadWriteLock landing = new ReentrantReadWriteLock();

  /**
   * Per partition, the checkpoint of the last write that landed (empty: none stored), published by
   * the writer while it still holds {@link #landing}'s read lock; a partition is loaded from the
   * store, under the write lock, the first time it is asked for.
   */
  private final ConcurrentHashMap<Integer, Optional<Checkpoint>> landed = new ConcurrentHashMap<>();

  /**
   * Per granularity, the range start before which everything was already deleted by {@link
   * #expire}.
   */
  private final java.util.EnumMap<Granularity, Long> expiredBefore =
      new java.util.EnumMap<>(Granularity.class);

  private final RocksDbTopK topK;
  private final RocksDbActors actors;

  /** Counters only: Top-K {@linkplain TopKConfig#DISABLED switched off}. */
  public RocksDbCounterStore(RocksDbStorage storage) {
    this(storage, TopKConfig.DISABLED, InstantSource.system());
  }

  /**
   * Counters and Top-K; loads the stored Top-K slots.
   *
   * @param clock decides which Top-K slots are past their window
   */
  public RocksDbCounterStore(RocksDbStorage storage, TopKConfig topK, InstantSource clock) {
    this.storage = requireNonNull(storage, "storage");
    this.topK = new RocksDbTopK(storage, topK, clock);
    this.actors = new RocksDbActors(storage);
  }

  @Override
  public void write(DeltaBatch batch) {
    // held from the Top-K staging (fed in the pass over the deltas) until its commit
    landing.readLock().lock();
    try {
      writeHoldingLanding(batch);
    } catch (RocksDBException e) {
      throw new TallyException(
          "writing " + batch.deltas().size() + " deltas failed: " + storage.writeFailure(e), e);
    } finally {
      landing.readLock().unlock();
    }
  }

  private void writeHoldingLanding(DeltaBatch batch) throws RocksDBException {
    // Merges go in key order: RocksDB's memtable inserts sorted keys about 2.5x faster than
    // random ones (measured: 1.5 vs 3.8 µs per entry for 400k entries), and these inserts are
    // the embedded mode's dominant cost. An excess entry is written only when it is not 0.
    List<CounterDelta> deltas = batch.deltas();
    List<Merge> merges = new ArrayList<>(deltas.size() * 2);
    List<RocksDbActors.Put> actorPuts = new ArrayList<>();
    RocksDbTopK.Staging topKStaging = topK.stage();
    CounterKey previous = null;
    byte[] series = null;
    for (CounterDelta d : deltas) {
      CounterKey k = d.key();
      if (previous == null
          || !previous.entity().equals(k.entity())
          || !previous.type().equals(k.type())) {
        series = CounterKeyDescriptor.series(k.entity(), k.type());
      }
      previous = k;
      topKStaging.add(d); // after the series' bytes: the entity's chars are in the cache
      merges.add(
          new Merge(CounterKeyDescriptor.key(series, k, CounterKeyDescriptor.COUNT), d.count()));
      long excess = CounterKeyDescriptor.excessPart(d.count(), d.sum());
      if (excess != 0) {
        merges.add(
            new Merge(CounterKeyDescriptor.key(series, k, CounterKeyDescriptor.EXCESS), excess));
      }
      long high = CounterKeyDescriptor.highPart(d.sum());
      if (high != 0) {
        merges.add(new Merge(CounterKeyDescriptor.key(series, k, CounterKeyDescriptor.HIGH), high));
      }
      if (d.actors() != null) {
        actorPuts.add(
            actors.unioned(CounterKeyDescriptor.key(series, k, CounterKeyDescriptor.ACTORS), d));
      }
    }
    merges.sort((a, b) -> Arrays.compareUnsigned(a.key(), b.key()));
    int countersId = storage.counters().getID();
    int mergeBytes = 0;
    for (Merge m : merges) {
      mergeBytes += MergeBatch.bytesOf(countersId, m.key().length);
    }
    MergeBatch encoded = new MergeBatch(storage.counters(), mergeBytes);
    for (Merge m : merges) {
      encoded.mergeU64(m.key(), m.amount());
    }
    try (WriteBatch wb = encoded.toWriteBatch()) {
      for (RocksDbActors.Put p : actorPuts) {
        wb.put(storage.counters(), p.key(), p.value());
      }
      for (Checkpoint cp : batch.checkpoints()) {
        wb.put(
            storage.meta(),
            CheckpointDescriptor.key(cp.partition()),
            CheckpointDescriptor.value(cp));
      }
      RocksDbTopK.Staged topKChanges = topKStaging.finish(batch.checkpoints(), wb);
      storage.write(writeOptions, wb);
      topKChanges.commit();
      for (Checkpoint cp : batch.checkpoints()) {
        landed.put(cp.partition(), Optional.of(cp));
      }
    }
  }

  /**
   * The rows at a RocksDB snapshot, for a recount or audit ({@link RocksDbRowSnapshot}), taken
   * while no write is landing: with unordered writes ({@link RocksDbStorage}) a snapshot taken
   * during a write could hold part of its rows and not its checkpoint.
   */
  @Override
  public CounterRows.Snapshot snapshot() {
    landing.writeLock().lock();
    try {
      return new RocksDbRowSnapshot(storage, topK, this::replace);
    } finally {
      landing.writeLock().unlock();
    }
  }

  @Override
  public TopKConfig topK() {
    return topK.config();
  }

  /**
   * Writes a recount's {@code merges} of partition {@code p}'s rows and its slot {@code
   * corrections} in one synced WriteBatch, with no writer between staging and committing.
   */
  private void replace(int p, WriteBatch merges, List<SlotCorrection> corrections)
      throws RocksDBException {
    landing.writeLock().lock();
    try (WriteOptions sync = new WriteOptions().setSync(true)) {
      RocksDbTopK.Staged slots = topK.correct(p, corrections, merges);
      storage.write(sync, merges);
      slots.commit();
    } finally {
      landing.writeLock().unlock();
    }
  }

  @Override
  public ActorSketch actors(CounterKey key, ReadReport report) {
    return actors.read(key);
  }

  @Override
  public NavigableMap<Long, ActorSketch> actorsRange(
      String entity,
      String type,
      Granularity granularity,
      long fromMillis,
      long toMillis,
      ReadReport report) {
    TreeMap<Long, ActorSketch> out = new TreeMap<>();
    ranges(
        granularity,
        fromMillis,
        toMillis,
        (r, from, to) -> actors.scan(entity, type, granularity, r, from, to, out));
    return out;
  }

  @Override
  public Optional<Checkpoint> checkpoint(int partition) {
    Optional<Checkpoint> known = landed.get(partition);
    if (known != null) {
      return known;
    }
    landing.writeLock().lock(); // no write lands while the stored one is read and published
    try {
      known = landed.get(partition);
      if (known != null) {
        return known;
      }
      byte[] v = storage.db().get(storage.meta(), CheckpointDescriptor.key(partition));
      known = v == null ? Optional.empty() : Optional.of(CheckpointDescriptor.decode(partition, v));
      landed.put(partition, known);
      return known;
    } catch (RocksDBException e) {
      throw new TallyException("reading the checkpoint of partition " + partition + " failed", e);
    } finally {
      landing.writeLock().unlock();
    }
  }

  @Override
  public Bucket read(CounterKey key) {
    try {
      long count = lane(key, CounterKeyDescriptor.COUNT);
      long sum =
          CounterKeyDescriptor.sum(
              count, lane(key, CounterKeyDescriptor.EXCESS), lane(key, CounterKeyDescriptor.HIGH));
      return new Bucket(key.bucketStartMillis(), count, sum);
    } catch (RocksDBException e) {
      throw new TallyException("reading counter " + key + " failed", e);
    }
  }

  private long lane(CounterKey key, byte field) throws RocksDBException {
    return CounterKeyDescriptor.decodeValue(
        storage.db().get(storage.counters(), CounterKeyDescriptor.key(key, field)));
  }

  @Override
  public List<Bucket> range(
      String entity, String type, Granularity granularity, long fromMillis, long toMillis) {
    List<Bucket> out = new ArrayList<>();
    byte[] series = CounterKeyDescriptor.series(entity, type);
    ranges(
        granularity,
        fromMillis,
        toMillis,
        (r, from, to) -> scan(granularity, r, series, from, to, out));
    return out;
  }

  /** Visits a part of {@code [from, to)} within one time range. */
  private interface RangeVisitor {
    void visit(long rangeStart, long fromMillis, long toMillis);
  }

  /**
   * Calls {@code visitor} for each time range of {@code granularity} that {@code [from, to)}
   * touches, in time order.
   */
  private void ranges(
      Granularity granularity, long fromMillis, long toMillis, RangeVisitor visitor) {
    if (fromMillis >= toMillis) {
      return;
    }
    long span = TimeRanges.spanMillis(granularity);
    if (span == 0) {
      visitor.visit(0, fromMillis, toMillis);
      return;
    }
    long first = TimeRanges.rangeStart(granularity, fromMillis);
    long last = TimeRanges.rangeStart(granularity, toMillis - 1);
    if (last / span - first / span > MAX_RANGES_WITHOUT_BOUNDS) {
      // a huge span (queries are limited to a few ranges; this is for direct callers): visit
      // only the ranges between the oldest and newest rows of the granularity
      long[] present = presentRanges(granularity);
      if (present == null) {
        return;
      }
      first = Math.max(first, present[0]);
      last = Math.min(last, present[1]);
    }
    for (long r = first; r <= last; r += span) {
      long rangeEnd = r > Long.MAX_VALUE - span ? Long.MAX_VALUE : r + span;
      visitor.visit(r, Math.max(fromMillis, r), Math.min(toMillis, rangeEnd));
      if (rangeEnd == Long.MAX_VALUE) {
        break;
      }
    }
  }

  /** The oldest and newest range start holding rows of {@code g}, or null when there are none. */
  private long[] presentRanges(Granularity g) {
    byte[] lowest = CounterKeyDescriptor.rangeOf(g, Long.MIN_VALUE);
    try (RocksIterator it = storage.db().newIterator(storage.counters())) {
      it.seek(lowest);
      if (!it.isValid() || !CounterKeyDescriptor.sameGranularity(it.key(), g)) {
        return null;
      }
      long oldest = CounterKeyDescriptor.rangeStart(it.key());
      it.seekForPrev(CounterKeyDescriptor.rangeOf(g, Long.MAX_VALUE));
      long newest =
          it.isValid() && CounterKeyDescriptor.sameGranularity(it.key(), g)
              ? CounterKeyDescriptor.rangeStart(it.key())
              : oldest;
      return new long[] {oldest, newest};
    }
  }

  /** Appends the buckets of {@code series} in one range, {@code [from, to)}, in time order. */
  private void scan(
      Granularity g,
      long rangeStart,
      byte[] series,
      long fromMillis,
      long toMillis,
      List<Bucket> out) {
    try (Slice lower =
            new Slice(CounterKeyDescriptor.bucketBound(g, rangeStart, series, fromMillis));
        Slice upper = new Slice(CounterKeyDescriptor.bucketBound(g, rangeStart, series, toMillis));
        ReadOptions ro = new ReadOptions().setIterateLowerBound(lower).setIterateUpperBound(upper);
        RocksIterator it = storage.db().newIterator(storage.counters(), ro)) {
      long bucket = Long.MIN_VALUE;
      long[] lanes = new long[3]; // count, excess, high
      boolean any = false;
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] key = it.key();
        byte field = CounterKeyDescriptor.field(key);
        if (field == CounterKeyDescriptor.ACTORS) {
          continue; // a sketch, not a u64 lane
        }
        long start = CounterKeyDescriptor.bucketStart(key);
        if (any && start != bucket) {
          if (lanes[0] != 0) { // a row a recount removed: its lanes are 0
            out.add(bucket(bucket, lanes));
          }
          Arrays.fill(lanes, 0);
        }
        bucket = start;
        any = true;
        long v = CounterKeyDescriptor.decodeValue(it.value());
        lanes[
                field == CounterKeyDescriptor.COUNT
                    ? 0
                    : field == CounterKeyDescriptor.HIGH ? 2 : 1] =
            v;
      }
      if (any && lanes[0] != 0) {
        out.add(bucket(bucket, lanes));
      }
    }
  }

  private static Bucket bucket(long start, long[] lanes) {
    return new Bucket(start, lanes[0], CounterKeyDescriptor.sum(lanes[0], lanes[1], lanes[2]));
  }

  /**
   * Deletes every row past {@code retention} at {@code nowMillis} in whole time ranges: for each
   * granularity with a finite retention, one range delete of every range that ends at or before the
   * oldest retained bucket, then a compaction of that key range so the disk space comes back now
   * rather than whenever compaction would get there. Rows of a range that is only partly expired
   * stay until the whole range is (queries do not show them: {@link
   * io.tally.core.query.QueryService} clamps to the retention), so disk holds at most one range (a
   * day of minutes, 30 days of hours) beyond the retention.
   *
   * @return the granularities whose expired ranges were deleted by this call
   */
  public List<Granularity> expire(Retention retention, long nowMillis) {
    List<Granularity> expired = new ArrayList<>();
    for (Granularity g : Granularity.TIMED) {
      if (retention.millis(g) == Retention.FOREVER) {
        continue;
      }
      // ranges that end at or before the oldest retained bucket hold only expired rows
      long cutoff = TimeRanges.rangeStart(g, retention.oldestRetainedBucket(g, nowMillis));
      synchronized (expiredBefore) {
        Long done = expiredBefore.get(g);
        if (done != null && done >= cutoff) {
          continue;
        }
        byte[] begin = CounterKeyDescriptor.rangeOf(g, Long.MIN_VALUE);
        byte[] end = CounterKeyDescriptor.rangeOf(g, cutoff);
        try {
          storage.db().deleteRange(storage.counters(), begin, end);
          storage.db().compactRange(storage.counters(), begin, end);
        } catch (RocksDBException e) {
          throw new TallyException(
              "deleting " + g.wireName() + " rows past retention failed: " + e.getMessage(), e);
        }
        expiredBefore.put(g, cutoff);
        expired.add(g);
      }
    }
    return expired;
  }

  @Override
  public List<ItemsSketch<String>> sketches(
      String type, TopKWindow window, long firstSlotStartMillis) {
    return topK.sketches(type, window, firstSlotStartMillis);
  }

  @Override
  public OptionalLong asOfMillis(int partition) {
    return checkpoint(partition)
        .map(cp -> OptionalLong.of(cp.asOfMillis()))
        .orElse(OptionalLong.empty());
  }

  /** Frees the write options; the storage itself is closed by its owner. */
  @Override
  public void close() {
    writeOptions.close();
  }
}
