package io.tally.core.process;

import io.tally.core.dedup.DedupWindow;
import io.tally.core.log.EventLog;
import io.tally.core.log.LogRecord;
import io.tally.core.store.Checkpoint;
import java.util.List;

/**
 * Rebuilds a partition's dedup window as it was at a checkpoint, by feeding it the (entity, id)
 * identities of the log span {@code [offsetForTime(lastAppendTime − window), nextOffset)}. The
 * window depends only on the log, so the rebuilt state equals the state at the checkpoint
 * (DESIGN.md invariant 3). Both modes recover through here: the embedded processor at start, the
 * Kafka processor on every partition assignment.
 */
public final class DedupRebuild {
  private DedupRebuild() {}

  /** The rebuilt window, and how many records were read to rebuild it. */
  public record Result(DedupWindow window, long recordsRead) {}

  public static Result rebuild(EventLog log, Checkpoint cp, ProcessorConfig config) {
    DedupWindow dedup = new DedupWindow(config.dedupWindowMillis(), config.dedupCapacity());
    long rebuilt = 0;
    if (cp.lastAppendTimeMillis() != Long.MIN_VALUE) {
      long from = LogRetention.dedupSpanStart(log, cp, config.dedupWindowMillis());
      while (from < cp.nextOffset()) {
        List<LogRecord> records = log.read(cp.partition(), from, config.maxPollRecords());
        if (records.isEmpty()) {
          break;
        }
        for (int i = 0; i < records.size(); i++) {
          LogRecord r = records.get(i);
          if (r.offset() >= cp.nextOffset()) {
            break;
          }
          DedupLookAhead.hintRunAt(dedup, records, i, from);
          if (r.event().id() != null) {
            dedup.firstSighting(r.event().entity(), r.event().id(), r.appendTimeMillis());
          }
          rebuilt++;
          from = r.offset() + 1;
        }
        if (records.get(records.size() - 1).offset() >= cp.nextOffset()) {
          break;
        }
      }
    }
    return new Result(dedup, rebuilt);
  }
}
