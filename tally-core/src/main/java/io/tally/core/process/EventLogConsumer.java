package io.tally.core.process;

import static java.util.Objects.requireNonNull;

import io.tally.core.log.EventLog;
import io.tally.core.log.LogHead;
import io.tally.core.log.LogRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Embedded mode's ownership: a fixed set of partitions of an {@link EventLog}, assigned at the
 * first poll and never revoked. Each poll reads up to {@code maxPollRecords} from every positioned
 * partition that has more.
 *
 * <p>Not thread-safe: one processor thread owns it; only {@link #liveEndOffset} may be called from
 * others.
 */
final class EventLogConsumer implements LogConsumer {
  private final EventLog log;
  private final int[] partitions;
  private final int maxPollRecords;
  private final Map<Integer, Long> positions = new HashMap<>();
  private boolean assigned;

  public EventLogConsumer(EventLog log, int[] partitions, int maxPollRecords) {
    this.log = requireNonNull(log, "log");
    this.partitions = partitions.clone();
    this.maxPollRecords = maxPollRecords;
  }

  @Override
  public List<Fetched> poll(Listener listener, boolean fetch) {
    if (!assigned) {
      assigned = true;
      listener.assigned(Arrays.stream(partitions).boxed().toList());
    }
    List<Fetched> out = new ArrayList<>(positions.size());
    for (Map.Entry<Integer, Long> e : positions.entrySet()) {
      int p = e.getKey();
      LogHead head = log.head(p);
      List<LogRecord> records =
          fetch && e.getValue() < head.endOffset()
              ? log.read(p, e.getValue(), maxPollRecords)
              : List.of();
      if (!records.isEmpty()) {
        e.setValue(records.get(records.size() - 1).offset() + 1);
      }
      out.add(new Fetched(p, records, head));
    }
    return out;
  }

  /** The log's head: {@link EventLog#head} may be read from any thread. */
  @Override
  public long liveEndOffset(int partition) {
    return log.head(partition).endOffset();
  }

  @Override
  public void seek(int partition, long offset) {
    positions.put(partition, offset);
  }

  @Override
  public void close() {}
}
