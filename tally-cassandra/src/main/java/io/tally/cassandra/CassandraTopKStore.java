package io.tally.cassandra;

import static java.util.Objects.requireNonNull;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.tally.core.codec.CorruptRecordException;
import io.tally.core.store.QuorumLoss;
import io.tally.core.store.ReadReport;
import io.tally.core.topk.SlotKey;
import io.tally.core.topk.SlotSketches;
import io.tally.core.topk.TopKSlots;
import io.tally.core.topk.TopKStore;
import io.tally.core.topk.TopKWindow;
import io.tally.model.TallyException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.datasketches.frequencies.ItemsSketch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code topk_slots} table ({@link CounterSchema}): queries read every partition's slot
 * sketches of a window from it ({@link TopKStore}); the {@link TopKWriter} loads a partition's
 * slots from it and writes the slots it changed.
 *
 * <p>Thread-safe.
 */
public final class CassandraTopKStore implements TopKStore {
  private static final Logger LOG = LoggerFactory.getLogger(CassandraTopKStore.class);
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

  private final CqlSession session;
  private final QuorumReads quorumReads;
  private final CassandraSettings settings;
  private final int partitions;
  private final PreparedStatement readWindow;
  private final PreparedStatement readPartition;
  private final PreparedStatement write;

  /**
   * @param partitions P: a query reads the slots of partitions 0..P-1
   */
  public CassandraTopKStore(CassandraCounterStore store, int partitions) {
    requireNonNull(store, "store");
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be positive");
    }
    this.session = store.session();
    this.quorumReads = store.reads();
    this.settings = store.settings();
    this.partitions = partitions;
    String ks = settings.keyspace();
    readWindow =
        session.prepare(
            "SELECT sketch FROM "
                + ks
                + ".topk_slots WHERE partition = ? AND type = ? "
                + "AND window_minutes = ? AND slot_start >= ?");
    readPartition =
        session.prepare(
            "SELECT type, window_minutes, slot_start, sketch, position FROM "
                + ks
                + ".topk_slots WHERE partition = ?");
    write =
        session.prepare(
            "UPDATE "
                + ks
                + ".topk_slots USING TIMESTAMP ? AND TTL ? SET sketch = ?, position = ? "
                + "WHERE partition = ? AND type = ? AND window_minutes = ? AND slot_start = ?");
  }

  @Override
  public List<ItemsSketch<String>> sketches(
      String type, TopKWindow window, long firstSlotStartMillis) {
    return sketches(type, window, firstSlotStartMillis, new ReadReport(QuorumLoss.FAIL));
  }

  /** Reads through the counter store's {@link QuorumReads}, one read per partition at once. */
  @Override
  public List<ItemsSketch<String>> sketches(
      String type, TopKWindow window, long firstSlotStartMillis, ReadReport report) {
    List<CompletableFuture<List<ItemsSketch<String>>>> reads = new ArrayList<>();
    int minutes = (int) (window.millis() / 60_000);
    for (int p = 0; p < partitions; p++) {
      List<ItemsSketch<String>> found = new ArrayList<>();
      reads.add(
          readAll(
                  quorumReads.executeAsync(
                      readWindow.bind(p, type, minutes, firstSlotStartMillis), report),
                  row -> found.add(SlotSketches.deserialize(bytes(row.getByteBuffer(0)))))
              .thenApply(v -> found)
              .toCompletableFuture());
    }
    List<ItemsSketch<String>> out = new ArrayList<>();
    for (CompletableFuture<List<ItemsSketch<String>>> r : reads) {
      out.addAll(await(r, "reading top-K slots"));
    }
    return out;
  }

  /**
   * Reads every stored slot of {@code partition} into {@code slots}, skipping those of windows not
   * configured or already past their window.
   *
   * @throws TallyException if Cassandra fails
   */
  void load(TopKSlots slots, List<TopKWindow> windows, long nowMillis) {
    CompletionStage<Void> read =
        readAll(
            session.executeAsync(
                readPartition
                    .bind(slots.partition())
                    .setConsistencyLevel(settings.writeConsistency())),
            row -> {
              TopKWindow w = new TopKWindow(row.getInt(1) * 60_000L);
              long start = row.getLong(2);
              if (windows.contains(w)
                  && !w.expired(start, nowMillis)
                  && w.slotStart(start) == start) {
                try {
                  slots.load(
                      new SlotKey(row.getString(0), w, start),
                      bytes(row.getByteBuffer(3)),
                      row.getLong(4));
                } catch (CorruptRecordException e) {
                  // an unreadable slot must not stop materializing: it starts again from empty
                  LOG.error(
                      "top-K slot {} {} {} of partition {} is unreadable and starts empty: {}",
                      row.getString(0),
                      w,
                      start,
                      slots.partition(),
                      e.getMessage());
                }
              }
            });
    await(read.toCompletableFuture(), "loading the top-K slots of partition " + slots.partition());
  }

  /**
   * Writes one slot at its position, living until it leaves its window; completes at once (writing
   * nothing) if it already has.
   */
  CompletionStage<Void> write(int partition, SlotKey key, TopKSlots.Slot slot, long nowMillis) {
    long ttlMillis = key.expiresAtMillis() - nowMillis;
    if (ttlMillis <= 0) {
      return CompletableFuture.completedFuture(null);
    }
    int ttl = (int) Math.min(Integer.MAX_VALUE, (ttlMillis + 999) / 1000);
    return session
        .executeAsync(
            write
                .bind(
                    slot.position(),
                    ttl,
                    ByteBuffer.wrap(slot.bytes()),
                    slot.position(),
                    partition,
                    key.type(),
                    (int) (key.window().millis() / 60_000),
                    key.slotStartMillis())
                .setConsistencyLevel(settings.writeConsistency()))
        .thenApply(rs -> null);
  }

  /** Feeds every row of a (possibly multi-page) result to {@code onRow}. */
  private static CompletionStage<Void> readAll(
      CompletionStage<AsyncResultSet> page, Consumer<Row> onRow) {
    return page.thenCompose(
        rs -> {
          for (Row row : rs.currentPage()) {
            onRow.accept(row);
          }
          return rs.hasMorePages()
              ? readAll(rs.fetchNextPage(), onRow)
              : CompletableFuture.completedFuture(null);
        });
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static <T> T await(CompletableFuture<T> f, String what) {
    try {
      return f.get(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof DriverException || c instanceof TallyException) {
        throw new TallyException(what + " failed: " + c.getMessage(), c);
      }
      throw new TallyException(what + " failed: " + c, c);
    } catch (TimeoutException e) {
      throw new TallyException(what + " timed out", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TallyException(what + " was interrupted", e);
    }
  }
}
