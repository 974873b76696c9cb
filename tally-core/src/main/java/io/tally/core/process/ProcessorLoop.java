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
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One processor thread and the partitions it owns.
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
 *       consumes nothing more and retries the same batch with exponential backoff, so a failure can
 *       neither advance a checkpoint nor lose a delta; the growing log backlog turns into
 *       back-pressure at ingest.
 * </ol>
 *
 * <p>Not thread-safe: {@link #run()} runs on one dedicated thread; {@link #stop()}, {@link
 * #health()} and {@link #backlog()} may be called from any thread.
 */
final class ProcessorLoop implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessorLoop.class);
  private static final long IDLE_PARK_NANOS = 2_000_000L;
  private static final long MIN_BACKOFF_MILLIS = 50;

  /**
   * While a partition is more than a poll behind the log (catching up after a restart or a burst),
   * flushes come this many times less often: events of the same rows merge into fewer store writes,
   * and the counts are not fresh anyway. Memory stays bounded by maxRowsPerFlush.
   */
  private static final int CATCH_UP_FLUSH_FACTOR = 10;

  /** On stop, how long the loop keeps consuming what is already logged before its last flush. */
  private static final long STOP_DRAIN_MILLIS = 15_000;

  /** On stop, how long the last flush is retried if the store fails. */
  private static final long STOP_WRITE_MILLIS = 10_000;

  /**
   * The longest a stopped loop runs on: {@link ProcessorGroup} waits this long (plus a margin)
   * before it reports threads that did not end, so their resources are not closed under them.
   */
  static final long MAX_STOP_MILLIS = STOP_DRAIN_MILLIS + STOP_WRITE_MILLIS;

  private final EventLog log;
  private final DeltaSink sink;
  private final ProcessorConfig config;
  private final InstantSource clock;
  private final Enrichment enrichment;
  private final int[] partitionIds;
  private volatile List<PartitionState> partitions = List.of();
  private final DeltaAggregator aggregator = new DeltaAggregator();

  private volatile boolean running = true;
  private volatile boolean recovered;
  private volatile ProcessorHealth health = ProcessorHealth.OK;

  private DeltaBatch pending;
  private long lastFlushMillis;
  private long nextAttemptMillis;
  private long backoffMillis = MIN_BACKOFF_MILLIS;

  ProcessorLoop(
      EventLog log,
      DeltaSink sink,
      ProcessorConfig config,
      InstantSource clock,
      Enrichment enrichment,
      int[] partitionIds) {
    this.log = requireNonNull(log, "log");
    this.sink = requireNonNull(sink, "sink");
    this.config = requireNonNull(config, "config");
    this.clock = requireNonNull(clock, "clock");
    this.enrichment = requireNonNull(enrichment, "enrichment");
    this.partitionIds = partitionIds.clone();
  }

  @Override
  public void run() {
    try {
      while (!recovered && running) {
        try {
          recover();
        } catch (RuntimeException e) {
          noteFailure("recovering from the checkpoint failed", e);
          LockSupport.parkNanos(backoffMillis * 1_000_000L);
          backoffMillis = Math.min(backoffMillis * 2, config.maxRetryBackoffMillis());
        }
      }
      if (!recovered) {
        return;
      }
      backoffMillis = MIN_BACKOFF_MILLIS;
      health = ProcessorHealth.OK;
      lastFlushMillis = clock.millis();
      long stopDeadline = Long.MAX_VALUE;
      while (true) {
        boolean worked = step();
        if (!running) {
          stopDeadline = Math.min(stopDeadline, clock.millis() + STOP_DRAIN_MILLIS);
          if ((!worked && pending == null)
              || clock.millis() > stopDeadline
              || (pending != null && !health.ok())) { // the store is failing: nothing to drain into
            break;
          }
        }
        if (!worked) {
          LockSupport.parkNanos(IDLE_PARK_NANOS);
        }
      }
      drainOnStop();
    } catch (RuntimeException | Error e) {
      health = ProcessorHealth.failing("processor stopped: " + e, clock.millis(), Long.MAX_VALUE);
      LOG.error("processor thread for partitions {} stopped", Arrays.toString(partitionIds), e);
      throw e;
    }
  }

  /** One pass: consume what is there, flush when due. Returns whether anything was done. */
  boolean step() {
    boolean worked = false;
    boolean behind = false;
    if (pending == null) {
      try {
        for (PartitionState s : partitions) {
          worked |= poll(s);
          behind |= s.nextOffset < log.head(s.partition).endOffset() - config.maxPollRecords();
        }
      } catch (RuntimeException e) {
        noteFailure("reading the log failed", e);
        return false;
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
    if (pending != null && now >= nextAttemptMillis) {
      worked |= tryWrite(now);
    }
    return worked;
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

  private boolean poll(PartitionState s) {
    LogHead head = log.head(s.partition);
    boolean worked = false;
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
        worked = true;
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

  private boolean tryWrite(long now) {
    try {
      sink.write(pending);
    } catch (RuntimeException e) {
      backoffMillis = Math.min(backoffMillis * 2, config.maxRetryBackoffMillis());
      nextAttemptMillis = now + backoffMillis;
      noteFailure("writing deltas failed", e);
      return false;
    }
    for (Checkpoint cp : pending.checkpoints()) {
      for (PartitionState s : partitions) {
        if (s.partition == cp.partition()) {
          s.written(cp);
        }
      }
    }
    pending = null;
    backoffMillis = MIN_BACKOFF_MILLIS;
    if (!health.ok()) {
      LOG.info("processor for partitions {} recovered", Arrays.toString(partitionIds));
      health = ProcessorHealth.OK;
    }
    return true;
  }

  private void noteFailure(String what, RuntimeException e) {
    health = health.afterFailure(what + ": " + e.getMessage(), clock.millis());
    long failures = health.consecutiveFailures();
    if (failures == 1) {
      LOG.warn("{}, retrying with backoff", what, e);
    } else if (Long.bitCount(failures) == 1) {
      LOG.warn(
          "{} (attempt {}): {}; retrying in {} ms", what, failures, e.getMessage(), backoffMillis);
    }
  }

  /**
   * On stop: seal what was consumed and write it, retrying for a bounded time, unless the store was
   * already failing when the stop began (e.g. a full disk): then one attempt, so a stop is not held
   * up by an outage it cannot wait out. What is not written is counted from the log at the next
   * start, exactly once.
   */
  private void drainOnStop() {
    if (!recovered) {
      return;
    }
    boolean storeFailing = !health.ok();
    if (pending == null) {
      seal();
    }
    long deadline = clock.millis() + STOP_WRITE_MILLIS;
    while (pending != null && !tryWrite(clock.millis())) {
      if (storeFailing || clock.millis() >= deadline) {
        break;
      }
      LockSupport.parkNanos(backoffMillis * 1_000_000L);
    }
    if (pending != null) {
      LOG.warn(
          "stopped with an unwritten flush{}; it is reprocessed from the log at the next start",
          storeFailing ? " (the store was failing: " + health.reason() + ")" : "");
    }
  }

  /** Asks the loop to consume what is logged, write its last flush and end. */
  void stop() {
    running = false;
  }

  boolean recovered() {
    return recovered;
  }

  ProcessorHealth health() {
    return health;
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
