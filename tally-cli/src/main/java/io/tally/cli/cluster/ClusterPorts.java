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
 * @param kafka Kafka's broker port (clients' bootstrap)
 * @param kafkaController Kafka's KRaft controller port
 * @param cassandra Cassandra's native (CQL) port
 * @param cassandraStorage Cassandra's inter-node port
 * @param nodes one HTTP port per Tally node, {@code node-1} first
 */
record ClusterPorts(
    int kafka, int kafkaController, int cassandra, int cassandraStorage, List<Integer> nodes) {

  /** One port, what it is for, and the {@code up} option that sets it. */
  private record Use(int port, String what, String option) {}

  ClusterPorts {
    nodes = List.copyOf(nodes);
    if (nodes.isEmpty()) {
      throw new ClusterException("--node-ports needs at least one port");
    }
    Map<Integer, Use> seen = new HashMap<>();
    for (Use use : uses(kafka, kafkaController, cassandra, cassandraStorage, nodes)) {
      if (use.port() < 1 || use.port() > 65535) {
        throw new ClusterException(
            use.option() + ": port " + use.port() + " is not between 1 and 65535");
      }
      Use other = seen.putIfAbsent(use.port(), use);
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

  /**
   * Checks that every port can be bound on 127.0.0.1 now (another process may still take one before
   * the server that needs it binds it).
   *
   * @throws ClusterException naming the first port in use, what it was meant for and the option
   *     that changes it
   */
  void requireFree() {
    for (Use use : uses(kafka, kafkaController, cassandra, cassandraStorage, nodes)) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), use.port()), 1);
      } catch (IOException inUse) {
        throw new ClusterException(
            "port "
                + use.port()
                + " ("
                + use.what()
                + ") is already in use on 127.0.0.1: "
                + "stop what listens there (`ss -ltnp 'sport = :"
                + use.port()
                + "'` shows it) or choose another port with "
                + use.option());
      }
    }
  }

  private static List<Use> uses(
      int kafka, int kafkaController, int cassandra, int cassandraStorage, List<Integer> nodes) {
    List<Use> uses = new ArrayList<>();
    uses.add(new Use(kafka, "the Kafka broker", "--kafka-port"));
    uses.add(new Use(kafkaController, "the Kafka controller", "--kafka-controller-port"));
    uses.add(new Use(cassandra, "Cassandra's CQL clients", "--cassandra-port"));
    uses.add(
        new Use(
            cassandraStorage,
            "Cassandra's storage (inter-node) traffic",
            "--cassandra-storage-port"));
    for (int i = 0; i < nodes.size(); i++) {
      uses.add(new Use(nodes.get(i), "Tally " + TallyNodes.name(i), "--node-ports"));
    }
    return uses;
  }
}
