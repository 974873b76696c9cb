package io.tally.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.core.process.ProcessorHealth;
import io.tally.testkit.ManualClock;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** When /healthz calls a component, and the node, unhealthy. */
class HealthTest {
  private static final long GRACE_MILLIS = 10_000;

  private final ManualClock clock = new ManualClock(1_000_000);
  private final AtomicReference<ProcessorHealth> state = new AtomicReference<>(ProcessorHealth.OK);
  private final Health health =
      new Health(
          List.of(new Health.Component("processor", state::get, () -> true, () -> 0)),
          clock,
          GRACE_MILLIS);

  @Test
  void aFailureThatMayPassIsGivenTheGracePeriod() {
    state.set(ProcessorHealth.failing("disk full", clock.millis(), 3));
    assertThat(health.report().healthy()).isTrue();
    clock.advance(GRACE_MILLIS);
    assertThat(health.report().healthy()).isFalse();
  }

  @Test
  void aThreadStoppedForGoodIsUnhealthyAtOnce() {
    // a processor that met an error it cannot retry (on Java 25: DataSketches refusing the JVM at
    // the first flush) was reported healthy, as "retrying", for the first 10 s
    ProcessorHealth stopped =
        ProcessorHealth.failing("tally-processor-0 stopped: boom", clock.millis(), Long.MAX_VALUE);
    state.set(stopped);
    assertThat(stopped.stoppedForGood()).isTrue();
    Health.Report report = health.report();
    assertThat(report.healthy()).isFalse();
    assertThat(report.checks()).singleElement().satisfies(c -> assertThat(c.healthy()).isFalse());
    assertThat(ProcessorHealth.failing("x", 0, 3).stoppedForGood()).isFalse();
    assertThat(ProcessorHealth.OK.stoppedForGood()).isFalse();
  }
}
