package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.cassandra.CassandraSettings;
import io.tally.kafka.KafkaSettings;
import io.tally.postgres.PostgresSettings;
import java.util.List;
import java.util.Optional;

/**
 * Everything a cluster node is started with: the HTTP and processing settings shared with the
 * embedded mode ({@link ServerConfig}; its fsync is unused, its data dir holds only the node's
 * attributes replica), where Kafka and the counter store are, and which roles this node runs.
 *
 * @param cassandra the Cassandra store, or null when the store is PostgreSQL
 * @param postgres the PostgreSQL shards in their fixed order (partition p on shard p mod N), or
 *     empty when the store is Cassandra
 * @param postgresReplicas each shard's read replica in the shards' order, empty for a shard without
 *     one; an empty list when no shard has one
 */
public record ClusterConfig(
    ServerConfig server,
    KafkaSettings kafka,
    CassandraSettings cassandra,
    List<PostgresSettings> postgres,
    List<Optional<PostgresSettings>> postgresReplicas,
    Roles roles) {
  public ClusterConfig {
    requireNonNull(server, "server");
    requireNonNull(kafka, "kafka");
    postgres = List.copyOf(postgres);
    postgresReplicas = List.copyOf(postgresReplicas);
    if (!postgresReplicas.isEmpty() && postgresReplicas.size() != postgres.size()) {
      throw new IllegalArgumentException("one replica entry per PostgreSQL shard, or none at all");
    }
    requireNonNull(roles, "roles");
    if ((cassandra == null) == postgres.isEmpty()) {
      throw new IllegalArgumentException(
          "a cluster has one counter store: Cassandra or PostgreSQL shards, not "
              + (cassandra == null ? "neither" : "both"));
    }
    if (server.partitions() != kafka.partitions()) {
      throw new IllegalArgumentException("server and Kafka disagree on the partition count");
    }
  }

  /**
   * The roles a node runs; each can be switched off so they scale separately. Ingest holds no state
   * (Kafka is the log); processors own partitions through the consumer group; materializers own
   * deltas partitions the same way; query nodes read Cassandra.
   */
  public record Roles(boolean ingest, boolean processor, boolean materializer, boolean query) {
    public static final Roles ALL = new Roles(true, true, true, true);

    public Roles {
      if (!ingest && !processor && !materializer && !query) {
        throw new IllegalArgumentException("a node must run at least one role");
      }
    }
  }

  /** A cluster on Cassandra. */
  public ClusterConfig(
      ServerConfig server, KafkaSettings kafka, CassandraSettings cassandra, Roles roles) {
    this(server, kafka, requireNonNull(cassandra, "cassandra"), List.of(), List.of(), roles);
  }

  public ClusterConfig withRoles(Roles r) {
    return new ClusterConfig(server, kafka, cassandra, postgres, postgresReplicas, r);
  }
}
