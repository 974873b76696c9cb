package io.tally.kafka;

import static java.util.Objects.requireNonNull;

import io.tally.core.codec.CorruptRecordException;
import io.tally.core.codec.StringCache;
import io.tally.core.log.LogHead;
import io.tally.core.log.LogRecord;
import io.tally.core.process.LogConsumer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode's ownership: a member of the consumer group {@code <prefix>processors} on the events
 * topic. Kafka's assignment drives the {@link LogConsumer.Listener} (cooperative-sticky: revoked,
 * then assigned; lost when this member was out of the group). A newly assigned partition is paused
 * until the processor seeks it to its checkpoint; while the processor holds an unwritten flush
 * every partition is paused, and polls only keep the membership alive.
 *
 * <p>Also what {@link KafkaDeltaSink} needs from the group: the committed offsets (checkpoints) and
 * the group metadata its transactions commit with.
 *
 * <p>Not thread-safe: the processor thread owns it (the Kafka consumer is created on first use).
 */
public final class KafkaLogConsumer implements LogConsumer {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaLogConsumer.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);

  private final KafkaSettings settings;
  private final InstantSource clock;
  private final String clientId;
  private final int maxPollRecords;
  private final Set<TopicPartition> unpositioned = new HashSet<>();
  private final StringCache strings = new StringCache(); // entities and types of the events
  private KafkaConsumer<ByteBuffer, ByteBuffer> consumer;
  private KafkaDeltaSink sink;
  private Listener listener;
  private boolean fetching = true;
  private long skippedCorrupt;

  /**
   * @param clientId this member's client id (unique per node and thread)
   */
  public KafkaLogConsumer(
      KafkaSettings settings, String clientId, int maxPollRecords, InstantSource clock) {
    this.settings = requireNonNull(settings, "settings");
    this.clientId = requireNonNull(clientId, "clientId");
    this.clock = requireNonNull(clock, "clock");
    this.maxPollRecords = maxPollRecords;
  }

  private KafkaConsumer<ByteBuffer, ByteBuffer> consumer() {
    if (consumer == null) {
      consumer =
          new KafkaConsumer<>(
              KafkaClients.groupMember(
                  settings, clientId, settings.processorGroup(), maxPollRecords),
              new ByteBufferDeserializer(),
              new ByteBufferDeserializer());
      consumer.subscribe(List.of(settings.eventsTopic()), new Rebalance());
    }
    return consumer;
  }

  @Override
  public List<Fetched> poll(Listener listener, boolean fetch) {
    this.listener = listener;
    KafkaConsumer<ByteBuffer, ByteBuffer> c = consumer();
    if (fetch != fetching) {
      fetching = fetch;
      if (fetch) {
        Set<TopicPartition> resume = new HashSet<>(c.assignment());
        resume.removeAll(unpositioned);
        c.resume(resume);
      } else {
        c.pause(c.assignment());
      }
    }
    long pollStart = clock.millis();
    ConsumerRecords<ByteBuffer, ByteBuffer> records = c.poll(fetch ? POLL_TIMEOUT : Duration.ZERO);
    if (!fetch) {
      return pausedHeads(c, pollStart);
    }
    List<Fetched> out = new ArrayList<>();
    for (TopicPartition tp : c.assignment()) {
      if (unpositioned.contains(tp)) {
        continue;
      }
      List<LogRecord> decoded = new ArrayList<>();
      for (ConsumerRecord<ByteBuffer, ByteBuffer> r : records.records(tp)) {
        try {
          decoded.add(KafkaEventLog.decode(r, strings));
        } catch (CorruptRecordException e) {
          if (Long.bitCount(++skippedCorrupt) == 1) {
            LOG.error(
                "partition {} offset {}: skipping a record that is not a Tally event ({} so far): {}",
                r.partition(),
                r.offset(),
                skippedCorrupt,
                e.getMessage());
          }
        }
      }
      out.add(new Fetched(tp.partition(), decoded, head(c, tp, pollStart)));
    }
    return out;
  }

  /**
   * While paused the consumer learns no lag: ask for the end offsets (briefly; none if the brokers
   * do not answer), so the backlog gauges keep growing while a flush cannot be written.
   */
  private List<Fetched> pausedHeads(KafkaConsumer<ByteBuffer, ByteBuffer> c, long pollStart) {
    Set<TopicPartition> positioned = new HashSet<>(c.assignment());
    positioned.removeAll(unpositioned);
    if (positioned.isEmpty()) {
      return List.of();
    }
    Map<TopicPartition, Long> ends;
    try {
      ends = c.endOffsets(positioned, Duration.ofSeconds(1));
    } catch (KafkaException e) {
      return List.of();
    }
    List<Fetched> out = new ArrayList<>();
    ends.forEach(
        (tp, end) ->
            out.add(
                new Fetched(
                    tp.partition(),
                    List.of(),
                    new LogHead(end, pollStart - KafkaEventLog.HEAD_MARGIN_MILLIS))));
    return out;
  }

  /** Position plus lag; complete before the poll started, minus the log's margin. */
  private static LogHead head(
      KafkaConsumer<ByteBuffer, ByteBuffer> c, TopicPartition tp, long pollStart) {
    OptionalLong lag = c.currentLag(tp);
    if (lag.isEmpty()) {
      return null;
    }
    return new LogHead(
        c.position(tp) + lag.getAsLong(), pollStart - KafkaEventLog.HEAD_MARGIN_MILLIS);
  }

  @Override
  public void seek(int partition, long offset) {
    TopicPartition tp = new TopicPartition(settings.eventsTopic(), partition);
    consumer().seek(tp, offset);
    unpositioned.remove(tp);
    if (fetching) {
      consumer.resume(List.of(tp));
    }
  }

  /** The checkpoint committed for {@code partition} (initial if none). */
  io.tally.core.store.Checkpoint committed(int partition) {
    TopicPartition tp = new TopicPartition(settings.eventsTopic(), partition);
    Map<TopicPartition, OffsetAndMetadata> committed = consumer().committed(Set.of(tp));
    return CheckpointMetadata.parse(partition, committed.get(tp));
  }

  /** The group metadata a transaction commits offsets with (its generation fences zombies). */
  ConsumerGroupMetadata groupMetadata() {
    return consumer().groupMetadata();
  }

  String eventsTopic() {
    return settings.eventsTopic();
  }

  /**
   * The transactional sink of this member (one per member; closed with it).
   *
   * @param transactionalId unique per node and processor thread
   */
  public KafkaDeltaSink sink(String transactionalId) {
    if (sink == null) {
      sink = new KafkaDeltaSink(settings, this, transactionalId);
    }
    return sink;
  }

  /** Closes this member's sink, then leaves the group. */
  @Override
  public void close() {
    if (sink != null) {
      sink.close();
    }
    if (consumer != null) {
      try {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        LOG.warn("closing the processor's consumer: {}", e.toString());
      }
    }
  }

  private static List<Integer> ids(Collection<TopicPartition> tps) {
    return tps.stream().map(TopicPartition::partition).sorted().toList();
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) {
        unpositioned.removeAll(partitions);
        listener.revoked(ids(partitions));
      }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      unpositioned.removeAll(partitions);
      listener.lost(ids(partitions));
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) {
        consumer.pause(partitions);
        unpositioned.addAll(partitions);
        listener.assigned(ids(partitions));
        LOG.info("took partitions {}", ids(partitions));
      }
    }
  }
}
