package io.tally.model;

/**
 * The count and sum of one (entity, type, granularity) bucket.
 *
 * @param startMillis bucket start, epoch milliseconds UTC (0 for the total)
 * @param count number of events
 * @param sum sum of the events' values
 */
public record Bucket(long startMillis, long count, long sum) {}
