package io.tally.kafka;

import static java.util.Objects.requireNonNull;

import io.tally.core.TallyException;
import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.DeltaAggregator;
import io.tally.core.codec.CorruptRecordException;
import io.tally.core.codec.DeltaCodec;
import io.tally.core.codec.DeltaRecord;
import io.tally.core.dedup.DedupWindow;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.enrich.Enrichment;
import io.tally.core.log.LogRecord;
import io.tally.core.partition.Partitioner;
import io.tally.core.process.DedupRebuild;
import io.tally.core.process.ProcessorConfig;
import io.tally.core.process.ProcessorHealth;
import io.tally.core.process.Worker;
import io.tally.core.process.WorkerRunner;
import io.tally.core.store.Checkpoint;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode's processor: a member of the consumer group {@code <prefix>processors} that turns
 * the events of the partitions Kafka assigns it into counter deltas, exactly once.
 *
 * <h2>Protocol (Kafka exactly-once v2)</h2>
 *
 * <ol>
 *   <li>Assign: for each partition it is given, read the committed offset and its metadata (the
 *       {@link Checkpoint}), rebuild the dedup window from the log span before it ({@link
 *       DedupRebuild}, via {@code offsetsForTimes}), and seek there.
 *   <li>Consume: drop ids already sighted in the window, aggregate the rest under their entities
 *       and the entities they derive (shared {@link Enrichment} and {@link DeltaAggregator}).
 *   <li>Flush (every flush interval, or earlier when the aggregator is full): one transaction holds
 *       the deltas of every owned partition p (its entities' rows and its shards of derived
 *       entities, {@link DerivedEntities#writerPartition}), sent to partition p of {@code
 *       <prefix>deltas} in chunks whose last carries p's checkpoint, and the consumed offsets with
 *       their checkpoint metadata, committed with the group's metadata. Either all of it is visible
 *       to read_committed consumers or none of it is.
 *   <li>Revoke: flush before giving partitions up. Lost (session expired, e.g. a paused process):
 *       nothing may be committed; the transaction is aborted and every partition's state is thrown
 *       away and rebuilt from its committed checkpoint, since a new owner may already have
 *       processed past it. A zombie's commit is refused by the group coordinator (stale
 *       generation), so it can never make a count wrong.
 *   <li>Any failed flush: abort, and rebuild every owned partition from its committed checkpoint.
 *       Reprocessing from a checkpoint yields the same deltas (invariant 3), so nothing is lost or
 *       counted twice.
 * </ol>
 *
 * <p>Runs on the thread of its {@link WorkerRunner} (which owns stopping, backoff and health);
 * {@link #health()}, {@link #backlog()} and {@link #close()} may be called from any thread.
 */
public final class KafkaProcessor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaProcessor.class);

  /** Deltas per record of the deltas topic (a row is at most ~600 bytes; records stay < 1 MB). */
  static final int DELTAS_PER_RECORD = 1_000;

  private static final int TRANSACTION_TIMEOUT_MILLIS = 20_000;

  private final KafkaSettings settings;
  private final KafkaEventLog log;
  private final ProcessorConfig config;
  private final Partitioner partitioner;
  private final Enrichment enrichment;
  private final InstantSource clock;
  private final WorkerRunner runner;
  private final Map<Integer, State> owned = new HashMap<>();

  /** Partitions assigned but not yet (or no longer) recovered from their checkpoint. */
  private final Set<Integer> toRecover = new TreeSet<>();

  private final Map<Integer, Long> lags = new ConcurrentHashMap<>();

  /** Per owned partition, the as-of time of its last committed checkpoint (for metrics). */
  private final Map<Integer, Long> committedAsOf = new ConcurrentHashMap<>();

  private final LongAdder flushes = new LongAdder();
  private final LongAdder flushNanos = new LongAdder();
  private final LongAdder flushRows = new LongAdder();
  private final DeltaAggregator aggregator = new DeltaAggregator();

  private KafkaConsumer<byte[], byte[]> consumer;
  private KafkaProducer<byte[], byte[]> producer;
  private volatile Set<Integer> assigned = Set.of();
  private long lastFlushMillis;
  private long skippedCorrupt;

  /** A flush that failed inside a rebalance callback, thrown once the poll returns. */
  private TallyException callbackFailure;

  /** One owned partition, as far as this processor got since its last commit. */
  private static final class State {
    final int partition;
    final DedupWindow dedup;
    long nextOffset;
    long lastAppendTimeMillis;
    long asOfMillis;
    Checkpoint committed;

    State(int partition, DedupWindow dedup, Checkpoint from) {
      this.partition = partition;
      this.dedup = dedup;
      this.nextOffset = from.nextOffset();
      this.lastAppendTimeMillis = from.lastAppendTimeMillis();
      this.asOfMillis = from.asOfMillis();
      this.committed = from;
    }

    Checkpoint checkpoint() {
      return new Checkpoint(partition, nextOffset, lastAppendTimeMillis, asOfMillis);
    }
  }

  public KafkaProcessor(
      KafkaSettings settings, KafkaEventLog log, ProcessorConfig config, InstantSource clock) {
    this(settings, log, config, Enrichment.NONE, clock);
  }

  /**
   * @param enrichment how events also count under derived entities
   */
  public KafkaProcessor(
      KafkaSettings settings,
      KafkaEventLog log,
      ProcessorConfig config,
      Enrichment enrichment,
      InstantSource clock) {
    this.enrichment = requireNonNull(enrichment, "enrichment");
    this.settings = requireNonNull(settings, "settings");
    this.log = requireNonNull(log, "log");
    this.config = requireNonNull(config, "config");
    this.partitioner = new Partitioner(settings.partitions());
    this.clock = requireNonNull(clock, "clock");
    this.lastFlushMillis = clock.millis();
    this.runner =
        new WorkerRunner(
            new Duty(),
            new WorkerRunner.Policy(0, 50, Math.max(50, config.maxRetryBackoffMillis()), 0),
            clock);
  }

  public void start() {
    runner.start();
  }

  private Properties consumerProperties() {
    Properties p = KafkaEventLog.readerProperties(settings, "tally-processor-" + settings.nodeId());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.processorGroup());
    p.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, settings.sessionTimeoutMillis());
    p.put(
        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
        Math.max(100, settings.sessionTimeoutMillis() / 4));
    p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 300_000);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxPollRecords());
    return p;
  }

  private KafkaProducer<byte[], byte[]> newProducer() {
    Properties p = KafkaEventLog.producerProperties(settings);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "tally-processor-" + settings.nodeId());
    p.put(
        ProducerConfig.TRANSACTIONAL_ID_CONFIG,
        settings.topicPrefix() + "processor-" + settings.nodeId());
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, TRANSACTION_TIMEOUT_MILLIS);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    producer.initTransactions();
    return producer;
  }

  /** The processor's duty cycle, run by its {@link WorkerRunner}. */
  private final class Duty implements Worker {
    @Override
    public String name() {
      return "tally-kafka-processor";
    }

    @Override
    public int doWork() {
      try {
        if (producer == null) {
          producer = newProducer();
        }
        if (consumer == null) {
          consumer =
              new KafkaConsumer<>(
                  consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
          consumer.subscribe(List.of(settings.eventsTopic()), new Listener());
        }
        if (!toRecover.isEmpty()) {
          recoverPending();
        }
        return step();
      } catch (WakeupException | InterruptException e) {
        return 0; // stopping
      } catch (KafkaException e) {
        throw new TallyException("the Kafka processor failed: " + e.getMessage(), e);
      }
    }

    /** Commits what was consumed, once; whatever fails is reprocessed by the next owner. */
    @Override
    public boolean drain() {
      if (producer != null && consumer != null) {
        flushOrReset("stopping");
      }
      return true;
    }

    @Override
    public void onClose() {
      closeQuietly();
    }
  }

  private int step() {
    long pollStart = clock.millis();
    var records = consumer.poll(Duration.ofMillis(100));
    if (callbackFailure != null) {
      TallyException failure = callbackFailure;
      callbackFailure = null;
      throw failure;
    }
    for (ConsumerRecord<byte[], byte[]> r : records) {
      State s = owned.get(r.partition());
      if (s == null || r.offset() < s.nextOffset) {
        continue; // not ours (any more), or already counted before a reset
      }
      LogRecord record;
      try {
        record = KafkaEventLog.decode(r);
      } catch (CorruptRecordException e) {
        if (Long.bitCount(++skippedCorrupt) == 1) {
          LOG.error(
              "partition {} offset {}: skipping a record that is not a Tally event ({} so far): {}",
              r.partition(),
              r.offset(),
              skippedCorrupt,
              e.getMessage());
        }
        s.nextOffset = r.offset() + 1;
        continue;
      }
      try {
        enrichment.count(
            aggregator, s.dedup, r.partition(), record.event(), record.appendTimeMillis());
      } catch (TallyException e) {
        // the attribute replica failed: start over from the committed checkpoints
        resetAll();
        throw new TallyException("reading entity attributes failed: " + e.getMessage(), e);
      }
      s.nextOffset = r.offset() + 1;
      s.lastAppendTimeMillis = record.appendTimeMillis();
    }
    for (State s : owned.values()) {
      TopicPartition tp = new TopicPartition(settings.eventsTopic(), s.partition);
      OptionalLong lag = consumer.currentLag(tp);
      if (lag.isPresent()) {
        // backlog: everything not yet committed as deltas, not merely what is not yet fetched
        long highWatermark = consumer.position(tp) + lag.getAsLong();
        lags.put(s.partition, Math.max(0, highWatermark - s.committed.nextOffset()));
      }
      long asOf =
          lag.isPresent() && lag.getAsLong() == 0
              ? pollStart - KafkaEventLog.HEAD_MARGIN_MILLIS
              : s.lastAppendTimeMillis;
      s.asOfMillis = Math.max(s.asOfMillis, asOf);
    }
    long now = clock.millis();
    if (now - lastFlushMillis >= config.flushIntervalMillis()
        || aggregator.rowCount() >= config.maxRowsPerFlush()) {
      lastFlushMillis = now;
      TallyException failure = flushOrReset("flushing");
      if (failure != null) {
        throw failure;
      }
      return 1; // a committed flush: ends a run of failures
    }
    return 0;
  }

  /**
   * Commits what was consumed; on failure aborts and rebuilds every owned partition.
   *
   * @return null, or the failure (to count once the rebalance callback, if any, returned)
   */
  private TallyException flushOrReset(String when) {
    try {
      flush();
      return null;
    } catch (KafkaException e) {
      abortQuietly(e);
      resetAll();
      return new TallyException(when + " failed: " + e.getMessage(), e);
    }
  }

  private void flush() {
    long start = System.nanoTime();
    if (owned.isEmpty()) {
      aggregator.drain();
      return;
    }
    List<CounterDelta> deltas = aggregator.drain();
    Map<Integer, List<CounterDelta>> byPartition = new HashMap<>();
    for (CounterDelta d : deltas) {
      byPartition
          .computeIfAbsent(
              DerivedEntities.writerPartition(d.key().entity(), partitioner),
              p -> new ArrayList<>())
          .add(d);
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
    for (State s : owned.values()) {
      List<CounterDelta> mine = byPartition.getOrDefault(s.partition, List.of());
      Checkpoint cp = s.checkpoint();
      if (mine.isEmpty() && cp.equals(s.committed)) {
        continue;
      }
      for (int from = 0; from < mine.size() || from == 0; from += DELTAS_PER_RECORD) {
        int to = Math.min(mine.size(), from + DELTAS_PER_RECORD);
        DeltaRecord chunk = new DeltaRecord(mine.subList(from, to), to == mine.size() ? cp : null);
        out.add(
            new ProducerRecord<>(
                settings.deltasTopic(), s.partition, null, DeltaCodec.encode(chunk)));
      }
      offsets.put(
          new TopicPartition(settings.eventsTopic(), s.partition),
          new OffsetAndMetadata(cp.nextOffset(), CheckpointMetadata.format(cp)));
    }
    if (offsets.isEmpty()) {
      return;
    }
    producer.beginTransaction();
    for (ProducerRecord<byte[], byte[]> r : out) {
      producer.send(r);
    }
    producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
    producer.commitTransaction();
    for (State s : owned.values()) {
      if (offsets.containsKey(new TopicPartition(settings.eventsTopic(), s.partition))) {
        s.committed = s.checkpoint();
        committedAsOf.put(s.partition, s.committed.asOfMillis());
      }
    }
    flushes.increment();
    flushRows.add(deltas.size());
    flushNanos.add(System.nanoTime() - start);
  }

  private void abortQuietly(KafkaException cause) {
    if (cause instanceof ProducerFencedException
        || cause instanceof InvalidProducerEpochException) {
      LOG.warn("this processor's producer was fenced; starting a new one");
      recreateProducer();
      return;
    }
    try {
      producer.abortTransaction();
    } catch (RuntimeException e) {
      LOG.warn("aborting the transaction failed ({}); starting a new producer", e.getMessage());
      recreateProducer();
    }
  }

  /** Drops the producer; the next step starts a new one (which fences the old transactions). */
  private void recreateProducer() {
    try {
      producer.close(Duration.ZERO);
    } catch (RuntimeException ignored) {
      // the old producer is unusable anyway
    }
    producer = null;
  }

  /**
   * Throws away everything not committed and re-reads every owned partition from its checkpoint.
   */
  private void resetAll() {
    aggregator.drain();
    toRecover.addAll(owned.keySet());
    owned.clear();
    try {
      recoverPending();
    } catch (RuntimeException e) {
      LOG.warn(
          "recovering partitions {} failed, retried at the next step: {}", toRecover, e.toString());
    }
  }

  /** Recovers the partitions waiting for it; on failure they keep waiting (all of them). */
  private void recoverPending() {
    recover(toRecover);
    toRecover.clear();
  }

  private void recover(Collection<Integer> partitions) {
    if (partitions.isEmpty()) {
      return;
    }
    List<TopicPartition> tps =
        partitions.stream().map(p -> new TopicPartition(settings.eventsTopic(), p)).toList();
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.copyOf(tps));
    for (TopicPartition tp : tps) {
      Checkpoint cp = CheckpointMetadata.parse(tp.partition(), committed.get(tp));
      DedupRebuild.Result rebuilt = DedupRebuild.rebuild(log, cp, config);
      owned.put(tp.partition(), new State(tp.partition(), rebuilt.window(), cp));
      consumer.seek(tp, cp.nextOffset());
      LOG.info(
          "partition {}: owned from offset {}, dedup window rebuilt from {} records ({} ids)",
          tp.partition(),
          cp.nextOffset(),
          rebuilt.recordsRead(),
          rebuilt.window().size());
    }
  }

  private final class Listener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      TallyException failure = flushOrReset("committing before a rebalance");
      if (failure != null) {
        callbackFailure = failure;
      }
      for (TopicPartition tp : partitions) {
        owned.remove(tp.partition());
        toRecover.remove(tp.partition());
        lags.remove(tp.partition());
        committedAsOf.remove(tp.partition());
      }
      publishAssignment();
      LOG.info(
          "gave up partitions {}",
          partitions.stream().map(TopicPartition::partition).sorted().toList());
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      LOG.warn(
          "lost partitions {} (this node was out of the group); discarding uncommitted work",
          partitions.stream().map(TopicPartition::partition).sorted().toList());
      try {
        producer.abortTransaction();
      } catch (RuntimeException e) {
        // no transaction was open, or the producer is fenced: nothing of it can commit
      }
      for (TopicPartition tp : partitions) {
        owned.remove(tp.partition());
        toRecover.remove(tp.partition());
        lags.remove(tp.partition());
        committedAsOf.remove(tp.partition());
      }
      resetAll();
      publishAssignment();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      partitions.forEach(tp -> toRecover.add(tp.partition()));
      try {
        recoverPending();
      } catch (RuntimeException e) {
        callbackFailure =
            new TallyException("recovering partitions " + toRecover + " failed: " + e, e);
      }
      publishAssignment();
      if (!partitions.isEmpty()) {
        LOG.info(
            "took partitions {}",
            partitions.stream().map(TopicPartition::partition).sorted().toList());
      }
    }
  }

  private void publishAssignment() {
    assigned = Set.copyOf(owned.keySet());
  }

  private void closeQuietly() {
    try {
      if (consumer != null) {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      }
    } catch (RuntimeException e) {
      LOG.warn("closing the processor's consumer: {}", e.toString());
    }
    try {
      if (producer != null) {
        producer.close(Duration.ofSeconds(5));
      }
    } catch (RuntimeException e) {
      LOG.warn("closing the processor's producer: {}", e.toString());
    }
  }

  public ProcessorHealth health() {
    return runner.health();
  }

  /** The partitions this node owns now. */
  public Set<Integer> assignedPartitions() {
    return assigned;
  }

  /**
   * Events of {@code partition} whose deltas are not yet committed (as of the last poll), or -1 if
   * not owned.
   */
  public long lagEvents(int partition) {
    Long lag = lags.get(partition);
    return lag == null ? -1 : lag;
  }

  /**
   * The as-of time of {@code partition}'s last checkpoint this processor committed (its counts are
   * complete before it once materialized), or {@link Long#MIN_VALUE} if not owned or none yet.
   */
  public long committedAsOfMillis(int partition) {
    Long asOf = committedAsOf.get(partition);
    return asOf == null ? Long.MIN_VALUE : asOf;
  }

  /** Flush transactions committed since start. */
  public long flushes() {
    return flushes.sum();
  }

  /**
   * Time spent in the committed flushes (building, sending and committing the transaction), in
   * nanoseconds.
   */
  public long flushNanos() {
    return flushNanos.sum();
  }

  /** Counter rows (deltas) the committed flushes carried. */
  public long flushRows() {
    return flushRows.sum();
  }

  /** Events in the owned partitions whose deltas are not yet committed (as of the last poll). */
  public long backlog() {
    long total = 0;
    for (long lag : lags.values()) {
      total += lag;
    }
    return total;
  }

  /**
   * Commits what was consumed, leaves the group (so its partitions move at once) and waits for the
   * thread, up to {@code timeout}.
   *
   * @return whether the thread ended
   */
  public boolean stopAndAwait(Duration timeout) {
    return runner.stopAndAwait(timeout);
  }

  @Override
  public void close() {
    stopAndAwait(Duration.ofSeconds(30));
  }
}
