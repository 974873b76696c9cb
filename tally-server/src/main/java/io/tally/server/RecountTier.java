package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.core.enrich.AttributeStore;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.enrich.Enrichment;
import io.tally.core.log.EventLog;
import io.tally.core.process.WorkerRunner;
import io.tally.core.recount.Auditor;
import io.tally.core.recount.CounterRows;
import io.tally.core.recount.Recount;
import io.tally.kafka.KafkaCorrectionLog;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.Callable;

/**
 * Recount and audit over the raw store (issue 18), wired the same in both modes: the {@link
 * Recount} over the raw store, the counter rows and the log, the background {@link Auditor} on its
 * own thread, its metric and the routes ({@code POST /v1/admin/recount}, {@code /v1/admin/audit}).
 * Without a raw store, only 404 routes saying why. {@link #close()} stops the auditor; call it
 * before the raw store and the log close. Thread-safe.
 */
final class RecountTier implements AutoCloseable {
  /**
   * How long {@link #stop} waits for the auditor: a recount ends at its next log read, but the
   * rebuild of a dedup window before it reads up to the window's span first.
   */
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private final Auditor auditor;
  private final WorkerRunner runner;
  private final Routes routes;

  private AutoCloseable owned; // what this tier opened for itself (a correction log), or null

  private RecountTier(Auditor auditor, WorkerRunner runner, Routes routes) {
    this.auditor = auditor;
    this.runner = runner;
    this.routes = routes;
  }

  /**
   * A cluster node's: over the shared raw store and the Cassandra rows, a recount's corrections
   * through the deltas topic ({@link KafkaCorrectionLog}), one recount at a time across the nodes
   * ({@link RawTier#holdRecounts}); 404 routes without the raw store or the event log, or over
   * PostgreSQL (not built).
   *
   * @param log the node's event log, or null (no ingest or processor role)
   * @param attributes the node's attributes replica, or null if it keeps none
   */
  static RecountTier cluster(
      ClusterConfig config,
      ClusterStore store,
      RawTier raw,
      EventLog log,
      DerivedEntities derived,
      AttributeStore attributes,
      InstantSource clock,
      TallyMetrics metrics) {
    ServerConfig server = config.server();
    String why = whyAbsent(raw, log);
    if (why != null) {
      return absent(why);
    }
    KafkaCorrectionLog corrections = new KafkaCorrectionLog(config.kafka());
    CounterRows rows =
        store.recountRows(config.kafka().partitions(), corrections, server.topK(), clock);
    if (rows == null) {
      corrections.close();
      return absent("audit and recount are not built for the PostgreSQL store yet");
    }
    AttributeStore known =
        derived.isEmpty() || attributes == null ? AttributeStore.EMPTY : attributes;
    RecountTier tier =
        start(
            raw,
            rows,
            log,
            new Enrichment(derived, known),
            server,
            clock,
            metrics,
            raw::holdRecounts);
    tier.owned = corrections;
    return tier;
  }

  /**
   * Starts the auditor over {@code raw}, or only 404 routes when {@code raw} is off.
   *
   * @param rows the counter rows compared with, and replaced by a recount
   * @param log the event log (what is counted but not yet exported), or null: then 404 routes
   * @param exclusive held around each recount that swaps rows in ({@link RecountRoutes})
   */
  static RecountTier start(
      RawTier raw,
      CounterRows rows,
      EventLog log,
      Enrichment enrichment,
      ServerConfig config,
      InstantSource clock,
      TallyMetrics metrics,
      Callable<AutoCloseable> exclusive) {
    String why = whyAbsent(raw, log);
    if (why != null) {
      return absent(why);
    }
    Recount recount =
        new Recount(
            raw.reader(),
            requireNonNull(rows, "rows"),
            log,
            enrichment,
            config.processor(),
            new Recount.Limits(
                config.query().retention(),
                config.raw().retentionMillis(),
                config.effectiveValidation().maxFutureMillis()),
            clock);
    Auditor auditor = new Auditor(recount);
    WorkerRunner runner = new WorkerRunner(auditor, Auditor.POLICY, clock);
    runner.start();
    metrics.bindAudit(auditor);
    return new RecountTier(auditor, runner, new RecountRoutes(recount, auditor, exclusive));
  }

  /** Why a node has no recount and audit, or null when it can have them. */
  private static String whyAbsent(RawTier raw, EventLog log) {
    if (raw.offReason() != null) {
      return raw.offReason() + ": nothing to recount";
    }
    if (log == null) {
      return "recount and audit need the event log: give this node the ingest or processor role";
    }
    return null;
  }

  /** Only 404 routes saying {@code why}. */
  private static RecountTier absent(String why) {
    return new RecountTier(null, null, RecountRoutes.absent(why));
  }

  Routes routes() {
    return routes;
  }

  /** The latest audit's warning, else null. */
  String warning() {
    return auditor == null ? null : auditor.warning();
  }

  /**
   * Stops the auditor (a running recount, audit or not, ends at its next log read) and waits for
   * it, then closes what this tier opened.
   *
   * @return whether the auditor ended in time; if not, it may still read the log and the raw store,
   *     which the caller must then leave open
   */
  boolean stop() {
    boolean stopped = runner == null || runner.stopAndAwait(STOP_TIMEOUT);
    if (owned != null) {
      try {
        owned.close();
      } catch (Exception e) {
        // closing clients: nothing is lost
      }
    }
    return stopped;
  }

  @Override
  public void close() {
    stop();
  }
}
