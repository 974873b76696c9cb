package io.tally.kafka;

import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Every Kafka client setting of Tally, in one place: the ingest producer, the group-less reader,
 * the consumer-group members (processors, deltas consumers), the transactional producer of the
 * processors and the dead-letter producer.
 *
 * <p>Stateless; the returned {@link Properties} are fresh copies the caller may extend.
 */
public final class KafkaClients {
  /** An append fails after this long without an acknowledgement. */
  static final int DELIVERY_TIMEOUT_MILLIS = 15_000;

  private static final int REQUEST_TIMEOUT_MILLIS = 5_000;

  /** A processor's transaction is aborted by the broker if not committed within this time. */
  static final int TRANSACTION_TIMEOUT_MILLIS = 20_000;

  private KafkaClients() {}

  /**
   * Ingest's producer: idempotent, {@code acks=all}, batched for throughput, compressed with the
   * settings' codec (lz4 by default). Measured against zstd and none (docs/benchmarks.md, eleventh
   * sitting): zstd allocates less (Kafka's lz4 stream takes a 64 KB block buffer and its twin per
   * batch) and halves Kafka's disk, but cost the node more CPU per event, most at full rate; none
   * keeps 4.4 times lz4's bytes on Kafka's disk.
   */
  static Properties ingestProducer(KafkaSettings s) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "tally-ingest-" + s.nodeId());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, s.compression());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, REQUEST_TIMEOUT_MILLIS);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, DELIVERY_TIMEOUT_MILLIS);
    return p;
  }

  /** A consumer without a group that reads committed data only, from the earliest offset on. */
  static Properties reader(KafkaSettings s, String clientId) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 16 * 1024 * 1024);
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    return p;
  }

  /**
   * A member of consumer group {@code group}: a {@link #reader} with cooperative-sticky assignment
   * and the settings' session timeout.
   */
  static Properties groupMember(
      KafkaSettings s, String clientId, String group, int maxPollRecords) {
    Properties p = reader(s, clientId);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, s.sessionTimeoutMillis());
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Math.max(100, s.sessionTimeoutMillis() / 4));
    p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 300_000);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
    return p;
  }

  /**
   * The deltas consumer's group membership: large polls coalesce the deltas of popular rows into
   * one write each (a record holds up to 1,000 deltas, so this bounds a step at about a million
   * deltas).
   */
  public static Properties deltasConsumer(KafkaSettings s) {
    Properties p = groupMember(s, "tally-materializer-" + s.nodeId(), s.materializerGroup(), 1_000);
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
    return p;
  }

  /**
   * A processor's transactional producer; its id is unique per node (and thread), so a restarted
   * node fences its previous incarnation.
   */
  static Properties transactionalProducer(KafkaSettings s, String transactionalId) {
    Properties p = ingestProducer(s);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, transactionalId);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, s.topicPrefix() + transactionalId);
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, TRANSACTION_TIMEOUT_MILLIS);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    return p;
  }

  /** The producer of the dead-letter topic: idempotent, {@code acks=all}. */
  public static Properties deadLetterProducer(KafkaSettings s) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "tally-dead-letters-" + s.nodeId());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    return p;
  }
}
