/**
 * The storage seams on the processing side: {@link io.tally.core.store.DeltaSink} writes deltas and
 * checkpoints atomically, {@link io.tally.core.store.CounterStore} is the read-only view queries
 * see.
 */
package io.tally.core.store;
