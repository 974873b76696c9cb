package io.tally.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.codec.DeltaCodec;
import io.tally.core.codec.DeltaRecord;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.DeltaSource;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The materializer on a real broker, in front of any {@link DeltaSink}: each delta record reaches
 * the sink as a batch sourced at its partition and offset, with its checkpoint; a record that can
 * never be applied goes to the dead-letter topic with its reason while the good ones are applied.
 * (The whole pipeline to Cassandra is tally-it's {@code MaterializerTest}.)
 */
@ExtendWith(RealEngines.class)
class MaterializerDeadLetterTest {
  private final LocalEngines engines;

  MaterializerDeadLetterTest(LocalEngines engines) {
    this.engines = engines;
  }

  /** Keeps every batch written; the sink of this test, whose own semantics are not under test. */
  private static final class RecordingSink implements DeltaSink {
    final List<DeltaBatch> batches = new CopyOnWriteArrayList<>();
    final List<Collection<Integer>> ownershipChanges = new CopyOnWriteArrayList<>();
    final List<UUID> sources = new CopyOnWriteArrayList<>();

    @Override
    public void sourceIdentity(UUID source) {
      sources.add(source);
    }

    @Override
    public void write(DeltaBatch batch) {
      batches.add(batch);
    }

    @Override
    public void ownershipChanged(Collection<Integer> partitions) {
      ownershipChanges.add(List.copyOf(partitions));
    }

    @Override
    public Optional<Checkpoint> checkpoint(int partition) {
      return Optional.empty();
    }
  }

  @Test
  void aPoisonRecordGoesToTheDeadLetterTopicAndTheGoodOnesReachTheSinkWithTheirSource()
      throws Exception {
    String run = "dlq" + System.nanoTime() % 1_000_000_000;
    KafkaSettings kafka =
        KafkaSettings.defaults(engines.kafka().bootstrapServers(), "d1")
            .withTopicPrefix(run + ".")
            .withPartitions(4);
    Topics.ensure(kafka);
    CounterDelta delta = new CounterDelta(CounterKey.total("video:1", "view"), 3, 6);
    Checkpoint cp = new Checkpoint(1, 42, 1_000, 1_000);
    RecordingSink sink = new RecordingSink();
    try (Materializer materializer = new Materializer(kafka, sink, InstantSource.system())) {
      materializer.start();
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
        send(producer, kafka, "not a delta".getBytes(StandardCharsets.UTF_8));
        send(producer, kafka, DeltaCodec.encode(new DeltaRecord(List.of(delta), null)));
        send(producer, kafka, DeltaCodec.encode(new DeltaRecord(List.of(delta), cp)));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> sink.batches.size() == 2);
      assertThat(sink.batches)
          .containsExactly(
              new DeltaBatch(List.of(delta), List.of(), new DeltaSource(1, 1)),
              new DeltaBatch(List.of(delta), List.of(cp), new DeltaSource(1, 2)));
      assertThat(sink.ownershipChanges).isNotEmpty();
      ConsumerRecord<byte[], byte[]> dead = firstDeadLetter(kafka);
      assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("not a delta");
      assertThat(header(dead, "tally.reason")).contains("unknown delta record version");
      assertThat(header(dead, "tally.source")).isEqualTo(kafka.deltasTopic() + "/1/0");
      assertThat(materializer.deadLetters()).isEqualTo(1);
      assertThat(materializer.health().ok()).isTrue();
    }
  }

  @Test
  void aMaterializerStartedAfterTheDeltasTopicWasRecreatedGivesTheSinkItsNewId() throws Exception {
    String run = "src" + System.nanoTime() % 1_000_000_000;
    KafkaSettings kafka =
        KafkaSettings.defaults(engines.kafka().bootstrapServers(), "s1")
            .withTopicPrefix(run + ".")
            .withPartitions(2);
    Topics.ensure(kafka);
    RecordingSink sink = new RecordingSink();
    try (Admin admin = Admin.create(Topics.adminProperties(kafka))) {
      UUID first = Topics.topicId(admin, kafka.deltasTopic());
      try (Materializer materializer = new Materializer(kafka, sink, InstantSource.system())) {
        materializer.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> sink.sources.contains(first));
      }

      admin.deleteTopics(List.of(kafka.deltasTopic())).all().get(30, TimeUnit.SECONDS);
      await()
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions()
          .until(
              () -> {
                Topics.ensure(kafka); // recreated: the same name, a new id, offsets from 0
                return !Topics.topicId(admin, kafka.deltasTopic()).equals(first);
              });
      UUID recreated = Topics.topicId(admin, kafka.deltasTopic());

      try (Materializer materializer = new Materializer(kafka, sink, InstantSource.system())) {
        materializer.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> sink.sources.contains(recreated));
      }
      assertThat(sink.sources).startsWith(first).endsWith(recreated);
    }
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, KafkaSettings kafka, byte[] v)
      throws Exception {
    producer.send(new ProducerRecord<>(kafka.deltasTopic(), 1, null, v)).get(30, TimeUnit.SECONDS);
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  private static ConsumerRecord<byte[], byte[]> firstDeadLetter(KafkaSettings kafka) {
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition dlq = new TopicPartition(kafka.deadLetterTopic(), 0);
      consumer.assign(List.of(dlq));
      consumer.seekToBeginning(List.of(dlq));
      AtomicReference<ConsumerRecord<byte[], byte[]>> found = new AtomicReference<>();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
                consumer.poll(Duration.ofMillis(200)).forEach(got::add);
                if (!got.isEmpty() && found.get() == null) {
                  found.set(got.get(0));
                }
                return found.get() != null;
              });
      return found.get();
    }
  }
}
