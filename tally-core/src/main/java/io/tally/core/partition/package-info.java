/** Entity → partition: the fixed mapping that gives every counter row exactly one writer. */
package io.tally.core.partition;
