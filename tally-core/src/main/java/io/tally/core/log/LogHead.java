package io.tally.core.log;

/**
 * A consistent view of the end of one partition.
 *
 * @param endOffset the offset the next appended event will get; every lower offset (down to the
 *     retention start) is readable
 * @param completeBeforeMillis every event this partition will ever hold with an append time before
 *     this instant is at an offset below {@code endOffset}
 */
public record LogHead(long endOffset, long completeBeforeMillis) {}
