package io.tally.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.log.EventBatch;
import io.tally.engines.FreePorts;
import io.tally.engines.KafkaServer;
import io.tally.model.Event;
import io.tally.model.TallyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Ingest never acknowledges an event that is not on {@code min.insync.replicas} brokers, on a real
 * three-broker KRaft cluster ({@link KafkaServer#startQuorum}, about 1.1 GB and 12 s): topics RF 3,
 * min ISR 2. With two brokers SIGKILLed an append is not acknowledged (it fails within the delivery
 * timeout, which the HTTP API answers with 503 and Retry-After); with one of them back, the same
 * event is acknowledged.
 */
class KafkaMinInsyncReplicasTest {
  private static final int P = 2;

  @Test
  void anAppendIsNotAcknowledgedWithoutMinInsyncReplicasAndIsOnceABrokerReturns() throws Exception {
    Files.createDirectories(Path.of("target"));
    Path dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "min-isr-");
    int[] ports = FreePorts.take(6);
    List<Path> dirs = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      dirs.add(dir.resolve("kafka-" + i));
    }
    List<KafkaServer> brokers =
        KafkaServer.startQuorum(
            dirs,
            List.of(ports[0], ports[1], ports[2]),
            List.of(ports[3], ports[4], ports[5]),
            false);
    try {
      KafkaSettings s =
          KafkaSettings.defaults(
                  brokers.get(0).bootstrapServers()
                      + ","
                      + brokers.get(1).bootstrapServers()
                      + ","
                      + brokers.get(2).bootstrapServers(),
                  "min-isr")
              .withPartitions(P)
              .withReplicationFactor((short) 3);
      try (KafkaEventLog log = new KafkaEventLog(s, InstantSource.system())) {
        log.append(batch("e-0")).get(30, TimeUnit.SECONDS);

        brokers.get(1).kill();
        brokers.get(2).kill();
        CompletableFuture<?> appended = log.append(batch("e-1"));
        Throwable failure = null;
        try {
          appended.get(KafkaClients.DELIVERY_TIMEOUT_MILLIS + 15_000L, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
          failure = e.getCause();
        }
        assertThat(failure)
            .as("an event on one broker of three is never acknowledged")
            .isInstanceOf(TallyException.class);

        brokers.get(1).start();
        log.append(batch("e-1")).get(60, TimeUnit.SECONDS);
      }
    } finally {
      brokers.forEach(KafkaServer::kill);
    }
  }

  private static EventBatch batch(String id) {
    return EventBatch.builder(P)
        .add(0, new Event(id, "video:1", "view", System.currentTimeMillis(), 1))
        .build();
  }
}
