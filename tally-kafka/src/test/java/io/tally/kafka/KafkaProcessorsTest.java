package io.tally.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.codec.DeltaCodec;
import io.tally.core.codec.DeltaRecord;
import io.tally.core.log.EventBatch;
import io.tally.core.partition.Partitioner;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.process.ProcessorGroup;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.tally.model.Event;
import io.tally.model.Granularity;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The processor in cluster mode (ProcessorLoop over a consumer group member and a KafkaDeltaSink)
 * on a real broker: the committed deltas (read_committed) add up to exactly the distinct events,
 * with duplicate ids in the stream and while partitions move between two processors of the same
 * group.
 */
@ExtendWith(RealEngines.class)
class KafkaProcessorsTest {
  private static final int P = 4;
  private final LocalEngines engines;

  KafkaProcessorsTest(LocalEngines engines) {
    this.engines = engines;
  }

  private KafkaSettings settings(String node) {
    return KafkaSettings.defaults(engines.kafka().bootstrapServers(), node)
        .withTopicPrefix("proc" + System.nanoTime() % 1_000_000_000 + ".")
        .withPartitions(P)
        .withSessionTimeoutMillis(6_000);
  }

  private static final ProcessorConfig CONFIG =
      ProcessorConfig.DEFAULTS.withFlushIntervalMillis(200);

  /**
   * Appends {@code n} events over 50 entities; every 5th is re-sent with the same id. Returns the
   * distinct count.
   */
  private static long append(KafkaEventLog log, int n, String idPrefix, long seed)
      throws Exception {
    Partitioner partitioner = new Partitioner(P);
    Random random = new Random(seed);
    EventBatch.Builder b = EventBatch.builder(P);
    long distinct = 0;
    for (int i = 0; i < n; i++) {
      String entity = "video:" + random.nextInt(50);
      Event e = new Event(idPrefix + i, entity, "view", System.currentTimeMillis(), 1);
      b.add(partitioner.partition(entity), e);
      distinct++;
      if (i % 5 == 0) {
        b.add(partitioner.partition(entity), e);
      }
      if (b.size() >= 1_000) {
        log.append(b.build()).get(30, TimeUnit.SECONDS);
        b = EventBatch.builder(P);
      }
    }
    log.append(b.build()).get(30, TimeUnit.SECONDS);
    return distinct;
  }

  /**
   * Sums the TOTAL deltas of every committed delta record, as a read_committed consumer sees them.
   */
  private long committedTotal(KafkaSettings s) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int i = 0; i < P; i++) {
        tps.add(new TopicPartition(s.deltasTopic(), i));
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps);
      long total = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))
          && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          DeltaRecord record = DeltaCodec.decode(r.value());
          for (CounterDelta d : record.deltas()) {
            assertThat(new Partitioner(P).partition(d.key().entity())).isEqualTo(r.partition());
            if (d.key().granularity() == Granularity.TOTAL) {
              total += d.count();
            }
          }
        }
      }
      return total;
    }
  }

  @Test
  void committedDeltasCountEveryDistinctEventOnce() throws Exception {
    KafkaSettings s = settings("solo");
    try (KafkaEventLog log = new KafkaEventLog(s, InstantSource.system());
        ProcessorGroup processor = KafkaProcessors.group(s, log, CONFIG, InstantSource.system())) {
      processor.start();
      long expected = append(log, 20_000, "a", 1);
      await().atMost(Duration.ofSeconds(60)).until(() -> committedTotal(s) == expected);
      assertThat(processor.ownedPartitions()).hasSize(P);
      assertThat(processor.health().ok()).isTrue();
    }
  }

  @Test
  void partitionsMoveBetweenTwoProcessorsWithoutLossOrDoubleCount() throws Exception {
    KafkaSettings s1 = settings("one");
    KafkaSettings s2 = s1.withNodeId("two");
    try (KafkaEventLog log = new KafkaEventLog(s1, InstantSource.system())) {
      ProcessorGroup first = KafkaProcessors.group(s1, log, CONFIG, InstantSource.system());
      first.start();
      long expected = append(log, 10_000, "b", 2);
      ProcessorGroup second = KafkaProcessors.group(s2, log, CONFIG, InstantSource.system());
      second.start();
      expected += append(log, 10_000, "c", 3);
      await().atMost(Duration.ofSeconds(60)).until(() -> !second.ownedPartitions().isEmpty());
      expected += append(log, 10_000, "d", 4);
      first.close(); // its partitions move back to the second
      expected += append(log, 10_000, "e", 5);
      // re-send a slice of an earlier run with the same ids: the rebuilt dedup windows drop them
      append(log, 2_000, "c", 3);
      long want = expected;
      await().atMost(Duration.ofSeconds(90)).until(() -> committedTotal(s1) == want);
      await().atMost(Duration.ofSeconds(30)).until(() -> second.ownedPartitions().size() == P);
      second.close();
      assertThat(committedTotal(s1)).isEqualTo(want);
    }
  }
}
