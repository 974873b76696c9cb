package io.tally.kafka;

import static java.util.Objects.requireNonNull;

import io.tally.core.enrich.AttributePublisher;
import io.tally.model.TallyException;
import io.tally.model.json.AttributesJson;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Cluster mode's {@link AttributePublisher}: a change is a record of the compacted attributes topic
 * — key the entity (UTF-8), value its attributes as {@link AttributesJson}, or a tombstone (null
 * value) for a delete — produced with {@code acks=all}. The returned future completes when the
 * record is acknowledged <em>and</em> this node's {@link KafkaAttributeReplica} has applied it, so
 * a read on this node sees it; other nodes' replicas apply it moments later.
 *
 * <p>Thread-safe.
 */
public final class KafkaAttributePublisher implements AttributePublisher, AutoCloseable {
  /** How long a change waits for this node's replica after the broker acknowledged it. */
  private static final long VISIBLE_TIMEOUT_MILLIS = 10_000;

  private final KafkaSettings settings;
  private final KafkaAttributeReplica replica;
  private final KafkaProducer<byte[], byte[]> producer;

  public KafkaAttributePublisher(KafkaSettings settings, KafkaAttributeReplica replica) {
    this.settings = requireNonNull(settings, "settings");
    this.replica = requireNonNull(replica, "replica");
    Properties p = KafkaClients.ingestProducer(settings);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "tally-attributes-" + settings.nodeId());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  @Override
  public CompletableFuture<Void> put(String entity, Map<String, String> attributes) {
    return publish(entity, AttributesJson.write(attributes));
  }

  @Override
  public CompletableFuture<Void> delete(String entity) {
    return publish(entity, null);
  }

  private CompletableFuture<Void> publish(String entity, byte[] value) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(
            settings.attributesTopic(), entity.getBytes(StandardCharsets.UTF_8), value);
    try {
      producer.send(
          record,
          (metadata, failure) -> {
            if (failure != null) {
              done.completeExceptionally(
                  new TallyException(
                      "writing to "
                          + settings.attributesTopic()
                          + " failed: "
                          + failure.getMessage(),
                      failure));
              return;
            }
            replica
                .whenApplied(metadata.partition(), metadata.offset())
                .orTimeout(VISIBLE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .whenComplete(
                    (ok, e) -> {
                      if (e == null) {
                        done.complete(null);
                      } else {
                        done.completeExceptionally(
                            new TallyException(
                                "the change is in "
                                    + settings.attributesTopic()
                                    + " but this node has not read it back"
                                    + (e instanceof TimeoutException ? " in time" : ": " + e)
                                    + "; repeating the request is safe",
                                e));
                      }
                    });
          });
    } catch (KafkaException e) {
      done.completeExceptionally(
          new TallyException(
              "writing to " + settings.attributesTopic() + " failed: " + e.getMessage(), e));
    }
    return done;
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
