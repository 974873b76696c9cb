package io.tally.kafka;

import static java.util.Objects.requireNonNull;

import io.tally.core.enrich.WritableAttributeStore;
import io.tally.core.process.ProcessorHealth;
import io.tally.core.process.Worker;
import io.tally.core.process.WorkerRunner;
import io.tally.model.TallyException;
import io.tally.model.json.AttributesJson;
import io.tally.model.json.MalformedBodyException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
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
 * <p>Runs on the thread of its {@link WorkerRunner} (which owns stopping, backoff and health);
 * every other method may be called from any thread.
 */
public final class KafkaAttributeReplica implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaAttributeReplica.class);
  private static final long MAX_BACKOFF_MILLIS = 5_000;

  private record Waiter(int partition, long offset, CompletableFuture<Void> done) {}

  private static final WorkerRunner.Policy POLICY =
      new WorkerRunner.Policy(0, 100, MAX_BACKOFF_MILLIS, 0);

  private final KafkaSettings settings;
  private final WritableAttributeStore store;
  private final WorkerRunner runner;
  private final CountDownLatch caughtUp = new CountDownLatch(1);

  /** Per partition of the topic, the next offset to apply: everything before it is applied. */
  private final Map<Integer, Long> applied = new ConcurrentHashMap<>();

  private final List<Waiter> waiters = new ArrayList<>();
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private List<TopicPartition> tps;
  private Map<TopicPartition, Long> startEnd;
  private boolean ended; // guarded by waiters
  private long skipped;

  public KafkaAttributeReplica(
      KafkaSettings settings, WritableAttributeStore store, InstantSource clock) {
    this.settings = requireNonNull(settings, "settings");
    this.store = requireNonNull(store, "store");
    this.runner = new WorkerRunner(new Duty(), POLICY, clock);
  }

  public void start() {
    runner.start();
  }

  private Properties consumerProperties() {
    Properties p = KafkaClients.reader(settings, "tally-attributes-" + settings.nodeId());
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    return p;
  }

  /** The replica's duty cycle, run by its {@link WorkerRunner}. */
  private final class Duty implements Worker {
    @Override
    public String name() {
      return "tally-attributes-replica";
    }

    @Override
    public int doWork() {
      try {
        if (startEnd == null) {
          startReading();
        }
        int work = 1; // a poll that succeeded is work: it ends a run of failures
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          apply(r);
          work++;
        }
        for (TopicPartition tp : tps) {
          applied.put(tp.partition(), consumer.position(tp));
        }
        if (caughtUp.getCount() > 0
            && startEnd.entrySet().stream()
                .allMatch(e -> applied.getOrDefault(e.getKey().partition(), 0L) >= e.getValue())) {
          LOG.info("attributes replica caught up with {}", settings.attributesTopic());
          caughtUp.countDown();
        }
        completeWaiters();
        return work;
      } catch (WakeupException | InterruptException e) {
        return 0; // stopping
      } catch (KafkaException | TallyException e) {
        throw new TallyException("reading the attributes topic failed: " + e.getMessage(), e);
      }
    }

    @Override
    public void onStopRequested() {
      KafkaConsumer<byte[], byte[]> c = consumer;
      if (c != null) {
        c.wakeup();
      }
    }

    @Override
    public void onClose() {
      failWaiters();
      if (consumer != null) {
        try {
          consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
          LOG.warn("closing the attributes replica's consumer: {}", e.toString());
        }
      }
    }
  }

  /** Clears the store and assigns every partition of the topic from its beginning. */
  private void startReading() {
    if (consumer == null) {
      store.clear();
      consumer =
          new KafkaConsumer<>(
              consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
    tps = assignAll();
    startEnd = consumer.endOffsets(tps);
    LOG.info(
        "attributes replica: reading {} from the beginning ({} records at most)",
        settings.attributesTopic(),
        startEnd.values().stream().mapToLong(Long::longValue).sum());
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
    return runner.health();
  }

  /**
   * Stops following and waits for the thread, up to {@code timeout}.
   *
   * @return whether the thread ended (only then may the store be closed)
   */
  public boolean stopAndAwait(Duration timeout) {
    return runner.stopAndAwait(timeout);
  }

  @Override
  public void close() {
    stopAndAwait(Duration.ofSeconds(10));
  }
}
