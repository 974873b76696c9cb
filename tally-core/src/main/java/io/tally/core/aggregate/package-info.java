/**
 * In-memory aggregation of events into count and sum deltas per counter row (entity, type,
 * granularity, bucket), sealed into immutable {@link io.tally.core.aggregate.DeltaBatch batches}.
 */
package io.tally.core.aggregate;
