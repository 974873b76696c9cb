package io.tally.kafka;

import io.tally.model.TallyException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates cluster mode's topics when missing and refuses to run on topics whose partition count is
 * not P (entity → partition is a durable contract, DESIGN.md invariant 4).
 *
 * <ul>
 *   <li>events: {@code message.timestamp.type=LogAppendTime}, so record times are the broker's
 *       append times (the dedup window's clock), kept for the configured retention;
 *   <li>deltas: the durable backlog of counter deltas, kept 7 days (a store outage longer than that
 *       would lose deltas — the materializer's lag alarm must fire long before);
 *   <li>dead letters: records that can never be applied, with the reason, kept 30 days;
 *   <li>attributes: entity attributes, {@code cleanup.policy=compact} so the latest record per
 *       entity is kept forever (a delete's tombstone for a day), one partition; every node replays
 *       it from the beginning ({@link KafkaAttributeReplica}).
 * </ul>
 */
public final class Topics {
  private static final Logger LOG = LoggerFactory.getLogger(Topics.class);
  private static final long DELTAS_RETENTION_MILLIS = 7 * 86_400_000L;
  private static final long DLQ_RETENTION_MILLIS = 30 * 86_400_000L;

  private Topics() {}

  static Properties adminProperties(KafkaSettings s) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "tally-admin-" + s.nodeId());
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    return p;
  }

  /** Describes topics, waiting out the moment after creation when brokers do not know them yet. */
  private static Map<String, TopicDescription> describe(Admin admin, List<String> topics)
      throws ExecutionException, TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        return admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  /**
   * The id Kafka gave {@code topic} when it was created: another id means the topic was deleted and
   * created again, and its offsets started over.
   *
   * @throws TallyException if Kafka cannot say in time
   */
  static UUID topicId(Admin admin, String topic) {
    try {
      Uuid id = describe(admin, List.of(topic)).get(topic).topicId();
      return new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits());
    } catch (ExecutionException | TimeoutException e) {
      throw new TallyException("cannot read the id of topic " + topic + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TallyException("interrupted while reading the id of topic " + topic, e);
    }
  }

  /**
   * Makes sure all four topics exist, the events and deltas topics with P partitions.
   *
   * @throws TallyException if Kafka cannot be reached in time or a topic has another partition
   *     count
   */
  public static void ensure(KafkaSettings s) {
    try (Admin admin = Admin.create(adminProperties(s))) {
      Map<String, String> events = new HashMap<>();
      events.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");
      events.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(s.eventsRetentionMillis()));
      events.put(TopicConfig.COMPRESSION_TYPE_CONFIG, "producer");
      String minIsr = Integer.toString(Math.min(2, s.replicationFactor()));
      events.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, minIsr);
      Map<String, String> deltas =
          Map.of(
              TopicConfig.RETENTION_MS_CONFIG,
              Long.toString(DELTAS_RETENTION_MILLIS),
              TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
              minIsr);
      Map<String, String> dlq =
          Map.of(TopicConfig.RETENTION_MS_CONFIG, Long.toString(DLQ_RETENTION_MILLIS));
      Map<String, String> attributes =
          Map.of(
              TopicConfig.CLEANUP_POLICY_CONFIG,
              TopicConfig.CLEANUP_POLICY_COMPACT,
              TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
              minIsr);
      List<NewTopic> wanted =
          List.of(
              new NewTopic(s.eventsTopic(), s.partitions(), s.replicationFactor()).configs(events),
              new NewTopic(s.deltasTopic(), s.partitions(), s.replicationFactor()).configs(deltas),
              new NewTopic(s.deadLetterTopic(), 1, s.replicationFactor()).configs(dlq),
              new NewTopic(s.attributesTopic(), 1, s.replicationFactor()).configs(attributes));
      for (NewTopic t : wanted) {
        try {
          admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
          LOG.info(
              "created topic {} with {} partitions, replication factor {}",
              t.name(),
              t.numPartitions(),
              t.replicationFactor());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
      Map<String, TopicDescription> described =
          describe(admin, List.of(s.eventsTopic(), s.deltasTopic(), s.attributesTopic()));
      for (TopicDescription d : described.values()) {
        if (!d.name().equals(s.attributesTopic()) && d.partitions().size() != s.partitions()) {
          throw new TallyException(
              "topic "
                  + d.name()
                  + " has "
                  + d.partitions().size()
                  + " partitions but this cluster is configured for "
                  + s.partitions()
                  + "; the partition count is fixed when the topics are created");
        }
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new TallyException(
          "cannot set up the Kafka topics at " + s.bootstrapServers() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TallyException("interrupted while setting up the Kafka topics", e);
    }
  }
}
