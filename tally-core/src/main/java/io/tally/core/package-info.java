/**
 * Everything Tally does that does not depend on where events and counters are stored: validation,
 * the partitioner, the dedup window, aggregation into minute/hour/day/total deltas, the processor
 * loop and its flush protocol, ingest admission and query logic, and the seam interfaces ({@link
 * io.tally.core.log.EventLog}, {@link io.tally.core.store.DeltaSink}, {@link
 * io.tally.core.store.CounterStore}) that the embedded and cluster modes implement.
 *
 * <p>No I/O libraries here; time is always injected.
 */
package io.tally.core;
