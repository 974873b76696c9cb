package io.tally.core.store;

import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Each partition's as-of time as a shared store last showed it (its progress rows), so queries do
 * not read the store's progress on every answer: re-read whole at most every {@value
 * #REFRESH_MILLIS} ms, or at once for a partition not seen yet. A partition's as-of only rises: an
 * older read never moves it back, and a checkpoint read now ({@link #advance}) moves it forward.
 *
 * <p>Thread-safe; two queries may refresh it at once, harmlessly.
 */
public final class AsOfMemo {
  /** How stale the memo may be. */
  public static final long REFRESH_MILLIS = 200;

  private final ConcurrentHashMap<Integer, Long> asOf = new ConcurrentHashMap<>();
  private volatile long readMillis;

  /**
   * The as-of of {@code partition}, after {@code readAll} re-read every partition's (calling {@link
   * #advance} for each) if the memo is due or lacks the partition.
   */
  public OptionalLong get(int partition, Consumer<AsOfMemo> readAll) {
    long now = System.currentTimeMillis();
    if (now - readMillis >= REFRESH_MILLIS || !asOf.containsKey(partition)) {
      readAll.accept(this);
      readMillis = now;
    }
    Long v = asOf.get(partition);
    return v == null ? OptionalLong.empty() : OptionalLong.of(v);
  }

  /** Moves {@code partition}'s as-of to {@code asOfMillis} if that is later. */
  public void advance(int partition, long asOfMillis) {
    asOf.merge(partition, asOfMillis, Math::max);
  }
}
