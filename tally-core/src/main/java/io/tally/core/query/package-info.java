/**
 * The query side: parameter checking and the getStats / total answers, over a read-only store, and
 * the read-your-writes wait for a position ({@link io.tally.core.query.PositionGate}).
 */
package io.tally.core.query;
