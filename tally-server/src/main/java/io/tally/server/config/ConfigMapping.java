package io.tally.server.config;

import static io.tally.server.config.ConfigKeys.*;

import io.tally.cassandra.CassandraSettings;
import io.tally.core.dedup.DedupWindow;
import io.tally.core.ingest.IngestLimits;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.query.QueryConfig;
import io.tally.core.raw.RawConfig;
import io.tally.core.retention.Retention;
import io.tally.core.topk.TopKConfig;
import io.tally.core.uniques.UniquesConfig;
import io.tally.core.validate.ValidationLimits;
import io.tally.kafka.KafkaSettings;
import io.tally.model.Granularity;
import io.tally.postgres.PostgresSettings;
import io.tally.server.ClusterConfig;
import io.tally.server.OpsConfig;
import io.tally.server.ServerConfig;
import io.tally.server.security.SecurityConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Hands the effective configuration to the records each mode starts from: {@link ServerConfig}
 * (embedded, and the shared part of a cluster node) and {@link ClusterConfig}, each through its
 * canonical constructor, so every keyed value comes from the registry and nothing else; what no key
 * sets comes from the records' own constants. Checks that span several keys happen here and name
 * every key involved. Stateless.
 */
public final class ConfigMapping {
  private ConfigMapping() {}

  /** Whether {@code mode} is {@code cluster}. */
  public static boolean clusterMode(EffectiveConfig c) {
    return c.get(MODE).equals("cluster");
  }

  /**
   * {@code query.max-buckets}; left at its default, it is widened to the minute retention's whole
   * history, so that history can always be fetched in one query (7 days: 10,081 buckets).
   */
  private static int maxBuckets(EffectiveConfig c, Retention retention) {
    int configured = c.get(QUERY_MAX_BUCKETS);
    if (c.value(QUERY_MAX_BUCKETS).origin().source() != Origin.Source.DEFAULT) {
      return configured;
    }
    return (int)
        Math.min(1_000_000, Math.max(configured, retention.retainedBuckets(Granularity.MINUTE)));
  }

  /**
   * The embedded server's configuration.
   *
   * @throws ConfigException naming the keys of a conflict between them
   */
  public static ServerConfig server(EffectiveConfig c) {
    Retention retention =
        check(
            "retention.minute, retention.hour and retention.day",
            () ->
                new Retention(
                    c.get(RETENTION_MINUTE),
                    c.get(RETENTION_HOUR),
                    c.get(RETENTION_DAY),
                    Retention.FOREVER));
    IngestLimits ingest =
        check(
            "ingest.max-events-per-request and ingest.max-in-flight-events",
            () ->
                new IngestLimits(
                    c.get(INGEST_MAX_EVENTS_PER_REQUEST),
                    c.get(INGEST_MAX_IN_FLIGHT_EVENTS),
                    c.get(INGEST_MAX_BACKLOG_EVENTS)));
    ProcessorConfig tuning = ProcessorConfig.DEFAULTS; // what no key sets
    ProcessorConfig processor =
        new ProcessorConfig(
            c.get(PROCESSOR_THREADS),
            flushInterval(c),
            tuning.maxRowsPerFlush(),
            tuning.maxPollRecords(),
            c.get(PROCESSOR_DEDUP_WINDOW_MS),
            dedupCapacity(c),
            tuning.maxRetryBackoffMillis(),
            tuning.unhealthyAfterMillis(),
            new UniquesConfig(c.get(UNIQUES_LG_K)));
    QueryConfig query =
        new QueryConfig(
            maxBuckets(c, retention),
            retention,
            c.get(QUERY_CACHE_ENTRIES),
            QueryConfig.DEFAULTS.cacheTtlMillis(),
            c.get(QUERY_ON_QUORUM_LOSS));
    return new ServerConfig(
        c.get(SERVER_HOST),
        c.get(SERVER_PORT),
        c.get(STORAGE_DATA_DIR),
        c.get(STORAGE_PARTITIONS),
        c.get(STORAGE_FSYNC),
        c.get(SERVER_MAX_BODY_BYTES),
        query,
        c.get(STORAGE_LOG_RETENTION),
        processor,
        ingest,
        ValidationLimits.DEFAULTS,
        c.get(ENRICH_DERIVE),
        new TopKConfig(c.get(TOPK_WINDOWS), c.get(TOPK_SKETCH_SIZE)),
        new OpsConfig(c.get(OPS_READY_MAX_BACKLOG)),
        c.get(BROWSER_CORS_ORIGINS),
        security(c),
        c.get(STORAGE_SALVAGE_WAL),
        raw(c));
  }

  /**
   * A cluster node's configuration.
   *
   * @throws ConfigException if Kafka or Cassandra is not given, or keys conflict
   */
  public static ClusterConfig cluster(EffectiveConfig c) {
    ServerConfig server = server(c);
    String bootstrap =
        c.get(CLUSTER_KAFKA_BOOTSTRAP).orElseThrow(() -> missing(CLUSTER_KAFKA_BOOTSTRAP));
    boolean postgres = c.get(CLUSTER_STORE).equals("postgres");
    List<InetSocketAddress> contactPoints = c.get(CLUSTER_CASSANDRA_CONTACT_POINTS);
    if (contactPoints.isEmpty() && !postgres) {
      throw missing(CLUSTER_CASSANDRA_CONTACT_POINTS);
    }
    if (postgres && c.get(CLUSTER_POSTGRES_URLS).isEmpty()) {
      throw new ConfigException(
          CLUSTER_POSTGRES_URLS.name()
              + " is required when cluster.store is postgres: set it in the file, as "
              + CLUSTER_POSTGRES_URLS.envName()
              + " or with "
              + CLUSTER_POSTGRES_URLS.flag()
              + " (one JDBC URL per shard, always in the same order)");
    }
    String nodeId =
        c.get(CLUSTER_NODE_ID).orElse(server.host().replace(':', '_') + "-" + server.port());
    KafkaSettings kafka =
        KafkaSettings.defaults(bootstrap, nodeId)
            .withTopicPrefix(c.get(CLUSTER_KAFKA_TOPIC_PREFIX))
            .withPartitions(server.partitions())
            .withReplicationFactor(c.get(CLUSTER_KAFKA_REPLICATION_FACTOR))
            .withSessionTimeoutMillis(c.get(CLUSTER_KAFKA_SESSION_TIMEOUT_MS))
            .withCompression(c.get(CLUSTER_KAFKA_COMPRESSION));
    List<PostgresSettings> shards = new ArrayList<>();
    List<Optional<PostgresSettings>> replicas = new ArrayList<>();
    if (postgres) {
      for (String url : c.get(CLUSTER_POSTGRES_URLS)) {
        shards.add(postgres(c, url, server));
      }
      for (Optional<String> url : replicas(c, shards.size())) {
        replicas.add(url.map(u -> postgres(c, u, server)));
      }
    }
    CassandraSettings cassandra =
        postgres
            ? null
            : CassandraSettings.defaults(contactPoints.get(0))
                .withContactPoints(contactPoints, c.get(CLUSTER_CASSANDRA_DATACENTER))
                .withKeyspace(c.get(CLUSTER_CASSANDRA_KEYSPACE))
                .withReplication(c.get(CLUSTER_CASSANDRA_REPLICATION))
                .withConsistency(
                    c.get(CLUSTER_CASSANDRA_WRITE_CONSISTENCY),
                    c.get(CLUSTER_CASSANDRA_READ_CONSISTENCY))
                .withRetention(server.query().retention());
    Set<String> roles = c.get(CLUSTER_ROLES);
    return new ClusterConfig(
        server,
        kafka,
        cassandra,
        shards,
        replicas,
        new ClusterConfig.Roles(
            roles.contains("ingest"),
            roles.contains("processor"),
            roles.contains("materializer"),
            roles.contains("query")));
  }

  private static PostgresSettings postgres(EffectiveConfig c, String url, ServerConfig server) {
    return PostgresSettings.defaults(url)
        .withUser(c.get(CLUSTER_POSTGRES_USER), c.get(CLUSTER_POSTGRES_PASSWORD))
        .withSchema(c.get(CLUSTER_POSTGRES_SCHEMA))
        .withRetention(server.query().retention());
  }

  /** The replica URLs, one per shard (empty when none are configured). */
  private static List<Optional<String>> replicas(EffectiveConfig c, int shards) {
    List<Optional<String>> urls = c.get(CLUSTER_POSTGRES_REPLICA_URLS);
    if (!urls.isEmpty() && urls.size() != shards) {
      throw new ConfigException(
          CLUSTER_POSTGRES_REPLICA_URLS.name()
              + " has "
              + urls.size()
              + " entries for "
              + shards
              + " shards: give one per shard of "
              + CLUSTER_POSTGRES_URLS.name()
              + ", in its order, none for a shard without a replica");
    }
    return urls;
  }

  private static ConfigException missing(ConfigKey<?> key) {
    return new ConfigException(
        key.name()
            + " is required when mode is cluster: set it in the file, as "
            + key.envName()
            + " or with "
            + key.flag());
  }

  private static RawConfig raw(EffectiveConfig c) {
    RawConfig d = RawConfig.DEFAULTS;
    return new RawConfig(
        c.get(RAW_ENABLED),
        // a cluster's nodes share one raw store: no default under a node's own data dir
        c.get(RAW_DIR).orElse(clusterMode(c) ? null : c.get(STORAGE_DATA_DIR).resolve("raw")),
        c.get(RAW_RETENTION),
        c.get(RAW_EXPORT_INTERVAL),
        c.get(RAW_EXPORT_THREADS),
        d.queryTimeoutMillis(),
        d.queryMaxRows(),
        d.queryMemoryBytes());
  }

  private static SecurityConfig security(EffectiveConfig c) {
    SecurityConfig.Tls tls =
        check(
            "security.tls.cert and security.tls.key",
            () ->
                new SecurityConfig.Tls(
                    c.get(SECURITY_TLS_CERT).orElse(null), c.get(SECURITY_TLS_KEY).orElse(null)));
    return new SecurityConfig(
        c.get(SECURITY_AUTH),
        tls,
        new SecurityConfig.RateLimits(
            c.get(SECURITY_RATE_LIMIT_PER_KEY),
            c.get(SECURITY_RATE_LIMIT_PER_ADDRESS),
            SecurityConfig.RateLimits.OFF.maxTrackedClients()),
        new SecurityConfig.Limits(
            c.get(SECURITY_MAX_REQUEST_LINE_BYTES),
            c.get(SECURITY_MAX_HEADER_BYTES),
            c.get(SECURITY_HEADER_TIMEOUT),
            c.get(SECURITY_REQUEST_TIMEOUT),
            c.get(SECURITY_IDLE_TIMEOUT),
            c.get(SECURITY_MAX_CONNECTIONS),
            c.get(SECURITY_MAX_CONCURRENT_REQUESTS)),
        c.get(SECURITY_KEY_REFRESH_MS));
  }

  /** The flush interval: as set, or for 'auto' the mode's ({@link ConfigKeys}). */
  private static long flushInterval(EffectiveConfig c) {
    long set = c.get(PROCESSOR_FLUSH_INTERVAL_MS);
    if (set != AUTO_FLUSH_INTERVAL) {
      return set;
    }
    return clusterMode(c) ? CLUSTER_FLUSH_INTERVAL_MILLIS : EMBEDDED_FLUSH_INTERVAL_MILLIS;
  }

  /**
   * The dedup capacity per partition: 'auto' sized from this JVM's heap and the partitions, or the
   * explicit value if the windows of every partition, full, fit in half the heap (a node may own
   * every partition after a failover). Refused otherwise: it would end in an OutOfMemoryError. With
   * the raw store on, the export holds a second set of windows (DedupWindow#autoCapacity), and the
   * budget counts both.
   */
  private static int dedupCapacity(EffectiveConfig c) {
    int partitions = c.get(STORAGE_PARTITIONS);
    int sets = c.get(RAW_ENABLED) ? 2 : 1;
    long heap = Runtime.getRuntime().maxMemory();
    int capacity = c.get(PROCESSOR_DEDUP_CAPACITY);
    if (capacity == AUTO_DEDUP_CAPACITY) {
      return DedupWindow.autoCapacity(heap, partitions, sets);
    }
    check(
        PROCESSOR_DEDUP_CAPACITY.name() + " and " + STORAGE_PARTITIONS.name(),
        () -> {
          DedupWindow.checkFits(capacity, partitions, sets, heap);
          return capacity;
        });
    return capacity;
  }

  private static <T> T check(String keys, Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException e) {
      throw new ConfigException(keys + ": " + e.getMessage(), e);
    }
  }
}
