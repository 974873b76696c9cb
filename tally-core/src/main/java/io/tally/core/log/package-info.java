/** The event log seam: P ordered, replayable partitions of events, appended durably. */
package io.tally.core.log;
