package io.tally.postgres;

import static java.util.Objects.requireNonNull;

import io.tally.core.codec.CorruptRecordException;
import io.tally.core.topk.SlotKey;
import io.tally.core.topk.SlotSketches;
import io.tally.core.topk.TopKSlots;
import io.tally.core.topk.TopKStore;
import io.tally.core.topk.TopKWindow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.datasketches.frequencies.ItemsSketch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code topk_slots} table ({@link CounterSchema}): queries read every partition's slot
 * sketches of a window from it ({@link TopKStore}); the {@link PostgresDeltaSink} loads a
 * partition's slots from it and writes the slots a step changed, in the step's transaction.
 *
 * <p>Thread-safe.
 */
public final class PostgresTopKStore implements TopKStore {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresTopKStore.class);
  private static final String UPSERT =
      "INSERT INTO topk_slots AS s (partition, type, window_minutes, slot_start, sketch, position)"
          + " VALUES (?, ?, ?, ?, ?, ?)"
          + " ON CONFLICT (partition, type, window_minutes, slot_start) DO UPDATE SET"
          + " sketch = excluded.sketch, position = excluded.position"
          + " WHERE s.position < excluded.position";

  private final PostgresCounterStore store;

  public PostgresTopKStore(PostgresCounterStore store) {
    this.store = requireNonNull(store, "store");
  }

  @Override
  public List<ItemsSketch<String>> sketches(
      String type, TopKWindow window, long firstSlotStartMillis) {
    return store.query(
        "SELECT sketch FROM topk_slots WHERE type = ? AND window_minutes = ? AND slot_start >= ?",
        s -> {
          s.setString(1, type);
          s.setInt(2, minutes(window));
          s.setLong(3, firstSlotStartMillis);
        },
        r -> {
          List<ItemsSketch<String>> out = new ArrayList<>();
          while (r.next()) {
            out.add(SlotSketches.deserialize(r.getBytes(1)));
          }
          return out;
        },
        List.of());
  }

  private static int minutes(TopKWindow w) {
    return (int) (w.millis() / 60_000);
  }

  /**
   * Reads every stored slot of {@code slots}' partition into it, skipping those of windows not
   * configured or already past their window; an unreadable slot starts again from empty.
   */
  static void load(Connection c, TopKSlots slots, List<TopKWindow> windows, long nowMillis)
      throws SQLException {
    slots.clear();
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT type, window_minutes, slot_start, sketch, position FROM topk_slots"
                + " WHERE partition = ?")) {
      s.setInt(1, slots.partition());
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          TopKWindow w = new TopKWindow(r.getInt(2) * 60_000L);
          long start = r.getLong(3);
          if (!windows.contains(w) || w.expired(start, nowMillis) || w.slotStart(start) != start) {
            continue;
          }
          try {
            slots.load(new SlotKey(r.getString(1), w, start), r.getBytes(4), r.getLong(5));
          } catch (CorruptRecordException e) {
            LOG.error(
                "top-K slot {} {} {} of partition {} is unreadable and starts empty: {}",
                r.getString(1),
                w,
                start,
                slots.partition(),
                e.getMessage());
          }
        }
      }
    }
  }

  /** Writes the changed slots of one partition (each only over an older one) and drops expired. */
  static void write(Connection c, int partition, TopKSlots.Update update) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(UPSERT)) {
      for (var e : update.changed().entrySet()) {
        SlotKey k = e.getKey();
        s.setInt(1, partition);
        s.setString(2, k.type());
        s.setInt(3, minutes(k.window()));
        s.setLong(4, k.slotStartMillis());
        s.setBytes(5, e.getValue().bytes());
        s.setLong(6, e.getValue().position());
        s.addBatch();
      }
      s.executeBatch();
    }
    try (PreparedStatement s =
        c.prepareStatement(
            "DELETE FROM topk_slots WHERE partition = ? AND type = ? AND window_minutes = ?"
                + " AND slot_start = ?")) {
      for (SlotKey k : update.expired()) {
        s.setInt(1, partition);
        s.setString(2, k.type());
        s.setInt(3, minutes(k.window()));
        s.setLong(4, k.slotStartMillis());
        s.addBatch();
      }
      s.executeBatch();
    }
  }
}
