package io.tally.core.process;

/**
 * A duty cycle that a {@link WorkerRunner} runs on a thread of its own, on the model of Agrona's
 * {@code Agent}: each call of {@link #doWork()} does a bounded amount of work and says how much it
 * did, so the runner can idle when there is none.
 *
 * <p>Failures are the runner's business: a {@link io.tally.model.TallyException} thrown by {@link
 * #doWork()} or {@link #drain()} is a failed attempt, counted in the runner's health and retried
 * after a backoff (the worker leaves its state so that the next call retries); any other throwable
 * is a bug and stops the worker for good. {@link #retriable} may widen that policy.
 *
 * <p>Threading: {@link #doWork()}, {@link #drain()} and {@link #onClose()} run on the runner's
 * thread only; {@link #onStopRequested()} runs on the thread that asks the runner to stop.
 */
public interface Worker {

  /** The worker's name: its thread's name and the subject of its log lines. */
  String name();

  /**
   * Does one bounded piece of work.
   *
   * @return how much was done (records, writes); 0 makes the runner idle briefly. Only a call that
   *     did work ends a run of failures: return more than 0 once the failed work succeeded
   * @throws Exception a failed attempt (see the class comment for which ones are retried)
   */
  int doWork() throws Exception;

  /**
   * Called instead of {@link #doWork()} once a stop was requested, until it returns true or the
   * runner's drain time is up: finishes what the worker holds (its last flush) without taking new
   * work for long.
   *
   * @return true when nothing is left to finish
   */
  default boolean drain() throws Exception {
    return true;
  }

  /** Releases what the worker opened; called once on the runner's thread, last. */
  default void onClose() {}

  /**
   * Called on the stopping thread right after a stop was requested: may wake a call blocked in
   * {@link #doWork()} (a Kafka consumer's {@code wakeup()}). Must be thread-safe.
   */
  default void onStopRequested() {}

  /** Whether a failure of {@link #doWork()} is retried; by default Tally's own exceptions. */
  default boolean retriable(Throwable failure) {
    return failure instanceof io.tally.model.TallyException;
  }
}
