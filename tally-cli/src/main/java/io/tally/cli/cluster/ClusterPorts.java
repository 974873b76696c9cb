package io.tally.cli.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The loopback ports of a demo cluster, fixed so that the printed addresses stay the same from one
 * {@code up} to the next. Immutable.
 *
 * <p>With {@code replicas} engines of each kind, Kafka node {@code i} (from 0) listens on {@code
 * kafka + 100 i} and {@code kafkaController + 100 i}, and Cassandra node {@code i} on {@code
 * 127.0.0.<i+1>} with the common {@code cassandra} and {@code cassandraStorage} ports (as a ring of
 * real machines would).
 *
 * @param replicas how many Kafka brokers and Cassandra nodes: 1 or 3
 * @param kafka the first Kafka broker's port (clients' bootstrap)
 * @param kafkaController the first KRaft controller's port
 * @param cassandra Cassandra's native (CQL) port
 * @param cassandraStorage Cassandra's inter-node port
 * @param nodes one HTTP port per Tally node, {@code node-1} first
 * @param postgres 0 when the store is Cassandra; else the first PostgreSQL port: shard {@code i}
 *     (from 0) listens on {@code postgres + i}, the replica of shard 0 on {@code postgres +}
 *     {@value #POSTGRES_SHARDS}, and Cassandra's ports are not used
 */
record ClusterPorts(
    int replicas,
    int kafka,
    int kafkaController,
    int cassandra,
    int cassandraStorage,
    List<Integer> nodes,
    int postgres) {

  /** How many PostgreSQL shards a cluster on PostgreSQL has; shard 0 also has a replica. */
  static final int POSTGRES_SHARDS = 2;

  /** How far apart the ports of two Kafka nodes are. */
  static final int KAFKA_PORT_STEP = 100;

  /** One port on one host, what it is for, and the {@code up} option that sets it. */
  private record Use(String host, int port, String what, String option) {}

  ClusterPorts {
    nodes = List.copyOf(nodes);
    if (replicas != 1 && replicas != 3) {
      throw new ClusterException("--replicas must be 1 or 3, got " + replicas);
    }
    if (nodes.isEmpty()) {
      throw new ClusterException("--node-ports needs at least one port");
    }
    Map<String, Use> seen = new HashMap<>();
    for (Use use :
        uses(replicas, kafka, kafkaController, cassandra, cassandraStorage, nodes, postgres)) {
      if (use.port() < 1 || use.port() > 65535) {
        throw new ClusterException(
            use.option() + ": port " + use.port() + " is not between 1 and 65535");
      }
      Use other = seen.putIfAbsent(use.host() + ":" + use.port(), use);
      if (other != null) {
        throw new ClusterException(
            "port "
                + use.port()
                + " is given both for "
                + other.what()
                + " ("
                + other.option()
                + ") and for "
                + use.what()
                + " ("
                + use.option()
                + ")");
      }
    }
  }

  /** Kafka and Cassandra. */
  ClusterPorts(
      int replicas,
      int kafka,
      int kafkaController,
      int cassandra,
      int cassandraStorage,
      List<Integer> nodes) {
    this(replicas, kafka, kafkaController, cassandra, cassandraStorage, nodes, 0);
  }

  /** One Kafka broker and one Cassandra node. */
  ClusterPorts(
      int kafka, int kafkaController, int cassandra, int cassandraStorage, List<Integer> nodes) {
    this(1, kafka, kafkaController, cassandra, cassandraStorage, nodes);
  }

  /** Whether the counter store is PostgreSQL (else Cassandra). */
  boolean onPostgres() {
    return postgres > 0;
  }

  /** PostgreSQL shard {@code i}'s port. */
  int postgresShard(int i) {
    return postgres + i;
  }

  /** The port of shard 0's streaming replica. */
  int postgresReplica() {
    return postgres + POSTGRES_SHARDS;
  }

  /** Kafka node {@code i}'s broker port. */
  int kafka(int i) {
    return kafka + KAFKA_PORT_STEP * i;
  }

  /** Kafka node {@code i}'s controller port. */
  int kafkaController(int i) {
    return kafkaController + KAFKA_PORT_STEP * i;
  }

  /** The loopback address Cassandra node {@code i} listens on: 127.0.0.1, 127.0.0.2, … */
  static String cassandraHost(int i) {
    return "127.0.0." + (i + 1);
  }

  /** Every broker, for {@code bootstrap.servers}. */
  String kafkaBootstrap() {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      all.add("127.0.0.1:" + kafka(i));
    }
    return String.join(",", all);
  }

  /** Every Cassandra node's CQL address, comma-separated. */
  String cassandraContactPoints() {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      all.add(cassandraHost(i) + ":" + cassandra);
    }
    return String.join(",", all);
  }

  /**
   * Checks that every port can be bound on its address now (another process may still take one
   * before the server that needs it binds it).
   *
   * @throws ClusterException naming the first port in use, what it was meant for and the option
   *     that changes it
   */
  void requireFree() {
    for (Use use :
        uses(replicas, kafka, kafkaController, cassandra, cassandraStorage, nodes, postgres)) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.bind(new InetSocketAddress(InetAddress.getByName(use.host()), use.port()), 1);
      } catch (IOException inUse) {
        throw new ClusterException(
            "port "
                + use.port()
                + " ("
                + use.what()
                + ") is already in use on "
                + use.host()
                + ": stop what listens there (`ss -ltnp 'sport = :"
                + use.port()
                + "'` shows it) or choose another port with "
                + use.option());
      }
    }
  }

  /** Every port of the cluster (static: the compact constructor checks them before assignment). */
  private static List<Use> uses(
      int replicas,
      int kafka,
      int kafkaController,
      int cassandra,
      int cassandraStorage,
      List<Integer> nodes,
      int postgres) {
    List<Use> uses = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      String n = replicas == 1 ? "" : " " + (i + 1);
      uses.add(
          new Use(
              "127.0.0.1", kafka + KAFKA_PORT_STEP * i, "the Kafka broker" + n, "--kafka-port"));
      uses.add(
          new Use(
              "127.0.0.1",
              kafkaController + KAFKA_PORT_STEP * i,
              "the Kafka controller" + n,
              "--kafka-controller-port"));
    }
    for (int i = 0; postgres > 0 && i <= POSTGRES_SHARDS; i++) {
      String what =
          i < POSTGRES_SHARDS ? "PostgreSQL shard " + (i + 1) : "PostgreSQL shard 1's replica";
      uses.add(new Use("127.0.0.1", postgres + i, what, "--postgres-port"));
    }
    for (int i = 0; postgres == 0 && i < replicas; i++) {
      String n = replicas == 1 ? "" : " (node " + (i + 1) + ")";
      String host = cassandraHost(i);
      uses.add(new Use(host, cassandra, "Cassandra's CQL clients" + n, "--cassandra-port"));
      uses.add(
          new Use(
              host,
              cassandraStorage,
              "Cassandra's storage (inter-node) traffic" + n,
              "--cassandra-storage-port"));
    }
    for (int i = 0; i < nodes.size(); i++) {
      uses.add(new Use("127.0.0.1", nodes.get(i), "Tally " + TallyNodes.name(i), "--node-ports"));
    }
    return uses;
  }
}
