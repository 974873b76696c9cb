package io.tally.cassandra;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.topk.SlotCorrection;
import io.tally.core.topk.SlotKey;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKSlots;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies minute deltas to the Top-K slot rows idempotently, the way {@link CounterWriter} does for
 * counters (DESIGN.md invariant 5). The materializer owns deltas partition p, which carries exactly
 * event partition p's deltas, so it keeps partition p's {@link TopKSlots} in memory: loaded from
 * {@code topk_slots} the first time a step needs them, forgotten when the partition is revoked or a
 * step fails.
 *
 * <p>Each slot row stores the position of the last delta applied to it. A delta at a position at or
 * below it is a replay and is skipped; the new sketch is written {@code USING TIMESTAMP} its
 * position, so a zombie writer can only lose to a newer write. A step's slots are written once,
 * with every delta of the step applied, and committed in memory only once written.
 *
 * <p>Not thread-safe: used by the materializer's thread.
 */
public final class TopKWriter {
  private static final Logger LOG = LoggerFactory.getLogger(TopKWriter.class);
  private final CassandraTopKStore store;
  private final TopKConfig config;
  private final InstantSource clock;
  private final Map<Integer, TopKSlots> partitions = new HashMap<>();

  public TopKWriter(CassandraTopKStore store, TopKConfig config, InstantSource clock) {
    this.store = requireNonNull(store, "store");
    this.config = requireNonNull(config, "config");
    this.clock = requireNonNull(clock, "clock");
  }

  /** Drops the in-memory slots of {@code ps}, so they are loaded again when next needed. */
  public void forget(Collection<Integer> ps) {
    ps.forEach(partitions::remove);
  }

  public void forgetAll() {
    partitions.clear();
  }

  /** Starts one materializer step. */
  public Step step() {
    return new Step(clock.millis());
  }

  /** The Top-K changes of one step. */
  public final class Step {
    private final long nowMillis;
    private final Map<Integer, TopKSlots.Update> updates = new HashMap<>();

    private Step(long nowMillis) {
      this.nowMillis = nowMillis;
    }

    /**
     * Stages the deltas of one record of deltas partition {@code partition} at {@code position};
     * records of a partition come in position order. Loads the partition's slots first if needed.
     *
     * @throws io.tally.model.TallyException if loading the slots failed
     */
    public void add(int partition, long position, List<CounterDelta> deltas) {
      if (!config.enabled()) {
        return;
      }
      TopKSlots.Update u = update(partition);
      for (CounterDelta d : deltas) {
        u.add(d, position);
      }
    }

    /**
     * Stages a recount's corrections of partition {@code partition}'s slots, read at {@code
     * position} ({@link TopKSlots.Update#correct}): each applies to its slot as the deltas before
     * it left it, once. A slot that is no longer exact is left as it is, with a WARN line. The
     * recount computed them against the slots Cassandra holds: the caller {@linkplain #forget
     * forgets} the partition before the step, so they are loaded from there.
     *
     * @throws io.tally.model.TallyException if loading the slots failed
     */
    public void correct(int partition, long position, List<SlotCorrection> corrections) {
      if (!config.enabled() || corrections.isEmpty()) {
        return;
      }
      TopKSlots.Update u = update(partition);
      for (SlotCorrection c : corrections) {
        if (!u.correct(c, position)) {
          LOG.warn(
              "top-K slot {} of partition {} is no longer exact: the recount's correction at"
                  + " position {} is not applied",
              c.slot(),
              partition,
              position);
        }
      }
    }

    /** The partition's update in this step; loads its slots first if needed. */
    private TopKSlots.Update update(int partition) {
      TopKSlots.Update u = updates.get(partition);
      if (u == null) {
        TopKSlots slots = partitions.get(partition);
        if (slots == null) {
          slots = new TopKSlots(partition, config);
          store.load(slots, config.windows(), nowMillis);
          partitions.put(partition, slots);
        }
        u = slots.update(nowMillis);
        updates.put(partition, u);
      }
      return u;
    }

    /** Writes every slot the step changed; completes when all are written, fails if any failed. */
    public CompletableFuture<Void> write() {
      List<CompletableFuture<Void>> writes = new ArrayList<>();
      for (Map.Entry<Integer, TopKSlots.Update> e : updates.entrySet()) {
        for (Map.Entry<SlotKey, TopKSlots.Slot> s : e.getValue().changed().entrySet()) {
          writes.add(
              store.write(e.getKey(), s.getKey(), s.getValue(), nowMillis).toCompletableFuture());
        }
      }
      return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new));
    }

    /**
     * Makes the written slots the in-memory state; expired slots are dropped (their rows expire by
     * TTL).
     */
    public void commit() {
      for (Map.Entry<Integer, TopKSlots.Update> e : updates.entrySet()) {
        TopKSlots slots = partitions.get(e.getKey());
        if (slots != null) { // not revoked meanwhile
          e.getValue().commit();
        }
      }
    }
  }
}
