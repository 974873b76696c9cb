/**
 * The storage seams on the processing side: {@link io.tally.core.store.DeltaSink} writes deltas and
 * checkpoints atomically (or, fed from a log of deltas, idempotently by each batch's {@link
 * io.tally.core.store.DeltaSource}), {@link io.tally.core.store.CounterStore} is the read-only view
 * queries see. Also the values they exchange: a partition's {@link io.tally.core.store.Checkpoint},
 * and how a replicated store reports a read's consistency ({@link io.tally.core.store.ReadReport})
 * and what a query does when a quorum is lost ({@link io.tally.core.store.QuorumLoss}); and the
 * as-of memo the shared stores keep of their progress rows ({@link io.tally.core.store.AsOfMemo}).
 */
package io.tally.core.store;
