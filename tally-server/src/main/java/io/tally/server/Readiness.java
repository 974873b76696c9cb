package io.tally.server;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What {@code /readyz} reports: whether this node should get traffic. Ready when every resource it
 * serves from is open (the log, the store), recovery is done, no background component is failing
 * (as {@link Health} judges it) and the processing backlog is within {@link
 * OpsConfig#readyMaxBacklogEvents()}. Unlike {@code /healthz} (is the process alive and working?),
 * a node that is catching up on a backlog is healthy but not ready. Thread-safe.
 */
final class Readiness {
  /**
   * A resource that must be open and working, e.g. the RocksDB log.
   *
   * @param problem what is wrong with it while open (e.g. every append failing), or null
   */
  record Resource(String name, BooleanSupplier open, Supplier<String> problem) {
    Resource(String name, BooleanSupplier open) {
      this(name, open, () -> null);
    }
  }

  /** One named check and its state; {@code detail} says why (null when there is nothing to say). */
  record Check(String name, boolean ok, String detail) {}

  record Report(boolean ready, List<Check> checks) {}

  private final List<Resource> resources;
  private final Health health;
  private final long maxBacklogEvents;

  Readiness(List<Resource> resources, Health health, long maxBacklogEvents) {
    this.resources = List.copyOf(resources);
    this.health = requireNonNull(health, "health");
    this.maxBacklogEvents = maxBacklogEvents;
  }

  long maxBacklogEvents() {
    return maxBacklogEvents;
  }

  Report report() {
    List<Check> checks = new ArrayList<>();
    for (Resource r : resources) {
      boolean open = r.open().getAsBoolean();
      String problem = open ? r.problem().get() : null;
      checks.add(
          new Check(
              r.name(),
              open && problem == null,
              !open ? "closed" : problem == null ? "open" : problem));
    }
    Health.Report h = health.report();
    checks.add(new Check("recovery", h.recovered(), h.recovered() ? "done" : "running"));
    for (Health.Check c : h.checks()) {
      checks.add(new Check(c.name(), c.healthy(), c.state().ok() ? null : c.state().reason()));
    }
    boolean withinBound = h.backlog() <= maxBacklogEvents;
    checks.add(
        new Check(
            "lag",
            withinBound,
            h.backlog() + " events not yet counted (bound " + maxBacklogEvents + ")"));
    return new Report(checks.stream().allMatch(Check::ok), List.copyOf(checks));
  }
}
