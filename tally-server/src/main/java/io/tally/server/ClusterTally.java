package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.core.enrich.AttributeService;
import io.tally.core.enrich.AttributeStore;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.enrich.Enrichment;
import io.tally.core.ingest.Ingestor;
import io.tally.core.partition.Partitioner;
import io.tally.core.process.ProcessorGroup;
import io.tally.core.process.ProcessorHealth;
import io.tally.core.query.PositionGate;
import io.tally.core.query.QueryService;
import io.tally.core.store.CounterStore;
import io.tally.core.topk.SketchLibrary;
import io.tally.core.topk.TopKService;
import io.tally.core.validate.EventValidator;
import io.tally.kafka.KafkaAttributePublisher;
import io.tally.kafka.KafkaAttributeReplica;
import io.tally.kafka.KafkaEventLog;
import io.tally.kafka.KafkaProcessors;
import io.tally.kafka.Materializer;
import io.tally.kafka.Topics;
import io.tally.model.TallyException;
import io.tally.rocksdb.RocksDbAttributeStore;
import io.tally.rocksdb.RocksDbStorage;
import io.tally.server.security.GatewaySecurity;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster node wired by hand: ingest appends to Kafka, the processor (a member of the processors'
 * consumer group) writes transactional deltas, the materializer applies them (and the Top-K slots
 * they feed) to the counter store — Cassandra, or PostgreSQL sharded by partition ({@link
 * ClusterStore}) — and queries read it. Each role is optional ({@link ClusterConfig.Roles}).
 *
 * <p>Entity attributes live in the compacted attributes topic. A node that serves the attribute
 * routes (ingest or query role) or derives entities (processor role with {@code --derive}) keeps a
 * replica of it in RocksDB under {@code <data-dir>/attributes}, rebuilt at every start; the
 * processor starts once the replica has caught up, so it never counts with attributes missing.
 *
 * <p>{@link #close()} stops in dependency order: HTTP (finishing in-flight requests), then the
 * processor (commits what it consumed and leaves the group, so its partitions move at once), the
 * materializer, the attributes replica, and the clients. Thread-safe to close from a shutdown hook.
 */
public final class ClusterTally implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterTally.class);

  /** How long a starting node waits for its attributes replica to read the topic. */
  private static final Duration REPLICA_CATCH_UP = Duration.ofSeconds(60);

  private final ClusterConfig config;
  private KafkaEventLog log;
  private ClusterStore store;
  private ProcessorGroup processor;
  private Materializer materializer;
  private RocksDbStorage attributeStorage;
  private RocksDbAttributeStore attributeStore;
  private KafkaAttributeReplica replica;
  private KafkaAttributePublisher publisher;
  private RawTier raw;
  private RecountTier recounts;
  private HttpApi http;
  private boolean closed;

  private ClusterTally(ClusterConfig config, InstantSource clock) {
    this.config = config;
    ClusterConfig.Roles roles = config.roles();
    ServerConfig server = config.server();
    TallyMetrics metrics = new TallyMetrics(clock);
    try {
      if (roles.ingest() || roles.processor()) {
        log = new KafkaEventLog(config.kafka(), clock);
      }
      store = ClusterStore.open(config); // every node: the API keys live there
      CounterStore counters = store.counters();
      List<Health.Component> components = new ArrayList<>();
      DerivedEntities derived = server.derivedEntities();
      Partitioner partitioner = new Partitioner(config.kafka().partitions());
      EventValidator validator = new EventValidator(server.effectiveValidation());
      AttributeService attributes = null;
      if (roles.ingest() || roles.query() || (roles.processor() && !derived.isEmpty())) {
        startReplica(server, clock);
        KafkaAttributeReplica r = replica;
        components.add(new Health.Component("attributes", r::health, r::caughtUp, () -> 0));
        if (roles.ingest() || roles.query()) {
          publisher = new KafkaAttributePublisher(config.kafka(), replica);
          attributes = new AttributeService(attributeStore, publisher, validator);
        }
      }
      if (roles.processor()) {
        AttributeStore processorAttributes =
            derived.isEmpty() ? AttributeStore.EMPTY : attributeStore;
        Enrichment enrichment = new Enrichment(derived, processorAttributes);
        processor =
            KafkaProcessors.group(
                config.kafka(), log, server.processor(), enrichment, clock, metrics::timedFlushes);
        processor.start();
        metrics.bindDedup(enrichment);
        metrics.bindProcessors(processor, config.kafka().partitions());
        ProcessorGroup p = processor;
        components.add(new Health.Component("processor", p::health, p::recovered, p::backlog));
      }
      if (roles.materializer()) {
        materializer = new Materializer(config.kafka(), store.sink(server.topK(), clock), clock);
        materializer.start();
        metrics.bindMaterializer(materializer);
        Materializer m = materializer;
        components.add(new Health.Component("materializer", m::health, () -> true, m::lag));
      }
      raw = startRaw(server, counters, clock);
      recounts =
          RecountTier.cluster(
              config, store, raw, log, derived, attributeStore, clock, metrics); // after raw
      if (components.isEmpty()) {
        components.add(new Health.Component("node", () -> ProcessorHealth.OK, () -> true, () -> 0));
      }
      // Kafka holds the backlog (bounded by its retention), so ingest admits on in-flight appends
      // only
      Ingestor ingestor =
          roles.ingest()
              ? new Ingestor(
                  metrics.timedAppends(log),
                  partitioner,
                  validator,
                  derived,
                  clock,
                  server.ingest(),
                  () -> 0L)
              : null;
      QueryService queries =
          roles.query()
              ? new QueryService(
                  counters, partitioner, validator, clock, server.effectiveQuery(), derived)
              : null;
      TopKService topK =
          roles.query()
              ? new TopKService(
                  store.topK(),
                  counters,
                  server.topK(),
                  validator,
                  clock,
                  config.kafka().partitions(),
                  server.query().onQuorumLoss(),
                  derived)
              : null;
      if (ingestor != null) {
        metrics.bindIngestor(ingestor);
      }
      if (queries != null) {
        metrics.bindQueries(queries);
      }
      metrics.bindPostgresReplicas(store::replicaStatus);
      metrics.bindRaw(raw);
      // Kafka and the store were reached while starting (or start failed); their later outages
      // show as the processor's and materializer's checks
      Health health = new Health(components, clock, server.processor().unhealthyAfterMillis());
      health.addWarning(raw::warning);
      health.addWarning(raw::lagWarning);
      health.addWarning(recounts::warning);
      Readiness readiness = new Readiness(List.of(), health, server.ops().readyMaxBacklogEvents());
      http =
          HttpApi.start(
              server,
              List.of(
                  ingestor != null
                      ? new IngestRoutes(ingestor, metrics.ingest(), server.maxBodyBytes())
                      : IngestRoutes.absent(),
                  queries != null
                      ? new QueryRoutes(
                          queries,
                          topK,
                          new PositionGate(counters, config.kafka().partitions(), clock),
                          QueryRoutes.Reads.REMOTE)
                      : QueryRoutes.absent(),
                  attributes != null
                      ? new AttributeRoutes(attributes, !derived.isEmpty())
                      : AttributeRoutes.absent(),
                  raw.routes(),
                  recounts.routes()),
              queries != null
                  ? new OpsRoutes(metrics, health, readiness).withQueryCache(queries)
                  : new OpsRoutes(metrics, health, readiness),
              new Overview(
                  "cluster",
                  config.kafka().partitions(),
                  server.topK(),
                  ingestor,
                  Overview.progress(log, p -> counters.checkpoint(p), counters),
                  () -> health.report().backlog(),
                  clock,
                  System::nanoTime),
              GatewaySecurity.create(
                  server.security(), server.host(), server.maxBodyBytes(), store.apiKeys(), clock));
      LOG.info(
          "cluster node {} serving on port {} with roles {}",
          config.kafka().nodeId(),
          http.port(),
          roles);
    } catch (RuntimeException e) {
      if (http == null) {
        metrics.close();
      }
      stopAll();
      throw e;
    }
  }

  /**
   * The raw store in the shared {@code raw.dir}: a processor node exports the partitions it owns,
   * up to the materialized checkpoints (so the raw store is never ahead of the counters).
   */
  private RawTier startRaw(ServerConfig server, CounterStore counters, InstantSource clock) {
    ProcessorGroup p = processor;
    return RawTier.cluster(
        server.raw(),
        config.kafka().partitions(),
        p == null ? null : log,
        p == null ? null : p::ownedPartitions,
        counters::checkpoint,
        attributeStore != null ? attributeStore : AttributeStore.EMPTY,
        server.processor(),
        clock);
  }

  /**
   * Opens the local replica store, clears it, and waits until it holds the whole attributes topic.
   */
  private void startReplica(ServerConfig server, InstantSource clock) {
    Topics.ensure(config.kafka());
    attributeStorage =
        RocksDbStorage.open(server.dataDir().resolve("attributes"), config.kafka().partitions());
    attributeStore =
        new RocksDbAttributeStore(
            attributeStorage, RocksDbAttributeStore.DEFAULT_CACHE_BYTES, false);
    replica = new KafkaAttributeReplica(config.kafka(), attributeStore, clock);
    replica.start();
    try {
      if (!replica.awaitCaughtUp(REPLICA_CATCH_UP)) {
        throw new TallyException(
            "the attributes replica did not catch up with "
                + config.kafka().attributesTopic()
                + " within "
                + REPLICA_CATCH_UP.toSeconds()
                + " s: "
                + replica.health().reason());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TallyException("interrupted while reading the attributes topic", e);
    }
  }

  /**
   * Connects to Kafka and the counter store (creating topics and schema when missing) and starts
   * serving.
   */
  public static ClusterTally start(ClusterConfig config) {
    return start(config, InstantSource.system());
  }

  public static ClusterTally start(ClusterConfig config, InstantSource clock) {
    SketchLibrary.check(); // before anything connects: a JVM it refuses would stop the processor
    return new ClusterTally(requireNonNull(config, "config"), requireNonNull(clock, "clock"));
  }

  public int port() {
    return http.port();
  }

  public String url() {
    String host = config.server().host();
    return http.scheme() + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
  }

  /** The event partitions this node's processor owns now (empty without the processor role). */
  public Set<Integer> ownedPartitions() {
    return processor == null ? Set.of() : processor.ownedPartitions();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    LOG.info("shutting down: finishing in-flight requests");
    stopAll();
    LOG.info("stopped");
  }

  private void stopAll() {
    if (http != null) {
      http.close();
    }
    boolean attributeReadersStopped = true;
    if (processor != null && !processor.stopAndAwait()) {
      LOG.warn(
          "the processor did not stop in time; what it had not committed is reprocessed by the next owner");
      attributeReadersStopped = false;
    }
    if (recounts != null) {
      recounts.close();
    }
    if (raw != null) {
      raw.close(); // before the log: a running export finishes its write
    }
    if (materializer != null && !materializer.stopAndAwait(Duration.ofSeconds(30))) {
      LOG.warn(
          "the materializer did not stop in time; uncommitted deltas are applied again (idempotently)");
    }
    if (publisher != null) {
      publisher.close();
    }
    if (replica != null && !replica.stopAndAwait(Duration.ofSeconds(10))) {
      attributeReadersStopped = false;
    }
    if (attributeStorage != null && attributeReadersStopped) {
      attributeStore.close();
      attributeStorage.close();
    } else if (attributeStorage != null) {
      LOG.warn("a thread still reads the attributes replica; leaving its RocksDB open under it");
    }
    if (log != null) {
      log.close();
    }
    if (store != null) {
      store.close();
    }
  }
}
