package io.tally.core.process;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link Worker} on a thread it owns, on the model of Agrona's {@code AgentRunner}: every
 * consumer loop of Tally (the processor, the deltas consumer, the attributes replica) is a worker
 * run by one of these, so stopping, idling, backoff, failure accounting and health are written
 * once.
 *
 * <h2>Life cycle</h2>
 *
 * <ol>
 *   <li>{@link #start()}: the thread calls {@link Worker#doWork()} in a loop, parking for {@link
 *       Policy#idleNanos()} after a call that did nothing.
 *   <li>A failure the worker calls {@linkplain Worker#retriable retriable} is counted ({@link
 *       #failures()}), turns {@link #health()} failing (since the first failure of the run), and is
 *       followed by a backoff doubling from {@link Policy#minBackoffMillis()} to {@link
 *       Policy#maxBackoffMillis()}. The next call that does work (returns more than 0) makes the
 *       health OK again; a call that finds nothing to do proves nothing and leaves it as it is.
 *   <li>Any other throwable stops the worker for good: its health says so with {@link
 *       Long#MAX_VALUE} consecutive failures (never OK again, so health checks fail once the grace
 *       period is over).
 *   <li>{@link #stopAndAwait}: the thread stops taking work and calls {@link Worker#drain()} until
 *       it reports done or {@link Policy#maxDrainMillis()} passed (failures back off as above),
 *       then {@link Worker#onClose()}, and ends. A worker whose health is already failing when the
 *       stop begins gets one drain attempt only: a stop is not held up by an outage (a full disk)
 *       it cannot wait out.
 * </ol>
 *
 * <p>Time comes from the injected clock only (health timestamps, the drain deadline); backoff and
 * idling park the thread.
 *
 * <p>Thread-safe: started and stopped by the wiring thread, observed from any thread.
 */
public final class WorkerRunner implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerRunner.class);

  /**
   * How a runner idles and backs off.
   *
   * @param idleNanos how long to park after a call that did no work
   * @param minBackoffMillis wait after the first failure of a run
   * @param maxBackoffMillis longest wait between failed attempts (the wait doubles up to it)
   * @param maxDrainMillis how long a stopping worker may drain before the runner gives up on it
   */
  public record Policy(
      long idleNanos, long minBackoffMillis, long maxBackoffMillis, long maxDrainMillis) {
    public Policy {
      if (idleNanos < 0 || minBackoffMillis < 1 || maxBackoffMillis < minBackoffMillis) {
        throw new IllegalArgumentException(
            "idle must be ≥ 0, backoff ≥ 1 ms and max backoff ≥ min backoff");
      }
      if (maxDrainMillis < 0) {
        throw new IllegalArgumentException("drain time must be ≥ 0");
      }
    }
  }

  private final Worker worker;
  private final Policy policy;
  private final InstantSource clock;
  private final Thread thread;
  private final CountDownLatch ended = new CountDownLatch(1);
  private final LongAdder failures = new LongAdder();
  private volatile boolean running = true;
  private volatile ProcessorHealth health = ProcessorHealth.OK;
  private long backoffMillis;

  public WorkerRunner(Worker worker, Policy policy, InstantSource clock) {
    this.worker = requireNonNull(worker, "worker");
    this.policy = requireNonNull(policy, "policy");
    this.clock = requireNonNull(clock, "clock");
    this.backoffMillis = policy.minBackoffMillis();
    this.thread = new Thread(this::run, worker.name());
  }

  /** Starts the thread; once only. */
  public void start() {
    thread.start();
  }

  private void run() {
    try {
      while (running) {
        int work = attempt(false);
        if (work == 0 && running) {
          park(policy.idleNanos());
        }
      }
      // failing when the stop began (e.g. a full disk): one attempt, so a stop is not held up by
      // an outage it cannot wait out; what a processor did not write is recounted from the log
      boolean failingAtStop = !health.ok();
      long deadline = clock.millis() + policy.maxDrainMillis();
      while (attempt(true) == 0 && !failingAtStop && clock.millis() < deadline) {
        // drain until done, retrying failures with backoff
      }
    } catch (Throwable t) {
      health =
          ProcessorHealth.failing(worker.name() + " stopped: " + t, clock.millis(), Long.MAX_VALUE);
      LOG.error("{} stopped for good", worker.name(), t);
    } finally {
      try {
        worker.onClose();
      } catch (RuntimeException e) {
        LOG.warn("{}: closing failed: {}", worker.name(), e.toString());
      } finally {
        ended.countDown();
      }
    }
  }

  /**
   * One call of the duty cycle (or of drain): returns its work count (for drain, 1 once done), or 0
   * after a retriable failure it backed off from; rethrows any other failure.
   */
  private int attempt(boolean draining) throws Throwable {
    int work;
    try {
      work = draining ? (worker.drain() ? 1 : 0) : worker.doWork();
    } catch (Throwable t) {
      if (!(t instanceof Exception) || !worker.retriable(t)) {
        throw t;
      }
      noteFailure(t);
      park(TimeUnit.MILLISECONDS.toNanos(backoffMillis));
      backoffMillis = Math.min(backoffMillis * 2, policy.maxBackoffMillis());
      return 0;
    }
    backoffMillis = policy.minBackoffMillis();
    if (work > 0 && !health.ok()) {
      LOG.info(
          "{} recovered after {} failed attempts", worker.name(), health.consecutiveFailures());
      health = ProcessorHealth.OK;
    }
    return work;
  }

  private void noteFailure(Throwable t) {
    failures.increment();
    health = health.afterFailure(String.valueOf(t.getMessage()), clock.millis());
    long n = health.consecutiveFailures();
    if (n == 1) {
      LOG.warn("{}: {}; retrying with backoff", worker.name(), t.getMessage(), t);
    } else if (Long.bitCount(n) == 1) {
      LOG.warn(
          "{} (attempt {}): {}; retrying in {} ms",
          worker.name(),
          n,
          t.getMessage(),
          backoffMillis);
    }
  }

  private static void park(long nanos) {
    if (nanos > 0) {
      LockSupport.parkNanos(nanos);
    }
  }

  /** OK, failing since the first failed attempt of the current run, or stopped for good. */
  public ProcessorHealth health() {
    return health;
  }

  /** Failed attempts since start (each retried with backoff). */
  public long failures() {
    return failures.sum();
  }

  /** Whether the thread has ended (stopped, or stopped for good). */
  public boolean ended() {
    return ended.getCount() == 0;
  }

  /** Asks the worker to drain and end; returns at once. */
  public void requestStop() {
    if (running) {
      running = false;
      worker.onStopRequested();
    }
    LockSupport.unpark(thread);
  }

  /**
   * Waits for the thread to end, up to {@code timeout}.
   *
   * @return whether it ended; if not, the worker may still use its resources, which the caller must
   *     then not close
   */
  public boolean awaitStopped(Duration timeout) {
    if (!thread.isAlive() && thread.getState() == Thread.State.NEW) {
      return true;
    }
    try {
      return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** {@link #requestStop()}, then {@link #awaitStopped}. */
  public boolean stopAndAwait(Duration timeout) {
    requestStop();
    return awaitStopped(timeout);
  }

  /** Stops and waits up to the drain time plus five seconds. */
  @Override
  public void close() {
    stopAndAwait(Duration.ofMillis(policy.maxDrainMillis() + 5_000));
  }
}
