package io.tally.postgres;

import static java.util.Objects.requireNonNull;

import io.tally.core.aggregate.CounterKey;
import io.tally.core.store.Checkpoint;
import io.tally.core.store.CounterStore;
import io.tally.core.store.ReadReport;
import io.tally.core.uniques.ActorSketch;
import io.tally.model.Bucket;
import io.tally.model.Granularity;
import io.tally.model.TallyException;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard's reads, served by its streaming read replica while the replica can, else by its
 * primary. Writes never come here: the sink writes the primary.
 *
 * <p><b>Freshness.</b> On the replica, a partition's as-of and checkpoint are the replica's own
 * progress rows, which replay in the same transactions as the rows they cover: replication lag
 * shows as an older {@code asOf}, never as rows older than the {@code asOf} states.
 *
 * <p><b>Falling back.</b> A replica read that fails (the replica is down, or lacks the schema yet)
 * is retried on the primary, and the shard's reads stay on the primary. A read-your-writes wait
 * ({@link #checkpoint(int, long)}) that the replica has not reached, but the primary has, is
 * answered from the primary, and the shard's reads move to the primary too. Either way a switch to
 * the primary only makes reads fresher.
 *
 * <p><b>Coming back.</b> Back on the replica, a read could be older than what the primary already
 * showed (an as-of, or a checkpoint a query then waits for). So every progress value the primary
 * shows is recorded first, and a probe (every {@value #PROBE_MILLIS} ms while on the primary) moves
 * the reads back only once the replica's progress rows have reached all of them; the check and the
 * move hold a lock the primary's progress reads also take, so no value shown in between is missed.
 *
 * <p>Thread-safe. Owns the replica's pool and the probe's thread; not the primary.
 */
final class ReplicaReadStore implements CounterStore, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicaReadStore.class);

  /** How often a shard read by its primary checks whether its replica can serve again. */
  static final long PROBE_MILLIS = 1_000;

  private final int shard;
  private final PostgresCounterStore primary;
  private final PostgresCounterStore replica;
  private final ReentrantReadWriteLock moving = new ReentrantReadWriteLock();

  /** Per partition, the highest {next offset, as-of} the primary has shown. */
  private final Map<Integer, long[]> shown = new ConcurrentHashMap<>();

  private final LongAdder replicaReads = new LongAdder();
  private final LongAdder primaryReads = new LongAdder();
  private final LongAdder fallbacks = new LongAdder();
  private final ScheduledExecutorService probe;
  private volatile boolean onReplica = true;
  private volatile String why = "";

  ReplicaReadStore(int shard, PostgresCounterStore primary, PostgresCounterStore replica) {
    this.shard = shard;
    this.primary = requireNonNull(primary, "primary");
    this.replica = requireNonNull(replica, "replica");
    this.probe =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tally-postgres-replica-probe-" + shard);
              t.setDaemon(true);
              return t;
            });
    probe.scheduleWithFixedDelay(
        () -> {
          try {
            probeReplica();
          } catch (RuntimeException e) { // a scheduled task that throws is never run again
            LOG.warn("PostgreSQL shard {}: probing the replica failed", shard, e);
          }
        },
        PROBE_MILLIS,
        PROBE_MILLIS,
        TimeUnit.MILLISECONDS);
  }

  /** What the reads of this shard do, for metrics and status. */
  ReplicaStatus status() {
    return new ReplicaStatus(
        shard,
        replica.settings().jdbcUrl(),
        onReplica,
        onReplica ? "" : why,
        replicaReads.sum(),
        primaryReads.sum(),
        fallbacks.sum());
  }

  @Override
  public Bucket read(CounterKey key) {
    return rows(s -> s.read(key));
  }

  @Override
  public List<Bucket> range(String entity, String type, Granularity g, long from, long to) {
    return rows(s -> s.range(entity, type, g, from, to));
  }

  @Override
  public ActorSketch actors(CounterKey key, ReadReport report) {
    return rows(s -> s.actors(key, report));
  }

  @Override
  public NavigableMap<Long, ActorSketch> actorsRange(
      String entity, String type, Granularity g, long from, long to, ReadReport report) {
    return rows(s -> s.actorsRange(entity, type, g, from, to, report));
  }

  @Override
  public OptionalLong asOfMillis(int partition) {
    if (onReplica) {
      try {
        OptionalLong a = replica.asOfMillis(partition);
        replicaReads.increment();
        return a;
      } catch (TallyException e) {
        toPrimary("the replica failed: " + e.getMessage());
      }
    }
    return fromPrimary(
        s -> {
          OptionalLong a = s.asOfMillis(partition);
          a.ifPresent(v -> show(partition, -1, v));
          return a;
        });
  }

  @Override
  public Optional<Checkpoint> checkpoint(int partition) {
    return checkpoint(partition, -1);
  }

  /**
   * The replica's checkpoint if it has reached {@code wantedNextOffset}; else the primary's if that
   * has, moving this shard's reads to the primary; else the replica's (the caller waits on).
   */
  @Override
  public Optional<Checkpoint> checkpoint(int partition, long wantedNextOffset) {
    Optional<Checkpoint> behind = Optional.empty();
    if (onReplica) {
      try {
        Optional<Checkpoint> c = replica.checkpoint(partition);
        replicaReads.increment();
        if (reached(c, wantedNextOffset)) {
          return c;
        }
        behind = c;
      } catch (TallyException e) {
        toPrimary("the replica failed: " + e.getMessage());
      }
    }
    Optional<Checkpoint> fromPrimary =
        fromPrimary(
            s -> {
              Optional<Checkpoint> c = s.checkpoint(partition);
              c.ifPresent(cp -> show(partition, cp.nextOffset(), cp.asOfMillis()));
              if (onReplica && !reached(c, wantedNextOffset)) {
                return null; // neither copy has it: wait on the replica
              }
              if (onReplica) {
                toPrimary("the replica had not reached a read-your-writes position");
              }
              return c;
            });
    return fromPrimary != null ? fromPrimary : behind;
  }

  private static boolean reached(Optional<Checkpoint> c, long wantedNextOffset) {
    return wantedNextOffset < 0 || c.map(Checkpoint::nextOffset).orElse(0L) >= wantedNextOffset;
  }

  /** Reads rows from the replica, or the primary when reads are there or the replica fails. */
  <T> T rows(Function<PostgresCounterStore, T> read) {
    if (onReplica) {
      try {
        T out = read.apply(replica);
        replicaReads.increment();
        return out;
      } catch (TallyException e) {
        toPrimary("the replica failed: " + e.getMessage());
      }
    }
    primaryReads.increment();
    return read.apply(primary);
  }

  /** A progress read on the primary, under the lock a move back to the replica takes. */
  private <T> T fromPrimary(Function<PostgresCounterStore, T> read) {
    moving.readLock().lock();
    try {
      primaryReads.increment();
      return read.apply(primary);
    } finally {
      moving.readLock().unlock();
    }
  }

  private void show(int partition, long nextOffset, long asOfMillis) {
    shown.merge(
        partition,
        new long[] {nextOffset, asOfMillis},
        (a, b) -> new long[] {Math.max(a[0], b[0]), Math.max(a[1], b[1])});
  }

  private void toPrimary(String reason) {
    if (onReplica) {
      why = reason;
      onReplica = false;
      fallbacks.increment();
      LOG.warn(
          "PostgreSQL shard {}: reading the primary instead of the replica {}: {}",
          shard,
          replica.settings().jdbcUrl(),
          reason);
    }
  }

  /** While on the primary: back to the replica once its progress holds all the primary showed. */
  private void probeReplica() {
    if (onReplica) {
      return;
    }
    Map<Integer, Checkpoint> progress;
    try {
      progress = replica.progress();
    } catch (RuntimeException e) {
      why = "the replica failed: " + e.getMessage();
      return;
    }
    moving.writeLock().lock();
    try {
      for (Map.Entry<Integer, long[]> e : shown.entrySet()) {
        Checkpoint c = progress.get(e.getKey());
        long[] seen = e.getValue();
        if (c == null || c.nextOffset() < seen[0] || c.asOfMillis() < seen[1]) {
          why = "the replica is catching up (partition " + e.getKey() + " behind the primary)";
          return;
        }
      }
      onReplica = true;
    } finally {
      moving.writeLock().unlock();
    }
    LOG.info(
        "PostgreSQL shard {}: reading the replica {} again", shard, replica.settings().jdbcUrl());
  }

  @Override
  public void close() {
    probe.shutdownNow();
    replica.close();
  }
}
