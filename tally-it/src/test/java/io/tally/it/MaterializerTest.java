package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.cassandra.CassandraCounterStore;
import io.tally.cassandra.CassandraDeltaSink;
import io.tally.cassandra.CassandraSettings;
import io.tally.cassandra.CounterWriter;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.log.EventBatch;
import io.tally.core.partition.Partitioner;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.process.ProcessorGroup;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.tally.kafka.KafkaEventLog;
import io.tally.kafka.KafkaProcessors;
import io.tally.kafka.KafkaSettings;
import io.tally.kafka.Materializer;
import io.tally.model.Event;
import io.tally.model.Granularity;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Events through the whole cluster pipeline on real Kafka and Cassandra: Kafka log → processor
 * (transactional deltas) → materializer (tally-kafka) → {@link CassandraDeltaSink} → Cassandra.
 * Counts are exact; replaying every delta from the start changes nothing (invariant 5). (The
 * dead-letter path is tally-kafka's {@code MaterializerDeadLetterTest}.)
 */
@ExtendWith(RealEngines.class)
class MaterializerTest {
  private static final int P = 4;
  private final LocalEngines engines;

  MaterializerTest(LocalEngines engines) {
    this.engines = engines;
  }

  @Test
  void countsAreExactAndAReplayOfEveryDeltaChangesNothing() throws Exception {
    String run = "mat" + System.nanoTime() % 1_000_000_000;
    KafkaSettings kafka =
        KafkaSettings.defaults(engines.kafka().bootstrapServers(), "m1")
            .withTopicPrefix(run + ".")
            .withPartitions(P)
            .withSessionTimeoutMillis(6_000);
    CassandraSettings cassandra =
        CassandraSettings.defaults(engines.cassandra().contactPoint()).withKeyspace(run);
    Map<String, Long> expected = new HashMap<>();
    Partitioner partitioner = new Partitioner(P);
    try (KafkaEventLog log = new KafkaEventLog(kafka, InstantSource.system());
        ProcessorGroup processor =
            KafkaProcessors.group(
                kafka,
                log,
                ProcessorConfig.DEFAULTS.withFlushIntervalMillis(300),
                InstantSource.system());
        CassandraCounterStore store = CassandraCounterStore.open(cassandra)) {
      processor.start();
      Materializer materializer = materializer(kafka, store);
      materializer.start();
      long now = System.currentTimeMillis();
      for (int batch = 0; batch < 10; batch++) {
        EventBatch.Builder b = EventBatch.builder(P);
        for (int i = 0; i < 1_000; i++) {
          String entity = "video:" + (i * 7 + batch) % 40;
          Event e = new Event(run + "-" + batch + "-" + i, entity, "view", now, 2);
          b.add(partitioner.partition(entity), e);
          if (i % 3 == 0) {
            b.add(partitioner.partition(entity), e); // a client retry
          }
          expected.merge(entity, 1L, Long::sum);
        }
        log.append(b.build()).get(30, TimeUnit.SECONDS);
      }
      await().atMost(Duration.ofSeconds(90)).until(() -> totals(store, expected).equals(expected));
      for (String entity : expected.keySet()) {
        assertThat(store.read(CounterKey.total(entity, "view")).sum())
            .isEqualTo(2 * expected.get(entity));
        long minute = Granularity.MINUTE.bucketStart(now);
        assertThat(store.read(new CounterKey(entity, "view", Granularity.MINUTE, minute)).count())
            .isEqualTo(expected.get(entity));
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> store.asOfMillis(0).isPresent() && store.asOfMillis(0).getAsLong() >= now);

      materializer.close();
      try (Admin admin =
          Admin.create(
              Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
        admin
            .deleteConsumerGroups(List.of(kafka.materializerGroup()))
            .all()
            .get(30, TimeUnit.SECONDS);
      }
      Materializer replay = materializer(kafka, store);
      replay.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> caughtUp(kafka));
      assertThat(totals(store, expected)).isEqualTo(expected);
      replay.close();
    }
  }

  static Materializer materializer(KafkaSettings kafka, CassandraCounterStore store) {
    InstantSource clock = InstantSource.system();
    return new Materializer(
        kafka,
        new CassandraDeltaSink(store, new CounterWriter(store, clock, 64, 100_000), null, clock),
        clock);
  }

  private static Map<String, Long> totals(CassandraCounterStore store, Map<String, Long> expected) {
    Map<String, Long> actual = new HashMap<>();
    for (String entity : expected.keySet()) {
      actual.put(entity, store.read(CounterKey.total(entity, "view")).count());
    }
    return actual;
  }

  /**
   * Whether the materializers' group has committed every delta record: each deltas partition ends
   * with a transaction marker, so its committed offset is one below the end.
   */
  static boolean caughtUp(KafkaSettings kafka) throws Exception {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin
              .listConsumerGroupOffsets(kafka.materializerGroup())
              .partitionsToOffsetAndMetadata()
              .get(30, TimeUnit.SECONDS);
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < kafka.partitions(); p++) {
        latest.put(new TopicPartition(kafka.deltasTopic(), p), OffsetSpec.latest());
      }
      var ends = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
      for (var e : ends.entrySet()) {
        long end = e.getValue().offset();
        OffsetAndMetadata c = committed.get(e.getKey());
        if (end > 0 && (c == null || c.offset() < end - 1)) {
          return false;
        }
      }
      return true;
    }
  }
}
