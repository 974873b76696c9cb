package io.tally.core.process;

import static java.util.Objects.requireNonNull;

import io.tally.core.TallyException;
import io.tally.core.aggregate.DeltaAggregator;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.dedup.DedupWindow;
import io.tally.core.enrich.Enrichment;
import io.tally.core.log.EventLog;
import io.tally.core.log.LogHead;
import io.tally.core.log.LogRecord;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The duty cycle of one processor thread and the partitions it owns; a {@link WorkerRunner} runs
 * it.
 *
 * <h2>Flush protocol</h2>
 *
 * <ol>
 *   <li>Recover: for each partition, load the checkpoint and rebuild the dedup window by feeding it
 *       the ids of the log span {@code [offsetForTime(lastAppendTime − window), nextOffset)}. The
 *       window depends only on the log, so the rebuilt state equals the state at the checkpoint
 *       (DESIGN.md invariant 3).
 *   <li>Consume: read each partition from its position; an event whose id is not a first sighting
 *       is dropped, every other event is added to the aggregator, under its entity and the entities
 *       it derives ({@link Enrichment}).
 *   <li>Seal: every flush interval (ten intervals while catching up on a backlog, or earlier when
 *       the aggregator holds too many rows) the pending deltas and every partition's new checkpoint
 *       become one immutable {@link DeltaBatch}.
 *   <li>Write: the sink applies deltas and checkpoints atomically. Until it succeeds the loop
 *       consumes nothing more: a failed write throws, the runner backs off, and the next {@link
 *       #step()} retries the same batch, so a failure can neither advance a checkpoint nor lose a
 *       delta; the growing log backlog turns into back-pressure at ingest.
 *   <li>Stop: {@link #drain()} consumes what is already logged (for at most {@link
 *       #STOP_DRAIN_MILLIS}), seals it and writes it, retried by the runner within {@link
 *       #MAX_STOP_MILLIS}.
 * </ol>
 *
 * <p>Time comes from the injected clock only. Not thread-safe: {@link #doWork()}, {@link #step()}
 * and {@link #drain()} run on the runner's thread; {@link #recovered()}, {@link #backlog()}, {@link
 * #lagEvents} and {@link #appliedAsOfMillis} may be called from any thread.
 */
final class ProcessorLoop implements Worker {
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
  private final DeltaSink sink;
  private final ProcessorConfig config;
  private final InstantSource clock;
  private final Enrichment enrichment;
  private final int[] partitionIds;
  private volatile List<PartitionState> partitions = List.of();
  private final DeltaAggregator aggregator = new DeltaAggregator();

  private volatile boolean recovered;

  private DeltaBatch pending;
  private long lastFlushMillis;
  private long drainStartMillis = Long.MIN_VALUE;

  ProcessorLoop(
      String name,
      EventLog log,
      DeltaSink sink,
      ProcessorConfig config,
      InstantSource clock,
      Enrichment enrichment,
      int[] partitionIds) {
    this.name = requireNonNull(name, "name");
    this.log = requireNonNull(log, "log");
    this.sink = requireNonNull(sink, "sink");
    this.config = requireNonNull(config, "config");
    this.clock = requireNonNull(clock, "clock");
    this.enrichment = requireNonNull(enrichment, "enrichment");
    this.partitionIds = partitionIds.clone();
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

  /** Recovers first (retried by the runner until it succeeds), then {@link #step()}s. */
  @Override
  public int doWork() {
    if (!recovered) {
      try {
        recover();
      } catch (RuntimeException e) {
        throw new TallyException("recovering from the checkpoint failed: " + e.getMessage(), e);
      }
      lastFlushMillis = clock.millis();
      return 1;
    }
    return step();
  }

  /**
   * One pass: consume what is there (unless a sealed batch waits to be written), seal when due, and
   * write the sealed batch.
   *
   * @return records consumed, plus one if a batch was written
   * @throws TallyException if reading the log or writing the batch failed; the batch stays pending
   *     and the next call retries it
   */
  int step() {
    int worked = 0;
    boolean behind = false;
    if (pending == null) {
      try {
        for (PartitionState s : partitions) {
          worked += poll(s);
          behind |= s.nextOffset < log.head(s.partition).endOffset() - config.maxPollRecords();
        }
      } catch (RuntimeException e) {
        throw new TallyException("reading the log failed: " + e.getMessage(), e);
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
    if (!recovered) {
      return true;
    }
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
  }

  private void recover() {
    List<PartitionState> states = new ArrayList<>();
    for (int p : partitionIds) {
      Checkpoint cp = sink.checkpoint(p).orElse(Checkpoint.initial(p));
      DedupRebuild.Result rebuilt = DedupRebuild.rebuild(log, cp, config);
      if (cp.lastAppendTimeMillis() != Long.MIN_VALUE) {
        LOG.info(
            "partition {}: resuming at offset {}, dedup window rebuilt from {} records ({} ids)",
            p,
            cp.nextOffset(),
            rebuilt.recordsRead(),
            rebuilt.window().size());
      }
      DedupWindow dedup = rebuilt.window();
      states.add(new PartitionState(p, dedup, cp));
    }
    partitions = List.copyOf(states);
    recovered = true;
  }

  private int poll(PartitionState s) {
    LogHead head = log.head(s.partition);
    int worked = 0;
    if (s.nextOffset < head.endOffset()) {
      List<LogRecord> records = log.read(s.partition, s.nextOffset, config.maxPollRecords());
      for (LogRecord r : records) {
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
    long asOf =
        s.nextOffset >= head.endOffset() ? head.completeBeforeMillis() : s.lastAppendTimeMillis;
    s.asOfMillis = Math.max(s.asOfMillis, asOf);
    return worked;
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
      for (PartitionState s : partitions) {
        if (s.partition == cp.partition()) {
          s.written(cp);
        }
      }
    }
    pending = null;
  }

  boolean recovered() {
    return recovered;
  }

  /**
   * Events of {@code partition} in the log not yet applied, or -1 if this loop does not own it or
   * has not recovered.
   */
  long lagEvents(int partition) {
    for (PartitionState s : partitions) {
      if (s.partition == partition) {
        return Math.max(0, log.head(partition).endOffset() - s.appliedOffset);
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

  /** Events in the log not yet applied, over this loop's partitions (0 until recovered). */
  long backlog() {
    long total = 0;
    for (PartitionState s : partitions) {
      total += Math.max(0, log.head(s.partition).endOffset() - s.appliedOffset);
    }
    return total;
  }
}
