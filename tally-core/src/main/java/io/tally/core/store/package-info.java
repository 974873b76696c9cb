/**
 * The storage seams on the processing side: {@link io.tally.core.store.DeltaSink} writes deltas and
 * checkpoints atomically (or, fed from a log of deltas, idempotently by each batch's {@link
 * io.tally.core.store.DeltaSource}), {@link io.tally.core.store.CounterStore} is the read-only view
 * queries see.
 */
package io.tally.core.store;
