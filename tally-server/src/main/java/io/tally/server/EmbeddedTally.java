package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.core.enrich.AttributePublisher;
import io.tally.core.enrich.AttributeService;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.enrich.Enrichment;
import io.tally.core.ingest.Ingestor;
import io.tally.core.partition.Partitioner;
import io.tally.core.process.LogRetention;
import io.tally.core.process.ProcessorGroup;
import io.tally.core.query.PositionGate;
import io.tally.core.query.QueryService;
import io.tally.core.recount.CounterRows;
import io.tally.core.retention.Retention;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.QuorumLoss;
import io.tally.core.topk.SketchLibrary;
import io.tally.core.topk.TopKService;
import io.tally.core.validate.EventValidator;
import io.tally.model.Granularity;
import io.tally.rocksdb.RocksDbApiKeyStore;
import io.tally.rocksdb.RocksDbAttributeStore;
import io.tally.rocksdb.RocksDbCounterStore;
import io.tally.rocksdb.RocksDbEventLog;
import io.tally.rocksdb.RocksDbStorage;
import io.tally.rocksdb.WalSalvage;
import io.tally.server.security.GatewaySecurity;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded mode wired by hand: RocksDB log, counter store (with the Top-K slots) and entity
 * attributes, the processor threads (counting derived entities too, {@link ServerConfig#derive()}),
 * ingest, queries and the HTTP API, in one process; a maintenance thread trims the log and deletes
 * counter rows past their retention.
 *
 * <p>{@link #close()} shuts down in dependency order: stop accepting HTTP and finish in-flight
 * requests, drain the log's appender, let the processors write their last flush and checkpoint,
 * then close RocksDB. Thread-safe to close from a shutdown hook.
 */
public final class EmbeddedTally implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedTally.class);

  private final ServerConfig config;
  private final RocksDbStorage storage;
  private final RocksDbEventLog log;
  private final RocksDbCounterStore store;
  private final RocksDbAttributeStore attributes;
  private final ProcessorGroup processors;
  private final HttpApi http;
  private final ScheduledExecutorService maintenance;
  private final RawTier raw;
  private RecountTier recounts;
  private boolean closed;

  private EmbeddedTally(
      ServerConfig config, InstantSource clock, UnaryOperator<DeltaSink> sinkDecorator) {
    this.config = config;
    storage = RocksDbStorage.open(config.dataDir(), config.partitions(), config.salvageWal());
    log = new RocksDbEventLog(storage, clock, config.fsync());
    try {
      store = new RocksDbCounterStore(storage, config.topK(), clock); // loads the Top-K slots
    } catch (RuntimeException e) {
      log.close();
      storage.close();
      throw e;
    }
    attributes =
        new RocksDbAttributeStore(storage, RocksDbAttributeStore.DEFAULT_CACHE_BYTES, true);
    DerivedEntities derived = config.derivedEntities();
    TallyMetrics metrics = new TallyMetrics(clock);
    Enrichment enrichment = new Enrichment(derived, attributes);
    processors =
        new ProcessorGroup(
            log,
            metrics.timedFlushes(sinkDecorator.apply(store)),
            config.processor(),
            clock,
            enrichment,
            ProcessorGroup.allPartitions(log));
    maintenance =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tally-maintenance");
              t.setDaemon(true);
              return t;
            });
    try {
      Partitioner partitioner = new Partitioner(config.partitions());
      EventValidator validator = new EventValidator(config.effectiveValidation());
      TimedEventLog appends = metrics.timedAppends(log);
      Ingestor ingestor =
          new Ingestor(
              appends,
              partitioner,
              validator,
              derived,
              clock,
              config.ingest(),
              processors::backlog);
      QueryService queries =
          new QueryService(store, partitioner, validator, clock, config.effectiveQuery(), derived);
      TopKService topK =
          new TopKService(
              store,
              store,
              config.topK(),
              validator,
              clock,
              config.partitions(),
              QuorumLoss.STALE,
              derived);
      AttributeService attributeService =
          new AttributeService(attributes, AttributePublisher.writingTo(attributes), validator);
      processors.start();
      raw =
          RawTier.start(
              config.raw(), log, store, attributes, config.processor(), clock); // after recovery
      LogRetention retention =
          new LogRetention(
              log,
              store,
              clock,
              config.logRetentionMillis(),
              config.processor().dedupWindowMillis(),
              raw.retentionHold());
      maintenance.scheduleWithFixedDelay(() -> runQuietly(retention), 1, 60, TimeUnit.SECONDS);
      Retention counterRetention = config.query().retention();
      maintenance.scheduleWithFixedDelay(
          () -> runQuietly(() -> expire(counterRetention, clock)), 5, 60, TimeUnit.SECONDS);
      recounts =
          RecountTier.start(raw, store, log, enrichment, config, clock, metrics, () -> () -> {});
      metrics.bindIngestor(ingestor);
      metrics.bindQueries(queries);
      metrics.bindDedup(enrichment);
      metrics.bindRaw(raw);
      metrics.bindProcessors(processors, config.partitions());
      metrics.bindGroupCommit(log);
      metrics.bindRocksDb(storage);
      Health health =
          Health.of(
              processors,
              clock,
              config.processor().unhealthyAfterMillis(),
              storage.salvaged().map(WalSalvage::describe).stream().toList());
      health.addWarning(recounts::warning);
      health.addWarning(raw::warning);
      health.addWarning(raw::lagWarning);
      Readiness readiness =
          new Readiness(
              List.of(
                  new Readiness.Resource(
                      "log", storage::isOpen, () -> failing("appends", appends.appendProblem())),
                  new Readiness.Resource("store", storage::isOpen)),
              health,
              config.ops().readyMaxBacklogEvents());
      http =
          HttpApi.start(
              config,
              List.of(
                  new IngestRoutes(ingestor, metrics.ingest(), config.maxBodyBytes()),
                  new QueryRoutes(
                      queries,
                      topK,
                      new PositionGate(store, config.partitions(), clock),
                      QueryRoutes.Reads.LOCAL),
                  new AttributeRoutes(attributeService, !derived.isEmpty()),
                  raw.routes(),
                  recounts.routes()),
              new OpsRoutes(metrics, health, readiness).withQueryCache(queries),
              new Overview(
                  "embedded",
                  config.partitions(),
                  config.topK(),
                  ingestor,
                  Overview.progress(log, store::checkpoint, store),
                  processors::backlog,
                  clock,
                  System::nanoTime),
              GatewaySecurity.create(
                  config.security(),
                  config.host(),
                  config.maxBodyBytes(),
                  new RocksDbApiKeyStore(storage),
                  clock));
    } catch (RuntimeException e) {
      stopStorage(); // e.g. the port is taken: undo what started, in reverse
      throw e;
    }
  }

  /** The counter rows, for tests that damage one on purpose (through the store). */
  CounterRows counterRows() {
    return store;
  }

  /** Opens the data dir, recovers, and starts serving. */
  public static EmbeddedTally start(ServerConfig config) {
    return start(config, InstantSource.system());
  }

  /** As {@link #start(ServerConfig)} with an injected clock, for tests. */
  public static EmbeddedTally start(ServerConfig config, InstantSource clock) {
    return start(config, clock, UnaryOperator.identity());
  }

  /**
   * Test seam: as {@link #start(ServerConfig, InstantSource)}, with the processors writing through
   * {@code sinkDecorator.apply(store)}, e.g. to slow down or fail writes.
   */
  public static EmbeddedTally start(
      ServerConfig config, InstantSource clock, UnaryOperator<DeltaSink> sinkDecorator) {
    SketchLibrary.check(); // before anything opens: a JVM it refuses would stop the processor
    return new EmbeddedTally(
        requireNonNull(config, "config"),
        requireNonNull(clock, "clock"),
        requireNonNull(sinkDecorator, "sinkDecorator"));
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return http.port();
  }

  public String url() {
    return http.scheme()
        + "://"
        + (config.host().contains(":") ? "[" + config.host() + "]" : config.host())
        + ":"
        + port();
  }

  /** The routes served (for tests). */
  List<io.vertx.ext.web.Route> routes() {
    return http.routes();
  }

  /** Events logged but not yet counted. */
  public long backlog() {
    return processors.backlog();
  }

  /**
   * Deletes counter rows past retention (whole time ranges; a no-op until one more range expired).
   */
  private void expire(Retention retention, InstantSource clock) {
    for (Granularity g : store.expire(retention, clock.millis())) {
      LOG.info(
          "deleted {} rows past their retention of {}",
          g.wireName(),
          Retention.describe(retention.millis(g)));
    }
  }

  private static String failing(String what, String problem) {
    return problem == null ? null : what + " failing: " + problem;
  }

  private static void runQuietly(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      LOG.warn("maintenance task failed; it runs again later", e);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    LOG.info("shutting down: finishing in-flight requests");
    http.close();
    stopStorage();
    LOG.info("stopped");
  }

  /**
   * Stops retention, appends and processing, then closes RocksDB. If a processor thread did not end
   * in time (a failing store), RocksDB stays open under it rather than being freed while in use;
   * whatever it had not written is reprocessed from the log at the next start.
   */
  private void stopStorage() {
    maintenance.shutdownNow();
    try {
      maintenance.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // A recount still reading RocksDB or the raw store when they close would crash the JVM
    // (RocksDB's iterators are native): seen as a SIGSEGV on SIGTERM during a background audit
    boolean recountsStopped = recounts == null || recounts.stop();
    if (raw != null && recountsStopped) {
      raw.close();
    }
    log.stopAppends();
    LOG.info("counting what is logged and writing the last deltas and checkpoints");
    if (!processors.stopAndAwait()) {
      LOG.warn("a processor thread did not stop in time; leaving RocksDB open under it");
      return;
    }
    if (!recountsStopped) {
      LOG.warn("a recount did not stop in time; leaving RocksDB and the raw store open under it");
      return;
    }
    log.close();
    store.close();
    attributes.close();
    storage.close();
  }
}
