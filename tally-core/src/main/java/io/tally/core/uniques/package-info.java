/**
 * Distinct actors ({@code fn=uniques}): the one place Tally turns actor ids into Apache
 * DataSketches HLL sketches, merges them and estimates from them. The aggregator adds an event's
 * actor to the sketch of each row it counts in ({@link io.tally.core.uniques.ActorSketchBuilder});
 * a sealed delta carries an immutable serialized sketch ({@link
 * io.tally.core.uniques.ActorSketch}); every store keeps one per row and unions a delta's into it;
 * queries union rows (buckets, derived shards) at read time ({@link
 * io.tally.core.uniques.ActorUnion}).
 *
 * <p>A union is idempotent (the union of a sketch with itself is that sketch), commutative and
 * associative, so a delta applied twice — a replay after a crash, a redelivered deltas record —
 * cannot inflate a row's distinct actors. Actor ids themselves are never stored: only their 64-bit
 * hashes' register updates are.
 */
package io.tally.core.uniques;
