/**
 * The processor: per partition, consume the log from the checkpoint, drop duplicate ids, aggregate
 * deltas, and every flush interval hand a sealed batch with its checkpoints to the delta sink. Also
 * log retention, which must never delete what processing still needs, and the one worker runner
 * ({@link io.tally.core.process.Worker}, {@link io.tally.core.process.WorkerRunner}) that every
 * consumer loop of Tally runs on: it owns the thread, stopping, idling, backoff, failure accounting
 * and health.
 */
package io.tally.core.process;
