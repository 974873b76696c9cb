// Measures: DeltaAggregator adding 1,000 events (Zipf entities, 1 ms apart) to their minute,
// hour, day and total rows, then draining the deltas in store key order: what one processor poll
// of 1,000 records followed by a flush does.
// Why: every counted event goes through add() on a processor thread, and drain() seals each flush.
package io.tally.bench;

import io.tally.core.aggregate.CounterDelta;
import io.tally.core.aggregate.DeltaAggregator;
import io.tally.model.Event;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** One operation adds {@link #events} events and drains; events/s = ops/s × {@link #events}. */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public class AggregatorBench {
  @Param("1000")
  public int events;

  private final DeltaAggregator aggregator = new DeltaAggregator();
  private Event[] batch;

  @Setup
  public void setUp() {
    batch = new Workload(5).events(events).toArray(new Event[0]);
  }

  @Benchmark
  public List<CounterDelta> addAndDrain() {
    for (Event e : batch) {
      aggregator.add(e);
    }
    return aggregator.drain();
  }
}
