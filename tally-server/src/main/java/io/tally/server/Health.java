package io.tally.server;

import io.tally.core.process.ProcessorGroup;
import io.tally.core.process.ProcessorHealth;
import java.time.InstantSource;

/**
 * What {@code /healthz} reports: the processors' state and backlog. The server is unhealthy when
 * a processor has been failing for longer than {@value #UNHEALTHY_AFTER_MILLIS} ms. Thread-safe.
 */
final class Health {
  static final long UNHEALTHY_AFTER_MILLIS = 10_000;

  private final ProcessorGroup processors;
  private final InstantSource clock;

  Health(ProcessorGroup processors, InstantSource clock) {
    this.processors = processors;
    this.clock = clock;
  }

  record Report(boolean healthy, boolean recovered, ProcessorHealth processor, long backlog) {}

  Report report() {
    ProcessorHealth h = processors.health();
    boolean healthy = h.ok() || clock.millis() - h.failingSinceMillis() < UNHEALTHY_AFTER_MILLIS;
    return new Report(healthy, processors.recovered(), h, processors.backlog());
  }
}
