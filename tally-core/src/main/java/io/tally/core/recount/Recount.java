package io.tally.core.recount;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaAggregator;
import io.tally.core.dedup.DedupWindow;
import io.tally.core.enrich.Enrichment;
import io.tally.core.log.EventLog;
import io.tally.core.log.LogRecord;
import io.tally.core.partition.Partitioner;
import io.tally.core.process.DedupLookAhead;
import io.tally.core.process.DedupRebuild;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.raw.RawReader;
import io.tally.core.retention.Retention;
import io.tally.core.store.Checkpoint;
import io.tally.core.topk.SlotCorrection;
import io.tally.model.Event;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the counter rows of a closed range from the raw store and compares them with the served
 * ones; {@link #run} with {@code apply} swaps the rebuilt rows in (recount, backfill), without it
 * only reports (audit).
 *
 * <h2>Design</h2>
 *
 * The rows are recounted from exactly the events the served rows hold. A {@link
 * CounterRows.Snapshot} fixes, per partition, the checkpoint the served rows are at; the raw
 * store's {@link RawReader.Snapshot} (taken first, so it is never ahead) holds the partition's
 * counted events below its export position; the rest, the events between the export position and
 * the checkpoint, is read from the log, deduplicated the way the processor did (a {@link
 * DedupWindow} rebuilt at the export position, {@link DedupRebuild}). Each event is counted under
 * its entity and the shards of the entities it derives with the attributes known <em>now</em>
 * ({@link Enrichment#derivedRows}): that is the backfill of a new {@code --derive} rule.
 *
 * <p>The live processor keeps counting meanwhile, late events into the range too. The swap does not
 * stop it: a row is replaced by adding {@code recounted − served-in-the-snapshot} ({@link
 * CounterRows.Snapshot#replace}, one atomic write per writing partition), so the deltas the
 * processor applied after the snapshot stay added on top, and nothing is lost or counted twice.
 *
 * <p>What is rebuilt: count and sum of the minute and hour rows of the range and of the day rows of
 * the days wholly in it, of each granularity whose retention still keeps the range's start; the
 * all-time totals move by the differences their hour and minute rows agree on (an event counted
 * wrongly shows in both; one damaged row in one only). A row whose sum overflowed is compared by
 * count and never replaced.
 *
 * <p>Top-K, where the store rebuilds it ({@link CounterRows#topK()}): the slots of the range's
 * types still inside their window ({@link TopKRecount}), recounted whole from the same events,
 * compared with the served slots of the snapshot; a slot that differs gets the signed correction
 * {@code recounted − served-in-the-snapshot} per entity, applied to the slot as it is at the swap,
 * in the same atomic write as its partition's rows, so the processor's later deltas stay on top
 * too. A served slot that is not exact (more entities than its sketch keeps exactly) is left as it
 * is. Actor sketches (uniques) are not rebuilt (docs/raw.md).
 *
 * <p>Thread-safe: runs are serialized (two overlapping recounts would each add their difference).
 */
public final class Recount {
  private static final Logger LOG = LoggerFactory.getLogger(Recount.class);

  /** The longest range recounted at once: its rows are held in memory. */
  public static final long MAX_RANGE_MILLIS = 31L * 86_400_000;

  /**
   * The bounds a recount respects.
   *
   * @param counters the counter rows' retention per granularity
   * @param rawRetentionMillis how long the raw store keeps events ({@code raw.retention})
   * @param maxFutureMillis how far after its append time an event time may lie (validation)
   */
  public record Limits(Retention counters, long rawRetentionMillis, long maxFutureMillis) {
    public Limits {
      requireNonNull(counters, "counters");
    }
  }

  private final RawReader raw;
  private final CounterRows rows;
  private final EventLog log;
  private final Enrichment enrichment;
  private final ProcessorConfig processor;
  private final Limits limits;
  private final InstantSource clock;
  private final Partitioner partitioner;
  private volatile boolean stopped;

  /**
   * @param raw the raw store
   * @param rows the counter rows
   * @param log the event log (events counted but not yet exported)
   * @param enrichment the derivation rules and the attributes they read
   * @param processor the dedup window the processors use
   * @param limits retention bounds
   * @param clock decides what is past retention
   */
  public Recount(
      RawReader raw,
      CounterRows rows,
      EventLog log,
      Enrichment enrichment,
      ProcessorConfig processor,
      Limits limits,
      InstantSource clock) {
    this.raw = requireNonNull(raw, "raw");
    this.rows = requireNonNull(rows, "rows");
    this.log = requireNonNull(log, "log");
    this.enrichment = requireNonNull(enrichment, "enrichment");
    this.processor = requireNonNull(processor, "processor");
    this.limits = requireNonNull(limits, "limits");
    this.clock = requireNonNull(clock, "clock");
    this.partitioner = new Partitioner(log.partitions());
  }

  /**
   * Ends the running recount, and refuses later ones, at their next read of the log: on shutdown,
   * before the log is closed. Any thread.
   */
  public void stop() {
    stopped = true;
  }

  private void checkNotStopped() {
    if (stopped) {
      throw new TallyException("recount stopped: the server is shutting down");
    }
  }

  /**
   * Every counted event logged before this instant is in the raw store ({@link Long#MIN_VALUE}
   * before the first export): ranges ending by then can be recounted.
   */
  public long exportedBeforeMillis() {
    return exportedBefore(raw.snapshot());
  }

  private long exportedBefore(RawReader.Snapshot snapshot) {
    long asOf = Long.MAX_VALUE;
    for (int p = 0; p < log.partitions(); p++) {
      asOf = Math.min(asOf, snapshot.exported(p).asOfMillis());
    }
    return asOf <= 0 ? Long.MIN_VALUE : asOf;
  }

  /**
   * Recounts {@code range}; with {@code apply}, replaces the served rows by the recounted ones.
   *
   * @throws RecountRefusedException if the range is not exported yet, past retention, or may hold
   *     events the raw store lacks (a {@link io.tally.core.raw.RawGap})
   * @throws TallyException if the raw store, the log or the counters failed (nothing was replaced
   *     for a partition whose write failed)
   */
  public synchronized RecountReport run(RecountRange range, boolean apply) {
    long now = clock.millis();
    RawReader.Snapshot exported = raw.snapshot();
    List<Granularity> granularities = check(range, exported, now);
    RawGapCheck.refuseIfLacking(range, exported.gaps(), limits.maxFutureMillis());
    TopKRecount topK =
        new TopKRecount(
            rows.topK(),
            range,
            partitioner,
            now,
            now - limits.rawRetentionMillis() + limits.maxFutureMillis(),
            exported.gaps(),
            limits.maxFutureMillis());
    try (CounterRows.Snapshot served = rows.snapshot()) {
      DeltaAggregator recounted = new DeltaAggregator(processor.uniques());
      RangeCounting counting = new RangeCounting(range, topK, recounted, enrichment);
      long events = countRaw(counting, exported);
      for (int p = 0; p < log.partitions(); p++) {
        events += countTail(counting, p, exported.exported(p), served);
      }
      RowComparison c = new RowComparison(range, granularities, partitioner);
      c.recounted(recounted.drain());
      for (Granularity g : granularities) {
        long[] bounds = RowComparison.bucketBounds(range, g);
        served.forEachRow(g, bounds[0], bounds[1], c::served);
      }
      Map<Integer, List<SlotCorrection>> slots = topK.any() ? topK.compare(served) : Map.of();
      RecountReport report = c.compare(apply, events, topK);
      if (apply) {
        c.apply(served, slots);
        LOG.info(
            "recount of {}: {} rows unchanged, {} changed, {} added, {} removed, {} totals moved,"
                + " {} top-K slots corrected, {} not exact left ({} events read)",
            range,
            report.unchanged(),
            report.changed(),
            report.added(),
            report.removed(),
            report.totalsAdjusted(),
            report.topKSlotsChanged(),
            report.topKSlotsSkipped(),
            events);
      }
      return report;
    }
  }

  /** The granularities to compare, or a refusal naming the bound the range passes. */
  private List<Granularity> check(RecountRange range, RawReader.Snapshot exported, long now) {
    long asOf = exportedBefore(exported);
    if (range.toMillis() > asOf) {
      throw new RecountRefusedException(
          RecountRefusedException.Reason.NOT_EXPORTED,
          asOf == Long.MIN_VALUE
              ? "nothing is exported to the raw store yet; try again once the range is exported"
              : "the raw store holds the events logged before "
                  + Instant.ofEpochMilli(asOf)
                  + "; the range ends at "
                  + Instant.ofEpochMilli(range.toMillis())
                  + ": try again once it is exported (every raw.export-interval)");
    }
    if (range.fromMillis() - limits.maxFutureMillis() < now - limits.rawRetentionMillis()) {
      throw new RecountRefusedException(
          RecountRefusedException.Reason.PAST_RETENTION,
          "the raw store keeps events for "
              + Retention.describe(limits.rawRetentionMillis())
              + "; the range starts at "
              + Instant.ofEpochMilli(range.fromMillis())
              + ", before what it still keeps whole");
    }
    List<Granularity> out = new ArrayList<>();
    for (Granularity g : Granularity.TIMED) {
      long[] bounds = RowComparison.bucketBounds(range, g);
      if (bounds[0] < bounds[1] && limits.counters().retains(g, bounds[0], now)) {
        out.add(g);
      }
    }
    if (out.isEmpty()) {
      throw new RecountRefusedException(
          RecountRefusedException.Reason.PAST_RETENTION,
          "every counter row of the range is past its retention (" + limits.counters() + ")");
    }
    return out;
  }

  private long countRaw(RangeCounting counting, RawReader.Snapshot exported) {
    long[] events = {0};
    exported.forEach(
        counting.fromMillis(),
        counting.toMillis(),
        counting.fromMillis() - limits.maxFutureMillis(),
        e -> {
          events[0]++;
          counting.count(e.partition(), e.event());
        });
    return events[0];
  }

  /**
   * Counts the events of partition {@code p} the served rows hold but the raw store does not: from
   * the export position to the snapshot's checkpoint, deduplicated as the processor did.
   */
  private long countTail(
      RangeCounting counting, int p, Checkpoint exportedTo, CounterRows.Snapshot served) {
    Checkpoint counted = served.checkpoint(p).orElse(Checkpoint.initial(p));
    if (counted.nextOffset() < exportedTo.nextOffset()) {
      throw new TallyException(
          "partition " + p + ": the counters are behind the raw store; retry once they caught up");
    }
    if (counted.nextOffset() == exportedTo.nextOffset()) {
      return 0;
    }
    checkNotStopped();
    DedupWindow dedup = DedupRebuild.rebuild(log, exportedTo, processor).window();
    long next = exportedTo.nextOffset();
    long events = 0;
    while (next < counted.nextOffset()) {
      checkNotStopped();
      List<LogRecord> records = log.read(p, next, processor.maxPollRecords());
      if (records.isEmpty() || records.get(0).offset() > next) {
        throw new TallyException(
            "partition " + p + ": the log lacks offsets from " + next + " the recount needs");
      }
      for (int i = 0; i < records.size(); i++) {
        LogRecord r = records.get(i);
        if (r.offset() >= counted.nextOffset()) {
          break;
        }
        DedupLookAhead.hintRunAt(dedup, records, i, next);
        Event e = r.event();
        next = r.offset() + 1;
        if (e.id() == null || dedup.firstSighting(e.entity(), e.id(), r.appendTimeMillis())) {
          events++;
          counting.count(p, e);
        }
      }
    }
    return events;
  }

  /** Recounted deltas that the range's granularities hold (whole buckets of the range only). */
  static boolean kept(CounterDelta d, RecountRange range, List<Granularity> granularities) {
    CounterKey k = d.key();
    if (!granularities.contains(k.granularity())) {
      return false;
    }
    long[] bounds = RowComparison.bucketBounds(range, k.granularity());
    return k.bucketStartMillis() >= bounds[0] && k.bucketStartMillis() < bounds[1];
  }
}
