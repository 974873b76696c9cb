// Measures: EventCodec, the binary form of an event inside a log record: encodedSize + write, then
// read back, for one event and for the 1,000 events of a log batch (the shape LogBatchDescriptor
// uses: size every event, allocate once, write all; wrap, read all).
// Why: every event is encoded once by the ingest path (log append) and decoded at least once by
// its partition's processor (and again on every dedup-window rebuild and replay).
package io.tally.bench;

import io.tally.core.codec.EventCodec;
import io.tally.model.Event;
import java.nio.ByteBuffer;
import java.util.ArrayList;
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

/** Per-event cost of the batch variants = score / {@link #events}. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class EventCodecBench {
  @Param("1000")
  public int events;

  private Event event;
  private List<Event> batch;
  private ByteBuffer one;
  private byte[] encodedBatch;

  @Setup
  public void setUp() {
    batch = new Workload(2).events(events);
    event = batch.get(0);
    one = ByteBuffer.allocate(EventCodec.encodedSize(event));
    encodedBatch = writeAll(batch);
  }

  @Benchmark
  public Event writeReadOne() {
    one.clear();
    one.limit(EventCodec.encodedSize(event));
    EventCodec.write(event, one);
    one.flip();
    return EventCodec.read(one);
  }

  @Benchmark
  public byte[] writeBatch() {
    return writeAll(batch);
  }

  @Benchmark
  public List<Event> readBatch() {
    return readAll(encodedBatch, events);
  }

  @Benchmark
  public List<Event> writeReadBatch() {
    return readAll(writeAll(batch), events);
  }

  private static byte[] writeAll(List<Event> events) {
    int size = 0;
    for (Event e : events) {
      size += EventCodec.encodedSize(e);
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    for (Event e : events) {
      EventCodec.write(e, out);
    }
    return out.array();
  }

  private static List<Event> readAll(byte[] bytes, int count) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    List<Event> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(EventCodec.read(in));
    }
    return out;
  }
}
