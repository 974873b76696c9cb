package io.tally.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.core.enrich.Enrichment;
import io.tally.core.ingest.Ingestor;
import io.tally.core.log.EventLog;
import io.tally.core.process.ProcessorGroup;
import io.tally.core.query.QueryService;
import io.tally.core.store.DeltaSink;
import io.tally.kafka.Materializer;
import io.tally.postgres.ReplicaStatus;
import io.tally.rocksdb.RocksDbEventLog;
import io.tally.rocksdb.RocksDbStorage;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The node's meters, in one Prometheus registry served at {@code GET /metrics}; docs/operations.md
 * lists every series.
 *
 * <p>Where the meters live: tally-core and the adapters stay free of Micrometer. Their hot paths
 * only bump {@link java.util.concurrent.atomic.LongAdder}s they already own (accepted events,
 * duplicates, group commits) or keep the state they need anyway (lag, as-of times); this class
 * binds those as function counters and gauges, read at scrape time. What needs a distribution (log
 * append latency, flush duration and size) is measured here by decorating the seams ({@link
 * TimedEventLog}, {@link TimedDeltaSink}), and request latency by {@link HttpMetrics}.
 *
 * <p>Thread-safe. Bind methods are called once by the wiring code of a mode.
 */
final class TallyMetrics implements AutoCloseable {
  private static final List<String[]> ROCKSDB_PROPERTIES =
      List.of(
          new String[] {
            "rocksdb.estimate-num-keys",
            "tally.rocksdb.estimated.keys",
            null,
            "Estimated keys over all column families"
          },
          new String[] {
            "rocksdb.total-sst-files-size",
            "tally.rocksdb.sst.files.size",
            "bytes",
            "Size of all SST files"
          },
          new String[] {
            "rocksdb.total-blob-file-size",
            "tally.rocksdb.blob.files.size",
            "bytes",
            "Size of all blob files (the event log's stored batches)"
          },
          new String[] {
            "rocksdb.estimate-live-data-size",
            "tally.rocksdb.live.data.size",
            "bytes",
            "Estimated live data"
          },
          new String[] {
            "rocksdb.cur-size-all-mem-tables",
            "tally.rocksdb.memtables.size",
            "bytes",
            "Size of all memtables"
          },
          new String[] {
            "rocksdb.block-cache-usage",
            "tally.rocksdb.block.cache.usage",
            "bytes",
            "Block cache memory in use"
          },
          new String[] {
            "rocksdb.estimate-pending-compaction-bytes",
            "tally.rocksdb.pending.compaction",
            "bytes",
            "Estimated bytes compaction still has to rewrite"
          },
          new String[] {
            "rocksdb.num-running-compactions",
            "tally.rocksdb.running.compactions",
            null,
            "Compactions running now"
          });

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final InstantSource clock;
  private final HttpMetrics http;
  private final IngestMeters ingest;

  TallyMetrics(InstantSource clock) {
    this.clock = clock;
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    http = new HttpMetrics(registry);
    ingest = new IngestMeters(registry);
  }

  MeterRegistry registry() {
    return registry;
  }

  HttpMetrics http() {
    return http;
  }

  IngestMeters ingest() {
    return ingest;
  }

  /** The Prometheus text exposition (format 0.0.4) of every meter. */
  String scrape() {
    return registry.scrape();
  }

  /**
   * {@code log}, with each append timed as {@code tally.log.append}: give it to the {@link
   * Ingestor}.
   */
  TimedEventLog timedAppends(EventLog log) {
    return new TimedEventLog(
        log,
        Timer.builder("tally.log.append")
            .description(
                "From append to durable (group commit and fsync, or acks=all), per ingest request")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(50_000))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry));
  }

  /** {@code sink}, with each flush measured: give it to the processors (both modes). */
  DeltaSink timedFlushes(DeltaSink sink) {
    return new TimedDeltaSink(
        sink,
        Timer.builder("tally.flush")
            .description(
                "Writing one flush: counter deltas and checkpoints, atomically (embedded, one"
                    + " RocksDB WriteBatch; cluster, one Kafka transaction)")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(100_000))
            .maximumExpectedValue(Duration.ofSeconds(60))
            .register(registry),
        DistributionSummary.builder("tally.flush.rows")
            .description("Counter rows written by one flush")
            .publishPercentileHistogram()
            .minimumExpectedValue(1.0)
            .maximumExpectedValue(1e7)
            .register(registry),
        Counter.builder("tally.flush.failures")
            .description("Flush writes that failed and were retried")
            .register(registry));
  }

  void bindIngestor(Ingestor ingestor) {
    counter(
        "tally.ingest.events",
        ingestor,
        Ingestor::acceptedEvents,
        "Events made durable and acknowledged");
    gauge(
        "tally.ingest.inflight.events",
        ingestor,
        Ingestor::inFlightEvents,
        "Events accepted but not yet durable");
  }

  void bindQueries(QueryService queries) {
    FunctionCounter.builder("tally.query.cache.requests", queries, q -> q.cacheStats().hits())
        .tag("result", "hit")
        .description("Query cache lookups")
        .register(registry);
    FunctionCounter.builder("tally.query.cache.requests", queries, q -> q.cacheStats().misses())
        .tag("result", "miss")
        .description("Query cache lookups")
        .register(registry);
    counter(
        "tally.query.cache.evictions",
        queries,
        q -> q.cacheStats().evictions(),
        "Query cache evictions");
    gauge(
        "tally.query.cache.entries",
        queries,
        q -> q.cacheStats().entries(),
        "Answers in the query cache");
  }

  void bindRaw(RawTier raw) {
    gauge(
        "tally.raw.lost.records",
        raw,
        RawTier::lostRecords,
        "Log records the raw store lacks for good: deleted from the log before they were exported"
            + " (its recorded gaps, until raw.retention passes them)");
    gauge(
        "tally.raw.export.lag.seconds",
        raw,
        r -> r.exportLagMillis() / 1_000.0,
        "How long ago the oldest counted event the raw export has not exported yet was logged (0:"
            + " exported up to the closed minutes); past 5 minutes, or 3 raw.export-interval, a"
            + " /healthz warning: the log keeps what is not exported");
  }

  void bindAudit(io.tally.core.recount.Auditor auditor) {
    gauge(
        "tally.audit.mismatched.rows",
        auditor,
        io.tally.core.recount.Auditor::mismatchedRows,
        "Counter rows the latest audit found differing from the raw store (0: all match)");
  }

  void bindDedup(Enrichment enrichment) {
    counter(
        "tally.dedup.duplicates",
        enrichment,
        Enrichment::duplicatesDropped,
        "Events dropped because their id was already sighted in the dedup window");
    counter(
        "tally.dedup.forgotten.early",
        enrichment,
        Enrichment::idsForgottenEarly,
        "Event ids forgotten before the dedup window ended because the window was full (a"
            + " re-send of one would count again): raise processor.dedup-capacity or the heap");
  }

  /**
   * The processors, in both modes: backlog, and per partition the lag in events and in seconds (NaN
   * where this node does not own the partition). Their flushes are measured by {@link
   * #timedFlushes}.
   */
  void bindProcessors(ProcessorGroup processors, int partitions) {
    gauge(
        "tally.processor.backlog.events",
        processors,
        ProcessorGroup::backlog,
        "Events logged but not yet counted");
    for (int p = 0; p < partitions; p++) {
      int partition = p;
      partitionLag(partition, () -> processors.lagEvents(partition));
      partitionLagSeconds(partition, () -> processors.appliedAsOfMillis(partition));
    }
  }

  private void partitionLagSeconds(int partition, LongSupplier asOfMillis) {
    TimeGauge.builder(
            "tally.processor.lag",
            () -> {
              long asOf = asOfMillis.getAsLong();
              return asOf == Long.MIN_VALUE ? Double.NaN : Math.max(0, clock.millis() - asOf);
            },
            TimeUnit.MILLISECONDS)
        .tag("partition", Integer.toString(partition))
        .description(
            "How stale the partition's counts are: now minus the as-of time of its last applied checkpoint")
        .register(registry);
  }

  private void partitionLag(int partition, LongSupplier lag) {
    Gauge.builder(
            "tally.processor.lag.events",
            () -> {
              long events = lag.getAsLong();
              return events < 0 ? Double.NaN : events;
            })
        .tag("partition", Integer.toString(partition))
        .description(
            "Events of the partition logged but not yet applied (NaN where this node does not own it)")
        .register(registry);
  }

  void bindMaterializer(Materializer materializer) {
    gauge(
        "tally.materializer.lag.records",
        materializer,
        Materializer::lag,
        "Delta records committed to Kafka but not yet applied to Cassandra");
    counter(
        "tally.materializer.errors",
        materializer,
        Materializer::failures,
        "Failed attempts to apply deltas to Cassandra (each retried)");
    counter(
        "tally.materializer.dead.letters",
        materializer,
        Materializer::deadLetters,
        "Undecodable delta records sent to the dead-letter topic");
  }

  /**
   * The reads of each PostgreSQL shard with a replica: by the replica, by the primary, the moves to
   * the primary, and whether the replica serves now (tag {@code shard}).
   */
  void bindPostgresReplicas(Supplier<List<ReplicaStatus>> status) {
    for (ReplicaStatus initial : status.get()) {
      String shard = Integer.toString(initial.shard());
      FunctionCounter.builder(
              "tally.postgres.replica.reads", status, s -> find(s, initial).replicaReads())
          .tag("shard", shard)
          .tag("copy", "replica")
          .description("Reads of a shard with a replica, by the copy that answered")
          .register(registry);
      FunctionCounter.builder(
              "tally.postgres.replica.reads", status, s -> find(s, initial).primaryReads())
          .tag("shard", shard)
          .tag("copy", "primary")
          .description("Reads of a shard with a replica, by the copy that answered")
          .register(registry);
      FunctionCounter.builder(
              "tally.postgres.replica.fallbacks", status, s -> find(s, initial).fallbacks())
          .tag("shard", shard)
          .description(
              "Moves of a shard's reads to its primary (replica failed, or behind a read-your-writes"
                  + " position)")
          .register(registry);
      Gauge.builder(
              "tally.postgres.replica.serving", status, s -> find(s, initial).onReplica() ? 1 : 0)
          .tag("shard", shard)
          .description("1 while a shard's reads go to its replica, 0 while to its primary")
          .strongReference(true)
          .register(registry);
    }
  }

  private static ReplicaStatus find(Supplier<List<ReplicaStatus>> status, ReplicaStatus initial) {
    return status.get().stream()
        .filter(r -> r.shard() == initial.shard())
        .findFirst()
        .orElse(initial);
  }

  void bindGroupCommit(RocksDbEventLog log) {
    counter(
        "tally.log.group.commits",
        log,
        RocksDbEventLog::groupCommits,
        "Group commits: one write (and fsync) for every append waiting");
    counter(
        "tally.log.group.commit.events",
        log,
        RocksDbEventLog::groupCommitEvents,
        "Events written by group commits (over tally_log_group_commits_total: the mean group size)");
  }

  void bindRocksDb(RocksDbStorage storage) {
    for (String[] p : ROCKSDB_PROPERTIES) {
      String property = p[0];
      Gauge.builder(
              p[1],
              storage,
              s -> {
                long v = s.aggregatedProperty(property);
                return v < 0 ? Double.NaN : v;
              })
          .baseUnit(p[2])
          .description(p[3] + " (" + property + ")")
          .strongReference(true)
          .register(registry);
    }
  }

  private <T> void counter(String name, T obj, ToDoubleFunction<T> f, String description) {
    FunctionCounter.builder(name, obj, f).description(description).register(registry);
  }

  private <T> void gauge(String name, T obj, ToDoubleFunction<T> f, String description) {
    Gauge.builder(name, obj, f).description(description).strongReference(true).register(registry);
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
