package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.cassandra.CassandraCounterStore;
import io.tally.cassandra.CassandraTopKStore;
import io.tally.cassandra.CounterWriter;
import io.tally.cassandra.Materializer;
import io.tally.cassandra.TopKWriter;
import io.tally.core.ingest.Ingestor;
import io.tally.core.partition.Partitioner;
import io.tally.core.process.ProcessorHealth;
import io.tally.core.query.QueryService;
import io.tally.core.topk.TopKService;
import io.tally.core.validate.EventValidator;
import io.tally.kafka.KafkaEventLog;
import io.tally.kafka.KafkaProcessor;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster node wired by hand: ingest appends to Kafka, the processor (a member of the
 * processors' consumer group) writes transactional deltas, the materializer applies them (and
 * the Top-K slots they feed) to Cassandra, queries read Cassandra. Each role is optional ({@link ClusterConfig.Roles}).
 *
 * <p>{@link #close()} stops in dependency order: HTTP (finishing in-flight requests), then the
 * processor (commits what it consumed and leaves the group, so its partitions move at once),
 * the materializer, and the clients. Thread-safe to close from a shutdown hook.
 */
public final class ClusterTally implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterTally.class);
  /** How many cached rows the materializer keeps (about 150 bytes each). */
  private static final long MATERIALIZER_CACHED_ROWS = 500_000;
  private static final int MATERIALIZER_IN_FLIGHT = 256;

  private final ClusterConfig config;
  private KafkaEventLog log;
  private CassandraCounterStore store;
  private KafkaProcessor processor;
  private Materializer materializer;
  private HttpApi http;
  private boolean closed;

  private ClusterTally(ClusterConfig config, InstantSource clock) {
    this.config = config;
    ClusterConfig.Roles roles = config.roles();
    ServerConfig server = config.server();
    try {
      if (roles.ingest() || roles.processor()) {
        log = new KafkaEventLog(config.kafka(), clock);
      }
      CassandraTopKStore topKStore = null;
      if (roles.materializer() || roles.query()) {
        store = CassandraCounterStore.open(config.cassandra());
        topKStore = new CassandraTopKStore(store, config.kafka().partitions());
      }
      List<Health.Component> components = new ArrayList<>();
      if (roles.processor()) {
        processor = new KafkaProcessor(config.kafka(), log, server.processor());
        processor.start();
        KafkaProcessor p = processor;
        components.add(new Health.Component("processor", p::health, () -> true, p::backlog));
      }
      if (roles.materializer()) {
        materializer = new Materializer(config.kafka(),
            new CounterWriter(store, clock, MATERIALIZER_IN_FLIGHT, MATERIALIZER_CACHED_ROWS),
            new TopKWriter(topKStore, server.topK(), clock));
        materializer.start();
        Materializer m = materializer;
        components.add(new Health.Component("materializer", m::health, () -> true, m::lag));
      }
      if (components.isEmpty()) {
        components.add(new Health.Component("node", () -> ProcessorHealth.OK, () -> true, () -> 0));
      }
      Partitioner partitioner = new Partitioner(config.kafka().partitions());
      EventValidator validator = new EventValidator(server.validation());
      // Kafka holds the backlog (bounded by its retention), so ingest admits on in-flight appends only
      Ingestor ingestor = roles.ingest()
          ? new Ingestor(log, partitioner, validator, clock, server.ingest(), () -> 0L)
          : null;
      QueryService queries = roles.query()
          ? new QueryService(store, partitioner, validator, clock, server.maxBuckets())
          : null;
      TopKService topK = roles.query()
          ? new TopKService(topKStore, store, server.topK(), validator, clock, config.kafka().partitions())
          : null;
      http = HttpApi.start(server, ingestor, queries, topK,
          new Health(components, clock, server.processor().unhealthyAfterMillis()));
      LOG.info("cluster node {} serving on port {} with roles {}", config.kafka().nodeId(), http.port(), roles);
    } catch (RuntimeException e) {
      stopAll();
      throw e;
    }
  }

  /** Connects to Kafka and Cassandra (creating topics and schema when missing) and starts serving. */
  public static ClusterTally start(ClusterConfig config) {
    return start(config, InstantSource.system());
  }

  public static ClusterTally start(ClusterConfig config, InstantSource clock) {
    return new ClusterTally(requireNonNull(config, "config"), requireNonNull(clock, "clock"));
  }

  public int port() {
    return http.port();
  }

  public String url() {
    String host = config.server().host();
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
  }

  /** The event partitions this node's processor owns now (empty without the processor role). */
  public Set<Integer> ownedPartitions() {
    return processor == null ? Set.of() : processor.assignedPartitions();
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
    if (processor != null && !processor.stopAndAwait(Duration.ofSeconds(30))) {
      LOG.warn("the processor did not stop in time; what it had not committed is reprocessed by the next owner");
    }
    if (materializer != null && !materializer.stopAndAwait(Duration.ofSeconds(30))) {
      LOG.warn("the materializer did not stop in time; uncommitted deltas are applied again (idempotently)");
    }
    if (log != null) {
      log.close();
    }
    if (store != null) {
      store.close();
    }
  }
}
