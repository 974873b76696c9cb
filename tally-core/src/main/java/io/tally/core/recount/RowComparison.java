package io.tally.core.recount;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.CounterKey;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.partition.Partitioner;
import io.tally.core.topk.SlotCorrection;
import io.tally.model.Granularity;
import io.tally.model.Sums;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

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

  /** Per (series, hour) — the hour row's key — its difference and its minute rows': count, sum. */
  private final Map<CounterKey, long[]> hourMoves = new HashMap<>();

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

  RecountReport compare(boolean apply, long events, TopKRecount topK) {
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
        apply ? totalMoves().size() : 0,
        events,
        differences.subList(0, Math.min(differences.size(), RecountReport.MAX_DIFFERENCES)),
        topK.changed(),
        topK.skipped());
  }

  private void replace(CounterRows.Row now, CounterRows.Row was) {
    replacements
        .computeIfAbsent(
            DerivedEntities.writerPartition(now.key().entity(), partitioner),
            p -> new ArrayList<>())
        .add(now);
    Granularity g = now.key().granularity();
    if (g == Granularity.HOUR || g == Granularity.MINUTE) {
      CounterKey hour =
          new CounterKey(
              now.key().entity(),
              now.key().type(),
              Granularity.HOUR,
              Granularity.HOUR.bucketStart(now.key().bucketStartMillis()));
      long[] move = hourMoves.computeIfAbsent(hour, k -> new long[4]);
      int lane = g == Granularity.HOUR ? 0 : 2;
      move[lane] += now.count() - was.count();
      move[lane + 1] += now.sum() - was.sum();
    }
  }

  /**
   * How far each total moves: by its hour rows' differences, where the minute rows (if compared)
   * differ by as much. An event counted wrongly shows in every granularity, and so in the total
   * too; a difference in one granularity only is damage to that row, not to the total.
   */
  private Map<CounterKey, long[]> totalMoves() {
    boolean minutes = granularities.contains(Granularity.MINUTE);
    Map<CounterKey, long[]> out = new HashMap<>();
    for (Map.Entry<CounterKey, long[]> e : hourMoves.entrySet()) {
      long[] m = e.getValue();
      if ((m[0] != 0 || m[1] != 0) && (!minutes || (m[0] == m[2] && m[1] == m[3]))) {
        long[] move =
            out.computeIfAbsent(
                CounterKey.total(e.getKey().entity(), e.getKey().type()), k -> new long[2]);
        move[0] += m[0];
        move[1] += m[1];
      }
    }
    return out;
  }

  /**
   * Replaces the differing rows, moves the totals ({@link #totalMoves}) and corrects the Top-K
   * slots ({@code topK}, per partition), one atomic write per writing partition. A total whose sum
   * overflowed is left as it is.
   */
  void apply(CounterRows.Snapshot snapshot, Map<Integer, List<SlotCorrection>> topK) {
    for (Map.Entry<CounterKey, long[]> e : totalMoves().entrySet()) {
      CounterRows.Row total = snapshot.read(e.getKey());
      long count = Math.max(0, total.count() + e.getValue()[0]);
      long sum = Math.max(0, total.sum() + e.getValue()[1]);
      if (Sums.isOverflow(total.sum())) {
        continue;
      }
      replacements
          .computeIfAbsent(
              DerivedEntities.writerPartition(e.getKey().entity(), partitioner),
              p -> new ArrayList<>())
          .add(new CounterRows.Row(e.getKey(), count, sum));
    }
    Set<Integer> partitions = new TreeSet<>(replacements.keySet());
    partitions.addAll(topK.keySet());
    for (int p : partitions) {
      snapshot.replace(p, replacements.getOrDefault(p, List.of()), topK.getOrDefault(p, List.of()));
    }
  }
}
