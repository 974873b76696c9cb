package io.tally.core.recount;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.model.Granularity;
import io.tally.model.Sums;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The recounted and the served rows of one range, compared row by row, and the replacements that
 * make the served rows equal the recount (per writing partition, with the all-time totals moved by
 * the hour rows' differences). Not thread-safe: one {@link Recount#run} owns it.
 */
final class RowComparison {
  private static final Comparator<CounterKey> KEY_ORDER =
      Comparator.comparing(CounterKey::entity)
          .thenComparing(CounterKey::type)
          .thenComparing(CounterKey::granularity)
          .thenComparingLong(CounterKey::bucketStartMillis);

  private final RecountRange range;
  private final List<Granularity> granularities;
  private final Partitioner partitioner;
  private final Map<CounterKey, CounterRows.Row> recounted = new HashMap<>();
  private final Map<CounterKey, CounterRows.Row> served = new HashMap<>();
  private final Map<Integer, List<CounterRows.Row>> replacements = new TreeMap<>();

  /** Per series (a total row's key), the hour rows' differences: count, sum. */
  private final Map<CounterKey, long[]> totalMoves = new HashMap<>();

  RowComparison(RecountRange range, List<Granularity> granularities, Partitioner partitioner) {
    this.range = range;
    this.granularities = granularities;
    this.partitioner = partitioner;
  }

  /**
   * The first and end bucket start of {@code g}'s rows wholly in the range: every minute and hour
   * of it, the days wholly in it (possibly none: first ≥ end).
   */
  static long[] bucketBounds(RecountRange range, Granularity g) {
    long first = g.bucketStart(range.fromMillis());
    if (first < range.fromMillis()) {
      first += g.millis();
    }
    return new long[] {first, g.bucketStart(range.toMillis())};
  }

  void recounted(List<CounterDelta> deltas) {
    for (CounterDelta d : deltas) {
      if (Recount.kept(d, range, granularities)) {
        recounted.put(d.key(), new CounterRows.Row(d.key(), d.count(), d.sum()));
      }
    }
  }

  void served(CounterRows.Row row) {
    CounterKey k = row.key();
    if (range.covers(DerivedEntities.baseName(k.entity()), k.type())) {
      served.put(k, row);
    }
  }

  RecountReport compare(boolean apply, long events) {
    long unchanged = 0;
    long changed = 0;
    long added = 0;
    long removed = 0;
    List<RecountReport.Difference> differences = new ArrayList<>();
    Map<CounterKey, CounterRows.Row> all = new HashMap<>(served);
    all.putAll(recounted);
    for (CounterKey k : all.keySet()) {
      CounterRows.Row was = served.getOrDefault(k, new CounterRows.Row(k, 0, 0));
      CounterRows.Row now = recounted.getOrDefault(k, new CounterRows.Row(k, 0, 0));
      boolean overflow = Sums.isOverflow(was.sum()) || Sums.isOverflow(now.sum());
      if (was.count() == now.count() && (overflow || was.sum() == now.sum())) {
        unchanged++;
        continue;
      }
      if (was.count() == 0) {
        added++;
      } else if (now.count() == 0) {
        removed++;
      } else {
        changed++;
      }
      differences.add(
          new RecountReport.Difference(k, was.count(), was.sum(), now.count(), now.sum()));
      if (!overflow) {
        replace(now, was);
      }
    }
    differences.sort(Comparator.comparing(RecountReport.Difference::key, KEY_ORDER));
    return new RecountReport(
        range,
        apply,
        granularities,
        unchanged,
        changed,
        added,
        removed,
        apply ? totalMoves.size() : 0,
        events,
        differences.subList(0, Math.min(differences.size(), RecountReport.MAX_DIFFERENCES)));
  }

  private void replace(CounterRows.Row now, CounterRows.Row was) {
    replacements
        .computeIfAbsent(
            DerivedEntities.writerPartition(now.key().entity(), partitioner),
            p -> new ArrayList<>())
        .add(now);
    if (now.key().granularity() == Granularity.HOUR) {
      long[] move =
          totalMoves.computeIfAbsent(
              CounterKey.total(now.key().entity(), now.key().type()), k -> new long[2]);
      move[0] += now.count() - was.count();
      move[1] += now.sum() - was.sum();
    }
  }

  /**
   * Replaces the differing rows, and moves the totals, one atomic write per writing partition. A
   * total whose sum overflowed keeps its sum lanes' meaning: its count is moved, its sum not.
   */
  void apply(CounterRows.Snapshot snapshot) {
    for (Map.Entry<CounterKey, long[]> e : totalMoves.entrySet()) {
      CounterRows.Row total = snapshot.read(e.getKey());
      long count = Math.max(0, total.count() + e.getValue()[0]);
      long sum = Math.max(0, total.sum() + e.getValue()[1]);
      if (Sums.isOverflow(total.sum()) || (e.getValue()[0] == 0 && e.getValue()[1] == 0)) {
        continue;
      }
      replacements
          .computeIfAbsent(
              DerivedEntities.writerPartition(e.getKey().entity(), partitioner),
              p -> new ArrayList<>())
          .add(new CounterRows.Row(e.getKey(), count, sum));
    }
    for (List<CounterRows.Row> rows : replacements.values()) {
      snapshot.replace(rows);
    }
  }
}
