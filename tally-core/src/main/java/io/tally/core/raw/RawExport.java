package io.tally.core.raw;

import static java.util.Objects.requireNonNull;

import io.tally.core.dedup.DedupWindow;
import io.tally.core.enrich.AttributeStore;
import io.tally.core.log.EventLog;
import io.tally.core.log.LogRecord;
import io.tally.core.process.DedupLookAhead;
import io.tally.core.process.DedupRebuild;
import io.tally.core.process.LogRetention;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import io.tally.model.Event;
import io.tally.model.TallyException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies every closed minute of counted events from the log to the {@link RawStore}.
 *
 * <h2>Design</h2>
 *
 * The processor does not hand its counted events over; the export finds the same set again on its
 * own, off the hot path. Which events were counted depends only on the log (DESIGN.md invariant 3):
 * an event is counted unless its (entity, id) was sighted within the dedup window before it. So the
 * export keeps, per partition, its own {@link DedupWindow}, rebuilt from the log span before the
 * store's export position exactly as recovery rebuilds the processor's ({@link DedupRebuild}), and
 * feeds it the same records in the same order: it decides exactly as the processor did.
 *
 * <p>A minute of append time is closed for a partition once the partition's committed checkpoint
 * says every event appended before the minute's end is counted ({@link Checkpoint#asOfMillis}); the
 * export reads up to that minute and never past the checkpoint's offset. Each write carries the new
 * export position, which the store records atomically with the events, so a crash anywhere
 * re-exports exactly what was not recorded. Log retention keeps what the export still needs ({@link
 * #neededFrom}).
 *
 * <p>Ownership: each run exports the partitions this process {@code owns} (embedded: all; cluster:
 * those its processor owns), each once it has {@linkplain RawStore#claim claimed} it in the store,
 * and releases those it no longer owns; a partition still claimed by its previous owner waits for
 * the next run. Re-claiming a partition starts again from the store's position, so a move, or a
 * kill -9 of the owner, re-exports exactly what was not recorded.
 *
 * <p>Where the log no longer holds records the export still needs (cluster: Kafka's retention
 * deleted them first), the export says so loudly and goes on after them: an ERROR log line naming
 * the partition and offsets, and a {@link RawGap} the store records with the write that goes on
 * after it, so the gap survives restarts ({@link RawStore#gaps}: /healthz, metrics, and the refusal
 * of recounts and audits of its time). Those records are missing from the raw store for good
 * (docs/raw.md).
 *
 * <p>Partitions are exported {@code threads} at a time: the calling thread and {@code threads - 1}
 * helpers it starts for the run take them one by one (each partition's export is sequential, its
 * own window and position; the store writes partitions at once). One thread, under full ingest on 2
 * cores, got about 0.4 cores and fell behind (docs/raw.md).
 *
 * <p>{@link #run()} is called from one scheduler thread at a time; {@link #neededFrom}, {@link
 * #stop}, {@link #oldestUnexportedMillis} and {@link #eventsExported} may be called from any
 * thread.
 */
public final class RawExport implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(RawExport.class);

  private static final long MINUTE_MILLIS = 60_000;

  private final EventLog log;
  private final IntFunction<Optional<Checkpoint>> counted;
  private final Supplier<Set<Integer>> owned;
  private final RawStore store;
  private final AttributeStore attributes;
  private final ProcessorConfig config;
  private final int maxEventsPerWrite;
  private final int threads;
  // written by the thread exporting the partition, read by all
  private final Map<Integer, Position> positions = new ConcurrentHashMap<>();
  private final Set<Integer> claimed = new TreeSet<>(); // the calling thread's
  private final LongAdder exported = new LongAdder();
  // per partition: the append time of the oldest counted record not yet exported, as the latest
  // write saw it; Long.MAX_VALUE once exported up to the closed minutes (or not this process's)
  private final AtomicLongArray oldestUnexported;
  private volatile boolean stopping;

  /**
   * An export of every partition of {@code log} (embedded mode).
   *
   * @param log the event log
   * @param counted where the processors' committed checkpoints are read
   * @param store where events go
   * @param attributes the entity attributes stored with each event
   * @param config the processors' dedup window and read size
   * @param maxEventsPerWrite most events in one write (its file, or a file per hour it spans)
   */
  public RawExport(
      EventLog log,
      DeltaSink counted,
      RawStore store,
      AttributeStore attributes,
      ProcessorConfig config,
      int maxEventsPerWrite) {
    this(log, counted, store, attributes, config, maxEventsPerWrite, 1);
  }

  /** As above, exporting {@code threads} partitions at once. */
  public RawExport(
      EventLog log,
      DeltaSink counted,
      RawStore store,
      AttributeStore attributes,
      ProcessorConfig config,
      int maxEventsPerWrite,
      int threads) {
    this(
        log,
        counted::checkpoint,
        allOf(log),
        store,
        attributes,
        config,
        maxEventsPerWrite,
        threads);
  }

  /**
   * An export of the partitions {@code owned} names at each run (cluster mode).
   *
   * @param counted each partition's committed checkpoint (cluster: as materialized), which the
   *     export never passes
   * @param owned the partitions this process exports now; called at each run
   * @param threads how many partitions are exported at once
   */
  public RawExport(
      EventLog log,
      IntFunction<Optional<Checkpoint>> counted,
      Supplier<Set<Integer>> owned,
      RawStore store,
      AttributeStore attributes,
      ProcessorConfig config,
      int maxEventsPerWrite,
      int threads) {
    this.log = requireNonNull(log, "log");
    this.counted = requireNonNull(counted, "counted");
    this.owned = requireNonNull(owned, "owned");
    this.store = requireNonNull(store, "store");
    this.attributes = requireNonNull(attributes, "attributes");
    this.config = requireNonNull(config, "config");
    if (maxEventsPerWrite < 1) {
      throw new IllegalArgumentException("maxEventsPerWrite must be positive");
    }
    this.maxEventsPerWrite = maxEventsPerWrite;
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be positive");
    }
    this.threads = threads;
    this.oldestUnexported = new AtomicLongArray(log.partitions());
    for (int p = 0; p < log.partitions(); p++) {
      oldestUnexported.set(p, Long.MAX_VALUE);
    }
  }

  /** Where one partition's export is: the dedup window as of {@code at}. */
  private static final class Position {
    Checkpoint at;
    final DedupWindow dedup;

    Position(Checkpoint at, DedupWindow dedup) {
      this.at = at;
      this.dedup = dedup;
    }
  }

  private static Supplier<Set<Integer>> allOf(EventLog log) {
    Set<Integer> all =
        IntStream.range(0, log.partitions()).boxed().collect(Collectors.toUnmodifiableSet());
    return () -> all;
  }

  /**
   * Exports the closed minutes of every partition this process owns and can claim; releases those
   * it no longer owns.
   *
   * @throws TallyException if a partition failed (the others were still exported); it starts again
   *     from the store's position next time
   */
  @Override
  public void run() {
    Set<Integer> mine = new TreeSet<>(owned.get());
    for (Integer p : List.copyOf(claimed)) {
      if (!mine.contains(p)) {
        positions.remove(p);
        claimed.remove(p);
        oldestUnexported.set(p, Long.MAX_VALUE);
        store.release(p);
        LOG.info("raw export: partition {} moved to another owner; released it", p);
      }
    }
    AtomicReference<TallyException> failed = new AtomicReference<>();
    Queue<Integer> ready = new ConcurrentLinkedQueue<>();
    for (int p : mine) {
      if (stopping) {
        break;
      }
      try {
        if (claimed.contains(p) || claim(p)) {
          ready.add(p);
        }
      } catch (RuntimeException e) {
        failed(p, e, failed);
      }
    }
    List<Thread> helpers = new ArrayList<>();
    String name = Thread.currentThread().getName();
    for (int i = 1; i < Math.min(threads, ready.size()); i++) {
      Thread helper = new Thread(() -> exportEach(ready, failed), name + "-" + i);
      helper.setDaemon(true);
      helper.start();
      helpers.add(helper);
    }
    exportEach(ready, failed);
    try {
      for (Thread helper : helpers) {
        helper.join();
      }
    } catch (InterruptedException e) {
      // shutting down: the helpers return after their current write
      stopping = true;
      Thread.currentThread().interrupt();
    }
    if (failed.get() != null) {
      throw failed.get();
    }
  }

  /** Exports partitions taken off {@code ready} until none is left; one thread's share of a run. */
  private void exportEach(Queue<Integer> ready, AtomicReference<TallyException> failed) {
    // Each entity's attributes are looked up once per write: one snapshot for all its events. One
    // map per thread, cleared per write: a new one per write was 21 % of the export's Java samples
    Map<String, Map<String, String>> attributesOf = new HashMap<>();
    for (Integer p; !stopping && (p = ready.poll()) != null; ) {
      try {
        exportPartition(p, attributesOf);
      } catch (RuntimeException e) {
        failed(p, e, failed);
      }
    }
  }

  /**
   * Forgets {@code p}'s position (the next run starts from the store's) and keeps the first
   * failure.
   */
  private void failed(int p, RuntimeException e, AtomicReference<TallyException> failed) {
    positions.remove(p);
    failed.compareAndSet(
        null, new TallyException("raw export of partition " + p + " failed: " + e, e));
  }

  /** Claims {@code p} in the store; false while its previous owner still holds it. */
  private boolean claim(int p) {
    if (!store.claim(p)) {
      LOG.info("raw export: partition {} is still claimed by its previous owner; next run", p);
      return false;
    }
    claimed.add(p);
    positions.remove(p); // its last owner may have exported on: start from the store's position
    return true;
  }

  private void exportPartition(int p, Map<String, Map<String, String>> attributesOf) {
    Checkpoint cp = counted.apply(p).orElse(Checkpoint.initial(p));
    long closedBefore = Math.floorDiv(cp.asOfMillis(), MINUTE_MILLIS) * MINUTE_MILLIS;
    Position pos = positions.get(p);
    if (pos == null) {
      pos = recover(p);
      positions.put(p, pos);
    }
    boolean done = false;
    while (!done && !stopping && closedBefore > pos.at.asOfMillis()) {
      List<RawGap> gaps = new ArrayList<>();
      attributesOf.clear();
      long next = pos.at.nextOffset();
      long lastAppend = pos.at.lastAppendTimeMillis();
      boolean seen = false; // this write's first record to export, the oldest not yet exported
      int appended = 0;
      Checkpoint to;
      // Events go to the store as they are read: none is held here (a write's 100,000 events,
      // held until written, outlived young collections and filled the old generation)
      try (RawStore.Write write = store.begin(p)) {
        while (appended < maxEventsPerWrite && !done) {
          List<LogRecord> records = log.read(p, next, config.maxPollRecords());
          if (records.isEmpty()) {
            done = true;
          } else if (records.get(0).offset() > next) {
            gaps.add(lostBeforeExport(p, next, lastAppend, records.get(0)));
            next = records.get(0).offset();
          }
          for (int i = 0; i < records.size(); i++) {
            LogRecord r = records.get(i);
            DedupLookAhead.hintRunAt(pos.dedup, records, i, next);
            if (r.offset() < next) {
              continue;
            }
            if (appended == maxEventsPerWrite) {
              break;
            }
            if (r.offset() >= cp.nextOffset() || r.appendTimeMillis() >= closedBefore) {
              done = true;
              break;
            }
            if (!seen) {
              oldestUnexported.set(p, r.appendTimeMillis());
              seen = true;
            }
            Event e = r.event();
            if (e.id() == null
                || pos.dedup.firstSighting(e.entity(), e.id(), r.appendTimeMillis())) {
              write.append(
                  new RawEvent(
                      p,
                      r.offset(),
                      r.appendTimeMillis(),
                      e,
                      attributesOf.computeIfAbsent(e.entity(), attributes::attributes)));
              appended++;
            }
            next = r.offset() + 1;
            lastAppend = r.appendTimeMillis();
          }
        }
        long asOf = done ? closedBefore : Math.min(closedBefore, lastAppend);
        to = new Checkpoint(p, next, lastAppend, Math.max(asOf, pos.at.asOfMillis()));
        write.commit(to, gaps);
      }
      pos.at = to;
      exported.add(appended);
    }
    if (closedBefore <= pos.at.asOfMillis()) {
      oldestUnexported.set(p, Long.MAX_VALUE);
    }
  }

  private static RawGap lostBeforeExport(int p, long from, long lastAppend, LogRecord after) {
    RawGap gap =
        new RawGap(
            p,
            from,
            after.offset(),
            Math.max(0, lastAppend),
            Math.max(Math.max(0, lastAppend), after.appendTimeMillis()));
    LOG.error(
        "raw export: {} were deleted from the log (its retention) before they were exported: the"
            + " raw store lacks them for good (export kept up too slowly, or was off too long)",
        gap);
    return gap;
  }

  private Position recover(int p) {
    Checkpoint at = store.exported(p);
    return new Position(at, DedupRebuild.rebuild(log, at, config).window());
  }

  /**
   * The lowest offset of {@code partition} the export still needs from the log: its position, and
   * the dedup window's span before it. Log retention deletes nothing at or after it.
   */
  public long neededFrom(int partition) {
    Checkpoint at = store.exported(partition);
    return Math.min(
        at.nextOffset(), LogRetention.dedupSpanStart(log, at, config.dedupWindowMillis()));
  }

  /**
   * Makes a running {@link #run()} return after its current write, and later ones return at once
   * (on shutdown: what is not exported is exported at the next start). Any thread.
   */
  public void stop() {
    stopping = true;
  }

  /**
   * The append time of the oldest counted event this process has yet to export, as the latest write
   * of its partition saw it, or {@link Long#MAX_VALUE} when every partition it owns is exported up
   * to its closed minutes. A partition's value is refreshed at each of its writes, so one waiting
   * for its turn in a long run shows the previous run's. Any thread.
   */
  public long oldestUnexportedMillis() {
    long oldest = Long.MAX_VALUE;
    for (int p = 0; p < oldestUnexported.length(); p++) {
      oldest = Math.min(oldest, oldestUnexported.get(p));
    }
    return oldest;
  }

  /**
   * Whether a partition this process exported in its latest run has a minute closed since (counted,
   * not exported yet): a run now would export it. Reads each partition's committed checkpoint. Call
   * from the thread that calls {@link #run()}, between runs.
   */
  public boolean closedMinutesWaiting() {
    for (int p : claimed) {
      Position pos = positions.get(p);
      Checkpoint cp = counted.apply(p).orElse(Checkpoint.initial(p));
      long closedBefore = Math.floorDiv(cp.asOfMillis(), MINUTE_MILLIS) * MINUTE_MILLIS;
      if (pos != null && closedBefore > pos.at.asOfMillis()) {
        return true;
      }
    }
    return false;
  }

  /** Events exported since start (a counter for metrics). */
  public long eventsExported() {
    return exported.sum();
  }
}
