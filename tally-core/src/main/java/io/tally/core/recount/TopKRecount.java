package io.tally.core.recount;

import static java.util.Objects.requireNonNull;

import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.raw.RawGap;
import io.tally.core.topk.SlotCorrection;
import io.tally.core.topk.SlotKey;
import io.tally.core.topk.SlotSketches;
import io.tally.core.topk.TopKConfig;
import io.tally.core.topk.TopKWindow;
import io.tally.model.Event;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.datasketches.frequencies.ItemsSketch;

/**
 * The Top-K part of a recount: the slots of the range, recounted from the same events as the rows,
 * compared with the served slots of the cut, and the corrections that make them equal.
 *
 * <p>Which slots: of every configured window, those overlapping the range that are still inside
 * their window now (older ones are never read again) and whose events the raw store still keeps
 * whole. A slot holds every entity of its type, so the slots of the range's types are rebuilt
 * whatever its entity prefix; a slot reaching outside the range is recounted whole ({@link
 * #fromMillis()}, {@link #toMillis()}). Each partition keeps its own slots: a row's events count in
 * the slots of its writing partition, under its ranked name (a derived shard as its entity).
 *
 * <p>A served slot that is not {@linkplain SlotSketches#isExact exact} cannot be corrected (its
 * counts are estimates), nor can one written after the snapshot ({@link CounterRows.Slots#moved},
 * cluster mode): both are counted as skipped.
 *
 * <p>Not thread-safe: one {@link Recount#run} owns it.
 */
final class TopKRecount {
  private final TopKConfig config;
  private final RecountRange range;
  private final Partitioner partitioner;

  /** Per window, the starts of the slots recounted. */
  private final Map<TopKWindow, Set<Long>> slots = new HashMap<>();

  /** Per partition, slot and ranked entity: the recounted count. */
  private final Map<Integer, Map<SlotKey, Map<String, Long>>> recounted = new TreeMap<>();

  private long fromMillis = Long.MAX_VALUE;
  private long toMillis = Long.MIN_VALUE;
  private long changed;
  private long skipped;

  /**
   * @param nowMillis decides which slots are past their window
   * @param keptFromMillis the earliest event time the raw store keeps whole
   * @param gaps what the raw store lacks for good: a slot whose span may hold a gap's events is not
   *     recounted (a slot is recounted whole, so its span reaches outside the range, where the
   *     range's own gap check does not look), and counts as skipped
   * @param maxFutureMillis how far after its append time an event time may lie
   */
  TopKRecount(
      TopKConfig config,
      RecountRange range,
      Partitioner partitioner,
      long nowMillis,
      long keptFromMillis,
      List<RawGap> gaps,
      long maxFutureMillis) {
    this.config = requireNonNull(config, "config");
    this.range = requireNonNull(range, "range");
    this.partitioner = requireNonNull(partitioner, "partitioner");
    for (TopKWindow w : config.windows()) {
      for (long s = w.slotStart(range.fromMillis()); s < range.toMillis(); s += w.slotMillis()) {
        long start = s;
        long end = s + w.slotMillis();
        if (gaps.stream().anyMatch(g -> g.mayHoldEventsIn(start, end, maxFutureMillis))) {
          skipped++;
        } else if (!w.expired(s, nowMillis) && s >= keptFromMillis) {
          slots.computeIfAbsent(w, x -> new HashSet<>()).add(s);
          fromMillis = Math.min(fromMillis, s);
          toMillis = Math.max(toMillis, end);
        }
      }
    }
  }

  /** Whether any slot is recounted. */
  boolean any() {
    return !slots.isEmpty();
  }

  /** The first event time the recounted slots hold (Long.MAX_VALUE if none). */
  long fromMillis() {
    return fromMillis;
  }

  /** The end of the event times the recounted slots hold (Long.MIN_VALUE if none). */
  long toMillis() {
    return toMillis;
  }

  /** Counts {@code e} in the recounted slots of {@code row} (its entity or a derived shard). */
  void add(String row, Event e) {
    if (!types(e.type())) {
      return;
    }
    String ranked = DerivedEntities.baseName(row);
    Map<SlotKey, Map<String, Long>> partition = null;
    for (Map.Entry<TopKWindow, Set<Long>> w : slots.entrySet()) {
      long start = w.getKey().slotStart(e.timeMillis());
      if (w.getValue().contains(start)) {
        if (partition == null) {
          partition =
              recounted.computeIfAbsent(
                  DerivedEntities.writerPartition(row, partitioner), p -> new HashMap<>());
        }
        partition
            .computeIfAbsent(new SlotKey(e.type(), w.getKey(), start), k -> new HashMap<>())
            .merge(ranked, 1L, Long::sum);
      }
    }
  }

  private boolean types(String type) {
    return range.types().isEmpty() || range.types().contains(type);
  }

  /**
   * Compares the recounted slots with the served ones of the cut.
   *
   * @return per partition, the corrections of the slots that differ (none for skipped slots)
   */
  Map<Integer, List<SlotCorrection>> compare(CounterRows.Snapshot served) {
    Map<Integer, List<SlotCorrection>> out = new TreeMap<>();
    for (int p = 0; p < partitioner.partitions(); p++) {
      Map<SlotKey, Map<String, Long>> mine = recounted.getOrDefault(p, Map.of());
      CounterRows.Slots slotsOfP = served.topKSlots(p);
      Map<SlotKey, ItemsSketch<String>> theirs = new HashMap<>();
      slotsOfP
          .slots()
          .forEach(
              (k, sketch) -> {
                if (covered(k)) {
                  theirs.put(k, sketch);
                }
              });
      Set<SlotKey> keys = new HashSet<>(mine.keySet());
      keys.addAll(theirs.keySet());
      for (SlotKey k : slotsOfP.moved()) {
        if (covered(k)) {
          keys.add(k);
        }
      }
      for (SlotKey k : keys) {
        ItemsSketch<String> sketch = theirs.get(k);
        if (slotsOfP.moved().contains(k) || (sketch != null && !SlotSketches.isExact(sketch))) {
          skipped++;
          continue;
        }
        Map<String, Long> difference = new HashMap<>(mine.getOrDefault(k, Map.of()));
        SlotSketches.counts(sketch).forEach((entity, n) -> difference.merge(entity, -n, Long::sum));
        difference.values().removeIf(d -> d == 0);
        if (!difference.isEmpty()) {
          changed++;
          out.computeIfAbsent(p, x -> new ArrayList<>()).add(new SlotCorrection(k, difference));
        }
      }
    }
    return out;
  }

  private boolean covered(SlotKey k) {
    Set<Long> starts = slots.get(k.window());
    return starts != null && starts.contains(k.slotStartMillis()) && types(k.type());
  }

  /** Slots that differ (corrected, when applied). */
  long changed() {
    return changed;
  }

  /** Served slots left as they are: not exact, or written after the snapshot. */
  long skipped() {
    return skipped;
  }
}
