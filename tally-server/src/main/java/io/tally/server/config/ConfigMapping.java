package io.tally.server.config;

import static io.tally.server.config.ConfigKeys.*;

import io.tally.cassandra.CassandraSettings;
import io.tally.core.ingest.IngestLimits;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.query.QueryConfig;
import io.tally.core.retention.Retention;
import io.tally.core.topk.TopKConfig;
import io.tally.kafka.KafkaSettings;
import io.tally.server.ClusterConfig;
import io.tally.server.OpsConfig;
import io.tally.server.ServerConfig;
import io.tally.server.security.SecurityConfig;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Hands the effective configuration to the records each mode starts from: {@link ServerConfig}
 * (embedded, and the shared part of a cluster node) and {@link ClusterConfig}. Checks that span
 * several keys happen here and name every key involved. Stateless.
 */
public final class ConfigMapping {
  private ConfigMapping() {}

  /** Whether {@code mode} is {@code cluster}. */
  public static boolean clusterMode(EffectiveConfig c) {
    return c.get(MODE).equals("cluster");
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
    return ServerConfig.defaults(c.get(STORAGE_DATA_DIR))
        .withHost(c.get(SERVER_HOST))
        .withPort(c.get(SERVER_PORT))
        .withMaxBodyBytes(c.get(SERVER_MAX_BODY_BYTES))
        .withPartitions(c.get(STORAGE_PARTITIONS))
        .withFsync(c.get(STORAGE_FSYNC))
        .withProcessor(
            ProcessorConfig.DEFAULTS
                .withThreads(c.get(PROCESSOR_THREADS))
                .withFlushIntervalMillis(c.get(PROCESSOR_FLUSH_INTERVAL_MS))
                .withDedup(c.get(PROCESSOR_DEDUP_WINDOW_MS), c.get(PROCESSOR_DEDUP_CAPACITY)))
        .withQuery(
            QueryConfig.DEFAULTS
                .withRetention(retention)
                .withMaxBuckets(c.get(QUERY_MAX_BUCKETS))
                .withCache(c.get(QUERY_CACHE_ENTRIES), QueryConfig.DEFAULTS.cacheTtlMillis())
                .withOnQuorumLoss(c.get(QUERY_ON_QUORUM_LOSS)))
        .withIngest(ingest)
        .withDerive(c.get(ENRICH_DERIVE))
        .withTopK(new TopKConfig(c.get(TOPK_WINDOWS), c.get(TOPK_SKETCH_SIZE)))
        .withOps(new OpsConfig(c.get(OPS_READY_MAX_BACKLOG)))
        .withBrowser(c.get(BROWSER_CORS_ORIGINS))
        .withSecurity(security(c));
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
    List<InetSocketAddress> contactPoints = c.get(CLUSTER_CASSANDRA_CONTACT_POINTS);
    if (contactPoints.isEmpty()) {
      throw missing(CLUSTER_CASSANDRA_CONTACT_POINTS);
    }
    String nodeId =
        c.get(CLUSTER_NODE_ID).orElse(server.host().replace(':', '_') + "-" + server.port());
    KafkaSettings kafka =
        KafkaSettings.defaults(bootstrap, nodeId)
            .withTopicPrefix(c.get(CLUSTER_KAFKA_TOPIC_PREFIX))
            .withPartitions(server.partitions())
            .withReplicationFactor(c.get(CLUSTER_KAFKA_REPLICATION_FACTOR))
            .withSessionTimeoutMillis(c.get(CLUSTER_KAFKA_SESSION_TIMEOUT_MS));
    CassandraSettings cassandra =
        CassandraSettings.defaults(contactPoints.get(0))
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
        new ClusterConfig.Roles(
            roles.contains("ingest"),
            roles.contains("processor"),
            roles.contains("materializer"),
            roles.contains("query")));
  }

  private static ConfigException missing(ConfigKey<?> key) {
    return new ConfigException(
        key.name()
            + " is required when mode is cluster: set it in the file, as "
            + key.envName()
            + " or with "
            + key.flag());
  }

  private static SecurityConfig security(EffectiveConfig c) {
    SecurityConfig.Tls tls =
        check(
            "security.tls.cert and security.tls.key",
            () ->
                new SecurityConfig.Tls(
                    c.get(SECURITY_TLS_CERT).orElse(null), c.get(SECURITY_TLS_KEY).orElse(null)));
    return SecurityConfig.DEFAULTS
        .withAuth(c.get(SECURITY_AUTH))
        .withTls(tls)
        .withRateLimits(
            new SecurityConfig.RateLimits(
                c.get(SECURITY_RATE_LIMIT_PER_KEY),
                c.get(SECURITY_RATE_LIMIT_PER_ADDRESS),
                SecurityConfig.RateLimits.OFF.maxTrackedClients()))
        .withLimits(
            new SecurityConfig.Limits(
                c.get(SECURITY_MAX_REQUEST_LINE_BYTES),
                c.get(SECURITY_MAX_HEADER_BYTES),
                c.get(SECURITY_HEADER_TIMEOUT),
                c.get(SECURITY_REQUEST_TIMEOUT),
                c.get(SECURITY_IDLE_TIMEOUT),
                c.get(SECURITY_MAX_CONNECTIONS),
                c.get(SECURITY_MAX_CONCURRENT_REQUESTS)))
        .withKeyRefreshMillis(c.get(SECURITY_KEY_REFRESH_MS));
  }

  private static <T> T check(String keys, Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException e) {
      throw new ConfigException(keys + ": " + e.getMessage(), e);
    }
  }
}
