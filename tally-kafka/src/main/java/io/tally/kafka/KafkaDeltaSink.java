package io.tally.kafka;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.codec.DeltaCodec;
import io.tally.core.codec.DeltaRecord;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import io.tally.model.TallyException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode's {@link DeltaSink}: one Kafka transaction per flush (exactly-once v2).
 *
 * <h2>Protocol</h2>
 *
 * <p>The deltas of each partition p (its entities' rows and its shards of derived entities, {@link
 * DerivedEntities#writerPartition}) go to partition p of {@code <prefix>deltas} in records of at
 * most {@value #DELTAS_PER_RECORD} deltas ({@link DeltaCodec}), the last of which carries p's
 * {@link Checkpoint}; the consumed offsets of the events topic, with the checkpoint in their
 * metadata ({@link CheckpointMetadata}), are sent to the same transaction with the consumer group's
 * metadata. Either all of it becomes visible to read_committed consumers or none of it: a failed
 * write is aborted and throws, and the processor retries it or recovers from the committed
 * checkpoints. A zombie's commit carries a stale group generation and is refused by the group
 * coordinator, so it can never make a count wrong.
 *
 * <p>{@link #checkpoint} reads the group's committed offset. Not thread-safe: used by the one
 * processor thread that owns {@code consumer} (the producer is created on first use, so a failure
 * to start it is a failed write, retried).
 */
public final class KafkaDeltaSink implements DeltaSink {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaDeltaSink.class);

  /** Deltas per record of the deltas topic (a row is at most ~600 bytes; records stay < 1 MB). */
  static final int DELTAS_PER_RECORD = 1_000;

  private final KafkaSettings settings;
  private final KafkaLogConsumer consumer;
  private final String transactionalId;
  private final Partitioner partitioner;
  private KafkaProducer<byte[], byte[]> producer;

  /**
   * @param consumer the group member whose offsets the transactions commit (and which closes this)
   * @param transactionalId unique per node and processor thread
   */
  KafkaDeltaSink(KafkaSettings settings, KafkaLogConsumer consumer, String transactionalId) {
    this.settings = requireNonNull(settings, "settings");
    this.consumer = requireNonNull(consumer, "consumer");
    this.transactionalId = requireNonNull(transactionalId, "transactionalId");
    this.partitioner = new Partitioner(settings.partitions());
  }

  @Override
  public void write(DeltaBatch batch) {
    Map<Integer, List<CounterDelta>> byPartition = new TreeMap<>();
    for (CounterDelta d : batch.deltas()) {
      byPartition
          .computeIfAbsent(
              DerivedEntities.writerPartition(d.key().entity(), partitioner),
              p -> new ArrayList<>())
          .add(d);
    }
    Map<Integer, Checkpoint> checkpoints = new HashMap<>();
    batch.checkpoints().forEach(cp -> checkpoints.put(cp.partition(), cp));
    checkpoints.keySet().forEach(p -> byPartition.putIfAbsent(p, List.of()));
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    byPartition.forEach(
        (p, mine) -> {
          Checkpoint cp = checkpoints.get(p);
          for (int from = 0; from < mine.size() || from == 0; from += DELTAS_PER_RECORD) {
            int to = Math.min(mine.size(), from + DELTAS_PER_RECORD);
            DeltaRecord chunk =
                new DeltaRecord(mine.subList(from, to), to == mine.size() ? cp : null);
            out.add(
                new ProducerRecord<>(settings.deltasTopic(), p, null, DeltaCodec.encode(chunk)));
          }
          if (cp != null) {
            offsets.put(
                new TopicPartition(consumer.eventsTopic(), p),
                new OffsetAndMetadata(cp.nextOffset(), CheckpointMetadata.format(cp)));
          }
        });
    try {
      if (producer == null) {
        producer = newProducer();
      }
      producer.beginTransaction();
      for (ProducerRecord<byte[], byte[]> r : out) {
        producer.send(r);
      }
      producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
      producer.commitTransaction();
    } catch (KafkaException e) {
      abortQuietly(e);
      throw new TallyException("the Kafka transaction failed: " + e.getMessage(), e);
    }
  }

  private KafkaProducer<byte[], byte[]> newProducer() {
    KafkaProducer<byte[], byte[]> p =
        new KafkaProducer<>(
            KafkaClients.transactionalProducer(settings, transactionalId),
            new ByteArraySerializer(),
            new ByteArraySerializer());
    try {
      p.initTransactions();
    } catch (RuntimeException e) {
      p.close(Duration.ZERO);
      throw e;
    }
    return p;
  }

  private void abortQuietly(KafkaException cause) {
    if (producer == null) {
      return;
    }
    if (cause instanceof ProducerFencedException
        || cause instanceof InvalidProducerEpochException) {
      LOG.warn("the processor's producer was fenced; starting a new one at the next write");
      closeProducer(Duration.ZERO);
      return;
    }
    try {
      producer.abortTransaction();
    } catch (RuntimeException e) {
      LOG.warn("aborting the transaction failed ({}); starting a new producer", e.getMessage());
      closeProducer(Duration.ZERO);
    }
  }

  private void closeProducer(Duration timeout) {
    try {
      producer.close(timeout);
    } catch (RuntimeException ignored) {
      // the old producer is unusable anyway
    }
    producer = null;
  }

  /** The checkpoint committed with the group's offset of {@code partition}. */
  @Override
  public Optional<Checkpoint> checkpoint(int partition) {
    return Optional.of(consumer.committed(partition));
  }

  /** Closes the producer; called by the processor thread that owns it, last. */
  void close() {
    if (producer != null) {
      closeProducer(Duration.ofSeconds(5));
    }
  }
}
