package io.tally.core.recount;

import static java.util.Objects.requireNonNull;

import io.tally.core.process.Worker;
import io.tally.core.process.WorkerRunner;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import java.time.Instant;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The continuous audit: recounts each closed hour from the raw store (an hour is closed once the
 * raw store holds every event logged before its end) and compares it with the served rows, without
 * changing them ({@link Recount#run} without apply). It starts with the last hour closed when it
 * starts, then follows the export hour by hour. A {@link WorkerRunner} runs it ({@link #POLICY});
 * {@link #audit} also runs one on demand ({@code tally audit}).
 *
 * <p>An hour that may hold events the raw store lacks ({@link io.tally.core.raw.RawGap}) is not
 * compared: the audit reports the gap instead (a WARN line; {@link #audit} throws the refusal that
 * names it), since its rows would differ by the lost events. The raw store's gaps are a /healthz
 * warning of their own.
 *
 * <p>The latest audit's differing rows are a metric ({@link #mismatchedRows}), a warning ({@link
 * #warning}) and a log line naming the first few rows. A recount that covers the whole audited
 * range clears them ({@link #recounted}).
 *
 * <p>Thread-safe: {@link #doWork} runs on the runner's thread; the rest on any thread.
 */
public final class Auditor implements Worker {
  private static final Logger LOG = LoggerFactory.getLogger(Auditor.class);

  /** Rows named in the log line and the warning. */
  static final int NAMED_ROWS = 5;

  /** Looks for a newly closed hour every 10 s; retries a failed audit after up to a minute. */
  public static final WorkerRunner.Policy POLICY =
      new WorkerRunner.Policy(10_000_000_000L, 1_000, 60_000, 0);

  private static final long HOUR_MILLIS = Granularity.HOUR.millis();

  private final Recount recount;
  private long nextHour = Long.MIN_VALUE;
  private volatile RecountReport latest;
  private volatile boolean stopping;

  public Auditor(Recount recount) {
    this.recount = requireNonNull(recount, "recount");
  }

  @Override
  public String name() {
    return "tally-audit";
  }

  /** A running audit ends at its next log read ({@link Recount#stop}), as a stop, not a failure. */
  @Override
  public void onStopRequested() {
    stopping = true;
    recount.stop();
  }

  @Override
  public int doWork() {
    long exportedBefore = recount.exportedBeforeMillis();
    if (exportedBefore == Long.MIN_VALUE) {
      return 0;
    }
    long closedEnd = Granularity.HOUR.bucketStart(exportedBefore);
    if (nextHour == Long.MIN_VALUE) {
      nextHour = closedEnd - HOUR_MILLIS;
    }
    if (nextHour + HOUR_MILLIS > closedEnd) {
      return 0;
    }
    try {
      audit(RecountRange.hour(nextHour));
    } catch (RecountRefusedException e) {
      if (e.reason() == RecountRefusedException.Reason.RAW_GAP) {
        LOG.warn("audit: not auditing {}: {}", Instant.ofEpochMilli(nextHour), e.getMessage());
      } else if (e.reason() == RecountRefusedException.Reason.PAST_RETENTION) {
        LOG.info("audit: skipping {}: {}", Instant.ofEpochMilli(nextHour), e.getMessage());
      } else {
        throw e;
      }
    } catch (TallyException e) {
      if (stopping) {
        return 0; // ended by the stop, not failed: the hour is audited after the next start
      }
      throw e;
    }
    nextHour += HOUR_MILLIS;
    return 1;
  }

  /**
   * Audits {@code range} now: the report becomes the latest audit.
   *
   * @throws RecountRefusedException if the range cannot be recounted, e.g. it may hold events the
   *     raw store lacks (the message names the gap)
   */
  public RecountReport audit(RecountRange range) {
    RecountReport r = recount.run(range, false);
    latest = r;
    if (r.mismatched() > 0) {
      LOG.warn(
          "audit of {}: {} rows differ from the raw store ({} changed, {} missing, {} extra): {};"
              + " tally recount --from {} --to {} repairs them",
          range,
          r.mismatched(),
          r.changed(),
          r.added(),
          r.removed(),
          named(r),
          Instant.ofEpochMilli(range.fromMillis()),
          Instant.ofEpochMilli(range.toMillis()));
    } else {
      LOG.info("audit of {}: {} rows match the raw store", range, r.unchanged());
    }
    return r;
  }

  /** After a recount: clears the latest audit's findings if the recount covered all its rows. */
  public void recounted(RecountReport recount) {
    RecountReport a = latest;
    RecountRange done = recount.range();
    if (a != null
        && recount.applied()
        && done.entityPrefix().isEmpty()
        && done.types().isEmpty()
        && done.fromMillis() <= a.range().fromMillis()
        && done.toMillis() >= a.range().toMillis()) {
      latest = null;
    }
  }

  /** Rows of the latest audit that differ (0 before the first audit). */
  public long mismatchedRows() {
    RecountReport r = latest;
    return r == null ? 0 : r.mismatched();
  }

  /** The latest audit, or null before the first one (or after a recount cleared it). */
  public RecountReport latest() {
    return latest;
  }

  /** What an operator must see while the latest audit found differences, else null. */
  public String warning() {
    RecountReport r = latest;
    if (r == null || r.mismatched() == 0) {
      return null;
    }
    return "audit of "
        + r.range()
        + ": "
        + r.mismatched()
        + " counter rows differ from the raw store, e.g. "
        + named(r)
        + "; tally recount --from "
        + Instant.ofEpochMilli(r.range().fromMillis())
        + " --to "
        + Instant.ofEpochMilli(r.range().toMillis())
        + " repairs them";
  }

  private static String named(RecountReport r) {
    return r.differences().stream()
        .limit(NAMED_ROWS)
        .map(Object::toString)
        .collect(Collectors.joining("; "));
  }
}
