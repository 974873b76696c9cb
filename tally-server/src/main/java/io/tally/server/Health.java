package io.tally.server;

import io.tally.core.process.ProcessorGroup;
import io.tally.core.process.ProcessorHealth;
import java.time.InstantSource;

/**
 * What {@code /healthz} reports: the processors' state and backlog. The server is unhealthy when
 * a processor has been failing for longer than {@code unhealthyAfterMillis}. Thread-safe.
 */
final class Health {
  private final ProcessorGroup processors;
  private final InstantSource clock;
  private final long unhealthyAfterMillis;

  Health(ProcessorGroup processors, InstantSource clock, long unhealthyAfterMillis) {
    this.processors = processors;
    this.clock = clock;
    this.unhealthyAfterMillis = unhealthyAfterMillis;
  }

  record Report(boolean healthy, boolean recovered, ProcessorHealth processor, long backlog) {}

  Report report() {
    ProcessorHealth h = processors.health();
    boolean healthy = h.ok() || clock.millis() - h.failingSinceMillis() < unhealthyAfterMillis;
    return new Report(healthy, processors.recovered(), h, processors.backlog());
  }
}
