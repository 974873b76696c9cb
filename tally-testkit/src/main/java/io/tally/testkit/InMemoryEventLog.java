package io.tally.testkit;

import io.tally.core.log.EventBatch;
import io.tally.core.log.EventLog;
import io.tally.core.log.LogHead;
import io.tally.core.log.LogRecord;
import io.tally.model.Event;
import io.tally.model.Position;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An event log in memory: appends are "durable" at once. For tests of the code above the seam.
 * Thread-safe (every method is synchronized).
 */
public final class InMemoryEventLog implements EventLog {
  private final InstantSource clock;
  private final List<List<LogRecord>> partitions = new ArrayList<>();
  private final long[] startOffsets;
  private long lastAppendTime = Long.MIN_VALUE;

  public InMemoryEventLog(int partitions, InstantSource clock) {
    this.clock = clock;
    this.startOffsets = new long[partitions];
    for (int p = 0; p < partitions; p++) {
      this.partitions.add(new ArrayList<>());
    }
  }

  @Override
  public int partitions() {
    return partitions.size();
  }

  @Override
  public synchronized CompletableFuture<Position> append(EventBatch batch) {
    if (batch.partitions() != partitions.size()) {
      throw new IllegalArgumentException("batch built for " + batch.partitions() + " partitions");
    }
    long t = Math.max(lastAppendTime, clock.millis());
    lastAppendTime = t;
    Position position = Position.EMPTY;
    for (int p = 0; p < partitions.size(); p++) {
      List<LogRecord> records = partitions.get(p);
      for (Event e : batch.events(p)) {
        records.add(new LogRecord(startOffsets[p] + records.size(), t, e));
      }
      if (!batch.events(p).isEmpty()) {
        position = position.merge(Position.of(p, startOffsets[p] + records.size()));
      }
    }
    return CompletableFuture.completedFuture(position);
  }

  @Override
  public synchronized List<LogRecord> read(int partition, long fromOffset, int maxRecords) {
    List<LogRecord> records = partitions.get(partition);
    int from = (int) Math.max(0, fromOffset - startOffsets[partition]);
    int to = Math.min(records.size(), from + maxRecords);
    return from >= to ? List.of() : List.copyOf(records.subList(from, to));
  }

  @Override
  public synchronized LogHead head(int partition) {
    long now = Math.max(lastAppendTime, clock.millis());
    lastAppendTime = now;
    return new LogHead(startOffsets[partition] + partitions.get(partition).size(), now);
  }

  @Override
  public synchronized long startOffset(int partition) {
    return startOffsets[partition];
  }

  @Override
  public synchronized long offsetForTime(int partition, long appendTimeMillis) {
    for (LogRecord r : partitions.get(partition)) {
      if (r.appendTimeMillis() >= appendTimeMillis) {
        return r.offset();
      }
    }
    return startOffsets[partition] + partitions.get(partition).size();
  }

  @Override
  public synchronized void deleteBefore(int partition, long offset) {
    List<LogRecord> records = partitions.get(partition);
    int n = (int) Math.min(records.size(), Math.max(0, offset - startOffsets[partition]));
    records.subList(0, n).clear();
    startOffsets[partition] += n;
  }

  @Override
  public void close() {}
}
