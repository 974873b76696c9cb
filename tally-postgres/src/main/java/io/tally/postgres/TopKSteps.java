package io.tally.postgres;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKSlots;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Top-K slots the {@link PostgresDeltaSink} keeps per source partition, and their changes in
 * one of its transactions. A partition's slots are cached with the partition's applied position
 * they are true at; the transaction, which holds the lock on that position, reloads them from
 * {@code topk_slots} when the locked position differs (another writer wrote since, or a transaction
 * failed), so a cached state is only used while nobody else wrote.
 *
 * <p>Not thread-safe: the sink serializes its transactions' use of it.
 */
final class TopKSteps {
  private record Cached(TopKSlots slots, long appliedPosition) {}

  private final TopKConfig config;
  private final Map<Integer, Cached> partitions = new HashMap<>();

  TopKSteps(TopKConfig config) {
    this.config = config;
  }

  /** Starts the Top-K part of one transaction at {@code nowMillis}. */
  Step step(Connection c, long nowMillis) {
    return new Step(c, nowMillis);
  }

  /** Forgets every cached partition (their slots are loaded again when next needed). */
  void forgetAll() {
    partitions.clear();
  }

  final class Step {
    private final Connection c;
    private final long nowMillis;
    private final Map<Integer, TopKSlots.Update> updates = new HashMap<>();

    private Step(Connection c, long nowMillis) {
      this.c = c;
      this.nowMillis = nowMillis;
    }

    /**
     * Stages a batch of {@code partition} at {@code position}; {@code appliedBefore} is the
     * partition's locked applied position at the start of the transaction.
     */
    void add(int partition, long appliedBefore, long position, List<CounterDelta> deltas)
        throws SQLException {
      if (!config.enabled()) {
        return;
      }
      TopKSlots.Update u = updates.get(partition);
      if (u == null) {
        Cached cached = partitions.get(partition);
        if (cached == null || cached.appliedPosition() != appliedBefore) {
          TopKSlots slots = new TopKSlots(partition, config);
          PostgresTopKStore.load(c, slots, config.windows(), nowMillis);
          cached = new Cached(slots, appliedBefore);
          partitions.put(partition, cached);
        }
        u = cached.slots().update(nowMillis);
        updates.put(partition, u);
      }
      for (CounterDelta d : deltas) {
        u.add(d, position);
      }
    }

    /** Writes the staged slots in the transaction. */
    void write() throws SQLException {
      for (Map.Entry<Integer, TopKSlots.Update> e : updates.entrySet()) {
        PostgresTopKStore.write(c, e.getKey(), e.getValue());
      }
    }

    /** The transaction committed: the staged slots are the cached state at {@code applied}. */
    void committed(Map<Integer, Long> applied) {
      for (Map.Entry<Integer, TopKSlots.Update> e : updates.entrySet()) {
        Cached cached = partitions.get(e.getKey());
        e.getValue().commit();
        partitions.put(e.getKey(), new Cached(cached.slots(), applied.get(e.getKey())));
      }
    }
  }
}
