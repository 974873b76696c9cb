package io.tally.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.cassandra.CassandraCounterStore;
import io.tally.cassandra.CassandraDeltaSink;
import io.tally.cassandra.CassandraSettings;
import io.tally.cassandra.CassandraTopKStore;
import io.tally.cassandra.CounterWriter;
import io.tally.cassandra.TopKWriter;
import io.tally.core.log.EventBatch;
import io.tally.core.partition.Partitioner;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.process.ProcessorGroup;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKService;
import io.tally.core.validate.EventValidator;
import io.tally.core.validate.ValidationLimits;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.tally.kafka.KafkaEventLog;
import io.tally.kafka.KafkaProcessors;
import io.tally.kafka.KafkaSettings;
import io.tally.kafka.Materializer;
import io.tally.model.Event;
import io.tally.model.TopK;
import io.tally.model.TopKItem;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Top-K through the whole cluster pipeline on real Kafka and Cassandra: events → processor → deltas
 * topic → materializer → {@code topk_slots}; the answer read back from Cassandra and merged over
 * the partitions equals brute force, and replaying every delta from the start changes nothing (the
 * slots' position guard, invariant 5).
 */
@ExtendWith(RealEngines.class)
class TopKMaterializerTest {
  private static final int P = 4;
  private static final long MINUTE = 60_000;
  private final LocalEngines engines;

  TopKMaterializerTest(LocalEngines engines) {
    this.engines = engines;
  }

  @Test
  void topKReadFromCassandraMatchesBruteForceAndAReplayChangesNothing() throws Exception {
    String run = "topk" + System.nanoTime() % 1_000_000_000;
    KafkaSettings kafka =
        KafkaSettings.defaults(engines.kafka().bootstrapServers(), "t1")
            .withTopicPrefix(run + ".")
            .withPartitions(P)
            .withSessionTimeoutMillis(6_000);
    CassandraSettings cassandra =
        CassandraSettings.defaults(engines.cassandra().contactPoint()).withKeyspace(run);
    TopKConfig config = TopKConfig.DEFAULTS;
    Partitioner partitioner = new Partitioner(P);
    Map<String, Long> lastHour = new HashMap<>();
    Map<String, Long> lastDay = new HashMap<>();
    try (KafkaEventLog log = new KafkaEventLog(kafka, InstantSource.system());
        ProcessorGroup processor =
            KafkaProcessors.group(
                kafka,
                log,
                ProcessorConfig.DEFAULTS.withFlushIntervalMillis(300),
                InstantSource.system());
        CassandraCounterStore store = CassandraCounterStore.open(cassandra)) {
      CassandraTopKStore topKStore = new CassandraTopKStore(store, P);
      TopKService service =
          new TopKService(
              topKStore,
              store,
              config,
              new EventValidator(ValidationLimits.DEFAULTS),
              InstantSource.system(),
              P);
      processor.start();
      Materializer materializer = materializer(kafka, store, topKStore, config);
      materializer.start();
      long now = System.currentTimeMillis();
      Random random = new Random(11);
      for (int batch = 0; batch < 10; batch++) {
        EventBatch.Builder b = EventBatch.builder(P);
        for (int i = 0; i < 1_000; i++) {
          String entity = "video:" + (int) Math.floor(Math.pow(random.nextDouble(), 2.5) * 400);
          boolean hoursAgo = random.nextInt(8) == 0;
          long time = hoursAgo ? now - 3 * 60 * MINUTE : now - random.nextInt(40) * MINUTE;
          Event e = new Event(run + "-" + batch + "-" + i, entity, "view", time, 1);
          b.add(partitioner.partition(entity), e);
          if (i % 5 == 0) {
            b.add(partitioner.partition(entity), e); // a client retry, dropped by dedup
          }
          lastDay.merge(entity, 1L, Long::sum);
          if (!hoursAgo) {
            lastHour.merge(entity, 1L, Long::sum);
          }
        }
        log.append(b.build()).get(30, TimeUnit.SECONDS);
      }
      List<TopKItem> hour = bruteTop(lastHour, 25);
      List<TopKItem> day = bruteTop(lastDay, 25);
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> service.top("view", "24h", "25").items().equals(day));
      TopK top = service.top("view", "1h", "25");
      assertThat(top.exact()).isTrue();
      assertThat(top.items()).containsExactlyElementsOf(hour);

      materializer.close();
      try (Admin admin =
          Admin.create(
              Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
        admin
            .deleteConsumerGroups(List.of(kafka.materializerGroup()))
            .all()
            .get(30, TimeUnit.SECONDS);
      }
      Materializer replay = materializer(kafka, store, topKStore, config);
      replay.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> MaterializerTest.caughtUp(kafka));
      assertThat(service.top("view", "1h", "25").items()).containsExactlyElementsOf(hour);
      assertThat(service.top("view", "24h", "25").items()).containsExactlyElementsOf(day);
      replay.close();
    }
  }

  private static Materializer materializer(
      KafkaSettings kafka,
      CassandraCounterStore store,
      CassandraTopKStore topKStore,
      TopKConfig config) {
    InstantSource clock = InstantSource.system();
    return new Materializer(
        kafka,
        new CassandraDeltaSink(
            store,
            new CounterWriter(store, clock, 64, 100_000),
            new TopKWriter(topKStore, config, clock),
            clock),
        clock);
  }

  private static List<TopKItem> bruteTop(Map<String, Long> counts, int k) {
    return counts.entrySet().stream()
        .sorted(
            Map.Entry.<String, Long>comparingByValue()
                .reversed()
                .thenComparing(Map.Entry.comparingByKey()))
        .limit(k)
        .map(e -> new TopKItem(e.getKey(), e.getValue(), e.getValue(), e.getValue()))
        .toList();
  }
}
