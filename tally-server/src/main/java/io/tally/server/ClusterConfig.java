package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.cassandra.CassandraSettings;
import io.tally.kafka.KafkaSettings;
import io.tally.postgres.PostgresSettings;
import java.util.List;

/**
 * Everything a cluster node is started with: the HTTP and processing settings shared with the
 * embedded mode ({@link ServerConfig}; its fsync is unused, its data dir holds only the node's
 * attributes replica), where Kafka and the counter store are, and which roles this node runs.
 *
 * @param cassandra the Cassandra store, or null when the store is PostgreSQL
 * @param postgres the PostgreSQL shards in their fixed order (partition p on shard p mod N), or
 *     empty when the store is Cassandra
 */
public record ClusterConfig(
    ServerConfig server,
    KafkaSettings kafka,
    CassandraSettings cassandra,
    List<PostgresSettings> postgres,
    Roles roles) {
  public ClusterConfig {
    requireNonNull(server, "server");
    requireNonNull(kafka, "kafka");
    postgres = List.copyOf(postgres);
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
    this(server, kafka, requireNonNull(cassandra, "cassandra"), List.of(), roles);
  }

  public ClusterConfig withRoles(Roles r) {
    return new ClusterConfig(server, kafka, cassandra, postgres, r);
  }
}
