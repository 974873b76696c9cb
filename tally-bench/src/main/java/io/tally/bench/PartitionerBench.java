// Measures: Partitioner.partition(entity), murmur3 of the entity's UTF-8 bytes mod P, over a
// pre-built array of Zipf-drawn entity names.
// Why: ingest routes every accepted event to its partition with it (DESIGN.md invariant 4), on
// the HTTP event-loop thread.
package io.tally.bench;

import io.tally.core.partition.Partitioner;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** One operation partitions one entity; the server's default of 8 partitions. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class PartitionerBench {
  private static final int ENTITIES = 1 << 16;

  private final Partitioner partitioner = new Partitioner(8);
  private final String[] entities = new String[ENTITIES];
  private int next;

  @Setup
  public void setUp() {
    Workload w = new Workload(3);
    for (int i = 0; i < ENTITIES; i++) {
      entities[i] = w.entity();
    }
  }

  @Benchmark
  public int partition() {
    return partitioner.partition(entities[next++ & (ENTITIES - 1)]);
  }
}
