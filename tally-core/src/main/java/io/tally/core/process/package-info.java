/**
 * The processor: per partition, consume the log from the checkpoint, drop duplicate ids, aggregate
 * deltas, and every flush interval hand a sealed batch with its checkpoints to the delta sink. Also
 * log retention, which must never delete what processing still needs.
 */
package io.tally.core.process;
