package io.tally.cassandra;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.aggregate.DeltaBatch;
import io.tally.core.aggregate.RowCorrection;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.DeltaSink;
import io.tally.core.store.DeltaSource;
import io.tally.model.TallyException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode's {@link DeltaSink} on Cassandra: applies batches read back from the deltas topic to
 * the counter rows through the {@link CounterWriter}, their minute deltas to the Top-K slots
 * through the {@link TopKWriter}, and each partition's newest checkpoint to the {@code progress}
 * table.
 *
 * <p>Cassandra cannot write a batch atomically, so this sink is idempotent by position instead
 * (DESIGN.md invariant 5): every batch must carry its {@link DeltaSource}, and each of its deltas
 * is positioned at {@code generation × 2^40 + source offset}. A row adds only the deltas positioned
 * after the position it stores, and is written {@code USING TIMESTAMP} the last one; so a write
 * that failed half-way, retried, or replayed by a zombie, counts every delta once. The checkpoints
 * are written only after every row and slot of the batches is, so a checkpoint never claims more
 * than is applied.
 *
 * <p>A batch may carry a recount's signed corrections ({@link DeltaBatch#corrections}): they are
 * added to their rows like deltas, at the batch's position, and feed no Top-K slot; the row cache
 * is dropped first, since a recount corrects the rows as Cassandra holds them. Its corrections of
 * Top-K slots ({@link DeltaBatch#slotCorrections}) go to the {@link TopKWriter} at the same
 * position.
 *
 * <p>{@link #writeAll} writes a whole consumer step at once: a row touched by several batches is
 * read (if not cached) and written once, with all its deltas.
 *
 * <p>Not thread-safe: owned by the one thread that consumes the deltas topic (the {@link
 * TopKWriter} keeps per-partition state); {@link #checkpoint} may be called from any thread.
 */
public final class CassandraDeltaSink implements DeltaSink {
  private static final Logger LOG = LoggerFactory.getLogger(CassandraDeltaSink.class);
  private static final long STATS_INTERVAL_MILLIS = 30_000;

  /**
   * A safety net only: every Cassandra request has its own timeout (5 s), so a write ends; a big
   * step after an outage may legitimately take minutes, and failing it would only repeat it.
   */
  private static final long WRITE_TIMEOUT_MILLIS = 600_000;

  private final CassandraCounterStore store;
  private final CounterWriter writer;
  private final TopKWriter topK;
  private final InstantSource clock;
  private CounterWriter.Stats statsSince;
  private long statsSinceMillis;

  /**
   * @param topK applies the minute deltas to the Top-K slots too; null for counters only
   */
  public CassandraDeltaSink(
      CassandraCounterStore store, CounterWriter writer, TopKWriter topK, InstantSource clock) {
    this.store = requireNonNull(store, "store");
    this.writer = requireNonNull(writer, "writer");
    this.topK = topK;
    this.clock = requireNonNull(clock, "clock");
    this.statsSince = writer.stats();
    this.statsSinceMillis = clock.millis();
  }

  /**
   * Applies one sourced batch, idempotently.
   *
   * @throws IllegalArgumentException if the batch has no source
   * @throws TallyException if Cassandra failed: part of the batch may be applied, and writing it
   *     again completes it
   */
  @Override
  public void write(DeltaBatch batch) {
    writeAll(List.of(batch));
  }

  /**
   * Applies sourced batches (of each source partition in offset order) together, idempotently.
   *
   * @throws IllegalArgumentException if a batch has no source
   * @throws TallyException if Cassandra failed: part of the batches may be applied, and writing
   *     them again completes them
   */
  @Override
  public void writeAll(List<DeltaBatch> batches) {
    for (DeltaBatch b : batches) {
      if (b.source() == null) {
        throw new IllegalArgumentException(
            "Cassandra applies deltas idempotently by their position: a batch needs its source");
      }
    }
    long deadline = clock.millis() + WRITE_TIMEOUT_MILLIS;
    try {
      apply(batches, deadline);
      logStats();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      forgetAll();
      throw new TallyException("interrupted while applying deltas to Cassandra", e);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      forgetAll();
      throw new TallyException("applying deltas to Cassandra failed: " + cause.getMessage(), cause);
    }
  }

  private void apply(List<DeltaBatch> batches, long deadline)
      throws InterruptedException, ExecutionException, TimeoutException {
    Map<CounterKey, List<CounterWriter.Positioned>> rows = new LinkedHashMap<>();
    Map<Integer, Checkpoint> checkpoints = new HashMap<>();
    Map<Integer, Long> checkpointPositions = new HashMap<>();
    if (topK != null) { // a recount corrects the slots as Cassandra holds them: load them again
      topK.forget(
          batches.stream()
              .filter(b -> !b.slotCorrections().isEmpty())
              .map(b -> b.source().partition())
              .toList());
    }
    TopKWriter.Step topKStep = topK == null ? null : topK.step();
    for (DeltaBatch b : batches) {
      DeltaSource source = b.source();
      long position = CounterWriter.position(writer.generation(), source.offset());
      for (CounterDelta d : b.deltas()) {
        rows.computeIfAbsent(d.key(), k -> new ArrayList<>(2))
            .add(new CounterWriter.Positioned(position, d.count(), d.sum(), d.actors()));
      }
      for (RowCorrection c : b.corrections()) { // a recount's
        rows.computeIfAbsent(c.key(), k -> new ArrayList<>(2))
            .add(new CounterWriter.Positioned(position, c.count(), c.sum()));
      }
      if (topKStep != null) {
        topKStep.add(source.partition(), position, b.deltas());
        topKStep.correct(source.partition(), position, b.slotCorrections());
      }
      for (Checkpoint cp : b.checkpoints()) {
        checkpoints.put(cp.partition(), cp);
        checkpointPositions.put(cp.partition(), position);
      }
    }
    if (batches.stream().anyMatch(b -> !b.corrections().isEmpty())) {
      writer.invalidateAll(); // a recount corrects what Cassandra holds, not what this node cached
    }
    CompletableFuture<Void> counterWrites = writer.apply(rows);
    CompletableFuture<Void> slotWrites =
        topKStep == null ? CompletableFuture.completedFuture(null) : topKStep.write();
    await(counterWrites, deadline);
    await(slotWrites, deadline);
    if (topKStep != null) {
      topKStep.commit();
    }
    List<CompletableFuture<Void>> progress = new ArrayList<>(checkpoints.size());
    for (Map.Entry<Integer, Checkpoint> e : checkpoints.entrySet()) {
      progress.add(writer.writeProgress(e.getValue(), checkpointPositions.get(e.getKey())));
    }
    for (CompletableFuture<Void> f : progress) {
      await(f, deadline);
    }
  }

  private void await(Future<?> f, long deadline)
      throws InterruptedException, ExecutionException, TimeoutException {
    long left = deadline - clock.millis();
    if (left <= 0) {
      throw new TimeoutException(
          "applying deltas took longer than " + WRITE_TIMEOUT_MILLIS + " ms");
    }
    f.get(left, TimeUnit.MILLISECONDS);
  }

  private void logStats() {
    long now = clock.millis();
    if (now - statsSinceMillis < STATS_INTERVAL_MILLIS) {
      return;
    }
    CounterWriter.Stats s = writer.stats();
    LOG.info(
        "applied {} rows in {} write requests over {} s: {} from the cache, {} known new, {} read"
            + " in {} requests",
        s.written() - statsSince.written(),
        s.requests() - statsSince.requests(),
        (now - statsSinceMillis) / 1000,
        s.cached() - statsSince.cached(),
        s.knownAbsent() - statsSince.knownAbsent(),
        s.read() - statsSince.read(),
        s.readRequests() - statsSince.readRequests());
    statsSince = s;
    statsSinceMillis = now;
  }

  /** Rows and slots of {@code partitions} may have been written by another materializer. */
  @Override
  public void ownershipChanged(Collection<Integer> partitions) {
    writer.invalidateAll();
    if (topK != null) {
      topK.forget(partitions);
    }
  }

  private void forgetAll() {
    writer.invalidateAll();
    if (topK != null) {
      topK.forgetAll();
    }
  }

  /** The last materialized checkpoint of {@code partition}. */
  /** Adopts the deltas topic's id: a recreated topic's positions start a new generation. */
  @Override
  public void sourceIdentity(UUID source) {
    writer.adoptSource(source);
  }

  @Override
  public Optional<Checkpoint> checkpoint(int partition) {
    return store.checkpoint(partition);
  }
}
