/**
 * The event log seam ({@link io.tally.core.log.EventLog}): P ordered, replayable partitions of
 * events, appended durably. Also what crosses it: a routed {@link io.tally.core.log.EventBatch} to
 * append, the {@link io.tally.core.log.LogRecord records} read back, and a partition's {@link
 * io.tally.core.log.LogHead head}.
 */
package io.tally.core.log;
