package io.tally.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.engines.FreePorts;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterPortsTest {
  @Test
  void namesATakenPortWithWhatItIsForAndTheOptionThatMovesIt() throws Exception {
    int[] free = FreePorts.take(6);
    try (ServerSocket taken = new ServerSocket(free[2], 1, InetAddress.getLoopbackAddress())) {
      ClusterPorts ports =
          new ClusterPorts(
              free[0], free[1], taken.getLocalPort(), free[3], List.of(free[4], free[5]));

      assertThatThrownBy(ports::requireFree)
          .isInstanceOf(ClusterException.class)
          .hasMessageContaining("port " + free[2] + " (Cassandra's CQL clients) is already in use")
          .hasMessageContaining("--cassandra-port");
    }
  }

  @Test
  void acceptsFreePorts() {
    int[] free = FreePorts.take(6);
    ClusterPorts ports =
        new ClusterPorts(free[0], free[1], free[2], free[3], List.of(free[4], free[5]));

    assertThatCode(ports::requireFree).doesNotThrowAnyException();
  }

  @Test
  void rejectsAPortGivenForTwoUses() {
    assertThatThrownBy(() -> new ClusterPorts(9092, 9093, 9042, 7000, List.of(8081, 9092)))
        .isInstanceOf(ClusterException.class)
        .hasMessageContaining(
            "port 9092 is given both for the Kafka broker (--kafka-port) and for Tally node-2");
  }

  /**
   * Free ports for a replicated cluster: Kafka broker and controller base ports whose +100 and +200
   * are free too, Cassandra's CQL and storage ports (free on 127.0.0.1–3), three node ports.
   */
  /** Kafka's two ports, two nodes' and the first of three free consecutive PostgreSQL ports. */
  static int[] postgresPorts() {
    for (int attempt = 0; attempt < 100; attempt++) {
      int[] p = FreePorts.take(5);
      try {
        new ClusterPorts(1, p[0], p[1], 9042, 7000, List.of(p[2], p[3]), p[4]).requireFree();
        return p;
      } catch (ClusterException taken) {
        // one of the derived ports is in use: draw again
      }
    }
    throw new AssertionError("no free ports for a cluster on PostgreSQL in 100 draws");
  }

  static int[] replicatedPorts() {
    for (int attempt = 0; attempt < 100; attempt++) {
      int[] p = FreePorts.take(7);
      try {
        new ClusterPorts(3, p[0], p[1], p[2], p[3], List.of(p[4], p[5], p[6])).requireFree();
        return p;
      } catch (ClusterException taken) {
        // one of the derived ports is in use: draw again
      }
    }
    throw new AssertionError("no free ports for a replicated cluster in 100 draws");
  }

  @Test
  void threeReplicasSpreadKafkaOverPortsAndCassandraOverLoopbackAddresses() {
    ClusterPorts ports = new ClusterPorts(3, 9092, 9093, 9042, 7000, List.of(8081, 8082, 8083));

    assertThat(ports.kafkaBootstrap()).isEqualTo("127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292");
    assertThat(ports.kafkaController(2)).isEqualTo(9293);
    assertThat(ports.cassandraContactPoints())
        .isEqualTo("127.0.0.1:9042,127.0.0.2:9042,127.0.0.3:9042");
  }

  @Test
  void namesATakenPortOnAnotherLoopbackAddress() throws Exception {
    int[] free = replicatedPorts();
    try (ServerSocket taken = new ServerSocket(free[2], 1, InetAddress.getByName("127.0.0.3"))) {
      ClusterPorts ports =
          new ClusterPorts(
              3, free[0], free[1], taken.getLocalPort(), free[3], List.of(free[4], free[5]));

      assertThatThrownBy(ports::requireFree)
          .isInstanceOf(ClusterException.class)
          .hasMessageContaining(
              "port "
                  + free[2]
                  + " (Cassandra's CQL clients (node 3)) is already in use on 127.0.0.3")
          .hasMessageContaining("--cassandra-port");
    }
  }

  @Test
  void rejectsTwoReplicasAndAKafkaPortClashingWithAnotherBroker() {
    assertThatThrownBy(() -> new ClusterPorts(2, 9092, 9093, 9042, 7000, List.of(8081)))
        .hasMessageContaining("--replicas must be 1 or 3, got 2");
    assertThatThrownBy(() -> new ClusterPorts(3, 9092, 9093, 9042, 7000, List.of(9192)))
        .hasMessageContaining("port 9192 is given both for the Kafka broker 2 (--kafka-port)");
  }

  @Test
  void wantsAtLeastOneNode() {
    assertThatThrownBy(() -> new ClusterPorts(9092, 9093, 9042, 7000, List.of()))
        .isInstanceOf(ClusterException.class)
        .hasMessageContaining("--node-ports");
  }
}
