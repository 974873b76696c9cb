package io.tally.core.process;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.DeltaAggregator;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.dedup.DedupWindow;
import io.tally.core.enrich.Enrichment;
import io.tally.core.log.EventLog;
import io.tally.core.log.LogHead;
import io.tally.core.log.LogRecord;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import io.tally.model.Event;
import io.tally.model.TallyException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The duty cycle of one processor thread and the partitions it owns, in both modes; a {@link
 * WorkerRunner} runs it.
 *
 * <h2>Flush protocol</h2>
 *
 * <ol>
 *   <li>Own: the {@link LogConsumer} says which partitions this thread owns (all of its share, for
 *       good, in embedded mode; a consumer group's assignment in cluster mode).
 *   <li>Recover: for each newly owned partition, load the checkpoint from the sink and rebuild the
 *       dedup window ({@link DedupRebuild}); the window depends only on the log, so the rebuilt
 *       state equals the state at the checkpoint (DESIGN.md invariant 3). Then read on from there.
 *   <li>Consume: an event whose id is not a first sighting is dropped, every other event is added
 *       to the aggregator, under its entity and the entities it derives ({@link Enrichment}).
 *   <li>Seal: every flush interval (ten intervals while catching up on a backlog, or earlier when
 *       the aggregator holds too many rows) the pending deltas and every changed partition's
 *       checkpoint become one immutable {@link DeltaBatch}.
 *   <li>Write: the sink applies deltas and checkpoints atomically. Until it succeeds the loop
 *       consumes nothing more (the consumer only keeps its membership): a failed write throws, the
 *       runner backs off, and the next {@link #step()} retries the same batch, so a failure can
 *       neither advance a checkpoint nor lose a delta; the growing log backlog turns into
 *       back-pressure at ingest.
 *   <li>Give up: revoked partitions are flushed before they go. If that flush fails, or partitions
 *       are lost (another owner may have processed past the checkpoint), everything unwritten is
 *       dropped and every partition still owned is recovered again from its checkpoint:
 *       reprocessing yields the same deltas, so nothing is lost or counted twice.
 *   <li>Stop: {@link #drain()} consumes what is already logged (for at most {@link
 *       #STOP_DRAIN_MILLIS}), seals it and writes it, retried by the runner within {@link
 *       #MAX_STOP_MILLIS}.
 * </ol>
 *
 * <p>Longer than the house's ~300 lines: the flush protocol and the ownership changes that
 * interrupt it are one state machine over the same fields, and split up its invariants would span
 * files.
 *
 * <p>Time comes from the injected clock only. Not thread-safe: {@link #doWork()}, {@link #step()}
 * and {@link #drain()} run on the runner's thread; {@link #recovered()}, {@link #backlog()}, {@link
 * #lagEvents}, {@link #appliedAsOfMillis} and {@link #ownedPartitions()} may be called from any
 * thread.
 */
final class ProcessorLoop implements Worker, LogConsumer.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessorLoop.class);

  /**
   * While a partition is more than a poll behind the log (catching up after a restart or a burst),
   * flushes come this many times less often: events of the same rows merge into fewer store writes,
   * and the counts are not fresh anyway. Memory stays bounded by maxRowsPerFlush.
   */
  private static final int CATCH_UP_FLUSH_FACTOR = 10;

  /** On stop, how long the loop keeps consuming what is already logged before its last flush. */
  static final long STOP_DRAIN_MILLIS = 15_000;

  /** On stop, how long the last flush is retried if the store fails. */
  private static final long STOP_WRITE_MILLIS = 10_000;

  /**
   * The longest a stopped loop runs on (its runner's drain time): {@link ProcessorGroup} waits this
   * long (plus a margin) before it reports threads that did not end, so their resources are not
   * closed under them.
   */
  static final long MAX_STOP_MILLIS = STOP_DRAIN_MILLIS + STOP_WRITE_MILLIS;

  /** The first backoff after a failed read or write. */
  static final long MIN_BACKOFF_MILLIS = 50;

  /** Park after a pass that found nothing to do. */
  static final long IDLE_PARK_NANOS = 2_000_000L;

  private final String name;
  private final EventLog log;
  private final LogConsumer consumer;
  private final DeltaSink sink;
  private final ProcessorConfig config;
  private final InstantSource clock;
  private final Enrichment enrichment;
  private final DeltaAggregator aggregator;

  /** The recovered partitions; replaced (never changed in place) so other threads may read it. */
  private volatile List<PartitionState> partitions = List.of();

  /** Owned partitions still to recover from their checkpoint. */
  private final Set<Integer> unrecovered = new TreeSet<>();

  private volatile boolean recovered;
  private DeltaBatch pending;
  private TallyException callbackFailure;
  private long lastFlushMillis;
  private long drainStartMillis = Long.MIN_VALUE;

  ProcessorLoop(
      String name,
      EventLog log,
      LogConsumer consumer,
      DeltaSink sink,
      ProcessorConfig config,
      InstantSource clock,
      Enrichment enrichment) {
    this.name = requireNonNull(name, "name");
    this.log = requireNonNull(log, "log");
    this.consumer = requireNonNull(consumer, "consumer");
    this.sink = requireNonNull(sink, "sink");
    this.config = requireNonNull(config, "config");
    this.aggregator = new DeltaAggregator(config.uniques());
    this.clock = requireNonNull(clock, "clock");
    this.enrichment = requireNonNull(enrichment, "enrichment");
    this.lastFlushMillis = clock.millis();
  }

  /** The runner policy of a processor thread: backoff up to the configured maximum. */
  static WorkerRunner.Policy policy(ProcessorConfig config) {
    return new WorkerRunner.Policy(
        IDLE_PARK_NANOS,
        MIN_BACKOFF_MILLIS,
        Math.max(MIN_BACKOFF_MILLIS, config.maxRetryBackoffMillis()),
        MAX_STOP_MILLIS);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int doWork() {
    return step();
  }

  /**
   * One pass: take ownership changes, recover new partitions, consume what is there (unless a
   * sealed batch waits to be written), seal when due, and write the sealed batch.
   *
   * @return records consumed and partitions recovered, plus one if a batch was written
   * @throws TallyException if reading the log, recovering or writing failed; a sealed batch stays
   *     pending and the next call retries it
   */
  int step() {
    int worked = 0;
    List<LogConsumer.Fetched> fetched;
    try {
      fetched = consumer.poll(this, pending == null);
    } catch (RuntimeException e) {
      throw new TallyException("reading the log failed: " + e.getMessage(), e);
    }
    throwCallbackFailure();
    worked += recoverOwned();
    throwCallbackFailure();
    boolean behind = false;
    for (LogConsumer.Fetched f : fetched) {
      PartitionState s = state(f.partition());
      if (s != null) {
        worked += consume(s, f);
        behind |= f.head() != null && s.nextOffset < f.head().endOffset() - config.maxPollRecords();
      }
    }
    long now = clock.millis();
    long interval =
        behind
            ? CATCH_UP_FLUSH_FACTOR * config.flushIntervalMillis()
            : config.flushIntervalMillis();
    if (pending == null
        && (now - lastFlushMillis >= interval
            || aggregator.rowCount() >= config.maxRowsPerFlush())) {
      seal();
      lastFlushMillis = now;
    }
    if (pending != null) {
      write();
      worked++;
    }
    return worked;
  }

  /**
   * On stop: consume what is logged for up to {@link #STOP_DRAIN_MILLIS}, then seal it and write it
   * (a failure throws; the runner retries within its drain time).
   */
  @Override
  public boolean drain() {
    long now = clock.millis();
    if (drainStartMillis == Long.MIN_VALUE) {
      drainStartMillis = now;
    }
    if (now - drainStartMillis < STOP_DRAIN_MILLIS && step() > 0) {
      return false;
    }
    if (pending == null) {
      seal();
    }
    if (pending != null) {
      write();
    }
    return true;
  }

  @Override
  public void onClose() {
    if (pending != null) {
      LOG.warn("stopped with an unwritten flush; it is reprocessed from the log at the next start");
    }
    consumer.close();
  }

  @Override
  public void assigned(Collection<Integer> owned) {
    unrecovered.addAll(owned); // recovered by the step, once the poll returned
  }

  @Override
  public void revoked(Collection<Integer> given) {
    if (pending == null) {
      seal();
    }
    if (pending != null) {
      try {
        write();
      } catch (TallyException e) {
        callbackFailure = e;
        reset();
      }
    }
    drop(given);
    LOG.info("{}: gave up partitions {}", name, given);
  }

  @Override
  public void lost(Collection<Integer> gone) {
    LOG.warn("{}: lost partitions {}; discarding what is not written", name, gone);
    drop(gone);
    reset();
  }

  /** Drops everything unwritten and recovers every owned partition again from its checkpoint. */
  private void reset() {
    aggregator.drain();
    pending = null;
    for (PartitionState s : partitions) {
      unrecovered.add(s.partition);
    }
    partitions = List.of();
  }

  private void drop(Collection<Integer> gone) {
    unrecovered.removeAll(gone);
    List<PartitionState> kept = new ArrayList<>(partitions);
    kept.removeIf(s -> gone.contains(s.partition));
    partitions = List.copyOf(kept);
  }

  /** Recovers the owned partitions not yet recovered; a failure is thrown by the step. */
  private int recoverOwned() {
    int done = 0;
    try {
      while (!unrecovered.isEmpty()) {
        int p = unrecovered.iterator().next();
        PartitionState s = recover(p);
        List<PartitionState> now = new ArrayList<>(partitions);
        now.removeIf(x -> x.partition == p);
        now.add(s);
        partitions = List.copyOf(now);
        consumer.seek(p, s.nextOffset);
        unrecovered.remove(p);
        done++;
      }
      recovered = true;
    } catch (RuntimeException e) {
      recovered = false;
      if (callbackFailure == null) {
        callbackFailure =
            new TallyException("recovering from the checkpoint failed: " + e.getMessage(), e);
      }
    }
    return done;
  }

  private PartitionState recover(int p) {
    Checkpoint cp = sink.checkpoint(p).orElse(Checkpoint.initial(p));
    DedupRebuild.Result rebuilt = DedupRebuild.rebuild(log, cp, config);
    LOG.info(
        "{}: partition {} owned from offset {}, dedup window rebuilt from {} records ({} ids,"
            + " room for {})",
        name,
        p,
        cp.nextOffset(),
        rebuilt.recordsRead(),
        rebuilt.window().size(),
        config.dedupCapacity());
    PartitionState s = new PartitionState(p, rebuilt.window(), cp);
    // the backlog counts from recovery on, not from the first poll: until then "recovered, backlog
    // 0" would be claimed by a partition with the whole log still to count (bench-replay, /readyz)
    s.endOffset = Math.max(s.endOffset, log.head(p).endOffset());
    return s;
  }

  private void throwCallbackFailure() {
    if (callbackFailure != null) {
      TallyException e = callbackFailure;
      callbackFailure = null;
      throw e;
    }
  }

  private PartitionState state(int partition) {
    for (PartitionState s : partitions) {
      if (s.partition == partition) {
        return s;
      }
    }
    return null;
  }

  private int consume(PartitionState s, LogConsumer.Fetched f) {
    int worked = 0;
    List<LogRecord> records = f.records();
    for (int from = 0; from < records.size(); from += DedupWindow.LOOK_AHEAD) {
      int to = Math.min(records.size(), from + DedupWindow.LOOK_AHEAD);
      lookAhead(s, records, from, to);
      for (int i = from; i < to; i++) {
        LogRecord r = records.get(i);
        if (r.offset() < s.nextOffset) {
          continue;
        }
        // a failed attribute read throws before anything changed: the record is read again
        enrichment.count(aggregator, s.dedup, s.partition, r.event(), r.appendTimeMillis());
        s.nextOffset = r.offset() + 1;
        s.lastAppendTimeMillis = r.appendTimeMillis();
        worked++;
      }
    }
    LogHead head = f.head();
    if (head != null) {
      s.endOffset = Math.max(s.endOffset, head.endOffset());
      long asOf =
          s.nextOffset >= head.endOffset() ? head.completeBeforeMillis() : s.lastAppendTimeMillis;
      s.asOfMillis = Math.max(s.asOfMillis, asOf);
    }
    return worked;
  }

  /**
   * Tells the dedup window which identities records {@code [from, to)} will look up, and the
   * aggregator which series they count in, so each loads their entries together (hints: the counts
   * are the same without them). The aggregator is warmed in a loop of its own, short enough that
   * the loads of many records are in flight at once.
   */
  private void lookAhead(PartitionState s, List<LogRecord> records, int from, int to) {
    DedupLookAhead.hint(s.dedup, records, from, to, s.nextOffset);
    for (int i = from; i < to; i++) {
      Event e = records.get(i).event();
      aggregator.expect(e.entity(), e.type());
    }
  }

  private void seal() {
    List<Checkpoint> checkpoints = new ArrayList<>();
    for (PartitionState s : partitions) {
      if (s.changedSinceWritten()) {
        checkpoints.add(s.checkpoint());
      }
    }
    DeltaBatch batch = new DeltaBatch(aggregator.drain(), checkpoints);
    pending = batch.isEmpty() ? null : batch;
  }

  private void write() {
    try {
      sink.write(pending);
    } catch (RuntimeException e) {
      throw new TallyException("writing deltas failed: " + e.getMessage(), e);
    }
    for (Checkpoint cp : pending.checkpoints()) {
      PartitionState s = state(cp.partition());
      if (s != null) {
        s.written(cp);
      }
    }
    pending = null;
  }

  /** True once the thread has polled and recovered every partition it owns. */
  boolean recovered() {
    return recovered;
  }

  /** The partitions this thread owns and has recovered. */
  List<Integer> ownedPartitions() {
    return partitions.stream().map(s -> s.partition).toList();
  }

  /**
   * Events of {@code partition} in the log not yet applied, or -1 if this loop does not own it or
   * has not recovered it.
   */
  long lagEvents(int partition) {
    for (PartitionState s : partitions) {
      if (s.partition == partition) {
        return Math.max(0, endOffset(s) - s.appliedOffset);
      }
    }
    return -1;
  }

  /**
   * The as-of time of {@code partition}'s applied checkpoint, or {@link Long#MIN_VALUE} if not
   * owned or not recovered.
   */
  long appliedAsOfMillis(int partition) {
    for (PartitionState s : partitions) {
      if (s.partition == partition) {
        return s.appliedAsOfMillis;
      }
    }
    return Long.MIN_VALUE;
  }

  /**
   * Events in the log not yet applied, over this loop's partitions: against the log's head now
   * where the consumer can tell it from this thread, else as of the last poll.
   */
  long backlog() {
    long total = 0;
    for (PartitionState s : partitions) {
      total += Math.max(0, endOffset(s) - s.appliedOffset);
    }
    return total;
  }

  private long endOffset(PartitionState s) {
    return Math.max(s.endOffset, consumer.liveEndOffset(s.partition));
  }
}
