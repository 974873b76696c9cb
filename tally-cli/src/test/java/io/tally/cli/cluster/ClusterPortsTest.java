package io.tally.cli.cluster;

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

  @Test
  void wantsAtLeastOneNode() {
    assertThatThrownBy(() -> new ClusterPorts(9092, 9093, 9042, 7000, List.of()))
        .isInstanceOf(ClusterException.class)
        .hasMessageContaining("--node-ports");
  }
}
