package io.tally.kafka;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.codec.CorruptRecordException;
import io.tally.core.codec.DeltaCodec;
import io.tally.core.codec.DeltaRecord;
import io.tally.core.codec.StringCache;
import io.tally.core.process.ProcessorHealth;
import io.tally.core.process.Worker;
import io.tally.core.process.WorkerRunner;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.DeltaSource;
import io.tally.model.TallyException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode's materializer: a member of the consumer group {@code <prefix>materializers} that
 * reads committed deltas and applies them to a {@link DeltaSink} idempotent by position
 * (Cassandra's {@code CassandraDeltaSink}); deltas partition p holds exactly event partition p's
 * deltas.
 *
 * <p>Each poll becomes one step: decode each record (records that can never be applied go to the
 * dead-letter topic with the reason) into a {@link DeltaBatch} whose {@link DeltaSource} is the
 * record's partition and offset, {@linkplain DeltaSink#writeAll write them} to the sink (in parts
 * of at most {@value #MAX_WRITE_DELTAS} deltas, which bounds a step's memory), and only then commit
 * the consumed offsets. If the sink fails, nothing is committed: the step is retried from the
 * committed offsets with exponential backoff, the deltas topic holds the backlog, and {@link
 * #health()} says so. Replays are harmless because the sink is idempotent by position (invariant
 * 5); a sink that is merely atomic (RocksDB) would count a replayed step twice, so it must not be
 * used here. On every rebalance the sink is told that ownership changed, so it forgets rows another
 * materializer may have written.
 *
 * <p>Runs on the thread of its {@link WorkerRunner} (which owns stopping, backoff and health),
 * which is the only thread that uses the sink; the observers may be called from any thread.
 */
public final class Materializer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Materializer.class);

  private static final long STATS_INTERVAL_MILLIS = 30_000;

  /**
   * Most deltas handed to the sink in one write. A row touched by several deltas of one write is
   * written once, so the larger a write, the fewer rows per event reach the store: on 100,000
   * Zipf-1.1 entities one second of deltas touches about 0.7 rows per event, five seconds about
   * 0.35. A materializer that keeps up writes what arrived since its last poll (about one flush
   * interval); one that falls behind polls up to 1,000 records of up to 1,000 deltas and writes
   * several seconds of them at once, which is what lets it catch up. The bound keeps a write's
   * memory (the decoded deltas and the sink's per-row state, a few hundred bytes per delta: tens of
   * megabytes here) within the node's heap (invariant 6). The offsets are committed after all.
   */
  private static final int MAX_WRITE_DELTAS = 250_000;

  /** How long a step waits for the dead-letter topic to take its poison records. */
  private static final long DEAD_LETTER_TIMEOUT_MILLIS = 30_000;

  private static final WorkerRunner.Policy POLICY = new WorkerRunner.Policy(0, 100, 5_000, 0);

  private final KafkaSettings kafka;
  private final DeltaSink sink;
  private final InstantSource clock;
  private final WorkerRunner runner;
  private final Map<Integer, Long> lags = new ConcurrentHashMap<>();

  /** Entities and types of the decoded deltas (the consumer thread's). */
  private final StringCache strings = new StringCache();

  /**
   * Per assigned partition, the offset up to which deltas are applied and committed (consumer
   * thread only).
   */
  private final Map<Integer, Long> applied = new HashMap<>();

  private volatile long deadLetters;
  private long statsSinceMillis;
  private long stepRecords;
  private long steps;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private KafkaProducer<byte[], byte[]> deadLetterProducer;
  private Admin admin; // reads the deltas topic's id: a recreated topic restarts its offsets

  /**
   * @param sink where the deltas go; must be idempotent by position (see the class comment)
   */
  public Materializer(KafkaSettings kafka, DeltaSink sink, InstantSource clock) {
    this.kafka = requireNonNull(kafka, "kafka");
    this.sink = requireNonNull(sink, "sink");
    this.clock = requireNonNull(clock, "clock");
    this.statsSinceMillis = clock.millis();
    this.runner = new WorkerRunner(new Duty(), POLICY, clock);
  }

  public void start() {
    runner.start();
  }

  /** The materializer's duty cycle, run by its {@link WorkerRunner}. */
  private final class Duty implements Worker {
    @Override
    public String name() {
      return "tally-materializer";
    }

    @Override
    public int doWork() {
      if (consumer == null) {
        subscribe();
      }
      ConsumerRecords<byte[], byte[]> records;
      try {
        records = consumer.poll(Duration.ofMillis(200));
        updateLags();
      } catch (WakeupException e) {
        return 0; // stopping
      } catch (KafkaException e) {
        throw new TallyException("reading the deltas topic failed: " + e.getMessage(), e);
      }
      if (records.isEmpty()) {
        return 0;
      }
      try {
        apply(records);
      } catch (WakeupException e) {
        return 0; // stopping: the step is not committed and is applied again (idempotently)
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("the materializer was interrupted", e);
      } catch (ExecutionException | TimeoutException | RuntimeException e) {
        Throwable cause =
            e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        rewind();
        throw new TallyException(
            "applying deltas failed, retrying with backoff: " + cause.getMessage(), cause);
      }
      return records.count();
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
      if (consumer != null) {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      }
      if (deadLetterProducer != null) {
        deadLetterProducer.close(Duration.ofSeconds(5));
      }
      if (admin != null) {
        admin.close(Duration.ofSeconds(5));
      }
    }
  }

  private void subscribe() {
    if (admin == null) {
      admin = Admin.create(Topics.adminProperties(kafka));
    }
    sink.sourceIdentity(Topics.topicId(admin, kafka.deltasTopic()));
    deadLetterProducer =
        new KafkaProducer<>(
            KafkaClients.deadLetterProducer(kafka),
            new ByteArraySerializer(),
            new ByteArraySerializer());
    consumer =
        new KafkaConsumer<>(
            KafkaClients.deltasConsumer(kafka),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
    consumer.subscribe(
        List.of(kafka.deltasTopic()),
        new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            sink.ownershipChanged(partitionsOf(partitions));
            partitions.forEach(
                tp -> {
                  lags.remove(tp.partition());
                  applied.remove(tp.partition());
                });
          }

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            sink.ownershipChanged(partitionsOf(partitions));
            if (!partitions.isEmpty()) {
              sink.sourceIdentity(Topics.topicId(admin, kafka.deltasTopic()));
            }
            partitions.forEach(tp -> applied.put(tp.partition(), consumer.position(tp)));
          }
        });
  }

  private void apply(ConsumerRecords<byte[], byte[]> records)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
    List<Future<RecordMetadata>> dead = new ArrayList<>();
    List<DeltaBatch> batches = new ArrayList<>();
    int deltas = 0;
    for (ConsumerRecord<byte[], byte[]> r : records) {
      commit.put(
          new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
      DeltaRecord record;
      try {
        record = DeltaCodec.decode(r.value(), strings);
        if (record.checkpoint() != null && record.checkpoint().partition() != r.partition()) {
          throw new CorruptRecordException(
              "checkpoint of partition "
                  + record.checkpoint().partition()
                  + " in deltas partition "
                  + r.partition());
        }
      } catch (CorruptRecordException e) {
        dead.add(deadLetter(r, e.getMessage()));
        continue;
      }
      batches.add(
          new DeltaBatch(
              record.deltas(),
              record.checkpoint() == null ? List.of() : List.of(record.checkpoint()),
              new DeltaSource(r.partition(), r.offset()),
              record.corrections(),
              record.slotCorrections()));
      deltas += record.deltas().size() + record.corrections().size();
      if (deltas >= MAX_WRITE_DELTAS) {
        sink.writeAll(batches);
        batches.clear();
        deltas = 0;
      }
    }
    for (Future<RecordMetadata> f : dead) {
      f.get(DEAD_LETTER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }
    sink.writeAll(batches);
    stepRecords += records.count();
    // commit each partition's position: it is past the records applied and past the transaction
    // markers between them, so a caught-up partition shows no lag
    for (TopicPartition tp : consumer.assignment()) {
      commit.put(tp, new OffsetAndMetadata(consumer.position(tp)));
    }
    consumer.commitSync(commit);
    commit.forEach((tp, o) -> applied.put(tp.partition(), o.offset()));
    steps++;
    long now = clock.millis();
    if (now - statsSinceMillis >= STATS_INTERVAL_MILLIS) {
      LOG.info(
          "materialized {} delta records in {} steps over {} s; lag {} records",
          stepRecords,
          steps,
          (now - statsSinceMillis) / 1000,
          lag());
      statsSinceMillis = now;
      stepRecords = 0;
      steps = 0;
    }
  }

  private static List<Integer> partitionsOf(Collection<TopicPartition> partitions) {
    return partitions.stream().map(TopicPartition::partition).toList();
  }

  private Future<RecordMetadata> deadLetter(ConsumerRecord<byte[], byte[]> r, String reason) {
    deadLetters++;
    LOG.error(
        "deltas partition {} offset {} can never be applied ({}); sent to {}",
        r.partition(),
        r.offset(),
        reason,
        kafka.deadLetterTopic());
    ProducerRecord<byte[], byte[]> out =
        new ProducerRecord<>(kafka.deadLetterTopic(), null, r.key(), r.value());
    out.headers().add("tally.reason", reason.getBytes(StandardCharsets.UTF_8));
    out.headers()
        .add(
            "tally.source",
            (r.topic() + "/" + r.partition() + "/" + r.offset()).getBytes(StandardCharsets.UTF_8));
    return deadLetterProducer.send(out);
  }

  /** Seeks every assigned partition back to its committed offset, so the failed step is retried. */
  private void rewind() {
    try {
      Set<TopicPartition> assignment = consumer.assignment();
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assignment);
      for (TopicPartition tp : assignment) {
        OffsetAndMetadata c = committed.get(tp);
        if (c != null) {
          consumer.seek(tp, c.offset());
        } else {
          consumer.seekToBeginning(List.of(tp));
        }
      }
    } catch (KafkaException e) {
      LOG.warn(
          "rewinding to the committed offsets failed ({}); the step is retried after a rebalance",
          e.toString());
    }
  }

  /**
   * Lag per partition: from the last applied (committed) offset to the high watermark, so records
   * fetched but not yet applied count too.
   */
  private void updateLags() {
    for (TopicPartition tp : consumer.assignment()) {
      OptionalLong lag = consumer.currentLag(tp);
      if (lag.isPresent()) {
        long position = consumer.position(tp);
        long applied = this.applied.getOrDefault(tp.partition(), position);
        lags.put(tp.partition(), Math.max(0, position + lag.getAsLong() - applied));
      }
    }
  }

  public ProcessorHealth health() {
    return runner.health();
  }

  /** Delta records committed to Kafka but not yet applied, over the assigned partitions. */
  public long lag() {
    long total = 0;
    for (long l : lags.values()) {
      total += l;
    }
    return total;
  }

  /** Failed attempts to apply deltas (each retried with backoff) since start. */
  public long failures() {
    return runner.failures();
  }

  /** Records sent to the dead-letter topic since start. */
  public long deadLetters() {
    return deadLetters;
  }

  public boolean stopAndAwait(Duration timeout) {
    return runner.stopAndAwait(timeout);
  }

  @Override
  public void close() {
    stopAndAwait(Duration.ofSeconds(30));
  }
}
