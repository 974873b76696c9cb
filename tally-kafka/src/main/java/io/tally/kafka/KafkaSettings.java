package io.tally.kafka;

import static java.util.Objects.requireNonNull;

import io.tally.core.partition.Partitioner;
import java.util.List;

/**
 * Where cluster mode's topics live and how they are made.
 *
 * @param bootstrapServers Kafka's {@code bootstrap.servers}
 * @param topicPrefix prefix of the topic names: {@code <prefix>events}, {@code <prefix>deltas},
 *     {@code <prefix>dlq}, {@code <prefix>attributes} (default {@code tally.}; tests give each run
 *     its own)
 * @param partitions P, the partition count of the events and deltas topics; fixed once created
 * @param replicationFactor replication factor of the topics Tally creates
 * @param eventsRetentionMillis how long raw events are kept (must exceed the dedup window)
 * @param nodeId this node's name, unique in the cluster: it names the transactional producer, so a
 *     restarted node fences its previous incarnation
 * @param sessionTimeoutMillis the consumer group's session timeout: how soon a dead node's
 *     partitions move
 * @param compression the codec of the batches Tally's producers send to the events and deltas
 *     topics, one of {@link #COMPRESSIONS}: {@code lz4} (the default) for the least CPU per event;
 *     {@code zstd} for half of lz4's bytes on the brokers' disks and network, for more CPU per
 *     batch; {@code none} for the least CPU and allocation, at about four times lz4's bytes
 *     (docs/benchmarks.md, "Kafka's compression codecs compared")
 */
public record KafkaSettings(
    String bootstrapServers,
    String topicPrefix,
    int partitions,
    short replicationFactor,
    long eventsRetentionMillis,
    String nodeId,
    int sessionTimeoutMillis,
    String compression) {

  public static final String DEFAULT_PREFIX = "tally.";

  /** The codecs {@link #compression} may name (Kafka's own names). */
  public static final List<String> COMPRESSIONS = List.of("lz4", "zstd", "snappy", "gzip", "none");

  public KafkaSettings {
    requireNonNull(bootstrapServers, "bootstrapServers");
    requireNonNull(topicPrefix, "topicPrefix");
    requireNonNull(nodeId, "nodeId");
    if (partitions < 1 || partitions > Partitioner.MAX_PARTITIONS) {
      throw new IllegalArgumentException(
          "partitions must be between 1 and " + Partitioner.MAX_PARTITIONS);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException("replication factor must be at least 1");
    }
    if (eventsRetentionMillis < 3_600_000L) {
      throw new IllegalArgumentException("events retention must be at least an hour");
    }
    if (!COMPRESSIONS.contains(compression)) {
      throw new IllegalArgumentException(
          "compression must be one of " + String.join(", ", COMPRESSIONS) + ", not " + compression);
    }
  }

  /** Defaults for a cluster at {@code bootstrapServers}: P 16, RF 1, 7 days, session 10 s, lz4. */
  public static KafkaSettings defaults(String bootstrapServers, String nodeId) {
    return new KafkaSettings(
        bootstrapServers, DEFAULT_PREFIX, 16, (short) 1, 7 * 86_400_000L, nodeId, 10_000, "lz4");
  }

  public String eventsTopic() {
    return topicPrefix + "events";
  }

  public String deltasTopic() {
    return topicPrefix + "deltas";
  }

  public String deadLetterTopic() {
    return topicPrefix + "dlq";
  }

  /** The compacted topic of entity attributes: key entity, value its attributes or a tombstone. */
  public String attributesTopic() {
    return topicPrefix + "attributes";
  }

  /** Consumer group of the processors. */
  public String processorGroup() {
    return topicPrefix + "processors";
  }

  /** Consumer group of the materializers. */
  public String materializerGroup() {
    return topicPrefix + "materializers";
  }

  public KafkaSettings withTopicPrefix(String prefix) {
    return new KafkaSettings(
        bootstrapServers,
        prefix,
        partitions,
        replicationFactor,
        eventsRetentionMillis,
        nodeId,
        sessionTimeoutMillis,
        compression);
  }

  public KafkaSettings withPartitions(int p) {
    return new KafkaSettings(
        bootstrapServers,
        topicPrefix,
        p,
        replicationFactor,
        eventsRetentionMillis,
        nodeId,
        sessionTimeoutMillis,
        compression);
  }

  public KafkaSettings withNodeId(String id) {
    return new KafkaSettings(
        bootstrapServers,
        topicPrefix,
        partitions,
        replicationFactor,
        eventsRetentionMillis,
        id,
        sessionTimeoutMillis,
        compression);
  }

  public KafkaSettings withSessionTimeoutMillis(int ms) {
    return new KafkaSettings(
        bootstrapServers,
        topicPrefix,
        partitions,
        replicationFactor,
        eventsRetentionMillis,
        nodeId,
        ms,
        compression);
  }

  public KafkaSettings withCompression(String codec) {
    return new KafkaSettings(
        bootstrapServers,
        topicPrefix,
        partitions,
        replicationFactor,
        eventsRetentionMillis,
        nodeId,
        sessionTimeoutMillis,
        codec);
  }

  public KafkaSettings withReplicationFactor(short rf) {
    return new KafkaSettings(
        bootstrapServers,
        topicPrefix,
        partitions,
        rf,
        eventsRetentionMillis,
        nodeId,
        sessionTimeoutMillis,
        compression);
  }
}
