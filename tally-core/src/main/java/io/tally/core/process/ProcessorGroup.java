package io.tally.core.process;

import static java.util.Objects.requireNonNull;

import io.tally.core.enrich.Enrichment;
import io.tally.core.log.EventLog;
import io.tally.core.store.DeltaSink;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs the processor threads of one node, in both modes: each thread is a {@link WorkerRunner}
 * running a {@link ProcessorLoop} over its {@link Member}'s consumer and sink. In embedded mode
 * partition p belongs to thread {@code p % threads}; in cluster mode a Kafka consumer group assigns
 * them. Either way each partition has exactly one consumer (DESIGN.md invariant 4).
 *
 * <p>Thread-safe: started and stopped by the wiring thread, observed from any thread.
 */
public final class ProcessorGroup implements AutoCloseable {
  private final List<ProcessorLoop> loops = new ArrayList<>();
  private final List<WorkerRunner> runners = new ArrayList<>();

  /**
   * @param partitions the partitions this node owns (all of them in embedded mode)
   */
  public ProcessorGroup(
      EventLog log, DeltaSink sink, ProcessorConfig config, InstantSource clock, int[] partitions) {
    this(log, sink, config, clock, Enrichment.NONE, partitions);
  }

  /**
   * Embedded mode: each thread owns a fixed share of {@code partitions} for good, all writing to
   * {@code sink}.
   *
   * @param enrichment how events also count under derived entities
   * @param partitions the partitions this node owns (all of them in embedded mode)
   */
  public ProcessorGroup(
      EventLog log,
      DeltaSink sink,
      ProcessorConfig config,
      InstantSource clock,
      Enrichment enrichment,
      int[] partitions) {
    this(log, config, clock, enrichment, shares(log, sink, config, partitions));
  }

  /**
   * One processor thread per member, owning what its consumer is assigned and writing to its sink
   * (cluster mode: one consumer group member and one transactional sink per thread).
   *
   * @param consumer the thread's partition ownership and records; the thread closes it
   * @param sink where the thread's flushes go
   */
  public record Member(LogConsumer consumer, DeltaSink sink) {
    public Member {
      requireNonNull(consumer, "consumer");
      requireNonNull(sink, "sink");
    }
  }

  /**
   * @param members one per processor thread
   */
  public ProcessorGroup(
      EventLog log,
      ProcessorConfig config,
      InstantSource clock,
      Enrichment enrichment,
      List<Member> members) {
    requireNonNull(log, "log");
    requireNonNull(enrichment, "enrichment");
    requireNonNull(config, "config");
    requireNonNull(clock, "clock");
    for (int t = 0; t < members.size(); t++) {
      Member m = members.get(t);
      ProcessorLoop loop =
          new ProcessorLoop(
              "tally-processor-" + t, log, m.consumer(), m.sink(), config, clock, enrichment);
      loops.add(loop);
      runners.add(new WorkerRunner(loop, ProcessorLoop.policy(config), clock));
    }
  }

  /** Partition p belongs to thread {@code p % threads}. */
  private static List<Member> shares(
      EventLog log, DeltaSink sink, ProcessorConfig config, int[] partitions) {
    int n = Math.min(config.threads(), Math.max(1, partitions.length));
    List<Member> members = new ArrayList<>();
    for (int t = 0; t < n; t++) {
      int count = 0;
      for (int i = t; i < partitions.length; i += n) {
        count++;
      }
      int[] owned = new int[count];
      for (int i = t, j = 0; i < partitions.length; i += n, j++) {
        owned[j] = partitions[i];
      }
      members.add(new Member(new EventLogConsumer(log, owned, config.maxPollRecords()), sink));
    }
    return members;
  }

  /** All partitions 0..P-1 of the log. */
  public static int[] allPartitions(EventLog log) {
    int[] all = new int[log.partitions()];
    for (int p = 0; p < all.length; p++) {
      all[p] = p;
    }
    return all;
  }

  public void start() {
    runners.forEach(WorkerRunner::start);
  }

  /** True once every thread has rebuilt its dedup windows and is consuming. */
  public boolean recovered() {
    return loops.stream().allMatch(ProcessorLoop::recovered);
  }

  /** Events appended but not yet applied to the store, over all owned partitions. */
  public long backlog() {
    long total = 0;
    for (ProcessorLoop loop : loops) {
      total += loop.backlog();
    }
    return total;
  }

  /**
   * Events of {@code partition} logged but not yet applied to the store, or -1 if this node does
   * not own it or its thread has not recovered yet.
   */
  public long lagEvents(int partition) {
    for (ProcessorLoop loop : loops) {
      long lag = loop.lagEvents(partition);
      if (lag >= 0) {
        return lag;
      }
    }
    return -1;
  }

  /**
   * The as-of time of {@code partition}'s last applied checkpoint (its counts are complete for
   * events appended before it), or {@link Long#MIN_VALUE} if not owned or not recovered yet.
   */
  public long appliedAsOfMillis(int partition) {
    for (ProcessorLoop loop : loops) {
      long asOf = loop.appliedAsOfMillis(partition);
      if (asOf != Long.MIN_VALUE) {
        return asOf;
      }
    }
    return Long.MIN_VALUE;
  }

  /** The partitions this node's threads own and have recovered now. */
  public Set<Integer> ownedPartitions() {
    Set<Integer> owned = new TreeSet<>();
    loops.forEach(l -> owned.addAll(l.ownedPartitions()));
    return owned;
  }

  /** The worst health among the threads (the longest-failing one), or OK. */
  public ProcessorHealth health() {
    ProcessorHealth worst = ProcessorHealth.OK;
    for (WorkerRunner runner : runners) {
      ProcessorHealth h = runner.health();
      if (!h.ok() && (worst.ok() || h.failingSinceMillis() < worst.failingSinceMillis())) {
        worst = h;
      }
    }
    return worst;
  }

  /**
   * Stops consuming, lets each thread count what is logged and write its last flush and checkpoint,
   * and waits for the threads.
   *
   * @return true if every thread ended; false if one is still running (its store is failing or it
   *     was interrupted), in which case the caller must not close the log or the store
   */
  public boolean stopAndAwait() {
    runners.forEach(WorkerRunner::requestStop);
    boolean ended = true;
    for (WorkerRunner r : runners) {
      ended &= r.awaitStopped(Duration.ofMillis(ProcessorLoop.MAX_STOP_MILLIS + 5_000));
    }
    return ended;
  }

  /** {@link #stopAndAwait()}, ignoring whether the threads ended. */
  @Override
  public void close() {
    stopAndAwait();
  }
}
