package io.tally.kafka;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.RowCorrection;
import io.tally.core.codec.DeltaCodec;
import io.tally.core.codec.DeltaRecord;
import io.tally.core.recount.CorrectionLog;
import io.tally.core.topk.SlotCorrection;
import io.tally.model.TallyException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A recount's corrections to {@code <prefix>deltas}: one Kafka transaction per append (records of
 * at most {@value KafkaDeltaSink#DELTAS_PER_RECORD} row corrections or {@value #SLOTS_PER_RECORD}
 * Top-K slot corrections, no checkpoint), from a producer whose transactional id is unique per node
 * ({@code recount-<node id>}), so a restarted node fences a recount its previous incarnation left
 * open. The end offset is read read_committed (the last stable offset), as the materializer reads.
 *
 * <p>Thread-safe: appends are serialized.
 */
public final class KafkaCorrectionLog implements CorrectionLog, AutoCloseable {
  private final KafkaSettings settings;
  private final KafkaConsumer<byte[], byte[]> reader;
  private KafkaProducer<byte[], byte[]> producer;

  public KafkaCorrectionLog(KafkaSettings settings) {
    this.settings = requireNonNull(settings, "settings");
    this.reader =
        new KafkaConsumer<>(
            KafkaClients.reader(settings, "tally-recount-reader-" + settings.nodeId()),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
  }

  /** Records of at most this many Top-K slot corrections (each up to a slot's exact size). */
  static final int SLOTS_PER_RECORD = 16;

  @Override
  public synchronized long append(
      int partition, List<RowCorrection> corrections, List<SlotCorrection> slots) {
    if (corrections.isEmpty() && slots.isEmpty()) {
      throw new IllegalArgumentException("no corrections to append");
    }
    try {
      if (producer == null) {
        producer =
            new KafkaProducer<>(
                KafkaClients.transactionalProducer(settings, "recount-" + settings.nodeId()),
                new ByteArraySerializer(),
                new ByteArraySerializer());
        producer.initTransactions();
      }
      producer.beginTransaction();
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int from = 0; from < corrections.size(); from += KafkaDeltaSink.DELTAS_PER_RECORD) {
        List<RowCorrection> chunk =
            corrections.subList(
                from, Math.min(corrections.size(), from + KafkaDeltaSink.DELTAS_PER_RECORD));
        sent.add(send(partition, new DeltaRecord(List.of(), null, chunk)));
      }
      for (int from = 0; from < slots.size(); from += SLOTS_PER_RECORD) {
        List<SlotCorrection> chunk =
            slots.subList(from, Math.min(slots.size(), from + SLOTS_PER_RECORD));
        sent.add(send(partition, new DeltaRecord(List.of(), null, List.of(), chunk)));
      }
      producer.commitTransaction();
      return sent.get(sent.size() - 1).get(30, TimeUnit.SECONDS).offset();
    } catch (KafkaException | ExecutionException | TimeoutException e) {
      closeProducer();
      throw new TallyException("writing the recount's corrections failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeProducer();
      throw new TallyException("interrupted while writing the recount's corrections", e);
    }
  }

  private Future<RecordMetadata> send(int partition, DeltaRecord record) {
    return producer.send(
        new ProducerRecord<>(settings.deltasTopic(), partition, null, DeltaCodec.encode(record)));
  }

  private void closeProducer() {
    if (producer != null) {
      try {
        producer.close(Duration.ZERO); // an open transaction is aborted by the next incarnation
      } catch (RuntimeException ignored) {
        // unusable anyway
      }
      producer = null;
    }
  }

  @Override
  public synchronized long endOffset(int partition) {
    TopicPartition tp = new TopicPartition(settings.deltasTopic(), partition);
    try {
      return reader.endOffsets(List.of(tp)).get(tp);
    } catch (KafkaException e) {
      throw new TallyException("reading the end of " + tp + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() {
    closeProducer();
    reader.close();
  }
}
