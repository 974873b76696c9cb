package io.tally.rocksdb;

import static java.util.Objects.requireNonNull;

import io.tally.core.codec.StringCache;
import io.tally.core.log.EventBatch;
import io.tally.core.log.EventLog;
import io.tally.core.log.LogHead;
import io.tally.core.log.LogRecord;
import io.tally.model.Event;
import io.tally.model.Position;
import io.tally.model.TallyException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded event log: record batches in the {@code log} column family ({@link
 * LogBatchDescriptor}).
 *
 * <h2>Group commit</h2>
 *
 * Appends queue up for one appender thread, which takes everything waiting (up to {@value
 * #MAX_EVENTS_PER_WRITE} events), gives it one append time and consecutive offsets, writes it as
 * one WriteBatch (one stored batch per partition) and, under {@link FsyncPolicy#ALWAYS}, syncs once
 * for all of it before completing every caller's future. Append times are taken from the clock but
 * never decrease. After each write, and every {@value #TICK_MILLIS} ms when idle, the thread
 * publishes the {@link LogHead heads}: since only it assigns append times, every future record's
 * time is at or after the published one.
 *
 * <p>Thread-safe. Reads run on the callers' threads; each reading thread decodes entities and types
 * through its own {@link StringCache} (at most a few MB, held while the thread and this log live),
 * so a processor decodes each hot entity once, not once per event.
 */
public final class RocksDbEventLog implements EventLog {
  private static final Logger LOG = LoggerFactory.getLogger(RocksDbEventLog.class);
  static final int MAX_EVENTS_PER_WRITE = 200_000;
  static final long TICK_MILLIS = 50;

  private record Pending(EventBatch batch, CompletableFuture<Position> done) {}

  private record Heads(long[] endOffsets, long completeBeforeMillis) {}

  private final RocksDbStorage storage;
  private final InstantSource clock;
  private final FsyncPolicy fsync;
  private final int partitions;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final long[] startOffsets;
  private final Thread appender;
  private final Thread syncer;
  private final WriteOptions writeOptions;
  private final ReadOptions[] partitionReads;
  private final List<Slice> slices = new ArrayList<>();
  private volatile Heads heads;
  private final ThreadLocal<StringCache> strings = ThreadLocal.withInitial(StringCache::new);
  private final LongAdder groupCommits = new LongAdder();
  private final LongAdder groupCommitEvents = new LongAdder();
  private volatile boolean closed;
  private boolean released;
  private long lastAppendTimeMillis;

  public RocksDbEventLog(RocksDbStorage storage, InstantSource clock, FsyncPolicy fsync) {
    this.storage = requireNonNull(storage, "storage");
    this.clock = requireNonNull(clock, "clock");
    this.fsync = requireNonNull(fsync, "fsync");
    this.partitions = storage.partitions();
    this.writeOptions = new WriteOptions().setSync(fsync.syncEachAppend());
    this.startOffsets = new long[partitions];
    this.partitionReads = new ReadOptions[partitions];
    for (int p = 0; p < partitions; p++) {
      partitionReads[p] = bounded(p, slices);
    }
    long[] ends = new long[partitions];
    long lastTime = Long.MIN_VALUE;
    for (int p = 0; p < partitions; p++) {
      try (RocksIterator it = iterator(p)) {
        it.seekToFirst();
        if (it.isValid()) {
          startOffsets[p] = LogBatchDescriptor.baseOffset(it.key());
          it.seekToLast();
          byte[] v = it.value();
          ends[p] = LogBatchDescriptor.baseOffset(it.key()) + LogBatchDescriptor.count(v);
          lastTime = Math.max(lastTime, LogBatchDescriptor.appendTime(v));
        }
      }
    }
    lastAppendTimeMillis = Math.max(lastTime, clock.millis());
    heads = new Heads(ends, lastAppendTimeMillis);
    appender = new Thread(this::appendLoop, "tally-log-appender");
    appender.start();
    if (!fsync.syncEachAppend()) {
      syncer = new Thread(this::syncLoop, "tally-log-syncer");
      syncer.setDaemon(true);
      syncer.start();
    } else {
      syncer = null;
    }
  }

  /** Group commits (one write, and one fsync under {@link FsyncPolicy#ALWAYS}) since start. */
  public long groupCommits() {
    return groupCommits.sum();
  }

  /**
   * Events written by all group commits since start: over {@link #groupCommits()}, the mean group
   * size.
   */
  public long groupCommitEvents() {
    return groupCommitEvents.sum();
  }

  @Override
  public int partitions() {
    return partitions;
  }

  @Override
  public CompletableFuture<Position> append(EventBatch batch) {
    if (batch.partitions() != partitions) {
      throw new IllegalArgumentException(
          "batch built for " + batch.partitions() + " partitions, log has " + partitions);
    }
    CompletableFuture<Position> done = new CompletableFuture<>();
    synchronized (queue) { // with stopAppends: nothing is queued after the appender's last drain
      if (closed) {
        done.completeExceptionally(new TallyException("event log is closed"));
      } else {
        queue.add(new Pending(batch, done));
      }
    }
    return done;
  }

  private void appendLoop() {
    List<Pending> group = new ArrayList<>();
    while (!closed || !queue.isEmpty()) {
      try {
        Pending first = queue.poll(TICK_MILLIS, TimeUnit.MILLISECONDS);
        if (first == null) {
          tick();
          continue;
        }
        group.add(first);
        int events = first.batch().size();
        Pending next;
        while (events < MAX_EVENTS_PER_WRITE && (next = queue.poll()) != null) {
          group.add(next);
          events += next.batch().size();
        }
        write(group);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        LOG.error("log appender failed", e);
        group.forEach(g -> g.done().completeExceptionally(e));
      } finally {
        group.clear();
      }
    }
    Pending p;
    while ((p = queue.poll()) != null) {
      p.done().completeExceptionally(new TallyException("event log is closed"));
    }
  }

  private void tick() {
    long now = clock.millis();
    if (now > lastAppendTimeMillis) {
      lastAppendTimeMillis = now;
      heads = new Heads(heads.endOffsets(), now);
    }
  }

  private void write(List<Pending> group) {
    long appendTime = Math.max(lastAppendTimeMillis, clock.millis());
    long[] ends = heads.endOffsets().clone();
    Position[] positions = new Position[group.size()];
    Arrays.fill(positions, Position.EMPTY);
    try (WriteBatch wb = new WriteBatch()) {
      for (int p = 0; p < partitions; p++) {
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < group.size(); i++) {
          List<Event> mine = group.get(i).batch().events(p);
          if (!mine.isEmpty()) {
            events.addAll(mine);
            // in the stored batch, this request's events end here
            positions[i] = positions[i].merge(Position.of(p, ends[p] + events.size()));
          }
        }
        if (!events.isEmpty()) {
          wb.put(
              storage.log(),
              LogBatchDescriptor.key(p, ends[p]),
              LogBatchDescriptor.value(appendTime, events));
          ends[p] += events.size();
        }
      }
      storage.write(writeOptions, wb);
    } catch (RocksDBException e) {
      TallyException failure =
          new TallyException("appending to the log failed: " + storage.writeFailure(e), e);
      group.forEach(g -> g.done().completeExceptionally(failure));
      LOG.error("appending {} requests to the log failed", group.size(), e);
      return;
    }
    lastAppendTimeMillis = appendTime;
    heads = new Heads(ends, appendTime);
    groupCommits.increment();
    for (Pending g : group) {
      groupCommitEvents.add(g.batch().size());
    }
    for (int i = 0; i < group.size(); i++) {
      group.get(i).done().complete(positions[i]);
    }
  }

  private void syncLoop() {
    while (!closed) {
      try {
        Thread.sleep(fsync.intervalMillis());
        storage.syncWalUnlessWritesFail();
      } catch (InterruptedException e) {
        return;
      } catch (RocksDBException e) {
        LOG.error("periodic fsync of the log failed", e);
      }
    }
  }

  @Override
  public List<LogRecord> read(int partition, long fromOffset, int maxRecords) {
    checkPartition(partition);
    long end = heads.endOffsets()[partition];
    if (fromOffset >= end) {
      return new ArrayList<>();
    }
    // sized for the read up front: growing it copied the list a dozen times per poll
    List<LogRecord> out =
        new ArrayList<>((int) Math.min(Math.min(maxRecords, end - fromOffset), 1 << 16));
    StringCache cache = strings.get();
    try (RocksIterator it = iterator(partition)) {
      seekBatch(it, partition, fromOffset);
      for (; it.isValid() && out.size() < maxRecords; it.next()) {
        long base = LogBatchDescriptor.baseOffset(it.key());
        if (base >= end) {
          break;
        }
        LogBatchDescriptor.decode(base, it.value(), fromOffset, out, cache);
      }
    }
    return out;
  }

  @Override
  public LogHead head(int partition) {
    checkPartition(partition);
    Heads h = heads;
    return new LogHead(h.endOffsets()[partition], h.completeBeforeMillis());
  }

  @Override
  public synchronized long startOffset(int partition) {
    checkPartition(partition);
    return startOffsets[partition];
  }

  @Override
  public long offsetForTime(int partition, long appendTimeMillis) {
    checkPartition(partition);
    long lo = startOffset(partition);
    long hi = heads.endOffsets()[partition];
    byte[] header = new byte[LogBatchDescriptor.HEADER_BYTES];
    try (RocksIterator it = iterator(partition)) {
      while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (!seekBatch(it, partition, mid)) {
          return hi;
        }
        long base = LogBatchDescriptor.baseOffset(it.key());
        it.value(header);
        if (base > mid) {
          // mid lies below the first stored batch: retention deleted it since lo was read
          lo = Math.min(base, hi);
        }
        if (LogBatchDescriptor.appendTime(header) >= appendTimeMillis) {
          hi = Math.min(hi, base);
        } else {
          lo = Math.max(lo, base + LogBatchDescriptor.count(header));
        }
      }
    }
    return lo;
  }

  @Override
  public synchronized void deleteBefore(int partition, long offset) {
    checkPartition(partition);
    long keepFrom;
    try (RocksIterator it = iterator(partition)) {
      it.seekForPrev(LogBatchDescriptor.key(partition, offset));
      if (!it.isValid()) {
        return;
      }
      byte[] header = new byte[LogBatchDescriptor.HEADER_BYTES];
      it.value(header);
      long base = LogBatchDescriptor.baseOffset(it.key());
      keepFrom =
          base + LogBatchDescriptor.count(header) <= offset
              ? base + LogBatchDescriptor.count(header)
              : base;
    }
    if (keepFrom <= startOffsets[partition]) {
      return;
    }
    try {
      storage
          .db()
          .deleteRange(
              storage.log(),
              LogBatchDescriptor.key(partition, 0),
              LogBatchDescriptor.key(partition, keepFrom));
      startOffsets[partition] = keepFrom;
    } catch (RocksDBException e) {
      throw new TallyException("deleting old log records failed: " + e.getMessage(), e);
    }
  }

  /**
   * Positions {@code it} on the stored batch holding {@code offset}, or, when retention deleted it,
   * on the first batch after it. Returns false if the partition has no such batch.
   */
  private static boolean seekBatch(RocksIterator it, int partition, long offset) {
    it.seekForPrev(LogBatchDescriptor.key(partition, offset));
    if (!it.isValid()) {
      it.seek(LogBatchDescriptor.key(partition, offset));
    }
    return it.isValid();
  }

  private RocksIterator iterator(int partition) {
    return storage.db().newIterator(storage.log(), partitionReads[partition]);
  }

  private static ReadOptions bounded(int partition, List<Slice> slices) {
    Slice lower = new Slice(LogBatchDescriptor.key(partition, 0));
    Slice upper = new Slice(LogBatchDescriptor.key(partition, Long.MAX_VALUE));
    slices.add(lower);
    slices.add(upper);
    return new ReadOptions().setIterateLowerBound(lower).setIterateUpperBound(upper);
  }

  private void checkPartition(int partition) {
    if (partition < 0 || partition >= partitions) {
      throw new IllegalArgumentException(
          "partition " + partition + " out of [0, " + partitions + ")");
    }
  }

  /**
   * Stops accepting appends, writes what is queued and syncs it. Reads keep working until {@link
   * #close()}. Idempotent.
   */
  public synchronized void stopAppends() {
    if (closed) {
      return;
    }
    synchronized (queue) {
      closed = true;
    }
    try {
      appender.join();
      if (syncer != null) {
        syncer.interrupt();
        syncer.join();
      }
      storage.syncWalUnlessWritesFail();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RocksDBException e) {
      LOG.warn("final fsync of the log failed", e);
    }
  }

  /** {@link #stopAppends()}, then releases the read resources; no reads may follow. */
  @Override
  public synchronized void close() {
    if (released) {
      return;
    }
    stopAppends();
    released = true;
    writeOptions.close();
    for (ReadOptions ro : partitionReads) {
      ro.close();
    }
    slices.forEach(Slice::close);
  }
}
