package io.tally.testkit;

import io.tally.core.log.EventLog;

class InMemoryEventLogTest extends EventLogContract {
  @Override
  protected EventLog openLog(int partitions, ManualClock clock) {
    return new InMemoryEventLog(partitions, clock);
  }
}
