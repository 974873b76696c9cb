package io.tally.kafka;

import static java.util.Objects.requireNonNull;

import io.tally.core.TallyException;
import io.tally.core.enrich.WritableAttributeStore;
import io.tally.core.process.ProcessorHealth;
import io.tally.model.json.AttributesJson;
import io.tally.model.json.MalformedBodyException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's replica of the compacted attributes topic ({@link KafkaSettings#attributesTopic()}),
 * kept in a local {@link WritableAttributeStore} (RocksDB) that the node's processor reads.
 *
 * <p>The replica is rebuilt at every start: it clears the store, assigns itself every partition of
 * the topic (no consumer group: every node reads everything), reads from the beginning, and is
 * {@linkplain #awaitCaughtUp caught up} once it has applied everything that was in the topic when
 * it started. It then keeps following. A record with a value replaces the entity's attributes, a
 * tombstone (null value) deletes them. Rebuilding rather than resuming means a delete whose
 * tombstone compaction has already removed cannot linger in the replica.
 *
 * <p>Records it cannot read (not attributes JSON) are logged and skipped: the topic is only written
 * by {@link KafkaAttributePublisher}, which validated them.
 *
 * <p>Runs on its own thread; every other method may be called from any thread.
 */
public final class KafkaAttributeReplica implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaAttributeReplica.class);
  private static final long MAX_BACKOFF_MILLIS = 5_000;

  private record Waiter(int partition, long offset, CompletableFuture<Void> done) {}

  private final KafkaSettings settings;
  private final WritableAttributeStore store;
  private final Thread thread;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);

  /** Per partition of the topic, the next offset to apply: everything before it is applied. */
  private final Map<Integer, Long> applied = new ConcurrentHashMap<>();

  private final List<Waiter> waiters = new ArrayList<>();
  private volatile boolean running = true;
  private volatile ProcessorHealth health = ProcessorHealth.OK;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private boolean ended; // guarded by waiters
  private long skipped;

  public KafkaAttributeReplica(KafkaSettings settings, WritableAttributeStore store) {
    this.settings = requireNonNull(settings, "settings");
    this.store = requireNonNull(store, "store");
    this.thread = new Thread(this::run, "tally-attributes-replica");
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  private Properties consumerProperties() {
    Properties p =
        KafkaEventLog.readerProperties(settings, "tally-attributes-" + settings.nodeId());
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    return p;
  }

  private void run() {
    long backoffMillis = 100;
    try {
      store.clear();
      consumer =
          new KafkaConsumer<>(
              consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> tps = assignAll();
      Map<TopicPartition, Long> startEnd = consumer.endOffsets(tps);
      LOG.info(
          "attributes replica: reading {} from the beginning ({} records at most)",
          settings.attributesTopic(),
          startEnd.values().stream().mapToLong(Long::longValue).sum());
      while (running) {
        try {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            apply(r);
          }
          for (TopicPartition tp : tps) {
            applied.put(tp.partition(), consumer.position(tp));
          }
        } catch (WakeupException | InterruptException e) {
          break;
        } catch (KafkaException | TallyException e) {
          noteFailure(e);
          Thread.sleep(backoffMillis);
          backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
          continue;
        }
        backoffMillis = 100;
        if (!health.ok()) {
          LOG.info("attributes replica recovered");
          health = ProcessorHealth.OK;
        }
        if (caughtUp.getCount() > 0
            && startEnd.entrySet().stream()
                .allMatch(e -> applied.getOrDefault(e.getKey().partition(), 0L) >= e.getValue())) {
          LOG.info("attributes replica caught up with {}", settings.attributesTopic());
          caughtUp.countDown();
        }
        completeWaiters();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (WakeupException | InterruptException e) {
      // closed while starting
    } catch (RuntimeException | Error e) {
      health =
          ProcessorHealth.failing(
              "attributes replica stopped: " + e, System.currentTimeMillis(), Long.MAX_VALUE);
      LOG.error("the attributes replica stopped", e);
    } finally {
      failWaiters();
      if (consumer != null) {
        try {
          consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
          LOG.warn("closing the attributes replica's consumer: {}", e.toString());
        }
      }
      stopped.countDown();
    }
  }

  private List<TopicPartition> assignAll() {
    List<PartitionInfo> infos = consumer.partitionsFor(settings.attributesTopic());
    if (infos == null || infos.isEmpty()) {
      throw new TallyException("topic " + settings.attributesTopic() + " does not exist");
    }
    List<TopicPartition> tps =
        infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
    consumer.assign(tps);
    consumer.seekToBeginning(tps);
    return tps;
  }

  private void apply(ConsumerRecord<byte[], byte[]> r) {
    if (r.key() == null) {
      skip(r, "it has no key");
      return;
    }
    String entity = new String(r.key(), StandardCharsets.UTF_8);
    if (r.value() == null) {
      store.delete(entity);
      return;
    }
    Map<String, String> attributes;
    try {
      attributes = AttributesJson.read(r.value());
    } catch (MalformedBodyException e) {
      skip(r, e.getMessage());
      return;
    }
    store.put(entity, attributes);
  }

  private void skip(ConsumerRecord<byte[], byte[]> r, String why) {
    if (Long.bitCount(++skipped) == 1) {
      LOG.error(
          "attributes topic partition {} offset {}: skipping a record that is not attributes ({} so far): {}",
          r.partition(),
          r.offset(),
          skipped,
          why);
    }
  }

  private void noteFailure(RuntimeException e) {
    health =
        health.afterFailure(
            "reading the attributes topic failed: " + e.getMessage(), System.currentTimeMillis());
    if (Long.bitCount(health.consecutiveFailures()) == 1) {
      LOG.warn("attributes replica (attempt {}): {}", health.consecutiveFailures(), e.toString());
    }
  }

  /**
   * Completes once the record at {@code offset} of {@code partition} is applied to the store, or
   * exceptionally if the replica stops first.
   */
  public CompletableFuture<Void> whenApplied(int partition, long offset) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    synchronized (waiters) {
      if (ended) {
        done.completeExceptionally(new TallyException("the attributes replica is stopped"));
      } else if (applied.getOrDefault(partition, 0L) > offset) {
        done.complete(null);
      } else {
        waiters.add(new Waiter(partition, offset, done));
      }
    }
    return done;
  }

  private void completeWaiters() {
    synchronized (waiters) {
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter w = it.next();
        if (w.done().isDone() || applied.getOrDefault(w.partition(), 0L) > w.offset()) {
          w.done().complete(null);
          it.remove();
        }
      }
    }
  }

  private void failWaiters() {
    synchronized (waiters) {
      ended = true;
      waiters.forEach(
          w ->
              w.done().completeExceptionally(new TallyException("the attributes replica stopped")));
      waiters.clear();
    }
  }

  /** Waits until everything that was in the topic when the replica started is applied. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public boolean caughtUp() {
    return caughtUp.getCount() == 0;
  }

  public ProcessorHealth health() {
    return health;
  }

  /**
   * Stops following and waits for the thread, up to {@code timeout}.
   *
   * @return whether the thread ended (only then may the store be closed)
   */
  public boolean stopAndAwait(Duration timeout) {
    running = false;
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    try {
      return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    stopAndAwait(Duration.ofSeconds(10));
  }
}
