package io.tally.core.recount;

import io.tally.core.aggregate.DeltaAggregator;
import io.tally.core.enrich.DerivedEntities;
import io.tally.core.enrich.Enrichment;
import io.tally.model.Event;

/**
 * Where one {@link Recount#run} counts each event it reads: the rows of the range (those it covers,
 * under the event's entity and the derived entities of its attributes known now) and the Top-K
 * slots recounted ({@link TopKRecount}), over the event times both need. Not thread-safe: owned by
 * the run.
 */
final class RangeCounting {
  private final RecountRange range;
  private final TopKRecount topK;
  private final DeltaAggregator rows;
  private final Enrichment enrichment;
  private final long fromMillis;
  private final long toMillis;

  RangeCounting(RecountRange range, TopKRecount topK, DeltaAggregator rows, Enrichment enrichment) {
    this.range = range;
    this.topK = topK;
    this.rows = rows;
    this.enrichment = enrichment;
    this.fromMillis = Math.min(range.fromMillis(), topK.fromMillis());
    this.toMillis = Math.max(range.toMillis(), topK.toMillis());
  }

  /** The first event time counted anywhere. */
  long fromMillis() {
    return fromMillis;
  }

  /** The end of the event times counted anywhere. */
  long toMillis() {
    return toMillis;
  }

  /** Adds {@code e} of partition {@code p} to its rows, derived shards and Top-K slots. */
  void count(int p, Event e) {
    if (e.timeMillis() < fromMillis || e.timeMillis() >= toMillis) {
      return;
    }
    boolean inRange = e.timeMillis() >= range.fromMillis() && e.timeMillis() < range.toMillis();
    if (inRange && range.covers(e.entity(), e.type())) {
      rows.add(e);
    }
    topK.add(e.entity(), e);
    for (String row : enrichment.derivedRows(p, e)) {
      if (inRange && range.covers(DerivedEntities.baseName(row), e.type())) {
        rows.add(row, e);
      }
      topK.add(row, e);
    }
  }
}
