package io.tally.core.query;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.store.CounterStore;
import io.tally.core.store.ReadReport;
import io.tally.core.uniques.ActorSketch;
import io.tally.core.uniques.ActorUnion;
import io.tally.model.Bucket;
import io.tally.model.Granularity;
import io.tally.model.Uniques;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads distinct actors ({@code fn=uniques}) for {@link QueryService}: unions the actor sketches of
 * an entity's rows — its own, or a derived entity's own row and shards — per bucket, and over the
 * whole range. Estimates come only from unions, never from adding estimates, so an actor seen in
 * two buckets or two shards counts once. Thread-safe (stateless but for the store).
 */
final class UniquesReader {
  /** A series of distinct actors: per bucket, and over every bucket of the range. */
  record Series(List<Bucket> buckets, Uniques range) {}

  private final CounterStore store;

  UniquesReader(CounterStore store) {
    this.store = requireNonNull(store, "store");
  }

  /** The distinct actors of all time over {@code rows} (row entities of one entity). */
  Uniques total(List<String> rows, String type, ReadReport report) {
    ActorUnion union = new ActorUnion();
    for (String row : rows) {
      union.add(store.actors(CounterKey.total(row, type), report));
    }
    return union.estimate();
  }

  /**
   * The buckets with actors in {@code [from, to)} over {@code rows}, in time order, each carrying
   * only its {@link Bucket#uniques()}, and the distinct actors of the whole range.
   */
  Series range(
      List<String> rows,
      String type,
      Granularity g,
      long fromMillis,
      long toMillis,
      ReadReport report) {
    TreeMap<Long, ActorUnion> buckets = new TreeMap<>();
    ActorUnion range = new ActorUnion();
    for (String row : rows) {
      for (Map.Entry<Long, ActorSketch> e :
          store.actorsRange(row, type, g, fromMillis, toMillis, report).entrySet()) {
        buckets.computeIfAbsent(e.getKey(), k -> new ActorUnion()).add(e.getValue());
        range.add(e.getValue());
      }
    }
    List<Bucket> out = new ArrayList<>(buckets.size());
    for (Map.Entry<Long, ActorUnion> e : buckets.entrySet()) {
      out.add(new Bucket(e.getKey(), 0, 0, e.getValue().estimate()));
    }
    return new Series(out, range.estimate());
  }
}
