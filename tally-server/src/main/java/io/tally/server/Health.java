package io.tally.server;

import io.tally.core.process.ProcessorGroup;
import io.tally.core.process.ProcessorHealth;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What {@code /healthz} reports: each background component's state and backlog (the processor; in
 * cluster mode also the materializer). The server is unhealthy when a component has been failing
 * for longer than {@code unhealthyAfterMillis}, or at once when its thread stopped for good.
 * Thread-safe.
 */
final class Health {
  /** One background component as health sees it. */
  record Component(
      String name,
      Supplier<ProcessorHealth> health,
      BooleanSupplier recovered,
      LongSupplier backlog) {}

  private final List<Component> components;
  private final InstantSource clock;
  private final long unhealthyAfterMillis;
  private final List<String> notices;
  private final List<Supplier<String>> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();

  Health(List<Component> components, InstantSource clock, long unhealthyAfterMillis) {
    this(components, clock, unhealthyAfterMillis, List.of());
  }

  /**
   * @param notices lasting facts an operator must see that do not make the server unhealthy, e.g.
   *     what a write-ahead log salvage dropped at start
   */
  Health(
      List<Component> components,
      InstantSource clock,
      long unhealthyAfterMillis,
      List<String> notices) {
    this.components = List.copyOf(components);
    this.clock = clock;
    this.unhealthyAfterMillis = unhealthyAfterMillis;
    this.notices = List.copyOf(notices);
  }

  static Health of(ProcessorGroup processors, InstantSource clock, long unhealthyAfterMillis) {
    return of(processors, clock, unhealthyAfterMillis, List.of());
  }

  static Health of(
      ProcessorGroup processors,
      InstantSource clock,
      long unhealthyAfterMillis,
      List<String> notices) {
    return new Health(
        List.of(
            new Component(
                "processor", processors::health, processors::recovered, processors::backlog)),
        clock,
        unhealthyAfterMillis,
        notices);
  }

  record Check(
      String name, boolean healthy, ProcessorHealth state, boolean recovered, long backlog) {}

  /**
   * Adds a source of warnings: a problem an operator must see that does not make the server
   * unhealthy (e.g. the audit's differences); {@code warning} returns null while there is none and
   * must be cheap and thread-safe.
   */
  void addWarning(Supplier<String> warning) {
    warnings.add(warning);
  }

  record Report(
      boolean healthy,
      boolean recovered,
      long backlog,
      List<Check> checks,
      List<String> notices,
      List<String> warnings) {}

  Report report() {
    boolean healthy = true;
    boolean recovered = true;
    long backlog = 0;
    List<Check> checks = new ArrayList<>();
    for (Component c : components) {
      ProcessorHealth h = c.health().get();
      // the grace period rides out failures that may pass; a thread stopped for good never will
      boolean ok =
          h.ok()
              || (!h.stoppedForGood()
                  && clock.millis() - h.failingSinceMillis() < unhealthyAfterMillis);
      boolean rec = c.recovered().getAsBoolean();
      long b = c.backlog().getAsLong();
      checks.add(new Check(c.name(), ok, h, rec, b));
      healthy &= ok;
      recovered &= rec;
      backlog += b;
    }
    List<String> warned = new ArrayList<>();
    for (Supplier<String> w : warnings) {
      String text = w.get();
      if (text != null) {
        warned.add(text);
      }
    }
    return new Report(healthy, recovered, backlog, checks, notices, warned);
  }
}
