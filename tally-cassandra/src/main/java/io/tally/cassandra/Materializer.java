package io.tally.cassandra;

import static java.util.Objects.requireNonNull;

import io.tally.core.TallyException;
import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.codec.CorruptRecordException;
import io.tally.core.codec.DeltaCodec;
import io.tally.core.codec.DeltaRecord;
import io.tally.core.process.ProcessorHealth;
import io.tally.core.process.Worker;
import io.tally.core.process.WorkerRunner;
import io.tally.core.store.Checkpoint;
import io.tally.kafka.KafkaClients;
import io.tally.kafka.KafkaSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * reads committed deltas and applies them to Cassandra through the idempotent {@link
 * CounterWriter}, and their minute deltas to the Top-K slots through the {@link TopKWriter} (deltas
 * partition p holds exactly event partition p's deltas).
 *
 * <p>Each poll becomes one step: decode (records that can never be applied go to the dead-letter
 * topic with the reason), group the deltas by row, apply them, record each partition's newest
 * checkpoint, and only then commit the consumed offsets. If Cassandra fails, nothing is committed:
 * the step is retried from the committed offsets with exponential backoff, the deltas topic holds
 * the backlog, and {@link #health()} says so. Replays are harmless (invariant 5).
 *
 * <p>Runs on the thread of its {@link WorkerRunner} (which owns stopping, backoff and health); the
 * observers may be called from any thread.
 */
public final class Materializer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Materializer.class);

  /**
   * A safety net only: every Cassandra request has its own timeout (5 s), so a step ends; a big
   * step after an outage may legitimately take minutes, and failing it would only repeat it.
   */
  private static final long STEP_TIMEOUT_MILLIS = 600_000;

  private static final long STATS_INTERVAL_MILLIS = 30_000;
  private static final WorkerRunner.Policy POLICY = new WorkerRunner.Policy(0, 100, 5_000, 0);

  private final KafkaSettings kafka;
  private final CounterWriter writer;
  private final TopKWriter topK;
  private final InstantSource clock;
  private final WorkerRunner runner;
  private final Map<Integer, Long> lags = new ConcurrentHashMap<>();

  /**
   * Per assigned partition, the offset up to which deltas are applied and committed (consumer
   * thread only).
   */
  private final Map<Integer, Long> applied = new HashMap<>();

  private volatile long deadLetters;
  private long statsSinceMillis;
  private long stepRecords;
  private long stepRows;
  private long steps;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private KafkaProducer<byte[], byte[]> deadLetterProducer;

  /** Counters only, no Top-K. */
  public Materializer(KafkaSettings kafka, CounterWriter writer, InstantSource clock) {
    this(kafka, writer, null, clock);
  }

  /**
   * @param topK applies the minute deltas to the Top-K slots too; null for counters only
   */
  public Materializer(
      KafkaSettings kafka, CounterWriter writer, TopKWriter topK, InstantSource clock) {
    this.kafka = requireNonNull(kafka, "kafka");
    this.writer = requireNonNull(writer, "writer");
    this.topK = topK;
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
        writer.invalidateAll();
        if (topK != null) {
          topK.forgetAll();
        }
        rewind();
        throw new TallyException(
            "applying deltas to Cassandra failed, retrying with backoff: " + cause.getMessage(),
            cause);
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
    }
  }

  private void subscribe() {
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
            writer.invalidateAll();
            forgetTopK(partitions);
            partitions.forEach(
                tp -> {
                  lags.remove(tp.partition());
                  applied.remove(tp.partition());
                });
          }

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            writer.invalidateAll();
            forgetTopK(partitions);
            partitions.forEach(tp -> applied.put(tp.partition(), consumer.position(tp)));
          }
        });
  }

  private void apply(ConsumerRecords<byte[], byte[]> records)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = clock.millis() + STEP_TIMEOUT_MILLIS;
    Map<CounterKey, List<CounterWriter.Positioned>> rows = new LinkedHashMap<>();
    Map<Integer, Checkpoint> checkpoints = new HashMap<>();
    Map<Integer, Long> checkpointPositions = new HashMap<>();
    Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
    List<Future<RecordMetadata>> dead = new ArrayList<>();
    TopKWriter.Step topKStep = topK == null ? null : topK.step();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      commit.put(
          new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
      DeltaRecord record;
      try {
        record = DeltaCodec.decode(r.value());
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
      long position = CounterWriter.position(writer.generation(), r.offset());
      for (CounterDelta d : record.deltas()) {
        rows.computeIfAbsent(d.key(), k -> new ArrayList<>(2))
            .add(new CounterWriter.Positioned(position, d.count(), d.sum(), d.actors()));
      }
      if (topKStep != null) {
        topKStep.add(r.partition(), position, record.deltas());
      }
      if (record.checkpoint() != null) {
        checkpoints.put(r.partition(), record.checkpoint());
        checkpointPositions.put(r.partition(), position);
      }
    }
    for (Future<RecordMetadata> f : dead) {
      f.get(remaining(deadline), TimeUnit.MILLISECONDS);
    }
    CompletableFuture<Void> counterWrites = writer.apply(rows);
    CompletableFuture<Void> slotWrites =
        topKStep == null ? CompletableFuture.completedFuture(null) : topKStep.write();
    counterWrites.get(remaining(deadline), TimeUnit.MILLISECONDS);
    slotWrites.get(remaining(deadline), TimeUnit.MILLISECONDS);
    if (topKStep != null) {
      topKStep.commit();
    }
    stepRows += rows.size();
    stepRecords += records.count();
    List<CompletableFuture<Void>> progress = new ArrayList<>();
    for (Map.Entry<Integer, Checkpoint> e : checkpoints.entrySet()) {
      progress.add(writer.writeProgress(e.getValue(), checkpointPositions.get(e.getKey())));
    }
    for (var f : progress) {
      f.get(remaining(deadline), TimeUnit.MILLISECONDS);
    }
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
          "materialized {} delta records into {} row writes in {} steps over {} s; lag {} records",
          stepRecords,
          stepRows,
          steps,
          (now - statsSinceMillis) / 1000,
          lag());
      statsSinceMillis = now;
      stepRecords = 0;
      stepRows = 0;
      steps = 0;
    }
  }

  private void forgetTopK(Collection<TopicPartition> partitions) {
    if (topK != null) {
      topK.forget(partitions.stream().map(TopicPartition::partition).toList());
    }
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

  private long remaining(long deadline) throws TimeoutException {
    long left = deadline - clock.millis();
    if (left <= 0) {
      throw new TimeoutException("applying deltas took longer than " + STEP_TIMEOUT_MILLIS + " ms");
    }
    return left;
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
