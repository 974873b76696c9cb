/**
 * The processor: per partition, consume the log from the checkpoint, drop duplicate ids, aggregate
 * deltas, and every flush interval hand a sealed batch with its checkpoints to the delta sink. Also
 * log retention, which must never delete what processing still needs, and the one worker runner
 * ({@link io.tally.core.process.Worker}, {@link io.tally.core.process.WorkerRunner}) that every
 * consumer loop of Tally runs on: it owns the thread, stopping, idling, backoff, failure accounting
 * and health.
 *
 * <p>API: {@link io.tally.core.process.ProcessorGroup} (what each mode wires), its {@link
 * io.tally.core.process.ProcessorConfig} and {@link io.tally.core.process.ProcessorHealth}, the
 * partition-ownership seam {@link io.tally.core.process.LogConsumer} (tally-kafka implements it for
 * cluster mode), the worker runner, {@link io.tally.core.process.LogRetention} and {@link
 * io.tally.core.process.DedupRebuild} (the raw export finds the counted events again with it). The
 * loop itself ({@code ProcessorLoop}), its per-partition state and embedded mode's fixed ownership
 * ({@code EventLogConsumer}) are package-private.
 */
package io.tally.core.process;
