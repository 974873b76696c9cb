/**
 * Everything Tally does that does not depend on where events and counters are stored: validation,
 * the partitioner, the dedup window, aggregation into minute/hour/day/total deltas, the processor
 * loop and its flush protocol, ingest admission and query logic, and the seam interfaces ({@link
 * io.tally.core.log.EventLog}, {@link io.tally.core.store.DeltaSink}, {@link
 * io.tally.core.store.CounterStore}) that the embedded and cluster modes implement.
 *
 * <p>No I/O libraries here; time is always injected.
 *
 * <p>A public type is API: a seam, a value that crosses one, or what an adapter, tally-server,
 * tally-cli or tally-bench uses. A type used only inside its own package is package-private. There
 * is no {@code internal} package: the two types used across core's packages only ({@code
 * ActorSketchBuilder} and {@code ActorUnion}, by the aggregator and the queries) build sketches
 * through {@link io.tally.core.uniques.ActorSketch}'s package-private DataSketches factory, which
 * would have to become public if they moved.
 */
package io.tally.core;
