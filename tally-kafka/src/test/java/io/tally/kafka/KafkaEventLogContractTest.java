package io.tally.kafka;

import io.tally.core.log.EventLog;
import io.tally.engines.LocalEngines;
import io.tally.engines.RealEngines;
import io.tally.testkit.EventLogContract;
import io.tally.testkit.ManualClock;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The event log contract on a real Kafka broker (a separate JVM started by {@link RealEngines}).
 * Each test gets its own topics. Record times are the broker's append times, so time passes for
 * real here: {@link #letTimePass} waits just long enough to separate appends and clear the head's
 * margin, instead of advancing the manual clock.
 */
@ExtendWith(RealEngines.class)
class KafkaEventLogContractTest extends EventLogContract {
  private static final AtomicInteger RUN = new AtomicInteger();
  private final LocalEngines engines;

  KafkaEventLogContractTest(LocalEngines engines) {
    this.engines = engines;
  }

  @Override
  protected EventLog openLog(int partitions, ManualClock clock) {
    String prefix = "contract" + System.nanoTime() + "-" + RUN.incrementAndGet() + ".";
    KafkaSettings s =
        KafkaSettings.defaults(engines.kafka().bootstrapServers(), "contract")
            .withTopicPrefix(prefix)
            .withPartitions(partitions);
    return new KafkaEventLog(s, InstantSource.system());
  }

  @Override
  protected void letTimePass(long millis) throws Exception {
    Thread.sleep(Math.min(millis, KafkaEventLog.HEAD_MARGIN_MILLIS + 100));
  }
}
