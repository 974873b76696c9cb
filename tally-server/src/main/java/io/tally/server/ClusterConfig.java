package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.cassandra.CassandraSettings;
import io.tally.kafka.KafkaSettings;

/**
 * Everything a cluster node is started with: the HTTP and processing settings shared with the
 * embedded mode ({@link ServerConfig}; its fsync is unused, its data dir holds only the node's
 * attributes replica), where Kafka and Cassandra are, and which roles this node runs.
 */
public record ClusterConfig(
    ServerConfig server, KafkaSettings kafka, CassandraSettings cassandra, Roles roles) {
  public ClusterConfig {
    requireNonNull(server, "server");
    requireNonNull(kafka, "kafka");
    requireNonNull(cassandra, "cassandra");
    requireNonNull(roles, "roles");
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

  public ClusterConfig withRoles(Roles r) {
    return new ClusterConfig(server, kafka, cassandra, r);
  }
}
