package io.tally.server;

import io.tally.core.enrich.AttributeStore;
import io.tally.core.log.EventLog;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.raw.RawConfig;
import io.tally.core.raw.RawExport;
import io.tally.core.raw.RawGap;
import io.tally.core.raw.RawReader;
import io.tally.core.retention.Retention;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import io.tally.raw.DuckDbRawReader;
import io.tally.raw.DuckDbRawSql;
import io.tally.raw.DuckDbRawStore;
import java.io.IOException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.IntToLongFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The raw store, wired: the Parquet store, the export of closed minutes on its own thread ({@code
 * raw.export-interval}) followed by the compaction of closed hours, expiry ({@code raw.retention})
 * and the SQL routes; or, with {@code raw.enabled=false}, nothing but a 404 for SQL. Embedded, the
 * export covers every partition; on a cluster node, the partitions its processor owns (none without
 * the processor role), in the {@code raw.dir} every node shares. {@link #close()} stops the export
 * (waiting for a running one) before the store closes; call it before the log closes. Thread-safe.
 *
 * <p>The gaps behind {@link #warning()} and {@link #lostRecords()} are read from the store's
 * manifests (files, some written by other nodes) on the tier's own thread: at start, after each
 * export round and every {@value #GAPS_REFRESH_MILLIS} ms. {@code /healthz} calls {@link
 * #warning()} on an event loop, so it must read memory, not disk.
 */
final class RawTier implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RawTier.class);
  private static final long EXPIRY_PERIOD_MILLIS = 3_600_000;

  /** How often the recorded gaps are read again (other nodes record theirs in the shared dir). */
  static final long GAPS_REFRESH_MILLIS = 5_000;

  private final DuckDbRawStore store;
  private final DuckDbRawSql sql;
  private final RawExport export;
  private final ScheduledExecutorService thread;
  private final String off;
  private final InstantSource clock;
  private final long exportIntervalMillis;

  /** The store's recorded gaps as last read, and the warning they make (null: none). */
  private record Gaps(List<RawGap> gaps, String warning) {
    static final Gaps NONE = new Gaps(List.of(), null);

    static Gaps of(List<RawGap> gaps) {
      return new Gaps(List.copyOf(gaps), RawGap.warning(gaps));
    }
  }

  private volatile Gaps gaps = Gaps.NONE;

  private RawTier(
      DuckDbRawStore store,
      DuckDbRawSql sql,
      RawExport export,
      ScheduledExecutorService thread,
      String off,
      InstantSource clock,
      long exportIntervalMillis) {
    this.store = store;
    this.sql = sql;
    this.export = export;
    this.thread = thread;
    this.off = off;
    this.clock = clock;
    this.exportIntervalMillis = exportIntervalMillis;
  }

  private static RawTier off(String why) {
    return new RawTier(null, null, null, null, why, InstantSource.system(), 0);
  }

  /**
   * The export's lag past which {@code /healthz} warns: 5 minutes, or 3 export intervals when that
   * is longer. An export that keeps up trails by at most an interval and the minute still open.
   */
  static long lagWarningMillis(long exportIntervalMillis) {
    return Math.max(5 * 60_000L, 3 * exportIntervalMillis);
  }

  /** The raw store of {@code config}, exporting from {@code log} what {@code counted} applied. */
  static RawTier start(
      RawConfig config,
      EventLog log,
      DeltaSink counted,
      AttributeStore attributes,
      ProcessorConfig processor,
      InstantSource clock) {
    if (!config.enabled()) {
      return off("the raw store is off (raw.enabled=false)");
    }
    DuckDbRawStore store = DuckDbRawStore.open(config.dir());
    return start(
        config,
        store,
        new RawExport(
            log,
            counted,
            store,
            attributes,
            processor,
            RawConfig.MAX_EVENTS_PER_WRITE,
            config.exportThreads()),
        log.partitions(),
        clock);
  }

  /**
   * The raw store of a cluster node in the shared {@code raw.dir}: with the processor role ({@code
   * log} and {@code owned} not null) it exports the partitions {@code owned} names, stopping at the
   * materialized checkpoints ({@code counted}); without, it only reads.
   */
  static RawTier cluster(
      RawConfig config,
      int partitions,
      EventLog log,
      Supplier<Set<Integer>> owned,
      IntFunction<Optional<Checkpoint>> counted,
      AttributeStore attributes,
      ProcessorConfig processor,
      InstantSource clock) {
    if (!config.enabled()) {
      return off("the raw store is off (raw.enabled=false)");
    }
    if (config.dir() == null) {
      LOG.info("raw store off: in cluster mode raw.dir must name a directory every node reaches");
      return off(
          "the raw store is off: in cluster mode set raw.dir to a directory every node reaches"
              + " (docs/raw.md)");
    }
    DuckDbRawStore store = DuckDbRawStore.open(config.dir());
    RawExport export =
        log == null
            ? null
            : new RawExport(
                log,
                counted,
                owned,
                store,
                attributes,
                processor,
                RawConfig.MAX_EVENTS_PER_WRITE,
                config.exportThreads());
    return start(config, store, export, partitions, clock);
  }

  private static RawTier start(
      RawConfig config,
      DuckDbRawStore store,
      RawExport export,
      int partitions,
      InstantSource clock) {
    return start(config, store, export, partitions, clock, GAPS_REFRESH_MILLIS);
  }

  /** As above, reading the recorded gaps again every {@code gapsRefreshMillis} (tests: less). */
  static RawTier start(
      RawConfig config,
      DuckDbRawStore store,
      RawExport export,
      int partitions,
      InstantSource clock,
      long gapsRefreshMillis) {
    Gaps recorded = Gaps.of(store.gaps()); // a damaged manifest fails the start, loudly
    DuckDbRawSql sql = new DuckDbRawSql(store, config, partitions);
    ScheduledThreadPoolExecutor thread =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, export == null ? "tally-raw-gaps" : "tally-raw-export");
              t.setDaemon(true);
              return t;
            });
    thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // the next round, on close
    RawTier tier =
        new RawTier(store, sql, export, thread, null, clock, config.exportIntervalMillis());
    tier.gaps = recorded;
    thread.scheduleWithFixedDelay(
        () -> quietly(tier::readGaps), gapsRefreshMillis, gapsRefreshMillis, TimeUnit.MILLISECONDS);
    if (export == null) {
      LOG.info("raw store in {}: read only (no processor role, nothing to export)", store.dir());
      return tier;
    }
    long every = config.exportIntervalMillis();
    tier.scheduleRound(every);
    thread.scheduleWithFixedDelay(
        () -> quietly(() -> expire(store, clock, config.retentionMillis())),
        every,
        EXPIRY_PERIOD_MILLIS,
        TimeUnit.MILLISECONDS);
    LOG.info(
        "raw store in {}: closed minutes exported every {}, kept {}",
        store.dir(),
        every % 60_000 == 0 ? every / 60_000 + "m" : every / 1_000 + "s",
        Retention.describe(config.retentionMillis()));
    return tier;
  }

  /**
   * Schedules the next export round {@code delayMillis} from now; each round schedules the next: at
   * once while a minute has closed since the round began (the export is behind), else after the
   * interval. A fixed delay of an interval after every round left a behind export idle for that
   * interval between rounds (docs/benchmarks.md).
   */
  private void scheduleRound(long delayMillis) {
    try {
      thread.schedule(this::round, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closing: no more rounds
    }
  }

  private void round() {
    boolean behind = false;
    try {
      quietly(
          () -> {
            exportAndCompact(export, store);
            readGaps(); // the round may have recorded a gap
          });
      behind = export.closedMinutesWaiting();
    } catch (RuntimeException e) {
      LOG.warn(
          "raw export: reading the counted positions failed; next round after the interval", e);
    } finally {
      scheduleRound(behind ? 0 : exportIntervalMillis);
    }
  }

  /** Reads the recorded gaps from the store's manifests (the tier's thread only). */
  private void readGaps() {
    gaps = Gaps.of(store.gaps());
  }

  /** One export round, then the compaction of closed hours (docs/raw.md), each logged. */
  private static void exportAndCompact(RawExport export, DuckDbRawStore store) {
    exportLogged(export);
    long start = System.nanoTime();
    int merged = store.compact();
    if (merged > 0) {
      LOG.info(
          "raw store: compacted {} files away in {} ms",
          merged,
          (System.nanoTime() - start) / 1_000_000);
    }
  }

  /** One export round, with a log line saying how many events it wrote and how fast. */
  private static void exportLogged(RawExport export) {
    long before = export.eventsExported();
    long start = System.nanoTime();
    export.run();
    long events = export.eventsExported() - before;
    if (events > 0) {
      long micros = Math.max(1, (System.nanoTime() - start) / 1_000);
      LOG.info(
          "raw export: {} events in {} ms ({} events/s)",
          events,
          micros / 1_000,
          events * 1_000_000 / micros);
    }
  }

  private static void expire(DuckDbRawStore store, InstantSource clock, long retentionMillis) {
    if (retentionMillis == Retention.FOREVER) {
      return;
    }
    long deleted = store.expire(clock.millis() - retentionMillis);
    if (deleted > 0) {
      LOG.info("raw store: deleted {} events past the retention", deleted);
    }
  }

  private static void quietly(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      LOG.warn("raw store task failed; it runs again later", e);
    }
  }

  /** What log retention must keep for the export (nothing when off). */
  IntToLongFunction retentionHold() {
    return export == null ? p -> Long.MAX_VALUE : export::neededFrom;
  }

  /**
   * What an operator must see about the raw store's records lost to log retention (as its recorded
   * gaps say until its retention passes them), else null. From memory: the gaps as last read (see
   * the class comment).
   */
  String warning() {
    return gaps.warning();
  }

  /**
   * What an operator must see when the export lags past {@link #lagWarningMillis}, else null. From
   * memory: the export's own record of its latest write.
   */
  String lagWarning() {
    long lag = exportLagMillis();
    if (lag <= lagWarningMillis(exportIntervalMillis)) {
      return null;
    }
    return "the raw export is "
        + lag / 60_000
        + " min behind: the oldest counted event it has not exported was logged at "
        + Instant.ofEpochMilli(clock.millis() - lag)
        + ". The log keeps every record the export still needs, so the data dir (embedded) grows"
        + " until it catches up, and Kafka's retention (cluster) may delete them first: ingest is"
        + " outrunning the export (docs/raw.md)";
  }

  /**
   * How long ago the oldest counted event the export has not exported yet was logged, as its latest
   * write saw it; 0 when it is exported up to the closed minutes, or there is no export here.
   */
  long exportLagMillis() {
    long oldest = export == null ? Long.MAX_VALUE : export.oldestUnexportedMillis();
    return oldest == Long.MAX_VALUE ? 0 : Math.max(0, clock.millis() - oldest);
  }

  /** Log records the raw store lacks for good, over its recorded gaps as last read (0 when off). */
  long lostRecords() {
    return gaps.gaps().stream().mapToLong(RawGap::records).sum();
  }

  /**
   * Blocks until this process may swap a recount's rows in: one at a time across the processes
   * sharing the store ({@link DuckDbRawStore#holdRecounts}).
   *
   * @throws IllegalStateException when the raw store is off
   */
  AutoCloseable holdRecounts() throws IOException {
    if (store == null) {
      throw new IllegalStateException(off);
    }
    return store.holdRecounts();
  }

  /** Why the raw store is off, or null when on. */
  String offReason() {
    return off;
  }

  /** The store read back for recount and audit, or null when off. */
  RawReader reader() {
    return store == null ? null : new DuckDbRawReader(store);
  }

  /** {@code POST /v1/query}, or its 404 when off. */
  Routes routes() {
    return sql == null ? SqlRoutes.absent(off + ": no SQL over events") : new SqlRoutes(sql);
  }

  @Override
  public void close() {
    if (store == null) {
      return;
    }
    if (export != null) {
      export.stop(); // a running export returns after its current write
    }
    thread.shutdown();
    try {
      if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
        thread.shutdownNow(); // an interrupted write records nothing: redone at the next start
        LOG.warn("the raw export did not stop in time; leaving its store open");
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    sql.close();
    store.close();
  }
}
