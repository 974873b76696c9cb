// Measures: parsing one ingest request body, a JSON array of 1,000 events as `tally bench` posts
// them, with EventJsonReader.readJson into a sink that keeps the events.
// Why: every ingested event is parsed on an HTTP event-loop thread before it is validated and
// appended; at ~200k events/s end to end this parser shares two cores with everything else.
package io.tally.bench;

import io.tally.model.Event;
import io.tally.model.json.EventJsonReader;
import io.tally.model.json.TallyJson;
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

/**
 * One operation parses one body of {@link #events} events; events/s = ops/s × {@link #events}. The
 * body is built once per trial with {@link TallyJson#events}, the writer {@code tally bench} uses
 * ({@code id}, {@code entity}, {@code type}, epoch-millisecond {@code time}, {@code value}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public class JsonParseBench {
  @Param("1000")
  public int events;

  private byte[] body;

  @Setup
  public void setUp() {
    body = TallyJson.events(new Workload(1).events(events));
  }

  @Benchmark
  public List<Event> readJson() {
    KeepingSink sink = new KeepingSink(events);
    EventJsonReader.readJson(body, 0, body.length, Workload.START_MILLIS, sink);
    return sink.events;
  }

  /** Keeps the parsed events, as an ingest request does before it appends them. */
  static final class KeepingSink implements EventJsonReader.Sink {
    final List<Event> events;

    KeepingSink(int expected) {
      events = new ArrayList<>(expected);
    }

    @Override
    public void event(int index, Event event) {
      events.add(event);
    }

    @Override
    public void rejected(int index, String reason) {
      throw new IllegalStateException(
          "the benchmark body has a bad event " + index + ": " + reason);
    }
  }
}
